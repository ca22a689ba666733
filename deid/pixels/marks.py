"""Marks that belong to a redacted line: accents above its capitals, a cedilla or a comma below it.

The accents of capitals (Á Ř Š Ü Ó) and the marks under a line (ç ş ą, a comma) are often separate
pieces of ink a pixel or two away from their letters; too small to be text of their own, they are
not part of the line's box, and filling the box left them on screen: a row of "´ ˇ ´ ´" over a
removed "KOLÁŘOVÁ", the dots of "LÜBS". The fill of a redacted line grows over them (:func:`with_marks`):
ink within ``REACH_UP`` of the line's height above it (``REACH_DOWN`` below), inside its columns, when
the rows beyond that ink are empty (so it is not the next line) and the ink is sparse (marks, not
letters), and only where every pixel to be filled lies outside the image.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .detect import TextBox
from .text_find import MIN_STROKE, top_hat

#: how far above a line (in line heights) its marks may sit: an accent over a capital is about 0.3 h up
REACH_UP = 0.5
#: how far below: a cedilla or a comma reaches about 0.25 h under the baseline box
REACH_DOWN = 0.35
#: marks are sparse: at most this share of the band between the line and its furthest mark is ink
MAX_MARK_DENSITY = 0.3
#: marks are thin: the rows with ink above (or below) the line are at most this share of its height (a
#: small line of text close above is taller than that and stays its own)
MAX_MARK_ROWS = 0.3
#: lines lower than this (in pixels) have no marks we can tell from noise
MIN_LINE_HEIGHT = 6
#: the top-hat's kernel (text_find.top_hat): the crop around a box keeps this much context
_CONTEXT = 13


def with_marks(view: np.ndarray, search: np.ndarray, box: TextBox) -> TextBox:
    """``box`` grown over the marks above and below its line on its first frame (see the module docstring).

    ``view``: the (T, H, W) grey view (bright = ink); ``search``: (H, W) bool, True outside the image."""
    height = box.y1 - box.y0
    if height < MIN_LINE_HEIGHT or box.x1 <= box.x0:
        return box
    up, down = max(2, round(REACH_UP * height)), max(1, round(REACH_DOWN * height))
    frame_h, frame_w = view.shape[1:3]
    above = view[box.frame_start, max(0, box.y0 - up):box.y0, box.x0:box.x1]
    below = view[box.frame_start, box.y1:min(frame_h, box.y1 + down), box.x0:box.x1]
    if max(above.max(initial=0), below.max(initial=0)) < MIN_STROKE:
        return box  # no pixel there is bright enough to be ink (a top-hat is never above the grey value)
    top, bottom = max(0, box.y0 - up - 1 - _CONTEXT), min(frame_h, box.y1 + down + 1 + _CONTEXT)
    left, right = max(0, box.x0 - _CONTEXT), min(frame_w, box.x1 + _CONTEXT)
    tophat = top_hat(view[box.frame_start, top:bottom, left:right])
    ink = (tophat >= MIN_STROKE) & search[top:bottom, left:right]
    cols = ink[:, box.x0 - left:box.x1 - left]
    free = np.asarray(search[top:bottom, box.x0:box.x1].all(axis=1))  # rows wholly outside the image
    thin = max(2, round(MAX_MARK_ROWS * height))
    y0 = _reach(cols, free, box.y0 - top, -1, up, thin) + top
    y1 = _reach(cols, free, box.y1 - 1 - top, 1, down, thin) + top + 1
    if (y0, y1) == (box.y0, box.y1):
        return box
    return replace(box, y0=y0, y1=y1)


def _reach(cols: np.ndarray, free: np.ndarray, edge: int, step: int, reach: int, thin: int) -> int:
    """The furthest row of marks from the line's ``edge`` row going ``step`` (-1 up, +1 down), or ``edge``."""
    rows = np.asarray(cols.any(axis=1))
    band = [edge + step * k for k in range(1, reach + 1) if 0 <= edge + step * k < len(rows)]
    inked = [r for r in band if rows[r]]
    if not inked or len(inked) > thin:
        return edge
    far = inked[-1]
    beyond = far + step
    if 0 <= beyond < len(rows) and rows[beyond]:
        return edge  # the ink goes on past the reach: the next line, not marks of this one
    span = sorted((edge + step, far))
    covered = cols[span[0]:span[1] + 1]
    if covered.mean() > MAX_MARK_DENSITY or not free[span[0]:span[1] + 1].all():
        return edge
    return far
