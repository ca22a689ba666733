"""Find text segments (words and short phrases) outside the image area, before any OCR.

Overlay text is thin strokes on a flat background (black, or a plate), so a
white top-hat (the image minus its morphological opening) keeps the strokes
and drops plates and gradients. Thresholded stroke pixels are grouped into
glyphs, glyphs into segments: neighbours on a line closer than about half a
character height join (letters, words separated by one space); wider gaps
separate items. Every segment is a candidate box whatever OCR later makes of it,
so nothing unreadable escapes (strict policy redacts it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from phiphantom.core.percentiles import percentile

from .components import components

MIN_STROKE = 12          # top-hat grey levels that count as ink (dim text on black is ~70)
MAX_GLYPH_HEIGHT = 90
MAX_SEGMENT_HEIGHT = 90  # a line of overlay text (28 px at most, plates and all) is never this tall
MIN_SEGMENT_HEIGHT = 5   # the smallest legible word (8 px font) is 5+ px tall; grains and ticks are less
MIN_SEGMENT_INK = 12
MIN_SEGMENT_AREA = 5
FLAT_SPREAD = 6          # grey levels: the background around real overlay text is this flat
MIN_LINE_SPLIT = 14      # segments taller than twice this are checked for run-together lines
MIN_CONTRAST = 40        # top-hat grey levels: overlay text, even dim, is well above speckle grains (~15-25)


@dataclass(frozen=True)
class Segment:
    """A candidate text box ``[x0, x1) x [y0, y1)`` with its ink pixel count."""

    x0: int
    y0: int
    x1: int
    y1: int
    ink: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    def expanded(self, margin: int, width: int, height: int) -> tuple[int, int, int, int]:
        return (max(0, self.x0 - margin), max(0, self.y0 - margin),
                min(width, self.x1 + margin), min(height, self.y1 + margin))


CHUNK_PIXELS = 1 << 21  # pixels per step of whole-clip conversions: temporaries stay small and in cache


def frame_chunks(shape: tuple[int, ...]) -> list[slice]:
    """Slices of the first axis of a ``(T, H, W, ...)`` array holding about CHUNK_PIXELS pixels each."""
    per = max(1, CHUNK_PIXELS // max(1, int(np.prod(shape[1:3]))))
    return [slice(t, t + per) for t in range(0, shape[0], per)]


def channel_max(arr: np.ndarray) -> np.ndarray:
    """Per-pixel maximum over the 3 samples of ``(..., 3)`` data (4x faster than ``arr.max(axis=-1)``).

    Written into one output, a few frames at a time: a 300-frame 1024x768 clip would otherwise make
    two full-size temporaries (0.5 GB of fresh pages)."""
    out = np.empty(arr.shape[:-1], dtype=arr.dtype)
    frames, result = (arr, out) if arr.ndim == 4 else (arr[None], out[None])  # one frame: one chunk
    for part in frame_chunks(frames.shape):
        np.maximum(frames[part, ..., 0], frames[part, ..., 1], out=result[part])
        np.maximum(result[part], frames[part, ..., 2], out=result[part])
    return out


def ink_channel(frame: np.ndarray) -> np.ndarray:
    """A grey view in which coloured text is bright: the channel maximum for colour frames."""
    return channel_max(frame) if frame.ndim == 3 else frame


def top_hat(grey: np.ndarray, kernel: int = 13) -> np.ndarray:
    """Grey minus its opening: thin bright strokes stay, flat backgrounds (black, plates) go to ~0."""
    return cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel)))


def stroke_mask(tophat: np.ndarray, search: np.ndarray) -> np.ndarray:
    """Stroke pixels (top-hat above MIN_STROKE) inside the search mask, as uint8 0/1."""
    return ((tophat >= MIN_STROKE) & search).astype(np.uint8)


def stroke_components(strokes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and (x, y, w, h, area) rows of the 8-connected components of stroke pixels (row 0: background)."""
    _, labels, stats = components(strokes)
    return labels, stats


def glyph_sized(boxes: np.ndarray) -> np.ndarray:
    """Which of the (x, y, w, h, area) rows have a glyph-like size: (n,) bool."""
    return (boxes[:, cv2.CC_STAT_HEIGHT] <= MAX_GLYPH_HEIGHT) & (boxes[:, cv2.CC_STAT_AREA] >= 1)


def glyph_boxes(stats: np.ndarray) -> np.ndarray:
    """The components (:func:`stroke_components` rows) that have a glyph-like size: rows of (x, y, w, h, area)."""
    stats = stats[1:]
    return stats[glyph_sized(stats)]


