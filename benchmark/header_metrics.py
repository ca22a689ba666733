"""Header metrics for one (input, output) DICOM pair: tag coverage, leaks, conformance, required attributes.

Definitions are those of ``docs/metrics.md`` ("Headers"); this module scores one
file, the runner sums the counts over the dataset. Summary of what is computed:

* **Tag coverage** -- for each ``gt/tags.csv`` row of the file, whether its value
  is gone from *that path* in the output (:func:`row_removed`).
* **Leaks** -- distinct output locations where any PHI value of the file is still
  found, in any *form* (:func:`phi_forms`): (a) every decoded element value,
  recursively, file meta included; (b) the output file name; (c) the raw file
  bytes outside binary element values, attributed to the element whose value
  holds the hit, or reported as ``raw-bytes`` when no parsed element holds it
  (preamble, trailing data, unparseable regions). Overlay/icon rows still
  showing their bitmap are leaks too.
* **Conformance** -- every element of the input with a PS3.15 Annex E
  basic-profile action, checked at the same path in the output
  (:func:`conformance`).
* **Required attributes** -- the attributes a viewer or a measurement needs,
  unchanged (:func:`required_retained`).
* **Valid** -- pydicom reads the output and ``pixel_array`` decodes.

Nothing here writes or returns PHI except ``input_view``/``output_view``, which the
consistency metrics need in memory and which callers must never serialise.
Error strings name exception classes only, never values; pydicom's warnings and
log lines (which may quote values) are silenced while scoring.

Choices where docs/metrics.md is silent:

* Coverage of ``exact`` rows compares case-insensitively (an upper-cased name is
  not removed); values are compared with surrounding spaces/NULs stripped.
* Forms: the row's value and, for PN / name / physician / operator rows, its
  ``^``-components; forms shorter than 3 characters are not searched. Token
  boundaries: no letter/digit (Unicode) next to the hit, and a hit that starts
  (ends) with a digit may not follow ``digit.`` (precede ``.digit``), so a date
  is found neither inside a digit run nor as a dot-separated UID component.
* Binary VRs (OB/OW/OF/OD/OL/OV and the binary numbers US/SS/UL/SL/FL/FD/AT/UV/SV)
  are not searched as text; UN is (decoded UTF-8, else latin-1). Raw bytes are
  searched as UTF-8 and latin-1, outside binary values; a hit inside a text value
  is that element's leak (e.g. text in a charset pydicom mis-decoded), other hits
  are ``raw@offset`` (hits less than 8 bytes apart are one location).
* Leak kind: the ground truth's ``location_kind`` when the location is a
  ``gt/tags.csv`` path of the file, else by rule (:func:`classify_location`).
* An output pydicom cannot read (or a file without the ``DICM`` preamble that is
  not a clean bare dataset, or one cut short: an element, item or fragment runs
  past its end) is ``unreadable`` and scores no better than no output at all: no
  row counts as removed, its leaks are those of the unchanged input (as for a
  missing output) plus any found in its own bytes and name, conformance is 0,
  every required attribute is lost, its consistency views are empty.
* Conformance of an element inside a sequence/item the output removed or
  emptied: honoured, whatever the sequence's own action. A replaced UID counts
  as a dummy for Z/D actions. ``X/Z/U*`` on a sequence: removed, emptied, or
  kept with none of its instance UIDs (standard ``1.2.840.10008.*`` UIDs
  excluded) left inside. Private creators are ``X`` like the rest of the block.
* Icons are judged on the raw pixel bytes of item 0 (constant = blank).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import io
import logging
import re
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pydicom
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.pixels import pixel_array
from pydicom.sequence import Sequence
from pydicom.uid import UID

from phiphantom.core.profile import basic_action
from phiphantom.core.vocabulary import LEAK_KINDS

__all__ = [
    "HeaderFileScore",
    "LEAK_KINDS",
    "PhiMatcher",
    "REQUIRED_ATTRIBUTES",
    "VIEW_KEYS",
    "conformance",
    "parse_path",
    "phi_forms",
    "raw_layout",
    "required_retained",
    "row_removed",
    "score_header_file",
]

#: Value representations whose values are binary: not searched as text, skipped in the raw-byte scan.
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "US", "SS", "UL", "SL", "FL", "FD", "AT", "UV", "SV"})
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT"})
FREE_TEXT_KEYWORDS = frozenset({
    "ImageComments", "StudyDescription", "SeriesDescription", "PatientComments", "AdditionalPatientHistory",
    "RequestedProcedureDescription",
})
#: Categories whose values are person names: their ``^``-components are searched too.
NAME_CATEGORIES = frozenset({"name", "physician", "operator"})
MIN_FORM_LENGTH = 3
ICON_SEQUENCE = 0x00880200
REFERENCED_PATIENT_SEQUENCE = 0x00081120
REFERENCED_SOP_INSTANCE_UID = 0x00081155
STANDARD_UID_ROOT = "1.2.840.10008."
#: Input values larger than this (bytes) are not read (pixel data); see :func:`_get`.
INPUT_DEFER_SIZE = 256 * 1024
#: Raw-byte hits closer than this (bytes) are one location (one run of text, e.g. ``FAMILY GIVEN``).
RAW_MERGE_GAP = 8

REQUIRED_ATTRIBUTES = (
    "SOPClassUID", "Modality", "Rows", "Columns", "NumberOfFrames", "SamplesPerPixel", "BitsAllocated",
    "PhotometricInterpretation",
)
US_REGION_KEY = "USRegionCalibration"
US_REGION_ATTRIBUTES = (
    "RegionLocationMinX0", "RegionLocationMinY0", "RegionLocationMaxX1", "RegionLocationMaxY1",
    "PhysicalDeltaX", "PhysicalDeltaY",
)
YBR_PHOTOMETRICS = frozenset({"YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_ICT", "YBR_RCT"})

#: Keys of ``input_view`` / ``output_view``.
VIEW_KEYS = (
    "PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
    "ReferencedPatientUID", "StudyDate",
)

#: Outcomes in the output that honour each Annex E action (see :func:`element_outcome`).
ALLOWED_OUTCOMES: dict[str, frozenset[str]] = {
    "X": frozenset({"absent"}),
    "Z": frozenset({"empty", "changed", "uid"}),
    "D": frozenset({"changed", "uid"}),
    "U": frozenset({"uid"}),
    "Z/D": frozenset({"empty", "changed", "uid"}),
    "X/Z": frozenset({"absent", "empty", "changed", "uid"}),
    "X/D": frozenset({"absent", "changed", "uid"}),
    "X/Z/D": frozenset({"absent", "empty", "changed", "uid"}),
    "X/Z/U*": frozenset({"absent", "empty", "uid"}),
}
UID_ACTIONS = frozenset({"U", "X/Z/U*"})


@dataclass
class HeaderFileScore:
    """Header scores of one file. ``input_view``/``output_view`` hold PHI: memory only, never written."""

    rows_total: int
    row_removed: list[bool]            # aligned with the tag rows passed in
    leaks: list[tuple[str, str]]       # (location_kind, location); never the value
    conformance: dict[str, list[int]]  # action -> [total, honoured]
    required: dict[str, bool]          # required attribute -> retained
    valid: bool                        # output read by pydicom and pixels decode
    input_view: dict = field(default_factory=dict)
    output_view: dict = field(default_factory=dict)
    error: str = ""
    unreadable: bool = False           # an output was written but is not DICOM (or is cut short)

    @property
    def rows_removed(self) -> int:
        return sum(self.row_removed)

    @property
    def failed(self) -> bool:
        """No usable output (none written, or unreadable): its consistency counts as broken."""
        return self.unreadable or self.error == "no output"


# --------------------------------------------------------------------------- paths

Segment = tuple[int, "int | None"]  # (tag, item index or None)
_SEGMENT = re.compile(r"\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)(?:\[(\d+)\])?")


@functools.lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[Segment, ...]:
    """``"(0040,0275)[0].(0008,0050)"`` -> ``((0x00400275, 0), (0x00080050, None))``."""
    segments = []
    for part in path.split("."):
        m = _SEGMENT.fullmatch(part)
        if m is None:
            raise ValueError(f"not a tag path segment: {part!r}")
        index = None if m.group(3) is None else int(m.group(3))
        segments.append(((int(m.group(1), 16) << 16) | int(m.group(2), 16), index))
    return tuple(segments)


def _tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _is_private(tag: int) -> bool:
    return bool((tag >> 16) & 1)


def classify_location(path: str, vr: str | None, gt_kinds: dict[str, str] | None = None) -> str:
    """Location kind of an element path: the ground truth's kind for a gt path, else by rule.

    Rules, first match wins: group 0002 -> ``file-meta``; inside the IconImageSequence ->
    ``icon``; group 60xx -> ``overlay``; an odd group anywhere on the path -> ``private``;
    inside a sequence -> ``nested``; LT/ST/UT or a description/comment keyword ->
    ``free-text``; else ``standard``.
    """
    if gt_kinds and path in gt_kinds:
        return gt_kinds[path]
    segments = parse_path(path)
    tags = [tag for tag, _ in segments]
    if tags[0] >> 16 == 0x0002:
        return "file-meta"
    if ICON_SEQUENCE in tags:
        return "icon"
    if any(tag >> 24 == 0x60 for tag in tags):
        return "overlay"
    if any(_is_private(tag) for tag in tags):
        return "private"
    if len(tags) > 1:
        return "nested"
    if vr in FREE_TEXT_VRS or keyword_for_tag(tags[-1]) in FREE_TEXT_KEYWORDS:
        return "free-text"
    return "standard"


# --------------------------------------------------------------------------- element values

@dataclass(frozen=True)
class _Elem:
    """A minimal element (for raw elements pydicom could not convert)."""

    tag: int
    VR: str
    value: Any


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _scalar_text(value: Any) -> str:
    return _decode(value) if isinstance(value, bytes) else str(value)


def value_text(elem: Any) -> str | None:
    """The element's value as text (multi-values joined with ``\\``), or None for binary/sequence VRs.

    Trailing/leading spaces and NULs are stripped; an empty value gives ``""``.
    UN values are decoded (UTF-8, else latin-1): they may hold text.
    """
    vr = elem.VR or "UN"
    if vr == "SQ" or vr in BINARY_VRS or vr.startswith("O") or elem.value is DEFERRED:  # "OB or OW" too
        return None
    value = elem.value
    if value is None:
        return ""
    if isinstance(value, (MultiValue, list, tuple)):
        text = "\\".join(_scalar_text(v) for v in value)
    else:
        text = _scalar_text(value)
    return text.strip(" \x00")


def _norm(text: str) -> str:
    return text.strip(" \x00").casefold()


def _binary_value(value: Any) -> bytes | str:
    """A comparable form of a non-text value (bytes as is, numbers as text)."""
    return bytes(value) if isinstance(value, (bytes, bytearray)) else str(value)


def _is_empty(elem: Any) -> bool:
    """No value: None, zero items, or only spaces/NULs."""
    value = elem.value
    if value is None:
        return True
    if value is DEFERRED:
        return False
    if isinstance(value, (bytes, bytearray)):
        return not bytes(value).strip(b" \x00")
    if isinstance(value, (Sequence, MultiValue, list, tuple)):
        return len(value) == 0
    return str(value).strip(" \x00") == ""


#: Stand-in value of a deferred (large, not yet read) non-sequence input value: present, never equal to anything.
DEFERRED = object()


def _get(container: Dataset, tag: int) -> Any:
    """Element ``tag`` of ``container`` (converted), or a raw stand-in when conversion fails; None if absent.

    A large value that pydicom deferred (inputs are read with ``defer_size``) is not
    read: it becomes a stand-in with value :data:`DEFERRED`, unless it is a sequence.
    """
    if tag not in container:
        return None
    raw = container.get_item(tag)
    if isinstance(raw, RawDataElement) and raw.value is None and raw.length != 0:
        vr = raw.VR or _implicit_vr(int(tag))
        if vr != "SQ":
            return _Elem(int(tag), vr, DEFERRED)
    try:
        return container[tag]
    except Exception:  # noqa: BLE001 - unconvertible value: keep its bytes
        raw = container.get_item(tag)
        return _Elem(tag, "UN", getattr(raw, "value", None))


def _datasets_of(ds: Dataset) -> list[tuple[Dataset, bool]]:
    """The file meta (if any) and the dataset itself."""
    meta = getattr(ds, "file_meta", None)
    return ([(meta, True)] if meta is not None else []) + [(ds, False)]


def resolve(ds: Dataset, segments: tuple[Segment, ...]) -> tuple[Any, bool]:
    """(element at the path or None, whether an ancestor sequence/item is missing)."""
    container: Dataset | None = getattr(ds, "file_meta", None) if segments[0][0] >> 16 == 0x0002 else ds
    if container is None:
        return None, False
    for depth, (tag, index) in enumerate(segments):
        elem = _get(container, tag)
        last = depth == len(segments) - 1
        if last:
            return elem, False
        if elem is None or elem.VR != "SQ" or index is None or not isinstance(elem.value, Sequence) \
                or index >= len(elem.value):
            return None, True
        container = elem.value[index]
    return None, True


def walk(ds: Dataset, include_meta: bool = True) -> Iterator[tuple[str, tuple[Segment, ...], Any]]:
    """Every element, depth first: (path text, path segments, element); sequences before their items."""
    roots = _datasets_of(ds) if include_meta else [(ds, False)]
    for container, _ in roots:
        yield from _walk(container, "", ())


def _walk(container: Dataset, prefix: str, segments: tuple[Segment, ...]) -> Iterator[tuple[str, tuple, Any]]:
    for tag in list(container.keys()):
        elem = _get(container, tag)
        if elem is None:
            continue
        tag = int(tag)
        path = f"{prefix}{_tag_text(tag)}"
        yield path, segments + ((tag, None),), elem
        if elem.VR == "SQ" and isinstance(elem.value, Sequence):
            for i, item in enumerate(elem.value):
                yield from _walk(item, f"{path}[{i}].", segments + ((tag, i),))


# --------------------------------------------------------------------------- PHI forms and matching

def phi_forms(rows: Iterable[dict]) -> set[str]:
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


# --------------------------------------------------------------------------- raw layout

_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_IMPLICIT_LE, _EXPLICIT_BE, _DEFLATED = "1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"


class _Stop(Exception):
    """The raw walker cannot parse further; bytes from here on are unattributed."""


class _Truncated(_Stop):
    """A value, item or element header runs past the end of the file: the file is cut short."""


@dataclass
class RawLayout:
    """Where element values lie in a file: text values (start, end, path, vr), binary value ranges."""

    text: list[tuple[int, int, str, str]]
    binary: list[tuple[int, int]]
    parsed_to: int  # offset where parsing stopped (== len(buf) when the whole file parsed)
    truncated: bool = False  # an element, item or pixel fragment runs past the end of the file

    def gaps(self, size: int) -> list[tuple[int, int]]:
        """Byte ranges outside binary values (what the raw scan searches)."""
        out, pos = [], 0
        for start, end in sorted(self.binary):
            if start > pos:
                out.append((pos, start))
            pos = max(pos, end)
        if pos < size:
            out.append((pos, size))
        return out

    @functools.cached_property
    def _starts(self) -> list[int]:
        return [t[0] for t in self.text]

    def text_element_at(self, offset: int) -> tuple[str, str] | None:
        """(path, vr) of the text value holding ``offset``, if any."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.text[i][1]:
            return self.text[i][2], self.text[i][3]
        return None


