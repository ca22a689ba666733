"""Mutation tests of a changing region's decision (issue 17, docs/mutation.md): ``deid/pixels/detect.py``'s
``_dynamic`` and ``_classified``.

``_dynamic`` reads each distinct state of a changing region once: a state with PHI evidence takes the whole
region (the ink of every state) on every frame; a state redacted only because it was not read or not
explained is redacted on its own frames, and a state shown again is stamped on each of its frames; under
``strict`` a region with such a state goes whole unless it counts the frames. ``_classified`` reads and
decides each segment (a poor read gets OCR's second opinion). The cines are real text drawn with DejaVu
Sans and read by real Tesseract.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.core.ocr import CachingOCR, LineRead, TesseractBackend
from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.detect import TextBox, detect_text
from phiphantom.synth.fonts import load_font

from .helpers import text_clip


class CountingTesseract(TesseractBackend):
    """The real Tesseract backend, keeping the text of its first reads and second opinions."""

    def __init__(self) -> None:
        super().__init__()
        self.first: list[str] = []
        self.confidences: list[float] = []
        self.again: list[str] = []

    def read_line(self, image: np.ndarray) -> LineRead:
        read = super().read_line(image)
        self.first.append(read.text)
        self.confidences.append(read.confidence)
        return read

    def read_again(self, image: np.ndarray) -> LineRead:
        read = super().read_again(image)
        self.again.append(read.text)
        return read


def detect(view: np.ndarray, policy: str, backend: TesseractBackend | None = None) -> list[TextBox]:
    search = np.ones(view.shape[1:], dtype=bool)
    classifier = Classifier(HeaderValues(), policy, frames=view.shape[0])
    return detect_text(view, search, classifier, CachingOCR(backend or TesseractBackend()))


def redacted_frames(boxes: list[TextBox]) -> list[tuple[int, int]]:
    return sorted((b.frame_start, b.frame_end) for b in boxes if b.decision.redact)


@pytest.mark.parametrize("policy", ["balanced", "strict"])
def test_a_date_in_one_state_takes_the_ink_of_every_state_on_every_frame(policy):
    """Frame 5 of a counter shows a date: one box, on all 8 frames, for the date's reason (PHI evidence, not
    strict's "unexplained"), over the ink of every state (the date is the widest)."""
    view = text_clip([f"Bild {t + 1}" if t != 5 else "12.03.1956" for t in range(8)])
    boxes = detect(view, policy)
    assert len(boxes) == 1
    (b,) = boxes
    assert (b.frame_start, b.frame_end) == (0, 8) and b.decision.redact
    assert b.decision.reason.startswith("regex:date")
    rows, cols = np.flatnonzero(view.max(axis=(0, 2)) > 100), np.flatnonzero(view.max(axis=(0, 1)) > 100)
    assert b.x0 <= cols[0] and b.x1 >= cols[-1] + 1 and b.y0 <= rows[0] and b.y1 >= rows[-1] + 1
    assert b.x1 - b.x0 <= cols[-1] + 1 - cols[0] + 4  # the ink, not the whole region


def test_a_state_shown_again_is_stamped_on_each_of_its_frames():
    """The same unexplained state on frames 2 and 5 of a counter: read once, its boxes on both frames; six of
    eight states show their number, so under strict only those two frames are redacted."""
    texts = ["Bild 1", "Bild 2", "Qxzv wrtl", "Bild 4", "Bild 5", "Qxzv wrtl", "Bild 7", "Bild 8"]
    strict = detect(text_clip(texts), "strict")
    assert redacted_frames(strict) == [(2, 3), (5, 6)]
    assert all(b.decision.reason == "strict" and b.text == "Qxzv wrtl" for b in strict if b.decision.redact)
    assert {(b.frame_start, b.frame_end) for b in strict} == {(t, t + 1) for t in range(8)}
    view = text_clip(texts)
    for b in strict:  # each state's boxes in frame coordinates, on the ink of its own frame
        rows = np.flatnonzero(view[b.frame_start].max(axis=1) > 100)
        cols = np.flatnonzero(view[b.frame_start].max(axis=0) > 100)
        assert rows[0] - 2 <= b.y0 <= rows[0] + 3 and rows[-1] - 2 <= b.y1 <= rows[-1] + 4, b
        assert cols[0] - 2 <= b.x0 < cols[-1] and cols[0] < b.x1 <= cols[-1] + 4, b
    balanced = detect(text_clip(texts), "balanced")
    assert redacted_frames(balanced) == []
    assert sorted((b.frame_start, b.frame_end) for b in balanced if b.text == "Qxzv wrtl") == [(2, 3), (5, 6)]


