"""Where the ultrasound image is: US region calibration from the header, checked against the pixels.

Real files carry regions that lie outside the frame, cover the whole screen, or
miss the fan; so the header's regions are only trusted after a sanity check, and
the image (fan / sector / rectangle) mask is always estimated from the pixels:
speckle is textured and large; overlay text and plates are small or flat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from pydicom.dataset import Dataset

from .components import components


@dataclass(frozen=True)
class ImageArea:
    mask: np.ndarray                              # (H, W) bool: ultrasound image pixels
    regions: tuple[tuple[int, int, int, int], ...]  # sane header regions [x0, y0, x1, y1)
    source: str                                   # "regions+pixels", "pixels", "none"
    search: np.ndarray                            # (H, W) bool: where to look for text


def header_regions(ds: Dataset, height: int, width: int) -> tuple[tuple[int, int, int, int], ...]:
    """SequenceOfUltrasoundRegions rectangles clipped to the frame; absurd ones dropped."""
    out = []
    for item in ds.get("SequenceOfUltrasoundRegions", []) or []:
        try:
            x0, y0 = int(item.RegionLocationMinX0), int(item.RegionLocationMinY0)
            x1, y1 = int(item.RegionLocationMaxX1) + 1, int(item.RegionLocationMaxY1) + 1
        except (AttributeError, TypeError, ValueError):
            continue
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
        area = (x1 - x0) * (y1 - y0)
        if x1 - x0 < 16 or y1 - y0 < 16 or area > 0.98 * width * height:
            continue
        out.append((x0, y0, x1, y1))
    return tuple(out)


def local_mean_var(grey: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of each pixel's ``size`` x ``size`` neighbourhood, float32 (box filters straight from
    the frame's grey levels: a third faster than blurring a float copy and its square, same values to 2e-5)."""
    mean = cv2.boxFilter(grey, cv2.CV_32F, (size, size))
    return mean, cv2.sqrBoxFilter(grey, cv2.CV_32F, (size, size)) - mean * mean


def textured(grey: np.ndarray) -> np.ndarray:
    """Pixels in textured, non-black neighbourhoods (speckle: standard deviation above 2.5), as bool (H, W)."""
    mean, var = local_mean_var(grey, 9)
    return (var > 2.5 ** 2) & (mean > 6)


BACKGROUND_FRAMES = 16  # frames that judge whether a background is flat (see background_frames)


def background_frames(count: int, most: int = BACKGROUND_FRAMES) -> np.ndarray:
    """Evenly spaced frame indices for judging what a *background* looks like (never for reading text).

    "Plain" (screen black or a plate) is judged on the per-pixel minimum over frames, which keeps a
    static overlay and drops what moves. Over a long clip (real lung clips run 100-500 frames) the
    minimum of moving speckle sinks to black as well, and then speckle passes for screen black: on
    20 clips of 100-250 frames that let rib shadows and the fan's rim be searched for text, and
    damage rose to 0.43%. The minimum over at most ``most`` frames spread over the clip keeps
    speckle grey, the same at any clip length.
    """
    # already distinct, without np.unique (whose first call imports numpy.ma): up to ``most`` frames the
    # indices are 0..count-1 exactly, and beyond it they lie more than one frame apart
    return np.linspace(0, count - 1, min(count, most)).round().astype(np.intp)


MIN_MOVING_AREA = 0.005  # share of the searched area: the smallest moving speckle patch taken for image
HULL_SLACK = 1.3  # a fan's convex hull adds little; a hull that adds more would swallow nearby text


PLATE_FLAT_STD = 6.0  # grey levels: "flat" where plates may carry JPEG codec noise (judging backgrounds)


def plain_pixels(frame: np.ndarray, flat_std: float = 2.0) -> np.ndarray:
    """Screen black or locally flat (a plate: standard deviation below ``flat_std``): (H, W) bool."""
    _, var = local_mean_var(frame, 5)
    return (frame <= 4) | (var < flat_std * flat_std)


def share_at_least(mask: np.ndarray, size: int, share: float) -> np.ndarray:
    """Whether at least ``share`` of each pixel's ``size`` x ``size`` neighbourhood is set in the bool
    ``mask`` (mirrored at the border, as ``cv2.blur``): the set pixels counted in 8-bit integers, which a
    neighbourhood of at most 255 pixels cannot overflow. The same answer as blurring a float copy and
    comparing (the counts are whole numbers, the float sums exact), in half the time."""
    if size * size > 255:
        raise ValueError("an 8-bit count holds neighbourhoods of at most 255 pixels")
    count = cv2.boxFilter(np.ascontiguousarray(mask).view(np.uint8), -1, (size, size), normalize=False)
    return count >= math.ceil(share * size * size - 1e-9)


def _black_fraction(frame: np.ndarray, component: np.ndarray) -> float:
    """Share of near-black pixels in a component: high for text on a black screen, low for speckle."""
    values = frame[component]
    return float((values <= 4).mean()) if values.size else 1.0