@functools.lru_cache(maxsize=4096)
def _implicit_vr(tag: int) -> str:
    if _is_private(tag):
        return "LO" if 0x0010 <= (tag & 0xFFFF) <= 0x00FF else "UN"
    try:
        return dictionary_VR(tag).split(" or ")[0]
    except KeyError:
        return "UN"


class _RawWalker:
    """Finds the byte range of every element value (recursing into sequences) without pydicom."""

    def __init__(self, buf: bytes):
        self.buf = buf
        self.text: list[tuple[int, int, str, str]] = []
        self.binary: list[tuple[int, int]] = []
        self.transfer_syntax = ""

    def run(self) -> RawLayout:
        buf, pos = self.buf, 0
        truncated = False
        if buf[128:132] == b"DICM":
            pos = 132
        try:
            pos = self._dataset(pos, len(buf), "", True, True, meta=True)
            ts = self.transfer_syntax
            if ts == _DEFLATED:
                self.binary.append((pos, len(buf)))  # compressed body: not searchable as bytes
                pos = len(buf)
            else:
                explicit = ts != _IMPLICIT_LE if ts else self._looks_explicit(pos)
                pos = self._dataset(pos, len(buf), "", explicit, ts != _EXPLICIT_BE)
                truncated = 0 < len(buf) - pos < 8  # a cut element header
        except (_Truncated, struct.error):  # struct.error: a tag or length read past the end
            truncated = True
        except (_Stop, IndexError, ValueError):
            pass
        self.text.sort()
        return RawLayout(self.text, self.binary, pos if pos <= len(buf) else len(buf), truncated)

    def _looks_explicit(self, pos: int) -> bool:
        vr = self.buf[pos + 4:pos + 6]
        return len(vr) == 2 and vr.isalpha() and vr.isupper()

    def _dataset(self, pos: int, end: int, prefix: str, explicit: bool, little: bool, meta: bool = False) -> int:
        """Parse elements from ``pos`` to ``end`` (or an item delimiter); returns the position after."""
        buf, e = self.buf, "<" if little else ">"
        while pos + 8 <= end:
            group, element = struct.unpack_from(e + "HH", buf, pos)
            if meta and group != 0x0002:
                return pos
            tag = (group << 16) | element
            if tag == _ITEM_END:
                return pos + 8
            if group == 0xFFFE:
                raise _Stop
            if explicit or meta:
                vr_bytes = buf[pos + 4:pos + 6]
                if not (vr_bytes.isalpha() and vr_bytes.isupper()):
                    raise _Stop
                if vr_bytes in _LONG_VRS:
                    (length,) = struct.unpack_from(e + "L", buf, pos + 8)
                    vpos = pos + 12
                else:
                    (length,) = struct.unpack_from(e + "H", buf, pos + 6)
                    vpos = pos + 8
                vr = vr_bytes.decode("ascii")
            else:
                (length,) = struct.unpack_from(e + "L", buf, pos + 4)
                vpos, vr = pos + 8, _implicit_vr(tag)
            path = f"{prefix}{_tag_text(tag)}"
            if length == 0xFFFFFFFF:
                if vr == "SQ" or (vr == "UN" and tag != 0x7FE00010 and self._item_at(vpos, e)):
                    pos = self._sequence(vpos, None, path, explicit, little)
                else:
                    pos = self._encapsulated(vpos, e)
                continue
            vend = vpos + length
            if vend > len(buf):
                raise _Truncated
            if vr == "SQ":
                self._sequence(vpos, vend, path, explicit, little)
            elif vr in BINARY_VRS:
                self.binary.append((vpos, vend))
            else:
                self.text.append((vpos, vend, path, vr))
                if tag == 0x00020010:
                    self.transfer_syntax = buf[vpos:vend].decode("ascii", "replace").strip(" \x00")
            pos = vend
        return pos

    def _item_at(self, pos: int, e: str) -> bool:
        if pos + 4 > len(self.buf):
            return False
        group, element = struct.unpack_from(e + "HH", self.buf, pos)
        return ((group << 16) | element) == _ITEM

    def _sequence(self, pos: int, end: int | None, path: str, explicit: bool, little: bool) -> int:
        """Parse sequence items from ``pos``; ``end`` None = undefined length (up to the delimiter)."""
        buf, e = self.buf, "<" if little else ">"
        limit = len(buf) if end is None else end
        index = 0
        while True:
            if end is not None and pos >= end:
                return pos
            group, element, length = struct.unpack_from(e + "HHL", buf, pos)
            tag = (group << 16) | element
            if tag == _SEQ_END:
                return pos + 8
            if tag != _ITEM:
                raise _Stop
            prefix = f"{path}[{index}]."
            if length == 0xFFFFFFFF:
                pos = self._dataset(pos + 8, limit, prefix, explicit, little)
            else:
                if pos + 8 + length > limit:
                    raise _Truncated if end is None else _Stop
                self._dataset(pos + 8, pos + 8 + length, prefix, explicit, little)
                pos += 8 + length
            index += 1

    def _encapsulated(self, pos: int, e: str) -> int:
        """Skip an undefined-length binary value (encapsulated pixel data): items up to the delimiter."""
        start, buf = pos, self.buf
        while True:
            group, element, length = struct.unpack_from(e + "HHL", buf, pos)
            tag = (group << 16) | element
            if tag == _SEQ_END:
                self.binary.append((start, pos + 8))
                return pos + 8
            if tag != _ITEM or length == 0xFFFFFFFF or pos + 8 + length > len(buf):
                self.binary.append((start, len(buf)))  # runs to the end of the file
                raise _Truncated if tag == _ITEM and length != 0xFFFFFFFF else _Stop
            pos += 8 + length


