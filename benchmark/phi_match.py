"""PHI forms and matching for the header scorer: which forms of a file's PHI values are searched, and how.

Forms (:func:`phi_forms`): each ground-truth row's value, for PN / name /
physician / operator rows its ``^``-components, and its *tokens* (issue 17: the
pixel side's token rules of :mod:`.phi_tokens`, in the forms a header value takes):

* person names: each component (split at ``^``, spaces, hyphens, commas) of
  >= 3 letters, name particles (``van``, ``der`` ...) excluded;
* IDs (categories ``*_id`` and ``accession``): every leading and trailing part
  of >= 4 digits of each run of >= 4 digits (``2965`` and ``5600`` of ``2965600``:
  a truncated or a masked ID), never a part from its middle;
* dates (DA ``YYYYMMDD``, category ``date`` / ``*_date``): month+year ``YYYYMM`` and
  day+month ``MMDD``; a date written with separators (``29.10.2019``) gives
  ``10.2019`` and ``29.10.`` in its own order and separator;
* times (TM ``HHMMSS.frac``, category ``time`` / ``*_time``): the value cut to the
  minute, the second and each shorter fraction (``1432``, ``143207``, ``143207.1``),
  and ``14:32``, ``14:32:07``; DT: the date's and the time's forms and the date alone.

``phi_forms(rows, whole_value=True)`` gives the forms before issue 17 (value and
``^``-components): the ``leaks_whole_value`` metric. Forms shorter than 3 characters
are not searched. :class:`PhiMatcher` finds forms case-insensitively in decoded
text and in raw bytes (UTF-8 and latin-1), token-bounded: no letter/digit
(Unicode) next to the hit, and a hit that starts (ends) with a digit may not
follow ``digit.`` (precede ``.digit``), so a form is found neither inside a
longer digit run nor as a dot-separated UID component or a part of a decimal
number. :func:`inherited` excuses a token-only hit in an element that holds the very value the
input held at the same path, outside the file's PHI rows (a transducer model ``8838`` is no leak of
an accession number ``A8838...``). Definitions and the reason for each rule: ``docs/metrics.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pydicom.dataset import Dataset

from phiphantom.core.ground_truth import TagRow

from .dicom_paths import parse_path, resolve, value_text
from .phi_tokens import MIN_ID_DIGITS, MIN_NAME_LETTERS, NAME_PARTICLES

__all__ = ["MIN_FORM_LENGTH", "NAME_CATEGORIES", "PhiMatcher", "inherited", "phi_forms", "token_forms"]

#: Categories whose values are person names: their ``^``-components are searched too.
NAME_CATEGORIES = frozenset({"name", "physician", "operator"})
MIN_FORM_LENGTH = 3

_NAME_SPLIT = re.compile(r"[\^\s,\-]+")
_DIGIT_RUN = re.compile(r"\d+")
_DA = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SEPARATED_DATE = re.compile(r"(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})")
_TM = re.compile(r"(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?")


def phi_forms(rows: Iterable[TagRow], whole_value: bool = False) -> set[str]:
    """Every searchable form of the rows' values (>= 3 chars): the value, ``^``-components of person
    names and, unless ``whole_value`` (the rule before issue 17), the value's tokens (:func:`token_forms`)."""
    forms: set[str] = set()
    for row in rows:
        value = (row.get("injected_value") or "").strip()
        forms.add(value)
        is_name = row.get("vr") == "PN" or row.get("category") in NAME_CATEGORIES
        if is_name:
            forms.update(part.strip() for part in value.split("^"))
        if not whole_value:
            forms.update(token_forms(value, row.get("vr") or "", row.get("category") or "", is_name))
    return {f for f in forms if len(f) >= MIN_FORM_LENGTH}


def token_forms(value: str, vr: str, category: str, is_name: bool) -> set[str]:
    """The token forms of one value (module docstring; ``docs/metrics.md``, "Header tokens")."""
    if is_name:
        return {part for part in _NAME_SPLIT.split(value) if part.casefold() not in NAME_PARTICLES
                and sum(c.isalpha() for c in part) >= MIN_NAME_LETTERS}
    if category == "accession" or category.endswith("_id"):
        return _id_forms(value)
    if vr == "DT":
        head = value[:8]
        return {head} | _date_forms(head) | _time_forms(value[8:]) if _DA.fullmatch(head) else set()
    if vr == "DA" or category == "date" or category.endswith("_date"):
        return _date_forms(value)
    if vr == "TM" or category == "time" or category.endswith("_time"):
        return _time_forms(value)
    return set()


def _id_forms(value: str) -> set[str]:
    """Leading and trailing parts of >= 4 digits of each digit run of >= 4 digits."""
    forms: set[str] = set()
    for run in _DIGIT_RUN.findall(value):
        for k in range(MIN_ID_DIGITS, len(run) + 1):
            forms.update((run[:k], run[-k:]))
    return forms


def _valid(month: str, day: str | None = None) -> bool:
    return 1 <= int(month) <= 12 and (day is None or 1 <= int(day) <= 31)


