"""Annex E conformance and required attributes of one output, against its input (``docs/metrics.md``, "Headers").

* **Conformance** -- every element of the input with a PS3.15 Annex E
  basic-profile action, checked at the same path in the output
  (:func:`conformance`, outcomes by :func:`element_outcome`). An element inside a
  sequence/item the output removed or emptied is honoured, whatever the
  sequence's own action. A replaced UID counts as a dummy for Z/D actions.
  ``X/Z/U*`` on a sequence: removed, emptied, or kept with none of its instance
  UIDs (standard ``1.2.840.10008.*`` UIDs excluded) left inside.
* **Required attributes** -- the attributes a viewer or a measurement needs,
  unchanged (:func:`required_retained`).
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import UID

from phiphantom.core.profile import basic_action

from .dicom_paths import (
    DEFERRED,
    binary_value,
    get_element,
    is_empty,
    normalized,
    resolve,
    value_text,
    walk,
)

__all__ = [
    "ALLOWED_OUTCOMES",
    "REQUIRED_ATTRIBUTES",
    "US_REGION_KEY",
    "conformance",
    "element_outcome",
    "required_retained",
    "top_text",
]

STANDARD_UID_ROOT = "1.2.840.10008."

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


def _uid_values(elem: Any) -> list[str]:
    text = value_text(elem)
    return [v.strip(" \x00") for v in text.split("\\")] if text else []


def _instance_uids(elem: Any) -> set[str]:
    """UI values inside a sequence element (recursively), standard (1.2.840.10008.*) UIDs excluded."""
    found: set[str] = set()
    if not isinstance(elem.value, Sequence):
        return set(_uid_values(elem)) if elem.VR == "UI" else found
    for item in elem.value:
        for _, _, child in walk(item, include_meta=False):
            if child.VR == "UI":
                found.update(u for u in _uid_values(child) if not u.startswith(STANDARD_UID_ROOT))
    return found


def _signature(elem: Any) -> Any:
    """A comparable form of an element's value (sequences flattened to (path, value) pairs)."""
    if elem.value is DEFERRED:
        return DEFERRED
    if isinstance(elem.value, Sequence):
        return tuple((path, _signature(child)) for item in elem.value
                     for path, _, child in walk(item, include_meta=False) if child.VR != "SQ")
    text = value_text(elem)
    if text is not None:
        return normalized(text)
    return binary_value(elem.value if elem.value is not None else b"")


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
    if is_empty(out_elem):
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
    return normalized(a) == normalized(b)


def top_text(ds: Dataset | None, keyword: str) -> str | None:
    """Text of a top-level attribute by keyword (None when absent or binary)."""
    tag = tag_for_keyword(keyword)
    elem = None if ds is None or tag is None else get_element(ds, tag)
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
        before = top_text(ds_in, keyword)
        if before is None:
            continue
        after = top_text(ds_out, keyword)
        kept = _same_value(before, after)
        if keyword == "PhotometricInterpretation" and not kept and after is not None:
            kept = before.upper() in YBR_PHOTOMETRICS and after.upper() == "RGB"  # same colours once decoded
        result[keyword] = kept
    region_in = _region0(ds_in)
    if region_in is not None:
        region_out = _region0(ds_out)
        result[US_REGION_KEY] = region_out is not None and all(
            _same_value(top_text(region_in, k), top_text(region_out, k)) for k in US_REGION_ATTRIBUTES
            if k in region_in)
    return result
