"""Settings of the pixel part (kept apart so that header-only runs never load the pixel stack)."""

from __future__ import annotations

import math
from dataclasses import dataclass

POLICIES = ("strict", "balanced")
#: The range of a line's score, so of an explicit threshold (``PixelConfig.threshold``, ``--threshold``)
THRESHOLD_RANGE = (-1.0, 1.0)


def check_threshold(value: object) -> float | None:
    """``value`` as a float in [-1, 1] (``None`` stays ``None``: the policy's default); ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"the threshold must be a number from -1 to 1, not {type(value).__name__}")
    lo, hi = THRESHOLD_RANGE
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ValueError(f"the threshold must be a number from -1 to 1 (got {value!r})")
    return float(value)


@dataclass(frozen=True)
class PixelConfig:
    policy: str = "strict"        # strict | balanced
    margin: int = 2               # pixels added around every redacted box
    ocr: str = "tesseract"        # tesseract | rapidocr | easyocr | crnn:DIR (a recognizer model folder)
    verify: bool = True
    ner_model: str | None = None  # a local token-classification model folder (optional)
    hard: bool = False            # also finish header values whose line runs on over the image (header_extent)
    all_modalities: bool = False  # the full (ultrasound screen) search on every file, not only screens (modality.py)
    threshold: float | None = None  # a line is redacted when its score (in [-1, 1]) reaches it; None: the policy's

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_threshold(self.threshold))  # 0 -> 0.0: one repr per value

    @property
    def label(self) -> str:
        """How the pixels are cleaned, for summaries and the audit: ``strict``, ``balanced, threshold 0.35, hard``..."""
        return (self.policy + ("" if self.threshold is None else f", threshold {self.threshold:g}")
                + (", hard" if self.hard else "") + (", all modalities" if self.all_modalities else ""))
