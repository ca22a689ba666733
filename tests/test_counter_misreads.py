"""A frame counter's state misread as a year, an ID or a date (issue 15).

OCR reads a small "1/15" as "1915" (the slash as 9), "26/38" as "20038", "1/36" as "17736": the PHI grammar
sees a year or an ID, and one such state used to take the whole counter off every frame of the clip. A state
whose only evidence is the grammar's, on a read shaped like a misread "k/N" of this clip
(``classify.counter_shaped``), is now redacted on its own frames, and the region whole only when its other
states do not count the frames. A phrase of boxes "7" | "/27" is a counter too (OCR's space before the slash).
The clips are real text drawn with DejaVu Sans and read by real Tesseract.
"""

from __future__ import annotations

import numpy as np
import pytest

from phiphantom.core.ocr import CachingOCR, TesseractBackend
from phiphantom.deid.pixels.classify import Classifier, HeaderValues, counter_shaped
from phiphantom.deid.pixels.detect import TextBox, detect_text

from .helpers import text_clip


def detect(view: np.ndarray, policy: str) -> list[TextBox]:
    search = np.ones(view.shape[1:], dtype=bool)
    classifier = Classifier(HeaderValues(), policy, frames=view.shape[0])
    return detect_text(view, search, classifier, CachingOCR(TesseractBackend()))


def redacted_frames(boxes: list[TextBox]) -> list[tuple[int, int]]:
    return sorted((b.frame_start, b.frame_end) for b in boxes if b.decision.redact)


@pytest.mark.parametrize(("text", "frames", "shaped"), [
    ("1915", 15, True),        # 1/15, the slash read as 9
    ("20038", 38, True),       # 26/38: the 6 and the slash read as 0
    ("17736", 36, True),       # 1/36
    ("1/15", 15, True), ("12 / 15", 15, True), ("I2O15", 15, True),   # letter slips for digits
    ("2015", 38, False),       # does not end with this clip's count
    ("15", 15, False),         # the count alone: nothing misread before it
    ("123456715", 15, False),  # longer than any "k/N" of 15 frames with one character more
    ("19:15", 15, False), ("A1915", 15, False),
    ("1915", 1, False),        # a still counts no frames
])
def test_a_read_shaped_like_a_misread_counter_of_this_clip(text, frames, shaped):
    assert counter_shaped(text, frames) is shaped


def test_a_phrase_with_a_space_before_or_after_the_slash_shows_its_frame_number():
    classifier = Classifier(HeaderValues(), "strict", frames=27)
    for text in ("7 /27", "7/ 27", "7 / 27", "7/27"):
        assert classifier.frame_number(text, 6), text
    assert not classifier.frame_number("7 /26", 6)  # not this clip's count (and 26 may be a day)


COUNTER = [f"{t + 1}/15" for t in range(15)]


@pytest.mark.parametrize("policy", ["balanced", "strict"])
def test_a_counter_state_read_as_a_year_is_redacted_on_its_own_frame_only(policy):
    """Frame 9 of a 15-frame counter shows "1915" (what OCR made of "10/15"): a year to the grammar. The other
    14 states count the frames, so only frame 9 goes, as a misread state, not the counter on all 15 frames."""
    texts = list(COUNTER)
    texts[9] = "1915"
    boxes = detect(text_clip(texts), policy)
    assert redacted_frames(boxes) == [(9, 10)]
    (misread,) = [b for b in boxes if b.decision.redact]
    assert misread.decision.reason == "unreadable" and misread.decision.text_kind == "counter-misread"
    assert {(b.frame_start, b.frame_end) for b in boxes} == {(t, t + 1) for t in range(15)}


@pytest.mark.parametrize("policy", ["balanced", "strict"])
def test_a_year_in_a_region_that_counts_nothing_still_takes_the_whole_region(policy):
    """The same "1915" in a region whose other states are words, not frame numbers: the year's evidence takes
    the region on every frame, for the year's reason."""
    texts = ["Qxzv wrtl"] * 15
    texts[9] = "1915"
    boxes = detect(text_clip(texts), policy)
    assert len(boxes) == 1 and boxes[0].decision.redact
    assert (boxes[0].frame_start, boxes[0].frame_end) == (0, 15)
    assert boxes[0].decision.reason.startswith("regex:")


@pytest.mark.parametrize("policy", ["balanced", "strict"])
def test_a_date_in_a_counting_region_still_takes_the_whole_region(policy):
    """A real date among counter states is not counter-shaped: the whole region, on every frame."""
    texts = list(COUNTER)
    texts[9] = "12.03.1956"
    boxes = detect(text_clip(texts), policy)
    assert len(boxes) == 1 and (boxes[0].frame_start, boxes[0].frame_end) == (0, 15)
    assert boxes[0].decision.reason.startswith("regex:date")
