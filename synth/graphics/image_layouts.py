"""Dual and quad image layouts: an image rectangle split into two or four image areas with gaps.

Devices show two images side by side (dual: a live and a frozen image, or two planes) or four in a
2 x 2 grid (quad, stress echo). :func:`image_rects` splits the composer's image rectangle; the areas
never overlap, lie inside the rectangle and are separated by ``gap`` pixels of screen background.
"""

from __future__ import annotations

from .paint import GraphicError, Rect

IMAGE_LAYOUTS = ("single", "dual", "quad")


def _split(a: int, b: int, parts: int, gap: int) -> list[tuple[int, int]]:
    """``parts`` half-open intervals covering [a, b) except ``gap`` px between neighbours."""
    size = (b - a - gap * (parts - 1)) // parts
    if size < 1:
        raise GraphicError(f"{b - a} px cannot hold {parts} images with {gap} px gaps")
    return [(a + k * (size + gap), a + k * (size + gap) + size) for k in range(parts)]


def image_rects(rect: Rect, layout: str, gap: int = 4) -> list[Rect]:
    """The image areas of ``layout`` ('single', 'dual' side by side, 'quad' 2 x 2) inside ``rect``."""
    if gap < 0:
        raise GraphicError(f"gap must be >= 0, not {gap}")
    x0, y0, x1, y1 = rect
    if layout == "single":
        return [(x0, y0, x1, y1)]
    if layout == "dual":
        return [(a, y0, b, y1) for a, b in _split(x0, x1, 2, gap)]
    if layout == "quad":
        return [(a, c, b, d) for c, d in _split(y0, y1, 2, gap) for a, b in _split(x0, x1, 2, gap)]
    raise GraphicError(f"unknown image layout {layout!r}; known: {', '.join(IMAGE_LAYOUTS)}")
