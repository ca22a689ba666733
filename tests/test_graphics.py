"""Non-text graphics (synth/graphics): every kind draws real pixels inside its rectangle, reports the
exact box and mask of what it changed, repeats for a seed, works on grey and RGB canvases of one or
many frames, and (except the logo) draws nothing Tesseract reads as a word."""

from __future__ import annotations

import re

import numpy as np
import pytest

from phiphantom.core.ocr import get_backend, similarity
from phiphantom.deid.pixels.classify import READ_CONFIDENCE
from phiphantom.synth.graphics import (
    GRAPHIC_KINDS,
    MIN_SIZE,
    RGB_ONLY_KINDS,
    TEXT_LIKE_KINDS,
    GraphicError,
    GraphicStyle,
    draw,
    image_rects,
    invented_word,
    suggested_rect,
)
from phiphantom.synth.graphics.logo import REAL_BRANDS

SHAPES = {"grey": (90, 130), "grey-frames": (3, 90, 130), "rgb": (90, 130, 3), "rgb-frames": (3, 90, 130, 3)}
RECTS = [(10, 8, 120, 85), (0, 0, 130, 90), (50, 20, 68, 80), (20, 40, 110, 56), (100, 60, 130, 90)]


def _canvas(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A speckle-like background (every frame its own) so that changed pixels can be told apart."""
    return np.random.default_rng(seed).integers(0, 60, size=shape, dtype=np.uint8)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    diff = before != after
    if after.ndim == 4 or (after.ndim == 3 and after.shape[-1] == 3):
        diff = diff.any(axis=-1)
    return diff.any(axis=0) if diff.ndim == 3 else diff


def _tight(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _kinds_for(shape_name: str) -> list[str]:
    return [k for k in GRAPHIC_KINDS if shape_name.startswith("rgb") or k not in RGB_ONLY_KINDS]


@pytest.mark.parametrize("shape_name", list(SHAPES))
def test_each_kind_draws_inside_its_rect_with_the_exact_box_and_mask(shape_name):
    for kind in _kinds_for(shape_name):
        for seed, rect in enumerate(RECTS):
            canvas = _canvas(SHAPES[shape_name], seed)
            before = canvas.copy()
            graphic = draw(kind, canvas, rect, np.random.default_rng(seed), GraphicStyle())
            changed = _changed(before, canvas)
            assert graphic.kind == kind
            assert changed.any(), (kind, shape_name, rect)
            assert np.array_equal(graphic.mask, changed), (kind, shape_name, rect)
            assert graphic.box == _tight(changed), (kind, shape_name, rect)
            x0, y0, x1, y1 = rect
            outside = np.ones(changed.shape, dtype=bool)
            outside[y0:y1, x0:x1] = False
            assert not changed[outside].any(), (kind, shape_name, rect)


@pytest.mark.parametrize("shape_name", ["grey-frames", "rgb-frames"])
def test_a_graphic_is_the_same_on_every_frame(shape_name):
    for kind in _kinds_for(shape_name):
        canvas = np.zeros(SHAPES[shape_name], dtype=np.uint8)
        draw(kind, canvas, (5, 5, 125, 85), np.random.default_rng(3))
        assert canvas.any()
        assert all(np.array_equal(canvas[0], frame) for frame in canvas[1:]), kind


def test_a_frame_range_limits_the_graphic_to_those_frames():
    for shape in ((6, 90, 130), (6, 90, 130, 3)):
        canvas = np.zeros(shape, dtype=np.uint8)
        graphic = draw("tgc_curve", canvas, (0, 0, 130, 90), np.random.default_rng(4), frame_range=(2, 5))
        shown = [bool(frame.any()) for frame in canvas]
        assert shown == [False, False, True, True, True, False]
        assert np.array_equal(graphic.mask, canvas[2].any(axis=-1) if len(shape) == 4 else canvas[2] > 0)
    for bad in ((3, 3), (-1, 2), (0, 7)):
        with pytest.raises(GraphicError, match="frame range"):
            draw("tgc_curve", np.zeros((6, 90, 130), dtype=np.uint8), (0, 0, 130, 90), np.random.default_rng(4),
                 frame_range=bad)


def test_drawing_is_deterministic_for_a_seed_and_varies_across_seeds():
    for kind in GRAPHIC_KINDS:
        runs = []
        for seed in (5, 5, 6, 7, 8):
            canvas = np.zeros((90, 130, 3), dtype=np.uint8)
            graphic = draw(kind, canvas, (0, 0, 130, 90), np.random.default_rng(seed))
            runs.append((canvas, graphic.box))
        assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1], kind
        assert any(not np.array_equal(runs[0][0], other) for other, _ in runs[2:]), kind


def test_grey_canvases_get_the_luma_of_the_colours():
    rgb = np.zeros((90, 130, 3), dtype=np.uint8)
    grey = np.zeros((90, 130), dtype=np.uint8)
    style = GraphicStyle(rgb=(250, 40, 40), accent=(30, 200, 250))
    draw("calipers", rgb, (0, 0, 130, 90), np.random.default_rng(2), style)
    draw("calipers", grey, (0, 0, 130, 90), np.random.default_rng(2), style)
    drawn = rgb.any(axis=-1)
    assert np.array_equal(drawn, grey > 0)
    assert set(np.unique(grey[drawn]).tolist()) <= {round(0.299 * 250 + 0.587 * 40 + 0.114 * 40),
                                                     round(0.299 * 30 + 0.587 * 200 + 0.114 * 250)}


def test_any_rect_at_least_the_minimum_size_takes_a_drawing_and_smaller_ones_are_refused():
    rng = np.random.default_rng(1)
    drawn = refused = 0
    for i in range(450):
        kind = GRAPHIC_KINDS[i % len(GRAPHIC_KINDS)]
        w, h = int(rng.integers(1, 60)), int(rng.integers(1, 60))
        x0, y0 = int(rng.integers(0, 120 - w + 1)), int(rng.integers(0, 100 - h + 1))
        canvas = np.zeros((100, 120, 3), dtype=np.uint8)
        if w < MIN_SIZE[kind][0] or h < MIN_SIZE[kind][1]:
            with pytest.raises(GraphicError, match="needs at least"):
                draw(kind, canvas, (x0, y0, x0 + w, y0 + h), np.random.default_rng(i))
            refused += 1
            continue
        graphic = draw(kind, canvas, (x0, y0, x0 + w, y0 + h), np.random.default_rng(i))
        gx0, gy0, gx1, gy1 = graphic.box
        assert graphic.mask.any() and x0 <= gx0 < gx1 <= x0 + w and y0 <= gy0 < gy1 <= y0 + h, (kind, w, h)
        assert np.array_equal(graphic.mask, canvas.any(axis=-1))
        drawn += 1
    assert drawn > 300 and refused > 20


def test_refusals_are_clear():
    with pytest.raises(GraphicError, match="RGB"):
        draw("doppler_box", np.zeros((50, 50), dtype=np.uint8), (0, 0, 50, 50), np.random.default_rng(0))
    with pytest.raises(GraphicError, match="unknown graphic kind"):
        draw("sparkles", np.zeros((50, 50), dtype=np.uint8), (0, 0, 50, 50), np.random.default_rng(0))
    with pytest.raises(GraphicError, match="no area"):
        draw("grey_bar", np.zeros((50, 50), dtype=np.uint8), (60, 0, 80, 50), np.random.default_rng(0))
    with pytest.raises(GraphicError, match="uint8"):
        draw("grey_bar", np.zeros((50, 50), dtype=np.uint16), (0, 0, 50, 50), np.random.default_rng(0))


@pytest.mark.parametrize("layout, count", [("single", 1), ("dual", 2), ("quad", 4)])
def test_image_layouts_split_without_overlap_inside_the_rect(layout, count):
    for rect, gap in [((0, 0, 640, 480), 4), ((37, 51, 600, 470), 7), ((10, 10, 31, 29), 1), ((5, 5, 200, 100), 0)]:
        rects = image_rects(rect, layout, gap)
        assert len(rects) == count
        cover = np.zeros((500, 700), dtype=int)
        for x0, y0, x1, y1 in rects:
            assert rect[0] <= x0 < x1 <= rect[2] and rect[1] <= y0 < y1 <= rect[3]
            cover[y0:y1, x0:x1] += 1
        assert cover.max() == 1
        if count > 1:  # neighbours are exactly ``gap`` apart and the areas are the same size
            assert rects[1][0] - rects[0][2] == gap
            assert len({(x1 - x0, y1 - y0) for x0, y0, x1, y1 in rects}) == 1
    with pytest.raises(GraphicError):
        image_rects((0, 0, 5, 5), "quad", 8) if count > 1 else image_rects((0, 0, 5, 5), "triple", 1)


def test_invented_logo_words_are_never_a_real_brand():
    words = {invented_word(np.random.default_rng(seed)) for seed in range(3000)}
    assert len(words) > 500
    for word in words:
        assert word.isalpha() and word.isupper()
        assert not any(brand in word for brand in REAL_BRANDS), word


WORD = re.compile(r"[A-Za-z]{3,}")


def test_tesseract_reads_no_word_in_the_non_text_graphics():
    """No 3+ letter word at the confidence the bundled engine takes text on its own (READ_CONFIDENCE).

    Below it Tesseract makes up strings on any sparse marks (measured: 5 of 640 crops, all <= 37); those
    stay rare here too."""
    ocr = get_backend("tesseract")
    reads = []
    guesses = 0
    for kind in GRAPHIC_KINDS:
        if kind in TEXT_LIKE_KINDS:
            continue
        for seed in range(6):
            for rect in ((0, 0, 160, 120), (0, 0, 60, 40)):
                canvas = np.zeros((120, 160, 3), dtype=np.uint8)
                x0, y0, x1, y1 = draw(kind, canvas, rect, np.random.default_rng(seed)).box
                crop = canvas[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3]
                read = ocr.read_line(crop)
                reads.append(read.text)
                word = WORD.search(read.text)
                assert not (word and read.confidence >= READ_CONFIDENCE), (kind, seed, rect, read)
                guesses += bool(word)
    assert len(reads) == 2 * 6 * (len(GRAPHIC_KINDS) - len(TEXT_LIKE_KINDS))
    assert guesses <= 0.05 * len(reads)


def test_the_logo_word_is_drawn_legibly_and_reported():
    """The logo's stroke letters are text-like: Tesseract reads most words (hence kind ``logo``, not PHI)."""
    ocr = get_backend("tesseract")
    scores = []
    for seed in range(8):
        for height in (40, 18):
            canvas = np.zeros((height, 260, 3), dtype=np.uint8)
            graphic = draw("logo", canvas, (0, 0, 260, height), np.random.default_rng(seed))
            assert graphic.text.isalpha() and not any(brand in graphic.text for brand in REAL_BRANDS)
            read = ocr.read_line(canvas[:, graphic.box[0]:graphic.box[2] + 3]).text.split()
            scores.append(max((similarity(graphic.text, token) for token in read), default=0.0))
    assert sum(score >= 0.6 for score in scores) >= 0.6 * len(scores), scores


INSIDE_IMAGE = {"body_marker_pictogram", "calipers", "doppler_box", "tgc_curve"}


@pytest.mark.parametrize("frame, image", [((640, 480), (80, 40, 560, 440)), ((800, 600), (0, 0, 800, 600)),
                                          ((320, 240), (30, 20, 300, 230)), ((1024, 768), (200, 60, 1000, 700)),
                                          ((64, 48), (4, 4, 60, 44)), ((40, 30), (0, 0, 14, 30))])
def test_suggested_rects_lie_on_the_screen_and_take_a_drawing(frame, image):
    width, height = frame
    for seed in range(5):
        for kind in GRAPHIC_KINDS:
            rect = suggested_rect(kind, frame, image, np.random.default_rng(seed))
            if rect is None:  # no room: only the logo without a top or bottom area, or a tiny screen
                assert (kind == "logo" and image[1] < 14 and height - image[3] < 14) or width < 100, (kind, frame)
                continue
            x0, y0, x1, y1 = rect
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (kind, rect)
            if kind in INSIDE_IMAGE:
                assert image[0] <= x0 and image[1] <= y0 and x1 <= image[2] and y1 <= image[3], (kind, rect)
            if kind == "logo":
                assert y1 <= image[1] or y0 >= image[3], rect
            canvas = np.zeros((height, width, 3), dtype=np.uint8)
            graphic = draw(kind, canvas, rect, np.random.default_rng(seed))
            assert graphic.mask.any(), (kind, rect)
    with pytest.raises(GraphicError):
        suggested_rect("sparkles", frame, image, np.random.default_rng(0))
