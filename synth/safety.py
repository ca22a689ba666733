"""Checks run before anything is burned ("no partial burns").

Every problem is reported as a short reason that names categories and numbers,
never the text itself (it is PHI). A file with any problem is not written; the
caller records it in ``quarantine.csv``.
"""

from __future__ import annotations

import numpy as np

from phiphantom.core.colour import LUMA_WEIGHTS, luma

from .fonts import missing_glyphs
from .layouts import PlacedBox

MAX_BACKGROUND_LUMA = 100.0  # mean brightness allowed under a box drawn outside the image
CONTRAST_FLOOR = 0.25        # |text luma - background luma| / 255 for normal text
LOW_CONTRAST_FLOOR = 0.12    # ... for deliberately low-contrast text
STRONG_INK = 128             # alpha from which a pixel counts as ink for contrast


def _grey(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3:
        wr, wg, wb = LUMA_WEIGHTS
        return frame[..., 0] * wr + frame[..., 1] * wg + frame[..., 2] * wb
    return frame.astype(np.float32)


def measure_contrast(box: PlacedBox, background: np.ndarray) -> float:
    """|text luma - mean background luma under the strong ink| / 255 on the first frame shown."""
    frame = background[box.state.frame_start, box.y0:box.y1, box.x0:box.x1]
    ink = box.glyphs.alpha >= STRONG_INK
    if not ink.any():
        ink = box.glyphs.alpha > 0
    bg = float(_grey(frame)[ink].mean())
    return abs(luma(box.style.rgb) - bg) / 255.0


def check_boxes(boxes: list[PlacedBox], background: np.ndarray,
                image_mask: np.ndarray | None = None) -> tuple[list[str], list[float]]:
    """Problems that forbid burning ``boxes`` onto ``background`` (T, H, W[, 3]) -- empty when safe --
    and the measured contrast of each box (aligned with ``boxes``; NaN where it could not be measured).

    ``image_mask`` (H, W) marks ultrasound image pixels: text not flagged ``over_image`` must not touch them.
    """
    problems: list[str] = []
    contrasts: list[float] = []
    n_frames, height, width = background.shape[:3]
    for i, b in enumerate(boxes):
        what = f"box {i} ({b.run.category}, {b.region})"
        contrasts.append(float("nan"))
        if b.x0 < 0 or b.y0 < 0 or b.x1 > width or b.y1 > height:
            problems.append(f"{what} outside the frame")
            continue
        if not 0 <= b.state.frame_start < b.state.frame_end <= n_frames:
            problems.append(f"{what} has a frame range outside the cine")
            continue
        if b.glyphs.text != b.state.text:
            problems.append(f"{what}: drawn text differs from the ground-truth text")
        if int(b.glyphs.alpha.max()) == 0:
            problems.append(f"{what} drew no ink")
        missing = missing_glyphs(b.style.font, b.state.text)
        if missing:
            problems.append(f"{what}: {len(missing)} character(s) missing from font {b.style.font}")
        if (not b.over_image and image_mask is not None
                and (image_mask[b.y0:b.y1, b.x0:b.x1] & (b.glyphs.alpha > 0)).any()):
            problems.append(f"{what} touches the ultrasound image but is not meant to")
        if not b.over_image:
            for t in {b.state.frame_start, b.state.frame_end - 1}:
                mean = float(_grey(background[t, b.y0:b.y1, b.x0:b.x1]).mean())
                if mean > MAX_BACKGROUND_LUMA:
                    problems.append(
                        f"{what}: background too bright under the text ({mean:.0f} > {MAX_BACKGROUND_LUMA:.0f})")
                    break
        contrast = contrasts[-1] = measure_contrast(b, background)
        floor = LOW_CONTRAST_FLOOR if b.style.low_contrast else CONTRAST_FLOOR
        if contrast < floor:
            problems.append(f"{what}: contrast {contrast:.2f} below the floor {floor:.2f}")
    problems.extend(_overlaps(boxes))
    return problems, contrasts


def touches(a: PlacedBox, b: PlacedBox) -> bool:
    """True when two boxes shown on a common frame overlap or leave less than a 1-px free ring between them."""
    if a.state.frame_end <= b.state.frame_start or b.state.frame_end <= a.state.frame_start:
        return False
    return a.x0 - 1 < b.x1 + 1 and b.x0 - 1 < a.x1 + 1 and a.y0 - 1 < b.y1 + 1 and b.y0 - 1 < a.y1 + 1


def _overlaps(boxes: list[PlacedBox]) -> list[str]:
    """Pairs of boxes shown on a common frame that touch or overlap (a 1-px ring must stay free)."""
    problems = []
    order = sorted(range(len(boxes)), key=lambda i: boxes[i].x0)
    for a_pos, i in enumerate(order):
        a = boxes[i]
        for j in order[a_pos + 1:]:
            b = boxes[j]
            if b.x0 > a.x1 + 1:
                break
            if a.run is not b.run and touches(a, b):  # states of one run never share a frame
                problems.append(f"box {i} ({a.run.category}) and box {j} ({b.run.category}) overlap or touch")
    return problems
