"""PHI grammar: the shapes of dates, times, ages, sex markers, IDs, phone numbers, e-mail addresses and
PHI field labels in one OCR'd line of burned-in text, as :class:`~.evidence.Evidence`.

``phi_evidence(text)`` is a pure function of the line (regexes compiled once at import). It reads a
folded copy of the line, one character for one character (so spans stay spans of ``text``): lower case,
accents dropped ("Mär" -> "mar", "févr." -> "fevr."), and inside runs that are otherwise digits the
usual OCR confusions read as digits (``O``/``o`` -> 0, ``I``/``l``/``|`` -> 1, and ``S`` -> 5, ``B`` -> 8
between digits: "l2.O3.196l" is a date). Weights follow the shared scale: 1.0 decisive alone (a full
valid date, ``HH:MM:SS``, an e-mail address, a 6+ digit ID), 0.6-0.9 strong (a partial date, ``HH:MM``,
an age with its unit, a labelled sex), 0.3-0.5 suggestive (a bare year, "M" alone, "4/3", "12 d").
Numbers that clinical screens are full of are left alone or kept weak: a frame counter "12/150", a ratio
"1:1", a duration "0:30", a scale "16", probe names "C5-2" / "L12-5", versions "V2.3.1", "5.0MHz".

Sources (public knowledge, nothing from this project's generator): the words (months in seven languages
from Unicode CLDR, age units, sex words, field labels from DICOM PS3.6) are in :mod:`.phi_vocabulary`,
which cites each; numeric date orders (DMY, MDY, YMD) and separators per country from CLDR date
patterns and ISO 8601 (``YYYY-MM-DD``; ``YYYYMMDD`` as DICOM DA writes it, PS3.5 6.2); telephone
numbers from ITU-T E.164 (``+`` country code, at most 15 digits) and national groupings; e-mail
addresses as a simplified RFC 5322 ``local@domain.tld``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from .evidence import Evidence
from .phi_vocabulary import (
    AGE_LABELS,
    AGE_UNITS,
    GLUED_AGE_SEX,
    INSTITUTION_STEMS,
    LABEL_WEIGHT,
    MONTH_OF,
    OTHER_SEX_LETTERS,
    SEX_LABELS,
    SEX_LETTERS,
    SEX_WORDS,
    STRONG_LABELS,
    UNIVERSITY_HEAD,
    WEAK_LABELS,
    WORDLIKE_MONTHS,
)

SOURCE = "phi-grammar"


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` (longest first); a space in a word stands for any short separator."""
    unique = sorted(set(words), key=len, reverse=True)
    return "|".join(r"[\s.\-/'()]{0,2}".join(re.escape(part) for part in word.split(" ")) for word in unique)


# -- patterns (over the folded line) ---------------------------------------------------------------------------

_NOT_AFTER_NUMBER = r"(?<![0-9])(?<![0-9][./:,-])"  # not the middle of a longer number
_MON = rf"(?P<mon>(?<![a-z])(?:{_alternation(MONTH_OF)})(?![a-z]))\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|e|o|º|°|\s(?:st|nd|rd|th)(?![a-z]))?\.?"  # "18 th": a space OCR put in
_SEP = r"[\s./,-]{0,3}(?:(?:de|del|of)\s)?"
_YEAR = r"(?P<year>(?:19|20)?\d\d)(?![0-9])"

_NUMERIC_DATE = re.compile(_NOT_AFTER_NUMBER + r"(?P<a>\d{1,4})\s?(?P<s>[./-])\s?(?P<b>\d{1,2})\s?(?P=s)\s?"
                           r"(?P<c>\d{2,4})(?![0-9]|[./-]\d)")
#: year first with a one-digit day, after "/" or "-" ("2016/3/5"; "2016.3.5" may be a version)
_ISO_SHORT_DAY = re.compile(r"(?<![0-9])(?<![0-9][./:,-])(?P<y>(?:19|20)\d\d)(?P<s>[/-])(?P<m>\d{1,2})(?P=s)(?P<d>\d)"
                            r"(?![0-9]|[./-]\d)")
_SPACED_DATE = re.compile(r"(?<![0-9.,])(?:(?P<a>\d{1,2}) (?P<b>\d{1,2}) (?P<c>(?:19|20)\d\d)|"
                          r"(?P<y>(?:19|20)\d\d) (?P<m>\d{2}) (?P<d>\d{2}))(?![0-9])")
_COMPACT_DATE = re.compile(r"(?<![0-9])\d{8}(?![0-9])")
_DAY_MONTH_NAME = re.compile(_NOT_AFTER_NUMBER + _DAY + _SEP + _MON + rf"(?:{_SEP}{_YEAR})?")
_MONTH_NAME_DAY = re.compile(_MON + r"\s?[-/ ]?\s?(?P<day>[0-3]?\d)(?:\s?(?:st|nd|rd|th)(?![a-z]))?(?![0-9]|[.,]\d)"
                             r"(?:\s?,?\s?[-/]?\s?(?P<year>(?:19|20)\d\d|'?\d\d)(?![0-9]))?")
