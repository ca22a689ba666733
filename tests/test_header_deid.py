"""The bundled engine's header de-identification on real generated files (hard: every hidden place)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pydicom
import pytest
from pydicom.filewriter import dcmwrite
from pydicom.uid import UID

from phiphantom.deid.api import deidentify_file
from phiphantom.deid.config import DeidConfig
from phiphantom.deid.header_deid import DeidOptions
from phiphantom.deid.keys import DeidKeyError, load_key
from phiphantom.synth.external_validators import available_tools, tier3_check

from .helpers import read_csv

KEY = b"k" * 32


@pytest.fixture(scope="module")
def files(engine_dataset):
    manifest = json.loads((engine_dataset / "manifest.json").read_text())
    tags = read_csv(engine_dataset / "gt" / "tags.csv")
    return [(engine_dataset / f["relpath"], f, [t for t in tags if t["file"] == f["relpath"]])
            for f in manifest["files"]]


def _run(path: Path, options=frozenset(), key=KEY, **kw):
    return deidentify_file(path, DeidConfig(key=key, options=DeidOptions(frozenset(options), **kw)))


def _bytes(ds) -> bytes:
    buf = io.BytesIO()
    dcmwrite(buf, ds, enforce_file_format=True)
    return buf.getvalue()


def _values(ds) -> str:
    """Every text value in the dataset (file meta included), one string."""
    parts = [str(e.value) for e in ds.file_meta] if hasattr(ds, "file_meta") else []
    for elem in ds.iterall():
        if elem.VR not in ("OB", "OW", "SQ", "UN", "OF", "OD", "OL", "OV"):
            parts.append(str(elem.value))
    return "\n".join(parts).lower()


def test_no_injected_value_survives_and_attestation_is_right(files):
    for path, entry, rows in files:
        ds = _run(path).dataset
        text = _values(ds)
        for row in rows:
            value = row["injected_value"]
            if row["location_kind"] in ("filename",) or len(value) < 4:
                continue
            assert value.lower() not in text, f"{row['category']} at {row['tag_path']} survived"
        assert not any(e.tag.is_private for e in ds.iterall()), "private data removed"
        assert "IconImageSequence" not in ds and not any(0x6000 <= e.tag.group <= 0x601E for e in ds)
        assert ds.PatientIdentityRemoved == "YES"
        codes = [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]
        assert codes == ["113100"]
        assert ds.LongitudinalTemporalInformationModified == "REMOVED"
        assert ds.BurnedInAnnotation == "YES", "header-only runs leave BurnedInAnnotation alone"
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID != entry["sop_instance_uid"]
        assert UID(ds.SOPInstanceUID).is_valid and len(ds.SOPInstanceUID) <= 64
        assert ds.SOPClassUID == entry["sop_class_uid"] and ds.Modality == "US"
        assert ds.Rows == entry["rows"] and ds.PixelData


def test_pseudonyms_and_uids_are_consistent_per_patient_and_study(files):
    by_patient: dict[str, set] = {}
    by_study: dict[str, set] = {}
    for path, entry, _ in files:
        ds = _run(path).dataset
        original = pydicom.dcmread(path)
        by_patient.setdefault(entry["patient_key"], set()).add((ds.PatientID, str(ds.PatientName)))
        by_study.setdefault(original.StudyInstanceUID, set()).add(ds.StudyInstanceUID)
        assert ds.PatientID.startswith("DEID-") and ds.PatientID != original.PatientID
    assert all(len(v) == 1 for v in by_patient.values())
    pseudonyms = {next(iter(v)) for v in by_patient.values()}
    assert len(pseudonyms) == len(by_patient), "distinct patients, distinct pseudonyms"
    assert all(len(v) == 1 for v in by_study.values())


def test_same_key_same_bytes_other_key_other_pseudonyms(files):
    path = files[0][0]
    assert _bytes(_run(path).dataset) == _bytes(_run(path).dataset)
    a, b = _run(path).dataset, _run(path, key=b"z" * 32).dataset
    assert a.PatientID != b.PatientID and a.StudyInstanceUID != b.StudyInstanceUID


def test_retain_uids_and_characteristics_and_device_and_institution(files):
    path = files[0][0]
    original = pydicom.dcmread(path)
    ds = _run(path, {"retain_uids", "retain_patient_characteristics", "retain_device_identity",
                     "retain_institution_identity"}).dataset
    assert ds.SOPInstanceUID == original.SOPInstanceUID and ds.StudyInstanceUID == original.StudyInstanceUID
    assert ds.PatientSex == original.PatientSex and ds.PatientAge == original.PatientAge
    assert ds.StationName == original.StationName and ds.DeviceSerialNumber == original.DeviceSerialNumber
    assert ds.InstitutionName == original.InstitutionName
    codes = {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    assert {"113100", "113110", "113108", "113109", "113112"} <= codes


def test_modified_dates_shift_every_date_by_one_offset_per_patient(files):
    shifts = {}
    for path, entry, _ in files:
        original = pydicom.dcmread(path)
        result = _run(path, {"retain_long_modified_dates"})
        ds = result.dataset
        import datetime as dt

        def days(value):
            return (dt.datetime.strptime(value, "%Y%m%d").date() - dt.date(1900, 1, 1)).days

        delta = days(ds.StudyDate) - days(original.StudyDate)
        assert delta < 0 and days(ds.ContentDate) - days(original.ContentDate) == delta
        assert ds.StudyTime == original.StudyTime, "times stay: intervals are exact"
        shifts.setdefault(entry["patient_key"], set()).add(delta)
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
        assert "113107" in {i.CodeValue for i in ds.DeidentificationMethodCodeSequence}
    assert all(len(v) == 1 for v in shifts.values())


def test_clean_descriptors_keeps_the_text_but_not_the_phi(files):
    path, entry, rows = next(f for f in files if any(r["location_kind"] == "free-text" for r in f[2]))
    original = pydicom.dcmread(path)
    ds = _run(path, {"clean_descriptors"}).dataset
    assert "ImageComments" in ds and "scanned at bedside" in ds.ImageComments
    for row in (r for r in rows if r["location_kind"] == "free-text"):
        assert row["injected_value"].lower() not in _values(ds)
    assert original.ImageComments != ds.ImageComments


def test_clean_graphics_keeps_overlays_blank(files):
    path = next(p for p, e, rows in files if any(r["location_kind"] == "overlay" for r in rows))
    ds = _run(path, {"clean_graphics"}).dataset
    assert 0x60003000 in ds and not any(ds[0x60003000].value)
    assert "113103" in {i.CodeValue for i in ds.DeidentificationMethodCodeSequence}


def test_retain_safe_private_keeps_only_listed_elements(files):
    path = next(p for p, e, rows in files if any(r["location_kind"] == "private" for r in rows))
    safe = frozenset({("SYNTHSONO PATIENT 1.0", 0x03)})
    ds = _run(path, {"retain_safe_private"}, safe_private=safe).dataset
    private = [e for e in ds if e.tag.is_private and not e.tag.is_private_creator]
    assert [e.tag.element & 0xFF for e in private] == [0x03]
    assert ds[0x00090010].value == "SYNTHSONO PATIENT 1.0"


@pytest.mark.skipif(not available_tools()["dciodvfy"], reason="dciodvfy not installed (apt-get install dicom3tools)")
def test_outputs_have_no_new_dciodvfy_errors(files, tmp_path):
    for i, (path, _, _) in enumerate(files):
        out = tmp_path / f"{i}.dcm"
        out.write_bytes(_bytes(_run(path).dataset))
        before, after = tier3_check(path), tier3_check(out)
        assert set(after.errors) <= set(before.errors), sorted(set(after.errors) - set(before.errors))


def test_key_is_required_unless_ephemeral(tmp_path):
    with pytest.raises(DeidKeyError, match="no de-identification key"):
        load_key(None, env={})
    key, source = load_key(None, ephemeral=True, env={})
    assert source == "ephemeral" and len(key) == 32
    (tmp_path / "k").write_text("00" * 8)  # hex of 8 bytes
    with pytest.raises(DeidKeyError, match="too short"):
        load_key(tmp_path / "k", env={})
    (tmp_path / "k").write_text("ab" * 32)
    assert load_key(tmp_path / "k", env={}) == (bytes.fromhex("ab" * 32), "file")
