"""``hard`` mode: a header value whose line runs on over the fan is redacted to its known length."""

from __future__ import annotations

import numpy as np

from phiphantom.deid.pixels.classify import Decision, HeaderValues
from phiphantom.deid.pixels.detect import TextBox
from phiphantom.deid.pixels.header_extent import extend_by_header

from .helpers import FAN_X, found_part, line_scene

VALUE = "Ospedale di Verona"


def _header() -> HeaderValues:
    hv = HeaderValues()
    hv.full["InstitutionName"] = [VALUE]
    return hv


def _box(alpha: np.ndarray, reason: str, text: str) -> TextBox:
    x0, y0, x1, y1 = found_part(alpha)
    return TextBox(x0, y0, x1, y1, 0, 1, Decision(True, reason, "phi"), text)


def test_the_unread_rest_of_a_header_value_is_redacted_over_the_image():
    frame, image, alpha = line_scene(VALUE, 120, 50)
    ink_end = int(np.nonzero(alpha.any(axis=0))[0].max()) + 1
    assert ink_end > FAN_X + 30, "part of the value must be drawn over the speckle"
    read = "Ospedale di"  # what OCR reads left of the fan
    box = _box(alpha, "header:InstitutionName", read)
    (out,) = extend_by_header([box], _header(), image, frame.shape[1])
    assert out.decision.reason == "header:InstitutionName+header-extent"
    per_char = (box.x1 - box.x0) / len(read)
    assert ink_end <= out.x1 <= ink_end + 4 * per_char, (out.x1, ink_end)
    assert (out.x0, out.y0, out.y1) == (box.x0, box.y0, box.y1)


def test_text_to_the_left_of_the_fan_is_extended_leftwards():
    # mirror the scene: the fan on the left, the line ending on black
    frame, image, alpha = line_scene(VALUE, 120, 50)
    frame, image, alpha = frame[:, ::-1], image[:, ::-1], alpha[:, ::-1]
    xs = np.nonzero(alpha.any(axis=0))[0]
    width = frame.shape[1]
    visible = alpha.copy()
    visible[:, :width - FAN_X + 3] = False   # what was found: the ink on black only
    ys, vx = np.nonzero(visible)
    box = TextBox(int(vx.min()), int(ys.min()), int(vx.max()) + 1, int(ys.max()) + 1, 0, 1,
                  Decision(True, "header:InstitutionName", "phi"), "di Verona")
    (out,) = extend_by_header([box], _header(), image, width)
    assert out.x1 == box.x1 and out.x0 <= int(xs.min())


def test_no_header_match_or_no_image_next_to_the_line_means_no_extension():
    frame, image, alpha = line_scene(VALUE, 120, 50)
    strict = _box(alpha, "strict", "Ospedale di")
    assert extend_by_header([strict], _header(), image, frame.shape[1]) == [strict]
    far = TextBox(10, 50, 60, 62, 0, 1, Decision(True, "header:InstitutionName", "phi"), "Ospedale")
    assert extend_by_header([far], _header(), image, frame.shape[1]) == [far]
    whole = _box(alpha, "header:InstitutionName", VALUE)  # everything was read: nothing left to add
    assert extend_by_header([whole], _header(), image, frame.shape[1]) == [whole]


def test_words_of_one_line_are_one_value():
    frame, image, alpha = line_scene("Ziekenhuis Baarle-Nassau", 20, 50)
    hv = HeaderValues()
    hv.full["InstitutionName"] = ["Ziekenhuis Baarle-Nassau"]
    x0, y0, x1, y1 = found_part(alpha)
    first = TextBox(x0, y0, x0 + 70, y1, 0, 1, Decision(True, "header:InstitutionName", "phi"), "Ziekenhuis")
    second = TextBox(x0 + 76, y0, x1, y1, 0, 1, Decision(True, "strict", "text"), "Baarle-")
    out = extend_by_header([first, second], hv, image, frame.shape[1])
    ink_end = int(np.nonzero(alpha.any(axis=0))[0].max()) + 1
    assert out[0] == first and out[1].x0 == second.x0 and out[1].x1 >= ink_end
    assert out[1].decision.reason == "strict+header-extent"
