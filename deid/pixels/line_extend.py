"""Carry a redacted line of text across the edge of the ultrasound image.

Overlay text is sometimes placed at the edge of the fan and runs into it (annotations, an
institution name over the sector's corner). Text is searched for outside the image only, so the
words over speckle are missed and a name is half redacted. A redacted box that touches the image
is therefore extended along its own rows for as long as the strip still looks like a line of
text: bright strokes (white top-hat) clearly denser inside the line's band than in bands of the
same height just above and below it. Speckle is about as dense above, inside and below; a line
of text is not. Gaps between words (up to 1.5 line heights) are crossed; the walk stops at the
first longer gap, so the extension ends where the text ends, not where the image does.

Text over speckle is often *dimmer* than the speckle (a dim-grey institution name over a bright
fan), and then "bright strokes" are everywhere above and below it too. So a second, two-sided test
runs beside the first: pixels *at the ink's own grey level* (the mode of the strokes found on the
screen, within a few grey levels: overlay text is drawn in one colour, speckle takes every value).
Such pixels are dense along the line and sparse above and below it, whether the ink is brighter or
darker than the speckle. The box goes as far as the farther of the two walks.

:func:`carry_lines` applies this to whole lines of redacted boxes (every part read on the screen
gives the ink level, and the part nearest the image is carried on), for any redaction reason: a
line's last word cut by the fan's edge is often read as a fragment ("Chc", "Isg").
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from phiphantom.core.percentiles import percentile

from .classify import Decision
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
MATCH_TOLERANCE = (3, 8)  # grey levels around the ink's colour that count as it (lossless .. JPEG)
MIN_MATCH_DENSITY = 0.06  # share of a window's band pixels at the ink level (text over speckle: 0.1-0.45)
MATCH_LOCAL_RATIO = 1.3   # ... and vs the rows just above and below the same window
MIN_LINE_CHARS = 2      # word characters read on a line before it is carried (a grain at the rim is not)
LINE_REACH = 4          # line heights between a line and the image within which it is carried: the word
                        # that crosses the fan's edge is not found on the screen (its background is not flat)
END_SLACK = 0.25        # line heights added past a carried end (the last letter's thin right edge)
DESCENDER = 0.3         # line heights added below a carried line (descenders only in the part over the image)
MAX_JOIN = 2.0          # line heights: the widest gap between two redacted parts of a line that is covered
TRAIL = 1.0             # line heights beside a redacted line searched for a last small glyph
TRAIL_GAP = 0.6         # line heights: the widest gap between two glyphs of a word (as text_find groups them)
TRAIL_CONTRAST = 0.5    # share of the line's own stroke contrast that a trailing glyph's strokes reach
MIN_TRAIL_INK = 4       # stroke pixels of a trailing glyph
MAX_TRAIL_HEIGHT = 40   # pixels: a taller "line" is a block (a scale, marks), not one line of text


def _column_densities(static: np.ndarray, y0: int, y1: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column: share of ink-bright pixels inside rows [y0, y1) and the larger share above or below."""
    height = y1 - y0
    top, bottom = max(0, y0 - height), min(static.shape[0], y1 + height)
    strokes = static[top:bottom] >= level
    band = strokes[y0 - top:y1 - top].mean(axis=0)
    outside = [part.mean(axis=0) for part in (strokes[:y0 - top], strokes[y1 - top:]) if part.shape[0]]
    return band, (np.maximum.reduce(outside) if outside else np.zeros_like(band))


