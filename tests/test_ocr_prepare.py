"""OCR line preparation: which crops are inverted to dark-on-light (the median decides)."""

from __future__ import annotations

import numpy as np

from phiphantom.core.ocr import prepare_line_array


def _prepared_centre(crop: np.ndarray) -> np.ndarray:
    # no upscaling below a 4 px target, no Otsu: the crop's own grey levels inside the white border
    out = prepare_line_array(crop, target_height=1, border=3, binarise=False)
    return out[3:-3, 3:-3]


def test_light_text_on_dark_is_inverted_and_dark_on_light_kept():
    dark = np.full((4, 9), 10, np.uint8)
    dark[1:3, 2:7] = 240
    assert _prepared_centre(dark)[0, 0] == 245 and _prepared_centre(dark)[1, 2] == 15
    light = 255 - dark
    assert np.array_equal(_prepared_centre(light), light)


def test_median_of_an_even_crop_is_the_mean_of_the_middle_two():
    # half the pixels 100, half 150: the median is 125 (< 128), so the crop is inverted
    crop = np.array([[100, 150, 100, 150]], np.uint8)
    assert _prepared_centre(crop).tolist() == [[155, 105, 155, 105]]
    # 100 and 160: the median 130 is not below 128: kept as it is
    crop = np.array([[100, 160, 100, 160]], np.uint8)
    assert _prepared_centre(crop).tolist() == [[100, 160, 100, 160]]


def test_median_of_an_odd_crop_is_the_middle_value():
    assert _prepared_centre(np.array([[127, 127, 200]], np.uint8)).tolist() == [[128, 128, 55]]
    assert _prepared_centre(np.array([[128, 128, 20]], np.uint8)).tolist() == [[128, 128, 20]]
