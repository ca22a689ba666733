"""Segments found on rendered text: the vectorised grouping (each stroke component's box joined per
component of the closing) against the per-pixel definition it replaced, and the search mask, heights and
ink rules that drop what is not a line of text."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.deid.pixels.text_find import (
    MIN_SEGMENT_AREA,
    Segment,
    TextScale,
    find_segments,
    glyph_boxes,
    group_segments,
    stroke_components,
    stroke_mask,
    top_hat,
    typical_height,
)
from phiphantom.synth.fonts import load_font


def _screen(lines: list[tuple[int, int, str, int]], size: tuple[int, int] = (640, 200)) -> np.ndarray:
    """Grey text (x, y, text, font px) on black, as a monitor's overlay."""
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    for x, y, text, px in lines:
        draw.text((x, y), text, fill=230, font=load_font("DejaVuSans", px))
    return np.asarray(image)


def _per_pixel(strokes: np.ndarray) -> list[Segment]:
    """The definition: a segment is the stroke pixels of one component of the closing (box and count)."""
    stats = stroke_components(strokes)[1]
    heights = glyph_boxes(stats)[:, cv2.CC_STAT_HEIGHT]
    typical = np.percentile(heights[heights >= 4], 75, method="linear")
    gap = max(3, int(round(typical * 0.55)))
    joined = cv2.dilate(strokes, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    joined = cv2.dilate(joined, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 2)))
    n, labels = cv2.connectedComponents(joined, connectivity=8)
    out = []
    for i in range(1, n):
        ys, xs = np.nonzero(strokes.astype(bool) & (labels == i))
        if len(xs) >= MIN_SEGMENT_AREA:
            out.append(Segment(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1, len(xs)))
    return sorted(out, key=lambda s: (s.y0, s.x0))


LINES = [(8, 6, "SMITH, JOHN  12/03/1961", 14), (400, 6, "MI 0.8  TIS 0.3", 12), (8, 40, "Gain 52%", 9),
         (200, 40, "L12-5  Lung", 18), (8, 90, "Hospital Clínico São João", 11), (420, 150, "0 cm 5 . 10", 10)]


@pytest.mark.parametrize("search_part", ["all", "left"])
def test_grouping_matches_the_per_pixel_definition(search_part: str) -> None:
    frame = _screen(LINES)
    search = np.ones(frame.shape, dtype=bool)
    if search_part == "left":
        search[:, 330:] = False  # a search mask that cuts words
    strokes = stroke_mask(top_hat(frame), search)
    got = group_segments(strokes, stroke_components(strokes))
    assert got == _per_pixel(strokes)
    assert len(got) >= (8 if search_part == "all" else 5)  # words and short phrases, not one blob nor glyphs


def test_segments_of_rendered_lines_cover_each_line_and_stay_in_the_search_area() -> None:
    frame = _screen(LINES)
    search = np.ones(frame.shape, dtype=bool)
    search[120:, :] = False
    segments = find_segments(frame, search)
    assert all(s.y1 <= 120 for s in segments)  # nothing from the scale below the search area
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    for x, y, text, px in LINES[:5]:
        bx0, by0, bx1, by1 = draw.textbbox((x, y), text, font=load_font("DejaVuSans", px))
        inside = [s for s in segments if bx0 - 2 <= s.x0 and s.x1 <= bx1 + 2 and by0 - 2 <= s.y0 and s.y1 <= by1 + 2]
        assert inside, text  # each line's words are segments of their own, inside the line's box
        assert sum(s.width for s in inside) >= 0.6 * (bx1 - bx0), text


def test_no_strokes_no_segments() -> None:
    strokes = np.zeros((40, 80), dtype=np.uint8)
    assert group_segments(strokes, stroke_components(strokes)) == []
    speck = strokes.copy()
    speck[10:12, 10:12] = 1  # 4 pixels: below the smallest segment
    assert group_segments(speck, stroke_components(speck)) == []


