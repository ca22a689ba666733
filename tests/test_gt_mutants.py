"""The generator's ground truth, checked against what was drawn (issue 17 item 2: mutation testing).

The scorer believes ``gt/boxes.csv``, the masks and ``gt/coco.json``: a clinical box shifted by one pixel
skews ``clinical_preservation`` without any test noticing, because only PHI boxes were checked for
tightness and ink. Here every box, PHI and clinical, text and graphic, of a tiny generated dataset
(lossless, grey and RGB, stills and cines, the classic look and two style packs) is checked against the
DICOM read back and the background recomposed from the plan: its ink lies inside it on every frame of its
range, touches each of its four edges, and nothing changed on the one-pixel ring around it. The writers
(``synth/file_job.py::box_rows``, ``synth/ground_truth.py``, ``synth/gt_writer.py``) are also run on
their own, with exact expected files. docs/mutation.md lists the mutants these tests kill.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pydicom
import pytest

from phiphantom.core import __version__
from phiphantom.synth import GenerateConfig, generate
from phiphantom.synth.compose import Composition
from phiphantom.synth.file_job import box_rows, compose_job
from phiphantom.synth.graphics import Graphic
from phiphantom.synth.ground_truth import read_masks
from phiphantom.synth.overlay_content import PHI_TAGS
from phiphantom.synth.plan import FileJob, plan_dataset
from phiphantom.synth.sources import open_source

from .helpers import manifest, read_csv, small_config

STYLES = ("classic", "cart-general-a", "legacy-crt-l")


@dataclass
class Drawn:
    """One generated file: its manifest entry, rows, masks, frames read back (luma) and the recomposition."""

    entry: dict
    rows: list[dict[str, str]]
    masks: dict[str, np.ndarray]
    stored: np.ndarray      # (T, H, W) float luma of the DICOM as read back
    rgb: np.ndarray         # (T, H, W, C) or (T, H, W) as read back, uint8
    background: np.ndarray  # (T, H, W) float luma of the frames before the text was burned in
    comp: Composition
    job: FileJob


def _luma(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float32)
    return a @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if a.ndim == 4 else a


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, GenerateConfig]:
    """6 lossless files (hard difficulty), classic and two packs: PHI, clinical and graphic boxes."""
    out = tmp_path_factory.mktemp("gt-mutants")
    config = small_config(out, patients=3, files_per_study=(2, 2), styles=STYLES, difficulty="hard",
                          jpeg_fraction=0.0, frames=(2, 3), seed=11)
    generate(config)
    return out, config


@pytest.fixture(scope="module")
def drawn(tiny) -> list[Drawn]:
    root, config = tiny
    entries = {f["relpath"]: f for f in manifest(root)["files"]}
    boxes = read_csv(root / "gt" / "boxes.csv")
    _, jobs = plan_dataset(config, open_source(config.source))
    files = []
    for job in jobs:
        entry = entries[job.relpath]
        comp, _ = compose_job(job, keep_background=True)
        assert comp is not None
        ds = pydicom.dcmread(root / job.relpath)
        arr = ds.pixel_array
        arr = arr if entry["frames"] > 1 else arr[None]
        files.append(Drawn(entry, [r for r in boxes if r["output_dicom_relpath"] == job.relpath],
                           read_masks(root / entry["mask_relpath"], entry["columns"]), _luma(arr), arr,
                           _luma(comp.background), comp, job))
    assert len(files) == len(entries)
    return files


def _box(row: dict[str, str]) -> tuple[int, int, int, int]:
    return int(row["bbox_x"]), int(row["bbox_y"]), int(row["bbox_w"]), int(row["bbox_h"])


def _rows(files: list[Drawn], kind: str) -> Iterator[tuple[Drawn, dict[str, str]]]:
    return ((f, r) for f in files for r in f.rows if r["kind"] == kind)


def test_the_dataset_has_every_kind_of_box(drawn):
    kinds = {(r["kind"], r["is_phi"]) for f in drawn for r in f.rows}
    assert kinds == {("text", "1"), ("text", "0"), ("graphic", "0")}
    assert {f.entry["colour"] for f in drawn} == {"grey", "rgb"} and {f.entry["style"] for f in drawn} == set(STYLES)
    assert any(f.entry["frames"] > 1 for f in drawn) and all(f.entry["lossless"] for f in drawn)
    for column in ("over_image", "antialias", "plate"):
        assert {r[column] for f in drawn for r in f.rows} == {"0", "1"}, column


def test_every_text_box_phi_or_clinical_is_tight_around_its_ink_in_the_dicom(drawn):
    """The issue's mutant: a clinical box shifted by one pixel. Ink inside, on each edge, none on the ring."""
    checked = {"0": 0, "1": 0}
    for f, row in _rows(drawn, "text"):
        x, y, w, h = _box(row)
        height, width = f.stored.shape[1:3]
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
        alpha = f.masks[row["box_id"]]
        assert alpha.shape == (h, w)
        assert alpha[0].any() and alpha[-1].any() and alpha[:, 0].any() and alpha[:, -1].any(), "mask not tight"
        contrast = float(row["contrast"]) * 255
        for t in range(int(row["frame_start"]), int(row["frame_end"])):
            change = np.abs(f.stored[t] - f.background[t])
            inside = change[y:y + h, x:x + w]
            assert inside[alpha >= 200].mean() > 0.7 * contrast, f"no ink in box {row['box_id']} frame {t}"
            for edge, a in ((inside[0], alpha[0]), (inside[-1], alpha[-1]), (inside[:, 0], alpha[:, 0]),
                            (inside[:, -1], alpha[:, -1])):
                if a.max() >= 128:  # a faint edge (alpha 1/255) may round to no change
                    assert edge[a >= 128].max() > 0, f"box {row['box_id']} frame {t}: an edge without ink"
            ring = change[max(y - 1, 0):y + h + 1, max(x - 1, 0):x + w + 1].copy()
            ring[int(y > 0):int(y > 0) + h, int(x > 0):int(x > 0) + w] = 0
            assert ring.max() == 0, f"ink outside box {row['box_id']} frame {t}"
        checked[row["is_phi"]] += 1
    assert checked["0"] > 40 and checked["1"] > 10, checked


