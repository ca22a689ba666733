"""PHI forms and matching for the header scorer: which forms of a file's PHI values are searched, and how.

Forms (:func:`phi_forms`): each ground-truth row's value and, for PN / name /
physician / operator rows, its ``^``-components; forms shorter than 3 characters
are not searched. :class:`PhiMatcher` finds them case-insensitively in decoded
text and in raw bytes (UTF-8 and latin-1), token-bounded: no letter/digit
(Unicode) next to the hit, and a hit that starts (ends) with a digit may not
follow ``digit.`` (precede ``.digit``), so a date is found neither inside a digit
run nor as a dot-separated UID component. Definitions: ``docs/metrics.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from phiphantom.core.ground_truth import TagRow

__all__ = ["MIN_FORM_LENGTH", "NAME_CATEGORIES", "PhiMatcher", "phi_forms"]

#: Categories whose values are person names: their ``^``-components are searched too.
NAME_CATEGORIES = frozenset({"name", "physician", "operator"})
MIN_FORM_LENGTH = 3


def phi_forms(rows: Iterable[TagRow]) -> set[str]:
    """Every searchable form of the rows' values: the value, and ``^``-components of person names (>= 3 chars)."""
    forms: set[str] = set()
    for row in rows:
        value = (row.get("injected_value") or "").strip()
        forms.add(value)
        if row.get("vr") == "PN" or row.get("category") in NAME_CATEGORIES:
            forms.update(part.strip() for part in value.split("^"))
    return {f for f in forms if len(f) >= MIN_FORM_LENGTH}


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