def test_a_kept_scale_groups_untouched_text_as_before_a_redaction() -> None:
    """Verification finds text again after a redaction: the glyph height it groups by is the one the first
    detection measured (TextScale). Measured again, the big redacted lines no longer raise it, the joining
    gap shrinks, and a small clinical line nobody touched falls apart ("F" | "7.5MHz": a sex marker)."""
    lines = [(10, 10, "DOE JANE", 30), (10, 50, "SMITH JOHN", 30), (300, 10, "MRN 123456", 30),
             (10, 150, "F 7.5MHz", 11)]
    screen = _screen(lines)
    search = np.ones(screen.shape, dtype=bool)
    scale = TextScale()
    before = find_segments(screen, search, scale)
    assert scale.height is not None and scale.height > 15  # measured on the big lines, and kept
    redacted = screen.copy()
    redacted[:100] = 0  # the three big lines filled

    def small(segments: list[Segment]) -> list[tuple[int, int, int, int]]:
        return [(s.x0, s.y0, s.x1, s.y1) for s in segments if s.y0 >= 140]

    assert len(small(before)) == 1
    assert small(find_segments(redacted, search, scale)) == small(before)
    assert len(small(find_segments(redacted, search))) == 2  # measured again: split


def test_typical_height_is_what_grouping_measures() -> None:
    screen = _screen([(10, 10, "Gain 54 dB", 14), (10, 60, "Depth 12 cm", 14)])
    strokes = stroke_mask(top_hat(screen), np.ones(screen.shape, dtype=bool))
    components = stroke_components(strokes)
    scale = TextScale()
    segments = group_segments(strokes, components, scale)
    assert scale.height == typical_height(glyph_boxes(components[1]))
    assert group_segments(strokes, components, TextScale(scale.height)) == segments
    assert group_segments(strokes, components, TextScale(3.0)) != segments  # a smaller gap splits the words


def _binary_screen(lines: list[tuple[int, int, str, int]], level: int,
                   size: tuple[int, int] = (640, 200)) -> np.ndarray:
    """Text drawn without anti-aliasing at one grey ``level`` on black: the same stroke pixels at any level."""
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    for x, y, text, px in lines:
        draw.text((x, y), text, fill=level, font=load_font("DejaVuSans", px))
    return np.asarray(image)


def test_finding_again_after_a_fill_gives_what_a_fresh_search_gives() -> None:
    """A kept TextScale also keeps what each grouped segment became; found again after fills, the segments
    are exactly those of a fresh search at the same height, fills beside, over and between lines alike."""
    screen = _screen(LINES)
    search = np.ones(screen.shape, dtype=bool)
    scale = TextScale()
    first = find_segments(screen, search, scale)
    assert first and scale.found
    for fill in [(8, 6, 120, 22), (190, 38, 215, 60), (0, 0, 640, 30), (300, 120, 330, 200), (415, 148, 425, 165)]:
        x0, y0, x1, y1 = fill
        redacted = screen.copy()
        redacted[y0:y1, x0:x1] = 0
        kept = TextScale(scale.height)
        find_segments(screen, search, kept)
        assert find_segments(redacted, search, kept) == find_segments(redacted, search, TextScale(scale.height))
    assert find_segments(screen, search, scale) == first  # nothing changed: the same segments


def test_a_segment_whose_pixels_changed_is_judged_again_even_with_the_same_box_and_ink() -> None:
    """Dim text (top-hat contrast 30, below MIN_CONTRAST) is no overlay text; the same strokes at full
    brightness are. Same stroke pixels, so the same box and ink: what was kept for the dim one must not be
    reused for the bright one (its pixels changed), nor for a different search area."""
    lines = [(20, 20, "Gain 52", 16)]
    dim, bright = _binary_screen(lines, 30), _binary_screen(lines, 220)
    search = np.ones(dim.shape, dtype=bool)
    assert find_segments(dim, search) == [] and find_segments(bright, search) != []
    scale = TextScale()
    assert find_segments(dim, search, scale) == []
    assert find_segments(bright, search, scale) == find_segments(bright, search)
    left = search.copy()
    left[:, 80:] = False
    scale = TextScale()
    find_segments(bright, search, scale)
    assert find_segments(bright, left, scale) == find_segments(bright, left, TextScale(scale.height))


