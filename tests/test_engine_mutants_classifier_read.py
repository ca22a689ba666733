"""Mutation tests of the pixel classifier's other methods (issue 17, docs/mutation.md).

``deid/pixels/classify.py`` beyond the decision methods of ``tests/test_engine_mutants_classifier.py``:
``Classifier.evidence`` (the header and NER evidence, the per-file cache), ``Classifier._decide_read``
(the ``text`` pixel mode of CT, MR, radiographs: only confident reads of lines are judged),
``Classifier._unread_mark`` (text OCR could not read), and the module helpers ``_with_context`` (a phrase's
strong PHI reading overrules a word's clinical one), ``_misread_count`` (a counter's count as OCR misreads
it), ``_lone_glyph`` (one letter read off a mark) and ``_reason`` (the reason recorded for PHI evidence).
Lines are decided with the real recognisers through the public ``decide`` and ``frame_number``; exact
scores use letters no recogniser explains ("Qxzv") with evidence given as a phrase's ``context``.
"""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.classify import FRAME_COUNTER, Classifier, Decision, HeaderValues
from phiphantom.deid.pixels.evidence import Evidence

NOWORD = "Qxzv"


def header(**words: str) -> HeaderValues:
    return HeaderValues(words={k.upper(): v for k, v in words.items()})


