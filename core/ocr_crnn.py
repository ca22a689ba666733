"""The CRNN line recognizer as an OCR backend: ``read_line`` (the :class:`.ocr.OCRBackend` protocol) and a
batched ``read_lines``. Loaded from a local model folder written by ``phiphantom recognizer train``
(:mod:`.crnn_model`), read by ONNX Runtime where the folder holds the network's ONNX graphs and onnxruntime is
installed (:mod:`.crnn_onnx`, the extra ``phiphantom[recognizer-runtime]``), else by torch (the extra
``phiphantom[recognizer]``). Inference runs on the CPU, on torch's current thread count, or for ONNX Runtime on
``OMP_NUM_THREADS`` threads (one when it is not set)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .crnn_model import (
    WEIGHTS_FILE,
    TorchReader,
    batch_array,
    check_model_folder,
    greedy_decode,
    line_array,
    load_config,
    width_batches,
)
from .crnn_onnx import OnnxReader, check_graphs, has_graphs, onnxruntime_available
from .ocr import LineRead

BATCH_LINES = 64  # lines per forward pass at most (similar widths together: see width_batches)
#: Lines the GRU reads in one packed call (its cost is per step, whatever the batch; one still has ~30 lines)
GRU_LINES = 256


#: Which runtime reads: ``auto`` takes ONNX Runtime when the folder has its graphs and onnxruntime is installed,
#: else torch
RUNTIMES = ("auto", "onnxruntime", "torch")


def check_folder(folder: Path, runtime: str) -> None:
    """:class:`OCRUnavailable` unless ``folder`` holds the configuration, the charset and what ``runtime`` (a
    resolved one: :func:`choose_runtime`) reads: the weights for torch, the ONNX graphs for ONNX Runtime."""
    if runtime == "onnxruntime":
        check_model_folder(folder, ())
        check_graphs(folder)
    else:
        check_model_folder(folder, (WEIGHTS_FILE,))


def choose_runtime(folder: Path, runtime: str = "auto") -> str:
    """The runtime ``runtime`` resolves to for ``folder`` (see RUNTIMES)."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown recognizer runtime {runtime!r} (one of {', '.join(RUNTIMES)})")
    if runtime == "auto":
        return "onnxruntime" if has_graphs(folder) and onnxruntime_available() else "torch"
    return runtime


class CRNNBackend:
    """A trained CRNN from ``model_dir``; never downloads anything. ``runtime``: see RUNTIMES; the two
    read the same text (tests/test_recognizer_model.py), ONNX Runtime faster and without torch."""

    name = "crnn"

    def __init__(self, model_dir: Path | str, batch_lines: int = BATCH_LINES, spread: float | None = None,
                 runtime: str = "auto") -> None:
        self.model_dir = Path(model_dir)
        self.batch_lines = max(1, batch_lines)
        self.runtime = choose_runtime(self.model_dir, runtime)
        check_folder(self.model_dir, self.runtime)
        self.config, self.charset = load_config(self.model_dir)
        self._reader: TorchReader | OnnxReader = (
            OnnxReader(self.model_dir) if self.runtime == "onnxruntime" else TorchReader(self.model_dir))
        self.spread = max(1.0, spread if spread is not None else self._reader.batch_spread)

    def read_line(self, image: np.ndarray) -> LineRead:
        return self.read_lines([image])[0]

    def read_lines(self, images: Sequence[np.ndarray]) -> list[LineRead]:
        """Reads of (h, w) or (h, w, 3) uint8 crops, in their order. Lines are batched by width
        (:func:`width_batches`) and each batch is padded to its widest line; a line's read does not depend
        on the others in its batch."""
        lines = [line_array(image, self.config) for image in images]
        sequences: list[np.ndarray] = [np.empty(0)] * len(lines)
        for chunk in width_batches([line.shape[1] for line in lines], self.batch_lines, self.spread):
            batch, steps = batch_array([lines[i] for i in chunk], self._reader.width_step)
            columns = self._reader.columns(batch)  # (T, N, features)
            for row, i in enumerate(chunk):
                sequences[i] = columns[:steps[row], row]
        reads: list[LineRead] = []
        for start in range(0, len(lines), GRU_LINES):
            for log_probs in self._reader.log_probs(sequences[start:start + GRU_LINES]):
                reads.append(LineRead(*greedy_decode(log_probs, len(log_probs), self.charset)))
        return reads