#: Components of a strokes' closing (:func:`_closing_groups`): (n, 5) rows of x0, y0, x1, y1, ink, and (n,) whether
#: each holds a glyph-sized stroke component
Groups = tuple[np.ndarray, np.ndarray]


@dataclass
class TextScale:
    """The typical glyph height a view's text was grouped by (:func:`group_segments`), measured where a
    file's text is first found and reused when it is found again after redaction (verification).

    A redaction removes glyphs, and with them the measured height changes: measured again, the gap between
    glyphs that joins them into segments changes too, and text no redaction touched is grouped otherwise
    ("F7.5MHz" split into "F" and "7.5MHz", read as a sex marker and a value) and judged as new text far
    from any redaction. ``height`` is None until measured.

    It also keeps what :func:`segments_in` last made of that view (``groups``: every component of the strokes'
    closing; ``tophat``, ``search``, and ``found``: each grouped segment's final segments), so that finding
    text again after a redaction groups again only the rows the redaction changed (:func:`_grouped_again`)
    and refines and judges again only the segments whose surroundings it changed (:func:`segments_in`)."""

    height: float | None = None
    groups: Groups | None = None
    tophat: np.ndarray | None = None
    search: np.ndarray | None = None
    found: dict[Segment, list[Segment] | None] = field(default_factory=dict)

    def known(self, tophat: np.ndarray,
              search: np.ndarray) -> tuple[dict[Segment, list[Segment] | None], np.ndarray | None]:
        """What the last view's grouped segments became, and where its top-hat differs from ``tophat``
        (None, with nothing known, when there was none or it searched elsewhere)."""
        if self.tophat is None or self.search is None or self.tophat.shape != tophat.shape:
            return {}, None
        if self.search is not search and not np.array_equal(self.search, search):
            return {}, None
        return self.found, self.tophat != tophat


def typical_height(glyphs: np.ndarray) -> float:
    """The height of real characters among the glyphs (:func:`glyph_boxes` rows): the 75th percentile of
    heights of 4+ pixels (punctuation and specks are small and numerous: not the median); 8 when there are none."""
    heights = glyphs[:, cv2.CC_STAT_HEIGHT]
    return percentile(heights[heights >= 4], 75) if (heights >= 4).any() else 8.0


def group_segments(strokes: np.ndarray, components: tuple[np.ndarray, np.ndarray],
                   scale: TextScale | None = None) -> list[Segment]:
    """Join glyphs into segments by a horizontal closing scaled to the typical glyph height.

    ``components``: the strokes' own components (:func:`stroke_components`). A segment is the strokes of one
    component of the closing; each stroke component lies in exactly one, so a segment's box is the union
    of its components' boxes and its ink their areas summed (vectorised: no pass over each segment's
    pixels). ``scale``: the height to group by when it holds one, else measured here (and kept in it); it
    also keeps every component of the closing (``groups``, for :func:`segments_in` to find them again)."""
    labels, stats = components
    glyphs = glyph_boxes(stats)
    if len(glyphs) == 0:
        return _text_segments(None, scale)
    if scale is not None and scale.height is not None:
        typical = scale.height
    else:
        typical = typical_height(glyphs)
        if scale is not None:
            scale.height = typical
    return _text_segments(_closing_groups(strokes, components, typical), scale)


def _text_segments(groups: Groups | None, scale: TextScale | None) -> list[Segment]:
    """The segments of ``groups``, kept in ``scale``; none when no group holds a glyph-sized stroke component
    (then there is no text to group, and no groups are kept)."""
    if groups is not None and not groups[1].any():
        groups = None
    if scale is not None:
        scale.groups = groups
    return [] if groups is None else _segments(groups)


#: A stroke's row reaches the closing's rows this far at most (its kernel is two rows tall), rounded up
CLOSING_ROW_REACH = 2


