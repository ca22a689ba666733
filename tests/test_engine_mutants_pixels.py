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
from phiphantom.deid.pixels.phi_grammar import phi_evidence


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


# -- phi_grammar: exact kind, weight and span at the edges of each rule ---------------------------------------------

#: (line, every piece of evidence as (kind, weight, the characters it covers)): weights on the documented scale
EXACT: list[tuple[str, list[tuple[str, float, str]]]] = [
    # numeric dates: day 1-31, month 1-12, four-digit years 1900-2099, either order
    ("31.12.1999", [("date", 1.0, "31.12.1999")]),
    ("12.13.1999", [("date", 1.0, "12.13.1999")]),      # month first (MDY): 13 can only be the day
    ("12.03.1900", [("date", 1.0, "12.03.1900")]),
    ("12.03.2099", [("date", 1.0, "12.03.2099")]),
    ("1900-01-31", [("date", 1.0, "1900-01-31")]),
    ("2099-12-01", [("date", 1.0, "2099-12-01")]),
    ("12/31/99", [("date", 1.0, "12/31/99")]),           # two digits each: as sure as a full date
    ("1/3/61", [("date", 0.8, "1/3/61")]),               # short parts with slashes
    ("1.3.61", [("date", 0.6, "1.3.61")]),               # short parts with dots or dashes
    ("1-3-61", [("date", 0.6, "1-3-61")]),
    ("99.12.31", [("date", 0.8, "99.12.31")]),           # YY.MM.DD
    ("12 03 1961", [("date", 0.9, "12 03 1961")]),
    ("1961 03 12", [("date", 0.9, "1961 03 12")]),
    ("19610312", [("date", 1.0, "19610312")]),           # DICOM DA
    ("12031961", [("date", 1.0, "12031961")]),
    ("25101961", [("date", 1.0, "25101961")]),           # DDMMYYYY, a two-digit month
    # partial dates
    ("12.03.", [("date", 0.7, "12.03.")]),
    ("v12.03.", []),                                     # after a letter: a version, not a day and month
    ("03/1961", [("date", 0.8, "03/1961")]),
    ("1961-03", [("date", 0.8, "1961-03")]),
    ("03/61", [("date", 0.6, "03/61")]),
    ("12/61", [("date", 0.6, "12/61")]),                 # MM/YY up to December
    ("12/05", [("date", 0.6, "12/05")]),
    ("4/3", [("date", 0.3, "4/3")]),                     # a ratio as often as a date
    ("ab12/05", []),                                     # after a letter: a name or a probe, not a date
    ("1961", [("date", 0.6, "1961")]),                   # BARE_YEAR
    ("1961 x 12345", [("date", 0.6, "1961"), ("id", 0.8, "12345")]),  # a longer number on the line too
    # month names (MAR and MAY are words too: weaker without a year)
    ("12 Mar 1961", [("date", 1.0, "12 Mar 1961")]),
    ("12 Mar", [("date", 0.4, "12 Mar")]),
    ("May 12", [("date", 0.4, "May 12")]),
    ("Feb 12", [("date", 0.7, "Feb 12")]),
    ("12 Feb", [("date", 0.7, "12 Feb")]),
    ("Mar 1961", [("date", 0.6, "Mar 1961")]),
    ("Feb 1961", [("date", 0.8, "Feb 1961")]),
    ("Feb 61", [("date", 0.6, "Feb 61")]),
    ("1961-Mar-12", [("date", 1.0, "1961-Mar-12")]),
    ("1961-Mar", [("date", 0.8, "1961-Mar")]),
    # times: hours 0-23 (1-12 with am/pm), minutes and seconds 0-59
    ("14:05:33", [("time", 1.0, "14:05:33")]),
    ("23:59", [("time", 0.8, "23:59")]),
    ("12:30 pm", [("time", 0.9, "12:30 pm")]),
    ("9:41 am", [("time", 0.9, "9:41 am")]),
    ("0:30", [("time", 0.4, "0:30")]),                   # a duration
    ("1:10", [("time", 0.6, "1:10")]),
    ("0:00:12", [("time", 0.6, "0:00:12")]),             # a clip's running time
    ("10:00:12", [("time", 1.0, "10:00:12")]),
    ("14h05", [("time", 0.8, "14h05")]),
    ("10.32.15", [("time", 0.8, "10.32.15")]),
    ("14.05 Uhr", [("time", 0.9, "14.05 Uhr")]),
    ("14 Uhr", [("time", 0.6, "14 Uhr")]),
    # ages: at most 130 with a sure unit, 400 with a weak one
    ("130 y", [("age", 0.8, "130 y")]),
    ("130 yrs", [("age", 0.9, "130 yrs")]),
    ("18 mo", [("age", 0.6, "18 mo")]),
    ("400 d", [("age", 0.4, "400 d")]),
    ("2D 67 yrs", [("age", 0.9, "67 yrs")]),              # "2D" is an imaging mode, the age after it still counts
    ("Age: 130", [("age", 1.0, "Age: 130")]),
    ("130YF", [("age", 0.9, "130Y"), ("sex", 0.9, "F")]),
    ("47 a F", [("age", 0.9, "47 a"), ("sex", 0.9, "F")]),
    # sex markers: strong beside an age, a number or in parentheses; weak alone
    ("67Y M", [("age", 0.8, "67Y"), ("sex", 0.9, "M")]),
    ("45 F", [("sex", 0.9, "F")]),
    ("M/67", [("sex", 0.9, "M")]),
    ("DUPONT (F)", [("sex", 0.9, "F")]),
    ("(F)", [("sex", 0.9, "F")]),
    ("X (F", [("sex", 0.3, "F")]), ("F) X", [("sex", 0.3, "F")]),  # half a pair of parentheses: no context
    ("ABCDE F 67 yrs", [("sex", 0.9, "F"), ("age", 0.9, "67 yrs")]),
    ("ABCDE F xyz 67 yrs", [("sex", 0.3, "F"), ("age", 0.9, "67 yrs")]),  # an age too far away: no context
    ("F", [("sex", 0.3, "F")]),
    ("Sex: M", [("sex", 0.9, "Sex: M")]),
    # IDs: 6+ digits decisive, 5 strong
    ("12345", [("id", 0.8, "12345")]),
    ("123456", [("id", 1.0, "123456")]),
    ("ID12345", [("id", 0.9, "ID12345")]),
    ("ID123456", [("id", 1.0, "ID123456")]),
    ("AB-1234", [("id", 0.6, "AB-1234")]),               # a prefix and four digits: suggestive
    ("AB12CD34", [("id", 0.8, "AB12CD34")]),
    ("# 123", [("id", 0.5, "# 123")]),
    ("#1234", [("id", 0.9, "#1234")]),
    ("#123456", [("id", 1.0, "#123456")]),
    # contacts and labels
    ("+49 30 1234567", [("phone", 1.0, "+49 30 1234567")]),
    ("+49 123 456", [("phone", 1.0, "+49 123 456")]),    # E.164: 8 to 15 digits
    ("+49 123 45 ab 9", []),                             # seven digits in the number (eight on the line)
    ("030 1234567", [("phone", 0.8, "030 1234567"), ("id", 1.0, "1234567")]),
    ("123 4567", [("phone", 0.5, "123 4567")]),
    ("123-4567", [("phone", 0.8, "123-4567")]),          # one kind of separator, dashes or dots: clearer
    ("123-45 678", [("phone", 0.5, "123-45 678")]),
    ("123.45 678", [("phone", 0.5, "123.45 678")]),
    ("a.b@c.de", [("email", 1.0, "a.b@c.de")]),
    ("Name:", [("label", 0.8, "Name:")]),
    ("Name.", [("label", 0.5, "Name.")]),
    ("Name", [("label", 0.4, "Name")]),
    ("Patient Name:", [("label", 0.9, "Patient Name:")]),
    # no letter or digit: nothing, whatever the punctuation looks like
    ("..@-.-", []), ("--:--", []), ("*** //", []), ("", []),
]