#: a day, a month abbreviation with a letter OCR read as a digit ("0CT", "N0V", "5EP", "8EP"), a year
_MISREAD_MONTH_DATE = re.compile(r"(?<![0-9a-z])(?P<day>[0-3]?\d)\s?[./ -]\s?(?P<mon>[a-z0-9]{3})\.?\s?[./ -]\s?"
                                 r"(?P<year>(?:19|20)?\d\d)(?![0-9])")
_DIGIT_AS_LETTER = str.maketrans("01582", "oisbz")
_MONTH_NAME_YEAR = re.compile(_MON + r"\s?[-/ ,]?\s?(?P<year>(?:19|20)\d\d|'?\d\d)(?![0-9])")
_YEAR_MONTH_NAME = re.compile(r"(?<![0-9])(?P<year>(?:19|20)\d\d)[\s./-]{1,3}" + _MON +
                              r"(?:[\s./-]{1,3}(?P<day>[0-3]?\d)(?![0-9]))?")
_DAY_MONTH_DOTTED = re.compile(_NOT_AFTER_NUMBER + r"(?P<d>[0-3]?\d)\.\s?(?P<m>[01]?\d)\.(?![0-9])")
_MONTH_YEAR = re.compile(_NOT_AFTER_NUMBER + r"(?:(?P<m>0?[1-9]|1[0-2])\s?[./-]\s?(?P<y>(?:19|20)\d\d)|"
                         r"(?P<y2>(?:19|20)\d\d)(?:[./-](?P<m2>0[1-9]|1[0-2])|[/-][1-9]))(?![0-9]|[./-]\d)")
_SLASH_PAIR = re.compile(_NOT_AFTER_NUMBER + r"(?P<a>\d{1,2})\s?/\s?(?P<b>\d{1,2})(?![0-9]|\s?[./:-]\s?\d)")
#: A bare year's weight: above the balanced threshold (0.5, line_score), so a lone "1984" is removed by both policies
BARE_YEAR = 0.6
_BARE_YEAR = re.compile(r"(?<![0-9a-z])(?<![0-9][./:,-])(?:19|20)\d\d(?![0-9]|[.,:/-]\d)")

_CLOCK = re.compile(_NOT_AFTER_NUMBER + r"(?P<h>[0-2]?\d)\s?:\s?(?P<m>[0-5]\d)(?:\s?:\s?(?P<s>[0-5]\d))?"
                    r"(?![0-9]|:\d)(?:\s?(?P<ap>[ap]\.?\s?m\b\.?))?(?:\s?(?:h|uhr)(?![a-z]))?")
_FRENCH_CLOCK = re.compile(r"(?<![0-9a-z])(?P<h>[01]?\d|2[0-3])\s?h\s?(?P<m>[0-5]\d)(?![0-9])")
_DOTTED_CLOCK = re.compile(_NOT_AFTER_NUMBER + r"(?<![a-z])(?<!v )(?<!ver )(?<!sw )"  # not a version "V 12.40.10"
                           r"(?:[01]\d|2[0-3])\.[0-5]\d\.[0-5]\d(?![0-9]|[.,]\d)")
_UHR = re.compile(r"(?<![0-9])(?P<h>[01]?\d|2[0-3])(?:[.:](?P<m>[0-5]\d))?\s?uhr(?![a-z])")

_AGE = re.compile(r"(?<![0-9.,])(?P<n>\d{1,3})\s?(?P<u>" + _alternation(AGE_UNITS) + r")(?![a-z])\.?")
_AGE_SEX = re.compile(r"(?<![0-9.,])(?P<age>\d{1,3}\s?[yj])(?P<sex>[mfwhv])(?![a-z])")
#: an age and a sex OCR read with letters for some digits ("SIYF" for 51YF, "S7Y M"): 2-3 digits or the letters
#: OCR confuses with them, then y/j and a sex letter, as one token
_MISREAD_AGE_SEX = re.compile(r"(?<![a-z0-9])(?P<age>[0-9sbiolz|]{2,3})[yj]\s?(?P<sex>[mfwhv])(?![a-z0-9])")
_MISREAD_DIGITS = str.maketrans("sbiolz|", "5810121")
#: an age in év (hu) or yaş (tr) and a sex initial run together, digits possibly read as letters ("83ÉVN" read
#: "B3EVN", "4EVF" for "24 ÉV F": OCR dropped the spaces)
_GLUED_UNIT_SEX = re.compile(r"(?<![a-z0-9])(?P<age>[0-9sbiolz|]{1,3})\s?(?:ev|yas)\s?(?P<sex>[mfnke])(?![a-z0-9])")
#: a sex letter and a two-digit age glued, as a token of its own (``GLUED_AGE_SEX``)
_GLUED_AGE_SEX = re.compile(rf"(?<![A-Za-z0-9.,])(?:{GLUED_AGE_SEX})(?![A-Za-z0-9]|[.,]\d)")
#: a number and the word after it (an age unit OCR misread: "60 annd")
_NUMBER_WORD = re.compile(r"(?<![0-9.,])(?P<n>\d{1,3})\s?(?P<w>[a-z]{4,6})(?![a-z])")
_LONG_YEAR_UNITS = tuple(u for u, w in AGE_UNITS.items() if w >= 0.9 and len(u) >= 4 and u.isalpha())
_YEAR_UNITS = tuple(u for u, w in AGE_UNITS.items() if w >= 0.9 and len(u) >= 3 and u.isalpha())
#: an age in "a" (anni, años, anos, ans) only with a sex letter after it: "47 a F", "80AM" ("RS 80A" is no age)
_AGE_A_SEX = re.compile(r"(?<![0-9.,a-z])(?P<age>\d{1,3}\s?a\.?)\s?(?P<sex>[mfwhv])(?![a-z0-9])")
_LABELLED_AGE = re.compile(r"(?<![a-z])(?:" + _alternation(AGE_LABELS) + r")\s?[:.]?\s?(?P<n>\d{1,3})"
                           r"(?![0-9])")
