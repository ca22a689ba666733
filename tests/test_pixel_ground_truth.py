"""Every PHI box has ink inside it on every frame of its range, and none just outside it.

The files are re-read with pydicom (``frames[t, y, x]``, x = column) and compared
with the background the text was burned onto, recomposed from the plan (the
generator is deterministic). Frames are non-square, so a transposed box lands
on the wrong pixels and fails.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from phiphantom.synth.file_job import compose_job
from phiphantom.synth.ground_truth import read_masks
from phiphantom.synth.plan import plan_dataset
from phiphantom.synth.sources import open_source

from .conftest import manifest, read_csv


def _frames(path) -> np.ndarray:
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    return arr if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1 else arr[None]


def _as_float_luma(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float32)
    return a @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if a.ndim == 4 else a


@pytest.mark.parametrize("dataset", ["hard_dataset", "realistic_dataset"])
def test_ink_inside_every_box_and_not_outside(dataset, request):
    root, config = request.getfixturevalue(dataset)
    assert assert_ink_ground_truth(root, config) > 50


def assert_ink_ground_truth(root, config) -> int:
    """Check every PHI box of a dataset against the recomposed background; returns boxes checked."""
    entries = {f["relpath"]: f for f in manifest(root)["files"]}
    boxes = read_csv(root / "gt" / "boxes.csv")
    _, jobs = plan_dataset(config, open_source(config.source))
    checked = 0
    for job in jobs:
        if job.relpath not in entries:
            continue
        entry = entries[job.relpath]
        comp, _ = compose_job(job, keep_background=True)
        background = _as_float_luma(comp.background)
        stored = _frames(root / job.relpath)
        assert stored.shape[:3] == (entry["frames"], entry["rows"], entry["columns"])
        assert stored.shape[1] != stored.shape[2], "frames must be non-square for this test to catch axis swaps"
        stored = _as_float_luma(stored)
        masks = read_masks(root / entry["mask_relpath"], entry["columns"])
        image_mask = masks["image_mask"]
        assert image_mask.shape == stored.shape[1:3] and image_mask.any()
        ys, xs = np.nonzero(image_mask)
        x0r, y0r, x1r, y1r = entry["image_rect"]
        assert x0r <= xs.min() and xs.max() < x1r and y0r <= ys.min() and ys.max() < y1r
        lossless = entry["lossless"]
        for row in (r for r in boxes if r["output_dicom_relpath"] == job.relpath and r["is_phi"] == "1"):
            x, y, w, h = (int(row[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
            alpha = masks[row["box_id"]]
            assert alpha.shape == (h, w)
            assert alpha[0].any() and alpha[-1].any() and alpha[:, 0].any() and alpha[:, -1].any(), "box is not tight"
            strong = alpha >= 200
            if row["over_image"] == "0":
                assert not (image_mask[y:y + h, x:x + w] & (alpha > 0)).any(), "text off the image must not touch it"
            for t in range(int(row["frame_start"]), int(row["frame_end"])):
                inside = np.abs(stored[t, y:y + h, x:x + w] - background[t, y:y + h, x:x + w])
                ring = np.abs(stored[t, y - 1:y + h + 1, x - 1:x + w + 1] - background[t, y - 1:y + h + 1, x - 1:x + w + 1])
                ring[1:-1, 1:-1] = 0
                contrast = float(row["contrast"]) * 255
                if lossless:
                    assert inside[strong].mean() > 0.8 * contrast, f"no ink in box {row['box_id']} frame {t}"
                    assert ring.max() == 0, f"ink outside box {row['box_id']} frame {t}"
                else:  # JPEG: ink is blurred but must be where the box says
                    assert inside[strong].mean() > 0.4 * contrast
                    assert ring.mean() < 0.5 * inside[strong].mean()
            checked += 1
    return checked


def test_boxes_never_cross_frame_range_of_the_file(hard_dataset):
    root, _ = hard_dataset
    entries = {f["relpath"]: f for f in manifest(root)["files"]}
    for row in read_csv(root / "gt" / "boxes.csv"):
        e = entries[row["output_dicom_relpath"]]
        assert 0 <= int(row["frame_start"]) < int(row["frame_end"]) <= e["frames"]
        assert 0 <= int(row["bbox_x"]) and int(row["bbox_x"]) + int(row["bbox_w"]) <= e["columns"]
        assert 0 <= int(row["bbox_y"]) and int(row["bbox_y"]) + int(row["bbox_h"]) <= e["rows"]
        assert int(row["image_w"]) == e["columns"] and int(row["image_h"]) == e["rows"]


def test_cine_clock_changes_and_covers_every_frame(hard_dataset):
    root, _ = hard_dataset
    entries = {f["relpath"]: f for f in manifest(root)["files"]}
    rows = read_csv(root / "gt" / "boxes.csv")
    cines = [p for p, e in entries.items() if e["frames"] > 1]
    assert cines
    for path in cines:
        clock = sorted((int(r["frame_start"]), int(r["frame_end"]), r["rendered_text"])
                       for r in rows if r["output_dicom_relpath"] == path and r["phi_category"] == "acquisition_time")
        assert len(clock) >= 2, "the clock must change during the cine"
        covered = [f for s, e, _ in clock for f in range(s, e)]
        assert covered == list(range(entries[path]["frames"])), "every frame shows exactly one clock state"
        assert len({text for *_, text in clock}) == len(clock)
