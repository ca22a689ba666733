"""Style packs in a generated dataset (issue 14 item 3): selection and the pack in every ground-truth row.

A real dataset is generated; its ``gt/boxes.csv`` and ``gt/tags.csv`` carry the pack name and version
(and ``kind`` for boxes), ``manifest.json`` lists the packs; the benchmark loader reads the columns, and a
dataset written before style packs (the columns removed, its hashes updated) still loads as ``classic``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phiphantom.benchmark.dataset import load_dataset
from phiphantom.cli.main import app
from phiphantom.core.ground_truth import BOX_COLUMNS, TAG_COLUMNS
from phiphantom.synth import generate
from phiphantom.synth.config import ConfigError, GenerateConfig, select_styles
from phiphantom.synth.ground_truth import sha256_file
from phiphantom.synth.styles import pack_names

from .helpers import assert_ink_ground_truth, manifest, read_csv, small_config

NEW_BOX_COLUMNS = ("style", "style_version", "kind")
NEW_TAG_COLUMNS = ("style", "style_version")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("styles-classic")
    generate(small_config(out, patients=2, files_per_study=(2, 2), seed=5))
    return out


def test_columns_are_appended_after_the_old_ones():
    assert BOX_COLUMNS[-3:] == NEW_BOX_COLUMNS and BOX_COLUMNS.index("mask_relpath") == len(BOX_COLUMNS) - 4
    assert TAG_COLUMNS[-2:] == NEW_TAG_COLUMNS and TAG_COLUMNS.index("leaf_action") == len(TAG_COLUMNS) - 3


def test_every_row_names_its_pack(dataset):
    version = select_styles(("classic",))[0].version
    boxes, tags = read_csv(dataset / "gt" / "boxes.csv"), read_csv(dataset / "gt" / "tags.csv")
    assert boxes and tags
    assert {(r["style"], r["style_version"], r["kind"]) for r in boxes} == {("classic", version, "text")}
    assert {(r["style"], r["style_version"]) for r in tags} == {("classic", version)}
    m = manifest(dataset)
    assert m["styles"] == [{"name": "classic", "version": version, "files": len(m["files"])}]
    assert {(f["style"], f["style_version"]) for f in m["files"]} == {("classic", version)}
    assert "styles" not in m["config"]  # not set: the run id is the one a dataset from before style packs had
    assert m["diversity"]["pack_names"] == ["classic"] and m["diversity"]["fonts_by_technology"]


def test_the_bench_loader_reads_the_columns(dataset):
    ds = load_dataset(dataset)
    boxes = [b for f in ds.files for b in f.boxes]
    assert boxes and {(b.style, b.kind, b.graphic) for b in boxes} == {("classic", "text", False)}
    assert {t.style for f in ds.files for t in f.tags} == {"classic"}


def _drop_columns(path: Path, columns: tuple[str, ...]) -> None:
    rows = read_csv(path)
    keep = [c for c in rows[0] if c not in columns]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keep, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_a_dataset_from_before_style_packs_still_loads(dataset, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(dataset, old)
    _drop_columns(old / "gt" / "boxes.csv", NEW_BOX_COLUMNS)
    _drop_columns(old / "gt" / "tags.csv", NEW_TAG_COLUMNS)
    m = manifest(old)
    del m["styles"]
    for entry in m["files"]:
        del entry["style"], entry["style_version"]
    for name in ("gt/boxes.csv", "gt/tags.csv"):
        m["ground_truth"][name] = sha256_file(old / name)
    (old / "manifest.json").write_text(json.dumps(m, indent=2), encoding="utf-8")
    assert "style" not in read_csv(old / "gt" / "boxes.csv")[0]
    ds = load_dataset(old)  # checked: a damaged dataset would raise
    boxes = [b for f in ds.files for b in f.boxes]
    assert len(boxes) == len(read_csv(dataset / "gt" / "boxes.csv"))
    assert {(b.style, b.style_version, b.kind) for b in boxes} == {("classic", "", "text")}
    assert {t.style for f in ds.files for t in f.tags} == {"classic"}


def test_a_bad_kind_is_a_damaged_dataset(dataset, tmp_path):
    import shutil

    from phiphantom.benchmark.dataset import DamagedDatasetError

    bad = tmp_path / "bad"
    shutil.copytree(dataset, bad)
    path = bad / "gt" / "boxes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",text\n", ",txet\n", 1), encoding="utf-8")
    m = manifest(bad)
    m["ground_truth"]["gt/boxes.csv"] = sha256_file(path)
    (bad / "manifest.json").write_text(json.dumps(m, indent=2), encoding="utf-8")
    with pytest.raises(DamagedDatasetError, match="kind is not text or graphic"):
        load_dataset(bad)


def test_selection():
    assert [r.name for r in select_styles(("classic",))] == ["classic"]
    assert [r.name for r in select_styles(("all",))] == pack_names()
    assert "classic" not in [r.name for r in select_styles((), ("classic",))]
    with pytest.raises(ConfigError, match="unknown style pack"):
        select_styles(("no-such-pack",))
    with pytest.raises(ConfigError, match="no style pack left"):
        select_styles(("classic",), ("classic",))
    config = GenerateConfig(out=Path("x"), styles="classic", workers=1)
    assert config.styles == ("classic",) and config.content_dict()["styles"] == ["classic"]
    assert "styles" not in GenerateConfig(out=Path("x"), workers=1).content_dict()


@pytest.mark.parametrize("flags, message", [
    (["--styles", "classic,no-such-pack"], "unknown style pack(s) no-such-pack"),
    (["--styles", "classic", "--exclude-styles", "classic"], "no style pack left"),
])
def test_cli_refuses_a_bad_selection(tmp_path, flags, message):
    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "d"), "--patients", "1", *flags])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "d").exists()


# --------------------------------------------------------------------------- files drawn from packs

PACKS = ("cart-general-a", "legacy-crt-l")


@pytest.fixture(scope="module")
def pack_config(tmp_path_factory) -> GenerateConfig:
    out = tmp_path_factory.mktemp("styles-packs")
    config = small_config(out, patients=3, files_per_study=(2, 3), styles=",".join(PACKS), validate=True,
                          rgb_fraction=0.7, seed=7)
    generate(config)
    return config


def test_pack_files_validate_and_name_their_pack(pack_config):
    from phiphantom.synth.styles import get_pack

    root = pack_config.out
    m = manifest(root)
    v = m["validation"]
    assert v["ok"] and v["roundtrip_mismatches"] == 0 and not v["errors"]
    assert not any(v["failures"].values())  # tier 3: dciodvfy errors are failures (when it is installed)
    assert "tier1-pydicom" in v["tiers_run"]
    versions = {name: get_pack(name).version for name in PACKS}
    assert [(s["name"], s["version"]) for s in m["styles"]] == sorted(versions.items())
    assert sum(s["files"] for s in m["styles"]) == len(m["files"]) and all(s["files"] for s in m["styles"])
    assert sorted(m["diversity"]["pack_names"]) == sorted(PACKS) and m["diversity"]["faces"] >= 2
    by_study: dict[tuple[str, int], set[str]] = {}
    for f in m["files"]:
        by_study.setdefault((f["patient_key"], f["study_index"]), set()).add(f["style"])
    assert all(len(s) == 1 for s in by_study.values()), "all files of a study share one device"
    boxes, tags = read_csv(root / "gt" / "boxes.csv"), read_csv(root / "gt" / "tags.csv")
    style_of = {f["relpath"]: f["style"] for f in m["files"]}
    assert all(r["style"] == style_of[r["output_dicom_relpath"]] and r["style_version"] == versions[r["style"]]
               for r in boxes)
    assert all(r["style"] == style_of[r["file"]] and r["style_version"] == versions[r["style"]] for r in tags)
    lossy = [f for f in m["files"] if not f["lossless"]]
    assert lossy, "the pack dataset needs JPEG files for this check"
    for f in lossy:
        lo, hi = get_pack(f["style"]).rendering.jpeg_quality
        assert lo <= f["jpeg_quality"] <= hi, "JPEG quality from the pack's range"
    faces = {name: {f.face for f in get_pack(name).typography.fonts} for name in PACKS}
    text = [r for r in boxes if r["kind"] == "text"]
    assert text and all(r["font"] in faces[r["style"]] for r in text), "each text row in one of its pack's faces"


def test_pack_graphics_are_rows_of_kind_graphic(pack_config):
    from phiphantom.synth.graphics import GRAPHIC_KINDS
    from phiphantom.synth.ground_truth import read_masks

    root = pack_config.out
    entries = {f["relpath"]: f for f in manifest(root)["files"]}
    graphics = [r for r in read_csv(root / "gt" / "boxes.csv") if r["kind"] == "graphic"]
    assert graphics
    for r in graphics:
        assert r["is_phi"] == "0" and r["phi_category"] in GRAPHIC_KINDS and r["phi_value"] == ""
        entry = entries[r["output_dicom_relpath"]]
        alpha = read_masks(root / entry["mask_relpath"], entry["columns"])[r["box_id"]]
        assert alpha.shape == (int(r["bbox_h"]), int(r["bbox_w"]))
        assert alpha[0].any() and alpha[-1].any() and alpha[:, 0].any() and alpha[:, -1].any(), "box is not tight"
        assert (r["frame_start"], r["frame_end"]) == ("0", str(entry["frames"]))
    ds = load_dataset(root)
    assert sum(b.graphic for f in ds.files for b in f.boxes) == len(graphics)
    coco = json.loads((root / "gt" / "coco.json").read_text(encoding="utf-8"))
    names = {c["name"]: c["supercategory"] for c in coco["categories"]}
    assert all(names[k] == "non-phi" for k in GRAPHIC_KINDS) and names["name"] == "phi"


def test_pack_text_ground_truth_is_exact_ink(pack_config):
    assert assert_ink_ground_truth(pack_config.out, pack_config) > 10


def test_exclude_styles_leaves_the_pack_out():
    refs = select_styles(PACKS, ("legacy-crt-l",))
    assert [r.name for r in refs] == ["cart-general-a"]
    config = GenerateConfig(out=Path("x"), styles=",".join(PACKS), exclude_styles="legacy-crt-l", workers=1)
    assert [r.name for r in config.style_packs()] == ["cart-general-a"]
    assert config.content_dict()["exclude_styles"] == ["legacy-crt-l"]


def test_a_pack_patient_has_the_pack_s_id_shape_and_locale(pack_config):
    from phiphantom.synth.styles import get_pack

    root = pack_config.out
    first_pack = {f["patient_key"]: f["style"] for f in manifest(root)["files"] if f["study_index"] == 0}
    identities = {r["patient_key"]: r for r in read_csv(root / "gt" / "identities.csv")}
    assert first_pack and set(first_pack) <= set(identities)
    for key, style in first_pack.items():
        pack = get_pack(style)
        assert identities[key]["mrn_format"] in pack.phi.id_shapes
        assert identities[key]["locale"] in pack.phi.locales
    # the burned ID is the header's PatientID
    header_ids = {r["file"]: r["injected_value"] for r in read_csv(root / "gt" / "tags.csv")
                  if r["tag_path"] == "(0010,0020)"}
    burned = [r for r in read_csv(root / "gt" / "boxes.csv") if r["phi_category"] == "patient_id"]
    assert burned and all(r["phi_value"] == header_ids[r["output_dicom_relpath"]] for r in burned)


def test_compose_sample_draws_each_pack_s_text():
    from phiphantom.synth.styles import get_pack
    from phiphantom.synth.styles.compose_pack import compose_sample

    frames = {name: compose_sample(get_pack(name), 2, (320, 240)) for name in ("classic", *PACKS)}
    for frame in frames.values():
        assert frame.shape == (240, 320, 3) and frame.dtype.name == "uint8" and frame.max() > 150
    assert not (frames["cart-general-a"] == frames["legacy-crt-l"]).all()
    assert (compose_sample(get_pack("legacy-crt-l"), 2, (320, 240)) == frames["legacy-crt-l"]).all()
