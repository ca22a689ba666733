"""Lines the segmentation cut into pieces are read again whole (deid/pixels/detect.py ``read_whole``).

Small text's glyph gaps can exceed the grouping gap: a time "14:17:17" arrives as "14:1" | "7:1", each piece
a bare number the clinical grammar explains as a scale tick. Such a run is read once more as one crop;
strong PHI evidence in that read redacts its pieces. Weak evidence (the sex or age shapes a garbled
parameter line takes), a whole read that is clinical, runs with a redacted piece and runs whose pieces
explain each other are left as they were. Real text rendered, read by Tesseract.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.core.ocr import CachingOCR, TesseractBackend
from phiphantom.deid.pixels.classify import Classifier, Decision, HeaderValues
from phiphantom.deid.pixels.detect import WHOLE_READ_MIN_SCORE, TextBox, names_phi_evidence, read_whole

from .helpers import CountingTesseract, deid_pixels, display_luma, image, load_font, reread, save

TICK = Decision(False, "allowlist", "clinical", -0.18)      # a bare number: a scale tick's reading
PARAMETER = Decision(False, "allowlist", "clinical", -0.6)  # a parameter with its value, explained together
UNEXPLAINED = Decision(False, "kept", "", 0.45)


LEFT = 20  # where the text starts on the screen


def _screen(text: str, size: int = 16) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """``text`` light on a black 80x400 screen at (LEFT, 30); the view and the text's ink box."""
    canvas = Image.new("L", (400, 80), 0)
    ImageDraw.Draw(canvas).text((LEFT, 30), text, fill=230, font=load_font("DejaVuSans", size))
    view = np.asarray(canvas).copy()
    ys, xs = np.nonzero(view > 60)
    return view, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


def _pieces(text: str, box: tuple[int, int, int, int], parts: list[str], decisions: list[Decision],
            size: int = 16) -> list[TextBox]:
    """The ink box of ``text`` cut after each of ``parts`` (its leading pieces), one decision a piece."""
    font = load_font("DejaVuSans", size)
    x0, y0, x1, y1 = box
    edges, prefix = [x0], ""
    for part in parts:
        prefix += part
        edges.append(LEFT + round(font.getlength(prefix)))
    edges.append(x1)
    return [TextBox(a, y0, b, y1, 0, 1, d, "") for a, b, d in zip(edges[:-1], edges[1:], decisions, strict=True)]


TIME = "10:50:22"
TIME_PARTS = ["10:", "50:"]  # and "22": three bare numbers


@pytest.mark.parametrize("policy", ["strict", "balanced"])
def test_a_time_cut_into_pieces_is_read_whole_and_redacted(policy):
    view, box = _screen(TIME)
    boxes = _pieces(TIME, box, TIME_PARTS, [TICK, TICK, TICK])
    out = read_whole(CachingOCR(TesseractBackend()), Classifier(HeaderValues(), policy), view, boxes)
    assert all(b.decision.redact for b in out), [b.decision for b in out]
    assert all(names_phi_evidence(b.decision) and b.decision.score >= WHOLE_READ_MIN_SCORE for b in out)
    assert [(b.x0, b.y0, b.x1, b.y1) for b in out] == [(b.x0, b.y0, b.x1, b.y1) for b in boxes]  # boxes unmoved


def test_each_piece_alone_says_nothing():
    """The pieces really are what the grammar cannot tell: without the whole read the time is kept."""
    for policy in ("strict", "balanced"):
        classifier = Classifier(HeaderValues(), policy)
        assert not any(classifier.decide(piece).redact for piece in ["10:", "50:", "22"])
        assert not classifier.decide("10: S50: 22").redact  # nor the phrase of pieces read as on a dev pack
        assert classifier.decide(TIME).redact


def test_a_name_cut_into_pieces_is_found_through_the_header():
    view, box = _screen("Quarveld Temmiras")
    header = HeaderValues()
    header.words.update({"QUARVELD": "ReferringPhysicianName", "TEMMIRAS": "ReferringPhysicianName"})
    boxes = _pieces("Quarveld Temmiras", box, ["Quar"], [UNEXPLAINED, UNEXPLAINED])
    out = read_whole(CachingOCR(TesseractBackend()), Classifier(header, "balanced"), view, boxes)
    assert all(b.decision.redact and b.decision.reason.startswith("header:") for b in out)


