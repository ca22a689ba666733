"""Exports for model training (issue 14 item 6): ``phiphantom export DATASET OUT --format yolo|hf``.

A real two-pack dataset is generated (grey, RGB and JPEG YBR files, cines), exported through the CLI,
and read back independently: YOLO label lines de-normalised against ``gt/boxes.csv``, PNGs decoded
against pydicom's frames, the parquet read with pyarrow and checked against the schema ``datasets``
expects (``Image`` = struct{bytes: binary, path: string}, its feature metadata), the splits checked.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pydicom
import pytest
from PIL import Image
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.synth import generate
from phiphantom.synth.exports import ExportError, FrameChoice, SplitPlan
from phiphantom.synth.exports.frames import png_bytes
from phiphantom.synth.exports.hf_parquet import ParquetWriter
from phiphantom.synth.exports.items import iter_items
from phiphantom.synth.exports.source import load_dataset
from phiphantom.synth.exports.splits import assign_splits
from phiphantom.synth.exports.yolo import parse_label_line

from .helpers import manifest, read_csv, small_config

STYLES = ("cart-general-a", "legacy-crt-l")
runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    for seed in (7, 3, 5):  # seed 7 draws both packs today; the others only if the per-study draw changes
        out = tmp_path_factory.mktemp("exports") / "ds"
        generate(small_config(out, patients=3, seed=seed, styles=STYLES))
        if {s["name"] for s in manifest(out)["styles"] if s["files"]} == set(STYLES):
            return out
    raise AssertionError("no seed drew files from both packs")


def export(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["export", *args])
    return result.exit_code, result.output


def frames_of(path: Path) -> np.ndarray:
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    return arr[np.newaxis] if int(getattr(ds, "NumberOfFrames", 1) or 1) == 1 else arr


def gt_boxes(root: Path) -> dict[tuple[str, int], list[tuple[str, tuple[int, int, int, int]]]]:
    """(file, frame) -> [(category, (x0, y0, x1, y1))] straight from gt/boxes.csv."""
    out: dict[tuple[str, int], list[tuple[str, tuple[int, int, int, int]]]] = defaultdict(list)
    for r in read_csv(root / "gt" / "boxes.csv"):
        x, y, w, h = (int(r[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
        for t in range(int(r["frame_start"]), int(r["frame_end"])):
            out[(r["output_dicom_relpath"], t)].append((r["phi_category"], (x, y, x + w, y + h)))
    return out


def image_source(name: str) -> tuple[str, int]:
    """``P00001_ST01_US_0002_f0003`` -> (``dicom/P00001/ST01/US_0002.dcm``, 3)."""
    stem, frame = name.rsplit("_f", 1)
    patient, study, rest = stem.split("_", 2)
    return f"dicom/{patient}/{study}/{rest}.dcm", int(frame)


def test_yolo_labels_are_the_ground_truth_boxes(dataset, tmp_path):
    out = tmp_path / "yolo"
    code, text = export(str(dataset), str(out), "--format", "yolo", "--frames", "all")
    assert code == 0, text
    classes = (out / "classes.txt").read_text("utf-8").splitlines()
    coco = json.loads((dataset / "gt" / "coco.json").read_text("utf-8"))
    assert classes == [c["name"] for c in sorted(coco["categories"], key=lambda c: c["id"])]
    summary = json.loads((out / "export.json").read_text("utf-8"))
    assert [c["name"] for c in summary["categories"]] == classes
    assert {c["group"] for c in summary["categories"]} == {"phi", "clinical", "graphic"}
    images = sorted(out.glob("images/*/*.png"))
    labels = sorted(out.glob("labels/*/*.txt"))
    m = manifest(dataset)
    assert len(images) == summary["frames"] == sum(f["frames"] for f in m["files"])
    assert [p.relative_to(out / "labels").with_suffix("") for p in labels] == \
        [p.relative_to(out / "images").with_suffix("") for p in images]
    truth = gt_boxes(dataset)
    decoded: dict[str, np.ndarray] = {}
    graphics = 0
    for png in images:
        relpath, t = image_source(png.stem)
        if relpath not in decoded:
            decoded[relpath] = frames_of(dataset / relpath)
        pixels = np.asarray(Image.open(png))
        assert np.array_equal(pixels, decoded[relpath][t])
        height, width = pixels.shape[:2]
        lines = (out / "labels" / png.parent.name / f"{png.stem}.txt").read_text("utf-8").splitlines()
        got = sorted((classes[c], tuple(round(v) for v in box)) for c, box in
                     (parse_label_line(line, width, height) for line in lines))
        for _, box in (parse_label_line(line, width, height) for line in lines):
            assert all(abs(v - round(v)) < 0.01 for v in box)  # six decimals: within rounding of the pixel box
        assert got == sorted(truth[(relpath, t)])
        graphics += sum(1 for name, _ in got if name in {c["name"] for c in summary["categories"]
                                                          if c["group"] == "graphic"})
    assert graphics > 0  # the packs' graphics are exported too
    data = (out / "data.yaml").read_text("utf-8")
    for split, count in summary["frames_by_split"].items():
        assert f"{split}: images/{split}" in data and len(list(out.glob(f"images/{split}/*.png"))) == count
    assert f"nc: {len(classes)}" in data


def test_hf_parquet_is_what_datasets_loads(dataset, tmp_path):
    out = tmp_path / "hf"
    code, text = export(str(dataset), str(out), "--format", "hf", "--frames", "every:2")
    assert code == 0, text
    shards = sorted((out / "data").glob("*.parquet"))
    assert shards and all("-of-" in p.name for p in shards)
    table = pa.concat_tables([pq.read_table(p) for p in shards])
    m = manifest(dataset)
    assert table.num_rows == sum(len(range(0, f["frames"], 2)) for f in m["files"])
    schema = pq.read_schema(shards[0])
    assert schema.field("image").type == pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    objects = schema.field("objects").type
    assert objects.field("bbox").type.value_type.value_type == pa.float32()  # list<list<float32>>
    assert {objects.field(n).type.value_type for n in ("category_name", "kind", "style", "text")} == {pa.string()}
    assert objects.field("category").type.value_type == pa.int64()
    assert objects.field("is_phi").type.value_type == pa.bool_()
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    assert features["image"] == {"_type": "Image"}
    classes = features["objects"]["feature"]["category"]
    summary = json.loads((out / "export.json").read_text("utf-8"))
    assert classes["_type"] == "ClassLabel" and classes["names"] == [c["name"] for c in summary["categories"]]
    truth = gt_boxes(dataset)
    seen = set()
    for row in table.to_pylist():
        relpath, t = row["file"], row["frame"]
        seen.add((relpath, t))
        pixels = np.asarray(Image.open(io.BytesIO(row["image"]["bytes"])))
        assert np.array_equal(pixels, frames_of(dataset / relpath)[t])
        assert (row["height"], row["width"]) == pixels.shape[:2]
        o = row["objects"]
        got = sorted((classes["names"][c], (int(x), int(y), int(x + w), int(y + h)))
                     for c, (x, y, w, h) in zip(o["category"], o["bbox"], strict=True))
        assert got == sorted(truth[(relpath, t)])
        assert o["category_name"] == [classes["names"][c] for c in o["category"]]
        assert set(o["style"]) <= {row["style"]} and row["style"] in STYLES
        assert all(k == "graphic" or k == "text" for k in o["kind"])
        assert all(not p for p, k in zip(o["is_phi"], o["kind"], strict=True) if k == "graphic")
    assert len(seen) == table.num_rows
    card = (out / "README.md").read_text("utf-8")
    assert card.startswith("---\nconfigs:\n") and "path: data/train-*.parquet" in card


def test_split_by_style_keeps_each_pack_on_one_side(dataset, tmp_path):
    out = tmp_path / "by-style"
    code, text = export(str(dataset), str(out), "--format", "yolo", "--train-styles", STYLES[0],
                        "--test-styles", STYLES[1], "--val-share", "0.4")
    assert code == 0, text
    style_of = {f["relpath"]: f["style"] for f in manifest(dataset)["files"]}
    styles: dict[str, set[str]] = defaultdict(set)
    for png in out.glob("images/*/*.png"):
        styles[png.parent.name].add(style_of[image_source(png.stem)[0]])
    assert styles["test"] == {STYLES[1]} and styles["train"] | styles["val"] == {STYLES[0]}
    summary = json.loads((out / "export.json").read_text("utf-8"))
    assert summary["splits"]["test"] == [STYLES[1]] and STYLES[1] not in summary["splits"]["train"]


def test_default_split_is_by_patient_and_deterministic(dataset):
    files = load_dataset(dataset).files
    plan = SplitPlan(val_share=0.3, test_share=0.3)
    first, again = assign_splits(files, plan), assign_splits(files, plan)
    assert first == again and set(first) == {f.relpath for f in files}
    by_patient: dict[str, set[str]] = defaultdict(set)
    for f in files:
        by_patient[f.patient].add(first[f.relpath])
    assert all(len(s) == 1 for s in by_patient.values())  # a patient (so each study) in one split only


def test_bad_splits_are_refused(dataset):
    files = load_dataset(dataset).files
    with pytest.raises(ExportError, match="two splits"):
        assign_splits(files, SplitPlan(train_styles=STYLES, test_styles=STYLES[:1]))
    with pytest.raises(ExportError, match="not in this dataset"):
        assign_splits(files, SplitPlan(test_styles=("no-such-pack",)))
    with pytest.raises(ExportError, match="share"):
        assign_splits(files, SplitPlan(val_share=0.6, test_share=0.5))


def test_frame_choice():
    assert FrameChoice.parse("first").frames(5) == [0]
    assert FrameChoice.parse("all").frames(3) == [0, 1, 2]
    assert FrameChoice.parse("every:2").frames(5) == [0, 2, 4]
    for bad in ("every:0", "every:x", "some", ""):
        with pytest.raises(ExportError):
            FrameChoice.parse(bad)


def _unwrapped(text: str) -> str:
    """The command's message with the console's line wrapping undone (where it wraps depends on the path's length)."""
    return " ".join(text.split())


def test_never_overwrites_and_cleans_up(dataset, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("user data", "utf-8")
    code, text = export(str(dataset), str(busy), "--format", "hf")
    assert code == 2 and "not empty" in _unwrapped(text)
    assert [p.name for p in busy.iterdir()] == ["mine.txt"] and (busy / "mine.txt").read_text("utf-8") == "user data"
    a_file = tmp_path / "a-file"
    a_file.write_text("x", "utf-8")
    assert export(str(dataset), str(a_file))[0] == 2 and a_file.read_text("utf-8") == "x"
    assert export(str(dataset), str(tmp_path / "new"), "--format", "coco")[0] == 2
    assert export(str(dataset), str(tmp_path / "new"), "--test-styles", "no-such-pack")[0] == 2
    assert not (tmp_path / "new").exists()
    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    last = manifest(broken)["files"][-1]["relpath"]
    (broken / last).write_bytes((broken / last).read_bytes()[:400])  # a damaged file, decoded after others
    code, text = export(str(broken), str(tmp_path / "partial"), "--frames", "all")
    assert code == 2 and "cannot decode" in _unwrapped(text)
    assert not (tmp_path / "partial").exists()  # what it wrote before the failure is gone
    given = tmp_path / "given"  # an empty folder the user made: the failed export empties it but keeps it
    given.mkdir()
    code, text = export(str(broken), str(given), "--frames", "all")
    assert code == 2 and given.is_dir() and list(given.iterdir()) == []


def test_shards_split_a_long_export(dataset, tmp_path):
    data = load_dataset(dataset)
    splits = {f.relpath: "train" for f in data.files}
    writer = ParquetWriter(tmp_path, data.categories, rows_per_shard=4)
    frames = 0
    for item in iter_items(data, splits, FrameChoice.parse("all")):
        writer.add(item, png_bytes(item.pixels))
        frames += 1
    written = writer.finish("card\n")
    shards = sorted(p.name for p in written if p.suffix == ".parquet")
    count = -(-frames // 4)
    assert shards == [f"train-{i:05d}-of-{count:05d}.parquet" for i in range(count)]
    tables = [pq.read_table(tmp_path / "data" / name) for name in shards]
    assert sum(t.num_rows for t in tables) == frames and all(t.num_rows <= 4 for t in tables)


def test_a_dataset_from_before_style_packs_exports_as_classic(dataset, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(dataset, old)
    rows = read_csv(old / "gt" / "boxes.csv")
    columns = [c for c in rows[0] if c not in ("style", "style_version", "kind")]
    with (old / "gt" / "boxes.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    m = manifest(old)
    for entry in m["files"]:
        entry.pop("style"), entry.pop("style_version")
    (old / "manifest.json").write_text(json.dumps(m), "utf-8")
    code, text = export(str(old), str(tmp_path / "out"), "--format", "hf")
    assert code == 0, text
    table = pq.read_table(next((tmp_path / "out" / "data").glob("*.parquet")))
    assert set(table.column("style").to_pylist()) == {"classic"}
    assert {k for o in table.column("objects").to_pylist() for k in o["kind"]} == {"text"}