def raw_layout(buf: bytes) -> RawLayout:
    """Byte ranges of the element values of a DICOM file (see :class:`RawLayout`)."""
    return _RawWalker(buf).run()


# --------------------------------------------------------------------------- loading

@dataclass
class _Loaded:
    buf: bytes
    ds: Dataset | None  # None: not readable as DICOM

    @functools.cached_property
    def layout(self) -> RawLayout:
        return raw_layout(self.buf)


def _load_input(path: Path) -> _Loaded:
    """Read an input file with large values deferred (never read unless needed)."""
    try:
        return _Loaded(b"", pydicom.dcmread(path, defer_size=INPUT_DEFER_SIZE, force=True))
    except Exception:  # noqa: BLE001
        return _Loaded(b"", None)


def _load(path: Path) -> _Loaded:
    """Read a file; a file without the ``DICM`` preamble is read only if it parses as a bare dataset."""
    loaded = _Loaded(path.read_bytes(), None)
    try:
        loaded.ds = pydicom.dcmread(io.BytesIO(loaded.buf))
    except InvalidDicomError:
        if loaded.layout.parsed_to == len(loaded.buf) and loaded.layout.text:
            try:
                loaded.ds = pydicom.dcmread(io.BytesIO(loaded.buf), force=True)
            except Exception:  # noqa: BLE001 - any parse failure means unreadable
                pass
    except Exception:  # noqa: BLE001
        pass
    if loaded.ds is not None and not any(int(tag) >> 16 != 0x0002 for tag in loaded.ds.keys()):
        loaded.ds = None
    if loaded.ds is not None and loaded.layout.truncated:  # pydicom reads a cut file silently, minus its tail
        loaded.ds = None
    return loaded


