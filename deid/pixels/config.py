"""Settings of the pixel part (kept apart so that header-only runs never load the pixel stack)."""

from __future__ import annotations

from dataclasses import dataclass

POLICIES = ("strict", "balanced")


@dataclass(frozen=True)
class PixelConfig:
    policy: str = "strict"        # strict | balanced
    margin: int = 2               # pixels added around every redacted box
    ocr: str = "tesseract"        # tesseract | rapidocr | easyocr
    verify: bool = True
    ner_model: str | None = None  # a local token-classification model folder (optional)
    hard: bool = False            # also finish header values whose line runs on over the image (header_extent)
    all_modalities: bool = False  # the full (ultrasound screen) search on every file, not only screens (modality.py)

    @property
    def label(self) -> str:
        """How the pixels are cleaned, for summaries and the audit: ``strict``, ``balanced, hard``..."""
        return self.policy + (", hard" if self.hard else "") + (", all modalities" if self.all_modalities else "")
