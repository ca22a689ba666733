"""The residual-PHI token rules (benchmark/phi_tokens.py, docs/metrics.md "Residual PHI tokens"), pinned exactly.

Mutation testing (docs/mutation.md, issue 17): tests/test_residual_tokens.py reads real renders with
Tesseract, a few cases per rule. Here each rule's bounds are checked on the text a read returns: which
tokens a box has, and for each, the read that is just inside the rule and the one just outside it
(the edit budget per five letters, four digits in one run, fields at one offset, numbers as numbers,
look-alikes, the 0.8 whole-line similarity, the 12-hour clock).
"""

from __future__ import annotations

import pytest

from phiphantom.benchmark.phi_tokens import WHOLE_SIMILARITY, PhiToken, box_tokens, fold, whole_read
from phiphantom.core.ground_truth import BoxRow


def _tokens(category: str, value: str, rendered: str) -> list[PhiToken]:
    return box_tokens(BoxRow.from_row({"is_phi": "1", "phi_category": category, "phi_value": value,
                                       "rendered_text": rendered}, lenient=True))


def test_fold_drops_case_and_diacritics_and_spells_out_letters_that_do_not_decompose():
    assert fold("ŁÓDŹ Ærø Straße") == "lodz aero strasse"
    assert fold("Þór Đặng Œuvre Ħal ıi") == "thor dang oeuvre hal ii"
    assert fold("D'HORVÁT") == "d'horvat"


def test_name_tokens_are_the_rendered_components_of_the_value_of_three_letters_or_more():
    tokens = _tokens("name", "García-López^Ana^Mª", "GARCÍA-LÓPEZ, ANA")
    assert tokens == [PhiToken("name", ("garcia",)), PhiToken("name", ("lopez",)), PhiToken("name", ("ana",))]
    assert _tokens("operator", "Kim^Jo", "JO KIM") == [PhiToken("name", ("kim",))]  # Jo: two letters
    assert _tokens("physician", "D'Horvát^Eszter", "Dr. E. D'HORVÁT") == [PhiToken("name", ("dhorvat",))]
    # a rendered word that is not a component of the value (a title, a nickname) is not a token
    assert _tokens("name", "Smith^John", "Prof JOHNNY SMITH") == [PhiToken("name", ("smith",))]
    # the same component rendered twice is one token; particles are not tokens
    assert _tokens("name", "van den Berg^Berg", "VAN DEN BERG, BERG") == [PhiToken("name", ("berg",))]
    assert _tokens("name", "Del^Ter", "DEL TER") == [PhiToken("whole", ("DEL TER",))]


@pytest.mark.parametrize(("word", "inside", "outside"), [
    ("kim", "kim", "kin"),                      # 3-4 letters: no edit
    ("rossi", "rosxi", "roxxi"),                # 5-9 letters: one edit
    ("nakamura", "nakanura", "nokanura"),
    ("wojciechow", "wojxiechxw", "wxjxiechxw"),  # 10 letters: two edits
])
def test_a_name_token_is_read_with_one_edit_per_five_letters(word, inside, outside):
    token = PhiToken("name", (word,))
    assert token.read_in(f"Pt: {inside.upper()} 42") and token.read_in(inside)
    assert not token.read_in(outside)


def test_a_name_is_matched_in_the_letters_of_the_read_only():
    token = PhiToken("name", ("szalas",))
    assert token.read_in("SZA-ŁAS") and token.read_in("sza1las")  # digits and punctuation dropped, Ł folded
    assert token.read_in("xxSzalasxx")
    assert not token.read_in("")


def test_id_tokens_are_digit_runs_of_four_or_more():
    assert _tokens("patient_id", "H08-1324-7", "H08-1324-7") == [PhiToken("id", ("1324",))]
    assert _tokens("accession", "A78452968", "ACC A78452968 / 0012") == [PhiToken("id", ("78452968",)),
                                                                         PhiToken("id", ("0012",))]
    assert _tokens("patient_id", "123", "ID 123") == [PhiToken("whole", ("ID 123",))]


