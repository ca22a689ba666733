"""Every PHI box has ink inside it on every frame of its range, and none just outside it.

The files are re-read with pydicom (``frames[t, y, x]``, x = column) and compared
with the background the text was burned onto, recomposed from the plan (the
generator is deterministic). Frames are non-square, so a transposed box lands
on the wrong pixels and fails.
"""

from __future__ import annotations

import pytest

from .helpers import assert_ink_ground_truth, manifest, read_csv


@pytest.mark.parametrize("dataset", ["hard_dataset", "realistic_dataset"])
def test_ink_inside_every_box_and_not_outside(dataset, request):
    root, config = request.getfixturevalue(dataset)
    assert assert_ink_ground_truth(root, config) > 50


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