def test_grouping_found_again_on_bands_is_grouping_the_whole_frame_again() -> None:
    """Found again after fills, text is grouped again only on bands of rows around the fills; a component a
    band cuts (a tall bar beside the text, lines above and below) is taken whole from the first search.
    Fills at the frame's top and bottom edges, over part of the lines at the very top and bottom, between lines, across
    the bar, over everything, and over everything but the bar (no glyph left: no segments, whatever the bar)
    give what grouping the whole frame again gives."""
    screen = _screen(LINES + [(150, 120, "Depth 16 cm", 12), (300, 0, "TOP 12", 10),
                              (480, 188, "BTM 9", 10)])
    screen = screen.copy()
    screen[20:190, 600:603] = 230  # a tall bar: not a glyph, taller than any band around one line
    screen[60:64, 250:640] = 200   # a long rule across the frame, near a line of text
    search = np.ones(screen.shape, dtype=bool)
    fills = [[(8, 6, 120, 22)], [(0, 0, 640, 4)], [(400, 190, 640, 200)], [(590, 90, 610, 100)],
             [(190, 38, 215, 60), (415, 148, 425, 165)], [(0, 0, 640, 200)], [(240, 58, 400, 66)],
             [(300, 0, 318, 12), (480, 192, 492, 200)],  # part of the top line, part of the bottom one
             [(0, 0, 598, 200), (605, 0, 640, 200)]]  # all but the bar
    for boxes in fills:
        first = TextScale()
        find_segments(screen, search, first)
        redacted = screen.copy()
        for x0, y0, x1, y1 in boxes:
            redacted[y0:y1, x0:x1] = 0
        fresh = TextScale(first.height)
        again = find_segments(redacted, search, first)
        assert again == find_segments(redacted, search, fresh), boxes
        strokes = stroke_mask(top_hat(redacted), search)
        whole = TextScale(first.height)
        group_segments(strokes, stroke_components(strokes), whole)
        if whole.groups is None:
            assert first.groups is None and again == [], boxes
        else:  # every component of the closing, the tiny ones too, and which hold a glyph
            assert first.groups is not None, boxes
            assert sorted(zip(map(tuple, first.groups[0].tolist()), first.groups[1].tolist(), strict=True)) == \
                sorted(zip(map(tuple, whole.groups[0].tolist()), whole.groups[1].tolist(), strict=True)), boxes


@pytest.mark.parametrize("rows", [1, 2, 4, 6, 9])
def test_grouping_found_again_on_frames_of_a_few_rows(rows: int) -> None:
    """Frames fewer rows tall than a band's margins (thin strips, small images): found again after a change,
    the same components as a fresh grouping, and no band reaches past the frame."""
    frame = np.zeros((rows, 60), dtype=np.uint8)
    frame[:, 5:7] = 220
    frame[:, 12:14] = 220
    frame[:, 40:43] = 220
    search = np.ones(frame.shape, dtype=bool)
    first = TextScale()
    find_segments(frame, search, first)
    assert first.groups is not None and len(first.groups[0]) >= 2
    changed = frame.copy()
    changed[:, 12:14] = 0
    again = find_segments(changed, search, first)
    assert again == find_segments(changed, search, TextScale(first.height))
    strokes = stroke_mask(top_hat(changed), search)
    whole = TextScale(first.height)
    group_segments(strokes, stroke_components(strokes), whole)
    assert whole.groups is not None and first.groups is not None
    assert sorted(map(tuple, first.groups[0].tolist())) == sorted(map(tuple, whole.groups[0].tolist()))
