"""The PHI tokens of a burned-in text box, and whether a read of the output still shows each of them.

A box is a residual leak when *any* of its tokens can be read (a surname alone is PHI), not only
when the whole line can. The rules (``docs/metrics.md``, "Residual PHI"), by ground-truth category:

* person names (``name``, ``physician``, ``operator``): each rendered name component of >= 3 letters
  that is a component of the ground-truth value (split at ``^``, spaces, hyphens and commas; an
  initial or a title such as ``Dr`` is not one). Read when the letters of the read text contain it
  with at most one edit per five letters (the 0.8 similarity of the whole-box rule, per word);
  case and diacritics are ignored (the English traineddata reads ``Szałas`` as ``Szalas``).
* IDs (``patient_id``, ``accession``): each run of >= 4 digits in the rendered text. Read when
  4 consecutive digits of it appear, in order, inside one digit run of the read text.
* dates (``study_date``, ``birth_date``): two tokens, day+month and month+year, the rendered fields
  (numbers, or a month's letters) in the rendered order. Read when the read text's fields line up
  with the token's fields at one offset (numbers compared as numbers: ``05`` = ``5``).
* times (``study_time``, ``acquisition_time``, ...): one token, hour and minute, read the same way.
* anything else (institution, age and sex...) and a box no rule finds a token in: one token, the
  whole line, read when the scorer's edit similarity to the rendered text is >= 0.8 (the old rule).

Only :mod:`.scorer_ocr`'s edit distance is used: nothing of the engine's OCR.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from phiphantom.core.ground_truth import BoxRow

from .scorer_ocr import edit_distance, substring_distance

__all__ = ["WHOLE_SIMILARITY", "PhiToken", "box_tokens", "fold", "whole_read"]

WHOLE_SIMILARITY = 0.8
MIN_NAME_LETTERS = 3
MIN_ID_DIGITS = 4
NAME_CATEGORIES = frozenset({"name", "physician", "operator"})
ID_CATEGORIES = frozenset({"patient_id", "accession"})
DATE_CATEGORIES = frozenset({"study_date", "birth_date"})
#: Name particles: components of a name, but not identifying alone (``van`` of ``van der Mast``).
NAME_PARTICLES = frozenset({"van", "von", "den", "der", "del", "della", "dos", "das", "des", "ter", "ten", "het"})

_NOT_DECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe",
                                 "þ": "th", "ð": "d"})
_FIELD = re.compile(r"[^\W_]+")
#: Tesseract's letter/digit look-alikes in a date or time field (``0CT`` for ``OCT``, ``l2`` for ``12``).
_LOOK_ALIKE = str.maketrans({"o": "0", "i": "1", "l": "1"})
_NAME_PART = re.compile(r"[^\W\d_](?:[^\W\d_]|['’])*")
_SPLIT_VALUE = re.compile(r"[\^\s,\-]+")


def fold(text: str) -> str:
    """``text`` case- and diacritic-folded (``Ł`` -> ``l``, ``Ö`` -> ``o``): what an English read can match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_NOT_DECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_NOT_DECOMPOSED)


def _letters(text: str) -> str:
    return "".join(c for c in fold(text) if c.isalpha())


def _fields(text: str) -> list[str]:
    return _FIELD.findall(fold(text))


def _same_field(read: str, rendered: str) -> bool:
    a, b = read.translate(_LOOK_ALIKE), rendered.translate(_LOOK_ALIKE)
    return int(a) == int(b) if a.isdigit() and b.isdigit() else a == b


@dataclass(frozen=True)
class PhiToken:
    """One token of a box: ``kind`` (name, id, day_month, month_year, time, whole) and what is matched.

    ``pattern`` is the text to find (name letters, ID digits, the whole line) or, for dates and
    times, the rendered fields with ``""`` where a field is not part of the token.
    """

    kind: str
    pattern: tuple[str, ...]

    def read_in(self, text: str) -> bool:
        """Whether ``text`` (one OCR read of the box's output) still shows this token."""
        if self.kind == "name":
            word = self.pattern[0]
            return substring_distance(word, _letters(text)) <= len(word) // 5
        if self.kind == "id":
            runs = re.findall(r"\d+", text)
            digits = self.pattern[0]
            windows = {digits[i:i + MIN_ID_DIGITS] for i in range(len(digits) - MIN_ID_DIGITS + 1)}
            return any(w in run for w in windows for run in runs)
        if self.kind == "digits":
            return any(self.pattern[0] in run for run in re.findall(r"\d+", text))
        if self.kind == "whole":
            return whole_read(text, self.pattern[0])
        return _fields_line_up(self.pattern, _fields(text))