def test_under_balanced_an_unexplained_state_keeps_the_region_on_every_frame():
    """Balanced keeps unexplained text: the counter with a misread state stays, each state on its frame."""
    boxes = detect(text_clip([f"Bild {t + 1}" if t != 3 else "Qxzv wrtl" for t in range(8)]), "balanced")
    assert not any(b.decision.redact for b in boxes)
    assert {(b.frame_start, b.frame_end) for b in boxes} == {(t, t + 1) for t in range(8)}


def test_under_balanced_an_unread_state_is_redacted_on_its_own_frames_only():
    """Frame 2 shows Cyrillic strokes Tesseract cannot read ("unreadable": redacted under balanced, no PHI
    evidence); the other states are unexplained text, kept. Only balanced's early decision is strict's:
    the region does not go whole."""
    boxes = detect(text_clip(["Qxzv wrta", "Qxzv wrtb", "ЖЖЖ", "Qxzv wrtd"]), "balanced")
    assert redacted_frames(boxes) == [(2, 3)]
    assert [b.decision.reason for b in boxes if b.decision.redact] == ["unreadable"]
    assert {(b.frame_start, b.frame_end) for b in boxes} == {(t, t + 1) for t in range(4)}


def test_a_clear_line_decided_without_evidence_is_not_read_a_second_time():
    """Read with high confidence, unexplained text (strict) gets no second opinion; strokes read poorly do."""
    canvas = Image.new("L", (400, 50), 0)
    ImageDraw.Draw(canvas).text((20, 15), "Qxzv wrtl", fill=230, font=load_font("DejaVuSans", 15))
    backend = CountingTesseract()
    (b,) = detect(np.asarray(canvas)[None], "strict", backend)
    assert b.decision.reason == "strict" and backend.first == ["Qxzv wrtl"] and backend.again == []
    backend = CountingTesseract()
    detect(text_clip(["Qxzv wrta", "Qxzv wrtb", "ЖЖЖ", "Qxzv wrtd"]), "balanced", backend)
    assert len(backend.first) == 4 and len(backend.again) == 1


@pytest.mark.parametrize("frames", [1, 3])
def test_a_value_three_heights_right_of_a_field_label_is_redacted_by_layout(frames):
    """"Name:" and a value 28 px right of it, far right on a wide, low frame: too far apart for one phrase
    (2 heights), near enough for layout (3 heights), with the frame's width (not its height) bounding
    the lines layout uses. Static text, on one frame and on a cine; without layout the value is kept."""
    canvas = Image.new("L", (400, 50), 0)
    draw, font = ImageDraw.Draw(canvas), load_font("DejaVuSans", 15)
    draw.text((80, 15), "Name:", fill=230, font=font)
    draw.text((80 + int(draw.textlength("Name:", font=font)) + 28, 15), "qxzv wrtl", fill=230, font=font)
    view = np.repeat(np.asarray(canvas)[None], frames, axis=0)
    search = np.ones(view.shape[1:], dtype=bool)
    for layout, reason in ((True, "layout:after-label"), (False, "kept")):
        classifier = Classifier(HeaderValues(), "balanced", frames=frames).variant(layout=layout)
        label, value = sorted(detect_text(view, search, classifier, CachingOCR(TesseractBackend())),
                              key=lambda b: b.x0)
        assert label.decision.redact and label.text == "Name:"
        assert value.text == "qxzv wrtl" and value.decision.reason == reason
        assert (value.frame_start, value.frame_end) == (0, frames)


