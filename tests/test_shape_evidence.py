"""Evidence from a token's form alone: an abbreviation in capitals, a short code of letters and digits.

Other vendors' parameter and probe wording ("TVI", "CFM", "4C", "L7x", "RM6C") is in no list; under
``strict`` every unexplained character counts towards PHI, so such a line was removed. Its form says
it is no name, date or ID; the form explains the characters but never weakens PHI evidence on them
(issue 15).
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.clinical_grammar import clinical_evidence
from phiphantom.deid.pixels.evidence import SHAPE_KIND


def _shape_spans(text: str) -> list[str]:
    return [text[e.start:e.end] for e in clinical_evidence(text) if e.kind == SHAPE_KIND]


@pytest.mark.parametrize(("text", "shaped"), [("QXV", ["QXV"]), ("L7x", ["L7x"]), ("RM6C", ["RM6C"]),
                                              ("Q6-ZX", ["Q6-ZX"]), ("QXV 27.3cm", ["QXV"])])
def test_abbreviations_and_short_codes_are_explained_by_their_form(text, shaped):
    assert _shape_spans(text) == shaped
    assert not Classifier(HeaderValues(), "strict").decide(text).redact


@pytest.mark.parametrize("text", [
    "WU",           # two capitals: two-letter surnames are in no list
    "JIA WEN",      # two unknown words: a name comes in parts
    "DOE JOHN",
    "47F", "M32", "5y", "32a", "4C", "4TF", "M47Y", "N47J", "FA47",  # age and sex with a number, misreads
    "1er", "3rd",   # a day's ordinal
    "12MAR", "MAR12",  # a date without its year
    "AB12345",      # an ID: more than three digits
    "Qxv",          # not capitals
])
def test_names_ages_dates_and_ids_get_no_shape_evidence(text):
    assert _shape_spans(text) == []


def test_shape_evidence_never_weakens_name_or_header_evidence():
    balanced = Classifier(HeaderValues(), "balanced")
    assert _shape_spans("LIU") == ["LIU"]   # a capitalised three-letter word ...
    assert balanced.decide("LIU").redact    # ... that the surname lists know keeps its full weight
    ds = Dataset()
    ds.PatientName = "QXV^ANNA"
    own = Classifier(HeaderValues.from_dataset(ds), "strict")
    assert own.decide("QXV").redact and own.decide("QXV").reason == "header:PatientName"
