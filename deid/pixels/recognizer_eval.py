"""The CRNN line recognizer against the engine's Tesseract backend on the same labelled crops: character
and exact-line accuracy (overall, PHI vs clinical lines, per font technology, per style pack, per field
category: counts only, never text) and milliseconds per line: the model batched on torch's current thread
count, and one line at a time; Tesseract one line at a time, as the engine calls it (no cache).

``fallback``: what the design in issue 16 would get, the model's read kept when its confidence is at least
a threshold and Tesseract's read otherwise; its time is the model's batched time plus Tesseract's time on
the lines that fell back."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from phiphantom.core.ocr import LineRead, OCRBackend, TesseractBackend
from phiphantom.core.ocr_crnn import CRNNBackend

from .line_crops import LineCrop
from .recognizer_scores import Score, grouped, score

EVAL_FORMAT = "phiphantom.crnn-eval/1"
FALLBACK_THRESHOLDS = (50.0, 70.0, 80.0, 90.0, 95.0)


def _timed(read: Callable[[], list[LineRead]]) -> tuple[list[LineRead], float]:
    started = time.perf_counter()
    reads = read()
    return reads, time.perf_counter() - started


def one_at_a_time(backend: OCRBackend, crops: Sequence[LineCrop],
                  tick: Callable[[], None] | None = None) -> list[LineRead]:
    """Each crop read alone, in order (as the engine calls a backend)."""
    reads = []
    for crop in crops:
        reads.append(backend.read_line(crop.image))
        if tick is not None:
            tick()
    return reads


def _block(reads: Sequence[LineRead], crops: Sequence[LineCrop], seconds: float) -> dict[str, Any]:
    texts, labels = [r.text for r in reads], [c.text for c in crops]
    groups: dict[str, dict[str, Score]] = {
        "phi": grouped(texts, labels, ("phi" if c.phi else "clinical" for c in crops)),
        "font_kind": grouped(texts, labels, (c.font_kind for c in crops)),
        "style": grouped(texts, labels, (c.style for c in crops)),
        "category": grouped(texts, labels, (c.category or "(none)" for c in crops)),
    }
    return {**score(texts, labels).to_json(), "seconds": round(seconds, 3),
            "ms_per_line": round(1000.0 * seconds / max(1, len(crops)), 3),
            "by": {name: {k: v.to_json() for k, v in block.items()} for name, block in groups.items()}}


def evaluate(crops: Sequence[LineCrop], model_dir: Path, tesseract: bool = True,
             tick: Callable[[str], None] | None = None, runtime: str = "auto") -> dict[str, Any]:
    """The evaluation document (see the module's docstring). ``tick(stage)`` after each unit of work;
    ``runtime``: the model's (:data:`phiphantom.core.ocr_crnn.RUNTIMES`)."""
    model = CRNNBackend(model_dir, runtime=runtime)
    model.read_lines([c.image for c in crops[:8]])  # warm-up: the first call allocates
    batched, batched_s = _timed(lambda: model.read_lines([c.image for c in crops]))
    if tick is not None:
        tick("model")
    single, single_s = _timed(lambda: one_at_a_time(model, crops, (lambda: tick("model-single")) if tick else None))
    doc: dict[str, Any] = {"format": EVAL_FORMAT, "lines": len(crops), "files": len({c.screen for c in crops}),
                           "model_dir": str(model_dir), "runtime": model.runtime,
                           "model": _block(batched, crops, batched_s),
                           "model_one_at_a_time_ms_per_line": round(1000.0 * single_s / max(1, len(crops)), 3),
                           "model_batched_equals_single": sum(a.text == b.text for a, b in zip(batched, single,
                                                                                              strict=True))}
    if tesseract:
        ocr = TesseractBackend()
        ocr.read_line(crops[0].image) if crops else None  # warm-up
        tess, tess_s = _timed(lambda: one_at_a_time(ocr, crops, (lambda: tick("tesseract")) if tick else None))
        doc["tesseract"] = _block(tess, crops, tess_s)
        per_tess = tess_s / max(1, len(crops))
        labels = [c.text for c in crops]
        rows = []
        for threshold in FALLBACK_THRESHOLDS:
            chosen = [m if m.confidence >= threshold else t for m, t in zip(batched, tess, strict=True)]
            fell = sum(m.confidence < threshold for m in batched)
            seconds = batched_s + fell * per_tess
            rows.append({"threshold": threshold, "fallback_lines": fell, **score([r.text for r in chosen], labels)
                         .to_json(), "ms_per_line": round(1000.0 * seconds / max(1, len(crops)), 3)})
        doc["fallback"] = rows
    return doc
