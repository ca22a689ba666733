"""Whether an input's relative path carries values of its own header (``--layout keep`` warns about it).

``--layout keep`` writes each output at its input's relative path, so a name such as
``MALÁ_DUŠAN_1999_946890_0002.dcm`` reaches OUT as it is. The runner cannot tell a meaningful name
from PHI in general, but it can see when a folder or file name holds the patient's name, an ID or a
date of the very header it de-identified, and count such files (never showing the values).

Matching is on case-folded text without accents: name words (3+ letters) as whole tokens of a
component (or inside it from 5 letters), IDs (4+ characters) as whole tokens (or inside a component
from 6), dates as YYYYMMDD, DDMMYYYY or MMDDYYYY once separators are removed.
"""

from __future__ import annotations

import io
import re
import unicodedata

NAME_KEYWORDS = ("PatientName", "OtherPatientNames", "PatientBirthName", "PatientMotherBirthName")
ID_KEYWORDS = ("PatientID", "OtherPatientIDs", "AccessionNumber", "StudyID", "MedicalRecordLocator")
DATE_KEYWORDS = ("PatientBirthDate", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
_TOKEN = re.compile(r"[^\W_]+")
_NAME_SPLIT = re.compile(r"[\^=\s,.\-]+")


def _fold(text: str) -> str:
    """Case-folded, accents removed (``MALÁ`` -> ``mala``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _values(ds, keyword: str) -> list[str]:
    element = ds.get(keyword)
    if element is None or element == "":
        return []
    from pydicom.multival import MultiValue

    values = element if isinstance(element, (list, tuple, MultiValue)) else [element]
    return [str(v) for v in values if str(v).strip()]


def _date_forms(value: str) -> set[str]:
    digits = value.strip()[:8]
    if len(digits) != 8 or not digits.isdigit():
        return set()
    y, m, d = digits[:4], digits[4:6], digits[6:8]
    return {y + m + d, d + m + y, m + d + y}


def header_terms(ds) -> tuple[set[str], set[str], set[str]]:
    """(name words, IDs, date forms) of a data set, folded; used for matching only, never shown."""
    names = {w for k in NAME_KEYWORDS for v in _values(ds, k) for w in _NAME_SPLIT.split(_fold(v))
             if len(w) >= 3 and not w.isdigit()}
    ids = {"".join(_TOKEN.findall(_fold(v))) for k in ID_KEYWORDS for v in _values(ds, k)}
    dates = {form for k in DATE_KEYWORDS for v in _values(ds, k) for form in _date_forms(v)}
    return names, {i for i in ids if len(i) >= 4}, dates


def path_matches(relpath: str, terms: tuple[set[str], set[str], set[str]]) -> bool:
    """Whether any component of ``relpath`` holds one of the header ``terms``."""
    names, ids, dates = terms
    for component in relpath.split("/"):
        tokens = _TOKEN.findall(_fold(component))
        compact = "".join(tokens)
        if any(t in names or t in ids for t in tokens):
            return True
        if any(len(n) >= 5 and n in compact for n in names) or any(len(i) >= 6 and i in compact for i in ids):
            return True
        if any(d in compact for d in dates):
            return True
    return False


def name_carries_phi(relpath: str, data: bytes) -> bool:
    """Whether ``relpath`` holds a name, ID or date of the header of ``data`` (a Part 10 file's bytes)."""
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True,
                             specific_tags=["SpecificCharacterSet", *NAME_KEYWORDS, *ID_KEYWORDS, *DATE_KEYWORDS])
        return path_matches(relpath, header_terms(ds))
    except Exception:  # noqa: BLE001 - a header pydicom cannot read gives no terms (the file was de-identified)
        return False
