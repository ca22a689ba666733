"""Each pre-burn safety check fires on the problem it guards against (and stays quiet otherwise)."""

from __future__ import annotations

import numpy as np

from phiphantom.synth.layouts import Block, Style, place
from phiphantom.synth.overlay_content import TextLine, static_run
from phiphantom.synth.safety import check_boxes

WHITE = Style("DejaVuSans", 14, True, "white", (255, 255, 255))


def _boxes(text="DOE, JOHN", x=10, y=10, style=WHITE, category="name"):
    return place(Block("top_left", [TextLine([static_run(category, text, 1, "DOE^JOHN")])], x, y, style))


def _problems(boxes, background=None):
    bg = np.zeros((1, 120, 200), dtype=np.uint8) if background is None else background
    return check_boxes(boxes, bg)[0]


def test_clean_text_passes_and_contrast_is_measured():
    boxes = _boxes()
    problems, contrasts = check_boxes(boxes, np.zeros((1, 120, 200), dtype=np.uint8))
    assert problems == [] and contrasts == [1.0]


def test_outside_the_frame():
    assert any("outside the frame" in p for p in _problems(_boxes(x=150)))


def test_overlapping_or_touching_boxes():
    a, b = _boxes(x=10), _boxes(text="1234567", x=12, category="patient_id")
    assert any("overlap" in p for p in _problems(a + b))
    dx = _boxes(text="1234567", x=0)[0].x0  # ink offset from the text origin
    gap2 = _boxes(text="1234567", x=a[0].x1 + 2 - dx, category="patient_id")
    gap1 = _boxes(text="1234567", x=a[0].x1 + 1 - dx, category="patient_id")
    assert gap2[0].x0 == a[0].x1 + 2 and _problems(a + gap2) == []  # a free 1-px ring around each box
    assert any("touch" in p for p in _problems(a + gap1))


def test_bright_background_under_text():
    bg = np.full((1, 120, 200), 180, dtype=np.uint8)
    assert any("too bright" in p for p in _problems(_boxes(), bg))


def test_low_contrast():
    dim = Style("DejaVuSans", 14, True, "dim-grey", (30, 30, 30), low_contrast=True)
    assert any("contrast" in p for p in _problems(_boxes(style=dim)))


def test_missing_glyphs_are_tofu():
    assert any("missing from font" in p for p in _problems(_boxes(text="王小明")))


def test_drawn_text_must_equal_ground_truth():
    (box,) = _boxes()
    forged = type(box)(box.run, type(box.state)("DOE, JANE", box.state.phi_value, 0, 1), box.glyphs,
                       box.x0, box.y0, box.style, box.region, box.over_image)
    assert any("differs from the ground-truth" in p for p in _problems([forged]))


def test_text_off_the_image_must_not_touch_image_pixels():
    boxes = _boxes()
    mask = np.zeros((120, 200), dtype=bool)
    assert check_boxes(boxes, np.zeros((1, 120, 200), dtype=np.uint8), mask)[0] == []
    mask[boxes[0].y0 + 3, boxes[0].x1 - 3:] = True  # a fan edge reaching under the last glyph
    problems = check_boxes(boxes, np.zeros((1, 120, 200), np.uint8), mask)[0]
    assert any("touches the ultrasound image" in p for p in problems)