_LABELLED_SEX = re.compile(r"(?<![a-z])(?:" + _alternation(SEX_LABELS) + r")\s?[:.]?\s?(?:"
                           + _alternation(SEX_WORDS) + r"|[mfwhvo])(?![a-z])")
_SEX_WORD = re.compile(r"(?<![a-z])(?P<w>" + _alternation(SEX_WORDS) + r")(?![a-z])")
#: a whole number that may be an age right before or after a sex letter ("45 F", "M/67"), not a value with
#: a decimal or a unit ("F 3.5 MHz", "V 45 cm/s", "W 2.5 cm")
_AGE_NUMBER_BEFORE = re.compile(r"(?<![0-9.,])\d{1,3}\s?[yYjJ]?(?:[\s/,]|,\s)?$")
#: the same after a sex letter: ")" is "F) 94" with one bracket read, " / " is "M / 67" with OCR's spaces
_AGE_NUMBER_AFTER = re.compile(r"\)?(?:[\s/,]|[,/]\s|\s/\s?)?\d{1,3}(?![0-9]|[.,]\d)"
                               r"(?:\s?[yYjJ](?![A-Za-z]))?(?!\s?[A-Za-z%°/])")
#: an equals sign after a letter: a formula's or a measurement's symbol ("V = 12.3 ml"), never a sex
_LETTER_EQUALS = re.compile(r"\s?=")
#: a number and a word before a sex letter ("38 yrs, M"; the word is checked to be an age unit, or one OCR
#: misread of a year unit of three or more letters: "38 yIS, M")
_AGE_WORD_BEFORE = re.compile(r"(?<![0-9.,])(?P<n>\d{1,3})\s?(?P<w>[A-Za-z]{2,6})\.?(?:[\s/,]|,\s)?$")
#: a sex letter and an age with the slash between them misread ("Fi42", "F|42", "M!48" for "F/42", "M/48"), as
#: a token of its own; not "l" or "1" ("FL42" is a femur length, "F142" no age)
_SEX_SLASH_MISREAD_AGE = re.compile(r"(?<![^\s(,;])(?P<sex>[MF])[|!i](?P<age>\d{1,3})(?![0-9A-Za-z%°/]|[.,]\d)")
#: a sex letter, then an age in "a" (anni, años, anos, ans): "F, 74 A", "M/38a" (the mirror of _AGE_A_SEX)
_SEX_AGE_A = re.compile(r"(?<![^\s(,;/])(?P<sex>[MFWHV])\)?[\s,/;:]{0,3}(?P<age>\d{1,3}\s?[aA]\.?)(?![A-Za-z0-9])")
_SEX_LETTER = re.compile(r"(?<![^\s(,;/])[MFWHV](?![^\s),;/])")  # over the original text: upper case only
#: After a sex letter: a one-place decimal with no unit glued to it ("M 1.4"); an age is whole or has its unit
_LETTER_DECIMAL = re.compile(r"\s?\d{1,3}[.,]\d(?![\d.,]|[^\W\d_])")
_OTHER_SEX_LETTER = re.compile(rf"[{OTHER_SEX_LETTERS}](?![^\s),;/])")  # taken only beside an age with a unit

_DIGIT_RUN = re.compile(r"(?<![0-9a-z.,])\d{5,}(?![0-9]|[.,]\d)")
_PREFIXED_ID = re.compile(r"(?<![a-z0-9])[a-z]{1,5}[-#]?\d+(?:-\d+){0,3}(?![a-z0-9]|-\d)")
_NUMBER_SIGN_ID = re.compile(r"(?:#|(?<![a-z])(?:nr|no|n°|nº|num|nummer|numero)\.?)\s?:?\s?(?P<v>\d[\d-]*\d)"
                             r"(?![0-9])")
_MIXED_ID = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{6,}(?![a-z0-9])")
_NUMBER_UNIT = re.compile(r"^\d+[a-z]{1,4}$")
_GROUPED_ID = re.compile(r"(?<![0-9a-z.,/-])\d{2,}(?:[-/.]\d{2,}){1,4}(?![0-9a-z]|[-/.]\d)")

_E164 = re.compile(r"(?<![0-9a-z])(?:\+|00)\d{1,3}(?:[\s.\-/]?\(?\d{1,5}\)?){2,6}(?![0-9]|:\d)")
_NATIONAL_PHONE = re.compile(r"(?<![0-9a-z.,/+-])\(?\d{2,5}\)?(?:[\s.\-/]\d{2,8}){1,4}(?![0-9]|[.\-/:]\d)")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+")

_LABEL = re.compile(r"(?<![a-z])(?P<label>" + _alternation(STRONG_LABELS + WEAK_LABELS) + r")(?![a-z])"
                    r"(?P<mark>\s?[.#]?\s?:|\s?\.|#)?")
