"""Mutation tests of the detector's decision functions (issue 17, docs/mutation.md): ``deid/pixels/detect.py``.

The functions that decide what is redacted once the lines are read: which boxes make a phrase
(``same_phrase``, ``_phrases``) and what the phrase's evidence decides for each word (``in_phrases``),
layout evidence (``with_layout``), redaction spreading to text beside redacted text (``propagate``,
``_same_line_of_text`` for strokes the text mode left as image), which changing regions are speckle on the
image (``over_image``), how a changing region grows over the static text of its line (``_whole_lines``,
``_contains``) and whether it counts the frames (``_may_count_frames``). Boxes are decided by the real
classifier; the cines are real text drawn with DejaVu Sans and read by real Tesseract.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.core.ocr import CachingOCR, TesseractBackend
from phiphantom.deid.pixels.classify import FRAME_COUNTER, Classifier, Decision, HeaderValues
from phiphantom.deid.pixels.detect import (
    TextBox,
    detect_text,
    dynamic_regions,
    in_phrases,
    over_image,
    propagate,
    same_phrase,
    with_layout,
)
from phiphantom.deid.pixels.text_find import find_segments
from phiphantom.synth.fonts import load_font

from .helpers import text_clip

BALANCED = Classifier(HeaderValues(), "balanced")
KEPT = Decision(False, "kept", "text", 0.45)
GONE = Decision(True, "regex:date", "date", 1.0)


def box(x0: int, y0: int, x1: int, y1: int, decision: Decision = KEPT, frames: tuple[int, int] = (0, 1),
        text: str = "Qxzv") -> TextBox:
    return TextBox(x0, y0, x1, y1, frames[0], frames[1], decision, text)


# ---- same_phrase ----------------------------------------------------------------------------------


def test_boxes_on_frames_that_do_not_meet_are_no_phrase():
    a = box(0, 10, 40, 22, frames=(0, 5))
    after, meeting = box(44, 10, 80, 22, frames=(5, 9)), box(44, 10, 80, 22, frames=(4, 9))
    assert not same_phrase(a, after) and not same_phrase(after, a)
    assert same_phrase(a, meeting) and same_phrase(meeting, a)


def test_boxes_on_frames_apart_are_no_phrase():
    a, later = box(0, 10, 40, 22, frames=(0, 3)), box(44, 10, 80, 22, frames=(5, 9))
    assert not same_phrase(a, later) and not same_phrase(later, a)


def test_boxes_on_one_line_overlap_by_half_the_smaller_height():
    a = box(0, 10, 40, 22)  # 12 high
    assert same_phrase(a, box(44, 16, 80, 28)) and same_phrase(box(44, 16, 80, 28), a)   # 6 rows: half
    assert not same_phrase(a, box(44, 17, 80, 29)) and not same_phrase(box(44, 4, 80, 9), a)
    assert same_phrase(a, box(44, 4, 80, 16))            # above, 6 rows shared
    assert same_phrase(box(44, 12, 80, 18), a)           # a smaller box inside the line's rows
    assert same_phrase(a, box(44, 12, 80, 16)) and same_phrase(box(44, 12, 80, 16), a)  # 4 high: half of the smaller
    assert same_phrase(a, box(44, 18, 80, 21))           # 3 high, low in the line (a "." or ","): half of its 3 rows


@pytest.mark.parametrize(("x0", "gap_heights", "same"), [
    (64, 2.0, True), (65, 2.0, False),   # 24 pixels = 2 heights of 12
    (76, 3.0, True), (77, 3.0, False),
    (20, 2.0, True),                     # overlapping columns
])
def test_boxes_are_one_phrase_up_to_a_gap_of_so_many_heights(x0, gap_heights, same):
    a = box(0, 10, 40, 22)
    assert same_phrase(a, box(x0, 10, x0 + 30, 22), gap_heights) is same
    assert same_phrase(box(x0, 10, x0 + 30, 22), a, gap_heights) is same


def test_the_gap_is_measured_in_heights_of_the_taller_box():
    a, tall = box(0, 10, 40, 22), box(80, 6, 120, 26)  # 12 and 20 high: up to 40 pixels apart
    assert same_phrase(a, tall) and same_phrase(tall, a)
    assert not same_phrase(a, box(81, 6, 120, 26)) and not same_phrase(box(81, 6, 120, 26), a)


def test_the_default_gap_is_two_heights():
    assert same_phrase(box(0, 10, 40, 22), box(64, 10, 90, 22))
    assert not same_phrase(box(0, 10, 40, 22), box(65, 10, 90, 22))


# ---- propagate ------------------------------------------------------------------------------------


def test_text_beside_redacted_text_is_redacted_for_its_context():
    boxes = [box(0, 10, 40, 22, GONE), box(50, 10, 80, 22, Decision(False, "allowlist", "clinical", -0.5)),
             box(200, 10, 240, 22)]
    out = propagate(list(boxes))
    assert out[0] is boxes[0] and out[2] is boxes[2]
    assert out[1] == TextBox(50, 10, 80, 22, 0, 1, Decision(True, "context", "clinical"), "Qxzv")


def test_redaction_spreads_along_a_chain_whatever_the_order_of_the_boxes():
    chain = [box(120, 10, 150, 22), box(60, 10, 110, 22), box(0, 10, 40, 22, GONE)]  # each 10-20 px from the next
    out = propagate(list(chain))
    assert all(b.decision.redact for b in out)
    assert [b.decision.reason for b in out] == ["context", "context", "regex:date"]


def test_clinical_text_of_another_height_beside_redacted_text_goes_with_it():
    """Only a stroke the text mode left as image must have the line's height; read text needs only same_phrase."""
    tall = box(44, 6, 80, 26, Decision(False, "allowlist", "clinical", -0.5))  # 20 high beside a 12-high line
    assert propagate([box(0, 10, 40, 22, GONE), tall])[1].decision == Decision(True, "context", "clinical")


