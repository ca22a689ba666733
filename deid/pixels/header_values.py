"""The PHI values of a file's own header, normalised for matching burned-in text (in memory only).

Names are split into their parts, IDs kept whole and as digits, places split into words, dates in
every common written form (:func:`date_digit_forms`) and times to the minute. :meth:`HeaderValues.match`
tells which header keyword a line of OCR text matches, tolerating OCR slips (edit similarity >= 0.8).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import Tag

from phiphantom.core.ocr import similar_at_least

from ..text_clean import date_forms
from .name_lists import fold

#: A date written with separators, any order, padded or not ("6/22/3016", "22.6.16", "2016-06-22")
_WRITTEN_DATE = re.compile(r"(?<![0-9])\d{1,4}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{1,4}(?![0-9])")


def tokens(text: str) -> list[str]:
    """Letters and numbers as separate tokens: ``5.0MHz`` -> ``5.0``, ``MHz``; ``R-ANT`` -> ``R``, ``ANT``."""
    return re.findall(r"\d+(?:[.,]\d+)?|[^\W\d_]+|%", text)


def norm(text: str) -> str:
    """Letters and digits only, upper case, accents folded: OCR reads "ŠMÍD" as "SMID", "Łukasz" as "Lukasz"."""
    return re.sub(r"[\W_]+", "", fold(text))


def date_digit_forms(value: str) -> set[str]:
    """The digits of a DA value as screens write it, beyond the zero-padded forms of ``date_forms``: without
    zero padding ("6/22/2016", "22.6.2016", "2016/6/22") and with a two-digit year ("22.06.16", "06/22/16",
    "16/06/22"). Forms of fewer than six digits are left out: too many other numbers contain them."""
    try:
        day = dt.datetime.strptime(value.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return set()
    y, m, d = str(day.year), str(day.month), str(day.day)
    mm, dd, yy = f"{day.month:02d}", f"{day.day:02d}", y[2:]
    forms = {m + d + y, d + m + y, y + m + d, dd + mm + yy, mm + dd + yy, yy + mm + dd}
    return {f for f in forms if len(f) >= 6}


@dataclass
class HeaderValues:
    """Normalised PHI values from the file's own header (in memory only)."""

    words: dict[str, str] = field(default_factory=dict)    # normalised token -> keyword
    digits: dict[str, str] = field(default_factory=dict)   # digit strings (dates, times, IDs) -> keyword
    full: dict[str, list[str]] = field(default_factory=dict)  # keyword -> whole values (names, IDs, places)
    dates: dict[str, str] = field(default_factory=dict)  # a date's digits as written, every form -> keyword

    PERSON = ("PatientName", "ReferringPhysicianName", "PerformingPhysicianName", "OperatorsName",
              "NameOfPhysiciansReadingStudy", "RequestingPhysician", "PhysiciansOfRecord")
    IDS = ("PatientID", "AccessionNumber", "StudyID", "DeviceSerialNumber", "StationName", "IssuerOfPatientID")
    PLACES = ("InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "PatientAddress")
    DATES = ("PatientBirthDate", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "InstanceCreationDate")
    TIMES = ("StudyTime", "SeriesTime", "AcquisitionTime", "ContentTime")

    @classmethod
    def from_dataset(cls, ds: Dataset) -> HeaderValues:
        hv = cls()

        def read(item: Dataset, keyword: str) -> list[str]:
            tag = _TAGS[keyword]  # a tag is looked up directly; a keyword goes through pydicom's dictionary
            if tag not in item:
                return []
            value = item[tag].value
            seq = list(value) if isinstance(value, (list, MultiValue)) else [value]
            return [str(v) for v in seq if v not in (None, "")]

        # the data set's own values, each keyword looked up once (the loops below ask for most twice)
        own = {kw: read(ds, kw) for kw in cls.PERSON + cls.IDS + cls.PLACES + cls.DATES + cls.TIMES}

        for kw in cls.PERSON + cls.IDS + cls.PLACES:
            for value in own[kw]:
                hv.full.setdefault(kw, []).append(value)
        for kw in cls.PERSON:
            for value in own[kw]:
                for part in re.split(r"[\^=,\s]+", value):
                    if len(norm(part)) >= 2 and not norm(part).isdigit():
                        hv.words[norm(part)] = kw
        for kw in cls.IDS:
            for value in own[kw]:
                n = norm(value)
                if len(n) >= 3:
                    hv.words[n] = kw
                    digits = re.sub(r"\D", "", value)
                    if len(digits) >= 4:
                        hv.digits[digits] = kw
        for item in ds.get("OtherPatientIDsSequence", []) or []:
            if not isinstance(item, Dataset):  # not a sequence (a wrong VR; found by the fuzzer)
                continue  # then no item is: a pydicom Sequence holds only Datasets
            for value in read(item, "PatientID"):
                hv.words[norm(value)] = "OtherPatientIDs"
                digits = re.sub(r"\D", "", value)
                if len(digits) >= 4:
                    hv.digits[digits] = "OtherPatientIDs"
        for kw in cls.PLACES:
            for value in own[kw]:
                for part in re.split(r"[\s,]+", value):
                    if len(norm(part)) >= 4:
                        hv.words[norm(part)] = kw
        for kw in cls.DATES:
            for value in own[kw]:
                written = date_forms(value)
                for form in written:
                    digits = re.sub(r"\D", "", form)
                    if digits:
                        hv.digits[digits] = kw
                    hv.words[norm(form)] = kw
                for digits in date_digit_forms(value) | {re.sub(r"\D", "", f) for f in written}:
                    hv.dates.setdefault(digits, kw)
        for kw in cls.TIMES:
            for value in own[kw]:
                digits = re.sub(r"\D", "", value)[:6]
                if len(digits) >= 4:
                    hv.digits[digits] = kw
                    hv.digits[digits[:4]] = kw
        return hv

    def match(self, text: str) -> str | None:
        """The header keyword a text matches (OCR-tolerant), or None."""
        for token in tokens(text):
            n = norm(token)
            if len(n) < 2:
                continue
            if n in self.words:
                return self.words[n]
            if len(n) >= 4:
                for word, kw in self.words.items():
                    if len(word) >= 4 and abs(len(word) - len(n)) <= 2 and similar_at_least(n, word, 0.8):
                        return kw
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 4:
            for value, kw in self.digits.items():
                if value in digits or (len(digits) >= 6 and similar_at_least(digits, value, 0.8)):
                    return kw
        # each written date on its own, in the header dates' other forms: a line with a date and a time
        # ("6/22/3016 09.00 AM", the year misread) is too far from either value as a whole
        for m in _WRITTEN_DATE.finditer(text):
            chunk = re.sub(r"\D", "", m.group())
            for value, kw in self.dates.items():
                if chunk == value or (len(chunk) >= 6 and abs(len(chunk) - len(value)) <= 1
                                      and similar_at_least(chunk, value, 0.8)):
                    return kw
        whole = norm(text)
        for word, kw in self.words.items():
            if len(word) >= 6 and word in whole:
                return kw
        return None


#: The tag of each keyword HeaderValues reads (the keywords of its five groups, and PatientID in items)
_TAGS: dict[str, int] = {kw: Tag(kw) for kw in (*HeaderValues.PERSON, *HeaderValues.IDS, *HeaderValues.PLACES,
                                                 *HeaderValues.DATES, *HeaderValues.TIMES)}