def _date_forms(value: str) -> set[str]:
    """Month+year and day+month of a ``YYYYMMDD`` date, or of a date written with separators."""
    compact = _DA.fullmatch(value)
    if compact:
        year, month, day = compact.groups()
        return {year + month, month + day} if _valid(month, day) else set()
    separated = _SEPARATED_DATE.fullmatch(value)
    if not separated:
        return set()
    first, sep, middle, last = separated.groups()
    day_month = first + sep + middle + ("." if sep == "." else "")  # "29.10." (trailing dot): not a decimal number
    if len(first) == 4 and len(last) <= 2 and _valid(middle, last):   # Y-M-D
        return {first + sep + middle, middle + sep + last}
    if len(last) != 4 or len(first) > 2:
        return set()
    forms: set[str] = set()
    if _valid(middle, first):                                        # D.M.Y
        forms.update((day_month, middle + sep + last))
    if _valid(first, middle):                                        # M/D/Y
        forms.update((day_month, first + sep + last))
    return forms


def _time_forms(value: str) -> set[str]:
    """A time cut to the minute, the second and each shorter fraction; ``HH:MM`` and ``HH:MM:SS``."""
    match = _TM.match(value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return set()
    hour, minute, second, fraction = match.groups()
    forms = {hour + minute, f"{hour}:{minute}"}
    if second is not None:
        forms.update((hour + minute + second, f"{hour}:{minute}:{second}"))
        forms.update(f"{hour}{minute}{second}.{fraction[:k]}" for k in range(1, len(fraction or "") + 1))
    return forms


# Token boundaries: no letter/digit just outside the hit; a hit starting (ending) with a digit may not
# follow "digit." (precede ".digit") either, so a date is not found inside a UID or a decimal number.
_TEXT_BEFORE = r"(?<![^\W_])(?:(?=\d)(?<!\d\.)|(?!\d))"
_TEXT_AFTER = r"(?![^\W_])(?:(?<=\d)(?!\.\d)|(?<!\d))"
_BYTES_BEFORE = rb"(?<![A-Za-z0-9])(?:(?=[0-9])(?<![0-9]\.)|(?![0-9]))"
_BYTES_AFTER = rb"(?![A-Za-z0-9])(?:(?<=[0-9])(?!\.[0-9])|(?<![0-9]))"


class PhiMatcher:
    """Case-insensitive, token-bounded search for a file's PHI forms in text and in raw bytes.

    A hit may not sit inside a longer run of letters/digits; a form that starts
    (ends) with a digit may also not be preceded by ``digit.`` (followed by
    ``.digit``), so a date is not found inside a UID or a decimal number.
    """

    def __init__(self, forms: Iterable[str]):
        self.forms = sorted(set(forms), key=lambda f: (-len(f), f))
        self.text_re = self._compile_text(self.forms) if self.forms else None
        self.bytes_re = self._compile_bytes(self.forms) if self.forms else None

    @staticmethod
    def _compile_text(forms: list[str]) -> re.Pattern[str]:
        body = "|".join(re.escape(form) for form in forms)
        return re.compile(_TEXT_BEFORE + f"(?:{body})" + _TEXT_AFTER, re.IGNORECASE)

    @staticmethod
    def _compile_bytes(forms: list[str]) -> re.Pattern[bytes]:
        encoded: set[bytes] = set()
        for form in forms:
            variants = {form} if form.isascii() else {form, form.upper(), form.lower()}  # IGNORECASE is ASCII-only
            for variant in variants:
                for codec in ("utf-8", "latin-1"):
                    try:
                        encoded.add(variant.encode(codec))
                    except UnicodeEncodeError:
                        pass
        body = b"|".join(re.escape(data) for data in sorted(encoded, key=lambda d: (-len(d), d)))
        return re.compile(_BYTES_BEFORE + b"(?:" + body + b")" + _BYTES_AFTER, re.IGNORECASE)

    def in_text(self, text: str | None) -> bool:
        """Whether any form occurs in ``text``."""
        return bool(text and self.text_re is not None and self.text_re.search(text) is not None)

    def byte_hits(self, buf: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
        """(start, end) of every non-overlapping hit in ``buf[start:end]`` (longest form first)."""
        if self.bytes_re is None:
            return
        for m in self.bytes_re.finditer(buf, start, end):
            yield m.start(), m.end()


def inherited(path: str, output: Dataset | None, source: Dataset | None, phi_paths: Iterable[str],
              whole: PhiMatcher) -> bool:
    """Whether a *token-only* hit at ``path`` is excused: the output element holds the very value the
    input held at the same path, that path is no PHI row of the file, and no whole-value form (``whole``)
    is in it. A token of one value colliding with an unrelated value the input already held (the
    transducer model ``8838`` beside the accession number ``A8838...``) is then no leak; a partial value
    written anywhere else, or into an element that held something else, still is."""
    if output is None or source is None or path in phi_paths:  # an element path: the file name is never excused
        return False
    segments = parse_path(path)
    out_elem, _ = resolve(output, segments)
    in_elem, _ = resolve(source, segments)
    if out_elem is None or in_elem is None:
        return False
    text = value_text(out_elem)
    return bool(text) and text == value_text(in_elem) and not whole.in_text(text)
