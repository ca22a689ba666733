"""Mutations made on the parsed data set and written back by pydicom: well-formed files of unusual shape.

Elements re-encoded under another VR (PHI as UN, a sequence as an implicit VR UN blob, text as OB), overlay
planes of odd sizes, many groups or in odd places, and private data in every awkward arrangement.
Each function changes ``ds`` in place and returns a description (variant, tags, numbers; never a
value); :class:`~.mutate_bytes.NotApplicable` when the data set lacks what it needs.
"""

from __future__ import annotations

import random

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from .markers import PRIVATE_CREATOR, marker
from .mutate_bytes import NotApplicable

_TEXT_VRS = ("LO", "SH", "LT", "ST", "UT", "UC", "PN", "CS")


def _bottom_item(rng: random.Random) -> Dataset:
    item = Dataset()
    item.PatientName = marker("FZ") + "^NEST"
    if rng.random() < 0.5:
        item.add_new(0x00100020, "LO", marker("FZ"))
    return item


def _implicit_value(element: DataElement) -> bytes:
    """An element's value as implicit VR little endian bytes (what a UN element would hold)."""
    holder = Dataset()
    holder[element.tag] = element
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, holder)
    return fp.getvalue()[8:]


def _all_elements(ds: Dataset, depth: int = 0):
    for element in ds:
        yield ds, element, depth
        if element.VR == "SQ" and depth < 4:
            for item in element.value or []:
                yield from _all_elements(item, depth + 1)


def vr_reencode(ds: Dataset, rng: random.Random) -> str:
    """One element (often a marker's) stored under another VR, correctly encoded: UN (a sequence becomes an
    implicit VR little endian blob), another text VR, or OB."""
    candidates = [(holder, el) for holder, el, _ in _all_elements(ds)
                  if el.tag not in (0x7FE00010,) and el.tag >> 16 not in (0x0002,)]
    marked = [(h, e) for h, e in candidates if "PHIMARK" in str(e.value)[:200] or e.VR == "SQ"]
    holder, element = (rng.choice(marked) if marked and rng.random() < 0.7 else rng.choice(candidates))
    variant = rng.choice(["UN", "UN", "text", "OB"])
    try:
        raw = _implicit_value(element)
    except Exception as exc:  # noqa: BLE001 - a value pydicom will not encode
        raise NotApplicable from exc
    if variant == "text" and element.VR in _TEXT_VRS + ("DA", "DT", "TM", "AE", "AS", "DS", "IS", "UI"):
        new_vr = rng.choice(_TEXT_VRS)
        holder[element.tag] = DataElement(element.tag, new_vr, raw.decode("latin-1").rstrip("\0 "))
    elif variant == "OB" and element.VR != "SQ":
        holder[element.tag] = DataElement(element.tag, "OB", raw)
    else:
        variant = "UN"
        holder[element.tag] = DataElement(element.tag, "UN", raw)
    return f"vr:reencode_{variant}:{Tag(element.tag)}:{element.VR}"


