"""A redacted line carried across the fan edge: real text rendered over real-looking speckle."""

from __future__ import annotations

import numpy as np
import pytest

from phiphantom.deid.pixels.line_extend import extend_into_image, image_beside

from .helpers import FAN_X, found_part, line_scene


def test_a_line_running_into_the_fan_is_carried_to_its_end_and_no_further():
    frame, image, alpha = line_scene("Hospital Universitario San Carlos", 100, 50)
    x0, y0, x1, y1 = found_part(alpha)
    ink_end = int(np.nonzero(alpha.any(axis=0))[0].max()) + 1
    assert ink_end > FAN_X + 60, "the scene must put a good part of the line over the speckle"
    new_x0, new_x1 = extend_into_image(frame, image, x0, y0, x1, y1)
    assert new_x0 == x0
    assert ink_end - 2 <= new_x1 <= ink_end + 2 * (y1 - y0), (new_x1, ink_end)


def test_a_line_whose_start_lies_on_the_fan_is_carried_back_to_its_start():
    # the scene mirrored: the fan on the left, the line's end on the screen black (its part the segmenter found)
    frame, image, alpha = (np.ascontiguousarray(a[:, ::-1])
                           for a in line_scene("Hospital Universitario San Carlos", 100, 50))
    edge = frame.shape[1] - FAN_X  # columns before this are ultrasound image
    ys, xs = np.nonzero(alpha[:, edge + 3:])
    x0, y0, x1, y1 = int(xs.min()) + edge + 3, int(ys.min()), int(xs.max()) + 1 + edge + 3, int(ys.max()) + 1
    ink_start = int(np.nonzero(alpha.any(axis=0))[0].min())
    assert ink_start < edge - 60, "the scene must put a good part of the line over the speckle"
    new_x0, new_x1 = extend_into_image(frame, image, x0, y0, x1, y1)
    assert new_x1 == x1
    assert ink_start - 2 * (y1 - y0) <= new_x0 <= ink_start + 2, (new_x0, ink_start)


def test_speckle_alone_does_not_pull_a_box_into_the_image():
    frame, image, alpha = line_scene("Szpital", 120, 50)  # ends well before the fan
    x0, y0, x1, y1 = found_part(alpha)
    assert x1 < FAN_X - 10
    shifted = x1 + (FAN_X - 8 - x1)  # pretend the word ended right at the fan's edge
    new_x0, new_x1 = extend_into_image(frame, image, x0, y0, shifted, y1)
    assert (new_x0, new_x1) == (x0, shifted)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_walk_crosses_word_gaps_but_stops_at_the_end_of_the_line(seed):
    frame, image, alpha = line_scene("ID 4471 Ward B", 150, 40, seed)
    x0, y0, x1, y1 = found_part(alpha)
    ink_end = int(np.nonzero(alpha.any(axis=0))[0].max()) + 1
    _, new_x1 = extend_into_image(frame, image, x0, y0, x1, y1)
    assert ink_end - 2 <= new_x1 <= ink_end + 2 * (y1 - y0)


def test_only_boxes_read_as_words_are_carried():
    from phiphantom.deid.pixels.classify import Decision
    from phiphantom.deid.pixels.clean import read_as_text
    from phiphantom.deid.pixels.detect import TextBox

    word = TextBox(10, 10, 60, 22, 0, 1, Decision(True, "header:InstitutionName", "phi"), "Szpital")
    assert read_as_text(word)
    for reason, text, x1 in (("unreadable", "Szpital", 60), ("strict", "O", 60), ("strict", "Szpital", 25)):
        box = TextBox(10, 10, x1, 22, 0, 1, Decision(True, reason, "text"), text)
        assert not read_as_text(box), (reason, text, x1)
    kept = TextBox(10, 10, 60, 22, 0, 1, Decision(False, "allowlist", "clinical"), "Lung")
    assert not read_as_text(kept)


def test_image_beside_tells_each_end_of_a_line_apart_within_its_reach():
    image = np.zeros((30, 100), dtype=bool)
    image[10:20, 70:100] = True  # the fan, right of a line on columns 20-49 ([20, 50))
    assert image_beside(image, 20, 10, 50, 20, 21) == (False, True)   # columns 50-70 reach the fan's first
    assert image_beside(image, 20, 10, 50, 20, 20) == (False, False)  # columns 50-69: one short of it
    assert image_beside(image, 20, 0, 50, 10, 40) == (False, False)   # other rows: not beside this line
    image[12, 0] = True  # the frame's first column, before the line
    assert image_beside(image, 20, 10, 50, 20, 20) == (True, False)   # columns 0-19
    assert image_beside(image, 20, 10, 50, 20, 19) == (False, False)  # columns 1-19
    assert image_beside(image, 80, 10, 95, 20, 200) == (True, True)   # reaches clipped at the frame's edges