def _walk(band: np.ndarray, outside: np.ndarray, start: int, step: int, height: int,
          min_density: float = MIN_BAND_DENSITY, local_ratio: float = LOCAL_RATIO, window: int = 0) -> int:
    """From column ``start``, going ``step`` (+1 / -1), the far end of the text-like windows.

    A window is text-like when its band density is at least MIN_BAND_DENSITY, DENSITY_RATIO times the
    speckle's (the density above and below the line over the whole stretch the walk may cover: a
    window's own few rows are a noisy baseline) and LOCAL_RATIO times that of its own rows above and
    below (bright speckle right there is not text).
    """
    window = window or max(2, height // 2)
    width = band.shape[0]
    reach = MAX_LENGTH * height
    span = outside[start:min(width, start + reach)] if step > 0 else outside[max(0, start - reach):start + 1]
    speckle = max(float(span.mean()) if span.size else 0.0, 0.01)
    threshold = max(min_density, DENSITY_RATIO * speckle)
    end, gap, position = start, 0, start
    while 0 <= position < width and abs(position - start) <= reach:
        lo, hi = (position, min(width, position + window)) if step > 0 else (max(0, position - window + 1),
                                                                             position + 1)
        inside = band[lo:hi].mean()
        if inside >= threshold and inside >= local_ratio * outside[lo:hi].mean():
            end, gap = (hi if step > 0 else lo), 0
        else:
            gap += hi - lo
            if gap > MAX_GAP * height:
                break
        position += step * window
    # trailing thin strokes (the last letter's stem) in the next window, column by column
    column = end if step > 0 else end - 1
    while 0 <= column < width and abs(column - end) < window and band[column] >= threshold \
            and band[column] >= local_ratio * outside[column]:
        end = column + 1 if step > 0 else column
        column += step
    return end


def ink_colours(ink: np.ndarray) -> list[tuple[float, float]]:
    """The ink's grey level (one or two candidates) and a tolerance around it, from stroke pixels found on
    the screen.

    Bright ink on black or on a darker plate: anti-aliased edges only mix it with the darker
    background, so the drawing colour is at the top of the strokes' values: the 90th percentile (thin
    anti-aliased strokes, where few pixels are all ink) and the commonest value of the upper half of
    the strokes (their cores; JPEG ringing overshoots a percentile). The tolerance is the spread of the
    values near a level (0 for aliased lossless text, a few grey levels for JPEG), within MATCH_TOLERANCE."""
    values = ink.astype(np.float64).ravel()
    upper = np.bincount(values[values >= np.median(values)].astype(np.intp), minlength=256).astype(np.float64)
    peak = int(np.argmax(np.convolve(upper, np.ones(5), mode="same")))  # the densest 5 grey levels ...
    core = max(0, peak - 2) + int(np.argmax(upper[max(0, peak - 2):peak + 3]))  # ... and their commonest value
    levels = [percentile(values, 90), float(core)]
    if abs(levels[0] - levels[1]) <= MATCH_TOLERANCE[0]:
        levels = levels[:1]
    low, high = MATCH_TOLERANCE
    out = []
    for level in levels:
        near = values[np.abs(values - level) <= 0.15 * max(level, 16.0)]
        out.append((level, float(np.clip(near.std() if near.size else 0.0, low, high))))
    return out


def _match_densities(static: np.ndarray, y0: int, y1: int, level: float, tolerance: float,
                     upper: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_column_densities` for pixels at the ink's level (two-sided), not merely as bright; the
    rows above and below are taken together (a rare value is sparse in both)."""
    height = y1 - y0
    top, bottom = max(0, y0 - height), min(static.shape[0], y1 + height)
    at_level = np.abs(static[top:bottom].astype(np.float32) - level) <= tolerance
    if upper is not None:  # a clip: ink stays at its level on every frame, moving speckle does not
        at_level &= np.abs(upper[top:bottom].astype(np.float32) - level) <= tolerance
    band = at_level[y0 - top:y1 - top].mean(axis=0)
    rest = np.concatenate([at_level[:y0 - top], at_level[y1 - top:]])  # above and below together
    return band, (rest.mean(axis=0) if rest.shape[0] else np.zeros_like(band))


def image_beside(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, reach: int) -> tuple[bool, bool]:
    """Whether the image mask holds pixels on rows ``[y0, y1)`` within ``reach`` columns before ``x0``, and
    within ``reach`` columns after ``x1``: the sides a line may be carried to."""
    rows = image[y0:y1]
    return bool(rows[:, max(0, x0 - reach):x0].any()), bool(rows[:, x1:min(image.shape[1], x1 + reach)].any())


def extend_into_image(static: np.ndarray, image: np.ndarray, x0: int, y0: int, x1: int, y1: int,
                      reach: int = 0, upper: np.ndarray | None = None) -> tuple[int, int]:
    """New ``(x0, x1)`` of a box on rows ``[y0, y1)``, carried into the image where its line goes on
    (``reach``: how near the image must be, in pixels; one line height and EDGE_GAP by default;
    ``upper``: a clip's per-pixel maximum beside ``static``, its minimum)."""
    height = y1 - y0
    if height < 4 or not image[y0:y1].any():
        return x0, x1
    width, reach = static.shape[1], reach or height + EDGE_GAP
    # only a side with image within reach is walked: most lines lie far from the image, and for them the
    # line's ink and its colours' column densities are not measured at all
    before, after = image_beside(image, x0, y0, x1, y1, reach)
    if not (after or before):
        return x0, x1
    found = static[y0:y1, x0:x1]
    ink = found[(top_hat(found) >= MIN_STROKE) & ~image[y0:y1, x0:x1]]
    if ink.size < MIN_INK_PIXELS:
        return x0, x1
    level = float(np.median(ink))
    bright = _column_densities(static, y0, y1, max(level - INK_MARGIN, 0.85 * level))
    matched = [_match_densities(static, y0, y1, colour, tolerance, upper) for colour, tolerance in ink_colours(ink)]
    slack = int(np.ceil(END_SLACK * height))
    if after:
        end = max([_walk(*bright, x1, +1, height)]
                  + [_walk(*m, x1, +1, height, MIN_MATCH_DENSITY, MATCH_LOCAL_RATIO, height) for m in matched])
        x1 = min(width, end + slack) if end > x1 else x1
    if before:
        start = min([_walk(*bright, x0 - 1, -1, height)]
                    + [_walk(*m, x0 - 1, -1, height, MIN_MATCH_DENSITY, MATCH_LOCAL_RATIO, height) for m in matched])
        x0 = max(0, start - slack) if start < x0 else x0
    return x0, x1


class LineBox(Protocol):
    """What :func:`carry_lines` needs of a detected box (``detect.TextBox``, a dataclass)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    x0: int
    y0: int
    x1: int
    y1: int
    frame_start: int
    frame_end: int
    decision: Decision
    text: str


BoxT = TypeVar("BoxT", bound=LineBox)


def _same_line(a: LineBox, b: LineBox) -> bool:
    """Same frames, rows overlapping by half the smaller height, less than two heights apart."""
    if (a.frame_start, a.frame_end) != (b.frame_start, b.frame_end):
        return False
    ha, hb = a.y1 - a.y0, b.y1 - b.y0
    if min(a.y1, b.y1) - max(a.y0, b.y0) < 0.5 * min(ha, hb):
        return False
    return max(a.x0, b.x0) - min(a.x1, b.x1) <= 2.0 * max(ha, hb)


def _lines(boxes: list[BoxT]) -> list[list[int]]:
    """Indices of redacted boxes grouped into lines (left to right)."""
    lines: list[list[int]] = []
    for i in sorted((i for i, b in enumerate(boxes) if b.decision.redact), key=lambda i: boxes[i].x0):
        for line in lines:
            if any(_same_line(boxes[i], boxes[j]) for j in line):
                line.append(i)
                break
        else:
            lines.append([i])
    return lines


def close_gaps(boxes: list[BoxT]) -> list[BoxT]:
    """``boxes`` with each redacted part of a line widened to the next one (gap up to MAX_JOIN line heights),
    unless a kept box lies in between.

    Small or dim punctuation inside a value ("-" of 1981-10-17, the dots of "Dr. T. Eriksson") is often
    not found as a segment of its own, and the parts around it are redacted apart: the punctuation
    stayed on the screen (and a value counts as removed only when all its ink is)."""
    out = list(boxes)
    kept = [b for b in boxes if not b.decision.redact]
    for line in _lines(boxes):
        order = sorted(line, key=lambda i: boxes[i].x0)
        for a, b in zip(order, order[1:], strict=False):
            left, right = out[a], boxes[b]
            height = max(left.y1, right.y1) - min(left.y0, right.y0)
            if not 0 < right.x0 - left.x1 <= MAX_JOIN * height:
                continue
            y0, y1 = min(left.y0, right.y0), max(left.y1, right.y1)
            if any(k.x0 < right.x0 and left.x1 < k.x1 and k.y0 < y1 and y0 < k.y1
                   and k.frame_start < left.frame_end and left.frame_start < k.frame_end for k in kept):
                continue
            out[a] = replace(left, x1=right.x0, y0=y0, y1=y1)
    return out


def _trail(strokes: np.ndarray, start: int, step: int, gap_max: int) -> int:
    """From column ``start`` going ``step``, the far edge of stroke columns no more than ``gap_max`` apart."""
    end, gap, column = start, 0, start if step > 0 else start - 1
    while 0 <= column < strokes.shape[0]:
        if strokes[column]:
            end, gap = (column + 1 if step > 0 else column), 0
        else:
            gap += 1
            if gap > gap_max:
                break
        column += step
    return end


def take_trailing_glyphs(view: np.ndarray, image: np.ndarray | None, boxes: list[BoxT]) -> list[BoxT]:
    """``boxes`` with each redacted line's end parts widened over a last small glyph beside them.

    At 8-10 px a '1' or a '7' has fewer stroke pixels than the segmenter keeps (text_find
    MIN_SEGMENT_INK), so "H78-1630-7" was redacted as "H78-1630-" and the '7' stayed. Stroke columns
    (top-hat at least TRAIL_CONTRAST of the line's own strokes, off the image) within TRAIL line
    heights of the line's end, and no more than TRAIL_GAP apart, are taken in; only for lines read as
    text (MIN_LINE_CHARS) no taller than MAX_TRAIL_HEIGHT (a depth scale's ticks are no glyphs)."""
    out = list(boxes)
    for line in _lines(boxes):
        parts = [boxes[i] for i in line]
        x0, x1 = min(p.x0 for p in parts), max(p.x1 for p in parts)
        y0, y1 = min(p.y0 for p in parts), max(p.y1 for p in parts)
        height = y1 - y0
        if height > MAX_TRAIL_HEIGHT or sum(len(re.findall(r"\w", p.text)) for p in parts) < MIN_LINE_CHARS:
            continue
        reach, gap_max = max(2, int(round(TRAIL * height))), max(1, int(round(TRAIL_GAP * height)))
        lo, hi = max(0, x0 - reach), min(view.shape[2], x1 + reach)
        static = view[parts[0].frame_start:parts[0].frame_end, y0:y1, lo:hi].min(axis=0)
        tophat = top_hat(static)
        own = tophat[:, x0 - lo:x1 - lo]
        if not own.size or not (own >= MIN_STROKE).any():
            continue
        strong = tophat >= max(MIN_STROKE, TRAIL_CONTRAST * percentile(own[own >= MIN_STROKE], 90))
        if image is not None:
            strong &= ~image[y0:y1, lo:hi]
        columns = strong.sum(axis=0)
        new_x1 = _trail(columns > 0, x1 - lo, +1, gap_max) + lo
        new_x0 = _trail(columns > 0, x0 - lo, -1, gap_max) + lo
        if new_x1 > x1 and columns[x1 - lo:new_x1 - lo].sum() >= MIN_TRAIL_INK:
            end = max(line, key=lambda i: out[i].x1)
            out[end] = replace(out[end], x1=new_x1)
        if new_x0 < x0 and columns[new_x0 - lo:x0 - lo].sum() >= MIN_TRAIL_INK:
            end = min(line, key=lambda i: out[i].x0)
            out[end] = replace(out[end], x0=new_x0)
    return out


def carry_lines(view: np.ndarray, image: np.ndarray | None, boxes: list[BoxT]) -> list[BoxT]:
    """``boxes`` with each redacted line that meets the image carried on over it where its text goes on.

    ``view`` is the (T, H, W) grey view, ``image`` the image mask. The line's rows and the ink of
    all its parts on the screen are used; the end box of the line on the image's side becomes the whole
    line carried on (reason ``+into-image``). Lines with fewer than MIN_LINE_CHARS word characters read
    are left. The gaps between a line's redacted parts are covered first (:func:`close_gaps`), and a last
    small glyph beside a line is taken in (:func:`take_trailing_glyphs`)."""
    boxes = take_trailing_glyphs(view, image, close_gaps(boxes))
    if image is None or not image.any():
        return boxes
    carried: dict[int, BoxT] = {}
    height_all = image.shape[0]
    for line in _lines(boxes):
        parts = [boxes[i] for i in line]
        if sum(len(re.findall(r"\w", p.text)) for p in parts) < MIN_LINE_CHARS:
            continue
        x0, x1 = min(p.x0 for p in parts), max(p.x1 for p in parts)
        y0, y1 = min(p.y0 for p in parts), max(p.y1 for p in parts)
        height = y1 - y0
        reach = LINE_REACH * height + EDGE_GAP
        if not any(image_beside(image, x0, y0, x1, y1, reach)):
            continue
        top, bottom = max(0, y0 - height), min(height_all, y1 + height)
        fs, fe = parts[0].frame_start, parts[0].frame_end
        strip = view[fs:fe, top:bottom].min(axis=0)  # static ink only
        upper = view[fs:fe, top:bottom].max(axis=0) if fe - fs > 1 else None
        new_x0, new_x1 = extend_into_image(strip, image[top:bottom], x0, y0 - top, x1, y1 - top, reach, upper)
        below = min(height_all, y1 + int(round(DESCENDER * height)))
        if (new_x0, new_x1) == (x0, x1):
            continue
        end = max(line, key=lambda i: boxes[i].x1) if new_x1 > x1 else min(line, key=lambda i: boxes[i].x0)
        box = boxes[end]
        reason = box.decision.reason if box.decision.reason.endswith("+into-image") \
            else box.decision.reason + "+into-image"
        carried[end] = replace(box, x0=new_x0, x1=new_x1, y0=y0, y1=below,
                               decision=Decision(True, reason, box.decision.text_kind))
    # a carried box spans its whole line and comes last, so the line is filled in one colour (its other
    # parts, kept for their reasons, lie under it): no seam of two fills through a word
    return [b for i, b in enumerate(boxes) if i not in carried] + list(carried.values())
