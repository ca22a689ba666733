"""Issue 12 items 6 and 9: header de-identification of undefined public/UN elements and of non-ultrasound objects.

Every test runs the real command (``phiphantom deid``, header only, an ephemeral key) on real DICOM files --
pydicom's own RT Plan, SR, ECG and Segmentation test files, or one written here and read back -- and reads
the output back with pydicom; where dicom3tools is installed, dciodvfy checks that the output has no IOD
error its input did not have.
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from phiphantom.synth.external_validators import available_tools, tier3_check

from .helpers import deid_header_only as _deid
from .helpers import load_profile_regenerator

HAS_DCIODVFY = bool(available_tools()["dciodvfy"])
_UID_LIKE = re.compile(r"(?<=UID )[\d.]+\b|\b\d+(?:\.\d+){2,}\b")


def _copy(name: str, tmp_path: Path) -> Path:
    src = tmp_path / "in" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(get_testdata_file(name), src)
    return src


def _read(path: Path) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _new_iod_errors(before: Path, after: Path) -> list[str]:
    """dciodvfy errors of ``after`` that ``before`` does not have (UIDs in messages normalised: they are remapped)."""
    old = {_UID_LIKE.sub("<uid>", e) for e in tier3_check(before).errors}
    return [e for e in (_UID_LIKE.sub("<uid>", e) for e in tier3_check(after).errors) if e not in old]


# -- item 6: undefined public tags and UN elements ------------------------------------------------------------

MARKERS = ("UNDEFINED-PUBLIC-PHI-1", "UN-UNKNOWN-PHI-2", "NESTED-UNKNOWN-PHI-3", "KNOWN-AS-UN-PHI-4",
           "DR^KNOWN^UN^PHI5")


def _with_unknown_elements(tmp_path: Path) -> Path:
    """pydicom's CT_small.dcm with undefined public tags (top level and nested), UN elements of unknown and of
    known tags, written explicit VR little endian and read back."""
    ds = _read(Path(get_testdata_file("CT_small.dcm")))
    ds.add_new(0x00109999, "LO", MARKERS[0])                               # undefined public tag, explicit LO
    ds[0x00089999] = DataElement(0x00089999, "UN", MARKERS[1].encode())    # undefined public tag, UN
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "T-D3000", "SRT", "Chest"
    item.add_new(0x0040A999, "LT", MARKERS[2])                             # undefined tag in a kept sequence
    ds.AnatomicRegionSequence = Sequence([item])
    # known tags stored as UN (pydicom writes their dictionary VR, so the VR is patched in the bytes below)
    ds.OtherPatientIDs = MARKERS[3]                   # X
    ds.ReferringPhysicianName = MARKERS[4]            # Z (Type 2 in the CT IOD)
    ds.PatientPosition = "HFS"                        # not listed: kept
    for tag in [t for t in ds.keys() if not t.element]:
        del ds[tag]  # group lengths: the patch changes lengths
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    for tag, vr in ((0x00101000, b"LO"), (0x00080090, b"PN"), (0x00185100, b"CS")):
        head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr
        at = data.index(head)
        length = struct.unpack_from("<H", data, at + 6)[0]
        data = data[:at] + head[:4] + b"UN\0\0" + struct.pack("<I", length) + data[at + 8:]
    path = tmp_path / "in" / "ct_unknown.dcm"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    back = _read(path)  # the elements really are in the file, as written
    assert back.get_item(0x00080090).VR == "UN" and back.get_item(0x00185100).VR == "UN"
    assert back.get_item(0x00089999).VR == "UN" and back.get_item(0x00101000).VR == "UN"
    assert all(m.encode() in path.read_bytes() for m in MARKERS)
    return path


def test_undefined_public_and_un_elements_are_removed_and_counted(tmp_path):
    """Issue 12 item 6: undefined public tags (top level and nested, any VR, UN included) are removed by default
    and counted in the audit; UN elements of known tags get their tag's normal action and dictionary VR."""
    out, record, errors = _deid(_with_unknown_elements(tmp_path), tmp_path / "out")
    assert out is not None and not errors
    data = out.read_bytes()
    for marker in MARKERS:
        assert marker.encode() not in data, marker
    ds = _read(out)
    assert 0x00109999 not in ds and 0x00089999 not in ds
    assert 0x0040A999 not in ds.AnatomicRegionSequence[0]
    assert ds.AnatomicRegionSequence[0].CodeValue == "T-D3000"      # the known rest of the item stays
    assert 0x00101000 not in ds                                     # X, as for Other Patient IDs in any VR
    assert ds[0x00080090].VR == "PN" and ds[0x00080090].value in ("", None)  # Z (Type 2): empty, PN
    assert ds[0x00185100].VR == "CS" and ds.PatientPosition == "HFS"        # kept, with its dictionary VR
    assert record["status"] == "ok" and record["unknown_elements_removed"] == 3


