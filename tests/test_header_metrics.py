"""Header metrics on real files: a null copy, a hand-made perfect de-identification, and single mutations.

The "perfect" output is written here with pydicom (not with the project's engine):
every element with a PS3.15 Annex E basic-profile action is removed, emptied or
replaced per its action, UIDs are remapped with a hash (so they stay shared),
PatientID/PatientName become a per-patient pseudonym, StudyDate is shifted by a
per-patient offset, private tags, overlay group 6000 and the icon are removed,
and PHI-carrying file names are replaced.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ImplicitVRLittleEndian

from phiphantom.benchmark.consistency import consistency
from phiphantom.benchmark.dicom_bytes import raw_layout
from phiphantom.benchmark.header_metrics import HeaderFileScore, score_header_file
from phiphantom.core.profile import basic_action
from phiphantom.synth import GenerateConfig, generate

DATE_SHIFT_DAYS = -137


@dataclasses.dataclass
class Data:
    root: Path
    files: list[dict]              # manifest files[]
    rows: dict[str, list[dict]]    # relpath -> gt/tags.csv rows

    def path(self, f: dict) -> Path:
        return self.root / f["relpath"]


@pytest.fixture(scope="session")
def data(tmp_path_factory) -> Data:
    root = tmp_path_factory.mktemp("header-metrics")
    generate(GenerateConfig(
        out=root, patients=3, studies_per_patient=2, files_per_study=(2, 2), frames=(2, 3), cine_fraction=0.3,
        jpeg_fraction=0.3, sizes=((640, 480),), difficulty="hard", phi_filename_fraction=0.5, validate=False,
        workers=1, seed=4, progress=False,
    ))
    files = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["files"]
    rows: dict[str, list[dict]] = defaultdict(list)
    with (root / "gt" / "tags.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows[row["file"]].append(row)
    assert any(f["photometric"] == "YBR_FULL_422" for f in files)  # colour JPEG
    assert any(f["transfer_syntax"] == "jpeg-baseline" and f["photometric"] == "MONOCHROME2" for f in files)
    assert any(r["location_kind"] == "filename" for rs in rows.values() for r in rs)
    return Data(root, files, dict(rows))


# --------------------------------------------------------------------------- the hand-made perfect engine

def remap_uid(value: str, salt: str = "") -> str:
    return "2.25." + str(int(hashlib.sha256((salt + value).encode()).hexdigest()[:30], 16))


def shift_da(value: str, days: int) -> str:
    day = date(int(value[:4]), int(value[4:6]), int(value[6:8])) + timedelta(days=days)
    return day.strftime("%Y%m%d")


def _dummy(vr: str) -> str:
    return {"DA": "19000101", "TM": "000000", "PN": "Anonymous"}.get(vr, "ANON")


def _scrub(container: Dataset) -> None:
    """Apply the Annex E basic-profile action of every element, recursively."""
    for elem in list(container):
        action = basic_action(elem.tag)
        if action is None:
            if elem.VR == "SQ":
                for item in elem.value:
                    _scrub(item)
        elif action.startswith("X"):
            del container[elem.tag]
        elif action == "U":
            elem.value = remap_uid(str(elem.value))
        elif action == "D":
            elem.value = _dummy(elem.VR)
        elif elem.VR == "SQ":  # Z, Z/D on a sequence: zero items
            elem.value = []
        else:
            elem.value = None if elem.VR in ("US", "SS", "UL", "SL", "FL", "FD") else ""


def perfect(ds: Dataset, patient_key: str, date_shift: int = DATE_SHIFT_DAYS) -> Dataset:
    """De-identify ``ds`` in place the way a conforming, consistent engine would."""
    study_date = str(ds.get("StudyDate", ""))
    _scrub(ds)
    ds.remove_private_tags()
    for elem in list(ds):
        if elem.tag.group == 0x6000:
            del ds[elem.tag]
    ds.PatientID = f"PSEUDO-{patient_key}"
    ds.PatientName = f"Pseudo^{patient_key}"
    if study_date:
        ds.StudyDate = shift_da(study_date, date_shift)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def output_name(data: Data, f: dict) -> str:
    """Files whose name carries PHI get a neutral name."""
    if any(r["location_kind"] == "filename" for r in data.rows[f["relpath"]]):
        return f"anon_{data.files.index(f):04d}.dcm"
    return Path(f["relpath"]).name


def write(ds: Dataset, folder: Path, name: str, implicit: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=True)
    else:
        ds.save_as(path, enforce_file_format=True)
    return path


def perfect_output(data: Data, f: dict, folder: Path, **kwargs) -> Path:
    ds = perfect(pydicom.dcmread(data.path(f)), f["patient_key"], **kwargs)
    return write(ds, folder / Path(f["relpath"]).parent, output_name(data, f))


def score(data: Data, f: dict, out: Path | None) -> HeaderFileScore:
    return score_header_file(data.path(f), out, None if out is None else out.name, data.rows[f["relpath"]])


@pytest.fixture(scope="session")
def null_scores(data: Data) -> list[HeaderFileScore]:
    return [score(data, f, data.path(f)) for f in data.files]


@pytest.fixture(scope="session")
def perfect_scores(data: Data, tmp_path_factory) -> list[HeaderFileScore]:
    folder = tmp_path_factory.mktemp("perfect")
    return [score(data, f, perfect_output(data, f, folder)) for f in data.files]


def pairs(data: Data, scores: list[HeaderFileScore]) -> list[tuple[str, HeaderFileScore]]:
    return [(f["patient_key"], s) for f, s in zip(data.files, scores, strict=False)]


def share(conformance: dict[str, list[int]]) -> float:
    total = sum(t for t, _ in conformance.values())
    return sum(h for _, h in conformance.values()) / total


# --------------------------------------------------------------------------- (1) null copy

def test_null_copy_removes_nothing_and_leaks_everywhere(data: Data, null_scores):
    for f, s in zip(data.files, null_scores, strict=False):
        rows = data.rows[f["relpath"]]
        assert s.rows_total == len(rows) and len(s.row_removed) == len(rows)
        assert not any(s.row_removed), f["relpath"]
        leak_kinds = {kind for kind, _ in s.leaks}
        assert {r["location_kind"] for r in rows} <= leak_kinds
        assert "raw-bytes" not in leak_kinds  # pixel data / binary values are not searched as text
        assert share(s.conformance) < 0.1
        assert s.required and all(s.required.values())
        assert s.valid and s.error == ""
    assert consistency(pairs(data, null_scores))["uid_consistency"] == 1.0


def test_null_copy_leak_locations_are_distinct_and_hold_no_values(data: Data, null_scores):
    for f, s in zip(data.files, null_scores, strict=False):
        locations = [loc for _, loc in s.leaks]
        assert len(locations) == len(set(locations))
        values = {r["injected_value"] for r in data.rows[f["relpath"]] if len(r["injected_value"]) >= 3}
        assert not any(v in text for v in values for kind_loc in s.leaks for text in kind_loc)


# --------------------------------------------------------------------------- (2) perfect output

def test_perfect_output_scores_full_marks(data: Data, perfect_scores):
    for f, s in zip(data.files, perfect_scores, strict=False):
        assert all(s.row_removed), f["relpath"]
        assert s.leaks == []
        assert all(total == honoured for total, honoured in s.conformance.values()), s.conformance
        assert s.required and all(s.required.values())
        assert s.valid and s.error == ""
    result = consistency(pairs(data, perfect_scores))
    assert result["pseudonym_consistency"] == 1.0
    assert result["uid_consistency"] == 1.0
    assert result["date_interval_consistency"] == 1.0
    assert result["patients"] == 3 and result["uid_groups"] == 6 + 6  # 6 studies, 6 series


# --------------------------------------------------------------------------- (3) mutations

def _first(data: Data, predicate=lambda f: True) -> dict:
    return next(f for f in data.files if predicate(f))


def _row(data: Data, f: dict, kind: str, category: str) -> dict:
    return next(r for r in data.rows[f["relpath"]] if r["location_kind"] == kind and r["category"] == category)


@pytest.mark.parametrize("implicit", [False, True])
def test_one_private_value_left_is_one_leak_and_one_row(data: Data, tmp_path, implicit):
    f = _first(data, lambda f: f["transfer_syntax"] == "explicit-le")
    row = _row(data, f, "private", "patient_id")
    ds = perfect(pydicom.dcmread(data.path(f)), f["patient_key"])
    ds.private_block(0x0009, "SYNTHSONO PATIENT 1.0", create=True).add_new(0x02, "LO", row["injected_value"])
    s = score(data, f, write(ds, tmp_path, output_name(data, f), implicit=implicit))
    assert s.leaks == [("private", row["tag_path"])]
    kept = [r["tag_path"] for r, gone in zip(data.rows[f["relpath"]], s.row_removed, strict=False) if not gone]
    assert kept == [row["tag_path"]]
    assert s.conformance["X"][0] - s.conformance["X"][1] == 2  # the private creator and (0009,1002) are back
    assert s.valid


def test_mrn_typed_into_image_comments_is_one_free_text_leak(data: Data, tmp_path):
    f = data.files[1]
    mrn = _row(data, f, "standard", "patient_id")["injected_value"]
    ds = perfect(pydicom.dcmread(data.path(f)), f["patient_key"])
    ds.ImageComments = f"follow-up for {mrn}."
    s = score(data, f, write(ds, tmp_path, output_name(data, f)))
    assert s.leaks == [("free-text", "(0020,4000)")]


def test_name_in_the_preamble_is_one_raw_bytes_leak(data: Data, tmp_path):
    f = data.files[2]
    family = _row(data, f, "standard", "name")["injected_value"].split("^")[0]
    ds = perfect(pydicom.dcmread(data.path(f)), f["patient_key"])
    ds.preamble = (b"\0" * 40 + family.encode("utf-8") + b" scan").ljust(128, b"\0")
    s = score(data, f, write(ds, tmp_path, output_name(data, f)))
    assert s.leaks == [("raw-bytes", "raw@40")]
    assert all(s.row_removed)


def test_uid_remapped_inconsistently_within_a_study(data: Data, perfect_scores, tmp_path):
    f = data.files[1]
    assert data.files[0]["patient_key"] == f["patient_key"] and data.files[0]["study_index"] == f["study_index"]
    ds = perfect(pydicom.dcmread(data.path(f)), f["patient_key"])
    ds.StudyInstanceUID = remap_uid(str(pydicom.dcmread(data.path(f)).StudyInstanceUID), salt="other")
    scores = list(perfect_scores)
    scores[1] = score(data, f, write(ds, tmp_path, output_name(data, f)))
    result = consistency(pairs(data, scores))
    assert result["uid_consistency"] == pytest.approx(11 / 12)
    assert result["pseudonym_consistency"] == 1.0


def test_two_studies_of_a_patient_shifted_differently(data: Data, perfect_scores, tmp_path):
    key = data.files[0]["patient_key"]
    scores = list(perfect_scores)
    for i, f in enumerate(data.files):
        if f["patient_key"] == key and f["study_index"] == 1:
            scores[i] = score(data, f, perfect_output(data, f, tmp_path, date_shift=DATE_SHIFT_DAYS + 3))
    assert consistency(pairs(data, scores))["date_interval_consistency"] == pytest.approx(2 / 3)


def test_shared_pseudonym_between_patients_is_inconsistent(data: Data, perfect_scores, tmp_path):
    other = next(f for f in data.files if f["patient_key"] != data.files[0]["patient_key"])
    scores = list(perfect_scores)
    for i, f in enumerate(data.files):
        if f["patient_key"] == other["patient_key"]:
            ds = perfect(pydicom.dcmread(data.path(f)), data.files[0]["patient_key"])
            scores[i] = score(data, f, write(ds, tmp_path / str(i), output_name(data, f)))
    assert consistency(pairs(data, scores))["pseudonym_consistency"] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------- (4) token boundaries

def test_date_inside_a_uid_is_not_a_leak(data: Data, tmp_path):
    f = data.files[0]
    study_date = _row(data, f, "standard", "date")["injected_value"]
    time = _row(data, f, "standard", "time")["injected_value"]
    ds = perfect(pydicom.dcmread(data.path(f)), f["patient_key"])
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.{study_date}{time}"   # inside a digit run
    ds.SeriesInstanceUID = f"1.2.826.0.1.{study_date}.7"            # a whole UID component
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    s = score(data, f, write(ds, tmp_path, output_name(data, f)))
    assert s.leaks == []
    ds.ImageComments = f"seen {study_date}."                         # positive control
    s = score(data, f, write(ds, tmp_path, output_name(data, f)))
    assert s.leaks == [("free-text", "(0020,4000)")]


# --------------------------------------------------------------------------- (5) no output

def test_no_output_scores_like_the_unchanged_input(data: Data, null_scores):
    for f, copy in list(zip(data.files, null_scores, strict=False))[:3]:
        s = score(data, f, None)
        assert s.row_removed == copy.row_removed
        assert s.leaks == copy.leaks
        assert s.conformance.keys() == copy.conformance.keys() and s.required.keys() == copy.required.keys()
        assert all(h == 0 for _, h in s.conformance.values()) and not any(s.required.values())  # nothing written
        assert s.output_view == copy.output_view == s.input_view
        assert not s.valid and s.error == "no output" and s.failed and not s.unreadable


def test_rgb_output_of_a_ybr_jpeg_keeps_the_photometric_requirement(data: Data, tmp_path):
    f = _first(data, lambda f: f["photometric"] == "YBR_FULL_422")
    ds = perfect(pydicom.dcmread(data.path(f)), f["patient_key"])
    rgb = ds.pixel_array  # decoded to RGB
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.PhotometricInterpretation = "RGB"
    ds.PixelData = rgb.tobytes()
    ds["PixelData"].VR = "OB"
    s = score(data, f, write(ds, tmp_path, output_name(data, f)))
    assert s.valid and all(s.required.values()) and s.leaks == []
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.SamplesPerPixel = 1
    s = score(data, f, write(ds, tmp_path, output_name(data, f)))
    assert not s.required["PhotometricInterpretation"] and not s.required["SamplesPerPixel"]


def test_unreadable_output_is_invalid_and_no_better_than_no_output(data: Data, tmp_path):
    f = data.files[0]
    name = _row(data, f, "standard", "name")
    out = tmp_path / "broken.dcm"
    out.write_bytes(b"not dicom at all " + name["injected_value"].encode("utf-8"))
    s = score(data, f, out)
    missing = score(data, f, None)
    assert not s.valid and s.error == "unreadable output" and s.unreadable and s.failed
    assert set(s.leaks) == set(missing.leaks) | {("raw-bytes", "raw@17")}  # the input's leaks plus its own bytes
    assert not any(s.row_removed)
    assert all(h == 0 for _, h in s.conformance.values()) and not any(s.required.values())


# --------------------------------------------------------------------------- raw layout

def test_raw_layout_skips_pixel_data_of_native_and_encapsulated_files(data: Data):
    for f in data.files:
        buf = data.path(f).read_bytes()
        layout = raw_layout(buf)
        assert layout.parsed_to == len(buf)
        largest = max(end - start for start, end in layout.binary)
        assert largest >= len(buf) // 2  # the pixel data
        paths = {path for _, _, path, _ in layout.text}
        assert "(0010,0010)" in paths and "(0002,0003)" in paths
        assert any(p.startswith("(0040,0275)[0].") for p in paths)