@contextlib.contextmanager
def quiet_pydicom() -> Iterator[None]:
    """No warnings or log lines while scoring: pydicom's messages may quote element values (PHI)."""
    logger = logging.getLogger("pydicom")
    level, mode = logger.level, pydicom.config.settings.reading_validation_mode
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logger.setLevel(logging.CRITICAL)
        pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
        try:
            yield
        finally:
            logger.setLevel(level)
            pydicom.config.settings.reading_validation_mode = mode


def pixels_decode(ds: Dataset) -> str:
    """``""`` when ``ds.pixel_array`` decodes, else a PHI-free reason."""
    if "PixelData" not in ds:
        return "no pixel data"
    try:
        pixel_array(ds, raw=True)  # decoding is the check; no colour-space conversion
    except Exception as exc:  # noqa: BLE001
        return f"pixel data does not decode ({type(exc).__name__})"
    return ""


# --------------------------------------------------------------------------- coverage

def _bitmap_shows(elem: Any) -> bool:
    """Whether an overlay bitmap (non-zero bits) or icon thumbnail (non-constant pixels) is still shown."""
    if elem.VR == "SQ":
        if not isinstance(elem.value, Sequence) or len(elem.value) == 0:
            return False
        item = elem.value[0]
        pixels = _get(item, 0x7FE00010)
        if pixels is None or not isinstance(pixels.value, (bytes, bytearray)) or not pixels.value:
            return False
        data = bytes(pixels.value)
        bits = _top_text(item, "BitsAllocated")
        wide = bits is not None and bits.isdigit() and int(bits) > 8
        encapsulated = getattr(pixels, "is_undefined_length", False)
        dtype = np.uint16 if wide and not encapsulated and len(data) % 2 == 0 else np.uint8
        values = np.frombuffer(data, dtype=dtype)
        return bool(values.size) and values.min() != values.max()
    data = elem.value
    return isinstance(data, (bytes, bytearray)) and bool(bytes(data).strip(b"\x00"))


