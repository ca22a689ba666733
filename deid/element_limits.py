"""Whether a kept element holds what its tag can hold: a VR the data dictionary allows, values within
their VR's length (PS3.5 Table 6.2-1) and no more values than the dictionary's multiplicity.

The header de-identification keeps the elements the profile does not list without looking at their
values. A malformed file can hide anything in such an element: a sequence written as OB or UT (its items,
with names in them, become opaque bytes), a Manufacturer (LO, at most 64 characters) whose length runs
to the end of the file, a Bits Stored (US, one value) of 126,380 values swallowing the pixel data. Found
by the fuzzer (issue 12). :func:`malformed_reason` says why such an element cannot be trusted (never
quoting a value), or ``None`` for a plausible one.

Only maxima are checked: fewer values than the multiplicity's minimum, or an empty value, is common in
real files and hides nothing. Raw bytes are measured first (no decoding, which is the common case); only
a text value in a VR affected by the character set whose bytes exceed the limit is decoded and counted in
characters (a multi-byte name may take more than 64 bytes).
"""

from __future__ import annotations

import functools

from pydicom.datadict import dictionary_VM, dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

#: Longest value of a VR, in characters (PN: per component group). TM: 14 in PS3.5 today, 16 in older
#: editions (real files use it). Not here: UC, UR, UT, binary VRs (no limit but the length field).
MAX_CHARS = {"AE": 16, "AS": 4, "CS": 16, "DA": 8, "DS": 16, "DT": 26, "IS": 12, "LO": 64, "LT": 10240,
             "PN": 64, "SH": 16, "ST": 1024, "TM": 16, "UI": 64}
#: Text VRs whose bytes depend on the Specific Character Set (byte counts are only an upper bound).
CHARSET_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})
#: VRs holding a single value, in which a backslash is text (no multiplicity to check).
SINGLE_VALUE_VRS = frozenset({"LT", "ST", "UT", "UR"})
#: Binary VRs of fixed-size values: bytes per value.
FIXED_SIZE = {"US": 2, "SS": 2, "UL": 4, "SL": 4, "FL": 4, "FD": 8, "AT": 4, "SV": 8, "UV": 8}

#: Elements that say how the pixel data is read: an impossible one makes the file unreadable, not just
#: an element to drop (Samples per Pixel, Photometric Interpretation, Planar Configuration, Number of
#: Frames, Rows, Columns, Bits Allocated, Bits Stored, High Bit, Pixel Representation).
PIXEL_DESCRIPTION_TAGS = frozenset({0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011,
                                    0x00280100, 0x00280101, 0x00280102, 0x00280103})


@functools.lru_cache(maxsize=4096)
def _dictionary(tag: int) -> tuple[tuple[str, ...], int | None] | None:
    """(VRs the dictionary allows, most values allowed or None for no finite maximum), None if unknown."""
    try:
        allowed = tuple(dictionary_VR(tag).split(" or "))
        vm = dictionary_VM(tag)
    except KeyError:
        return None
    low, _, high = vm.partition("-")
    if not high:
        most = int(low) if low.isdigit() else None
    else:
        most = int(high) if high.isdigit() else None
    return allowed, most


def _values_of(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, MultiValue)):
        return list(value)
    return [value]


def _text_problem(vr: str, values: list[str], most: int | None) -> str | None:
    if most is not None and vr not in SINGLE_VALUE_VRS and len(values) > most:
        return "more values than its multiplicity allows"
    limit = MAX_CHARS.get(vr)
    if limit is None:
        return None
    for value in values:
        parts = value.split("=") if vr == "PN" else [value]
        if any(len(part.rstrip(" \x00")) > limit for part in parts):
            return f"a value longer than {vr} allows"
    return None


def _raw_text_values(data: bytes, vr: str) -> list[str]:
    """The values of a text element's raw bytes, as one byte a character (an upper bound of the length)."""
    text = data.decode("latin-1").rstrip(" \x00")
    if not text:
        return []
    return [text] if vr in SINGLE_VALUE_VRS else text.split("\\")


def malformed_reason(ds: Dataset, tag: BaseTag) -> str | None:
    """Why the element ``tag`` of ``ds`` cannot be trusted as its tag's value, or None. Decodes nothing
    unless a text value's bytes exceed its VR's limit (then the characters are counted)."""
    entry = _dictionary(int(tag))
    if entry is None:
        return None  # unknown tags are handled by their own rule
    allowed, most = entry
    raw = ds.get_item(tag)
    vr: str | None = raw.VR
    if vr is not None and " or " in vr:
        return None  # an element made in memory with an undecided VR (pydicom resolves it when writing)
    if vr == "UN" or vr is None:  # UN and implicit VR are read with the dictionary VR
        if vr == "UN" and len(allowed) == 1 and allowed[0] != "UN":
            elem = ds[tag]  # pydicom converts a known tag's UN value to its dictionary VR
            return _decoded_problem(elem, most) if elem.VR != "UN" else None
        vr = allowed[0] if len(allowed) == 1 else None
        if vr is None:
            return None  # an ambiguous VR (US or SS...) that pydicom resolves from other elements
    elif vr not in allowed:
        return f"stored as {vr}, which its tag cannot be (dictionary: {' or '.join(allowed)})"
    if vr == "SQ":
        return None
    if isinstance(raw, RawDataElement):
        data = raw.value or b""
        size = FIXED_SIZE.get(vr)
        if size is not None:
            if len(data) % size:
                return f"a length that is no whole number of {vr} values"
            if most is not None and len(data) // size > most:
                return "more values than its multiplicity allows"
            return None
        if vr not in MAX_CHARS and vr != "UC":
            return None  # binary, UR, UT: no limit to check
        problem = _text_problem(vr, _raw_text_values(bytes(data), vr), most)
        if problem is None or vr not in CHARSET_VRS:
            return problem
        return _decoded_problem(ds[tag], most)  # bytes over the limit: count the characters
    return _decoded_problem(raw, most)


def _as_text(value) -> str:
    """A decoded value as its text (a DS/IS as written; PersonName's original_string is bytes, not used)."""
    original = getattr(value, "original_string", None)
    return original if isinstance(original, str) else str(value)


def _decoded_problem(elem: DataElement, most: int | None) -> str | None:
    vr = str(elem.VR)
    value = elem.value
    if vr == "SQ" or isinstance(value, (bytes, bytearray)) and vr not in FIXED_SIZE:
        return None
    if isinstance(value, (bytes, bytearray)):
        size = FIXED_SIZE[vr]
        if len(value) % size:
            return f"a length that is no whole number of {vr} values"
        count = len(value) // size
        return "more values than its multiplicity allows" if most is not None and count > most else None
    values = _values_of(value)
    if vr in FIXED_SIZE:
        return "more values than its multiplicity allows" if most is not None and len(values) > most else None
    if vr in MAX_CHARS or vr in CHARSET_VRS:
        strings = [_as_text(v) for v in values]
        return _text_problem(vr, strings, most)
    return None