def test_nothing_spreads_to_text_on_other_frames_lines_or_far_away():
    boxes = [box(0, 10, 40, 22, GONE, frames=(0, 5)), box(50, 10, 80, 22, frames=(5, 9)),
             box(0, 40, 40, 52), box(100, 10, 130, 22)]
    assert propagate(list(boxes)) == boxes


@pytest.mark.parametrize(("line", "y0", "y1", "goes"), [
    ((10, 22), 10, 22, True),    # the line's height and rows
    ((10, 22), 8, 24, True),     # 16 high: 1.33 times the line, its 12 rows shared (0.75 of 16)
    ((10, 22), 10, 27, False),   # 17 high: 1.42 times
    ((10, 20), 8, 22, True),     # 14 high on a 10-high line: exactly 1.4 times
    ((10, 22), 6, 26, False),    # 20 high
    ((10, 22), 12, 21, True),    # 9 high: 0.75 times
    ((10, 22), 13, 20, False),   # 7 high: 0.58 times
    ((10, 22), 13, 25, True),    # the line's height, 9 of its 12 rows shared (0.75)
    ((10, 22), 14, 26, False),   # 8 of 12 shared (0.67): on the line for same_phrase, not for a stroke
    ((10, 30), 12, 26, True),    # 14 high on a 20-high line: exactly 0.7 times, 14 rows shared
])
def test_a_stroke_the_text_mode_left_as_image_goes_with_a_line_only_of_its_height(line, y0, y1, goes):
    stroke = Decision(False, "kept", "not-read")
    out = propagate([box(0, line[0], 40, line[1], GONE), box(44, y0, 52, y1, stroke, text="")])
    assert out[1].decision.redact is goes
    assert propagate([box(0, 10, 40, 22, GONE), box(44, 14, 52, 26)])[1].decision.redact  # text: same_phrase


# ---- in_phrases -----------------------------------------------------------------------------------


