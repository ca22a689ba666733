"""Clinical evidence from a token's form alone (:data:`~.evidence.SHAPE_KIND`), and units OCR misread.

Words no list holds can still be told from names, dates and IDs by how they are written:

* :func:`shape_weight`: an abbreviation of 3 capitals ("TVI", "CFM") or a short code of letters and
  digits ("L7x", "RM6C", "HP1-3");
* :func:`value_label`: a short abbreviation right before a value ("PS 103.4cm/s", "Nyq 0.51m/s",
  "Cmp 71", "TIB 1.6"): a screen prints a parameter or a read-out as a name and a number, and the
  names vendors abbreviate are more than any list holds (``Cmp`` compression, ``Nyq`` Nyquist limit,
  ``PS`` peak systole). What a person's data looks like is kept out: labels of PHI ("Age 45", "ID 123")
  are blocked by the grammar before this is asked, a month before a day ("Mar 12") is a date, a value
  of 4+ digits may be an ID or a year, and an age is printed with a sex or an age unit, not a decimal;
* :func:`measured_label`: a longer word in any language right before a value with a unit of measure
  ("MÉLYSÉG 8.4CM", "Erősítés 40dB", "Profundidad 16 cm"): the settings and read-outs of screens in
  other languages, whose names no list holds;
* :func:`feature_name`: a product feature written in camel case ("AutoIMT", "SpkRed", "VolSlice",
  "iScan"): names are not written so, except after a surname prefix ("McDonald", "DeVito", "LeBlanc"),
  and a glued given name and surname ("AnnaSMITH") has a name in it;
* :func:`confused_unit`: a unit as OCR misreads it ("CH" for CM, "om" for cm, "M!S", "MWS" for M/S,
  "cm's" for cm/s): the slips of small or pixel-font overlay text, undone by a fixed table.

Shape evidence never weakens PHI evidence (:mod:`.line_score`): "LEE" in capitals keeps its surname
weight, a name in the header keeps its header weight.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .clinical_terms import MONTHS, TITLES, fold
from .name_lists import fold as name_fold
from .name_lists import name_lists
from .person_names import RARE_RANK

__all__ = ["ABBREVIATION_WEIGHT", "AGE_SEX_LETTERS", "CODE_WEIGHT", "LABEL_WEIGHT", "confused_unit",
           "feature_name", "measured_label", "shape_weight", "value_label"]

#: Letters of sex markers, age units and OCR's misreads of them ("M" as "N", "F" as "E"/"P"): a code made
#: of these and digits may be an age and a sex ("M47Y"), never shape evidence
AGE_SEX_LETTERS = frozenset("MFWHVNEPYJAK")
#: Weights of the evidence from a token's form alone
ABBREVIATION_WEIGHT = -0.4
CODE_WEIGHT = -0.5
LABEL_WEIGHT = -0.5
#: What OCR reads for the characters of a unit (read -> meant), on small and pixel-font text
_UNIT_SLIPS = {"O": "C", "E": "C", "¢": "C", "(": "C", "H": "M", "N": "M", "W": "/", "!": "/", "I": "/",
               "L": "/", "1": "/", "|": "/", "'": "/", "V": "/", "S": "Z"}
_MAX_SLIPS = 2


def shape_weight(word: str) -> float:
    """Evidence from a token's form alone, or 0:

    * an abbreviation of 3 capitals ("TVI", "CLR", "CFM"), :data:`ABBREVIATION_WEIGHT`: names are written
      in capitals too, but a name of 3 letters is found by the name lists or the header, whose evidence
      stands (two-letter names, "WU", "LE", "NG", are in no list: two capitals are no evidence); the
      grammar counts only one per line;
    * a short code of letters and digits ("L7x", "RM6C", "C11X", "HP1-3"), :data:`CODE_WEIGHT`: it starts
      with a letter, has 2-4 letters (one letter and a number is how an age and a sex are printed: "47F",
      "F47", and what OCR makes of them: "4TF") and 1-3 digits (IDs have more), not only letters of sex,
      age units and their misreads ("M47Y", "N47J") and no month ("MAR12").
    """
    if re.fullmatch(r"[A-Z]{3}", word):
        return ABBREVIATION_WEIGHT
    if not re.fullmatch(r"[A-Za-z\d]{2,6}(?:-[A-Za-z\d]{1,3})?", word):
        return 0.0
    digits = sum(ch.isdigit() for ch in word)
    letters = [ch for ch in word if ch.isalpha()]
    if not (1 <= digits <= 3 and 2 <= len(letters) <= 4 and word[0].isalpha()):
        return 0.0  # "47F", "F47", "4TF" (an age and a sex, or OCR's reading of one) are never codes
    if set(ch.upper() for ch in letters) <= AGE_SEX_LETTERS or re.search(MONTHS, word, re.I):
        return 0.0  # "M47Y", "F32J" (sex, age and its unit, or their misreads), a date's month ("MAR12")
    return CODE_WEIGHT


def value_label(word: str, value: str) -> bool:
    """Whether ``word`` is shaped like the abbreviated name of the parameter or read-out ``value`` (the
    next token, already known to be a number, with or without its unit): 2-3 letters in any case ("PS",
    "Nyq", "cmp"), or 4 capitals ("TAMV"), a dot or a percent sign allowed after it, or one capital before a
    one-place decimal ("M 1.4": no age, date or ID is written so); not a month ("Mar 12") or a title
    ("Mme"); the value is a decimal, a percentage, has a unit, or (after 3-4 letters) is a whole number of
    at most 3 digits (an ID or a year has more; two-letter surnames, "Wu 45", are in no list)."""
    letters = word.rstrip(".%")  # "AO% 71": a percentage parameter
    if re.fullmatch(r"[A-Z]", word):  # "M 1.4", "F 2.5": a letter (an index OCR cut to it) and a one-place decimal
        return bool(re.fullmatch(r"\d{1,3}[.,]\d", value))
    if not (re.fullmatch(r"[^\W\d_]{2,3}", letters) or re.fullmatch(r"[A-Z]{4}", letters)):
        return False
    if re.fullmatch(MONTHS, letters.upper()) or fold(letters) in TITLES:
        return False
    digits = re.sub(r"\D", "", value)
    # a decimal, a percentage, a unit (on the value, or the label's own "%": "AO% 71")
    measured = bool(re.search(r"\d[.,]\d|%|[^\W\d_]", value)) or word.endswith("%")
    if len(letters) == 2:  # two-letter surnames are in no list ("WU", "NG"): a bare number is no evidence
        return bool(digits) and measured
    return bool(digits) and (len(digits) <= 3 or measured)


def measured_label(word: str) -> bool:
    """Whether ``word`` may name the measured value after it, when that value carries a unit of measure
    (the caller checks: "MÉLYSÉG 8.4CM", "Erősítés 40dB", "Dist 1.41cm", "Depth 16 cm", "Power 61%"): a
    word of 4-14 letters in any language and case, a period allowed after it ("PROF."). A screen prints
    a setting or a read-out in its own language as a name and a number with its unit; a person's data
    is not printed so: an age has an age unit (none of the units), a date or an ID has no unit, and PHI
    labels ("Weight", "Größe" after "Name:") are blocked by the grammar before this is asked. Not a
    month ("Mars 12") or a title."""
    letters = word.rstrip(".")
    if not re.fullmatch(r"[^\W\d_]{4,14}", letters):
        return False
    return not (re.fullmatch(MONTHS, letters.upper()) or fold(letters) in TITLES)


#: Surname prefixes written before a capital: "McDonald", "MacLeod", "DeVito", "LeBlanc", "VanDyke", "DiMaggio"
_NAME_PREFIXES = frozenset("MC MAC DE DI DA DU DEL DELLA DOS DAS LE LA VAN VON VANDER TEN TER ST FITZ AL EL BEN"
                           .split())
_CAMEL = re.compile(r"([A-Z][a-z]+|[a-z]{1,2})((?:[A-Z][a-z]*)+)")


def feature_name(word: str) -> bool:
    """Whether ``word`` is a product feature in camel case ("AutoIMT", "SpkRed", "MultiV", "iScan"): 4-14
    letters, a lower-case letter followed by a capital, the head not a surname prefix ("McDonald") and
    neither the head nor the rest a given name or a surname of the commoner ranks ("AnnaSMITH", "JohnDoe")."""
    m = _CAMEL.fullmatch(word)
    if not m or not 4 <= len(word) <= 14:
        return False
    head, rest = name_fold(m.group(1)), name_fold(m.group(2))
    if head in _NAME_PREFIXES:
        return False
    lists = name_lists()
    return not any(part in lists.given or lists.surname_rank.get(part, RARE_RANK + 1) <= RARE_RANK
                   for part in (head, rest))


def confused_unit(letters: str, units: frozenset[str]) -> bool:
    """Whether ``letters`` (what follows a number, folded or not) is a unit of 2+ characters of ``units``
    (folded) as OCR misreads it: at most two characters read as their usual slips (``_UNIT_SLIPS``), an
    apostrophe between letters read for a slash ("cm's")."""
    key = fold(letters)
    if len(key) < 2 or key in units:
        return False
    return any(candidate in units for candidate in _repairs(key))


@lru_cache(maxsize=4096)
def _repairs(key: str) -> frozenset[str]:
    """``key`` with up to _MAX_SLIPS of its characters replaced by what they are usually misread for (and
    "V'" read for "/", two characters for one)."""
    found = {key}
    for _ in range(_MAX_SLIPS):
        found |= {k[:i] + _UNIT_SLIPS[ch] + k[i + 1:] for k in found for i, ch in enumerate(k) if ch in _UNIT_SLIPS}
    found |= {k.replace("V'", "/") for k in found}
    return frozenset(k for k in found if len(k) >= 2) - {key}
