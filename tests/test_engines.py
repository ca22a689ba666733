"""The built-in engines against a real generated dataset: null, oracle (and its mutations),
header-basic, cmd:, python: and the registry's errors."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pydicom
import pytest

from phiphantom.benchmark.engines import Engine, EngineContext, EngineError, build_engine
from phiphantom.benchmark.engines.command import CommandFailed
from phiphantom.benchmark.engines.header_basic import HEADER_BASIC_KEYWORDS
from phiphantom.benchmark.engines.oracle import OracleEngine, hashed_uid, renamed_output
from phiphantom.benchmark.engines.registry import ENGINE_NAMES
from phiphantom.synth.ground_truth import read_masks

from .helpers import read_csv

REQUIRED = ("SOPClassUID", "Modality", "Rows", "Columns", "SamplesPerPixel", "BitsAllocated",
            "PhotometricInterpretation", "SequenceOfUltrasoundRegions")


# -- fixtures and helpers -------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(engine_dataset) -> Path:
    return engine_dataset


@pytest.fixture(scope="module")
def gt(dataset):
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    return {
        "files": manifest["files"],
        "boxes": read_csv(dataset / "gt" / "boxes.csv"),
        "tags": read_csv(dataset / "gt" / "tags.csv"),
        "identities": read_csv(dataset / "gt" / "identities.csv"),
    }


def relpaths(gt) -> list[str]:
    return [entry["relpath"] for entry in gt["files"]]


def run_direct(engine, dataset: Path, rels: list[str], out: Path) -> dict[str, Path]:
    """Start ``engine`` and process ``rels`` in this process; relpath -> output path."""
    engine.start(EngineContext(data_dir=dataset, work_dir=out / ".work"))
    outputs = {}
    for rel in rels:
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        result = engine.process_file(dataset / rel, dst)
        outputs[rel] = Path(result.output_path) if result is not None and result.output_path else dst
    return outputs


def frames(path: Path) -> np.ndarray:
    """Decoded pixels as ``(frames, rows, columns[, samples])``."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    return arr[np.newaxis] if int(ds.get("NumberOfFrames", 1) or 1) == 1 else arr


def boxes_of(gt, rel: str) -> list[dict]:
    return [row for row in gt["boxes"] if row["output_dicom_relpath"] == rel]


