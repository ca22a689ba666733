"""Issue 12, fuzzing: kept header elements holding what their tag cannot hold are not passed through.

The 10,000-case fuzz run (seed 1) left 4 leaks: a sequence written as OB (case 3412) or UT (case 5219), an
implicit VR Manufacturer (LO, VM 1) whose length ran to the end of the file (case 6239) and an implicit VR
Bits Stored (US, VM 1) of 126,380 values swallowing the rest of the file (case 2101). Each test here writes
such a file with pydicom (plus a length patched in its bytes), checks the PHI marker really is in it, runs the
real command (``phiphantom deid``, header only, an ephemeral key) and reads the output back.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from .helpers import deid_header_only as _deid

MARKER = "ZQXWV^PHIMARKER"
US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"


def _read(path: Path) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def _image(syntax: str = ExplicitVRLittleEndian) -> Dataset:
    """A small ultrasound image (8-bit grey, 16 x 16) with a patient, as a generated file would have."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = US_IMAGE
    ds.file_meta.MediaStorageSOPInstanceUID = sop = generate_uid()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.SOPClassUID, ds.SOPInstanceUID = US_IMAGE, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.Manufacturer = "US", "Acme Medical"
    ds.PatientName, ds.PatientID = "DOE^JANE", "12345"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 16
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = np.arange(256, dtype=np.uint8).tobytes()
    return ds


def _item_bytes(item: Dataset) -> bytes:
    """A sequence item (explicit VR little endian, defined length), as it sits inside an SQ value."""
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    write_dataset(buffer, item)
    body = buffer.getvalue()
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body


