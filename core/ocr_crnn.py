"""The CRNN line recognizer as an OCR backend: ``read_line`` (the :class:`.ocr.OCRBackend` protocol) and a
batched ``read_lines``. Loaded from a local model folder written by ``phiphantom recognizer train``
(:mod:`.crnn_model`); torch is the optional extra ``phiphantom[recognizer]``. Inference runs on the CPU
on torch's current thread count (callers that measure set it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .crnn_model import batch_tensor, for_inference, greedy_decode, line_array, load_model, require_torch
from .ocr import LineRead

BATCH_LINES = 64  # lines per forward pass at most (similar widths together: see width_batches)
#: A batch's widest line at most this many times its narrowest (sorted by width, a new batch starts when the
#: next line is wider): every line is padded to its batch's widest, and one still's lines span 20-600
#: columns, so one batch for all of them would mostly compute padding
WIDTH_SPREAD = 1.5
#: Batch widths are rounded up to a multiple of SHAPE_WIDTH_STEP columns: torch's CPU convolutions prepare
#: each new input shape once, which costs about as much as the convolution itself (7 lines 100 columns:
#: 3.4 ms new, 1.8 ms again), and a still's batches would otherwise nearly all be new shapes (60 stills:
#: 31 -> 25 ms a file in the engine; rounding the line count up to a power of two too gained nothing)
SHAPE_WIDTH_STEP = 32
#: Lines the GRU reads in one packed call (its cost is per step, whatever the batch; one still has ~30 lines)
GRU_LINES = 256


def width_batches(widths: Sequence[int], batch_lines: int = BATCH_LINES,
                  spread: float = WIDTH_SPREAD) -> list[list[int]]:
    """Indices of ``widths`` in batches of similar width: sorted, at most ``batch_lines`` a batch, the
    widest at most ``spread`` times the narrowest."""
    batches: list[list[int]] = []
    for i in sorted(range(len(widths)), key=lambda i: widths[i]):
        if batches and len(batches[-1]) < batch_lines and widths[i] <= spread * widths[batches[-1][0]]:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


class CRNNBackend:
    """A trained CRNN from ``model_dir``; never downloads anything."""

    name = "crnn"

    def __init__(self, model_dir: Path | str, batch_lines: int = BATCH_LINES, spread: float = WIDTH_SPREAD) -> None:
        self.model_dir = Path(model_dir)
        self.batch_lines = max(1, batch_lines)
        self.spread = max(1.0, spread)
        network, self.config, self.charset = load_model(self.model_dir)
        self._network = for_inference(network)

    def read_line(self, image: np.ndarray) -> LineRead:
        return self.read_lines([image])[0]

    def read_lines(self, images: Sequence[np.ndarray]) -> list[LineRead]:
        """Reads of (h, w) or (h, w, 3) uint8 crops, in their order. Lines are batched by width
        (:func:`width_batches`) and each batch is padded to its widest line; a line's read does not depend
        on the others in its batch."""
        torch = require_torch()
        lines = [line_array(image, self.config) for image in images]
        reads: list[LineRead] = []
        with torch.inference_mode():
            sequences: list[Any] = [None] * len(lines)
            for chunk in width_batches([line.shape[1] for line in lines], self.batch_lines, self.spread):
                batch, steps = batch_tensor([lines[i] for i in chunk], SHAPE_WIDTH_STEP)
                columns = self._network.columns(batch)  # (T, N, features)
                for row, i in enumerate(chunk):
                    sequences[i] = columns[:steps[row], row]
            for start in range(0, len(lines), GRU_LINES):
                for log_probs in self._network.read_columns(sequences[start:start + GRU_LINES]):
                    reads.append(LineRead(*greedy_decode(log_probs.numpy(), len(log_probs), self.charset)))
        return reads