def _closing_groups(strokes: np.ndarray, components: tuple[np.ndarray, np.ndarray], typical: float) -> Groups:
    """Every component of the strokes' closing, whatever its size, in OpenCV's label order: rows of (x0, y0,
    x1, y1, ink) of its strokes, and whether any of its stroke components is glyph-sized (:func:`glyph_boxes`)."""
    labels, stats = components
    if len(stats) <= 1:
        return np.zeros((0, 5), dtype=np.int64), np.zeros(0, dtype=bool)
    # ``gap`` wide and one row up: what a (gap, 1) dilation followed by a (1, 2) one gives, in one pass
    gap = max(3, int(round(typical * 0.55)))
    joined = cv2.dilate(strokes, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 2)))
    _, joined_labels = cv2.connectedComponents(joined, connectivity=8)
    parts = np.arange(1, len(stats))
    boxes = stats[parts]
    # a pixel of each component: on its box's top row, the first column it holds there (the closing only
    # adds pixels, so the segment at any one of a component's pixels is the whole component's)
    tops = boxes[:, cv2.CC_STAT_TOP]
    columns = (labels[tops] == parts[:, None]).argmax(axis=1)
    segment_of = joined_labels[tops, columns]
    order = np.argsort(segment_of, kind="stable")
    segment_of, boxes = segment_of[order], boxes[order]
    starts = np.flatnonzero(np.r_[True, segment_of[1:] != segment_of[:-1]])
    glyph = glyph_sized(boxes)
    rows = np.stack([np.minimum.reduceat(boxes[:, cv2.CC_STAT_LEFT], starts),
                     np.minimum.reduceat(boxes[:, cv2.CC_STAT_TOP], starts),
                     np.maximum.reduceat(boxes[:, cv2.CC_STAT_LEFT] + boxes[:, cv2.CC_STAT_WIDTH], starts),
                     np.maximum.reduceat(boxes[:, cv2.CC_STAT_TOP] + boxes[:, cv2.CC_STAT_HEIGHT], starts),
                     np.add.reduceat(boxes[:, cv2.CC_STAT_AREA], starts)], axis=1).astype(np.int64)
    return rows, np.maximum.reduceat(glyph, starts).astype(bool)


def _segments(groups: Groups) -> list[Segment]:
    """The groups large enough to be segments, top to bottom, left to right (ties: in ``groups``' order)."""
    rows, _ = groups
    segments = [Segment(a, b, c, d, e) for a, b, c, d, e in rows[rows[:, 4] >= MIN_SEGMENT_AREA].tolist()]
    return sorted(segments, key=lambda s: (s.y0, s.x0))


_AROUND = np.ones((3, 3), np.uint8)  # a stroke pixel's neighbours (flat_background leaves them out)


def flat_background(tophat: np.ndarray, strokes: np.ndarray, seg: Segment, margin: int = 2) -> bool:
    """True when the pixels around the strokes are flat (screen black or a plate), not speckle.

    Overlay text sits on a uniform background; grains of speckle picked up at the edge of the image
    sit on more speckle. In the top-hat image a flat background (of any level: black, a plate, both)
    is ~0, speckle is not; the test takes the box's non-stroke pixels (strokes dilated by one pixel,
    so anti-aliased fringes and compression ringing next to strokes do not count) and asks that
    most of them stay small compared with the strokes' own contrast.
    """
    h, w = tophat.shape
    x0, y0, x1, y1 = seg.expanded(margin, w, h)
    patch = tophat[y0:y1, x0:x1]
    stroke = strokes[y0:y1, x0:x1]  # 0/1
    rest = patch[cv2.dilate(stroke, _AROUND) == 0]
    if rest.size < 8 or not stroke.any():
        return True
    contrast = percentile(patch[stroke.view(bool)], 90)  # the glyphs' own strokes, not codec noise on a plate
    if contrast < MIN_CONTRAST:
        return False
    return bool(percentile(rest, 80) <= max(FLAT_SPREAD, 0.2 * contrast))


#: Shares of a tall segment's stroke contrast (90th percentile) tried in turn as the level that splits lines run
#: together (:func:`refine`). Codec noise on a lossy JPEG plate can reach 40% of the text's contrast: a four-line
#: patient block on a grey plate stayed one segment at 0.35, read "-", and split into its lines at 0.45.
SPLIT_LEVELS = (0.35, 0.45, 0.55)
MIN_ROW_HEIGHTS = 2.5  # a line of a text block ("F 90y") is at least this many of its heights wide
MAX_ROW_PARTS = 4      # a line of a text block splits into a few words at most, speckle into many grains


