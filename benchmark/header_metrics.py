"""Header metrics for one (input, output) DICOM pair: tag coverage, leaks, conformance, required attributes.

Definitions are those of ``docs/metrics.md`` ("Headers"); this module scores one
file, the runner sums the counts over the dataset. Summary of what is computed:

* **Tag coverage** -- for each ``gt/tags.csv`` row of the file, whether its value
  is gone from *that path* in the output (:func:`row_removed`).
* **Leaks** -- distinct output locations where any PHI value of the file is still
  found, in any *form* (:func:`phi_forms`: the value, name components and the value's
  tokens; ``leaks_whole_value`` counts the same locations with the forms before issue 17,
  the value and its ``^``-components only): (a) every decoded element value,
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
  ``^``-components, and its tokens (name parts of >= 3 letters, leading / trailing
  >= 4 digits of an ID, a date's month+year and day+month, a time to the minute;
  :mod:`.phi_match`); forms shorter than 3 characters are not searched. Token
  boundaries: no letter/digit (Unicode) next to the hit, and a hit that starts
  (ends) with a digit may not follow ``digit.`` (precede ``.digit``), so a date
  is found neither inside a digit run nor as a dot-separated UID component.
  A token-only hit in an element holding the value the input held at the same
  path, where that path is no ``gt/tags.csv`` row, is no leak (:func:`inherited`).
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

This module scores one file and ties the parts together; the parts live in
``dicom_paths`` (tag paths, walking, element values as text), ``phi_match`` (PHI
forms and their token-bounded search), ``dicom_bytes`` (the scorer's own raw
byte-layout parser, independent of the engines on purpose) and ``header_checks``
(Annex E conformance, required attributes).
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import pixel_array
from pydicom.sequence import Sequence

from phiphantom.core.ground_truth import TagRow
from phiphantom.core.vocabulary import LEAK_KINDS

from .dicom_bytes import RawLayout, raw_layout
from .dicom_paths import (
    binary_value,
    classify_location,
    decode_text,
    get_element,
    normalized,
    parse_path,
    resolve,
    value_text,
    walk,
)
from .header_checks import conformance, required_retained, top_text
from .phi_match import PhiMatcher, inherited, phi_forms

__all__ = [
    "HeaderFileScore",
    "VIEW_KEYS",
    "header_view",
    "row_removed",
    "score_header_file",
]

REFERENCED_PATIENT_SEQUENCE = 0x00081120
REFERENCED_SOP_INSTANCE_UID = 0x00081155
#: Input values larger than this (bytes) are not read (pixel data); see :func:`get_element`.
INPUT_DEFER_SIZE = 256 * 1024
#: Raw-byte hits closer than this (bytes) are one location (one run of text, e.g. ``FAMILY GIVEN``).
RAW_MERGE_GAP = 8

#: Keys of ``input_view`` / ``output_view``.
VIEW_KEYS = (
    "PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
    "ReferencedPatientUID", "StudyDate",
)

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
    leaks_whole_value: int = 0         # leak locations by the forms before issue 17 (value, ^-components)

    @property
    def rows_removed(self) -> int:
        return sum(self.row_removed)

    @property
    def failed(self) -> bool:
        """No usable output (none written, or unreadable): its consistency counts as broken."""
        return self.unreadable or self.error == "no output"


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
        pixels = get_element(item, 0x7FE00010)
        if pixels is None or not isinstance(pixels.value, (bytes, bytearray)) or not pixels.value:
            return False
        data = bytes(pixels.value)
        bits = top_text(item, "BitsAllocated")
        wide = bits is not None and bits.isdigit() and int(bits) > 8
        encapsulated = getattr(pixels, "is_undefined_length", False)
        dtype = np.uint16 if wide and not encapsulated and len(data) % 2 == 0 else np.uint8
        values = np.frombuffer(data, dtype=dtype)
        return bool(values.size) and values.min() != values.max()
    data = elem.value
    return isinstance(data, (bytes, bytearray)) and bool(bytes(data).strip(b"\x00"))


def row_removed(row: TagRow, ds: Dataset, output_name: str) -> bool:
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
        raw = binary_value(elem.value if elem.value is not None else b"")
        text = decode_text(raw) if isinstance(raw, bytes) else raw
    if not text:
        return True
    if row["match"] == "contains":
        return value.casefold() not in text.casefold()
    return normalized(text) != normalized(value)


# --------------------------------------------------------------------------- leaks

def find_leaks(loaded: _Loaded, output_name: str, rows: list[TagRow], removed: list[bool],
               whole_value: bool, source: Dataset | None) -> list[tuple[str, str]]:
    """Distinct (kind, location) pairs where a PHI form of the file is found in the output
    (``whole_value``: the forms before issue 17, :func:`phi_forms`). A token-only hit in an element
    holding the value the input (``source``) held at that non-PHI path is no leak (:func:`inherited`)."""
    matcher = PhiMatcher(phi_forms(rows, whole_value=whole_value))
    gt_kinds = {r["tag_path"]: r["location_kind"] for r in rows if r["tag_path"] != "filename"}
    unowned = matcher if whole_value else PhiMatcher(phi_forms(rows, whole_value=True))
    excused = functools.partial(inherited, output=loaded.ds, source=None if whole_value else source,
                                phi_paths=gt_kinds, whole=unowned)
    found: dict[str, str] = {}
    if loaded.ds is not None:
        for path, _, elem in walk(loaded.ds):
            if matcher.in_text(value_text(elem)) and not excused(path):
                found.setdefault(path, classify_location(path, elem.VR, gt_kinds))
        for row, gone in zip(rows, removed, strict=False):
            if row["match"] == "rendered" and not gone:
                found.setdefault(row["tag_path"], row["location_kind"])
    if matcher.in_text(output_name):
        found.setdefault("filename", "filename")
    for location, kind in _raw_leaks(loaded.buf, loaded.layout, matcher, unowned, gt_kinds, excused):
        found.setdefault(location, kind)
    return sorted(((kind, loc) for loc, kind in found.items()), key=lambda kl: (LEAK_KINDS.index(kl[0]), kl[1]))


def _raw_leaks(buf: bytes, layout: RawLayout, matcher: PhiMatcher, unowned: PhiMatcher,
               gt_kinds: dict[str, str], excused: Callable[[str], bool]) -> Iterator[tuple[str, str]]:
    """Raw-byte hits outside binary values: attributed to their text element, else ``raw@offset``.

    Bytes no parsed element holds (mostly the binary tail of a file the walker could not parse, where
    grey levels 48-57 spell digits) are searched with the ``unowned`` forms: the whole values only.
    A hit in an ``excused`` element is no leak unless a whole value is in that element's bytes too.
    """
    if matcher.bytes_re is None:
        return
    last_raw_end = -RAW_MERGE_GAP - 1
    for start, end in layout.gaps(len(buf)):
        whole_hits = [(s, e, layout.text_element_at(s)) for s, e in unowned.byte_hits(buf, start, end)]
        whole_in = {owner[0] for _, _, owner in whole_hits if owner is not None}
        for hit_start, _ in matcher.byte_hits(buf, start, end):
            owner = layout.text_element_at(hit_start)
            if owner is not None and (owner[0] in whole_in or not excused(owner[0])):
                path, vr = owner
                yield path, classify_location(path, vr, gt_kinds)
        for hit_start, hit_end, owner in whole_hits:
            if owner is not None:
                continue
            if hit_start - last_raw_end > RAW_MERGE_GAP:
                yield f"raw@{hit_start}", "raw-bytes"
            last_raw_end = hit_end

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
            text = top_text(ds, key)
        view[key] = text or None
    return view


# --------------------------------------------------------------------------- the file score

def score_header_file(input_path: Path, output_path: Path | None, output_name: str | None,
                      tag_rows: Iterable[TagRow]) -> HeaderFileScore:
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
        else:  # nothing can be measured in it: the worst case, never better than no output at all
            removed = [False] * len(rows)
            error = error or "unreadable output"
        leaks, leaks_whole = (_file_leaks(out, name, rows, removed, input_path if unreadable else None, whole,
                                          source.ds) for whole in (False, True))
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
            unreadable=unreadable, leaks_whole_value=len(leaks_whole),
        )


def _file_leaks(out: _Loaded, name: str, rows: list[TagRow], removed: list[bool], unreadable_input: Path | None,
                whole_value: bool, source: Dataset | None) -> list[tuple[str, str]]:
    """The output's leaks; for an unreadable output, those of the unchanged input too."""
    leaks = find_leaks(out, name, rows, removed, whole_value, source)
    if unreadable_input is None:
        return leaks
    as_input = _load(Path(unreadable_input))
    as_input_leaks = find_leaks(as_input, Path(unreadable_input).name, rows, removed, whole_value, as_input.ds)
    return sorted(set(leaks) | set(as_input_leaks), key=lambda kl: (LEAK_KINDS.index(kl[0]), kl[1]))
