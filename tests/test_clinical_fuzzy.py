"""One OCR slip from a clinical word keeps its (weakened) clinical evidence; names and titles never do."""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.clinical_fuzzy import FUZZY_SHARE, near_term, near_unit
from phiphantom.deid.pixels.clinical_grammar import clinical_evidence
from phiphantom.deid.pixels.clinical_terms import lexicon


@pytest.mark.parametrize(("slip", "word"), [("Pleurl", "PLEURAL"), ("Deptb", "DEPTH"), ("Gaim", "GAIN"),
                                            ("Adust", "ADULT"), ("Thorx", "THORAX")])
def test_one_edit_finds_the_term(slip: str, word: str) -> None:
    term, exact = near_term(slip), lexicon().get(word)
    assert term is not None and exact is not None and term.weight <= exact.weight  # that word or a surer one


@pytest.mark.parametrize("word", ["Miller", "Smith", "Hans", "Maria", "Prof", "Gain", "Fow", "QXZW", "12345"])
def test_no_slip_for_names_titles_exact_words_short_words_or_digits(word: str) -> None:
    term = near_term(word)
    assert term is None or word.upper() == "GAIN"  # an exact word is found by the lexicon, not as a slip
    if word == "Gain":
        assert all(e.source != "clinical:ocr-slip" for e in clinical_evidence(word))


def test_units_glued_to_numbers_and_the_weakened_weight() -> None:
    assert near_unit("14CHM") and not near_unit("80AM") and not near_unit("14") and not near_unit("ABCDE")
    evidence = [e for e in clinical_evidence("Pleurl line") if e.source == "clinical:ocr-slip"]
    assert evidence and all(-1.0 <= e.weight <= 0.75 * -0.6 for e in evidence)
    assert FUZZY_SHARE < 1