def phrase(words: list[str], classifier: Classifier = BALANCED, y0: int = 10, gap: int = 6,
           x0: int = 10) -> list[TextBox]:
    """Words as OCR boxes 8 px a letter, 12 high, ``gap`` pixels apart from ``x0``, each decided alone."""
    boxes, x = [], x0
    for word in words:
        width = 8 * len(word)
        boxes.append(TextBox(x, y0, x + width, y0 + 12, 0, 1, classifier.decide(word, width, 12), word))
        x += width + gap
    return boxes


def test_words_of_a_phrase_are_decided_with_the_phrase_evidence_cut_to_their_characters():
    boxes = phrase(["Qxzv", "12", "MAR", "1961"])
    assert [b.decision.redact for b in boxes] == [False, False, True, True]  # "12" alone: a scale number
    out = in_phrases(boxes, [90.0] * 4, BALANCED)
    assert out[0] is boxes[0]  # no evidence of the phrase on "Qxzv": not decided again
    assert [b.decision.reason for b in out[1:]] == ["regex:date"] * 3
    assert [b.decision.score for b in out[1:]] == [1.0] * 3


@pytest.mark.parametrize(("words", "scores"), [
    (["DR", "73"], [-0.6, -0.6]),                  # a parameter and its value over both boxes: wholly clinical
    (["Depth", "16", "cm"], [-0.6, -0.6, -0.6]),
    (["Qxzv", "73", "dB"], [-0.3, -0.54, -0.54]),  # a shape on the first (-0.5), a unit on the value (-0.9)
])
def test_clinical_evidence_of_the_phrase_covers_exactly_each_box_characters(words, scores):
    """-0.6 times the weighted clinical share of each box's own characters: a span cut one character
    short or long on any box would change its share."""
    out = in_phrases(phrase(words), [90.0] * len(words), BALANCED)
    assert [b.decision.score for b in out] == pytest.approx(scores)
    assert all(b.decision.reason == "allowlist" for b in out)


def test_each_word_of_a_phrase_is_decided_with_its_own_box_far_along_the_frame_too():
    """Under strict a read much shorter than its box is redacted as under-read: a word decided again with its
    phrase's evidence keeps its own box's size wherever it lies (a box at x 300 is 16 px wide, not 316)."""
    strict = Classifier(HeaderValues(), "strict")
    out = in_phrases(phrase(["Depth", "16", "cm"], strict, x0=300), [90.0] * 3, strict)
    assert [(b.decision.redact, b.decision.reason) for b in out] == [(False, "allowlist")] * 3


def test_a_word_of_a_phrase_read_much_shorter_than_its_box_is_under_read_under_strict():
    """"16" read in a 60 px wide, 12 high box (room for five glyphs): clinical with its phrase, but a read of
    two characters in it leaves 0.45 * (1 - 2/5) = 0.27 unexplained, above strict's threshold."""
    strict = Classifier(HeaderValues(), "strict")
    words = [("Depth", 10, 50), ("16", 56, 116), ("cm", 122, 138)]
    boxes = [TextBox(x0, 10, x1, 22, 0, 1, strict.decide(w, x1 - x0, 12), w) for w, x0, x1 in words]
    out = in_phrases(boxes, [90.0] * 3, strict)
    assert out[1].decision == Decision(True, "unreadable", "under-read", pytest.approx(0.27))
    assert [out[0].decision.reason, out[2].decision.reason] == ["allowlist", "allowlist"]


def test_a_box_beside_a_phrase_piece_that_does_not_reach_it_keeps_its_decision():
    before, after = phrase(["Qxzv", "Gain", "52"]), phrase(["Gain", "52", "Qxzv"])
    assert in_phrases(before, [90.0] * 3, BALANCED)[0] is before[0]
    assert in_phrases(after, [90.0] * 3, BALANCED)[2] is after[2]


