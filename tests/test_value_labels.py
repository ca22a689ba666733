"""Abbreviations before a value, and units as OCR misreads them (deid/pixels/clinical_form.py).

Other vendors print parameters and read-outs as a short name and a value ("PS 103.4cm/s", "Nyq 0.51m/s",
"Cmp 71") and small overlay text comes out of OCR with its unit misread ("14.3 om", "0.89M!S"). No list
holds every such name, and under ``strict`` one unexplained word took the whole line. The form of the
pair explains it; what a person's data looks like is kept out (issue 15).
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.clinical_grammar import clinical_evidence
from phiphantom.deid.pixels.evidence import SHAPE_KIND

STRICT = Classifier(HeaderValues(), "strict")


def _explained(text: str) -> set[str]:
    """The words of ``text`` some clinical evidence covers."""
    spans = [(e.start, e.end) for e in clinical_evidence(text)]
    words, start = set(), 0
    for word in (w.rstrip(".") for w in text.split()):
        at = text.index(word, start)
        if any(s <= at and at + len(word) <= e for s, e in spans):
            words.add(word)
        start = at + len(word)
    return words


@pytest.mark.parametrize("text", ["QZ 103.4cm/s", "Qxv 0.51m/s", "Qxv 71", "QZ 59%", "QXVZ 2.5", "qzv 7.5 mm",
                                  "Qxv. 12.1"])
def test_an_unknown_abbreviation_before_a_value_is_kept_under_strict(text):
    assert text.split()[0].rstrip(".") in _explained(text)
    assert any(e.kind == SHAPE_KIND and e.source == "clinical:value-label" for e in clinical_evidence(text))
    assert not STRICT.decide(text).redact


@pytest.mark.parametrize("text", [
    "Wu 45", "NG 12",        # two letters and a bare number: two-letter surnames are in no list
    "Mar 12", "Okt 3",       # a month and a day
    "Mme 45", "Herr 4.5",    # titles
    "Qxv 12345", "Qxv 1987",  # an ID or a year: more than three digits
    "Age 45", "Edad 45", "ID 123",  # labels of PHI
    "Qxvzw 45",              # five letters: a word, not an abbreviation
])
def test_names_dates_titles_ids_and_labels_get_no_label_evidence(text):
    assert text.split()[0] not in _explained(text)
    assert STRICT.decide(text).redact


def test_label_evidence_never_weakens_name_or_header_evidence():
    balanced = Classifier(HeaderValues(), "balanced")
    assert "Kim" in _explained("Kim 4.5")    # shaped like a label ...
    assert balanced.decide("Kim 4.5").redact  # ... but the name lists know it: its weight stands
    ds = Dataset()
    ds.PatientName = "QXV^ANNA"
    own = Classifier(HeaderValues.from_dataset(ds), "strict")
    assert own.decide("QXV 4.5").redact and own.decide("QXV 4.5").reason == "header:PatientName"


@pytest.mark.parametrize(("text", "unit"), [
    ("14.3 om", "om"), ("16.5 CH", "CH"),         # c read as o, M as H
    ("7.7CH", "7.7CH"), ("0.89M!S", "0.89M!S"),   # glued: CM, M/S
    ("131MWS", "131MWS"), ("29.3cm's", "29.3cm's"), ("68mv's", "68mv's"), ("5.6MHS", "5.6MHS"),
])
def test_units_as_ocr_misreads_them(text, unit):
    assert any(text[e.start:e.end].endswith(unit) and e.kind == "unit" for e in clinical_evidence(text))
    assert not STRICT.decide(text).redact


def test_a_misread_unit_makes_a_value_for_a_known_parameter():
    assert not STRICT.decide("DEPTH 10CH").redact
    assert not STRICT.decide("NYQ 0.89M!S").redact


@pytest.mark.parametrize("text", ["45 YF", "80AM", "47 WF", "45 M", "12 JUN"])
def test_ages_sexes_and_months_after_a_number_are_no_misread_units(text):
    assert not any(e.kind == "unit" and text[e.start:e.end].strip().endswith(text.split()[-1][-2:])
                   for e in clinical_evidence(text))


@pytest.mark.parametrize("text", ["Area 33.53cm2", "Vol 12.5mm3", "AO% 71"])
def test_units_ending_in_a_digit_and_percentage_labels(text):
    assert not STRICT.decide(text).redact


@pytest.mark.parametrize("word", ["AutoIMT", "VolSlice", "MultiV", "AutoOpt", "iScan"])
def test_camel_case_feature_names_are_explained_by_their_form(word):
    assert word in _explained(word)
    assert not STRICT.decide(word).redact


@pytest.mark.parametrize("word", ["McDonald", "DeVito", "LeBlanc", "MacLeod", "AnnaSMITH", "JohnDoe", "WangWei"])
def test_camel_case_names_get_no_feature_evidence(word):
    assert word not in _explained(word)
    assert STRICT.decide(word).redact


@pytest.mark.parametrize("text", ["2.6/2.6MHz", "1.7/3.4 MHz", "THI 1.8/3.6MHz"])
def test_two_decimals_for_one_setting_with_a_unit(text):
    assert not STRICT.decide(text).redact


@pytest.mark.parametrize("text", ["1.7/3.4", "12.03/19.61", "12/03", "3/4 cm"])
def test_a_pair_without_a_unit_or_without_decimals_is_no_setting(text):
    assert STRICT.decide(text).redact


@pytest.mark.parametrize("text", ["PROF.20.5 CM", "Prof.12 cm", "Dist.1.41cm", "Depth.14cm"])
def test_a_parameter_name_whose_period_ocr_glued_to_the_value_is_explained(text):
    """At small sizes OCR drops the space after an abbreviation's period: "PROF.20.5" is "PROF. 20.5"."""
    decision = STRICT.decide(text, 10 * len(text), 12)
    assert not decision.redact, decision