def box_region(arr: np.ndarray, box: dict) -> np.ndarray:
    x, y, w, h = (int(box[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
    return arr[int(box["frame_start"]):int(box["frame_end"]), y:y + h, x:x + w]


def phi_mask(gt, rel: str, shape: tuple[int, ...], phi_only: bool = True) -> np.ndarray:
    """True on (frame, y, x) inside a (PHI) box."""
    mask = np.zeros(shape[:3], dtype=bool)
    for box in boxes_of(gt, rel):
        if box["is_phi"] == "1" or not phi_only:
            x, y, w, h = (int(box[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
            mask[int(box["frame_start"]):int(box["frame_end"]), y:y + h, x:x + w] = True
    return mask


def search_forms(gt, rel: str) -> set[str]:
    """The tags.csv values of a file (>= 3 chars), person names also by component."""
    forms = set()
    for row in gt["tags"]:
        if row["file"] != rel:
            continue
        value = row["injected_value"]
        forms.add(value)
        if row["vr"] == "PN" or "^" in value:
            forms.update(value.split("^"))
    return {form for form in forms if len(form) >= 3}


def token_pattern(value: str) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![A-Za-z0-9])" + re.escape(value.encode("utf-8")) + rb"(?![A-Za-z0-9])", re.I)


def text_values(ds: pydicom.Dataset):
    """(tag, text) of every non-binary element, recursively, file meta included."""
    for elem in list(ds.file_meta) + list(ds.iterall()):
        if elem.VR in ("SQ", "OB", "OW", "OD", "OF", "OL", "OV", "UN") or elem.value is None:
            continue
        yield elem.tag, str(elem.value)


def header_bytes(path: Path) -> bytes:
    """The file's bytes before Pixel Data (where a leak would be readable)."""
    raw = path.read_bytes()
    cut = raw.find(b"\xe0\x7f\x10\x00O")
    return raw if cut < 0 else raw[:cut]


def dciodvfy_errors(path: Path) -> set[str]:
    done = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60)
    return {line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Error")}


@pytest.fixture(scope="module")
def oracle_out(dataset, gt, tmp_path_factory) -> dict[str, Path]:
    return run_direct(OracleEngine(), dataset, relpaths(gt), tmp_path_factory.mktemp("oracle"))


# -- the dataset covers what the oracle must handle -------------------------------


def test_fixture_covers_jpeg_cine_and_phi_file_names(gt):
    kinds = {(entry["photometric"], entry["transfer_syntax"]) for entry in gt["files"]}
    assert ("YBR_FULL_422", "jpeg-baseline") in kinds and ("MONOCHROME2", "jpeg-baseline") in kinds
    assert any(entry["frames"] > 1 for entry in gt["files"])
    assert any(row["tag_path"] == "filename" for row in gt["tags"])


# -- null -------------------------------------------------------------------------


def test_null_copies_bytes(dataset, gt, tmp_path):
    outputs = run_direct(build_engine("null"), dataset, relpaths(gt), tmp_path)
    for rel, out in outputs.items():
        assert out == tmp_path / rel
        assert out.read_bytes() == (dataset / rel).read_bytes()


# -- oracle -----------------------------------------------------------------------


def test_oracle_blanks_every_phi_box_on_every_frame(dataset, gt, oracle_out):
    checked = 0
    for rel, out in oracle_out.items():
        arr = frames(out)
        for box in boxes_of(gt, rel):
            if box["is_phi"] == "1":
                region = box_region(arr, box)
                assert region.size and not region.any(), (rel, box["box_id"])
                checked += 1
    assert checked > 0


def test_oracle_keeps_every_other_pixel(dataset, gt, oracle_out):
    for rel, out in oracle_out.items():
        before, after = frames(dataset / rel), frames(out)
        assert before.shape == after.shape and before.dtype == after.dtype
        outside = ~phi_mask(gt, rel, before.shape)
        assert np.array_equal(before[outside], after[outside]), rel
        for box in boxes_of(gt, rel):
            if box["is_phi"] == "0":
                assert np.array_equal(box_region(before, box), box_region(after, box)), (rel, box["box_id"])


def test_oracle_leaves_no_phi_value(dataset, gt, oracle_out):
    for rel, out in oracle_out.items():
        ds = pydicom.dcmread(out)
        head = header_bytes(out)
        texts = list(text_values(ds))
        for value in search_forms(gt, rel):
            pattern = token_pattern(value)
            assert value.lower() not in out.name.lower(), "PHI in the output file name"
            assert not pattern.search(head), f"PHI in the raw bytes of {out.name}"
            for tag, text in texts:
                assert not pattern.search(text.encode("utf-8")), f"PHI in {tag} of {out.name}"
        groups = {elem.tag.group for elem in ds}
        assert not any(0x6000 <= g <= 0x601E for g in groups), "overlay plane left"
        assert not any(g % 2 for g in groups), "private element left"
        assert "IconImageSequence" not in ds


def test_oracle_pseudonyms_and_uids(dataset, gt, oracle_out):
    deid_by_patient = {row["patient_key"]: row["deid_id"] for row in gt["identities"]}
    by_patient: dict[str, set[str]] = {}
    study_in, study_out = {}, {}
    for entry in gt["files"]:
        before = pydicom.dcmread(dataset / entry["relpath"])
        after = pydicom.dcmread(oracle_out[entry["relpath"]])
        deid = deid_by_patient[entry["patient_key"]]
        assert after.PatientID == deid and str(after.PatientName) == deid
        by_patient.setdefault(entry["patient_key"], set()).add(after.PatientID)
        assert after.PatientIdentityRemoved == "YES"
        for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
            new = str(getattr(after, keyword))
            assert new == hashed_uid(str(getattr(before, keyword))) and new != str(getattr(before, keyword))
            assert len(new) <= 64 and re.fullmatch(r"[0-9]+(\.[0-9]+)*", new)
        assert after.file_meta.MediaStorageSOPInstanceUID == after.SOPInstanceUID
        study_in[entry["relpath"]] = str(before.StudyInstanceUID)
        study_out[entry["relpath"]] = str(after.StudyInstanceUID)
    assert all(len(ids) == 1 for ids in by_patient.values())
    assert len({next(iter(ids)) for ids in by_patient.values()}) == len(by_patient)
    rels = list(study_in)
    for a in rels:
        for b in rels:
            assert (study_in[a] == study_in[b]) == (study_out[a] == study_out[b])


def test_oracle_output_is_valid_dicom(dataset, gt, oracle_out):
    phi_names = {row["file"] for row in gt["tags"] if row["tag_path"] == "filename"}
    has_dciodvfy = shutil.which("dciodvfy") is not None
    for entry in gt["files"]:
        rel, out = entry["relpath"], oracle_out[entry["relpath"]]
        before, after = pydicom.dcmread(dataset / rel), pydicom.dcmread(out)
        assert after.pixel_array.size
        for keyword in REQUIRED:
            assert keyword in after, (rel, keyword)
        for keyword in ("SOPClassUID", "Modality", "Rows", "Columns", "BitsAllocated", "SamplesPerPixel"):
            assert after[keyword].value == before[keyword].value
        assert after.get("NumberOfFrames") == before.get("NumberOfFrames")
        if entry["transfer_syntax"] == "jpeg-baseline":
            assert after.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
            assert after.LossyImageCompression == "01" and "LossyImageCompressionRatio" in after
            if entry["colour"] == "rgb":
                assert after.PhotometricInterpretation == "RGB" and after.PlanarConfiguration == 0
        else:
            assert after.file_meta.TransferSyntaxUID == before.file_meta.TransferSyntaxUID
        expected_name = renamed_output(rel) if rel in phi_names else Path(rel).name
        assert out.name == expected_name and out.parent.name == Path(rel).parent.name
        if has_dciodvfy:
            assert dciodvfy_errors(out) <= dciodvfy_errors(dataset / rel), rel


def _phi_boxes(gt, rel):
    return [box for box in boxes_of(gt, rel) if box["is_phi"] == "1"]


def test_oracle_mutation_skip_box(dataset, gt, tmp_path):
    rel = relpaths(gt)[0]
    skipped, *others = _phi_boxes(gt, rel)
    out = run_direct(OracleEngine(skip_boxes={(rel, skipped["box_id"])}), dataset, [rel], tmp_path)[rel]
    before, after = frames(dataset / rel), frames(out)
    assert np.array_equal(box_region(after, skipped), box_region(before, skipped))
    assert box_region(before, skipped).any()
    assert all(not box_region(after, box).any() for box in others)
    assert pydicom.dcmread(out).BurnedInAnnotation == "YES"


def test_oracle_mutation_keep_private_tag(dataset, gt, tmp_path):
    row = next(r for r in gt["tags"] if r["tag_path"] == "(0009,1001)")
    rel = row["file"]
    out = run_direct(OracleEngine(keep_tags={(rel, "(0009,1001)")}), dataset, [rel], tmp_path)[rel]
    ds = pydicom.dcmread(out)
    assert str(ds[0x00091001].value) == row["injected_value"]
    assert ds[0x00090010].value == pydicom.dcmread(dataset / rel)[0x00090010].value  # its creator
    assert 0x00091002 not in ds and 0x00091003 not in ds  # the rest of the block is still removed


def test_oracle_mutation_keep_nested_tag_and_file_name(dataset, gt, tmp_path):
    rel = next(r["file"] for r in gt["tags"] if r["tag_path"] == "filename")
    path = "(0040,0275)[0].(0008,0050)"
    row = next(r for r in gt["tags"] if r["file"] == rel and r["tag_path"] == path)
    keep = {(rel, path), (rel, "filename")}
    out = run_direct(OracleEngine(keep_tags=keep), dataset, [rel], tmp_path)[rel]
    assert out.name == Path(rel).name
    item = pydicom.dcmread(out).RequestAttributesSequence[0]
    assert item.AccessionNumber == row["injected_value"]
    assert "RequestedProcedureID" not in item  # the rest of the item is still de-identified


def test_oracle_mutation_blank_clinical_box(dataset, gt, tmp_path):
    rel, box = next((r, b) for r in relpaths(gt) for b in boxes_of(gt, r)
                    if b["is_phi"] == "0" and b["phi_category"] != "label")
    out = run_direct(OracleEngine(blank_boxes={(rel, box["box_id"])}), dataset, [rel], tmp_path)[rel]
    before, after = frames(dataset / rel), frames(out)
    assert box_region(before, box).any() and not box_region(after, box).any()
    outside = ~(phi_mask(gt, rel, before.shape) | phi_mask_of(box, before.shape))
    assert np.array_equal(before[outside], after[outside])


def phi_mask_of(box: dict, shape) -> np.ndarray:
    mask = np.zeros(shape[:3], dtype=bool)
    x, y, w, h = (int(box[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
    mask[int(box["frame_start"]):int(box["frame_end"]), y:y + h, x:x + w] = True
    return mask


def test_oracle_mutation_black_image(dataset, gt, tmp_path):
    entry = gt["files"][0]
    rel = entry["relpath"]
    out = run_direct(OracleEngine(black_image=True), dataset, [rel], tmp_path)[rel]
    with contextlib.nullcontext(read_masks(dataset / entry["mask_relpath"], entry["columns"])) as masks:
        image = masks["image_mask"].astype(bool)
    before, after = frames(dataset / rel), frames(out)
    assert image.any() and before[:, image].any() and not after[:, image].any()


def test_oracle_describe_has_no_paths():
    engine = OracleEngine(skip_boxes={("dicom/P1/ST01/SMITH_JOHN.dcm", "b000")})
    assert engine.describe()["config"]["skip_boxes"] == 1
    assert "SMITH" not in json.dumps(engine.describe())


# -- header-basic -------------------------------------------------------------------


def test_header_basic_deletes_its_list_only(dataset, gt, tmp_path):
    outputs = run_direct(build_engine("header-basic"), dataset, relpaths(gt), tmp_path)
    for rel, out in outputs.items():
        before, after = pydicom.dcmread(dataset / rel), pydicom.dcmread(out)
        for keyword in HEADER_BASIC_KEYWORDS:
            assert keyword not in after
        assert after.PixelData == before.PixelData
        kept = {e.tag for e in before if e.keyword not in HEADER_BASIC_KEYWORDS}
        assert {e.tag for e in after} == kept
        assert after.StudyDate == before.StudyDate and after.SOPInstanceUID == before.SOPInstanceUID
        assert 0x00091001 in after  # private blocks stay: it is a naive baseline


# -- cmd: ---------------------------------------------------------------------------


def test_cmd_per_file(dataset, gt, tmp_path):
    engine = build_engine("cmd:cp {in} {out}")
    assert not engine.per_folder
    description = engine.describe()
    assert description["config"]["template"] == "cp {in} {out}" and description["version"]
    outputs = run_direct(engine, dataset, relpaths(gt)[:2], tmp_path)
    for rel, out in outputs.items():
        assert out.read_bytes() == (dataset / rel).read_bytes()


def test_cmd_per_folder(dataset, gt, tmp_path):
    script = tmp_path / "tool.py"
    script.write_text(textwrap.dedent("""
        import shutil, sys
        from pathlib import Path
        src, dst = Path(sys.argv[1]), Path(sys.argv[2])
        for path in src.rglob("*.dcm"):
            (dst / path.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dst / path.relative_to(src))
    """))
    engine = build_engine(f"cmd:{sys.executable} {script} {{in_dir}} {{out_dir}}")
    assert engine.per_folder
    out = tmp_path / "out"
    engine.start(EngineContext(dataset, tmp_path / "work"))
    engine.process_folder(dataset / "dicom", out / "dicom")
    for rel in relpaths(gt):
        assert (out / rel).read_bytes() == (dataset / rel).read_bytes()


def test_cmd_failure_message_has_no_tool_output(dataset, gt, tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("import sys; sys.stderr.write('secret Doe^John'); sys.exit(3)\n")
    engine = build_engine(f"cmd:{sys.executable} {script} {{in}} {{out}}")
    rel = relpaths(gt)[0]
    with pytest.raises(CommandFailed) as info:
        engine.process_file(dataset / rel, tmp_path / "x.dcm")
    assert "status 3" in str(info.value) and Path(sys.executable).name in str(info.value)
    assert "secret" not in str(info.value) and "secret" in info.value.stderr_tail


# -- python: and the registry ---------------------------------------------------------


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    (tmp_path / "my_test_plugin.py").write_text(textwrap.dedent("""
        import shutil
        from dataclasses import dataclass
        from phiphantom.benchmark.engines import BaseEngine

        @dataclass
        class Copier(BaseEngine):
            name: str = "copier"
            level: str = "1"

            def process_file(self, src, dst):
                shutil.copyfile(src, dst)

        class NotAnEngine:
            pass
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_test_plugin"
    sys.modules.pop("my_test_plugin", None)


def test_python_plugin(plugin_module, dataset, gt, tmp_path):
    engine = build_engine(f"python:{plugin_module}:Copier")
    assert isinstance(engine, Engine) and engine.name == "copier"
    assert build_engine(f"python:{plugin_module}:Copier?level=3").level == "3"
    assert build_engine(f"python:{plugin_module}:Copier", level="2").level == "2"
    rel = relpaths(gt)[0]
    out = run_direct(engine, dataset, [rel], tmp_path)[rel]
    assert out.read_bytes() == (dataset / rel).read_bytes()
    with pytest.raises(EngineError, match="did not return an Engine"):
        build_engine(f"python:{plugin_module}:NotAnEngine")
    with pytest.raises(EngineError, match="no callable"):
        build_engine(f"python:{plugin_module}:Missing")


@pytest.mark.parametrize("spec", ["nope", "", "ORACLE", "cmd:", "cmd:echo hello", "cmd:tool {in} {out_dir}",
                                  "python:no_such_module_xyz:Factory", "python:justamodule", "cmd:tool 'unclosed {in}"])
def test_bad_specs(spec):
    with pytest.raises(EngineError):
        build_engine(spec)


def test_unknown_spec_lists_the_valid_ones():
    with pytest.raises(EngineError) as info:
        build_engine("nope")
    for name in ENGINE_NAMES:
        assert name in str(info.value)
    assert "cmd:TEMPLATE" in str(info.value)


def test_bad_keyword_is_an_engine_error():
    with pytest.raises(EngineError, match="bad keyword"):
        build_engine("oracle", no_such_option=True)


def test_bundled_loads_its_ocr_and_recognisers_at_start(tmp_path, monkeypatch):
    """The OCR and the recognisers' tables load in ``start`` (timed as start-up, as ``phiphantom deid`` loads
    them before its workers), so a missing recognizer model fails there, naming the folder, not per file."""
    from phiphantom.deid.pixels import classify

    loaded: list[str] = []
    real = classify.load_recognisers
    monkeypatch.setattr(classify, "load_recognisers", lambda: loaded.append("tables") or real())
    engine = build_engine("bundled")
    engine.start(EngineContext(tmp_path, tmp_path / "work"))
    assert loaded == ["tables"]  # built before any file
    missing = tmp_path / "no-model"
    broken = build_engine(f"bundled:ocr=crnn:{missing}")
    with pytest.raises(EngineError, match="no-model|recognizer"):
        broken.start(EngineContext(tmp_path, tmp_path / "work2"))
    header_only = build_engine("bundled:header-only")
    header_only.start(EngineContext(tmp_path, tmp_path / "work3"))  # no pixels: nothing to load
    assert loaded == ["tables"]
