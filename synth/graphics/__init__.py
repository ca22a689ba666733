"""Non-text graphics of ultrasound screens: bars, scales, markers, calipers, an invented logo, colour Doppler.

``draw(kind, canvas, rect, rng, style)`` draws one graphic of ``kind`` (one of :data:`GRAPHIC_KINDS`)
inside ``rect`` ``[x0, y0, x1, y1)`` of a uint8 canvas, the same on every frame, and returns a
:class:`Graphic`: its kind, the tight box of the pixels it changed and their (H, W) mask. Ground truth
records these as kind ``graphic`` (``logo`` is text-like but never PHI) so damage to them is measurable.
Drawing depends only on the rng (no anti-aliasing); ``frame_range`` limits it to some frames of a
cine; ``doppler_box`` needs an RGB canvas. :func:`image_rects` splits an image rectangle for dual and
quad layouts; :func:`suggested_rect` says where each kind usually sits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .bars import colour_bar, grey_bar
from .doppler import doppler_box
from .image_layouts import IMAGE_LAYOUTS, image_rects
from .logo import invented_word, logo
from .markers import body_marker_pictogram, calipers
from .paint import GraphicError, GraphicStyle, Paint, Rect, apply, canvas_geometry, clip_rect, tight_box
from .placement import MIN_SIZE, suggested_rect
from .scales import depth_scale, focus_marker, tgc_curve

Drawer = Callable[[Paint, np.random.Generator, GraphicStyle], None]

#: Each kind's drawer; the names are the pack's ``[graphics]`` keys.
DRAWERS: dict[str, Drawer] = {
    "grey_bar": grey_bar,
    "colour_bar": colour_bar,
    "depth_scale": depth_scale,
    "focus_marker": focus_marker,
    "tgc_curve": tgc_curve,
    "body_marker_pictogram": body_marker_pictogram,
    "calipers": calipers,
    "logo": logo,
    "doppler_box": doppler_box,
}
GRAPHIC_KINDS: tuple[str, ...] = tuple(DRAWERS)
#: Kinds drawn only on RGB canvases.
RGB_ONLY_KINDS = frozenset({"doppler_box"})
#: Kinds that carry letters (OCR may read them); all others draw no text.
TEXT_LIKE_KINDS = frozenset({"logo"})


@dataclass(frozen=True)
class Graphic:
    """One drawn graphic: ``box`` is the tight ``[x0, y0, x1, y1)`` of ``mask`` (pixels changed, (H, W));
    ``text`` the letters of a text-like graphic (the logo's invented word), else empty."""

    kind: str
    box: Rect
    mask: np.ndarray
    text: str = ""


def draw(kind: str, canvas: np.ndarray, rect: Rect, rng: np.random.Generator,
         style: GraphicStyle | None = None, frame_range: tuple[int, int] | None = None) -> Graphic:
    """Draw a ``kind`` graphic inside ``rect`` on every frame of ``canvas`` (in place), or on the frames
    ``[start, end)`` of ``frame_range`` (a TGC curve shown while the gain is being changed)."""
    if kind not in DRAWERS:
        raise GraphicError(f"unknown graphic kind {kind!r}; known: {', '.join(GRAPHIC_KINDS)}")
    height, width, is_rgb = canvas_geometry(canvas)
    if kind in RGB_ONLY_KINDS and not is_rgb:
        raise GraphicError(f"{kind} needs an RGB canvas")
    x0, y0, x1, y1 = clip_rect(rect, height, width)
    min_w, min_h = MIN_SIZE[kind]
    if x1 - x0 < min_w or y1 - y0 < min_h:
        raise GraphicError(f"{kind} needs at least {min_w}x{min_h} px, not {x1 - x0}x{y1 - y0}")
    paint = Paint(x1 - x0, y1 - y0)
    DRAWERS[kind](paint, rng, style or GraphicStyle())
    mask = apply(canvas, paint, (x0, y0), frame_range)
    return Graphic(kind, tight_box(mask), mask, paint.text)


__all__ = [
    "GRAPHIC_KINDS", "IMAGE_LAYOUTS", "MIN_SIZE", "RGB_ONLY_KINDS", "TEXT_LIKE_KINDS", "Graphic", "GraphicError",
    "GraphicStyle", "draw", "image_rects", "invented_word", "suggested_rect",
]