def test_a_name_pair_split_over_two_boxes_is_a_name_on_both():
    out = in_phrases(phrase(["John", "Smith"]), [90.0, 90.0], BALANCED)
    assert [(b.decision.reason, b.decision.score) for b in out] == [("name", 0.85), ("name", 0.85)]


def test_the_phrase_text_is_the_boxes_text_with_whitespace_made_single_spaces():
    boxes = phrase(["John", "Smith"])
    boxes = [TextBox(b.x0, b.y0, b.x1, b.y1, 0, 1, b.decision, f"  {b.text} \n") for b in boxes]
    out = in_phrases(boxes, [90.0, 90.0], BALANCED)
    assert [b.decision.score for b in out] == [0.85, 0.85]


def test_boxes_too_far_apart_on_another_line_or_alone_are_no_phrase():
    far = phrase(["John", "Smith"], gap=3 * 12 + 1)
    assert in_phrases(far, [90.0, 90.0], BALANCED) == far
    near = phrase(["John", "Smith"], gap=3 * 12)  # three heights: still one phrase for evidence
    assert in_phrases(near, [90.0, 90.0], BALANCED)[1].decision.score == 0.85
    lines = phrase(["John"]) + phrase(["Smith"], y0=40)
    assert in_phrases(lines, [90.0, 90.0], BALANCED) == lines
    alone = phrase(["Smith"])
    assert in_phrases(alone, [90.0], BALANCED) == alone


def test_a_box_without_letters_or_digits_neither_joins_nor_makes_a_phrase():
    boxes = phrase(["John", "|", "Smith"])
    out = in_phrases(boxes, [90.0] * 3, BALANCED)
    assert out[1] is boxes[1] and [out[0].decision.score, out[2].decision.score] == [0.85, 0.85]
    pair = phrase(["Smith", "|"])
    assert in_phrases(pair, [90.0, 90.0], BALANCED) == pair


def test_phrases_are_read_left_to_right_whatever_the_order_of_the_boxes():
    out = in_phrases(list(reversed(phrase(["John", "Smith"]))), [90.0, 90.0], BALANCED)
    assert [b.text for b in out] == ["Smith", "John"] and [b.decision.score for b in out] == [0.85, 0.85]


def test_a_changing_region_showing_its_frame_number_in_two_boxes_is_a_counter():
    counter = Classifier(HeaderValues(), "balanced", frames=40, changing=True)
    boxes = phrase(["IMG", "12"], counter)
    out = in_phrases(boxes, [90.0, 90.0], counter, frame=11)
    assert [b.decision for b in out] == [FRAME_COUNTER, FRAME_COUNTER]
    static = in_phrases(boxes, [90.0, 90.0], counter)
    assert FRAME_COUNTER not in [b.decision for b in static]


# ---- with_layout ----------------------------------------------------------------------------------


def test_a_value_beside_a_field_label_is_redacted_by_layout():
    boxes = phrase(["Name:", "Qxzv", "Wrtl"], Classifier(HeaderValues(), "balanced"))
    assert [b.decision.redact for b in boxes] == [True, False, False]
    out = with_layout(boxes, BALANCED, 400, 300)
    assert out[0] is boxes[0]
    assert [b.decision.text_kind for b in out[1:]] == ["layout", "layout"]
    assert all(b.decision.redact and b.decision.reason.startswith("layout:") for b in out[1:])


def test_one_box_gets_no_layout_evidence_and_a_variant_without_layout_none_either():
    one = phrase(["Qxzv"])
    assert with_layout(one, BALANCED, 400, 300) is one
    boxes = phrase(["Name:", "Qxzv"])
    assert with_layout(boxes, BALANCED.variant(layout=False), 400, 300) == boxes


# ---- over_image -----------------------------------------------------------------------------------


