"""Where each graphic usually sits on a screen: a suggested rectangle given the frame and image area.

A composer may use these or choose its own; it still has to keep graphics off the text it places.
Beside the image (in the dark UI area when there is room, else along the image's own edge): grey and
colour bars, the depth scale and focus marker (right edge), the TGC curve (left edge). Inside the image:
the body-marker pictogram (a bottom corner), calipers and the colour-Doppler box (the middle). The logo
goes in a top corner above the image, or nowhere when there is no room.
"""

from __future__ import annotations

import numpy as np

from .paint import GraphicError, Rect

#: The smallest rectangle (width, height) each kind can be drawn in.
MIN_SIZE: dict[str, tuple[int, int]] = {
    "grey_bar": (4, 8), "colour_bar": (4, 8), "depth_scale": (2, 8), "focus_marker": (4, 4), "tgc_curve": (4, 8),
    "body_marker_pictogram": (16, 16), "calipers": (8, 8), "logo": (8, 8), "doppler_box": (12, 12),
}


def _beside(frame_w: int, image: Rect, width: int, rng: np.random.Generator, prefer_right: bool) -> tuple[int, int]:
    """x0, x1 of a ``width`` px column outside the image (right or left) or, without room, inside its edge."""
    x0, _, x1, _ = image
    right_room, left_room = frame_w - x1, x0
    sides = ["right", "left"] if prefer_right else ["left", "right"]
    if rng.random() < 0.2:
        sides.reverse()
    for side in sides:
        if side == "right" and right_room >= width:
            return x1, x1 + width
        if side == "left" and left_room >= width:
            return x0 - width, x0
    inner = min(width, max(1, x1 - x0))
    return (x1 - inner, x1) if prefer_right else (x0, x0 + inner)


def suggested_rect(kind: str, frame_size: tuple[int, int], image_rect: Rect, rng: np.random.Generator) -> Rect | None:
    """A rectangle for ``kind`` on a ``frame_size`` (width, height) screen, or None when it has no place
    (none of at least the kind's :data:`MIN_SIZE`)."""
    if kind not in MIN_SIZE:
        raise GraphicError(f"unknown graphic kind {kind!r}")
    rect = _rect(kind, frame_size, image_rect, rng)
    if rect is None or rect[2] - rect[0] < MIN_SIZE[kind][0] or rect[3] - rect[1] < MIN_SIZE[kind][1]:
        return None
    return rect


def _rect(kind: str, frame_size: tuple[int, int], image_rect: Rect, rng: np.random.Generator) -> Rect | None:
    frame_w, frame_h = frame_size
    x0, y0, x1, y1 = image_rect
    iw, ih = x1 - x0, y1 - y0
    if iw < 8 or ih < 8:
        return None
    if kind in ("grey_bar", "colour_bar"):
        a, b = _beside(frame_w, image_rect, int(rng.integers(16, 25)), rng, prefer_right=kind == "grey_bar")
        return a, y0 + ih // 8, b, y1 - ih // 8
    if kind in ("depth_scale", "focus_marker"):
        a, b = _beside(frame_w, image_rect, 10 if kind == "depth_scale" else 9, rng, prefer_right=True)
        return a, y0, b, y1
    if kind == "tgc_curve":
        width = min(iw, int(rng.integers(20, 41)))
        return x0, y0 + ih // 10, x0 + width, y1 - ih // 10
    if kind == "body_marker_pictogram":
        side = min(iw, ih, int(rng.integers(28, 56)))
        left = rng.random() < 0.6
        return (x0, y1 - side, x0 + side, y1) if left else (x1 - side, y1 - side, x1, y1)
    if kind in ("calipers", "doppler_box"):
        return x0 + iw // 5, y0 + ih // 5, x1 - iw // 5, y1 - ih // 5
    if kind == "logo":
        if y0 >= 14:
            width = min(frame_w, max(60, frame_w // 4))
            left = rng.random() < 0.5
            return (0, 0, width, y0) if left else (frame_w - width, 0, frame_w, y0)
        if frame_h - y1 >= 14:
            width = min(frame_w, max(60, frame_w // 4))
            return frame_w - width, y1, frame_w, frame_h
        return None
    raise GraphicError(f"unknown graphic kind {kind!r}")