def refine(tophat: np.ndarray, strokes: np.ndarray, seg: Segment, depth: int = 2, top: bool = True) -> list[Segment]:
    """Split a segment whose strokes were bridged by codec noise (lines on a JPEG plate run together):
    threshold it again relative to its own strokes and regroup. The first level's split is taken as it
    comes; a higher level's only when it gives lines one above the other (:func:`stacked_lines`; a tall
    single line thresholded harder falls apart into pieces of itself, side by side). A part still two lines
    tall is split again, ``depth`` times at most, and only into lines (a plate's five lines split into three,
    one of them two lines; ``top``: the first call)."""
    if seg.height < 2 * MIN_LINE_SPLIT:
        return [seg]
    x0, y0, x1, y1 = seg.x0, seg.y0, seg.x1, seg.y1
    patch = tophat[y0:y1, x0:x1]
    stroke = strokes[y0:y1, x0:x1].astype(bool)
    contrast = percentile(patch[stroke], 90)
    for n, share in enumerate(SPLIT_LEVELS):
        local = ((patch >= max(MIN_STROKE, share * contrast)) & stroke).astype(np.uint8)
        parts = group_segments(local, stroke_components(local))
        if len(parts) > 1 and ((top and n == 0) or stacked_lines(parts)):
            placed = [Segment(p.x0 + x0, p.y0 + y0, p.x1 + x0, p.y1 + y0, p.ink) for p in parts]
            return [q for p in placed for q in (refine(tophat, strokes, p, depth - 1, False) if depth > 0 else [p])]
    return [seg]


def stacked_lines(parts: list[Segment]) -> bool:
    """Whether ``parts`` are lines of a text block one above the other. Of the parts, those of a legible size
    (MIN_SEGMENT_HEIGHT, MIN_SEGMENT_INK) must hold nearly all the ink, form two or more rows of at most
    :data:`MAX_ROW_PARTS` parts each, none of them two lines tall, most of the ink in parts wider than tall,
    every row :data:`MIN_ROW_HEIGHTS` heights wide at least, and the rows start (or end) within a line height
    of each other, as a block's lines do. A depth scale's ticks, a graphic or speckle at the fan's rim
    thresholded harder fall apart into tall, blob-shaped, scattered or many small pieces."""
    legible = [p for p in parts if p.height >= MIN_SEGMENT_HEIGHT and p.ink >= MIN_SEGMENT_INK]
    ink = sum(p.ink for p in legible)
    if not legible or ink < 0.9 * sum(p.ink for p in parts) or any(p.height >= 2 * MIN_LINE_SPLIT for p in legible):
        return False
    if sum(p.ink for p in legible if p.width >= p.height) < 0.8 * ink:
        return False
    rows: list[list[int]] = []  # [y0, y1, x0, x1, parts] of legible parts overlapping vertically
    for p in sorted(legible, key=lambda p: p.y0):
        if rows and p.y0 < rows[-1][1]:
            row = rows[-1]
            row[1], row[2], row[3], row[4] = max(row[1], p.y1), min(row[2], p.x0), max(row[3], p.x1), row[4] + 1
        else:
            rows.append([p.y0, p.y1, p.x0, p.x1, 1])
    height = float(np.median([p.height for p in legible]))
    if len(rows) < 2 or any(r[4] > MAX_ROW_PARTS or r[3] - r[2] < MIN_ROW_HEIGHTS * height for r in rows):
        return False
    lefts, rights = [r[2] for r in rows], [r[3] for r in rows]
    return max(lefts) - min(lefts) <= height or max(rights) - min(rights) <= height


def find_segments(frame: np.ndarray, search: np.ndarray, scale: TextScale | None = None) -> list[Segment]:
    """Candidate text segments of one frame (or composite) within ``search`` (H, W) bool (``scale``: see
    :func:`group_segments`)."""
    return segments_in(top_hat(ink_channel(frame)), search, scale)


def segments_in(tophat: np.ndarray, search: np.ndarray, scale: TextScale | None = None) -> list[Segment]:
    """:func:`find_segments` on a frame's top-hat already computed (a caller that needs it too).

    With ``scale`` holding the last call's view (the same search area, another top-hat: a redaction's fills),
    strokes are grouped again only on the rows near the changes (:func:`_grouped_again`), and a grouped
    segment the last call also grouped is refined and judged again only where the top-hat changed within
    REUSE_MARGIN of its box (a fill and the top-hat's reach around it): :func:`refine` reads the box and
    :func:`flat_background` its parts grown by REUSE_MARGIN, so elsewhere the same pixels give the same
    segments (tests/test_text_segments.py). Verification after a redaction finds a still's text again at a
    fraction of the cost."""
    strokes = stroke_mask(tophat, search)
    known, changed = scale.known(tophat, search) if scale is not None else ({}, None)
    groups = _grouped_again(strokes, scale, changed) if scale is not None and changed is not None else None
    if groups is not None:
        grouped = _text_segments(groups, scale)
    else:
        grouped = group_segments(strokes, stroke_components(strokes), scale)
    h, w = tophat.shape
    out: list[Segment] = []
    found: dict[Segment, list[Segment] | None] = {}
    for seg in grouped:
        parts = known.get(seg) if changed is not None else None
        if parts is not None and changed is not None:
            x0, y0, x1, y1 = seg.expanded(REUSE_MARGIN, w, h)
            if changed[y0:y1, x0:x1].any():
                parts = None
        if parts is None:
            parts = _kept(tophat, strokes, seg)
        found[seg] = None if seg in found else parts  # two segments alike (same box and ink): neither is reused
        out.extend(parts)
    if scale is not None:
        scale.tophat, scale.search, scale.found = tophat, search, found
    return out