def test_keep_unknown_option_keeps_undefined_public_elements(tmp_path):
    """Issue 12 item 6: ``--option keep_unknown`` keeps undefined public elements (documented opt-out)."""
    out, record, errors = _deid(_with_unknown_elements(tmp_path), tmp_path / "out", "--option", "keep_unknown")
    assert out is not None and not errors
    ds = _read(out)
    assert ds[0x00109999].value == MARKERS[0]
    assert 0x0040A999 in ds.AnatomicRegionSequence[0]
    assert 0x00101000 not in ds and MARKERS[3].encode() not in out.read_bytes()  # known tags: normal actions
    assert record["unknown_elements_removed"] == 0 and "keep_unknown" in record["options"]


# -- item 9: Type 1/2 requirements of non-ultrasound IODs ------------------------------------------------------

def _items(ds: Dataset, keyword: str) -> list[Dataset]:
    """Every item of every ``keyword`` sequence, at any depth."""
    found = []
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                if elem.keyword == keyword:
                    found.append(item)
                found.extend(_items(item, keyword))
    return found


def _values(ds: Dataset, keyword: str) -> list:
    found = [ds.get(keyword)] if keyword in ds else []
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                found += _values(item, keyword)
    return found


def test_rt_plan_keeps_type_2_treatment_machine_name(tmp_path):
    """Issue 12 item 9: RT Plan: Beam Sequence > Treatment Machine Name (X/Z, Type 2 in RT Beams) is emptied,
    not removed; no new dciodvfy error."""
    src = _copy("rtplan.dcm", tmp_path)
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors
    before, after = _read(src), _read(out)
    names = [b.TreatmentMachineName for b in before.BeamSequence]
    assert names and all(names)
    assert len(after.BeamSequence) == len(before.BeamSequence)
    for beam in after.BeamSequence:
        assert "TreatmentMachineName" in beam and beam.TreatmentMachineName in ("", None)
    if HAS_DCIODVFY:
        assert _new_iod_errors(src, out) == []


@pytest.mark.parametrize("name", ["reportsi.dcm", "test-SR.dcm"])
def test_structured_report_keeps_its_content_tree_without_identifying_values(name, tmp_path):
    """Issue 12 item 9: SR: the Content Sequence (D, Type 1C) keeps its tree; TEXT values, names and dates in it
    become dummies, codes and references (remapped UIDs) stay; Verifying Observer items keep dummies; no new
    dciodvfy error."""
    src = _copy(name, tmp_path)
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors
    before, after = _read(src), _read(out)
    assert len(_items(after, "ContentSequence")) == len(_items(before, "ContentSequence")) > 0
    assert [i.get("ValueType") for i in _items(after, "ContentSequence")] == \
        [i.get("ValueType") for i in _items(before, "ContentSequence")]
    assert [i.ConceptNameCodeSequence[0].CodeValue for i in _items(after, "ContentSequence")
            if "ConceptNameCodeSequence" in i] == \
        [i.ConceptNameCodeSequence[0].CodeValue for i in _items(before, "ContentSequence")
         if "ConceptNameCodeSequence" in i]
    data = out.read_bytes()
    secrets = [str(v) for k in ("TextValue", "PersonName", "VerifyingObserverName", "Date", "DateTime")
               for v in _values(before, k) if v and len(str(v)) >= 4]
    assert secrets
    for secret in secrets:
        assert secret.encode() not in data, f"{name}: an original SR value survived"
    for text in _values(after, "TextValue"):
        assert text == "ANONYMIZED"
    if "VerifyingObserverSequence" in before:
        assert len(after.VerifyingObserverSequence) == len(before.VerifyingObserverSequence)
        assert all(i.VerifyingObserverName == "ANONYMIZED" for i in after.VerifyingObserverSequence)
    originals = {str(v) for v in _values(before, "ReferencedSOPInstanceUID")}
    remapped = {str(v) for v in _values(after, "ReferencedSOPInstanceUID")}
    assert len(remapped) == len(originals) and not remapped & originals
    if HAS_DCIODVFY:
        assert _new_iod_errors(src, out) == []