class Tagger:
    """A small named-entity tagger: the words it knows, each with its label (the ``ner`` callable's
    contract: text -> entity labels, the first the strongest), counting the lines it is asked about."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.asked: list[str] = []

    def __call__(self, text: str) -> list[str]:
        self.asked.append(text)
        return [self.known[w] for w in text.split() if w in self.known]


# ---- Classifier.evidence --------------------------------------------------------------------------


def test_a_header_value_is_evidence_of_weight_one_over_the_whole_line():
    c = Classifier(header(muller="PatientName"))
    found = c.evidence("Qxzv MULLER")
    assert found[0] == Evidence("header", 1.0, 0, 11, "PatientName") and all(e.kind != "header" for e in found[1:])
    assert c.evidence(NOWORD) == []


def test_ner_labels_give_evidence_of_the_ner_weight_with_the_first_label():
    tagger = Tagger({"qxzv": "PER", "wrtl": "LOC"})
    c = Classifier(HeaderValues(), ner=tagger)
    assert c.evidence("wrtl qxzv") == [Evidence("ner", 0.9, 0, 9, "LOC")]
    assert c.evidence("Zzkq") == []  # no label: no evidence


def test_header_evidence_comes_before_ner_and_text_evidence():
    c = Classifier(header(qxzv="PatientName"), ner=Tagger({"Qxzv": "PER"}))
    found = c.evidence("Qxzv 12.03.1956")
    assert [e.kind for e in found[:2]] == ["header", "ner"] and found[0].source == "PatientName"
    assert any(e.kind == "date" for e in found[2:])


def test_evidence_is_computed_once_per_text_and_handed_out_as_a_copy():
    tagger = Tagger({"Qxzv": "PER"})
    c = Classifier(HeaderValues(), ner=tagger)
    first = c.evidence(NOWORD)
    first.append(Evidence("date", 1.0, 0, 4))
    assert c.evidence(NOWORD) == [Evidence("ner", 0.9, 0, 4, "PER")]
    assert tagger.asked == [NOWORD]
    c.evidence("Wrtl")
    assert tagger.asked == [NOWORD, "Wrtl"]


# ---- _reason --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("evidence", "reason"), [
    (Evidence("header", 1.0, 0, 4, "PatientName"), "header:PatientName"),
    (Evidence("date", 0.9, 0, 4), "regex:date"),
    (Evidence("phone", 0.9, 0, 4), "regex:phone"),
    (Evidence("ner", 0.9, 0, 4, "PER"), "ner:PER"),
    (Evidence("layout", 0.9, 0, 4, "banner"), "layout:banner"),
    (Evidence("name", 0.9, 0, 4, "list"), "name"),
    (Evidence("label", 0.9, 0, 4, "field"), "label"),
])
def test_the_reason_names_the_kind_of_the_strongest_phi_evidence(evidence, reason):
    d = Classifier(HeaderValues()).decide(NOWORD, context=[evidence])
    assert d.redact and d.reason == reason and d.text_kind == evidence.kind


# ---- _with_context --------------------------------------------------------------------------------

# "Dec" alone: a weak name (0.45) and a measurement word (-0.85): clinical (checked below)


def test_dec_alone_is_clinical():
    d = Classifier(HeaderValues()).decide("Dec")
    assert not d.redact and d.reason == "allowlist" and d.score == pytest.approx(-0.51)


@pytest.mark.parametrize("piece", [
    Evidence("date", 0.9, 0, 3),       # exactly PHRASE_OVERRULES, from the first character to the last
    Evidence("date", 1.0, 0, 5),       # a piece reaching beyond the word
    Evidence("date", 0.9, 0, 3, ""),
])
def test_a_phrase_reading_the_whole_word_as_strong_phi_drops_its_clinical_reading(piece):
    d = Classifier(HeaderValues(), policy="balanced").decide("Dec", context=[piece])
    assert d == Decision(True, "regex:date", "date", pytest.approx(piece.weight), frozenset({"date", "name"}))


@pytest.mark.parametrize("context", [
    [Evidence("date", 0.89, 0, 3)],                             # weaker than PHRASE_OVERRULES
    [Evidence("date", 0.9, 1, 3)],                              # not from the first character
    [Evidence("date", 0.9, 0, 2)],                              # not to the last
    [Evidence("date", 0.9, 0, 3), Evidence("unit", -0.1, 0, 1)],  # the phrase finds something clinical too
])
def test_a_weaker_partial_or_contested_phrase_reading_leaves_the_word_its_clinical_reading(context):
    d = Classifier(HeaderValues(), policy="balanced").decide("Dec", context=context)
    # the word's own measurement reading (-0.85) discounts the date: 0.9 - 0.8 * 0.85 at most
    assert not d.redact and d.score < 0.5


def test_a_zero_weight_piece_of_the_phrase_is_not_clinical():
    d = Classifier(HeaderValues(), policy="balanced").decide(
        "Dec", context=[Evidence("date", 0.9, 0, 3), Evidence("shape", 0.0, 0, 3)])
    assert d.redact and d.score == pytest.approx(0.9)


def test_the_word_keeps_its_own_phi_evidence_when_the_phrase_overrules():
    d = Classifier(HeaderValues(), policy="balanced").decide("Dec", context=[Evidence("date", 1.0, 0, 3)])
    assert d.phi_kinds == frozenset({"date", "name"})


MARK = Decision(False, "kept", "unreadable-short", 0.04)  # a glyph-sized mark kept under both policies


# ---- _unread_mark ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "width", "expected"), [
    (0.04, 10, Decision(True, "unreadable", "unreadable", 0.04)),       # a mark at a threshold of its score
    (0.05, 10, Decision(False, "kept", "unreadable-short", 0.04)),
    (0.55, 30, Decision(True, "unreadable", "unreadable", 0.55)),       # a line-sized one
    (0.56, 30, Decision(False, "kept", "unreadable-short", 0.55)),
])
def test_unread_text_scores_by_its_shape_against_the_threshold(threshold, width, expected):
    c = Classifier(HeaderValues(), threshold=threshold)
    assert c.decide("~ .", width, 10) == expected
    assert c.decide("", width, 10) == expected


def test_unread_text_under_the_policies():
    for policy in ("strict", "balanced"):
        assert Classifier(HeaderValues(), policy).decide("~", 8, 10) == MARK
        line = Classifier(HeaderValues(), policy).decide("~", 40, 10)
        assert line == Decision(True, "unreadable", "unreadable", 0.55)


# ---- _lone_glyph ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["o", "U", "x.", "'q"])
def test_one_letter_on_a_glyph_sized_mark_is_an_unread_mark(text):
    assert Classifier(HeaderValues(), "strict").decide(text, 10, 10) == MARK
    assert Classifier(HeaderValues(), "strict").decide(text, 22, 10) == MARK


@pytest.mark.parametrize("text", ["F", "m", "y", "N", "k"])
def test_a_sex_or_age_letter_is_judged_by_the_grammar_not_let_go_as_a_mark(text):
    d = Classifier(HeaderValues(), "strict").decide(text, 10, 10)
    assert d.text_kind != "unreadable-short"


@pytest.mark.parametrize(("text", "width", "height"), [
    ("ox", 10, 10),    # two letters: a word
    ("5", 10, 10),     # a digit: a scale's number, judged
    ("o", 23, 10),     # wider than a glyph
    ("o", 10, 0),      # no box
])
def test_two_letters_a_digit_a_wide_box_or_no_box_are_no_lone_glyph(text, width, height):
    d = Classifier(HeaderValues(), "strict").decide(text, width, height)
    assert d.text_kind != "unreadable-short"
    if text == "o":
        assert d == Decision(True, "strict", "text", 0.45)  # judged as unexplained text


def test_a_mark_with_no_letter_or_digit_is_unread():
    assert Classifier(HeaderValues(), "strict").decide("--", 10, 10) == MARK


def test_a_lone_glyph_with_phrase_context_is_judged():
    d = Classifier(HeaderValues(), "strict").decide("o", 10, 10, context=[Evidence("date", 1.0, 0, 1)])
    assert d.redact and d.reason == "regex:date"


# ---- _decide_read (readable_only) -----------------------------------------------------------------


def reader(policy: str = "strict", threshold: float | None = None, **words: str) -> Classifier:
    return Classifier(header(**words), policy, readable_only=True, threshold=threshold)


NOT_READ = Decision(False, "kept", "not-read")


@pytest.mark.parametrize("text", ["AY", "A_B", "5", "..", "o o"])
def test_a_read_of_fewer_than_three_letters_or_digits_is_image(text):
    assert reader().decide(text, 40, 10, 95.0) == NOT_READ


def test_three_letters_are_judged():
    assert reader().decide("abc", 40, 10, 95.0) == Decision(True, "strict", "text", 0.45)


def test_an_upright_stroke_is_image_and_a_square_or_unsized_one_is_judged():
    assert reader().decide("abc", 9, 10, 95.0) == NOT_READ
    assert reader().decide("abc", 10, 10, 95.0).redact
    assert reader().decide("abc", 10, 0, 95.0).redact


def test_text_without_phi_evidence_needs_confidence_fifty():
    assert reader().decide("abc", 40, 10, 49.9) == Decision(False, "kept", "not-read", 0.45)
    assert reader().decide("abc", 40, 10, 50.0) == Decision(True, "strict", "text", 0.45)


def test_phi_evidence_at_the_threshold_counts_at_any_confidence():
    d = reader(threshold=1.0, muller="PatientName").decide("MULLER", 60, 10, 5.0)
    assert d == Decision(True, "header:PatientName", "header", 1.0, frozenset({"header", "name"}))
    assert reader().decide("12.03.1956", 90, 10, 5.0).reason == "regex:date"


def test_phi_evidence_below_the_threshold_needs_confidence_too():
    # "Smith": a weak name (0.25), below balanced's 0.5
    assert reader("balanced").decide("Smith", 50, 10, 30.0) == Decision(False, "kept", "not-read", 0.25)
    assert reader("balanced").decide("Smith", 50, 10, 90.0) == Decision(False, "kept", "text", 0.25,
                                                                        frozenset({"name"}))


def test_clinical_text_read_with_confidence_is_allowlisted():
    assert reader().decide("Depth", 50, 10, 90.0).reason == "allowlist"


def test_a_frame_counter_is_recognised_in_the_text_mode_too():
    assert Classifier(HeaderValues(), readable_only=True, frames=40).decide("12/40", 50, 10, 10.0) == FRAME_COUNTER


# ---- _misread_count (through frame_number) --------------------------------------------------------


@pytest.mark.parametrize(("text", "frames", "shown"), [
    ("3/48", 40, True),     # the count misread, its length kept, above 31
    ("3/32", 40, True),
    ("3/31", 40, False),    # a day of the month
    ("3/400", 40, False),   # another length
    ("3/48", 100, False),   # shorter than the count
    ("3/%", 40, True),      # garbage of at most the count's length
    ("3/%%", 40, True),
    ("3/%%%", 40, False),
    ("3/4%", 40, False),    # a digit in it: a misread number
    ("3712", 12, True),     # the slash read as 7, the count itself after it (12: a month, but the count)
    ("3713", 12, False),    # a month that is not the count
    ("37", 12, False),      # nothing after the slash
    ("3748", 40, True),
    ("3730", 40, False),
])
def test_a_misread_count_is_the_count_itself_or_what_cannot_be_a_day_or_month(text, frames, shown):
    c = Classifier(HeaderValues(), frames=frames)
    assert c.frame_number(text, 2) is shown
