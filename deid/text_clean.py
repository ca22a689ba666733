"""Clean Descriptors: remove PHI tokens from free text instead of dropping the text wholesale.

The tokens come from the same header (name parts, IDs, accession, dates in
common formats, physicians, institution, address, phone); any of them found in
a description or comment is replaced by a keyed token (``[K3J9QX2A]``), so
the same name reads the same everywhere without revealing it. Generic
patterns (dates, times with seconds, phone numbers, long digit runs) are
replaced too, because free text often holds values the header does not.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from .pseudonyms import Pseudonymizer

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_GENERIC = (
    (re.compile(r"(?<!\w)\d{1,4}[./-]\d{1,2}[./-]\d{2,4}(?!\w)"), "[DATE]"),
    (re.compile(r"(?<!\w)\d{1,2}-(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)-\d{4}(?!\w)", re.I), "[DATE]"),
    (re.compile(r"(?<!\w)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\w)"), "[DATE]"),
    (re.compile(r"(?<![\w+])\+?\d[\d ()./-]{6,}\d(?!\w)"), "[NUMBER]"),
    (re.compile(r"(?<!\w)[A-Z]{0,3}\d{5,}(?!\w)", re.I), "[ID]"),
)
_PERSON_KEYWORDS = ("PatientName", "ReferringPhysicianName", "PerformingPhysicianName", "OperatorsName",
                    "NameOfPhysiciansReadingStudy", "RequestingPhysician", "PhysiciansOfRecord")
_VALUE_KEYWORDS = ("PatientID", "AccessionNumber", "StudyID", "InstitutionName", "InstitutionAddress",
                   "InstitutionalDepartmentName", "StationName", "DeviceSerialNumber", "PatientAddress",
                   "PatientTelephoneNumbers", "IssuerOfPatientID", "OtherPatientIDs")
_DATE_KEYWORDS = ("PatientBirthDate", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")


def date_forms(value: str) -> list[str]:
    """A DA value in the formats people type: 19560312, 1956-03-12, 12.03.1956, 03/12/1956, 12-MAR-1956 ..."""
    try:
        day = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return []
    forms = {day.strftime(f) for f in ("%Y%m%d", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d")}
    forms.add(f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}")
    return sorted(forms)


def _values(ds: Dataset, keyword: str) -> list[str]:
    element = ds.data_element(keyword) if keyword in ds else None
    if element is None:
        return []
    value = element.value
    values = list(value) if isinstance(value, (list, tuple, MultiValue)) else [value]
    return [str(v) for v in values if v not in (None, "")]


@dataclass
class TextCleaner:
    """Replaces the header's own PHI tokens, then generic PHI patterns, in free text."""

    pattern: re.Pattern | None
    pseudonymizer: Pseudonymizer

    @classmethod
    def from_dataset(cls, ds: Dataset, pseudonymizer: Pseudonymizer) -> TextCleaner:
        tokens: set[str] = set()
        for keyword in _PERSON_KEYWORDS:
            for value in _values(ds, keyword):
                parts = [p for p in re.split(r"[\^=,\s]+", value) if len(p) >= 2]
                tokens.update(parts)
                tokens.add(value.replace("^", " ").strip())
        for keyword in _VALUE_KEYWORDS:
            tokens.update(v.strip() for v in _values(ds, keyword) if len(v.strip()) >= 3)
        for item in ds.get("OtherPatientIDsSequence", []) or []:
            tokens.update(v.strip() for v in _values(item, "PatientID") if len(v.strip()) >= 3)
        for keyword in _DATE_KEYWORDS:
            for value in _values(ds, keyword):
                tokens.update(date_forms(value))
        tokens.discard("")
        ordered = sorted(tokens, key=len, reverse=True)  # longest first: "Anna Maria" before "Anna"
        pattern = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)", re.I)
                   if ordered else None)
        return cls(pattern, pseudonymizer)

    def clean(self, value):
        if value in (None, ""):
            return value
        if isinstance(value, (list, tuple, MultiValue)):
            return [self.clean_text(str(v)) for v in value]
        return self.clean_text(str(value))

    def clean_text(self, text: str) -> str:
        if self.pattern is not None:
            text = self.pattern.sub(lambda m: self.pseudonymizer.text_token(m.group(0)), text)
        for pattern, replacement in _GENERIC:
            text = pattern.sub(replacement, text)
        return text
