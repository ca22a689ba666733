"""A name pair in the cases devices print names in ("Given SURNAME", "SURNAME, Given") is name evidence
even when no list knows either word (issue 15: names with no label and no header match were kept under
``balanced``)."""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.person_names import MIXED_CASE_WEIGHT, name_evidence


def _pair(text: str) -> bool:
    return any(e.source == "names:mixed-case-pair" for e in name_evidence(text))


@pytest.mark.parametrize("text", ["Ngozi OKONJO", "OKONJO, Ngozi", "Xiadani ZYLBER 45Y", "Ngozi ADEBAYO-OKONJO"])
def test_unknown_names_in_title_and_capitals_are_a_pair(text):
    assert _pair(text)
    decision = Classifier(HeaderValues(), "balanced").decide(text)
    assert decision.redact and decision.score >= MIXED_CASE_WEIGHT


@pytest.mark.parametrize("text", ["THI Gen", "Philips EPIQ 7", "Canon APLIO i800", "Ngozi Okonjo", "NGOZI OKONJO",
                                  "Gen THI", "ngozi OKONJO", "Ngozi OK"])
def test_modes_brands_and_one_case_are_not(text):
    assert not _pair(text)


@pytest.mark.parametrize("text", ["Olusegun Obasanjo", "N'Diaye Awa", "Xochitl Zyanya Tlaloc", "Kwame Mensah"])
def test_a_line_of_capitalised_words_nothing_explains_is_a_name_under_balanced(text):
    decision = Classifier(HeaderValues(), "balanced").decide(text)
    assert decision.redact and decision.reason == "name"


@pytest.mark.parametrize("text", ["Abdomen General", "Small Parts", "Auto Gain", "Thyroid Left",  # clinical words
                                  "Olusegun", "Olusegun Obasanjo Ade Bola",  # one word, four words
                                  "BAL LEBENY", "KWAME MENSAH",  # in capitals: as often foreign clinical wording
                                  "Olusegun 12", "Olusegun OBASANJO"])  # a digit; a pair in two cases: its own rule
def test_clinical_title_lines_and_other_shapes_are_not_title_case_names(text):
    assert not any(e.source == "names:title-case-line"
                   for e in Classifier(HeaderValues(), "balanced").evidence(text))


@pytest.mark.parametrize("text", ["DOE JANE Gain 52", "DOE, JANE Mi48", "SMITH JOHN GAIN 60"])
def test_a_name_read_on_into_a_parameter_stays_a_name(text):
    # the name run reaches over "Gain" (a surname too); the parameter's evidence takes off its share only
    decision = Classifier(HeaderValues(), "balanced").decide(text)
    assert decision.redact and decision.reason in ("name", "regex:sex")
