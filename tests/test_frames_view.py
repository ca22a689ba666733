"""The grey detection view is computed a few frames at a time; it must equal the plain whole-array formulas."""

from __future__ import annotations

import numpy as np

from phiphantom.deid.pixels.frames import ybr_to_view
from phiphantom.deid.pixels.text_find import CHUNK_PIXELS, channel_max, frame_chunks


def _float_view(ybr: np.ndarray) -> np.ndarray:
    """Brightest RGB channel of YCbCr (PS3.3 C.7.6.3.1.2 coefficients), converted in floating point."""
    y = ybr[..., 0].astype(np.float32)
    cb = ybr[..., 1].astype(np.float32) - 128.0
    cr = ybr[..., 2].astype(np.float32) - 128.0
    rgb = (y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb)
    return np.clip(np.maximum(np.maximum(rgb[0], rgb[1]), rgb[2]), 0, 255).astype(np.uint8)


def test_ybr_view_equals_the_floating_point_conversion_for_every_colour():
    cb, cr = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    for y in range(0, 256, 5):  # every (Cb, Cr) pair at 52 luma levels, edges 0 and 255 included
        ybr = np.stack([np.full_like(cb, y), cb, cr], axis=-1).astype(np.uint8)[None]
        assert np.array_equal(ybr_to_view(ybr), _float_view(ybr)), f"Y={y}"


def test_views_of_many_frames_span_several_chunks_and_match():
    rng = np.random.default_rng(5)
    frames = 3 * (CHUNK_PIXELS // (64 * 80)) + 7  # three full chunks and a partial one
    assert len(frame_chunks((frames, 64, 80, 3))) == 4
    colour = rng.integers(0, 256, size=(frames, 64, 80, 3), dtype=np.uint8)
    assert np.array_equal(channel_max(colour), colour.max(axis=-1))
    assert np.array_equal(channel_max(colour[0]), colour[0].max(axis=-1))  # one frame, no chunking
    assert np.array_equal(ybr_to_view(colour), _float_view(colour))
