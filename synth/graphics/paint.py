"""Drawing a graphic off to the side, then putting it on a frame canvas.

A :class:`Paint` is a small RGB layer with a mask the size of the rectangle a graphic may use: drawers
put shapes on it (Pillow's ``ImageDraw``, no anti-aliasing, so the result depends on the rng only), and
:func:`apply` copies the masked pixels onto every frame of a canvas (grey canvases get the luma of each
colour) and reports the pixels that changed. Canvases are ``(H, W)`` or ``(F, H, W)`` grey and
``(H, W, 3)`` or ``(F, H, W, 3)`` RGB, uint8; a 3-D array whose last axis is 3 is taken as RGB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from phiphantom.core.colour import LUMA_WEIGHTS

Rect = tuple[int, int, int, int]
RGB = tuple[int, int, int]


class GraphicError(ValueError):
    """A graphic cannot be drawn on this canvas or in this rectangle."""


def canvas_geometry(canvas: np.ndarray) -> tuple[int, int, bool]:
    """(height, width, is_rgb) of a canvas in one of the four accepted shapes."""
    if canvas.dtype != np.uint8:
        raise GraphicError(f"canvas must be uint8, not {canvas.dtype}")
    if canvas.ndim == 2:
        return canvas.shape[0], canvas.shape[1], False
    if canvas.ndim == 3:
        if canvas.shape[2] == 3:
            return canvas.shape[0], canvas.shape[1], True
        return canvas.shape[1], canvas.shape[2], False
    if canvas.ndim == 4 and canvas.shape[3] == 3:
        return canvas.shape[1], canvas.shape[2], True
    raise GraphicError(f"canvas shape {canvas.shape} is not (H, W), (F, H, W), (H, W, 3) or (F, H, W, 3)")


def clip_rect(rect: Rect, height: int, width: int) -> Rect:
    """``rect`` cut to the canvas; an error when nothing is left."""
    x0, y0, x1, y1 = (int(v) for v in rect)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        raise GraphicError(f"rectangle {rect} has no area on a {width}x{height} canvas")
    return x0, y0, x1, y1


@dataclass(frozen=True)
class GraphicStyle:
    """Colours a graphic is drawn in: ``rgb`` for lines and outlines, ``accent`` for marks that stand out."""

    rgb: RGB = (200, 200, 200)
    accent: RGB = (255, 220, 0)


@dataclass
class Paint:
    """An RGB layer and its mask over a ``width`` x ``height`` rectangle (local coordinates)."""

    width: int
    height: int

    def __post_init__(self) -> None:
        self.rgb = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        self.mask = np.zeros((self.height, self.width), dtype=bool)
        self.text = ""  # letters drawn, for a text-like graphic (the logo's word)

    def shape(self, colour: RGB, draw: Callable[[ImageDraw.ImageDraw], None]) -> None:
        """Draw with ``draw`` (an ImageDraw callback, fill 255) in one colour."""
        layer = Image.new("L", (self.width, self.height), 0)
        draw(ImageDraw.Draw(layer))
        self.pixels(np.asarray(layer) > 0, colour)

    def pixels(self, where: np.ndarray, colour: RGB | np.ndarray) -> None:
        """Set the pixels ``where`` (bool, local) to one colour or to per-pixel colours ``(n, 3)``."""
        self.rgb[where] = np.asarray(colour, dtype=np.uint8)
        self.mask |= where


def grey_of(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of ``(..., 3)`` uint8 colours."""
    weights = np.asarray(LUMA_WEIGHTS, dtype=np.float64)
    return np.rint(rgb.astype(np.float64) @ weights).astype(np.uint8)


def apply(canvas: np.ndarray, paint: Paint, origin: tuple[int, int],
          frame_range: tuple[int, int] | None = None) -> np.ndarray:
    """Copy ``paint`` onto the frames ``[start, end)`` (all when None) at ``origin`` (x, y); returns the
    (H, W) mask of the pixels changed on any of them."""
    height, width, is_rgb = canvas_geometry(canvas)
    ox, oy = origin
    frames = canvas if canvas.ndim == (4 if is_rgb else 3) else canvas[None]
    start, end = (0, frames.shape[0]) if frame_range is None else frame_range
    if not 0 <= start < end <= frames.shape[0]:
        raise GraphicError(f"frame range [{start}, {end}) is not inside the canvas's {frames.shape[0]} frames")
    region = frames[start:end, oy:oy + paint.height, ox:ox + paint.width]
    values = (paint.rgb if is_rgb else grey_of(paint.rgb))[paint.mask]
    diff = region[:, paint.mask] != values  # only the painted pixels are read and written
    region[:, paint.mask] = values
    changed_local = np.zeros(paint.mask.shape, dtype=bool)
    changed_local[paint.mask] = diff.any(axis=0) if diff.ndim == 2 else diff.any(axis=(0, 2))
    changed = np.zeros((height, width), dtype=bool)
    changed[oy:oy + paint.height, ox:ox + paint.width] = changed_local
    return changed


def tight_box(mask: np.ndarray) -> Rect:
    """The tight half-open box ``[x0, y0, x1, y1)`` of a mask's True pixels ((0, 0, 0, 0) when empty)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return (0, 0, 0, 0)
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
