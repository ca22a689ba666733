"""Injected PHI markers: where the fuzzer hides them in a seed file and how an output is searched for them.

Every marker is ``PHIMARK`` followed by a two-letter code naming its place (``PHIMARKPN`` in
PatientName, ``PHIMARKUK`` in the undefined public tag (0010,9999), ...), so a leak says where the
PHI came from. Dates get a date-shaped marker (:data:`DATE_MARKER`, a real date no generator
makes). An output leaks when its bytes hold a marker in any form a reader could recover: as
written, case-folded, or as UTF-16 (either byte order). The markers are made-up strings, not PHI,
so reports may name them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import cast

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from phiphantom.synth.overlay_plane import add_overlay_plane

PREFIX = "PHIMARK"
DATE_MARKER = "19130313"          # 13 March 1913: a date-shaped marker for DA/DT elements
DATETIME_MARKER = DATE_MARKER + "101010"
PRIVATE_CREATOR = "PHIFUZZ"

#: code -> what holds it (for reports)
PLACES = {
    "PN": "PatientName (0010,0010)",
    "ID": "PatientID (0010,0020)",
    "RP": "ReferringPhysicianName (0008,0090)",
    "IN": "InstitutionName (0008,0080)",
    "IA": "InstitutionAddress (0008,0081)",
    "AC": "AccessionNumber (0008,0050)",
    "IC": "ImageComments (0020,4000)",
    "OP": "OtherPatientIDsSequence[0].PatientID (nested sequence)",
    "NS": "AnatomicRegionSequence[0].AnatomicRegionModifierSequence[0].PatientName (two levels deep)",
    "PR": "private element (0009,1001) LO",
    "PU": "private element (0009,1002) UN",
    "PS": "private sequence (0009,1003)[0].PatientName",
    "UK": "undefined public tag (0010,9999)",
    "OD": "OverlayDescription (6000,0022)",
    "OL": "OverlayLabel (6000,1500)",
    "CV": "curve label (5000,2500)",
    "TP": "DataSetTrailingPadding (FFFC,FFFC)",
    "MT": "SourceApplicationEntityTitle (0002,0016), file meta",
    "PA": "128-byte preamble",
    "FZ": "a marker placed by a mutation (deep nesting, private, charset)",
    "DATE": "date-shaped marker in StudyDate, PatientBirthDate, AcquisitionDateTime",
}


def marker(code: str) -> str:
    return PREFIX + code


def _needles() -> list[tuple[bytes, str]]:
    """(byte pattern searched in the lower-cased output, form)."""
    low = PREFIX.lower()
    return [(low.encode("ascii"), "ascii"), ("\0".join(low).encode("ascii"), "utf-16"),
            (DATE_MARKER.encode("ascii"), "date")]


_NEEDLES = _needles()
_CODE_AFTER = re.compile(rb"phimark([a-z]{2})")


def find_leaks(data: bytes) -> list[str]:
    """Codes of the markers present in ``data`` (``DATE`` for the date marker, ``??`` when only a
    UTF-16 form is there); empty when none."""
    low = bytes(data).lower()
    codes: set[str] = set()
    for needle, form in _NEEDLES:
        if needle not in low:
            continue
        if form == "ascii":
            found = {m.group(1).decode("ascii").upper() for m in _CODE_AFTER.finditer(low)}
            codes.update(found or {"??"})  # "??": the prefix without a readable code after it
        elif form == "date":
            codes.add("DATE")
        else:
            codes.add("??")
    return sorted(codes)


def holds_marker(value: object) -> bool:
    """Whether an element value (text, bytes, numbers, lists of them) carries a marker."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bool(find_leaks(bytes(value)))
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return any(holds_marker(v) for v in cast(Iterable[object], value))
    return bool(find_leaks(str(value).encode("utf-8", "replace")))


def _item(**elements) -> Dataset:
    item = Dataset()
    for keyword, value in elements.items():
        setattr(item, keyword, value)
    return item


def inject(ds: Dataset) -> None:
    """Put every marker into ``ds`` (the file meta and preamble included). Overlay and curve groups
    are added when the seed has none."""
    ds.PatientName = marker("PN") + "^FUZZ"
    ds.PatientID = marker("ID")
    ds.ReferringPhysicianName = marker("RP") + "^DR"
    ds.InstitutionName = marker("IN")
    ds.InstitutionAddress = marker("IA") + " 1 Main Street"
    ds.AccessionNumber = marker("AC")
    ds.ImageComments = "seen by " + marker("IC")
    ds.StudyDate = DATE_MARKER
    ds.PatientBirthDate = DATE_MARKER
    ds.AcquisitionDateTime = DATETIME_MARKER
    ds.OtherPatientIDsSequence = Sequence([_item(PatientID=marker("OP"), TypeOfPatientID="TEXT")])
    modifier = _item(CodeValue="T-D0050", CodingSchemeDesignator="SRT", CodeMeaning="Tissue")
    modifier.PatientName = marker("NS")
    region = _item(CodeValue="T-D3000", CodingSchemeDesignator="SRT", CodeMeaning="Chest")
    region.AnatomicRegionModifierSequence = Sequence([modifier])
    ds.AnatomicRegionSequence = Sequence([region])
    block = ds.private_block(0x0009, PRIVATE_CREATOR, create=True)
    block.add_new(0x01, "LO", marker("PR"))
    block.add_new(0x02, "UN", (marker("PU") + " raw").encode("ascii"))
    block.add_new(0x03, "SQ", Sequence([_item(PatientName=marker("PS"))]))
    ds.add_new(0x00109999, "LO", marker("UK"))
    if 0x60000010 not in ds:
        add_overlay(ds)
    ds.add_new(0x60000022, "LO", marker("OD"))
    ds.add_new(0x60001500, "LO", marker("OL"))
    ds.add_new(0x50000005, "US", 2)         # Curve Dimensions
    ds.add_new(0x50000010, "US", 2)         # Number of Points
    ds.add_new(0x50000020, "CS", "POLY")    # Type of Data
    ds.add_new(0x50000103, "US", 0)         # Data Value Representation
    ds.add_new(0x50002500, "LO", marker("CV"))
    ds.add_new(0x50003000, "OW", b"\x01\x00\x02\x00\x03\x00\x04\x00")
    ds.add_new(0xFFFCFFFC, "OB", (marker("TP") + " padding ").encode("ascii"))
    ds.file_meta.SourceApplicationEntityTitle = marker("MT")
    ds.preamble = (marker("PA") + " ").encode("ascii").ljust(128, b"\0")


def add_overlay(ds: Dataset, rows: int | None = None, columns: int | None = None) -> None:
    """An Overlay Plane module in group 6000 (a checkerboard bitmap the size of the image)."""
    rows = int(rows or ds.get("Rows", 16) or 16)
    columns = int(columns or ds.get("Columns", 16) or 16)
    bits = rows * columns
    data = bytes((0xAA if (i // 4) % 2 else 0x55) for i in range((bits + 7) // 8))
    add_overlay_plane(ds, rows, columns, data)