_STRONG_SET = frozenset(re.sub(r"[\s.\-/'()]", "", w) for w in STRONG_LABELS)

#: a run of digits and the letters OCR confuses with them, standing alone (not inside a word)
#: (also right before a one-letter age unit ending the word: "8ly" is OCR's "81y", "3ly" its "31y")
_CONFUSABLE_RUN = re.compile(r"(?<![a-z])[0-9oil|sb]*[0-9][0-9oil|sb]*(?:(?![a-z])|(?=[yj](?![a-z])))")
_CONFUSABLE_NEAR = re.compile(r"[0-9][oil|sb]|[oil|sb][0-9]")
_EDGE_SAFE = str.maketrans("oil|", "0111")
_INNER = str.maketrans("oil|sb", "011158")


_WORD = re.compile(r"[a-z]+")
_DIGITS = re.compile(r"[0-9]+")
_AGE_UNIT_WORDS = frozenset(_WORD.findall(" ".join(AGE_UNITS)))
_NUMBER_WORDS = frozenset(("nr", "no", "n", "num", "nummer", "numero"))
#: the first three letters of each label's first word: words run together ("PatientName:") still find it
_LABEL_HEADS = frozenset(_WORD.findall(w)[0][:3] for w in STRONG_LABELS + WEAK_LABELS)


class _Line:
    """One line as the recognisers read it: the text, its folded copy, its words, its digit count."""

    __slots__ = ("text", "v", "words", "heads", "letters", "digits", "runs", "longest", "months")

    def __init__(self, text: str) -> None:
        self.text = text
        self.v = fold(text)
        self.words = frozenset(_WORD.findall(self.v))
        self.heads = frozenset(word[:3] for word in self.words)
        self.letters = frozenset(text)
        runs = [len(run) for run in _DIGITS.findall(self.v)]
        self.digits, self.runs, self.longest = sum(runs), len(runs), max(runs, default=0)
        self.months = self.digits > 0 and not self.words.isdisjoint(MONTH_OF)


def _scan(pattern: re.Pattern[str], v: str, wanted: bool) -> Iterable[re.Match[str]]:
    """``pattern``'s matches in ``v`` when the cheap test ``wanted`` says there can be any."""
    return pattern.finditer(v) if wanted else ()


def _ev(kind: str, weight: float, start: int, end: int, how: str) -> Evidence:
    return Evidence(kind, weight, start, end, f"{SOURCE}:{how}")


