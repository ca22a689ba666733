"""Verification finds text again after a redaction; what the redaction left unchanged is not found again
(:class:`phiphantom.deid.pixels.detect.Found`): a changing region with the same pixels keeps its boxes without
being read, and one whose pixels changed is read and decided again, exactly as a first detection would.
Real text drawn with DejaVu Sans, read by real Tesseract."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.core.ocr import CachingOCR
from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.detect import Found, TextBox, detect_text
from phiphantom.synth.fonts import load_font

from .helpers import CountingTesseract


def _clip(changing: str = "10:23:4{t}") -> np.ndarray:
    """Eight frames: a static label and a changing text (``t``: the frame), a clock by default."""
    font = load_font("DejaVuSans", 15)
    view = np.zeros((8, 60, 420), dtype=np.uint8)
    for t in range(8):
        canvas = Image.new("L", (420, 60), 0)
        draw = ImageDraw.Draw(canvas)
        draw.text((20, 20), changing.format(t=t, n=t + 1), fill=230, font=font)
        draw.text((260, 20), "Gain 52 dB", fill=230, font=font)
        view[t] = np.asarray(canvas)
    return view


def _detect(view: np.ndarray, policy: str, found: Found | None) -> tuple[list[TextBox], int]:
    backend = CountingTesseract()
    classifier = Classifier(HeaderValues(), policy, frames=view.shape[0])
    boxes = detect_text(view, np.ones(view.shape[1:], dtype=bool), classifier, CachingOCR(backend), found=found)
    return boxes, backend.reads


@pytest.mark.parametrize("policy", ["balanced", "strict"])
def test_a_changing_region_found_again_unchanged_keeps_its_boxes_unread(policy):
    view = _clip()
    found = Found()
    first, first_reads = _detect(view, policy, found)
    assert found.regions and any(b.frame_end - b.frame_start < 8 or b.x1 < 200 for b in first if b.x0 < 200)
    again, again_reads = _detect(view, policy, found)  # a fresh OCR cache: only the static label is read
    assert again == first
    fresh_reads = _detect(view, policy, Found())[1]
    assert again_reads < fresh_reads == first_reads


@pytest.mark.parametrize("policy", ["balanced", "strict"])
def test_a_changing_region_whose_pixels_changed_is_found_again_as_a_first_detection_finds_it(policy):
    """A frame counter ("4/8": kept on each state's frames) whose digit is erased on two frames: the same
    changing region, other pixels, so its states are read again."""
    view = _clip("{n}/8")
    found = Found()
    first, _ = _detect(view, policy, found)
    regions = set(found.regions)
    changed = view.copy()
    changed[3:5, 15:40, 21:29] = 0  # the changing digit erased on frames 3 and 4
    again, _ = _detect(changed, policy, found)
    assert set(found.regions) == regions  # the same region, found again
    assert again == _detect(changed, policy, Found())[0]
    assert again != first  # what frames 3 and 4 show now was read, not taken from the first detection
