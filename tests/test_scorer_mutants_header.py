"""The per-file header scorer at its edges (docs/metrics.md "Headers", docs/mutation.md).

Small real DICOM files written with pydicom and read back by ``score_header_file``, each with the exact
leaks, coverage, validity or failure the definitions imply: raw-byte hits from offset 0 and merged only
when less than 8 bytes apart; the ground truth's location kind beating the rule; values found in
decoded elements that the raw bytes do not show (a deflated dataset); a value still at its path under
a binary VR; overlay and 16-bit icon bitmaps, blank or not; outputs that are not DICOM (file meta alone,
cut short, undecodable bytes after the preamble) versus outputs that are DICOM but invalid (pixels that
do not decode, no pixels), which are not failed files; and Annex E actions on values that pydicom
defers when reading the input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian

from phiphantom.benchmark.header_metrics import HeaderFileScore, row_removed, score_header_file
from phiphantom.core.ground_truth import TagRow

from .helpers import image, save

NAME, MRN, ADDRESS = "Horvath^Ana", "MRN48151623", "12 Quay Street, Galway"


def _row(tag_path: str, value: str, vr: str = "LO", kind: str = "standard", category: str = "id",
         match: str = "exact") -> TagRow:
    return TagRow.from_row({"file": "f.dcm", "tag_path": tag_path, "vr": vr, "location_kind": kind,
                            "category": category, "injected_value": value, "match": match}, lenient=True)


ROWS = [_row("(0010,0010)", NAME, vr="PN", category="name"), _row("(0010,0020)", MRN),
        _row("(0008,0081)", ADDRESS, vr="ST", category="address")]


def _input(tmp_path: Path) -> Path:
    ds = image(NAME, MRN, 1)
    ds.InstitutionAddress = ADDRESS
    return save(ds, tmp_path / "in" / "f.dcm")


def _clean() -> Dataset:
    """A de-identified version of the input: no PHI left anywhere."""
    return image("Anon^Patient", "PSEUDO1", 2)


def _score(tmp_path: Path, out: Path, rows: list[TagRow] = ROWS) -> HeaderFileScore:
    return score_header_file(_input(tmp_path), out, out.name, rows)


# --------------------------------------------------------------------------- leaks

def test_raw_hits_count_from_offset_zero_and_merge_when_less_than_eight_bytes_apart(tmp_path: Path):
    ds = _clean()
    #          0..7       +8 gap: merged   +9 gap: a new location
    ds.preamble = (b"HORVATH" + b"\0" * 8 + b"ANA" + b"\0" * 9 + b"ANA").ljust(128, b"\0")
    s = _score(tmp_path, save(ds, tmp_path / "out.dcm"))
    assert s.leaks == [("raw-bytes", "raw@0"), ("raw-bytes", "raw@27")]
    assert all(s.row_removed) and s.valid and not s.failed


def test_a_leak_at_a_ground_truth_path_takes_the_rows_kind(tmp_path: Path):
    ds = _clean()
    ds.InstitutionAddress = ADDRESS            # ST: "free-text" by rule, "standard" in this ground truth
    ds.ImageComments = f"see {MRN}"            # not a ground-truth path: by rule
    s = _score(tmp_path, save(ds, tmp_path / "out.dcm"))
    assert s.leaks == [("standard", "(0008,0081)"), ("free-text", "(0020,4000)")]
    assert s.row_removed == [True, True, False]


def test_values_are_found_in_decoded_elements_the_raw_bytes_do_not_show(tmp_path: Path):
    ds = _clean()
    ds.ImageComments = f"follow-up for {MRN}."
    out = save(ds, tmp_path / "out.dcm", DeflatedExplicitVRLittleEndian)
    assert MRN.encode() not in out.read_bytes()  # deflated: only the decoded dataset shows it
    s = _score(tmp_path, out)
    assert s.leaks == [("free-text", "(0020,4000)")] and s.valid


def test_a_value_left_at_its_path_under_a_binary_vr_is_not_removed(tmp_path: Path):
    ds = _clean()
    del ds.PatientID
    ds.add_new(0x00100020, "OB", MRN.encode() + b"\0")      # same bytes, now OB: the value is still there
    out = save(ds, tmp_path / "out.dcm")
    s = _score(tmp_path, out)
    assert s.row_removed == [True, False, True]
    assert s.leaks == []                                     # binary values are not searched as text
    read = pydicom.dcmread(out)
    assert row_removed(_row("(0010,0020)", MRN.lower()), read, out.name) is False   # compared case-insensitively
    assert row_removed(_row("(0010,0020)", "MRN00000000"), read, out.name) is True


def _overlay(data: bytes) -> Dataset:
    ds = _clean()
    ds.add_new(0x60000010, "US", 8)
    ds.add_new(0x60000011, "US", 8)
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60003000, "OW", data)
    return ds


def test_an_overlay_row_is_removed_when_its_bitmap_is_blank(tmp_path: Path):
    rows = [*ROWS, _row("(6000,3000)", NAME, vr="OW", kind="overlay", category="name", match="rendered")]
    blank = _score(tmp_path, save(_overlay(bytes(8)), tmp_path / "blank.dcm"), rows)
    assert blank.row_removed == [True, True, True, True] and blank.leaks == []
    shown = _score(tmp_path, save(_overlay(b"\0\0\x18\x3c\x3c\x18\0\0"), tmp_path / "shown.dcm"), rows)
    assert shown.row_removed == [True, True, True, False]
    assert shown.leaks == [("overlay", "(6000,3000)")]       # a rendered row still shown is a leak


def _icon(pixels: np.ndarray, bits: int) -> Dataset:
    icon = Dataset()
    icon.SamplesPerPixel, icon.PhotometricInterpretation = 1, "MONOCHROME2"
    icon.Rows, icon.Columns = 4, 4
    icon.BitsAllocated, icon.BitsStored, icon.HighBit, icon.PixelRepresentation = bits, bits, bits - 1, 0
    icon.PixelData = pixels.tobytes()
    icon["PixelData"].VR = "OW" if bits > 8 else "OB"
    ds = _clean()
    ds.IconImageSequence = [icon]
    return ds


def test_a_16_bit_icon_is_blank_when_its_pixels_are_constant_not_its_bytes(tmp_path: Path):
    rows = [*ROWS, _row("(0088,0200)", NAME, vr="SQ", kind="icon", category="name", match="rendered")]
    constant = np.full(16, 0x0100, dtype=np.uint16)           # bytes 00 01 00 01 ...: one pixel value
    s = _score(tmp_path, save(_icon(constant, 16), tmp_path / "blank16.dcm"), rows)
    assert s.row_removed[-1] is True and s.leaks == []
    varied = constant.copy()
    varied[5] = 0x0101
    s = _score(tmp_path, save(_icon(varied, 16), tmp_path / "shown16.dcm"), rows)
    assert s.row_removed[-1] is False and s.leaks == [("icon", "(0088,0200)")]
    s = _score(tmp_path, save(_icon(np.tile(np.array([0, 1], np.uint8), 8), 8), tmp_path / "shown8.dcm"), rows)
    assert s.row_removed[-1] is False


# --------------------------------------------------------------------------- unreadable versus invalid

def _unreadable(s: HeaderFileScore) -> None:
    assert s.unreadable and s.failed and not s.valid and s.error == "unreadable output"
    assert not any(s.row_removed)
    assert all(h == 0 for _, h in s.conformance.values()) and not any(s.required.values())
    assert all(v is None for v in s.output_view.values())


def test_file_meta_alone_is_not_a_dicom_output(tmp_path: Path):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.999.2"
    out = save(ds, tmp_path / "meta.dcm", ExplicitVRLittleEndian)
    assert pydicom.dcmread(out).file_meta.MediaStorageSOPInstanceUID  # pydicom reads it
    _unreadable(_score(tmp_path, out))
    # group 0002 elements in the dataset itself (after a switch to big endian) are no dataset either
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = False, False
    only_meta = Dataset()
    only_meta.add_new(0x00020013, "SH", "ENGINE 1")
    write_dataset(fp, only_meta)
    out = save(ds, tmp_path / "meta_be.dcm", ExplicitVRBigEndian)
    out.write_bytes(out.read_bytes() + fp.getvalue())
    assert list(pydicom.dcmread(out).keys()) == [0x00020013]
    _unreadable(_score(tmp_path, out))


def test_an_output_cut_short_is_not_a_dicom_output(tmp_path: Path):
    out = save(_clean(), tmp_path / "cut.dcm")
    out.write_bytes(out.read_bytes()[:-10])                   # the pixel data runs past the end
    assert pydicom.dcmread(out, force=True).PatientID == "PSEUDO1"  # pydicom reads what is left
    _unreadable(_score(tmp_path, out))


def test_undecodable_bytes_after_the_preamble_are_not_a_dicom_output(tmp_path: Path):
    meta = b"\x02\x00\x10\x00UI" + (22).to_bytes(2, "little") + DeflatedExplicitVRLittleEndian.encode() + b"\0"
    out = tmp_path / "garbage.dcm"
    out.write_bytes(b"\0" * 128 + b"DICM" + meta + b"not deflate data at all" * 4)
    _unreadable(_score(tmp_path, out))


def test_pixels_that_do_not_decode_or_no_pixels_are_invalid_but_not_failed(tmp_path: Path):
    ds = _clean()
    ds.PixelData = bytes(range(40))                           # 8x8 needs 64 bytes
    s = _score(tmp_path, save(ds, tmp_path / "short.dcm"))
    assert not s.valid and s.error.startswith("pixel data does not decode (") and not s.failed
    assert all(s.row_removed) and s.output_view["PatientID"] == "PSEUDO1"
    ds = _clean()
    del ds.PixelData
    s = _score(tmp_path, save(ds, tmp_path / "none.dcm"))
    assert not s.valid and s.error == "no pixel data" and not s.failed and not s.unreadable


# --------------------------------------------------------------------------- deferred input values

@pytest.mark.parametrize("size", [1000, 300 * 1024])
def test_a_long_value_kept_as_it_was_does_not_honour_its_action(tmp_path: Path, size: int):
    """Input values are read with a defer size (pixel data); a long text kept unchanged is still 'same'."""
    notes = ("x" * size).encode()
    src = image(NAME, MRN, 1)
    src.add_new(0x3010007A, "UT", notes.decode())             # TreatmentTechniqueNotes: Z
    inp = save(src, tmp_path / "in.dcm")
    kept = _clean()
    kept.add_new(0x3010007A, "UT", notes.decode())
    changed = _clean()
    changed.add_new(0x3010007A, "UT", "y" * size)
    z_kept = score_header_file(inp, save(kept, tmp_path / "k.dcm"), "k.dcm", ROWS).conformance["Z"]
    z_changed = score_header_file(inp, save(changed, tmp_path / "c.dcm"), "c.dcm", ROWS).conformance["Z"]
    assert z_kept[0] == z_changed[0] and z_changed[1] == z_kept[1] + 1


def test_a_multi_valued_uid_with_only_its_first_value_replaced_does_not_honour_u(tmp_path: Path):
    """The scorer side of "UID remapping keeping only the first value of a multi-valued UI element"."""
    src = image(NAME, MRN, 1)
    src.FailedSOPInstanceUIDList = ["1.2.826.0.1.3680043.10.999.7", "1.2.826.0.1.3680043.10.999.8"]  # action U
    inp = save(src, tmp_path / "in.dcm")

    def u_honoured(values: list[str], name: str) -> list[int]:
        ds = _clean()
        ds.FailedSOPInstanceUIDList = values
        return score_header_file(inp, save(ds, tmp_path / name), name, ROWS).conformance["U"]

    every = u_honoured(["2.25.11", "2.25.12"], "every.dcm")
    first_only = u_honoured(["2.25.11", "1.2.826.0.1.3680043.10.999.8"], "first.dcm")
    assert first_only[0] == every[0] and first_only[1] == every[1] - 1


def _bare(ds: Dataset, path: Path) -> Path:
    """The dataset alone: no preamble, no ``DICM``, no file meta (explicit VR little endian)."""
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, False
    write_dataset(fp, ds)
    path.write_bytes(fp.getvalue())
    return path


def test_a_bare_dataset_is_read_as_an_output_and_as_an_input(tmp_path: Path):
    out = _clean()
    del out.file_meta
    s = _score(tmp_path, _bare(out, tmp_path / "bare_out.dcm"))
    assert not s.unreadable and not s.failed and all(s.row_removed) and s.output_view["PatientID"] == "PSEUDO1"
    src = image(NAME, MRN, 1)
    del src.file_meta
    inp = _bare(src, tmp_path / "bare_in.dcm")
    s = score_header_file(inp, save(_clean(), tmp_path / "out.dcm"), "out.dcm", ROWS)
    assert s.input_view["PatientID"] == MRN and s.conformance["Z"][0] > 0


def test_an_input_pydicom_cannot_read_scores_without_conformance_checks(tmp_path: Path):
    meta = b"\x02\x00\x10\x00UI" + (22).to_bytes(2, "little") + DeflatedExplicitVRLittleEndian.encode() + b"\0"
    inp = tmp_path / "garbage_in.dcm"
    inp.write_bytes(b"\0" * 128 + b"DICM" + meta + b"not deflate data at all" * 4)
    out = save(_clean(), tmp_path / "out.dcm")
    s = score_header_file(inp, out, "out.dcm", ROWS)
    assert s.conformance == {} and all(v is None for v in s.input_view.values())
    assert all(s.row_removed) and s.valid and not s.failed


def test_exact_rows_need_the_value_itself_and_contains_rows_any_text_holding_it(tmp_path: Path):
    ds = _clean()
    ds.PatientName = NAME + "^Jr"
    out = save(ds, tmp_path / "out.dcm")
    read = pydicom.dcmread(out)
    assert row_removed(_row("(0010,0010)", NAME, vr="PN", category="name"), read, out.name) is True
    assert row_removed(_row("(0010,0010)", NAME.upper(), vr="PN", category="name", match="contains"),
                       read, out.name) is False
    assert row_removed(_row("(0010,0010)", NAME + "^Jr ", vr="PN", category="name"), read, out.name) is False


def test_bytes_without_a_preamble_and_without_a_text_element_are_not_a_dicom_output(tmp_path: Path):
    numbers = Dataset()
    numbers.Rows, numbers.Columns = 8, 8                     # US only: random bytes parse like this too
    _unreadable(_score(tmp_path, _bare(numbers, tmp_path / "numbers.dcm")))