def test_ecg_keeps_its_waveform_annotations_without_text(tmp_path):
    """Issue 12 item 9: 12-lead ECG: Waveform Annotation Sequence (X/D, Type 1 in Waveform Annotation) keeps its
    items, with the annotation text replaced; no new dciodvfy error."""
    src = _copy("waveform_ecg.dcm", tmp_path)
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors
    before, after = _read(src), _read(out)
    assert len(after.WaveformAnnotationSequence) == len(before.WaveformAnnotationSequence) > 0
    texts = [i.UnformattedTextValue for i in before.WaveformAnnotationSequence if "UnformattedTextValue" in i]
    assert texts
    assert [i.get("UnformattedTextValue") for i in after.WaveformAnnotationSequence if "UnformattedTextValue" in i] \
        == ["ANONYMIZED"] * len(texts)
    assert after.WaveformSequence[0].WaveformData == before.WaveformSequence[0].WaveformData
    if HAS_DCIODVFY:
        assert _new_iod_errors(src, out) == []


def test_segmentation_keeps_type_2_source_image_references(tmp_path):
    """Issue 12 item 9: Segmentation: Per-Frame Functional Groups > Derivation Image > Source Image Sequence
    (X/Z/U*, Type 2 in the Derivation Image macro) keeps its references with remapped UIDs, matching the
    remapped Referenced Series Sequence; no new dciodvfy error."""
    src = _copy("liver_1frame.dcm", tmp_path)
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is not None and not errors
    before, after = _read(src), _read(out)
    source = lambda ds: [s.ReferencedSOPInstanceUID for f in ds.PerFrameFunctionalGroupsSequence  # noqa: E731
                         for d in f.DerivationImageSequence for s in d.SourceImageSequence]
    assert source(before) and len(source(after)) == len(source(before))
    assert not set(source(after)) & set(source(before))
    listed = {i.ReferencedSOPInstanceUID for s in after.ReferencedSeriesSequence for i in s.ReferencedInstanceSequence}
    assert set(source(after)) <= listed
    if HAS_DCIODVFY:
        assert _new_iod_errors(src, out) == []