def overlay_attributes(ds: Dataset, rng: random.Random) -> str:
    """Overlay planes of odd sizes and shapes: rows/columns/bits/bit position/frames/origin/type changed,
    sixteen overlay groups, an odd (private) 6001 group, an overlay inside a sequence item, an overlay
    embedded in 16-bit pixel data, or an overlay without data."""
    group = 0x6000
    variant = rng.choice(["rows", "columns", "bits_allocated", "bit_position", "frames", "origin", "type",
                          "many_groups", "odd_group", "in_item", "embedded", "no_data"])
    el = lambda element: (group << 16) | element  # noqa: E731
    if variant == "rows":
        ds.add_new(el(0x0010), "US", rng.choice([0, 1, 2, int(ds.get("Rows", 8) or 8) * 2, 65535]))
    elif variant == "columns":
        ds.add_new(el(0x0011), "US", rng.choice([0, 1, 3, int(ds.get("Columns", 8) or 8) * 2, 65535]))
    elif variant == "bits_allocated":
        ds.add_new(el(0x0100), "US", rng.choice([0, 2, 8, 16, 65535]))
    elif variant == "bit_position":
        ds.add_new(el(0x0102), "US", rng.choice([1, 7, 12, 15, 16, 255]))
    elif variant == "frames":
        ds.add_new(el(0x0015), "IS", rng.choice(["0", "2", "1000000", "-3"]))
        ds.add_new(el(0x0051), "US", rng.choice([0, 1, 2, 65535]))
    elif variant == "origin":
        ds.add_new(el(0x0050), "SS", rng.choice([[0, 0], [-32768, 32767], [10000, 10000], [1]]))
    elif variant == "type":
        ds.add_new(el(0x0040), "CS", rng.choice(["R", "Z", "", "GR"]))
    elif variant == "many_groups":
        for g in range(0x6002, 0x6020, 2):
            ds.add_new((g << 16) | 0x0010, "US", 4)
            ds.add_new((g << 16) | 0x0011, "US", 4)
            ds.add_new((g << 16) | 0x0100, "US", 1)
            ds.add_new((g << 16) | 0x1500, "LO", marker("FZ"))
            ds.add_new((g << 16) | 0x3000, "OW", b"\xff\x00")
    elif variant == "odd_group":
        ds.add_new(0x60010010, "LO", PRIVATE_CREATOR)
        ds.add_new(0x60011022, "LO", marker("FZ"))
        ds.add_new(0x60011030, "OW", b"\x01\x02" * 8)
    elif variant == "in_item":
        item = Dataset()
        item.add_new(0x60000010, "US", 2)
        item.add_new(0x60000011, "US", 2)
        item.add_new(0x60001500, "LO", marker("FZ"))
        item.add_new(0x60003000, "OW", b"\x0f\x00")
        ds.add_new(0x00082218, "SQ", Sequence([item]))
    elif variant == "embedded":  # retired: the overlay lives in the unused high bits of the pixel data
        if 0x60003000 in ds:
            del ds[0x60003000]
        ds.add_new(el(0x0100), "US", 16)
        ds.add_new(el(0x0102), "US", 12)
    else:
        if 0x60003000 in ds:
            del ds[0x60003000]
    return f"overlay:{variant}"


def private_tricks(ds: Dataset, rng: random.Random) -> str:
    """Private data in awkward arrangements: no creator, a creator that holds a marker, data in a block whose
    creator slot is empty, odd groups 0001-0007 and FFFF, a private block inside a kept sequence item, a
    private UN element holding an implicit VR sequence with a marker."""
    variant = rng.choice(["no_creator", "creator_marker", "empty_slot", "reserved_group", "group_ffff", "in_item",
                          "un_sequence"])
    if variant == "no_creator":
        if 0x00090010 in ds:
            del ds[0x00090010]
        ds.add_new(0x00091004, "LO", marker("FZ"))
    elif variant == "creator_marker":
        ds.add_new(0x00090011, "LO", marker("FZ"))
        ds.add_new(0x00091101, "LO", marker("FZ"))
    elif variant == "empty_slot":
        ds.add_new(0x00092201, "LO", marker("FZ"))
    elif variant == "reserved_group":
        group = rng.choice([0x0001, 0x0003, 0x0005, 0x0007])
        ds.add_new((group << 16) | 0x0010, "LO", PRIVATE_CREATOR)
        ds.add_new((group << 16) | 0x1001, "LO", marker("FZ"))
    elif variant == "group_ffff":
        ds.add_new(0xFFFF0010, "LO", PRIVATE_CREATOR)
        ds.add_new(0xFFFF1001, "LO", marker("FZ"))
    elif variant == "in_item":
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "T-D3000", "SRT", "Chest"
        item.add_new(0x00190010, "LO", PRIVATE_CREATOR)
        item.add_new(0x00191001, "LO", marker("FZ"))
        ds.add_new(0x00082218, "SQ", Sequence([item]))
    else:
        inner = DataElement(0x00091005, "SQ", Sequence([_bottom_item(rng)]))
        if 0x00090010 not in ds:
            ds.add_new(0x00090010, "LO", PRIVATE_CREATOR)
        ds[0x00091005] = DataElement(0x00091005, "UN", _implicit_value(inner))
    return f"private:{variant}"
