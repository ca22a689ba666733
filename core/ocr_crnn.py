"""The CRNN line recognizer as an OCR backend: ``read_line`` (the :class:`.ocr.OCRBackend` protocol) and a
batched ``read_lines``. Loaded from a local model folder written by ``phiphantom recognizer train``
(:mod:`.crnn_model`); torch is the optional extra ``phiphantom[recognizer]``. Inference runs on the CPU
on torch's current thread count (callers that measure set it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .crnn_model import batch_tensor, for_inference, greedy_decode, line_array, load_model, require_torch
from .ocr import LineRead

BATCH_LINES = 64  # lines per forward pass (similar widths together: see read_lines)


class CRNNBackend:
    """A trained CRNN from ``model_dir``; never downloads anything."""

    name = "crnn"

    def __init__(self, model_dir: Path | str, batch_lines: int = BATCH_LINES) -> None:
        self.model_dir = Path(model_dir)
        self.batch_lines = max(1, batch_lines)
        network, self.config, self.charset = load_model(self.model_dir)
        self._network = for_inference(network)

    def read_line(self, image: np.ndarray) -> LineRead:
        return self.read_lines([image])[0]

    def read_lines(self, images: Sequence[np.ndarray]) -> list[LineRead]:
        """Reads of (h, w) or (h, w, 3) uint8 crops, in their order. Lines are batched by width (sorted, so
        a batch pads little) and each batch is padded to its widest line; a line's read does not depend
        on the others in its batch."""
        torch = require_torch()
        lines = [line_array(image, self.config) for image in images]
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
        reads: list[LineRead | None] = [None] * len(lines)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_lines):
                chunk = order[start:start + self.batch_lines]
                batch, steps = batch_tensor([lines[i] for i in chunk])
                log_probs = self._network(batch, steps).permute(1, 0, 2).numpy()  # (N, T, classes)
                for row, i in enumerate(chunk):
                    text, confidence = greedy_decode(log_probs[row], steps[row], self.charset)
                    reads[i] = LineRead(text, confidence)
        return [r if r is not None else LineRead("", 0.0) for r in reads]