def row_removed(row: dict, ds: Dataset, output_name: str) -> bool:
    """Whether the row's value is gone from its path in the output (docs/metrics.md, ``tag_coverage``)."""
    value = row["injected_value"]
    if row["tag_path"] == "filename" or row["location_kind"] == "filename":
        return value.casefold() not in output_name.casefold()
    elem, ancestor_gone = resolve(ds, parse_path(row["tag_path"]))
    if elem is None or ancestor_gone:
        return True
    if row["match"] == "rendered":
        return not _bitmap_shows(elem)
    text = value_text(elem)
    if text is None:  # a binary VR now: judge its value as text
        raw = _binary_value(elem.value if elem.value is not None else b"")
        text = _decode(raw) if isinstance(raw, bytes) else raw
    if not text:
        return True
    if row["match"] == "contains":
        return value.casefold() not in text.casefold()
    return _norm(text) != _norm(value)


# --------------------------------------------------------------------------- leaks

def find_leaks(loaded: _Loaded, output_name: str, rows: list[dict], removed: list[bool]) -> list[tuple[str, str]]:
    """Distinct (kind, location) pairs where a PHI form of the file is found in the output."""
    matcher = PhiMatcher(phi_forms(rows))
    gt_kinds = {r["tag_path"]: r["location_kind"] for r in rows if r["tag_path"] != "filename"}
    found: dict[str, str] = {}
    if loaded.ds is not None:
        for path, _, elem in walk(loaded.ds):
            if matcher.in_text(value_text(elem)):
                found.setdefault(path, classify_location(path, elem.VR, gt_kinds))
        for row, gone in zip(rows, removed):
            if row["match"] == "rendered" and not gone:
                found.setdefault(row["tag_path"], row["location_kind"])
    if matcher.in_text(output_name):
        found.setdefault("filename", "filename")
    for location, kind in _raw_leaks(loaded.buf, loaded.layout, matcher, gt_kinds):
        found.setdefault(location, kind)
    return sorted(((kind, loc) for loc, kind in found.items()), key=lambda kl: (LEAK_KINDS.index(kl[0]), kl[1]))


