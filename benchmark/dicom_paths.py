"""DICOM tag paths and element access for the header scorer: parse, walk, resolve, read values as text.

A tag path is the ground truth's syntax (``"(0040,0275)[0].(0008,0050)"``, see
``docs/metrics.md``). :func:`walk` yields every element of a dataset, file meta
included, with its path; :func:`resolve` finds the element at a path;
:func:`value_text` reads an element's value as text (None for binary VRs);
:func:`classify_location` names the location kind of a path. Inputs are read with
large values deferred: :func:`get_element` never reads them (:data:`DEFERRED`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

__all__ = [
    "BINARY_VRS",
    "DEFERRED",
    "Segment",
    "binary_value",
    "classify_location",
    "decode_text",
    "get_element",
    "implicit_vr",
    "is_empty",
    "is_private",
    "normalized",
    "parse_path",
    "resolve",
    "tag_text",
    "value_text",
    "walk",
]

#: Value representations whose values are binary: not searched as text, skipped in the raw-byte scan.
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "US", "SS", "UL", "SL", "FL", "FD", "AT", "UV", "SV"})
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT"})
FREE_TEXT_KEYWORDS = frozenset({
    "ImageComments", "StudyDescription", "SeriesDescription", "PatientComments", "AdditionalPatientHistory",
    "RequestedProcedureDescription",
})
ICON_SEQUENCE = 0x00880200


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


def tag_text(tag: int) -> str:
    """``0x00100010`` -> ``"(0010,0010)"``: a tag as a path segment."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def is_private(tag: int) -> bool:
    """Whether the tag's group is odd (a private element or creator)."""
    return bool((tag >> 16) & 1)



@functools.lru_cache(maxsize=4096)
def implicit_vr(tag: int) -> str:
    """The VR of ``tag`` in an implicit-VR file: the data dictionary's (first) VR; private creators LO, else UN."""
    if is_private(tag):
        return "LO" if 0x0010 <= (tag & 0xFFFF) <= 0x00FF else "UN"
    try:
        return dictionary_VR(tag).split(" or ")[0]
    except KeyError:
        return "UN"



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
    if any(is_private(tag) for tag in tags):
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


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _scalar_text(value: Any) -> str:
    return decode_text(value) if isinstance(value, bytes) else str(value)


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


def normalized(text: str) -> str:
    return text.strip(" \x00").casefold()


def binary_value(value: Any) -> bytes | str:
    """A comparable form of a non-text value (bytes as is, numbers as text)."""
    return bytes(value) if isinstance(value, (bytes, bytearray)) else str(value)


def is_empty(elem: Any) -> bool:
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


def get_element(container: Dataset, tag: int) -> Any:
    """Element ``tag`` of ``container`` (converted), or a raw stand-in when conversion fails; None if absent.

    A large value that pydicom deferred (inputs are read with ``defer_size``) is not
    read: it becomes a stand-in with value :data:`DEFERRED`, unless it is a sequence.
    """
    if tag not in container:
        return None
    raw = container.get_item(tag)
    if isinstance(raw, RawDataElement) and raw.value is None and raw.length != 0:
        vr = raw.VR or implicit_vr(int(tag))
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
        elem = get_element(container, tag)
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
    for key in list(container.keys()):
        elem = get_element(container, key)
        if elem is None:
            continue
        tag = int(key)
        path = f"{prefix}{tag_text(tag)}"
        yield path, segments + ((tag, None),), elem
        if elem.VR == "SQ" and isinstance(elem.value, Sequence):
            for i, item in enumerate(elem.value):
                yield from _walk(item, f"{path}[{i}].", segments + ((tag, i),))