def test_a_changing_region_on_five_percent_of_image_is_speckle():
    image = np.zeros((50, 100), dtype=bool)
    assert not over_image(None, (0, 0, 100, 50))
    assert not over_image(image, (0, 0, 20, 10))
    image[0, 0:9] = True          # 9 of the region's 200 pixels: 4.5 %
    assert not over_image(image, (0, 0, 20, 10))
    image[0, 9] = True            # 10 of 200: 5 %
    assert over_image(image, (0, 0, 20, 10))
    assert not over_image(image, (10, 0, 30, 10)) and not over_image(image, (0, 1, 20, 11))
    image[1, 0:10] = True         # 20 of 200
    assert over_image(image, (0, 0, 20, 10))


# ---- changing regions: _whole_lines, _contains, _may_count_frames (detect_text on cines) -----------


def detect(view: np.ndarray, policy: str = "strict") -> list[TextBox]:
    search = np.ones(view.shape[1:], dtype=bool)
    classifier = Classifier(HeaderValues(), policy, frames=view.shape[0])
    return detect_text(view, search, classifier, CachingOCR(TesseractBackend()))


def test_a_clock_is_read_whole_with_the_static_digits_of_its_line():
    """Only the seconds change; the region grows over the static "10:23:" and every state reads as a time:
    one box over the whole clock, on every frame."""
    view = text_clip([f"10:23:0{t}" for t in range(6)])
    boxes = detect(view)
    ink = np.flatnonzero(view.max(axis=(0, 1)) > 0)
    assert len(boxes) == 1
    (b,) = boxes
    assert b.decision.redact and (b.frame_start, b.frame_end) == (0, 6)
    assert b.x0 <= ink[0] and b.x1 >= ink[-1] + 1


def test_static_text_beside_a_clock_on_another_line_stays_a_box_of_its_own():
    font = load_font("DejaVuSans", 15)
    view = text_clip([f"10:23:0{t}" for t in range(6)])
    for t in range(6):
        canvas = Image.fromarray(view[t])
        ImageDraw.Draw(canvas).text((20, 32), "Qxzv", fill=230, font=font)
        view[t] = np.asarray(canvas)
    boxes = detect(view, "balanced")
    assert len(boxes) == 2 and {(b.frame_start, b.frame_end) for b in boxes} == {(0, 6)}


def test_a_counter_read_as_its_frame_number_keeps_its_frames_under_strict():
    boxes = detect(text_clip([f"Bild {t + 1}" for t in range(8)]))
    assert not any(b.decision.redact for b in boxes)


def test_a_region_read_as_its_frame_number_on_too_few_states_goes_whole_under_strict():
    """Two of eight states read as their frame number: less than half, so under strict the unexplained
    states take the region on every frame."""
    texts = [str(t + 1) if t in (2, 5) else "Qxzv wrtl" for t in range(8)]
    boxes = detect(text_clip(texts))
    covered = np.zeros(8, dtype=bool)
    for b in boxes:
        if b.decision.redact:
            covered[b.frame_start:b.frame_end] = True
    assert covered.all()


def covered(boxes: list[TextBox], frames: int) -> list[int]:
    """The frames on which anything is redacted."""
    on = np.zeros(frames, dtype=bool)
    for b in boxes:
        if b.decision.redact:
            on[b.frame_start:b.frame_end] = True
    return np.flatnonzero(on).tolist()


@pytest.mark.parametrize(("counted", "redacted"), [
    ((0, 1, 2, 4, 5, 6, 7), [3]),          # one state misread: redacted on its own frame
    ((1, 3, 5, 7), [0, 2, 4, 6]),          # exactly half the states read as their frame number: a counter
    ((1, 3, 5), list(range(8))),            # fewer: the region goes whole
])
def test_under_strict_a_region_counts_the_frames_when_half_its_states_show_their_number(counted, redacted):
    texts = [f"Bild {t + 1}" if t in counted else "Qxzv wrtl" for t in range(8)]
    assert covered(detect(text_clip(texts)), 8) == redacted


