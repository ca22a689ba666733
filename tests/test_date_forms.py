"""Dates written without zero padding year first, and a month with its year (issue 15).

"2016/3/5" is how year-first (East Asian) screens write dates; "3/2016" and "2016-5" a month and year. The
clinical grammar read "3/2016" as frame 3 of 2016 and outweighed the date.
"""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.classify import Classifier, HeaderValues

BALANCED = Classifier(HeaderValues(), "balanced")


@pytest.mark.parametrize("text", ["2016/3/5", "2016-3-5", "2016/12/5", "1961-3-25"])
def test_a_year_first_date_without_padding_is_a_date(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:date"


@pytest.mark.parametrize("text", ["2016.3.5", "1.2.3", "2016/13/5", "2016/3/35", "2116/3/5"])
def test_a_version_or_an_impossible_date_is_not(text):
    assert not any(e.kind == "date" for e in BALANCED.evidence(text))


@pytest.mark.parametrize("text", ["03/2016", "3/2016", "12/1999", "2016-5", "2016-05", "2016/5"])
def test_a_month_and_a_year_are_a_date_even_where_they_look_like_a_counter(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:date"


def test_a_labelled_counter_and_this_clips_own_counter_stay_counters():
    assert not BALANCED.decide("Frame 12/2016").redact
    clip = Classifier(HeaderValues(), "strict", frames=2016)
    assert clip.decide("3/2016").reason == "allowlist"


@pytest.mark.parametrize("text", ["13/2016", "12/45"])
def test_a_counter_past_twelve_or_below_a_year_is_still_a_counter(text):
    assert any(e.kind == "counter" for e in BALANCED.evidence(text))


def test_dots_before_a_date_do_not_hide_it():
    """"D.O.B." read as "0. 0. 8." before the date: no one-digit 'date' may swallow the characters the date
    starts with (a regex that allowed a one-digit last part matched "0. 0. 8" and hid "8. 26.01 19")."""
    text = "0. 0. 8. 26.01.1959"
    dates = [e for e in BALANCED.evidence(text) if e.kind == "date"]
    assert any(text[e.start:e.end].startswith("26.01.1959") or "26.01.1959" in text[e.start:e.end] for e in dates)
    assert any(e.kind == "date" for e in BALANCED.evidence("0. 0. 8. 26.01 19"))


@pytest.mark.parametrize("text", ["20-0CT-67", "12 N0V 2016", "05-5EP-1999", "12-0CT-1967"])
def test_a_month_abbreviation_with_a_letter_read_as_a_digit_is_still_a_date(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:date"


@pytest.mark.parametrize("text", ["L12-5", "2-1L5-12", "12-I0C-15", "C5-2"])
def test_probe_names_and_codes_are_no_misread_month(text):
    assert not any(e.source == "phi-grammar:date-month-misread" for e in BALANCED.evidence(text))


@pytest.mark.parametrize("text", ["Dec. 18th, 2018", "Dec 18 th, 2018", "18th Mar. 2016", "18 th March 2016"])
def test_a_month_name_date_with_an_ordinal_is_not_weakened_by_a_clinical_reading(text):
    """"Dec 18" alone may be a deceleration time; with the ordinal and the year it is a date, and the clinical
    grammar leaves the date's characters alone."""
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:date"


def test_a_deceleration_time_stays_clinical():
    assert not BALANCED.decide("DecT 180 ms").redact


def _phrase(words: list[str]) -> list:
    from phiphantom.deid.pixels.detect import TextBox

    boxes, x = [], 10
    for word in words:
        boxes.append(TextBox(x, 10, x + 8 * len(word), 22, 0, 1, BALANCED.decide(word, 8 * len(word), 12), word))
        x += 8 * len(word) + 6
    return boxes


def test_a_word_the_phrase_reads_as_a_whole_date_is_redacted_whatever_it_looks_like_alone():
    """OCR boxes "Dec" | "18th," | "2018": "Dec" alone is a deceleration time; in its phrase it is the month."""
    from phiphantom.deid.pixels.detect import in_phrases

    out = in_phrases(_phrase(["Dec", "18th,", "2018"]), [90.0] * 3, BALANCED)
    assert [b.decision.reason for b in out] == ["regex:date"] * 3


def test_a_weak_phrase_reading_leaves_the_words_own_clinical_reading():
    from phiphantom.deid.pixels.detect import in_phrases

    out = in_phrases(_phrase(["Gain", "52", "Dec", "18"]), [90.0] * 4, BALANCED)
    assert not any(b.decision.redact for b in out)
