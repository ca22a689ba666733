"""Accents above a redacted line and marks below it go with the line (deid/pixels/marks.py).

Real text rendered with DejaVu Sans at 14 px on a black screen; the line's box is the one the segmenter
finds; the fill is the engine's own ``redact``.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.deid.pixels.classify import Decision
from phiphantom.deid.pixels.detect import TextBox
from phiphantom.deid.pixels.marks import with_marks
from phiphantom.deid.pixels.text_find import segments_in, top_hat

from .helpers import load_font

REDACT = Decision(True, "header:PatientName", "name", 1.0)


def _scene(lines: list[tuple[str, int, int, int]], size: tuple[int, int] = (120, 360)) -> tuple[np.ndarray, np.ndarray]:
    """A (1, H, W) grey view with each (text, x, y, px) drawn in white; and the ink mask."""
    canvas = Image.new("L", (size[1], size[0]), 0)
    draw = ImageDraw.Draw(canvas)
    for text, x, y, px in lines:
        draw.text((x, y), text, fill=255, font=load_font("DejaVuSans", px))
    frame = np.asarray(canvas).copy()
    return frame[None], frame >= 128


def _line_box(view: np.ndarray, search: np.ndarray, y_range: tuple[int, int]) -> TextBox:
    """The widest segment the segmenter finds whose top lies in ``y_range``: the line's own box."""
    segs = [s for s in segments_in(top_hat(view[0]), search) if y_range[0] <= s.y0 < y_range[1]]
    seg = max(segs, key=lambda s: s.x1 - s.x0)
    return TextBox(seg.x0, seg.y0, seg.x1, seg.y1, 0, 1, REDACT, "")


def test_accents_above_capitals_are_inside_the_grown_box():
    view, ink = _scene([("KOLÁŘOVÁ-DOSTÁLOVÁ", 20, 30, 14)])
    search = np.ones(ink.shape, dtype=bool)
    box = _line_box(view, search, (20, 60))
    ys = np.nonzero(ink[:, box.x0:box.x1].any(axis=1))[0]
    assert ys.min() < box.y0, "the segmenter leaves the accents out (else this test proves nothing)"
    grown = with_marks(view, search, box)
    assert grown.y0 <= ys.min() and grown.y1 == box.y1 and (grown.x0, grown.x1) == (box.x0, box.x1)


def test_a_comma_and_a_cedilla_below_the_line_are_inside_the_grown_box():
    view, ink = _scene([("GONÇALVES, ANA", 20, 30, 14)])
    search = np.ones(ink.shape, dtype=bool)
    box = _line_box(view, search, (20, 60))
    ys = np.nonzero(ink[:, box.x0:box.x1].any(axis=1))[0]
    grown = with_marks(view, search, box)
    assert grown.y1 >= ys.max() + 1 and grown.y0 <= box.y0


def test_a_line_without_marks_is_left_as_it_is():
    view, ink = _scene([("KOLAROVA DOSTALOVA", 20, 30, 14)])
    search = np.ones(ink.shape, dtype=bool)
    box = _line_box(view, search, (20, 60))
    assert with_marks(view, search, box) == box


@pytest.mark.parametrize("gap", [3, 4])
def test_a_small_line_close_above_is_not_taken_for_marks(gap):
    """9 px text 3-4 rows above a 14 px line (closer, the segmenter joins them): more rows of ink than marks
    have, so it stays its own."""
    view, ink = _scene([("MI 0.7 TIS 0.4", 20, 0, 9), ("KOLAROVA DOSTALOVA", 20, 0, 14)])
    small = np.nonzero(_scene([("MI 0.7 TIS 0.4", 20, 0, 9)])[1].any(axis=1))[0]
    big_top = np.nonzero(_scene([("KOLAROVA DOSTALOVA", 20, 0, 14)])[1].any(axis=1))[0].min()
    shift = small.max() + 1 + gap - big_top
    view, ink = _scene([("MI 0.7 TIS 0.4", 20, 20, 9), ("KOLAROVA DOSTALOVA", 20, 20 + shift, 14)])
    search = np.ones(ink.shape, dtype=bool)
    box = _line_box(view, search, (20 + shift + big_top - 1, 200))
    assert with_marks(view, search, box).y0 == box.y0


def test_marks_over_the_image_are_not_filled():
    """The fill may not reach into the image: rows above the line that touch it stay."""
    view, ink = _scene([("KOLÁŘOVÁ-DOSTÁLOVÁ", 20, 30, 14)])
    search = np.ones(ink.shape, dtype=bool)
    box = _line_box(view, search, (20, 60))
    search[: box.y0, box.x0 + 10] = False  # one column of the image just above the line
    assert with_marks(view, search, box).y0 == box.y0


def test_the_engine_removes_the_accents_with_the_name(tmp_path):
    """End to end: a DICOM with an accented name in its header and its pixels, de-identified, read back."""
    from .helpers import deid_pixels, display_luma, image, reread, save

    ds = image("KOLÁŘOVÁ-DOSTÁLOVÁ^HORYMÍR", "P1", 1, charset="ISO_IR 192")
    ds.Rows, ds.Columns = 120, 400
    frame = np.zeros((120, 400), dtype=np.uint8)
    canvas = Image.fromarray(frame)
    ImageDraw.Draw(canvas).text((20, 12), "KOLÁŘOVÁ-DOSTÁLOVÁ HORYMÍR", fill=255, font=load_font("DejaVuSans", 14))
    ds.PixelData = np.asarray(canvas).astype(np.uint8).tobytes()
    path = save(ds, tmp_path / "in.dcm")
    out = display_luma(reread(deid_pixels(path, policy="balanced").dataset))
    assert (out[..., :40, :] > 60).sum() == 0, "ink of the name (letters or accents) is left on screen"