@pytest.mark.parametrize(("text", "policy", "first"), [
    ("F 7.50MHsz", "strict", "F"),        # a sex letter before a value (0.3): strict would redact it
    ("VEL 0_50W/S", "balanced", "VEL"),   # "50W" an age in weeks (0.6): balanced would redact it
])
def test_a_whole_read_with_only_weak_evidence_redacts_nothing(text, policy, first):
    """Garbled parameter lines read whole, as on the tuning-dev set: weak evidence, left to the pieces."""
    view, box = _screen(text)
    classifier = Classifier(HeaderValues(), policy)
    weak = classifier.decide(text)
    assert weak.redact and weak.score < WHOLE_READ_MIN_SCORE  # what the gate is for
    boxes = _pieces(text, box, [first], [UNEXPLAINED, TICK])
    assert read_whole(CachingOCR(TesseractBackend()), classifier, view, boxes) == boxes


def test_a_clinical_line_read_whole_stays():
    view, box = _screen("Gain 52 dB")
    boxes = _pieces("Gain 52 dB", box, ["Gai"], [UNEXPLAINED, TICK])
    assert read_whole(CachingOCR(TesseractBackend()), Classifier(HeaderValues(), "strict"), view, boxes) == boxes


@pytest.mark.parametrize("decisions", [
    [PARAMETER, PARAMETER],                                # "D" | "6.0cm": the pieces explain each other
    [TICK, Decision(True, "regex:time", "time", 1.0)],     # a redacted piece takes its run along (propagate)
])
def test_runs_that_need_no_second_look_are_not_read(decisions):
    view, box = _screen(TIME)
    boxes = _pieces(TIME, box, ["10:50:"], decisions)
    backend = CountingTesseract()
    assert read_whole(CachingOCR(backend), Classifier(HeaderValues(), "strict"), view, boxes) == boxes
    assert backend.reads == 0


def test_a_run_that_needs_a_second_look_is_read_once():
    view, box = _screen(TIME)
    backend = CountingTesseract()
    pieces = _pieces(TIME, box, ["10:50:"], [TICK, TICK])
    read_whole(CachingOCR(backend), Classifier(HeaderValues(), "strict"), view, pieces)
    assert backend.reads == 1


def test_pieces_far_apart_or_on_other_lines_are_not_one_run():
    view, box = _screen(TIME)
    x0, y0, x1, y1 = box
    backend = CountingTesseract()
    gap = 3 * (y1 - y0)  # three heights: a neighbouring field, not a piece of this one
    apart = [TextBox(x0, y0, x0 + 20, y1, 0, 1, TICK, ""), TextBox(x0 + 20 + gap, y0, 390, y1, 0, 1, TICK, "")]
    below = [TextBox(x0, y0, x1, y1, 0, 1, TICK, ""), TextBox(x0, y1 + 4, x1, y1 + 4 + (y1 - y0), 0, 1, TICK, "")]
    classifier = Classifier(HeaderValues(), "strict")
    assert read_whole(CachingOCR(backend), classifier, view, apart) == apart
    assert read_whole(CachingOCR(backend), classifier, view, below) == below
    assert backend.reads == 0


def _time_in_pieces_screen() -> np.ndarray:
    """A 480x640 screen: "10:" "50:" "22" in 13 px type 5 px apart (wider than the glyph gaps: three
    segments; Tesseract reads the middle one "S0:"), a speckled fan, and a parameter line."""
    rng = np.random.default_rng(3)
    frame = np.zeros((480, 640), dtype=np.uint8)
    frame[100:460, 200:620] = np.clip(rng.gamma(2.0, 40.0, size=(360, 420)), 0, 255).astype(np.uint8)
    canvas = Image.fromarray(frame)
    draw = ImageDraw.Draw(canvas)
    font = load_font("DejaVuSans", 13)
    x = 40
    for part in ("10:", "50:", "22"):
        draw.text((x, 40), part, fill=230, font=font)
        x += round(font.getlength(part)) + 5
    draw.text((40, 300), "Gain 52 dB", fill=230, font=font)
    return np.asarray(canvas).copy()


@pytest.mark.parametrize("policy", ["strict", "balanced"])
def test_a_time_in_pieces_is_removed_end_to_end(tmp_path, policy):
    ds = image("QXVZ^ANNA", "TD192510", 1)
    ds.Modality = "US"
    pixels = _time_in_pieces_screen()
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.tobytes()
    after = display_luma(reread(deid_pixels(save(ds, tmp_path / "in.dcm"), policy=policy).dataset))[0]
    time_area, gain = (slice(36, 60), slice(36, 120)), (slice(296, 320), slice(36, 120))
    assert (pixels[time_area] > 128).any()
    assert not (after[time_area] > 128).any(), "a piece of the time is left on screen"
    assert np.array_equal(after[gain], pixels[gain]), "the parameter line is touched"
