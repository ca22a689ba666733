"""Carry a redacted line of text across the edge of the ultrasound image.

Overlay text is sometimes placed at the edge of the fan and runs into it (annotations, an
institution name over the sector's corner). Text is searched for outside the image only, so the
words over speckle are missed and a name is half redacted. A redacted box that touches the image
is therefore extended along its own rows for as long as the strip still looks like a line of
text: bright strokes (white top-hat) clearly denser inside the line's band than in bands of the
same height just above and below it. Speckle is about as dense above, inside and below; a line
of text is not. Gaps between words (up to 1.5 line heights) are crossed; the walk stops at the
first longer gap, so the extension ends where the text ends, not where the image does.
"""

from __future__ import annotations

import numpy as np

from .text_find import top_hat

EDGE_GAP = 4            # pixels beyond one line height: a box this close to the image touches it
                        # (the search area keeps 3 px off the fan, and a word gap may come first)
MIN_STROKE = 24         # top-hat grey levels: the ink of the part already found
INK_MARGIN = 15         # grey levels below the line's ink level that still count as its ink
MIN_INK_PIXELS = 10
DENSITY_RATIO = 2.0     # ink density in the line's band vs the speckle's along the stretch
LOCAL_RATIO = 1.3       # ... and vs the rows just above and below the same window
MIN_BAND_DENSITY = 0.08
MAX_GAP = 1.5           # line heights of no text before the walk stops
MAX_LENGTH = 40         # line heights: the longest extension


def _column_densities(static: np.ndarray, y0: int, y1: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column: share of ink-bright pixels inside rows [y0, y1) and the larger share above or below."""
    height = y1 - y0
    top, bottom = max(0, y0 - height), min(static.shape[0], y1 + height)
    strokes = static[top:bottom] >= level
    band = strokes[y0 - top:y1 - top].mean(axis=0)
    outside = [part.mean(axis=0) for part in (strokes[:y0 - top], strokes[y1 - top:]) if part.shape[0]]
    return band, (np.maximum.reduce(outside) if outside else np.zeros_like(band))


def _walk(band: np.ndarray, outside: np.ndarray, start: int, step: int, height: int) -> int:
    """From column ``start``, going ``step`` (+1 / -1), the far end of the text-like windows.

    A window is text-like when its band density is at least MIN_BAND_DENSITY, DENSITY_RATIO times the
    speckle's (the density above and below the line over the whole stretch the walk may cover: a
    window's own few rows are a noisy baseline) and LOCAL_RATIO times that of its own rows above and
    below (bright speckle right there is not text).
    """
    window = max(2, height // 2)
    width = band.shape[0]
    reach = MAX_LENGTH * height
    span = outside[start:min(width, start + reach)] if step > 0 else outside[max(0, start - reach):start + 1]
    speckle = max(float(span.mean()) if span.size else 0.0, 0.01)
    threshold = max(MIN_BAND_DENSITY, DENSITY_RATIO * speckle)
    end, gap, position = start, 0, start
    while 0 <= position < width and abs(position - start) <= reach:
        lo, hi = (position, min(width, position + window)) if step > 0 else (max(0, position - window + 1),
                                                                             position + 1)
        inside = band[lo:hi].mean()
        if inside >= threshold and inside >= LOCAL_RATIO * outside[lo:hi].mean():
            end, gap = (hi if step > 0 else lo), 0
        else:
            gap += hi - lo
            if gap > MAX_GAP * height:
                break
        position += step * window
    # trailing thin strokes (the last letter's stem) in the next window, column by column
    column = end if step > 0 else end - 1
    while 0 <= column < width and abs(column - end) < window and band[column] >= threshold \
            and band[column] >= LOCAL_RATIO * outside[column]:
        end = column + 1 if step > 0 else column
        column += step
    return end


def extend_into_image(static: np.ndarray, image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int]:
    """New ``(x0, x1)`` of a box on rows ``[y0, y1)``, carried into the image where its line goes on."""
    height = y1 - y0
    if height < 4 or not image[y0:y1].any():
        return x0, x1
    found = static[y0:y1, x0:x1]
    ink = found[(top_hat(found) >= MIN_STROKE) & ~image[y0:y1, x0:x1]]
    if ink.size < MIN_INK_PIXELS:
        return x0, x1
    level = float(np.median(ink))
    band, outside = _column_densities(static, y0, y1, max(level - INK_MARGIN, 0.85 * level))
    width, reach = static.shape[1], height + EDGE_GAP
    if image[y0:y1, x1:min(width, x1 + reach)].any():
        x1 = max(x1, _walk(band, outside, x1, +1, height))
    if image[y0:y1, max(0, x0 - reach):x0].any():
        x0 = min(x0, _walk(band, outside, x0 - 1, -1, height))
    return x0, x1