#: How far beyond a grouped segment's box :func:`_kept` reads (``flat_background``'s margin)
REUSE_MARGIN = 2
#: Rows a band grouped again (:func:`_grouped_again`) holds beyond the components it is for: its components near
#: its top and bottom may be cut by it, and are taken from the last view instead
BAND_MARGIN = 3


def _grouped_again(strokes: np.ndarray, scale: TextScale, changed: np.ndarray) -> Groups | None:
    """The closing's components of ``strokes`` (:func:`_closing_groups`, at the kept height), found again from
    those of the last view (``scale.groups``), whose top-hat differs from this one only where ``changed``;
    None when there are none to start from.

    Strokes, and so the closing, can differ only on rows near a change (CLOSING_ROW_REACH). A component of
    the last view whose rows (grown by that reach) miss every changed row is the same component now. The
    rest, and whatever the change made, are grouped again on full-width bands of rows: the changed rows and
    the components they touch, grown by BAND_MARGIN. A component found on a band is taken when it lies
    inside the band's margins (there the band's closing is the frame's); one of the last view is dropped
    when it lies inside them (found again there), kept otherwise (one the band cuts lies in its margins).
    The same components as grouping the whole frame again (tests/test_text_segments.py), at a fraction of
    the cost: a redaction's fills are a few lines of the frame."""
    if scale.groups is None or scale.height is None:
        return None
    rows, glyph = scale.groups
    h = strokes.shape[0]
    hit = np.asarray(changed.any(axis=1))
    if not hit.any():
        return scale.groups
    reach = CLOSING_ROW_REACH
    zone = _grown(hit, reach)
    counts = np.concatenate([[0], np.cumsum(zone)])
    lo, hi = np.clip(rows[:, 1] - reach, 0, h), np.clip(rows[:, 3] + reach, 0, h)
    band = zone.copy()
    for i in np.flatnonzero(counts[hi] - counts[lo] > 0):  # the components a change touches, whole
        band[lo[i]:hi[i]] = True
    band = _grown(band, BAND_MARGIN)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], band.astype(np.int8), [0]])))
    keep = np.ones(len(rows), dtype=bool)
    new_rows_all: list[np.ndarray] = []
    new_glyph_all: list[np.ndarray] = []
    for r0, r1 in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        inner0 = 0 if r0 == 0 else r0 + BAND_MARGIN
        inner1 = h if r1 == h else r1 - BAND_MARGIN
        keep &= ~((lo >= inner0) & (hi <= inner1))
        part = np.ascontiguousarray(strokes[r0:r1])
        new_rows, new_glyph = _closing_groups(part, stroke_components(part), scale.height)
        new_rows[:, [1, 3]] += r0
        new_lo, new_hi = np.clip(new_rows[:, 1] - reach, 0, h), np.clip(new_rows[:, 3] + reach, 0, h)
        inside = (new_lo >= inner0) & (new_hi <= inner1)
        new_rows_all.append(new_rows[inside])
        new_glyph_all.append(new_glyph[inside])
    return np.concatenate([rows[keep], *new_rows_all]), np.concatenate([glyph[keep], *new_glyph_all])


def _grown(rows: np.ndarray, reach: int) -> np.ndarray:
    """A (H,) bool row mask grown by ``reach`` rows up and down (within the frame, however few its rows)."""
    out = rows.copy()
    for k in range(1, min(reach, len(rows) - 1) + 1):
        out[k:] |= rows[:-k]
        out[:-k] |= rows[k:]
    return out


def _kept(tophat: np.ndarray, strokes: np.ndarray, seg: Segment) -> list[Segment]:
    """A grouped segment's final segments: its :func:`refine` parts of a legible size on a flat background."""
    return [s for s in refine(tophat, strokes, seg)
            if MIN_SEGMENT_HEIGHT <= s.height <= MAX_SEGMENT_HEIGHT and s.ink >= MIN_SEGMENT_INK
            and flat_background(tophat, strokes, s, REUSE_MARGIN)]
