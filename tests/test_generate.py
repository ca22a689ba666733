"""End-to-end generation: determinism, layout of the output, validation tiers, config errors, CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pydicom
import pytest
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.core.executors import Executor, ExecutorError, dask_client
from phiphantom.synth import ConfigError, GenerateConfig, generate
from phiphantom.synth.external_validators import available_tools
from phiphantom.synth.validate import validate_dataset

from .helpers import manifest, read_csv, small_config


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_is_byte_identical_with_any_worker_count(tmp_path):
    runs = []
    for name, workers in (("a", 1), ("b", 2), ("c", 2)):
        generate(small_config(tmp_path / name, patients=3, workers=workers))
        runs.append(tree_digest(tmp_path / name))
    assert runs[0] == runs[1] == runs[2]
    assert any(k.endswith(".dcm") for k in runs[0]) and "gt/boxes.csv" in runs[0]


def test_dask_local_cluster_gives_the_same_bytes_as_local_processes(tmp_path):
    pytest.importorskip("distributed")
    generate(small_config(tmp_path / "local", patients=3, workers=1))
    generate(small_config(tmp_path / "dask", patients=3, workers=2, executor="dask"))
    assert tree_digest(tmp_path / "local") == tree_digest(tmp_path / "dask")
    assert "executor" not in manifest(tmp_path / "dask")["config"]


def test_bad_executor_choices_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown executor"):
        small_config(tmp_path / "x", executor="spark")
    with pytest.raises(ConfigError, match="--scheduler is for --executor dask"):
        small_config(tmp_path / "x", scheduler="tcp://127.0.0.1:8786")
    pytest.importorskip("distributed")
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        with dask_client(Executor("dask", "tcp://127.0.0.1:9", connect_timeout_s=1)):
            pass


def test_streamed_coco_json_is_the_whole_document_dumped_at_once(realistic_dataset, tmp_path):
    from phiphantom.synth.ground_truth import coco_from_boxes, write_json
    from phiphantom.synth.overlay_content import CLINICAL_CATEGORIES, PHI_TAGS

    root, _ = realistic_dataset
    boxes = read_csv(root / "gt" / "boxes.csv")
    whole = coco_from_boxes(manifest(root)["files"], boxes, sorted(PHI_TAGS) + sorted(CLINICAL_CATEGORIES))
    assert len(whole["annotations"]) > len(boxes) > 0  # one annotation per box per frame
    phi_frames = sum(int(b["frame_end"]) - int(b["frame_start"]) for b in boxes if b["is_phi"] == "1")
    assert sum(a["is_phi"] for a in whole["annotations"]) == phi_frames > 0
    write_json(tmp_path / "coco.json", whole)
    assert (tmp_path / "coco.json").read_bytes() == (root / "gt" / "coco.json").read_bytes()
    assert not list((root / "gt").glob(".*.part")), "part files must be gone"


def test_different_seed_gives_different_data(tmp_path):
    generate(small_config(tmp_path / "a", patients=2, seed=1))
    generate(small_config(tmp_path / "b", patients=2, seed=2))
    a, b = read_csv(tmp_path / "a" / "gt" / "identities.csv"), read_csv(tmp_path / "b" / "gt" / "identities.csv")
    assert a[0]["patient_name"] != b[0]["patient_name"]
    assert tree_digest(tmp_path / "a")["gt/boxes.csv"] != tree_digest(tmp_path / "b")["gt/boxes.csv"]


def test_output_layout_and_manifest(realistic_dataset):
    root, config = realistic_dataset
    m = manifest(root)
    assert m["seed"] == config.seed and m["config"]["difficulty"] == "realistic"
    assert "workers" not in m["config"], "execution settings must not change the manifest"
    for name in ("gt/boxes.csv", "gt/tags.csv", "gt/identities.csv", "gt/coco.json", "quarantine.csv"):
        assert (root / name).is_file()
    files = m["files"]
    assert m["counts"]["files"] == len(files) == len(list((root / "dicom").rglob("*.dcm")))
    assert {f["transfer_syntax"] for f in files} == {"explicit-le", "jpeg-baseline"}
    assert {f["colour"] for f in files} == {"grey", "rgb"}
    assert any(f["frames"] > 1 for f in files) and any(f["frames"] == 1 for f in files)
    assert not list(root.rglob("*.part")), "no temporary files may remain"
    coco = json.loads((root / "gt" / "coco.json").read_text())
    assert len(coco["images"]) == sum(f["frames"] for f in files)
    boxes = read_csv(root / "gt" / "boxes.csv")
    assert len(coco["annotations"]) == sum(int(b["frame_end"]) - int(b["frame_start"]) for b in boxes)
    ids = read_csv(root / "gt" / "identities.csv")
    assert [r["deid_id"] for r in ids] == [f"DEID-{i:04d}" for i in range(1, config.patients + 1)]


def test_headers_are_ultrasound_iods_with_consistent_study_structure(realistic_dataset):
    root, _ = realistic_dataset
    by_patient: dict[str, set] = {}
    for f in manifest(root)["files"]:
        ds = pydicom.dcmread(root / f["relpath"])
        assert ds.Modality == "US" and ds.BurnedInAnnotation == "YES"
        assert ds.SOPInstanceUID.startswith("2.25.") and not ds.SOPInstanceUID.startswith(pydicom.uid.PYDICOM_ROOT_UID)
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        region = ds.SequenceOfUltrasoundRegions[0]
        x0, y0, x1, y1 = f["image_rect"]
        assert (region.RegionLocationMinX0, region.RegionLocationMinY0) == (x0, y0)
        assert (region.RegionLocationMaxX1, region.RegionLocationMaxY1) == (x1 - 1, y1 - 1)
        if f["frames"] > 1:
            assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.3.1" and int(ds.NumberOfFrames) == f["frames"]
        else:
            assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.6.1"
        by_patient.setdefault(f["patient_key"], set()).add((ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.PatientID))
    for studies in by_patient.values():
        assert len(studies) == 1, "one study and series per patient in this config, shared by its files"


@pytest.mark.skipif(not all(available_tools()[t] for t in ("dcmdump", "dciodvfy")),
                    reason="dcmtk/dicom3tools not installed")
def test_all_three_validation_tiers_pass(realistic_dataset):
    root, _ = realistic_dataset
    report = validate_dataset(root, workers=2)
    assert report.tiers_run == ["tier1-pydicom", "tier2-dcmtk", "tier3-dciodvfy"]
    assert report.ok, report.failures
    assert report.errors == {}
    assert report.roundtrip_mismatches == 0 and report.lossless_checked > 0


def test_validation_catches_a_changed_pixel(tmp_path, realistic_dataset):
    src, _ = realistic_dataset
    root = tmp_path / "copy"
    shutil.copytree(src, root)
    entry = next(f for f in manifest(root)["files"] if f["lossless"])
    ds = pydicom.dcmread(root / entry["relpath"])
    data = bytearray(ds.PixelData)
    data[len(data) // 2] ^= 0xFF
    ds.PixelData = bytes(data)
    ds.save_as(root / entry["relpath"])
    report = validate_dataset(root)
    assert entry["relpath"] in report.failures["tier1-pydicom"]
    assert report.roundtrip_mismatches == 1 and not report.ok


def test_longitudinal_studies_have_increasing_dates(tmp_path):
    root = tmp_path / "long"
    generate(small_config(root, patients=2, studies_per_patient=3, files_per_study=(1, 1), cine_fraction=0.0))
    for ident in read_csv(root / "gt" / "identities.csv"):
        dates = ident["study_dates"].split(";")
        assert len(dates) == 3 and dates == sorted(dates) and len(set(dates)) == 3
        assert len(set(ident["study_uids"].split(";"))) == 3
        assert ident["birth_date"] < dates[0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(patients=0), "patients"),
    (dict(sizes="640x640"), "square"),
    (dict(sizes="2000x100"), "out of range"),
    (dict(frames="5:2"), "MIN <= MAX"),
    (dict(difficulty="extreme"), "difficulty"),
    (dict(locales=("xx_YY",)), "locale"),
    (dict(cine_fraction=1.5), "between 0 and 1"),
])
def test_bad_config_values_are_clear_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        GenerateConfig(**kwargs)


def test_refuses_non_empty_output_without_overwrite(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        generate(small_config(out, patients=1))
    with pytest.raises(ConfigError, match="not a PHI Phantom dataset"):
        generate(small_config(out, patients=1), overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"


def test_cli_generate_and_validate(tmp_path):
    runner = CliRunner()
    toml = tmp_path / "gen.toml"
    toml.write_text('patients = 2\nfiles-per-study = "1:1"\nsize = "640x480"\njpeg_fraction = 0.0\n'
                    'difficulty = "easy"\n')
    out = tmp_path / "cli"
    result = runner.invoke(app, ["generate", "--out", str(out), "--config", str(toml), "--seed", "3", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "files" in result.output and "validation" in result.output
    m = manifest(out)
    assert m["config"]["patients"] == 2 and m["seed"] == 3 and m["config"]["difficulty"] == "easy"
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    bad = runner.invoke(app, ["generate", "--out", str(tmp_path / "x"), "--size", "640x640"])
    assert bad.exit_code == 2 and "square" in bad.output
    assert runner.invoke(app, ["validate", str(tmp_path)]).exit_code == 2


def test_missing_validators_are_reported_as_skipped_not_passed(realistic_dataset, monkeypatch):
    import phiphantom.synth.validate as validate_module

    monkeypatch.setattr(validate_module, "available_tools",
                        lambda: dict.fromkeys(("dcmdump", "dcm2pnm", "dcmj2pnm", "dciodvfy")))
    report = validate_module.validate_dataset(realistic_dataset[0])
    assert report.tiers_run == ["tier1-pydicom"]
    assert set(report.tiers_skipped) == {"tier2-dcmtk", "tier3-dciodvfy"}
    assert "apt-get install" in report.tiers_skipped["tier3-dciodvfy"]
