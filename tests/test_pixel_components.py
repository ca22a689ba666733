"""The faster forms of four pixel steps against what they replaced: connected components with 16-bit
labels (and the fall-back to 32-bit), neighbourhood shares counted in 8-bit integers against a blurred float
copy, the plain background judged on each header region's grown crop against the whole frame, and the
YBR_FULL -> RGB conversion a few frames at a time against pydicom's."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pydicom.pixels import convert_color_space

from phiphantom.deid.pixels.components import MAX_16BIT_INK, components
from phiphantom.deid.pixels.frames import ybr_full_to_rgb
from phiphantom.deid.pixels.image_area import (
    PLATE_FLAT_STD,
    background_frames,
    plain_inside,
    plain_pixels,
    share_at_least,
)
from phiphantom.synth.fonts import load_font


def _random_mask(seed: int, shape: tuple[int, int] = (240, 320), density: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = (rng.random(shape) < density).astype(np.uint8)
    return cv2.dilate(mask, np.ones((2, 2), np.uint8)) if seed % 2 else mask


@pytest.mark.parametrize("seed", range(6))
def test_components_equal_opencvs_32_bit_labelling(seed: int) -> None:
    mask = _random_mask(seed)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    got_count, got_labels, got_stats = components(mask)
    assert got_labels.dtype == np.uint16
    assert got_count == count
    assert np.array_equal(got_labels, labels)
    assert np.array_equal(got_stats, stats)


def test_components_fall_back_to_32_bit_labels_when_16_bits_could_overflow() -> None:
    mask = np.zeros((600, 600), np.uint8)
    mask[::2, ::2] = 1  # 90,000 isolated pixels: more components than 16 bits can label
    assert int(mask.sum()) > MAX_16BIT_INK
    count, labels, stats = components(mask)
    assert labels.dtype == np.int32
    assert count == 90_001
    assert np.array_equal(labels, cv2.connectedComponentsWithStats(mask, connectivity=8)[1])


@pytest.mark.parametrize(("size", "share"), [(15, 0.35), (15, 0.25), (5, 0.2), (3, 1.0)])
def test_share_at_least_equals_blurring_a_float_copy(size: int, share: float) -> None:
    for seed in range(4):
        mask = _random_mask(seed, density=0.3).astype(bool)
        blurred = cv2.blur(mask.astype(np.float32), (size, size))
        assert np.array_equal(share_at_least(mask, size, share), blurred >= share)


def test_share_at_least_refuses_counts_beyond_8_bits() -> None:
    with pytest.raises(ValueError, match="255"):
        share_at_least(np.zeros((40, 40), bool), 17, 0.5)


def _screen_with_plate(seed: int) -> np.ndarray:
    """A (T, H, W) clip: speckle in a rectangle, a grey plate with text in its corner, black elsewhere."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(3):
        image = Image.new("L", (320, 240), 0)
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, 110, 40), fill=70)
        draw.text((6, 8), "Gain 54 dB", fill=230, font=load_font("DejaVuSans", 14))
        frame = np.asarray(image).copy()
        frame[60:220, 80:300] = rng.integers(20, 200, (160, 220))
        frames.append(frame)
    return np.stack(frames)


@pytest.mark.parametrize("regions", [((40, 30, 310, 230),), ((0, 0, 200, 120), (150, 100, 320, 240)),
                                     ((0, 0, 320, 240 - 20),)])
def test_plain_inside_the_regions_equals_the_whole_frame_judgement(regions) -> None:
    stack = _screen_with_plate(len(regions))
    flat = plain_pixels(stack[background_frames(len(stack))].min(axis=0), flat_std=PLATE_FLAT_STD)
    whole = cv2.dilate(share_at_least(flat, 15, 0.25).astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool)
    inside = np.zeros(whole.shape, bool)
    for x0, y0, x1, y1 in regions:
        inside[y0:y1, x0:x1] = True
    got = plain_inside(stack, regions)
    assert np.array_equal(got[inside], whole[inside])
    assert not got[~inside].any()
    assert got[inside].any() and not got[inside].all()  # the test sees both answers




@pytest.mark.parametrize("shape", [(20, 48, 64, 3), (1, 480, 640, 3), (480, 640, 3), (3, 600, 800, 3)])
def test_ybr_full_to_rgb_gives_pydicoms_bytes(shape: tuple[int, ...]) -> None:
    ybr = np.random.default_rng(len(shape)).integers(0, 256, shape, dtype=np.uint8)
    assert np.array_equal(ybr_full_to_rgb(ybr), convert_color_space(ybr, "YBR_FULL", "RGB"))