def _raw_leaks(buf: bytes, layout: RawLayout, matcher: PhiMatcher,
               gt_kinds: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Raw-byte hits outside binary values: attributed to their text element, else ``raw@offset``."""
    if matcher.bytes_re is None:
        return
    last_raw_end = -RAW_MERGE_GAP - 1
    for start, end in layout.gaps(len(buf)):
        for hit_start, hit_end in matcher.byte_hits(buf, start, end):
            owner = layout.text_element_at(hit_start)
            if owner is not None:
                path, vr = owner
                yield path, classify_location(path, vr, gt_kinds)
                continue
            if hit_start - last_raw_end > RAW_MERGE_GAP:
                yield f"raw@{hit_start}", "raw-bytes"
            last_raw_end = hit_end


# --------------------------------------------------------------------------- conformance

def _uid_values(elem: Any) -> list[str]:
    text = value_text(elem)
    return [v.strip(" \x00") for v in text.split("\\")] if text else []


def _instance_uids(elem: Any) -> set[str]:
    """UI values inside a sequence element (recursively), standard (1.2.840.10008.*) UIDs excluded."""
    found: set[str] = set()
    if not isinstance(elem.value, Sequence):
        return set(_uid_values(elem)) if elem.VR == "UI" else found
    for item in elem.value:
        for _, _, child in _walk(item, "", ()):
            if child.VR == "UI":
                found.update(u for u in _uid_values(child) if not u.startswith(STANDARD_UID_ROOT))
    return found


def _signature(elem: Any) -> Any:
    """A comparable form of an element's value (sequences flattened to (path, value) pairs)."""
    if elem.value is DEFERRED:
        return DEFERRED
    if isinstance(elem.value, Sequence):
        return tuple((path, _signature(child)) for item in elem.value for path, _, child in _walk(item, "", ())
                     if child.VR != "SQ")
    text = value_text(elem)
    if text is not None:
        return _norm(text)
    return _binary_value(elem.value if elem.value is not None else b"")


def _uids_replaced(in_elem: Any, out_elem: Any) -> bool:
    if isinstance(in_elem.value, Sequence):
        before, after = _instance_uids(in_elem), _instance_uids(out_elem)
        return isinstance(out_elem.value, Sequence) and not (before & after)
    values = _uid_values(out_elem)
    return bool(values) and all(UID(v).is_valid for v in values) and not (set(values) & set(_uid_values(in_elem)))


def element_outcome(action: str, in_elem: Any, out_elem: Any | None) -> str:
    """What the output did with an element.

    ``absent``; ``empty``; ``uid`` (UI values all valid and all different from the
    input's; for a sequence: none of its input instance UIDs left inside);
    ``changed`` (any other difference, compared case-insensitively); ``same``.
    """
    if out_elem is None:
        return "absent"
    if _is_empty(out_elem):
        return "empty"
    if (action in UID_ACTIONS or in_elem.VR == "UI") and _uids_replaced(in_elem, out_elem):
        return "uid"
    return "same" if _signature(in_elem) == _signature(out_elem) else "changed"


def conformance(ds_in: Dataset, ds_out: Dataset | None) -> dict[str, list[int]]:
    """action -> [elements of the input with that action, elements the output honours].

    Elements whose ancestor sequence (or item) is gone from the output count as
    honoured whatever their own action. An unreadable output (``None``) honours nothing.
    """
    counts: dict[str, list[int]] = {}
    for _, segments, elem in walk(ds_in):
        action = basic_action(segments[-1][0])
        if action is None:
            continue
        entry = counts.setdefault(action, [0, 0])
        entry[0] += 1
        if ds_out is None:
            continue
        out_elem, ancestor_gone = resolve(ds_out, segments)
        if ancestor_gone or element_outcome(action, elem, out_elem) in ALLOWED_OUTCOMES[action]:
            entry[1] += 1
    return counts


# --------------------------------------------------------------------------- required attributes

def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _same_value(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return abs(na - nb) <= 1e-6 * max(1.0, abs(na))
    return _norm(a) == _norm(b)


def _top_text(ds: Dataset | None, keyword: str) -> str | None:
    """Text of a top-level attribute by keyword (None when absent or binary)."""
    tag = tag_for_keyword(keyword)
    elem = None if ds is None or tag is None else _get(ds, tag)
    if elem is None:
        return None
    text = value_text(elem)
    if text is None and isinstance(elem.value, (int, float, MultiValue, list)):  # US/UL/FD... numbers
        values = elem.value if isinstance(elem.value, (MultiValue, list)) else [elem.value]
        text = "\\".join(str(v) for v in values)
    return text


def _region0(ds: Dataset | None) -> Dataset | None:
    if ds is None or "SequenceOfUltrasoundRegions" not in ds:
        return None
    seq = ds.SequenceOfUltrasoundRegions
    return seq[0] if len(seq) else None


def required_retained(ds_in: Dataset, ds_out: Dataset | None) -> dict[str, bool]:
    """Required attribute -> kept unchanged. Only attributes the input has are listed."""
    result: dict[str, bool] = {}
    for keyword in REQUIRED_ATTRIBUTES:
        before = _top_text(ds_in, keyword)
        if before is None:
            continue
        after = _top_text(ds_out, keyword)
        kept = _same_value(before, after)
        if keyword == "PhotometricInterpretation" and not kept and after is not None:
            kept = before.upper() in YBR_PHOTOMETRICS and after.upper() == "RGB"  # same colours once decoded
        result[keyword] = kept
    region_in = _region0(ds_in)
    if region_in is not None:
        region_out = _region0(ds_out)
        result[US_REGION_KEY] = region_out is not None and all(
            _same_value(_top_text(region_in, k), _top_text(region_out, k)) for k in US_REGION_ATTRIBUTES
            if k in region_in)
    return result


# --------------------------------------------------------------------------- views

def header_view(ds: Dataset | None) -> dict[str, str | None]:
    """The values consistency metrics need (None when absent or empty). Holds PHI: memory only."""
    view: dict[str, str | None] = {key: None for key in VIEW_KEYS}
    if ds is None:
        return view
    for key in VIEW_KEYS:
        if key == "ReferencedPatientUID":
            elem, _ = resolve(ds, ((REFERENCED_PATIENT_SEQUENCE, 0), (REFERENCED_SOP_INSTANCE_UID, None)))
            text = None if elem is None else value_text(elem)
        else:
            text = _top_text(ds, key)
        view[key] = text or None
    return view


# --------------------------------------------------------------------------- the file score

def score_header_file(input_path: Path, output_path: Path | None, output_name: str | None,
                      tag_rows: list[dict]) -> HeaderFileScore:
    """Score one output against its input and the file's ``gt/tags.csv`` rows.

    ``output_path=None`` (the engine failed) scores the unchanged input as the
    output for coverage and leaks, honours no Annex E action and retains no
    required attribute, with ``valid=False`` and ``error="no output"``. An output that is not
    DICOM or is cut short (``unreadable``) scores at least as badly: no row removed,
    the leaks of the unchanged input plus those in its own bytes and name, no
    conformance, no required attribute, no consistency values.
    """
    rows = list(tag_rows)
    with quiet_pydicom():
        if output_path is None:
            source = out = _load(Path(input_path))
            name, error = output_name or Path(input_path).name, "no output"
        else:
            source, out = _load_input(Path(input_path)), _load(Path(output_path))
            name, error = output_name or Path(output_path).name, ""
        unreadable = output_path is not None and out.ds is None
        if out.ds is not None:
            removed = [row_removed(row, out.ds, name) for row in rows]
            leaks = find_leaks(out, name, rows, removed)
        else:  # nothing can be measured in it: the worst case, never better than no output at all
            removed = [False] * len(rows)
            error = error or "unreadable output"
            leaks = find_leaks(out, name, rows, removed)
            if unreadable:
                as_input = find_leaks(_load(Path(input_path)), Path(input_path).name, rows, removed)
                leaks = sorted(set(leaks) | set(as_input), key=lambda kl: (LEAK_KINDS.index(kl[0]), kl[1]))
        ds_in = source.ds if source.ds is not None else Dataset()
        written = out.ds if output_path is not None else None  # no output honours and retains nothing
        conf = conformance(ds_in, written)
        required = required_retained(ds_in, written)
        valid = False
        if output_path is not None and out.ds is not None:
            reason = pixels_decode(out.ds)
            valid, error = not reason, error or reason
        return HeaderFileScore(
            rows_total=len(rows), row_removed=removed, leaks=leaks, conformance=conf, required=required,
            valid=valid, input_view=header_view(source.ds), output_view=header_view(out.ds), error=error,
            unreadable=unreadable,
        )