def _fields_line_up(pattern: tuple[str, ...], read: list[str]) -> bool:
    wanted = [(p, f) for p, f in enumerate(pattern) if f]
    for offset in range(-len(pattern) + 1, len(read)):
        if all(0 <= p + offset < len(read) and _same_field(read[p + offset], f) for p, f in wanted):
            return True
    return False


def whole_read(text: str, rendered: str) -> bool:
    """The whole-box rule: edit similarity of the read to the rendered line (spaces collapsed) >= 0.8."""
    a, b = " ".join(text.split()), " ".join(rendered.split())
    if a == b:
        return True
    if not a or not b:
        return False
    return 1.0 - edit_distance(a, b) / max(len(a), len(b)) >= WHOLE_SIMILARITY


def _name_tokens(rendered: str, value: str) -> list[PhiToken]:
    components = {_letters(part) for part in _SPLIT_VALUE.split(value) if part}
    tokens: list[PhiToken] = []
    for part in _NAME_PART.findall(rendered):
        letters = _letters(part)
        fresh = all(t.pattern[0] != letters for t in tokens)
        if len(letters) >= MIN_NAME_LETTERS and letters in components and letters not in NAME_PARTICLES and fresh:
            tokens.append(PhiToken("name", (letters,)))
    return tokens


def _date_roles(fields: Sequence[str], value: str) -> str | None:
    """The order of year, month and day in the rendered ``fields`` ("YMD", "DMY" or "MDY"), if consistent."""
    digits = re.sub(r"\D", "", value)
    if len(fields) != 3 or len(digits) < 8:
        return None
    year, month, day = digits[:4], int(digits[4:6]), int(digits[6:8])
    checks = {"Y": lambda f: f in (year, year[2:]), "M": lambda f: not f.isdigit() or int(f) == month,
              "D": lambda f: f.isdigit() and int(f) == day}
    for order in ("YMD", "DMY", "MDY"):
        if all(checks[role](f) for role, f in zip(order, fields, strict=True)):
            return order
    return None


def _date_tokens(rendered: str, value: str) -> list[PhiToken]:
    fields = _fields(rendered)
    digits = re.sub(r"\D", "", value)[:8]
    if len(digits) == 8 and fields == [digits]:  # written as YYYYMMDD: the tokens are its digit runs
        return [PhiToken("digits", (digits[4:],)), PhiToken("digits", (digits[:6],))]
    order = _date_roles(fields, value)
    if order is None:
        return []
    tokens = []
    for kind, roles in (("day_month", "DM"), ("month_year", "MY")):
        tokens.append(PhiToken(kind, tuple(f if role in roles else "" for role, f in zip(order, fields, strict=True))))
    return tokens


def _time_tokens(rendered: str, value: str) -> list[PhiToken]:
    fields = _fields(rendered)
    digits = re.sub(r"\D", "", value)
    if len(digits) < 4:
        return []
    if fields and fields[0].startswith(digits[:4]):  # written as HHMM[SS]: the token is its first four digits
        return [PhiToken("digits", (digits[:4],))]
    if len(fields) < 2 or not all(f.isdigit() for f in fields[:2]):
        return []
    hour, minute = int(digits[:2]), int(digits[2:4])
    twelve = any(f in ("am", "pm") for f in fields)  # 01:45 PM is 13:45
    if int(fields[1]) != minute or int(fields[0]) % (12 if twelve else 24) != hour % (12 if twelve else 24):
        return []
    return [PhiToken("time", (fields[0], fields[1], *([""] * (len(fields) - 2))))]


def box_tokens(row: BoxRow) -> list[PhiToken]:
    """The PHI tokens of one PHI box (at least one: the whole line when no rule applies)."""
    category, rendered, value = row["phi_category"], row["rendered_text"], row["phi_value"]
    tokens: list[PhiToken] = []
    if category in NAME_CATEGORIES:
        tokens = _name_tokens(rendered, value)
    elif category in ID_CATEGORIES:
        tokens = [PhiToken("id", (run,)) for run in re.findall(r"\d+", rendered) if len(run) >= MIN_ID_DIGITS]
    elif category in DATE_CATEGORIES:
        tokens = _date_tokens(rendered, value)
    elif category.endswith("_time"):
        tokens = _time_tokens(rendered, value)
    return tokens or [PhiToken("whole", (rendered,))]
