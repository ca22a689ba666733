"""One OCR slip from a clinical word keeps its (weakened) clinical evidence; names and titles never do."""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.clinical_fuzzy import (
    FUZZY_SHARE,
    TWO_EDIT_LETTERS,
    cut_term,
    far_term,
    near_term,
    near_unit,
)
from phiphantom.deid.pixels.clinical_grammar import clinical_evidence
from phiphantom.deid.pixels.clinical_terms import fold, lexicon


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


# ---- two slips in a long word, a word cut short -------------------------------------------------------------

@pytest.mark.parametrize(("read", "word"), [("CONSOLIDAGAQ", "CONSOLIDAÇÃO"), ("PNEUMOTORAKS", "PNEUMOTHORAX"),
                                            ("ELASTOORATIA", "ELASTOGRAFIA")])
def test_two_slips_in_a_word_of_ten_letters_or_more_find_the_term(read: str, word: str) -> None:
    term, exact = far_term(read), lexicon().get(fold(word))
    assert term is not None and exact is not None and term.weight <= exact.weight
    evidence = [e for e in clinical_evidence(read) if e.source == "clinical:ocr-slips"]
    assert evidence and evidence[0].weight == pytest.approx(max(-1.0, term.weight * FUZZY_SHARE))


@pytest.mark.parametrize("read", [
    "CONSOLIDAG",        # nine letters: two slips are too many
    "SLASTOORATIA",      # three edits from ELASTOGRAFIA
    "WALLENSTEIN",       # a surname of the name lists, two edits from a clinical word: a name
    "Ellenbogen",
    "XYZQWERTYUI", "CONSOLIDA-AO", "CONSOLIDAGA0",   # no term near; not letters only
])
def test_no_two_slip_term_for_short_words_three_edits_names_or_non_letters(read: str) -> None:
    assert far_term(read) is None


@pytest.mark.parametrize(("read", "word"), [("MUSCULOESQ.", "MUSCULOESQUELETICO"), ("Elastogr.", "ELASTOGRAPHY"),
                                            ("Conso...", "CONSOLIDATION"), ("Pneumo…", "PNEUMOTHORAX")])
def test_a_word_cut_short_with_a_dot_is_the_term_it_begins(read: str, word: str) -> None:
    term, exact = cut_term(read), lexicon().get(fold(word))
    assert term is not None and exact is not None and term.weight <= exact.weight
    assert any(e.source == "clinical:cut-short" for e in clinical_evidence(read))


@pytest.mark.parametrize("read", [
    "MUSCULOESQ",       # no dot: not cut short
    "Abdo.",            # four letters: too short a stem
    "Smoot...",         # a surname (the name lists'), not a cut "Smoothing"
    "Prof.", "Maria.",  # a title; a given name
    "Abdomen.",         # the whole term: no longer term begins with... it is found as itself
    "Qxzvw.",
])
def test_no_cut_term_without_a_dot_for_short_stems_names_titles_or_unknown_starts(read: str) -> None:
    term = cut_term(read)
    assert term is None or read == "Abdomen."
    if read == "Abdomen.":
        assert all(e.source != "clinical:cut-short" for e in clinical_evidence(read))


def test_a_ten_letter_read_may_be_an_eight_letter_term_with_two_letters_more() -> None:
    """The index holds terms from TWO_EDIT_LETTERS - 2 letters: two insertions reach 10."""
    assert len("EFFUSION") == TWO_EDIT_LETTERS - 2
    assert far_term("XEFFUSIONX") is not None and far_term("XEFFUSIONX").kind == lexicon().get("EFFUSION").kind
    assert far_term("EFFUSSIONN") is not None


def test_two_slips_at_the_start_of_a_long_word_still_find_the_term() -> None:
    """The piece index holds every three-letter piece of a term, the last ones too: slips in the first half
    leave only the pieces further on to match ("QQNSOLIDACAO", "COXSOYIDACAO" for CONSOLIDAÇÃO)."""
    assert far_term("QQNSOLIDACAO") == far_term("COXSOYIDACAO") == far_term("CONSOLIDAGAQ") is not None