@pytest.mark.parametrize("text", ["Geb.12.03.1961", "Jan.12.2020", "Nr.123456", "DOB.12.03.61"])
def test_a_glued_label_never_turns_a_date_or_an_id_into_a_value(text):
    assert STRICT.decide(text, 10 * len(text), 12).redact


@pytest.mark.parametrize("text", ["MÉLYSÉG 8.4CM", "Erősítés 40dB", "QXVZWY 12.5 mm", "Qxvzwy. 61%", "QXVZWY 7.3CH",
                                  "Qxvzwyqx 128.1mL", "QXVZWY 4.57cm²"])
def test_a_longer_word_before_a_value_with_a_unit_of_measure_is_kept_under_strict(text):
    # another language's setting or read-out: a name and a number with its unit (no list holds the name)
    assert any(e.kind == SHAPE_KIND and e.source == "clinical:measured-label" and e.start == 0
               for e in clinical_evidence(text))
    assert not STRICT.decide(text).redact


@pytest.mark.parametrize("text", [
    "Qxvzwy 45",        # a bare number: an age, a room, a count; no unit of measure
    "Qxvzwy 45 M",      # an age and a sex ("M" is a unit only glued to a decimal)
    "Qxvzwy 39M", "Qxvzwy 45Y", "Qxvzwy 45 yrs",  # ages with a sex or an age unit
    "Qxvzwy 12.05",     # a day and a month, or a decimal: no unit
    "Qxvzwy 2016",      # a year
    "March 12 cm",      # a month's name
])
def test_a_longer_word_before_a_number_without_a_unit_of_measure_gets_no_label_evidence(text):
    assert not any(e.source == "clinical:measured-label" for e in clinical_evidence(text))
    assert STRICT.decide(text).redact


def test_measured_label_evidence_never_weakens_a_listed_name():
    # "Kowalski 12 cm" is shaped like a label and a measurement; the name lists' weight stands
    assert any(e.source == "clinical:measured-label" for e in clinical_evidence("Kowalski 12 cm"))
    assert Classifier(HeaderValues(), "balanced").decide("Kowalski 12 cm").redact


@pytest.mark.parametrize("text", ["NOWAK 39M", "Kowalski 45F", "NOWAK ANNA 39F"])
def test_a_name_before_a_glued_age_and_sex_is_no_brand_and_model(text):
    # "Sonix XR-7" is a brand and a model; "NOWAK 39M" is a surname, an age and a sex
    assert not any(e.source in ("clinical:brand", "clinical:model") for e in clinical_evidence(text))
    assert Classifier(HeaderValues(), "balanced").decide(text).redact
    assert any(e.source == "clinical:model" for e in clinical_evidence("Sonix XR-7"))