def test_the_static_part_of_a_counter_is_read_with_each_state_not_on_its_own():
    boxes = detect(text_clip([f"{t + 1}/8" for t in range(8)]))
    assert [(b.frame_start, b.frame_end) for b in boxes] == [(t, t + 1) for t in range(8)]
    assert all(b.decision == FRAME_COUNTER for b in boxes)


def test_two_changing_parts_of_one_line_grown_over_its_static_text_are_one_region():
    view = text_clip([f"{t} Qxzvwrtl {t}" for t in range(6)])
    boxes = detect(view)
    ink = np.flatnonzero(view.max(axis=(0, 1)) > 0)
    assert len(boxes) == 1 and boxes[0].decision.redact
    assert boxes[0].x0 <= ink[0] and boxes[0].x1 >= ink[-1] + 1 and (boxes[0].frame_start, boxes[0].frame_end) == (0, 6)


FONT = load_font("DejaVuSans", 15)


def scene(frames: list[list[tuple[int, int, str]]], width: int = 320, height: int = 80) -> np.ndarray:
    """A black (T, height, width) clip; frame t shows each (x, y, text) of ``frames[t]`` (DejaVu Sans 15 px)."""
    view = np.zeros((len(frames), height, width), dtype=np.uint8)
    for t, items in enumerate(frames):
        canvas = Image.new("L", (width, height), 0)
        for x, y, text in items:
            ImageDraw.Draw(canvas).text((x, y), text, fill=230, font=FONT)
        view[t] = np.asarray(canvas)
    return view


def test_static_text_far_from_a_clock_on_its_line_is_not_grown_over():
    boxes = detect(scene([[(20, 15, f"10:23:0{t}"), (220, 15, "Qxzv")] for t in range(6)]), "balanced")
    assert len(boxes) == 2
    clock = next(b for b in boxes if b.decision.redact)
    assert clock.x1 < 220 and (clock.frame_start, clock.frame_end) == (0, 6)


def static_word_at_gap(gap_heights: int) -> np.ndarray:
    """A changing digit with "Qxzv" left of it, placed so the gap from the word to the changing region is
    ``2 * height + gap_heights - 2`` pixels (found by moving the word a pixel at a time)."""
    for x in range(0, 60):
        view = scene([[(x, 15, "Qxzv"), (100, 15, f"{t}")] for t in range(6)])
        search = np.ones(view.shape[1:], dtype=bool)
        (word,), (region,) = find_segments(view.min(axis=0), search), dynamic_regions(view, search)
        if int(region[0]) - word.x1 == 2 * word.height + gap_heights - 2:
            return view
    raise AssertionError("no placement gives that gap")


def test_a_changing_region_grows_over_static_text_up_to_two_of_its_heights_away():
    near = detect(static_word_at_gap(2), "balanced")    # exactly two heights: read with each state
    assert [(b.frame_start, b.frame_end) for b in near if b.text == "Qxzv"] == [(t, t + 1) for t in range(6)]
    far = detect(static_word_at_gap(3), "balanced")     # one pixel more: a static box of its own
    assert [(b.frame_start, b.frame_end) for b in far if b.text == "Qxzv"] == [(0, 6)]


@pytest.mark.parametrize(("upper_x", "lower_x"), [(60, 20), (20, 60)])
def test_clocks_on_two_lines_stay_two_regions(upper_x, lower_x):
    """One clock starts further left, the other reaches further right: their boxes share columns but no row,
    so they are read (and redacted) line by line, whichever line comes first in the regions' order."""
    view = scene([[(upper_x, 10, f"10:23:0{t}"), (lower_x, 40, f"11:45:0{t}")] for t in range(6)])
    boxes = detect(view, "balanced")
    assert len(boxes) == 2 and all(b.decision.redact for b in boxes)
    upper, lower = sorted(boxes, key=lambda b: b.y0)
    assert upper.y1 <= lower.y0


