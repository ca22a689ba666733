"""Rasterise text to tight alpha masks and composite it onto frames.

A rendered text is a :class:`Glyphs`: the alpha mask cropped to the ink actually
drawn (``alpha > 0``) and the offset of that ink from the text origin. Ground
truth boxes are these ink extents, so they are exact by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .fonts import face_name, get_face


@dataclass(frozen=True)
class Glyphs:
    """Tight ink of one text: ``alpha[y, x]`` (uint8) and its offset from the text origin."""

    text: str
    alpha: np.ndarray
    dx: int
    dy: int

    @property
    def width(self) -> int:
        return int(self.alpha.shape[1])

    @property
    def height(self) -> int:
        return int(self.alpha.shape[0])


class EmptyInkError(ValueError):
    """The text produced no ink at all (empty string, or only unsupported glyphs)."""


@lru_cache(maxsize=4096)
def rasterise(text: str, font_name: str, size: int, antialias: bool, letter_spacing_px: int = 0) -> Glyphs:
    """Draw ``text`` and crop to its ink. Anti-aliasing off gives a 0/255 mask.

    ``font_name`` is a face of any technology by its prefixed name (``ttf:arimo``,
    ``stroke:futural``, ``bitmap:cp437-8x8``: :mod:`phiphantom.synth.faces`), which draws it, or a
    DejaVu name of :data:`~phiphantom.synth.fonts.LEGACY_FACES`, drawn by its ``ttf:`` face.
    """
    return get_face(face_name(font_name)).rasterise(text, size, antialias, letter_spacing_px)


def crop_to_ink(text: str, alpha: np.ndarray, ox: int, oy: int) -> Glyphs:
    """Glyphs of ``alpha`` (uint8, its top-left at (ox, oy) from the text origin) cropped to ``alpha > 0``."""
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        raise EmptyInkError("text rendered no ink")
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = np.array(alpha[y0:y1, x0:x1])  # own copy, contiguous
    crop.setflags(write=False)
    return Glyphs(text=text, alpha=crop, dx=int(ox + x0), dy=int(oy + y0))


def line_metrics(font_name: str, size: int) -> tuple[int, int]:
    """(ascent, descent) in pixels for laying out lines (a DejaVu name or a prefixed face name)."""
    return get_face(face_name(font_name)).line_metrics(size)


def composite(frames: np.ndarray, alpha: np.ndarray, x0: int, y0: int, colour: tuple[int, ...],
              frame_start: int, frame_end: int) -> None:
    """Blend ``colour`` through ``alpha`` into ``frames[frame_start:frame_end]`` at (x0, y0), in place.

    ``frames`` is (T, H, W) or (T, H, W, 3) uint8; ``colour`` has 1 or 3 values.
    """
    h, w = alpha.shape
    region = frames[frame_start:frame_end, y0:y0 + h, x0:x0 + w]
    a = alpha.astype(np.uint16)
    if region.ndim == 4:
        a = a[:, :, None]
        col: np.ndarray | np.uint16 = np.asarray(colour, dtype=np.uint16).reshape(1, 1, 3)
    else:
        col = np.uint16(colour[0])
    blended = (region.astype(np.uint16) * (255 - a) + col * a + 127) // 255
    region[...] = blended.astype(np.uint8)