def _code(meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "T-D3000", "SRT", meaning
    return item


def _write(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=True)
    return path


def _swallow_rest(path: Path, tag: int) -> None:
    """Implicit VR: set the length of ``tag`` (top level) to the rest of the file, as the fuzzer did."""
    data = path.read_bytes()
    at = data.index(struct.pack("<HH", tag >> 16, tag & 0xFFFF), 132)
    rest = len(data) - at - 8
    assert rest % 2 == 0
    path.write_bytes(data[:at + 4] + struct.pack("<I", rest) + data[at + 8:])


def test_sequence_written_as_ob_is_not_kept(tmp_path):
    """Issue 12 fuzzing (case 3412): a kept sequence (Anatomic Region Sequence) written as OB, its item holding
    a name, is not passed through as opaque bytes; the audit counts it."""
    ds = _image()
    ds.add(DataElement(0x00082218, "OB", _item_bytes(_code(MARKER))))
    src = _write(ds, tmp_path / "in" / "sq_as_ob.dcm")
    assert _read(src).get_item(0x00082218).VR == "OB" and MARKER.encode() in src.read_bytes()
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors and record["status"] == "ok"
    assert MARKER.encode() not in out.read_bytes()
    back = _read(out)
    assert 0x00082218 not in back or back[0x00082218].VR == "SQ"
    assert back.Manufacturer == "Acme Medical"  # the well-formed kept elements stay
    assert record["malformed_elements_removed"] == 1


def test_nested_sequence_written_as_ut_is_not_kept(tmp_path):
    """Issue 12 fuzzing (case 5219): a kept sequence inside a kept sequence's item (Anatomic Region Modifier
    Sequence) written as UT is removed; the rest of the item stays."""
    ds = _image()
    item = _code("Lung")
    item.add(DataElement(0x00082220, "UT", f"a modifier {MARKER}"))
    ds.AnatomicRegionSequence = Sequence([item])
    src = _write(ds, tmp_path / "in" / "sq_as_ut.dcm")
    assert _read(src).AnatomicRegionSequence[0][0x00082220].VR == "UT"
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors and record["status"] == "ok"
    assert MARKER.encode() not in out.read_bytes()
    kept = _read(out).AnatomicRegionSequence[0]
    assert 0x00082220 not in kept and kept.CodeValue == "T-D3000" and kept.CodeMeaning == "Lung"
    assert record["malformed_elements_removed"] == 1


def test_text_value_longer_than_its_vr_is_not_kept(tmp_path):
    """Issue 12 fuzzing (case 6239): an implicit VR Manufacturer (LO, at most 64 characters) whose length runs
    to the end of the file, swallowing the patient's name, does not reach the output."""
    ds = _image(ImplicitVRLittleEndian)
    ds.PatientName = MARKER
    src = _write(ds, tmp_path / "in" / "long_lo.dcm")
    _swallow_rest(src, 0x00080070)
    back = _read(src)
    raw = back.get_item(0x00080070).value
    assert "PatientName" not in back and MARKER.encode() in raw and len(raw) > 64
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors and record["status"] == "ok"
    assert MARKER.encode() not in out.read_bytes()
    assert record["malformed_elements_removed"] == 1
    assert _read(out).get("Manufacturer", "") in ("", None)  # Type 2 in the US Image IOD: emptied


def test_value_multiplicity_beyond_the_dictionary_is_not_kept(tmp_path):
    """Issue 12 fuzzing: a kept CS of VM 1 (Patient Position) holding three values, one of them a name, is
    removed (emptied: Type 2C in the General Series module); a kept element with values within its VM (Image
    Type, VM 2-n) stays."""
    ds = _image()
    ds.PatientPosition = ["HFS", "FFS", MARKER[:16]]
    ds.ImageType = ["ORIGINAL", "PRIMARY", "ABDOMINAL"]
    src = _write(ds, tmp_path / "in" / "vm.dcm")
    assert MARKER[:16].encode() in src.read_bytes()
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors
    back = _read(out)
    assert MARKER[:16].encode() not in out.read_bytes()
    assert back.get("PatientPosition") in (None, "")  # removed, or emptied where the IOD makes it Type 2C
    assert list(back.ImageType) == ["ORIGINAL", "PRIMARY", "ABDOMINAL"]
    assert record["malformed_elements_removed"] == 1


def test_pixel_description_with_impossible_multiplicity_rejects_the_file(tmp_path):
    """Issue 12 fuzzing (case 2101): an implicit VR Bits Stored (US, VM 1) whose length swallows the rest of the
    file (the pixel data and an element holding a name) is a MalformedDicom row, with no output."""
    ds = _image(ImplicitVRLittleEndian)
    ds.StudyComments = MARKER  # (0032,4000): after Bits Stored (0028,0101), swallowed with the pixel data
    src = _write(ds, tmp_path / "in" / "bits_stored.dcm")
    _swallow_rest(src, 0x00280101)
    back = _read(src)
    assert "PixelData" not in back and len(back.get_item(0x00280101).value) > 2
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is None and record["status"] == "error"
    assert record["error_class"] == "MalformedDicom", record
    assert len(errors) == 1 and "MalformedDicom" in errors[0] and MARKER not in errors[0]
    assert MARKER not in (tmp_path / "out" / "audit.jsonl").read_text()


def test_valid_files_lose_nothing_to_the_rule(tmp_path):
    """Issue 12 fuzzing: pydicom's valid CT and MR test files have no element removed by the malformed-value
    rule (their kept elements stay as they are)."""
    for name in ("CT_small.dcm", "MR_small.dcm"):
        src = tmp_path / name / "in" / name
        src.parent.mkdir(parents=True)
        src.write_bytes(Path(get_testdata_file(name)).read_bytes())
        out, record, errors = _deid(src, tmp_path / name / "out")
        assert out is not None and not errors and record["status"] == "ok"
        assert record.get("malformed_elements_removed", 0) == 0
        before, after = _read(src), _read(out)
        for keyword in ("Manufacturer", "Rows", "Columns", "BitsStored", "ImageType", "PixelSpacing"):
            assert str(after.get(keyword)) == str(before.get(keyword)), keyword