def _valid_day_month(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _year_ok(year: str) -> bool:
    return len(year) != 4 or 1900 <= int(year) <= 2099


# -- folding ------------------------------------------------------------------------------------------------------


#: a yen sign OCR read for the Y of an age: right after a digit, ending the word ("75¥"; not "1¥1.9MHz")
_YEN_AGE = re.compile(r"(?<=[0-9])¥(?![0-9a-z])")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def _digit_run(match: re.Match[str]) -> str:
    run = match.group()
    letters = sum(not c.isdigit() for c in run)
    if not letters or letters > len(run) - letters:
        return run
    return run[0].translate(_EDGE_SAFE) + run[1:-1].translate(_INNER) + run[-1].translate(_EDGE_SAFE)


def fold(text: str) -> str:
    """``text`` lower-cased, accents dropped and OCR's digit confusions read as digits, character for
    character (``len(fold(text)) == len(text)``, so spans carry over)."""
    folded = text.lower() if text.isascii() else "".join(_fold_char(ch) for ch in text)
    if "¥" in folded:
        folded = _YEN_AGE.sub("y", folded)
    return _CONFUSABLE_RUN.sub(_digit_run, folded) if _CONFUSABLE_NEAR.search(folded) else folded


# -- recognisers (each yields evidence over the folded line) ----------------------------------------------------


def _numeric_dates(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_NUMERIC_DATE, v, line.runs >= 3 and line.longest >= 2):
        a, b, c, sep = m["a"], m["b"], m["c"], m["s"]
        letter_before = m.start() > 0 and v[m.start() - 1].isalpha()
        if len(a) == 4:  # ISO order
            if 1900 <= int(a) <= 2099 and _valid_day_month(int(c), int(b)) and len(c) <= 2:
                yield _ev("date", 1.0, m.start(), m.end(), "date-ymd")
            continue
        if len(a) == 3 or len(c) == 3 or not _year_ok(c):
            continue
        day_first = _valid_day_month(int(a), int(b))
        month_first = _valid_day_month(int(b), int(a))
        if len(c) == 4 and (day_first or month_first):
            yield _ev("date", 1.0, m.start(), m.end(), "date-numeric")
        elif len(c) == 2 and not letter_before:
            if day_first or month_first:
                weight = 1.0 if len(a) == len(b) == 2 else 0.8 if sep == "/" else 0.6
                yield _ev("date", weight, m.start(), m.end(), "date-numeric")
            elif _valid_day_month(int(c), int(b)):  # YY.MM.DD
                yield _ev("date", 0.8, m.start(), m.end(), "date-ymd")
    for m in _scan(_ISO_SHORT_DAY, v, line.runs >= 3 and line.longest >= 4):
        if _valid_day_month(int(m["d"]), int(m["m"])):
            yield _ev("date", 1.0, m.start(), m.end(), "date-ymd")
    for m in _scan(_SPACED_DATE, v, line.runs >= 3 and line.longest >= 4):
        if m["a"] and (_valid_day_month(int(m["a"]), int(m["b"])) or _valid_day_month(int(m["b"]), int(m["a"]))):
            yield _ev("date", 0.9, m.start(), m.end(), "date-spaced")
        elif m["y"] and _valid_day_month(int(m["d"]), int(m["m"])):
            yield _ev("date", 0.9, m.start(), m.end(), "date-spaced")
    for m in _scan(_COMPACT_DATE, v, line.longest >= 8):
        s = m.group()
        if ((s[:2] in ("19", "20") and _valid_day_month(int(s[6:]), int(s[4:6])))
                or (s[4:6] in ("19", "20") and (_valid_day_month(int(s[:2]), int(s[2:4]))
                                                or _valid_day_month(int(s[2:4]), int(s[:2]))))):
            yield _ev("date", 1.0, m.start(), m.end(), "date-compact")


def _month_name_dates(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_DAY_MONTH_NAME, v, line.months):
        if not 1 <= int(m["day"]) <= 31 or (m["year"] and not _year_ok(m["year"])):
            continue
        wordlike = m["mon"] in WORDLIKE_MONTHS
        weight = 1.0 if m["year"] else 0.4 if wordlike else 0.7
        yield _ev("date", weight, m.start(), m.end(), "date-month-name")
    for m in _scan(_MONTH_NAME_DAY, v, line.months):
        if 1 <= int(m["day"]) <= 31:
            weight = 1.0 if m["year"] else 0.4 if m["mon"] in WORDLIKE_MONTHS else 0.7
            yield _ev("date", weight, m.start(), m.end(), "date-month-name")
    for m in _scan(_MONTH_NAME_YEAR, v, line.months):
        year = m["year"].lstrip("'")
        weight = 0.8 if len(year) == 4 else 0.6
        yield _ev("date", weight if m["mon"] not in WORDLIKE_MONTHS else weight - 0.2, m.start(), m.end(),
                  "date-month-year")
    for m in _scan(_YEAR_MONTH_NAME, v, line.months and line.longest >= 4):
        full = m["day"] is not None and 1 <= int(m["day"]) <= 31
        yield _ev("date", 1.0 if full else 0.8, m.start(), m.end() if full else m.end("mon"), "date-month-name")


def _misread_month_dates(line: _Line) -> Iterator[Evidence]:
    """"20-0CT-67": a day, a month abbreviation with one letter read as a digit, a year (0.8; 0.9 with four
    digits). The month must have a digit (a clean one is :func:`_month_name_dates`') and a letter."""
    for m in _scan(_MISREAD_MONTH_DATE, line.v, True):
        mon = m["mon"]
        if any(c.isdigit() for c in mon) and any(c.isalpha() for c in mon) and 1 <= int(m["day"]) <= 31 and (
                mon.translate(_DIGIT_AS_LETTER) in MONTH_OF and _year_ok(m["year"])):
            yield _ev("date", 0.9 if len(m["year"]) == 4 else 0.8, m.start(), m.end(), "date-month-misread")


def _partial_dates(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_DAY_MONTH_DOTTED, v, "." in v):
        if _valid_day_month(int(m["d"]), int(m["m"])) and not (m.start() and v[m.start() - 1].isalpha()):
            yield _ev("date", 0.7, m.start(), m.end(), "date-day-month")
    for m in _scan(_MONTH_YEAR, v, line.runs >= 2 and line.longest >= 4):
        yield _ev("date", 0.8, m.start(), m.end(), "date-month-year")
    for m in _scan(_SLASH_PAIR, v, "/" in v):
        if m.start() and v[m.start() - 1].isalpha():
            continue
        a, b = int(m["a"]), int(m["b"])
        if 1 <= a <= 12 and b > 31:  # MM/YY
            yield _ev("date", 0.6, m.start(), m.end(), "date-month-year")
        elif _valid_day_month(a, b) or _valid_day_month(b, a):
            weight = 0.6 if len(m["a"]) == len(m["b"]) == 2 else 0.3  # "4/3", "5/12": a ratio, a counter
            yield _ev("date", weight, m.start(), m.end(), "date-day-month")
    yield from _bare_years(line)


def _bare_years(line: _Line) -> Iterator[Evidence]:
    """A bare 4-digit year 1900-2099 (BARE_YEAR): on a screen, alone, most often the year of a birth or
    a study date whose other parts OCR split off ("24." | "05." | "1984"); a number with a unit or a
    parameter name beside it gets clinical evidence on the same characters, which outweighs it."""
    v = line.v
    for m in _scan(_BARE_YEAR, v, line.longest >= 4):
        yield _ev("date", BARE_YEAR, m.start(), m.end(), "year")


def _times(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_CLOCK, v, ":" in v):
        hour = int(m["h"])
        if hour > (12 if m["ap"] else 23):
            continue
        if m["s"]:
            weight = 1.0 if len(m["h"]) == 2 or m["ap"] else 0.6  # "0:00:12" is a clip's running time
        elif m["ap"]:
            weight = 0.9
        elif len(m["h"]) == 2:
            weight = 0.8
        else:
            weight = 0.4 if hour == 0 else 0.6  # "0:30" a duration, "1:10" a ratio or a time
        yield _ev("time", weight, m.start(), m.end(), "time")
    for m in _scan(_FRENCH_CLOCK, v, "h" in line.words):
        yield _ev("time", 0.8, m.start(), m.end(), "time-h")
    for m in _scan(_DOTTED_CLOCK, v, line.runs >= 3 and "." in v):  # "10.32.15"; a date "10.12.15" wins
        yield _ev("time", 0.8, m.start(), m.end(), "time-dotted")
    for m in _scan(_UHR, v, "uhr" in line.words):
        yield _ev("time", 0.9 if m["m"] else 0.6, m.start(), m.end(), "time-uhr")


def _ages(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_AGE, v, not line.words.isdisjoint(_AGE_UNIT_WORDS)):
        unit = re.sub(r"[\s.\-']", "", m["u"])
        weight = AGE_UNITS.get(unit, AGE_UNITS.get(m["u"], 0.4))
        if unit == "d" and m.end("n") == m.start("u"):
            continue  # "2D", "3D": imaging modes; a day count is written "12 d"
        if int(m["n"]) <= (130 if weight >= 0.8 else 400):
            yield _ev("age", weight, m.start(), m.end(), "age")
    for m in _scan(_AGE_SEX, v, any(len(w) == 2 and w[0] in "yj" and w[1] in "mfwhv" for w in line.words)):
        if int(re.sub(r"\D", "", m["age"])) <= 130:
            yield _ev("age", 0.9, m.start("age"), m.end("age"), "age")
            yield _ev("sex", 0.9, m.start("sex"), m.end("sex"), "sex-after-age")
    for m in _scan(_AGE_A_SEX, v, True):
        if int(re.sub(r"\D", "", m["age"])) <= 130:
            yield _ev("age", 0.9, m.start("age"), m.end("age"), "age")
            yield _ev("sex", 0.9, m.start("sex"), m.end("sex"), "sex-after-age")
    for m in _scan(_SEX_AGE_A, line.text, True):  # over the original text: a capital sex letter
        if int(re.sub(r"\D", "", m["age"])) <= 130:
            yield _ev("sex", 0.9, m.start("sex"), m.end("sex"), "sex-before-age")
            yield _ev("age", 0.9, m.start("age"), m.end("age"), "age")
    for m in _scan(_GLUED_AGE_SEX, line.text, True):  # over the original text: capitals only
        yield _ev("age", 0.6, m.start(), m.end(), "age-sex-glued")
    for m in _scan(_LABELLED_AGE, v, not line.words.isdisjoint(AGE_LABELS)):
        if int(m["n"]) <= 130:
            yield _ev("age", 1.0, m.start(), m.end(), "age-labelled")
    yield from _misread_unit_ages(line)


def _misread_unit_ages(line: _Line) -> Iterator[Evidence]:
    """A number and a year unit OCR misread by one letter ("60 annd", "45 yeras" is two: no): a unit word of
    four or more letters, one substitution, at the weakest year weight (0.6)."""
    for m in _scan(_NUMBER_WORD, line.v, True):  # called by _ages: the line has digits
        word = m["w"]
        if word in AGE_UNITS or int(m["n"]) > 130:
            continue
        if _one_letter_off(word, _LONG_YEAR_UNITS):
            yield _ev("age", 0.6, m.start("w"), m.end("w"), "age-unit-misread")  # the number may be a scale too


def _misread_ages(line: _Line) -> Iterator[Evidence]:
    """An age and a sex with digits OCR read as letters ("SIYF"): weaker than a clean read (0.6)."""
    for m in _scan(_GLUED_UNIT_SEX, line.v, "ev" in line.v or "yas" in line.v):
        age, read = m["age"], line.text[m.start():m.end()]
        if read.islower() or not any(ch.isdigit() for ch in age) or int(age.translate(_MISREAD_DIGITS)) > 130:
            continue  # a word ("seven"), or no digit read at all
        weight = 0.9 if age.isdigit() else 0.6
        yield _ev("age", weight, m.start("age"), m.start("sex"), "age-unit-sex-glued")
        yield _ev("sex", weight, m.start("sex"), m.end("sex"), "sex-after-age")
    for m in _scan(_SEX_SLASH_MISREAD_AGE, line.text, any(ch in line.text for ch in "|!i")):
        if int(m["age"]) <= 130:
            yield _ev("sex", 0.6, m.start("sex"), m.end("sex"), "sex-before-age")
            yield _ev("age", 0.6, m.start("age"), m.end("age"), "age-misread")
    for m in _scan(_MISREAD_AGE_SEX, line.v, "y" in line.v or "j" in line.v):
        age, read = m["age"], line.text[m.start("age"):m.end("age")]
        if age.isdigit() or read.islower() or int(age.translate(_MISREAD_DIGITS)) > 130:
            continue  # all digits: _AGE_SEX's (stronger) evidence; all lower case: a word ("oily m")
        yield _ev("age", 0.6, m.start("age"), m.end("age"), "age-misread")
        yield _ev("sex", 0.6, m.start("sex"), m.end("sex"), "sex-after-age")


def _sexes(line: _Line, ages: list[Evidence]) -> Iterator[Evidence]:
    v, text = line.v, line.text
    for m in _scan(_LABELLED_SEX, v, not line.words.isdisjoint(SEX_LABELS)):
        yield _ev("sex", 0.9, m.start(), m.end(), "sex-labelled")
    for m in _scan(_SEX_WORD, v, not line.words.isdisjoint(SEX_WORDS)):
        yield _ev("sex", SEX_WORDS[re.sub(r"[\s.\-/']", "", m["w"])], m.start(), m.end(), "sex-word")
    for m in _scan(_SEX_LETTER, line.text, not line.letters.isdisjoint(SEX_LETTERS)):
        start, end = m.start(), m.end()
        before, after = text[max(0, start - 2):start], text[end:end + 2]
        if ("/" in before and before[:1].isalpha()) or ("/" in after and after[-1:].isalpha()):
            continue  # "B/M": a mode pair, not a sex
        if _LETTER_DECIMAL.match(text, end):
            continue  # "M 1.4" (MI 1.4 with its I lost), "F 2.5": a parameter's letter and value, not a sex and an age
        if _LETTER_EQUALS.match(text, end):
            continue  # "V = 12.3 ml", "F=2.1": a measurement's symbol and its value; a sex is never given so
        near_age = any(ev.end >= start - 2 and ev.start <= end + 2 and ev.weight >= 0.5 for ev in ages)
        near_number = bool(_AGE_NUMBER_BEFORE.search(text, 0, start) or _AGE_NUMBER_AFTER.match(text, end)
                           or _age_word_before(text[:start]))
        in_parens = before.endswith("(") and after.startswith(")")
        strong = near_age or near_number or in_parens
        yield _ev("sex", 0.9 if strong else 0.3, start, end, "sex-letter" if not strong else "sex-in-context")
    with_unit = [ev for ev in ages if ev.weight >= 0.8 and re.search(r"[^\W\d]", text[ev.start:ev.end])]
    for m in _scan(_OTHER_SEX_LETTER, text, bool(with_unit) and not line.letters.isdisjoint(OTHER_SEX_LETTERS)):
        start, end = m.start(), m.end()
        glued_after = any(ev.end == start for ev in with_unit)  # "70 évN": OCR dropped the space
        if not glued_after and start > 0 and not re.match(r"[\s(,;/]", text[start - 1]):
            continue  # inside a word
        if any(ev.end <= start <= ev.end + 2 or start < end <= ev.start <= end + 2 for ev in with_unit):
            yield _ev("sex", 0.9, start, end, "sex-beside-age")


def _age_word_before(text: str) -> bool:
    """Whether ``text`` ends with a number and an age unit, or a year unit OCR misread by one letter."""
    m = _AGE_WORD_BEFORE.search(text)
    if m is None or int(m["n"]) > 130:
        return False
    word = m["w"].lower()
    return word in AGE_UNITS or _one_letter_off(word, _YEAR_UNITS)


def _one_letter_off(word: str, units: tuple[str, ...]) -> bool:
    """Whether ``word`` is one of ``units`` with exactly one letter misread (same length, one letter differs)."""
    return any(len(unit) == len(word) and sum(a != b for a, b in zip(unit, word, strict=True)) == 1
               for unit in units)


def _ids(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_DIGIT_RUN, v, line.longest >= 5):
        yield _ev("id", 1.0 if m.end() - m.start() >= 6 else 0.8, m.start(), m.end(), "id-digits")
    for m in _scan(_PREFIXED_ID, v, line.digits >= 4 and line.longest >= 3):
        groups = re.findall(r"\d+", m.group())
        digits = sum(map(len, groups))
        if digits >= 4 and max(map(len, groups)) >= 3:
            yield _ev("id", 1.0 if digits >= 6 else 0.9 if digits == 5 else 0.6, m.start(), m.end(), "id-prefixed")
    for m in _scan(_NUMBER_SIGN_ID, v, line.digits >= 3 and ("#" in v or not line.words.isdisjoint(_NUMBER_WORDS))):
        digits = sum(c.isdigit() for c in m["v"])
        if digits >= 3:
            yield _ev("id", 1.0 if digits >= 6 else 0.9 if digits >= 4 else 0.5, m.start(), m.end(), "id-number-sign")
    for m in _scan(_MIXED_ID, v, line.digits >= 4):
        token = m.group()
        if sum(c.isdigit() for c in token) >= 4 and not _NUMBER_UNIT.match(token):
            yield _ev("id", 0.8, m.start(), m.end(), "id-alphanumeric")
    for m in _scan(_GROUPED_ID, v, line.digits >= 6 and line.runs >= 2 and line.longest >= 3):
        groups = re.findall(r"\d+", m.group())
        if sum(map(len, groups)) >= 6 and max(map(len, groups)) >= 3:
            yield _ev("id", 0.8, m.start(), m.end(), "id-grouped")


def _contacts(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_E164, v, line.digits >= 8 and ("+" in v or "00" in v)):
        digits = sum(c.isdigit() for c in m.group())
        if 8 <= digits <= 15:
            yield _ev("phone", 1.0 if m.group().startswith("+") else 0.9, m.start(), m.end(), "phone-e164")
    for m in _scan(_NATIONAL_PHONE, v, line.digits >= 7 and line.runs >= 2):
        s = m.group()
        digits = sum(c.isdigit() for c in s)
        if not 7 <= digits <= 13:
            continue
        separators = set(re.findall(r"[\s.\-/]", s))
        numbers = [int(n) for n in re.findall(r"\d+", s)]
        scale = len(numbers) > 3 and len({b - a for a, b in zip(numbers, numbers[1:], strict=False)}) == 1
        if scale or ("/" in separators and not s.startswith(("0", "("))):
            continue  # a scale "10 12 14 16"; a counter "12/150 25" ('/' only after a trunk code "030/...")
        clear = "(" in s or s.startswith("0") or separators <= {"-"} or separators <= {"."} or digits >= 9
        yield _ev("phone", 0.8 if clear else 0.5, m.start(), m.end(), "phone")
    for m in _scan(_EMAIL, v, "@" in v):
        yield _ev("email", 1.0, m.start(), m.end(), "email")
    for m in _scan(_URL, v, "www" in line.words or "//" in v):
        yield _ev("id", 0.4, m.start(), m.end(), "url")


def _labels(line: _Line) -> Iterator[Evidence]:
    v = line.v
    for m in _scan(_LABEL, v, not line.heads.isdisjoint(_LABEL_HEADS)):
        key = re.sub(r"[\s.\-/'()]", "", m["label"])
        tier = "strong" if key in _STRONG_SET else "weak"
        mark = m["mark"] or ""
        weight = LABEL_WEIGHT[tier][2 if ":" in mark else 1 if "." in mark else 0]
        yield _ev("label", weight, m.start(), m.end(), "label")


_INSTITUTION_WORD = re.compile(r"(?<![a-z])(?:[a-z]*(?:" + "|".join(INSTITUTION_STEMS) + r")[a-z]*|"
                               + UNIVERSITY_HEAD + r"[a-z]*)(?![a-z])")
#: "St. Mary's", "St Thomas'": a saint's name in the possessive names a hospital (or a church, a street)
_SAINTS = re.compile(r"(?<![a-z])st\.?\s?[a-z]{2,}(?:['’]\s?s|s['’])(?![a-z])")
INSTITUTION_WEIGHT = 0.7  # a strong label's bare weight: the word itself names the institution
SAINT_WEIGHT = 0.6


def _institutions(line: _Line) -> Iterator[Evidence]:
    """An institution's name: a word longer than the hospital word it holds ("Universitätsklinikum",
    "Kantonsspital"; the word alone is a label), a word beginning "universit", or a saint in the possessive."""
    for m in _INSTITUTION_WORD.finditer(line.v):
        if m.group() not in _STRONG_SET:
            yield _ev("label", INSTITUTION_WEIGHT, m.start(), m.end(), "institution-word")
    for m in _scan(_SAINTS, line.v, "st" in line.heads):
        yield _ev("label", SAINT_WEIGHT, m.start(), m.end(), "saint")


#: each recogniser with the cheap test that says whether the line can hold anything it finds
_RECOGNISERS: tuple[tuple[Callable[[_Line], Iterator[Evidence]], Callable[[_Line], bool]], ...] = (
    (_numeric_dates, lambda line: line.digits >= 4),
    (_month_name_dates, lambda line: line.months),
    (_misread_month_dates, lambda line: line.digits >= 3 and line.runs >= 3),
    (_partial_dates, lambda line: line.digits >= 2 and ("/" in line.v or "." in line.v or line.digits >= 4)),
    (_times, lambda line: ":" in line.v or "h" in line.words or "uhr" in line.words or line.runs >= 3),
    (_contacts, lambda line: line.digits >= 7 or "@" in line.v or "www" in line.words or "//" in line.v),
    (_ids, lambda line: line.digits >= 3),
    (_labels, lambda line: not line.heads.isdisjoint(_LABEL_HEADS)),
    (_institutions, lambda line: len(line.v) >= 6),
)


def _drop_contained(found: list[Evidence]) -> list[Evidence]:
    """Drop evidence lying inside other evidence at least as strong (the first of equals stays)."""
    kept = []
    for i, ev in enumerate(found):
        covered = any(j != i and o.start <= ev.start and ev.end <= o.end and o.weight >= ev.weight
                      and ((o.start, o.end) != (ev.start, ev.end) or o.weight > ev.weight or j < i)
                      for j, o in enumerate(found))
        if not covered:
            kept.append(ev)
    return sorted(kept, key=lambda ev: (ev.start, ev.end, -ev.weight))


def phi_evidence(text: str) -> list[Evidence]:
    """Evidence of PHI shapes in one OCR'd line (kinds date, time, age, sex, id, phone, email, label):
    evidence inside stronger evidence is dropped; in span order. Repeated lines (the same overlay on
    every frame and file) are answered from a small cache."""
    return list(_evidence(text))


@lru_cache(maxsize=8192)
def _evidence(text: str) -> tuple[Evidence, ...]:
    if not text or not any(ch.isalnum() for ch in text):
        return ()
    line = _Line(text)
    ages = (list(_ages(line)) if line.digits else []) + list(_misread_ages(line))
    found = list(ages)
    for recogniser, wanted in _RECOGNISERS:
        if wanted(line):
            found.extend(recogniser(line))
    found.extend(_sexes(line, ages))
    return tuple(_drop_contained(found) if len(found) > 1 else found)
