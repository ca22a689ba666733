"""A clock's changing digit on a background that is not plain, right after its static digits
(deid/pixels/detect.py ``has_text``, ``beside_text``).

At 10 px in a JPEG clip the tenths of "10:50:49.0" sit at the frame's edge among the codec's ringing and the
minimum over frames of the digits 0-4; the few pixels around them were "not plain", so the changing digit
was taken for speckle and left on every frame while the static "10:50:49." was removed. Beside static text
of its own line a changing region is text (issue 15).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from phiphantom.core.ocr import CachingOCR, TesseractBackend
from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.detect import beside_text, detect_text, dynamic_regions, has_text
from phiphantom.deid.pixels.text_find import find_segments

from .helpers import load_font


def _clock(frames: int = 5, texture: bool = True) -> np.ndarray:
    """(T, 40, 200): "10:50:49.t" in 15 px grey 230 on black; right of x = 60 a fixed texture (grey 8-60,
    the same on every frame) makes the background around the tenths anything but plain."""
    rng = np.random.default_rng(3)
    noise = rng.integers(8, 60, size=(40, 140), dtype=np.uint8)
    view = np.zeros((frames, 40, 200), dtype=np.uint8)
    for t in range(frames):
        canvas = Image.new("L", (200, 40), 0)
        ImageDraw.Draw(canvas).text((10, 12), f"10:50:49.{t}", fill=230, font=load_font("DejaVuSans", 15))
        frame = np.asarray(canvas).copy()
        if texture:
            frame[:, 60:] = np.maximum(frame[:, 60:], noise)
        view[t] = frame
    return view


def test_a_changing_digit_beside_static_text_is_text_on_a_textured_background():
    view = _clock()
    search = np.ones(view.shape[1:], dtype=bool)
    regions = dynamic_regions(view, search)
    assert regions, "the tenths change: there is a changing region"
    static = find_segments(view.min(axis=0), search)
    assert all(not has_text(view, search, r) for r in regions), "not plain: without its line it is speckle"
    assert any(has_text(view, search, r, static) for r in regions)


def test_the_whole_clock_is_removed_on_every_frame():
    view = _clock()
    search = np.ones(view.shape[1:], dtype=bool)
    classifier = Classifier(HeaderValues(), "balanced", frames=view.shape[0])
    boxes = [b for b in detect_text(view, search, classifier, CachingOCR(TesseractBackend())) if b.decision.redact]
    ink = np.flatnonzero((view >= 128).any(axis=(0, 1)))
    covered = np.zeros(view.shape[2], dtype=bool)
    for b in boxes:
        if (b.frame_start, b.frame_end) == (0, view.shape[0]):
            covered[b.x0:b.x1] = True
    assert covered[ink].all(), "a digit of the clock is left on some frame"


def test_only_static_text_of_the_same_line_touching_the_region_counts():
    seg = find_segments(_clock(texture=False).min(axis=0), np.ones((40, 200), dtype=bool))
    assert seg, "the static digits are a segment"
    (x0, y0, x1, y1), h = (seg[0].x0, seg[0].y0, seg[0].x1, seg[0].y1), seg[0].height
    assert beside_text((x1 - 2, y0, x1 + 10, y1), seg)                      # overlapping it
    assert beside_text((x1 + h // 2, y0, x1 + h, y1), seg)                  # half its height away
    assert not beside_text((x1 + h, y0, x1 + 2 * h, y1), seg)               # farther: speckle, not its line
    assert not beside_text((x0, y1 + 2, x1, y1 + 2 + (y1 - y0)), seg)       # the line below
    assert not beside_text((x1, y0, x1 + 10, y1), [])