def test_a_changing_mark_close_under_a_clock_merges_with_it_and_the_whole_clock_is_redacted():
    """A digit changing 4 px under a clock, inside its columns: the two changing regions' boxes overlap, so they
    are one region, as wide as the clock: every inked pixel of every frame lies in a box redacted on that frame."""
    view = scene([[(60, 10, f"10:23:0{t}"), (80, 28, f"{(t * 3) % 10}")] for t in range(6)])
    boxes = detect(view)
    hidden = np.zeros(view.shape, dtype=bool)
    for b in boxes:
        if b.decision.redact:
            hidden[b.frame_start:b.frame_end, b.y0:b.y1, b.x0:b.x1] = True
    assert boxes and not (view > 0)[~hidden].any()


def test_static_text_on_the_line_above_a_clock_within_its_columns_is_read_on_its_own():
    """The word lies in the clock region's columns but above its top: it is no part of the region, so it is
    read as static text (a box of its own on every frame), not dropped as if the region held it."""
    boxes = detect(scene([[(40, 0, "Qxzv"), (20, 20, f"10:23:0{t}")] for t in range(6)]), "balanced")
    assert [(b.text, b.frame_start, b.frame_end) for b in boxes if not b.decision.redact] == [("Qxzv", 0, 6)]
    assert any(b.decision.redact and b.y0 >= 16 for b in boxes)


def test_a_small_changing_digit_beside_a_large_static_word_is_grown_over_it():
    """A 10 px digit changing beside a 40 px word whose rows hold all of the digit's region: they share half
    the smaller height (the region's), so the word is read with each state, not as static text."""
    big, small = load_font("DejaVuSans", 40), load_font("DejaVuSans", 10)
    view = np.zeros((6, 100, 300), dtype=np.uint8)
    for t in range(6):
        canvas = Image.new("L", (300, 100), 0)
        ImageDraw.Draw(canvas).text((20, 20), "Qxzv", fill=230, font=big)
        ImageDraw.Draw(canvas).text((130, 40), str(t), fill=230, font=small)
        view[t] = np.asarray(canvas)
    boxes = detect(view, "balanced")
    assert boxes and {(b.frame_start, b.frame_end) for b in boxes} == {(t, t + 1) for t in range(6)}


def test_a_changing_region_grows_along_a_chain_of_static_words_in_any_order():
    """"Qa" left of a changing digit, "wxz" right of it and "Qxzv" beyond "wxz", more than two heights from
    the digit: "Qxzv" is reached only once "wxz" is grown over, though it comes before "wxz" in the
    segments' order (its capitals start higher); every word ends up read with each state."""
    boxes = detect(scene([[(20, 15, "Qa"), (60, 15, str(t)), (80, 15, "wxz"), (128, 15, "Qxzv")] for t in range(6)]),
                   "balanced")
    assert boxes and {(b.frame_start, b.frame_end) for b in boxes} == {(t, t + 1) for t in range(6)}


def test_static_text_reaching_below_the_changing_region_is_read_with_it():
    """"Qypj" drawn lower than the changing digit: the region grows to the word's bottom and the word, its
    last row on the region's, is read with each state rather than as static text."""
    boxes = detect(scene([[(20, 19, "Qypj"), (70, 15, f"{t}")] for t in range(6)]), "balanced")
    assert {(b.frame_start, b.frame_end) for b in boxes} == {(t, t + 1) for t in range(6)}


def test_under_strict_a_region_that_can_no_longer_count_frames_is_decided_without_reading_the_rest():
    """Five unexplained states of eight: even if the three left all showed their frame number, fewer than half
    would: the region goes whole at once, for the first redacted state's reason; the date of the sixth state
    is never read."""
    texts = [f"Qxzv wrt{c}" for c in "abcde"] + ["12.03.1956", "Qxzv wrtf", "Qxzv wrtg"]
    boxes = detect(scene([[(20, 15, text)] for text in texts]))
    assert len(boxes) == 1 and (boxes[0].frame_start, boxes[0].frame_end) == (0, 8)
    assert boxes[0].decision.reason == "strict"