def test_an_id_is_read_when_four_consecutive_digits_sit_in_one_run_of_the_read():
    token = PhiToken("id", ("78452968",))
    for read in ("7845", "x2968", "ID: 45296", "78452968"):
        assert token.read_in(read), read
    for read in ("784", "968", "78 45", "7-845", "8457", "2968"[::-1], ""):
        assert not token.read_in(read), read
    short = PhiToken("id", ("1324",))
    assert short.read_in("H08-1324") and not short.read_in("H08-132") and not short.read_in("13 24")
    for digits in ("12345", "1234567"):  # every window of four: the first, the last, one inside
        token = _tokens("patient_id", digits, f"MRN {digits}")[0]
        assert token.read_in(digits[:4]) and token.read_in(digits[-4:]) and token.read_in(digits[1:5]), digits
        assert not token.read_in(digits[:3] + " " + digits[3:6]), digits  # runs of three and two (or three)
        assert not token.read_in(digits[-3:]) and not token.read_in(digits[:3]), digits


@pytest.mark.parametrize(("rendered", "day_month", "month_year"), [
    ("17/12/2016", ("17", "12", ""), ("", "12", "2016")),   # DMY
    ("2016-12-17", ("", "12", "17"), ("2016", "12", "")),   # YMD
    ("12/17/2016", ("12", "17", ""), ("12", "", "2016")),   # MDY
    ("17-DEC-16", ("17", "dec", ""), ("", "dec", "16")),    # month letters, two-digit year
    ("7.12.2016", None, None),                              # day does not match the value: no order
])
def test_date_tokens_take_the_rendered_fields_in_the_rendered_order(rendered, day_month, month_year):
    tokens = _tokens("study_date", "20161217", rendered)
    if day_month is None:
        assert tokens == [PhiToken("whole", (rendered,))]
    else:
        assert tokens == [PhiToken("day_month", day_month), PhiToken("month_year", month_year)]


def test_date_values_and_renders_no_order_fits_fall_back_to_the_whole_line():
    assert _tokens("birth_date", "201612", "12/2016") == [PhiToken("whole", ("12/2016",))]   # value too short
    assert _tokens("birth_date", "20161217", "12/2016") == [PhiToken("whole", ("12/2016",))]  # two fields
    assert _tokens("birth_date", "20161217", "2017-12-17") == [PhiToken("whole", ("2017-12-17",))]
    assert _tokens("birth_date", "20161217", "2016-11-17") == [PhiToken("whole", ("2016-11-17",))]
    assert _tokens("birth_date", "20161117", "2016-12-17") == [PhiToken("whole", ("2016-12-17",))]  # month above
    assert _tokens("birth_date", "20161217", "2016-12-18") == [PhiToken("whole", ("2016-12-18",))]


def test_a_compact_date_gives_its_mmdd_and_yyyymm_digit_runs():
    tokens = _tokens("study_date", "20200719", "20200719")
    assert tokens == [PhiToken("digits", ("0719",)), PhiToken("digits", ("202007",))]
    assert tokens[0].read_in("x0719") and not tokens[0].read_in("07 19") and not tokens[0].read_in("719")
    assert tokens[1].read_in("202007") and not tokens[1].read_in("20200")
    # the first eight digits of the value are the date (a value carrying a time too)
    assert _tokens("study_date", "20200719103000", "20200719") == tokens


