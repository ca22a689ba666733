"""The pixel classifier's fuzzy clinical matching and PHI grammar pinned to what their definitions imply
(issue 17, mutation testing of ``deid/pixels/clinical_fuzzy.py`` and ``deid/pixels/phi_grammar.py``).

Every test gives the public functions real OCR-like strings and checks exact results: which lexicon term a
one-edit slip finds (the one-edit rule, the shortest word, names and titles excluded, the strongest term
wins), the weakened weight a slip gets (``FUZZY_SHARE`` of the term's), and the kind, weight and span of
the PHI evidence for dates, times, ages, sex markers and IDs (weights on the shared scale documented in
the grammar's module docstring).
"""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.clinical_fuzzy import FUZZY_SHARE, MIN_LETTERS, near_term, near_unit
from phiphantom.deid.pixels.clinical_grammar import clinical_evidence
from phiphantom.deid.pixels.clinical_terms import lexicon


def _term(word: str):
    term = lexicon().terms[word]
    assert term is not None
    return term


# -- clinical_fuzzy: the one-edit rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(("slip", "word"), [
    ("Gaim", "GAIN"),        # a letter changed, the shortest word looked up (MIN_LETTERS)
    ("Qdyn", "DYN"),         # a letter added to a three-letter word
    ("Thorx", "THORAX"),     # a letter dropped
    ("Deptb", "DEPTH"),
    ("Roda", "RADA"),        # a surname of rank 20001: rarer than RARE_RANK, so it may be a slip
])
def test_a_word_one_edit_from_exactly_one_term_gets_that_term(slip: str, word: str) -> None:
    assert near_term(slip) is _term(word)


@pytest.mark.parametrize("word", [
    "Gain", "GAIN",          # the word itself is no slip (the lexicon finds it)
    "Gxxn", "Gainxx", "Dy",  # two edits; too short
    "Fow",                   # one edit from FLOW but shorter than MIN_LETTERS
    "Wouter",                # a given name (one edit from OUTER)
    "Strate", "Hild",        # surnames of the commoner ranks (STATE, MILD)
    "Miss", "Mlle",          # titles
    "D4pth", "Gain.",        # not letters only
])
def test_no_slip_for_exact_words_two_edits_short_words_names_titles_or_non_letters(word: str) -> None:
    assert near_term(word) is None


def test_of_several_terms_one_edit_away_the_strongest_wins() -> None:
    assert _term("ANGLE").weight > _term("ANKLE").weight  # -0.6 > -0.7: ANKLE is the stronger evidence
    assert near_term("Anxle") is _term("ANKLE")
    assert near_term("Framex") is _term("FRAMES")          # FRAME (-0.6) by a deletion, FRAMES (-0.9) by a change
    # equal weights: the first alphabetically (PLEURA, anatomy, by a change; PLEURAL, a preset, by a deletion)
    assert _term("PLEURA").weight == _term("PLEURAL").weight and _term("PLEURA").kind != _term("PLEURAL").kind
    assert near_term("Pleurl") is _term("PLEURA")
    assert MIN_LETTERS == 4


def test_a_slip_gets_fuzzy_share_of_its_terms_weight() -> None:
    slips = [e for e in clinical_evidence("Deptb 4") if e.source == "clinical:ocr-slip"]
    assert [(e.kind, e.start, e.end) for e in slips] == [("parameter", 0, 5)]
    assert slips[0].weight == pytest.approx(_term("DEPTH").weight * FUZZY_SHARE) == pytest.approx(-0.675)
    pleural = [e for e in clinical_evidence("Pleurl") if e.source == "clinical:ocr-slip"]
    assert [e.weight for e in pleural] == [pytest.approx(-0.6)]  # PLEURAL -0.8 * 0.75
    units = [e for e in clinical_evidence("14CHM") if e.source == "clinical:ocr-slip"]
    assert [(e.kind, e.weight) for e in units] == [("unit", pytest.approx(-0.9 * 0.75))]


@pytest.mark.parametrize(("word", "slip"), [
    ("14CHM", True), ("5MHX", True), ("5KHZZ", True), ("3.5MHZZ", True), ("7,5SECC", True), ("14cmh", True),
    ("80AM", False),   # two letters: an age and a sex, never a unit slip
    ("14CM", False),   # an exact unit of two letters
    ("14CMMM", False),  # two edits from CM, one from nothing
    ("CHM14", False), ("14", False), ("ABCDE", False), ("14C", False),
])
def test_a_number_glued_to_three_or_more_letters_one_edit_from_a_unit(word: str, slip: bool) -> None:
    assert near_unit(word) is slip