def test_graphic_boxes_are_the_tight_box_of_the_pixels_the_graphic_changed(drawn):
    checked = 0
    for f in drawn:
        graphics = [r for r in f.rows if r["kind"] == "graphic"]
        assert len(graphics) == len(f.comp.graphics)
        first = f.rgb[0].astype(np.float64)
        grey = first.mean(axis=-1) if first.ndim == 3 else first
        for row, g in zip(graphics, f.comp.graphics, strict=True):
            ys, xs = np.nonzero(g.mask)
            x, y, w, h = _box(row)
            assert (x, y, x + w, y + h) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
            ink = g.mask[y:y + h, x:x + w]
            assert np.array_equal(f.masks[row["box_id"]], ink.astype(np.uint8) * 255)
            assert row["contrast"] == f"{grey[y:y + h, x:x + w][ink].mean() / 255:.3f}"
            assert row["over_image"] == str(int(bool((f.masks["image_mask"][y:y + h, x:x + w] & ink).any())))
            assert (row["phi_category"], row["region"], row["is_phi"], row["phi_value"], row["rendered_text"]) == (
                g.kind, g.kind, "0", "", g.text)
            assert (row["font"], row["font_px"], row["colour"], row["antialias"], row["plate"], row["dicom_tag"]) == (
                "", "0", "", "0", "0", "")
            assert (row["frame_start"], row["frame_end"]) == ("0", str(f.entry["frames"]))
            checked += 1
    assert checked >= 5
    assert {"0", "1"} <= {r["over_image"] for _, r in _rows(drawn, "graphic")}


