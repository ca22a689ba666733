"""An age printed without its unit beside a birth date (deid/pixels/classify.py ``with_layout``).

Some screens print the age as a bare number ("94") under or beside the birth date, and OCR loses the sex
in brackets of "(F) 94" at small sizes ("()94"). A bare number's only clinical reading is a scale tick,
which used to keep the line whatever stood beside it. Layout evidence of a birth date, a PHI label or a
patient block now makes it PHI; the banner's first line (weaker), counters and other clinical lines keep
their place. A date the header names as the birth date is a birth-date line without a birth word
(issue 15).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.deid.pixels.classify import BIRTH_DATE_KIND, Classifier, Decision, HeaderValues
from phiphantom.deid.pixels.evidence import Evidence
from phiphantom.deid.pixels.layout_evidence import Line, layout_evidence

from .helpers import deid_pixels, display_luma, image, load_font, reread, save

BIRTH = Evidence("layout", 0.7, 0, 4, "beside-birth-date")
BANNER = Evidence("layout", 0.4, 0, 4, "banner-first-line")
SCALE = Decision(False, "allowlist", "clinical", -0.18)


@pytest.mark.parametrize("policy", ["strict", "balanced"])
@pytest.mark.parametrize("text", ["94", "()94", "(94)", "7", "103"])
def test_a_bare_number_beside_a_birth_date_is_redacted(policy, text):
    decision = Classifier(HeaderValues(), policy).with_layout(SCALE, BIRTH, text)
    assert decision.redact and decision.reason == "layout:beside-birth-date"
    assert decision.score == pytest.approx(0.7)


@pytest.mark.parametrize("text, own, layout", [
    ("94", -0.18, BANNER),          # the banner's first line is too weak to overrule a scale tick
    ("1094", -0.18, BIRTH),         # four digits: a year or an ID's part is found by the grammar, not here
    ("12/150", -0.7, BIRTH),        # a counter
    ("94", -0.7, BIRTH),            # a number read as something stronger than a scale tick
    ("G 94", -0.18, BIRTH),         # a letter: a parameter, not a bare number
    ("9.4", -0.18, BIRTH),          # a decimal is a measurement, never an age
])
def test_other_clinical_lines_keep_their_place(text, own, layout):
    decision = Decision(False, "allowlist", "clinical", own)
    assert Classifier(HeaderValues(), "balanced").with_layout(decision, layout, text) is decision


def test_without_the_text_nothing_changes():
    assert Classifier(HeaderValues(), "balanced").with_layout(SCALE, BIRTH) is SCALE


def _screen(lines: list[tuple[str, int, int]]) -> np.ndarray:
    """A 480x640 screen: black text area left, a speckled fan right of column 240, ``lines`` in white 14 px."""
    rng = np.random.default_rng(7)
    frame = np.zeros((480, 640), dtype=np.uint8)
    frame[60:460, 240:620] = np.clip(rng.gamma(2.0, 40.0, size=(400, 380)), 0, 255).astype(np.uint8)
    canvas = Image.fromarray(frame)
    draw = ImageDraw.Draw(canvas)
    for text, x, y in lines:
        draw.text((x, y), text, fill=230, font=load_font("DejaVuSans", 14))
    return np.asarray(canvas).copy()


def _deid(tmp_path, lines, policy="balanced") -> tuple[np.ndarray, np.ndarray]:
    ds = image("QXVZ^ANNA", "TD192510", 1)
    ds.Modality, ds.PatientBirthDate = "US", "19240331"
    pixels = _screen(lines)
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.tobytes()
    res = deid_pixels(save(ds, tmp_path / "in.dcm"), policy=policy)
    return pixels, display_luma(reread(res.dataset))[0]


def test_an_age_without_its_unit_under_the_birth_date_is_removed_end_to_end(tmp_path):
    before, after = _deid(tmp_path, [("DOB: 03/31/1924", 8, 40), ("94", 50, 62), ("Gain 52", 8, 300)])
    age = (slice(60, 80), slice(48, 72))
    assert (before[age] > 128).any()
    assert not (after[age] > 128).any(), "the age beside the birth date is left on screen"
    gain = (slice(298, 318), slice(6, 80))
    assert np.array_equal(after[gain], before[gain]), "a parameter away from the patient block was touched"


def test_a_bare_number_away_from_any_phi_stays_end_to_end(tmp_path):
    before, after = _deid(tmp_path, [("DOB: 03/31/1924", 8, 40), ("94", 8, 300)])
    tick = (slice(298, 318), slice(6, 30))
    assert (before[tick] > 128).any()
    assert np.array_equal(after[tick], before[tick])


def test_the_headers_birth_date_is_a_birth_date_line_without_a_birth_word():
    ds = image("QXVZ^ANNA", "TD192510", 1)
    ds.PatientBirthDate = "19240702"
    c = Classifier(HeaderValues.from_dataset(ds), "balanced")
    assert BIRTH_DATE_KIND in c.decide("02/07/1924").phi_kinds
    assert BIRTH_DATE_KIND not in c.decide("16/06/2029").phi_kinds  # another date: the grammar's, no birth
    date = Line(9, 46, 53, 55, "02/07/1924", frozenset({"header", "date", BIRTH_DATE_KIND}), 1.0)
    age = Line(9, 62, 25, 71, "83", frozenset(), -0.18)
    found = layout_evidence([date, age], 640, 480)
    assert [e.source for e in found[1]] == ["beside-birth-date"]
    plain = Line(9, 46, 53, 55, "02/07/1924", frozenset({"header", "date"}), 1.0)
    assert layout_evidence([plain, age], 640, 480)[1] == []  # a date without a birth word: no evidence