def estimate_image_mask(stack: np.ndarray) -> np.ndarray:
    """The fan/sector/rectangle from a (T, H, W) grey stack (T >= 1).

    Image pixels are textured (speckle), form large regions, and are rarely black; in a cine they
    also change from frame to frame. Text blocks are textured too, but mostly black between the
    strokes, so components that are mostly black are rejected. Each kept component is replaced by
    its convex hull, which fills acoustic shadows that reach the fan's edge.
    """
    t, h, w = stack.shape
    # the mean frame: an exact integer sum divided once (numpy's mean of uint8 accumulates in float64,
    # 3x slower on a 20-frame 640x480 clip, same values)
    frame = (stack.sum(axis=0, dtype=np.uint32) / t).astype(np.uint8) if t > 1 else stack[0]
    tex = textured(frame)
    moving = np.zeros((h, w), dtype=bool)
    if t > 1:  # speckle moves between frames; overlay text does not (clocks are small)
        moving = (stack.max(axis=0).astype(np.int16) - stack.min(axis=0)) > 6
        tex |= moving & (frame > 2)
    # text is strokes on black or on a plate: where most of the neighbourhood is black or flat, it is
    # not ultrasound (speckle is never flat)
    tex &= ~share_at_least(plain_pixels(frame), 15, 0.35)
    k = max(9, (min(h, w) // 40) | 1)
    opened = cv2.morphologyEx(tex.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats = components(closed)
    candidates = []
    for i in range(1, n):
        area = int(stats[i, cv2.CC_STAT_AREA])
        if area < MIN_MOVING_AREA * h * w:
            continue
        component = labels == i
        black_share = _black_fraction(frame, component)
        if black_share > 0.4:
            continue  # a block of text on black, not ultrasound
        # in a clip, a patch whose every pixel moves and that is not black is image, however small
        # next to the fan (a second view, a strip of speckle beside the sector); text does not move
        moves = t > 1 and black_share <= 0.1 and float(moving[component].mean()) >= 0.9
        if area < 0.02 * h * w and not moves:
            continue
        candidates.append((area, component, moves))
    mask = np.zeros((h, w), dtype=np.uint8)
    if not candidates:
        return mask.astype(bool)
    biggest = max(a for a, _, _ in candidates)
    for area, component, moves in candidates:
        if area < 0.3 * biggest and not moves:
            continue
        contours, _ = cv2.findContours(component.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = cv2.convexHull(np.vstack(contours))
        if cv2.contourArea(hull) <= HULL_SLACK * area:
            cv2.fillConvexPoly(mask, hull, 1)  # fills shadows that reach the fan's edge
        else:  # not fan-shaped enough to trust the hull: fill holes only
            cv2.drawContours(mask, contours, -1, 1, thickness=cv2.FILLED)
    return mask.astype(bool)


def find_image_area(ds: Dataset, stack: np.ndarray) -> ImageArea:
    """The image mask and the text search area for a (T, H, W) grey stack.

    With sane US regions in the header, the fan is estimated inside them only (text outside a
    region can then never be mistaken for image), and the search area is everything outside the
    regions plus the corners of each region outside its fan. Without them, the whole frame is
    estimated. The search area leaves a 3-pixel band around the fan alone (speckle grains at its
    edge are not text).
    """
    _, h, w = stack.shape
    regions = header_regions(ds, h, w)
    if regions:
        inside = np.zeros((h, w), dtype=bool)
        fan = np.zeros((h, w), dtype=bool)
        for x0, y0, x1, y1 in regions:
            inside[y0:y1, x0:x1] = True
            fan[y0:y1, x0:x1] |= estimate_image_mask(stack[:, y0:y1, x0:x1])
        if fan.any():
            search = _search(fan) & (~inside | plain_inside(stack, regions))
            return ImageArea(fan, regions, "regions+pixels", search)
    fan = estimate_image_mask(stack)
    return ImageArea(fan, regions, "pixels" if fan.any() else "none", _search(fan))


#: How far :func:`plain_inside` looks from a pixel: plain_pixels' 5x5, the 15x15 share, the 11x11 dilation
PLAIN_REACH = 2 + 7 + 5


def plain_inside(stack: np.ndarray, regions: tuple[tuple[int, int, int, int], ...]) -> np.ndarray:
    """(H, W) bool: the pixels inside the regions that lie on or beside a plain background, where text may
    be (a region's corners around its fan): screen black or a plate, where the neighbourhood is mostly flat,
    not (even dark) speckle, judged over a bounded set of frames (:func:`background_frames`).

    Only the regions' insides are asked, so each is judged on its own crop grown by PLAIN_REACH (the
    frame's edge where the crop meets it): every pixel inside gets what the whole frame would give it."""
    _, h, w = stack.shape
    plain = np.zeros((h, w), dtype=bool)
    frames = background_frames(len(stack))
    for x0, y0, x1, y1 in regions:
        cx0, cy0 = max(0, x0 - PLAIN_REACH), max(0, y0 - PLAIN_REACH)
        cx1, cy1 = min(w, x1 + PLAIN_REACH), min(h, y1 + PLAIN_REACH)
        flat = plain_pixels(stack[frames, cy0:cy1, cx0:cx1].min(axis=0), flat_std=PLATE_FLAT_STD)
        # dense text on a plate is not flat itself: a line is plain when plate lies around it
        near = cv2.dilate(share_at_least(flat, 15, 0.25).astype(np.uint8), np.ones((11, 11), np.uint8))
        plain[y0:y1, x0:x1] = near[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0].astype(bool)
    return plain


def _search(fan: np.ndarray, band: int = 3) -> np.ndarray:
    grown = cv2.dilate(fan.astype(np.uint8), np.ones((2 * band + 1, 2 * band + 1), np.uint8)).astype(bool)
    return ~grown