def test_text_rows_hold_what_was_drawn(drawn, tiny):
    root, config = tiny
    for f in drawn:
        ds = pydicom.dcmread(root / f.entry["relpath"], stop_before_pixels=True)
        text = [r for r in f.rows if r["kind"] == "text"]
        assert len(text) == len(f.comp.boxes)
        assert [r["box_id"] for r in f.rows] == [f"b{k:03d}" for k in range(len(f.rows))], "text rows, then graphics"
        assert set(f.masks) == {r["box_id"] for r in f.rows} | {"image_mask"}
        for row, b, contrast in zip(text, f.comp.boxes, f.comp.contrast, strict=True):
            assert (row["sop_instance_uid"], row["image_h"], row["image_w"]) == (
                ds.SOPInstanceUID, str(ds.Rows), str(ds.Columns))
            assert (row["output_dicom_relpath"], row["mask_relpath"], row["style"]) == (
                f.entry["relpath"], f.entry["mask_relpath"], f.entry["style"])
            assert (row["seed"], row["run_id"], row["layout"], row["pipeline_version"]) == (
                str(f.job.seed), config.run_id(), f.entry["layout"], __version__)
            assert (row["source_id"], row["source_relpath"]) == (f.job.source_ref.source_id, f.job.source_ref.relpath)
            assert row["is_phi"] == str(int(row["phi_category"] in PHI_TAGS))
            assert (row["phi_category"], row["region"], row["rendered_text"], row["phi_value"]) == (
                b.run.category, b.region, b.state.text, b.state.phi_value)
            assert (row["font"], row["font_px"], row["colour"]) == (b.style.font, str(b.style.size),
                                                                    b.style.colour_name)
            assert row["antialias"] == str(int(b.style.antialias))
            assert row["plate"] == str(int(b.style.plate_rgb is not None))
            assert row["over_image"] == str(int(b.over_image)) and row["contrast"] == f"{contrast:.3f}"
            assert (row["frame_start"], row["frame_end"]) == (str(b.state.frame_start), str(b.state.frame_end))
            assert np.array_equal(f.masks[row["box_id"]], b.glyphs.alpha)


def test_a_graphic_is_over_the_image_only_when_its_ink_covers_image_pixels(drawn):
    """Three graphics added to a real composition: ink on the image, ink beside it, and ink on both sides of
    an image row (its box spans image pixels, its ink touches none). Only the first is over the image."""
    f = next(f for f in drawn if f.entry["frames"] == 1)
    image = f.comp.image_mask
    height, width = image.shape
    y = int(np.nonzero(image.any(axis=1))[0].mean())  # a row through the middle of the image
    cols = np.nonzero(image[y])[0]
    c0, c1 = int(cols.min()), int(cols.max()) + 1
    assert 0 < c0 and c1 < width and image[y, c0:c1].all()

    def graphic(*pixels: tuple[int, int]) -> Graphic:
        mask = np.zeros((height, width), bool)
        for py, px in pixels:
            mask[py, px] = True
        ys, xs = np.nonzero(mask)
        return Graphic("calipers", (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1), mask)

    outside = next((py, px) for py, px in zip(*np.nonzero(~image), strict=True) if px < c0 - 2)
    added = [graphic((y, c0), (y, c0 + 1)), graphic(outside), graphic((y, c0 - 1), (y, c1))]
    comp = replace(f.comp, graphics=added)
    rows, masks = box_rows(f.job, comp, f.entry["mask_relpath"])
    got = [(r["over_image"], r["bbox_x"], r["bbox_w"], r["kind"]) for r in rows[len(f.comp.boxes):]]
    assert got == [(1, c0, 2, "graphic"), (0, int(outside[1]), 1, "graphic"), (0, c0 - 1, c1 - c0 + 2, "graphic")]
    assert [masks[r["box_id"]].tolist() for r in rows[len(f.comp.boxes):]] == [
        [[255, 255]], [[255]], [[255] + [0] * (c1 - c0) + [255]]]
