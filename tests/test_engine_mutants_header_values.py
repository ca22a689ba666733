"""Mutation tests of the header recogniser (issue 17, docs/mutation.md): ``deid/pixels/header_values.py``.

:class:`HeaderValues` turns a file's own header into the forms burned-in text may show (name parts, IDs
whole and as digits, place words, dates in every written form, times to the minute), and
:meth:`HeaderValues.match` says which keyword a line of OCR text matches, tolerating OCR slips (edit
similarity >= 0.8). The tests build real headers (pydicom datasets) and check the forms exactly, then
match lines at each rule's boundary: the shortest token, word, digit run and date chunk that counts and
the longest that does not, one edit either side of 0.8. One line is drawn and read by real Tesseract.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from phiphantom.core.ocr import get_backend
from phiphantom.deid.pixels.header_values import HeaderValues, date_digit_forms, norm, tokens
from phiphantom.synth.fonts import load_font

# ---- tokens, norm, date_digit_forms ---------------------------------------------------------------


def test_tokens_split_numbers_letters_and_percent():
    assert tokens("5.0MHz R-ANT 12,5% a_b") == ["5.0", "MHz", "R", "ANT", "12,5", "%", "a", "b"]
    assert tokens("Łódź 1.") == ["Łódź", "1"]


def test_norm_keeps_letters_and_digits_upper_case_with_accents_folded():
    assert norm("Łukasz-Ó'Brien_x 1") == "LUKASZOBRIENX1"
    assert norm("__") == "" and norm("Müller") == "MULLER"


def test_date_digit_forms_are_unpadded_and_two_digit_year_forms():
    assert date_digit_forms("20160622") == {"6222016", "2262016", "2016622", "220616", "062216", "160622"}
    # only the first eight characters are the date; spaces around it are no part of it
    assert date_digit_forms(" 20160622093000 ") == date_digit_forms("20160622")
    assert date_digit_forms("2016-06-22") == set() and date_digit_forms("") == set()  # no DA value


def test_date_digit_forms_leave_out_forms_of_fewer_than_six_digits():
    # year 999: every form has five digits ("12999", "02019", ...): all left out
    assert date_digit_forms("09990102") == set()
    # year 1999, 1 February: the shortest unpadded forms have six digits and are kept
    assert {"211999", "121999", "199921"} <= date_digit_forms("19990201")


# ---- HeaderValues.from_dataset --------------------------------------------------------------------


def header() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Müller^Jo^A"
    ds.ReferringPhysicianName = "Smith^J^^42"
    ds.PatientID = "AB-12345"
    ds.AccessionNumber = "A123"
    ds.StudyID = "42"
    ds.DeviceSerialNumber = "SN-1234"
    other = Dataset()
    other.PatientID = "OP-5678"
    short, three = Dataset(), Dataset()
    short.PatientID = "Q9"
    three.PatientID = "R-123"
    ds.OtherPatientIDsSequence = Sequence([other, short, three])
    ds.InstitutionName = "St Mary Hospital, Leeds"
    ds.InstitutionAddress = "12 Elm Road, York"
    ds.PatientBirthDate = "19560312"
    ds.StudyDate = "20160622"
    ds.SeriesDate = "20160622"
    ds.StudyTime = "093015.123"
    with warnings.catch_warnings():  # three digits: no valid TM, as in some files; pydicom warns and keeps it
        warnings.simplefilter("ignore", UserWarning)
        ds.SeriesTime = "123"
    ds.ContentTime = "1745"
    return ds


def test_full_values_are_the_names_ids_and_places_as_written():
    hv = HeaderValues.from_dataset(header())
    assert hv.full == {
        "PatientName": ["Müller^Jo^A"], "ReferringPhysicianName": ["Smith^J^^42"], "PatientID": ["AB-12345"],
        "AccessionNumber": ["A123"], "StudyID": ["42"], "DeviceSerialNumber": ["SN-1234"],
        "InstitutionName": ["St Mary Hospital, Leeds"], "InstitutionAddress": ["12 Elm Road, York"],
    }


def test_words_are_name_parts_ids_places_and_written_dates():
    hv = HeaderValues.from_dataset(header())
    birth = {"19560312", "03121956", "12031956", "12MAR1956"}  # 1956-03-12, 1956/03/12: the same digits
    study = {"20160622", "06222016", "22062016", "22JUN2016"}
    expected = {
        "MULLER": "PatientName", "JO": "PatientName",  # "A": one letter, left out
        "SMITH": "ReferringPhysicianName",  # "J" one letter, "42" digits: left out
        "AB12345": "PatientID", "A123": "AccessionNumber", "SN1234": "DeviceSerialNumber",  # "42": too short
        "OP5678": "OtherPatientIDs", "Q9": "OtherPatientIDs", "R123": "OtherPatientIDs",  # no length rule
        "MARY": "InstitutionName", "HOSPITAL": "InstitutionName", "LEEDS": "InstitutionName",  # "St": too short
        "ROAD": "InstitutionAddress", "YORK": "InstitutionAddress",  # "12", "Elm": too short
    }
    expected |= dict.fromkeys(birth, "PatientBirthDate") | dict.fromkeys(study, "SeriesDate")  # the last date wins
    assert hv.words == expected


def test_digits_are_ids_of_four_digits_or_more_dates_and_times_to_the_minute():
    hv = HeaderValues.from_dataset(header())
    expected = {
        "12345": "PatientID", "1234": "DeviceSerialNumber", "5678": "OtherPatientIDs",  # "123", "42", "9": too few
        "093015": "StudyTime", "0930": "StudyTime", "1745": "ContentTime",  # SeriesTime "123": too few
    }
    expected |= dict.fromkeys({"19560312", "03121956", "12031956", "121956"}, "PatientBirthDate")
    expected |= dict.fromkeys({"20160622", "06222016", "22062016", "222016"}, "SeriesDate")
    assert hv.digits == expected


def test_dates_hold_every_written_form_and_the_first_keyword_of_a_date_keeps_it():
    hv = HeaderValues.from_dataset(header())
    birth = {"19560312", "03121956", "12031956", "121956", "3121956", "1231956", "1956312", "120356", "031256",
             "560312"}
    study = {"20160622", "06222016", "22062016", "222016"} | date_digit_forms("20160622")
    assert hv.dates == dict.fromkeys(birth, "PatientBirthDate") | dict.fromkeys(study, "StudyDate")


def test_an_other_ids_sequence_of_the_wrong_type_is_passed_over():
    ds = Dataset()
    ds.add_new(0x00101002, "LO", ["OP-5678", "OP-9999"])  # OtherPatientIDsSequence holding strings
    ds.PatientID = "AB-12345"
    hv = HeaderValues.from_dataset(ds)
    assert hv.words == {"AB12345": "PatientID"} and hv.digits == {"12345": "PatientID"}


def test_an_empty_header_gives_no_values_and_matches_nothing():
    hv = HeaderValues.from_dataset(Dataset())
    assert (hv.words, hv.digits, hv.full, hv.dates) == ({}, {}, {}, {})
    assert hv.match("MULLER 12/03/1956 0930") is None


# ---- HeaderValues.match ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hv() -> HeaderValues:
    return HeaderValues.from_dataset(header())


@pytest.mark.parametrize(("text", "keyword"), [
    ("Name: MULLER", "PatientName"),
    ("Jo", "PatientName"),             # a two-letter name part counts
    ("Hospital", "InstitutionName"),
    ("MULLFR", "PatientName"),         # one slip in six letters: 0.83
    ("LEEOS", "InstitutionName"),      # one slip in five: exactly 0.8
    ("LEDS", "InstitutionName"),       # a four-letter token one letter short of a five-letter word: 0.8
    ("MARYS", "InstitutionName"),      # a four-letter word with a letter too many: 0.8
    ("SMIITH", "ReferringPhysicianName"),
])
def test_a_token_matches_a_header_word_exactly_or_within_one_slip_in_five(hv, text, keyword):
    assert hv.match(text) == keyword


@pytest.mark.parametrize("text", [
    "MARV",      # one slip in four letters: 0.75
    "LEXOS",     # two slips in five
    "A",         # a one-letter token is no name part
    "St",        # nor a place word under four letters
    "Wrtl Qxzv",
])
def test_a_token_further_from_every_word_matches_nothing(hv, text):
    assert hv.match(text) is None


def test_a_one_character_token_is_never_looked_up():
    assert HeaderValues(words={"7": "OtherPatientIDs"}).match("7 x") is None
    assert HeaderValues(words={"7": "OtherPatientIDs", "JO": "PatientName"}).match("7 Jo") == "PatientName"


def test_fuzzy_words_differ_in_length_by_at_most_two():
    ten = HeaderValues(words={"ABCDEFGHIJ": "PatientName"})
    assert ten.match("ABCDEFGH") == "PatientName"  # two letters short of ten: 0.8
    fifteen = HeaderValues(words={"ABCDEFGHIJKLMNO": "PatientName"})
    assert fifteen.match("ABCDEFGHIJKL") is None  # three short of fifteen: 0.8 too, but three apart
    assert fifteen.match("ABCDEFGHIJKLM") == "PatientName"


def test_the_first_matching_token_decides_and_its_own_keyword_is_returned(hv):
    assert hv.match("LEEDS MULLER") == "InstitutionName"
    assert hv.match("MULLER LEEDS") == "PatientName"


@pytest.mark.parametrize(("text", "keyword"), [
    ("ID 12345", "PatientID"),
    ("x0123456", "PatientID"),        # inside a longer run of digits
    ("Ser. 1234", "DeviceSerialNumber"),
    ("09:30", "StudyTime"),           # a time to the minute
    ("09:30:15", "StudyTime"),
    ("17.45", "ContentTime"),
    ("ID 128345", "PatientID"),       # six digits, one more than the ID's: 0.83
])
def test_digits_of_an_id_or_time_match_inside_or_within_one_slip(hv, text, keyword):
    assert hv.match(text) == keyword


@pytest.mark.parametrize("text", ["ID 12335", "123", "09:31", "Ser. 1243 x"])
def test_five_digits_off_by_one_and_runs_under_four_digits_match_nothing(hv, text):
    assert hv.match(text) is None


def test_four_digits_are_enough_to_look_up_a_value():
    assert HeaderValues(digits={"1234": "DeviceSerialNumber"}).match("No 1234") == "DeviceSerialNumber"


@pytest.mark.parametrize(("text", "keyword"), [
    ("12.03.1956", "PatientBirthDate"),
    ("3/12/1956", "PatientBirthDate"),          # unpadded
    ("12.03.56", "PatientBirthDate"),           # two-digit year
    ("22.06.16", "StudyDate"),
    ("6/22/3016 09.00 AM", "StudyDate"),        # the year misread, a time beside it
    ("2016-6-22 11:59:59", "StudyDate"),
])
def test_a_written_date_matches_the_header_dates_in_any_form(hv, text, keyword):
    assert hv.match(text) == keyword


@pytest.mark.parametrize("text", [
    "03/04/05",      # a date of neither
    "22.6.16",       # five digits: too short a form to trust
    "6/22/30169",    # no date: five digits in the year's place
    "6-22-2917",     # two slips in seven digits
])
def test_other_dates_and_short_forms_match_nothing(hv, text):
    assert hv.match(text) is None


def test_a_date_chunk_may_be_one_digit_longer_or_shorter_than_a_form():
    hv = HeaderValues(dates={"2016622": "StudyDate"})
    assert hv.match("2016-6-222") == "StudyDate"   # eight digits, one slip: 0.875
    assert hv.match("2016-6-2") == "StudyDate"     # six digits, one short: 0.857
    hv = HeaderValues(dates={"62216": "StudyDate"})  # a five-digit form (from_dataset never makes one)
    assert hv.match("6/22/16") == "StudyDate"      # equal: matches at any length
    assert hv.match("6/22/17") is None             # five digits: too short to tolerate a slip


def test_a_long_header_word_inside_text_read_without_spaces_matches(hv):
    assert hv.match("M U L L E R") == "PatientName"     # one-letter tokens: the whole text holds MULLER
    assert hv.match("H o s p i t a l") == "InstitutionName"
    assert hv.match("L E E D S") is None                # five letters: too short to find inside other text


def test_a_name_drawn_and_read_by_tesseract_matches_its_header_keyword(hv):
    font = load_font("DejaVuSans", 18)
    ink = Image.new("L", (260, 40), 0)
    ImageDraw.Draw(ink).text((8, 8), "MÜLLER, Jo", fill=255, font=font)
    crop = np.asarray(ink)
    read = get_backend("tesseract").read_line(crop)
    assert hv.match(read.text) == "PatientName"