@pytest.mark.parametrize(("line", "expected"), EXACT, ids=[line for line, _ in EXACT])
def test_phi_evidence_is_exact_at_the_edges_of_each_rule(line: str, expected: list[tuple[str, float, str]]) -> None:
    found = [(e.kind, round(e.weight, 6), line[e.start:e.end]) for e in phi_evidence(line)]
    assert found == expected


#: (line, a kind it must not be found as): one past each edge
NOT: list[tuple[str, str]] = [
    ("32.12.1999", "date"), ("00.12.1999", "date"), ("12.00.1999", "date"), ("12.03.1899", "date"),
    ("12.03.2100", "date"), ("1899-01-31", "date"), ("2100-12-01", "date"), ("1961-13-01", "date"),
    ("1961-12-32", "date"), ("61.13.45", "date"), ("20991301", "date"),
    ("18991231", "date"), ("32.03.", "date"), ("12.13.", "date"), ("13/1961", "date"), ("1961-13", "date"),
    ("13/61", "date"), ("32/05", "date"), ("12/150", "date"), ("1899", "date"), ("2100", "date"),
    ("24:00", "time"), ("13:30 pm", "time"), ("24h05", "time"),
    ("131 y", "age"), ("131 yrs", "age"), ("401 d", "age"), ("2D", "age"), ("Age: 131", "age"),
    ("131YF", "age"), ("131 a F", "age"), ("B/M", "sex"),
    ("A12-3", "id"), ("Nr. 12", "id"), ("AB123C", "id"), ("12-34", "id"),
]


@pytest.mark.parametrize(("line", "kind"), NOT, ids=[f"{line}-{kind}" for line, kind in NOT])
def test_one_past_each_edge_is_not_that_kind(line: str, kind: str) -> None:
    assert kind not in {e.kind for e in phi_evidence(line)}