def test_date_fields_line_up_at_one_offset_numbers_as_numbers_and_look_alikes_accepted():
    dmy = _tokens("study_date", "20160507", "07/05/2016")
    day_month, month_year = dmy
    assert day_month.read_in("7.5") and day_month.read_in("on 07 05") and day_month.read_in("O7/O5")
    assert not day_month.read_in("07") and not day_month.read_in("05/2016") and not day_month.read_in("7 6")
    assert month_year.read_in("05/2016") and month_year.read_in("5 2016") and month_year.read_in("/05/2016 x")
    assert not month_year.read_in("2016") and not month_year.read_in("05 17 2016")
    letters = _tokens("birth_date", "19411016", "16-OCT-1941")
    assert letters[0].read_in("16-0CT") and letters[0].read_in("l6 oct") and letters[0].read_in("I6 OCT")  # 0 O, 1 l I
    assert not letters[0].read_in("16-OCX") and letters[1].read_in("OCT-1941")


def test_time_tokens_are_hour_and_minute():
    assert _tokens("study_time", "104302", "10:43:02") == [PhiToken("time", ("10", "43", ""))]
    assert _tokens("study_time", "104302", "1043") == [PhiToken("digits", ("1043",))]
    assert _tokens("acquisition_time", "104302", "104302") == [PhiToken("digits", ("1043",))]
    assert _tokens("study_time", "134500", "01:45 PM") == [PhiToken("time", ("01", "45", ""))]
    assert _tokens("study_time", "003000", "12:30 AM") == [PhiToken("time", ("12", "30", ""))]
    assert _tokens("study_time", "134500", "13:45") == [PhiToken("time", ("13", "45"))]
    assert _tokens("study_time", "233000", "23:30") == [PhiToken("time", ("23", "30"))]
    assert _tokens("study_time", "1043", "10:43") == [PhiToken("time", ("10", "43"))]  # HHMM: four digits do
    for value, rendered in (("134500", "01:45"), ("104302", "10:44:02"), ("104302", "11:43:02"),
                            ("104", "10:4"), ("104302", "at 10:43"), ("104302", "10")):
        assert _tokens("study_time", value, rendered) == [PhiToken("whole", (rendered,))], rendered


def test_a_time_is_read_to_the_minute():
    token = _tokens("study_time", "104302", "10:43:02")[0]
    assert token.read_in("10:43") and token.read_in("1O:43") and token.read_in("10.43.59")
    assert not token.read_in("10:4") and not token.read_in("10") and not token.read_in("43:02")


def test_other_categories_are_one_token_the_whole_line_read_at_similarity_0_8():
    assert WHOLE_SIMILARITY == 0.8
    token = _tokens("institution", "Hospital de Burgos", "Hospital  de\tBurgos")
    assert token == [PhiToken("whole", ("Hospital  de\tBurgos",))]
    assert token[0].read_in("Hospital de Burgos")  # spaces collapsed on both sides
    assert _tokens("age_sex", "045Y F", "45Y F") == [PhiToken("whole", ("45Y F",))]


@pytest.mark.parametrize(("read", "rendered", "expected"), [
    ("abcdefghij", "abcdefghij", True),
    ("abcdefghXY", "abcdefghij", True),     # 2 edits in 10: similarity 0.8
    ("abcdefgXYZ", "abcdefghij", False),    # 3 edits in 10: 0.7
    ("abcdefgh", "abcdefghij", True),       # 2 missing of the longer 10: 0.8
    ("abcdefg", "abcdefghij", False),
    ("abcdefghij", "abcdefgh", True),       # the longer side is the read
    ("abcdefghijk", "abcdefgh", False),
    ("a  b", "a b", True),
    ("", "abc", False), ("abc", "", False), ("", "", True), ("   ", "", True),
])
def test_whole_line_similarity_is_one_minus_edits_over_the_longer_length(read, rendered, expected):
    assert whole_read(read, rendered) is expected


def test_tokens_are_values():
    """A token is an immutable value (a frozen dataclass): equal tokens are one in a set, none can be changed."""
    tokens = _tokens("name", "Kim^Kim", "KIM KIM") + _tokens("operator", "Kim^Jo", "JO KIM")
    assert tokens == [PhiToken("name", ("kim",))] * 2 and len(set(tokens)) == 1
    with pytest.raises(AttributeError):
        tokens[0].kind = "whole"  # type: ignore[misc]