def test_encapsulated_document_is_refused_clearly(tmp_path):
    """Issue 12 item 9: an object whose Type 1 binary content the profile replaces (Encapsulated PDF: Encapsulated
    Document, D) cannot be given a valid dummy: one clear error row, no output."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality = "DOE^JANE", "PDF-PHI-1", "DOC"
    ds.PatientBirthDate = ds.PatientSex = ds.StudyDate = ds.StudyTime = ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ds.StudyID = ""
    ds.SeriesNumber = ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime, ds.AcquisitionDateTime = "20240101", "120000", "20240101120000"
    ds.BurnedInAnnotation, ds.DocumentTitle = "YES", "Report"
    ds.ConceptNameCodeSequence = Sequence()
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = b"%PDF-1.4 Jane Doe, born 1970-01-01 %%EOF\n"
    ds.Manufacturer = ""
    src = tmp_path / "in" / "doc.dcm"
    src.parent.mkdir(parents=True)
    ds.save_as(src, enforce_file_format=True)
    out, record, errors = _deid(src, tmp_path / "out")
    assert out is None and record["status"] == "error" and record["error_class"] == "DeidError"
    assert len(errors) == 1 and "not supported" in errors[0] and "(0042,0011)" in errors[0]
    assert "Jane" not in errors[0]


# -- the tables behind item 9 --------------------------------------------------------------------------------

def test_sequence_type_tables_match_their_hashes_and_regenerate(tmp_path):
    """Tables behind issue 12 item 9: sequence_attributes.csv and iod_fg_macros.csv are what the regenerator
    writes from dicom-standard 0.1.0 (byte-identical when the sources are installed) and match their sha256."""
    import hashlib
    import importlib.metadata

    from phiphantom.core.profile import annex_e
    from phiphantom.core.profile.annex_e import read_table_bytes
    from phiphantom.core.profile.iod_types import nested_attribute_type

    for name, sha in ((annex_e.SEQUENCE_ATTRIBUTES_FILENAME, annex_e.SEQUENCE_ATTRIBUTES_SHA256),
                      (annex_e.IOD_FG_MACROS_FILENAME, annex_e.IOD_FG_MACROS_SHA256)):
        assert hashlib.sha256(read_table_bytes(name)).hexdigest() == sha, name
    rt_plan, seg, sr = "1.2.840.10008.5.1.4.1.1.481.5", "1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.88.33"
    assert nested_attribute_type(rt_plan, (0x300A00B0, 0x300A00B2)) == "2"          # Beam > Treatment Machine Name
    assert nested_attribute_type(seg, (0x52009230, 0x00089124, 0x00082112)) == "2"  # frame > Derivation > Source
    assert nested_attribute_type(seg, (0x52009229, 0x00089124, 0x00082112)) == "2"  # shared groups too
    assert nested_attribute_type(sr, (0x0040A730, 0x0040A730, 0x00081199, 0x00081155)) is None  # U: not tabled
    assert nested_attribute_type("1.2.3.4", (0x300A00B0, 0x300A00B2)) is None       # unknown SOP Class
    try:
        versions = [importlib.metadata.version(d) for d in ("dicom-standard", "dicom-anonymizer")]
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("dicom-standard / dicom-anonymizer not installed (the `test` extra): not regenerated")
    if versions != ["0.1.0", "2.1.0"] or pydicom.__version__ != "3.0.2":
        pytest.skip(f"tables come from dicom-standard 0.1.0, dicom-anonymizer 2.1.0, pydicom 3.0.2; have {versions}")
    regenerate = load_profile_regenerator()
    assert regenerate.main(["--out-dir", str(tmp_path)]) == 0
    for name in (annex_e.SEQUENCE_ATTRIBUTES_FILENAME, annex_e.IOD_FG_MACROS_FILENAME):
        assert (tmp_path / name).read_bytes() == read_table_bytes(name), name


@pytest.mark.parametrize(("action", "attr_type", "expected"), [
    ("X", "1", "D"), ("X", "1C", "D"), ("X", "2", "Z"), ("X", "2C", "Z"), ("X", "3", "X"), ("X", None, "X"),
    ("Z", "1", "D"), ("Z", "2", "Z"), ("Z", None, "Z"),
    ("X/Z/U*", "1", "U*"), ("X/Z/U*", "2", "U*"), ("X/Z/U*", "3", "X"),
    ("X/Z", "2", "Z"), ("X/D", "2", "D"), ("D", None, "D"), ("U", "1", "U"), ("K", "1", "K"),
])
def test_conformant_action(action, attr_type, expected):
    """Tables behind issue 12 item 9: an action the IOD's Type forbids becomes a dummy / empty value."""
    from phiphantom.core.profile.annex_e import conformant_action

    assert conformant_action(action, attr_type) == expected