@pytest.mark.parametrize(("size", "text", "reason"), [(9, "ЖЖЖ", "strict"), (12, "ЖШЩ", "unreadable")])
def test_a_second_opinion_less_confident_than_the_first_read_is_not_taken(size, text, reason):
    """Cyrillic strokes Tesseract reads poorly (confidence below 60, no evidence): read again, and the second
    read, less confident still (and a clinical-looking allowlisted word), is dropped: the first read decides."""
    canvas = Image.new("L", (200, 40), 0)
    ImageDraw.Draw(canvas).text((10, 10), text, fill=200, font=load_font("DejaVuSans", size))
    backend = CountingTesseract()
    (b,) = detect(np.asarray(canvas)[None], "strict", backend)
    assert len(backend.first) == 1 and len(backend.again) == 1 and backend.again != backend.first
    assert b.text == backend.first[0] and b.decision.reason == reason and b.decision.redact


def test_the_banner_is_the_top_twelve_percent_of_the_frame_height_and_static_boxes_lie_on_their_ink():
    """A 200-wide, 400-high frame: a line ending at row 47 is in the banner (12% of the height, 48 rows), not
    in 12% of the width; its box is where its ink is (the static path adds no offset)."""
    canvas = Image.new("L", (200, 400), 0)
    draw, font = ImageDraw.Draw(canvas), load_font("DejaVuSans", 15)
    draw.text((10, 30), "qxzv wrtl", fill=230, font=font)
    draw.text((10, 300), "wrtl qxzv", fill=230, font=font)
    view = np.asarray(canvas)[None]
    top = min(detect(view, "balanced"), key=lambda b: b.y0)
    assert top.text == "qxzv wrtl" and top.decision.reason == "layout:banner-first-line"
    ink = view[0, :100] > 0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert (top.x0, top.y0) == (cols[0], rows[0]), (top, cols[0], rows[0])


@pytest.mark.parametrize(("upper", "lower", "reason"), [("12.03.1956", "Qxzv Wrtl", "regex:date"),
                                                        ("Qxzv Wrtl", "12.03.1956", "name")])
def test_a_state_with_two_phi_lines_takes_the_region_for_its_first_line_reason(upper, lower, reason):
    """Frame 3 of a counter shows a date and a name on two lines (one changing region): the region goes whole
    on every frame, for the reason of the first PHI box read (the upper line)."""
    font = load_font("DejaVuSans", 15)
    view = np.zeros((6, 60, 240), dtype=np.uint8)
    for t in range(6):
        canvas = Image.new("L", (240, 60), 0)
        draw = ImageDraw.Draw(canvas)
        draw.text((20, 15), upper if t == 3 else f"Bild {t + 1}", fill=230, font=font)
        if t == 3:
            draw.text((20, 32), lower, fill=230, font=font)
        view[t] = np.asarray(canvas)
    (b,) = detect(view, "balanced")
    assert (b.frame_start, b.frame_end) == (0, 6) and b.decision.redact
    assert b.decision.reason.startswith(reason)


def test_a_read_of_confidence_exactly_sixty_gets_no_second_opinion():
    """SECOND_OPINION_BELOW is a strict bound: "jrptgq" at 11 px, read whole at Tesseract's mean confidence 60
    (an integer), unexplained under strict, is not read again."""
    canvas = Image.new("L", (200, 40), 0)
    ImageDraw.Draw(canvas).text((10, 10), "jrptgq", fill=200, font=load_font("DejaVuSans", 11))
    backend = CountingTesseract()
    (b,) = detect(np.asarray(canvas)[None], "strict", backend)
    if backend.first != ["jrptgq"] or backend.confidences != [60.0]:
        # the case needs a read of exactly 60, which depends on the Tesseract build and its traineddata
        pytest.skip(f"this Tesseract reads the line at {backend.confidences}, not exactly 60: no boundary case")
    assert b.decision.reason == "strict"
    assert backend.again == []
