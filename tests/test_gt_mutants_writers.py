"""The ground-truth writers on their own (issue 17 item 2: mutation testing of ``synth/ground_truth.py`` and
``synth/gt_writer.py``): exact files for exact inputs.

The masks' ``.npz`` (fixed zip stamps, sorted keys, packed image mask and its legacy unpacked form), the
JSON and CSV writers (sorted, atomic, UTF-8), the file hash, the COCO document (ids from 1, one image per
frame, one annotation per box per frame, ``area`` = w × h, supercategories) and the streaming writer
(results in any order written in file order, quarantined files, counts, part files gone, refusal to
finish early) are each checked against values their definitions imply. Real files are written and read
back with ``np.load``, ``zipfile``, ``csv`` and ``json``; nothing is mocked.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from phiphantom.core.ground_truth import BOX_COLUMNS, TAG_COLUMNS
from phiphantom.synth.file_job import JobResult
from phiphantom.synth.ground_truth import (
    COCO_INFO,
    IMAGE_MASK_KEY,
    QUARANTINE_COLUMNS,
    coco_from_boxes,
    pack_image_mask,
    read_masks,
    sha256_file,
    unpack_image_mask,
    write_csv,
    write_json,
    write_masks,
)
from phiphantom.synth.gt_writer import GroundTruthWriter

CATEGORIES = ["name", "patient_id", "depth", "scale"]  # two PHI categories, then two clinical ones


# --------------------------------------------------------------------------- ground_truth.py


def test_csv_has_a_header_the_given_column_order_and_newline_ends(tmp_path):
    path = tmp_path / "deep" / "t.csv"
    write_csv(path, ("b", "a"), [{"a": "Zoë", "b": 1}, {"a": "x,y", "b": 2}])
    assert path.read_bytes() == 'b,a\n1,Zoë\n2,"x,y"\n'.encode()
    with pytest.raises(ValueError):
        write_csv(tmp_path / "u.csv", ("a",), [{"a": 1, "c": 2}])


def test_masks_are_exact_arrays_in_a_reproducible_zip(tmp_path):
    rng = np.random.default_rng(3)
    masks = {"b001": rng.integers(0, 256, (5, 7), dtype=np.uint8), "b000": np.zeros((2, 3), np.uint8),
             IMAGE_MASK_KEY: pack_image_mask(rng.random((4, 13)) > 0.5)}
    a, b = tmp_path / "x" / "a.npz", tmp_path / "b.npz"
    write_masks(a, masks)
    write_masks(b, dict(reversed(list(masks.items()))))
    assert a.read_bytes() == b.read_bytes(), "same masks in another order: the same bytes"
    assert not list(tmp_path.rglob("*.part"))
    with zipfile.ZipFile(a) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["b000.npy", "b001.npy", "image_mask.npy"]
        for i in infos:
            assert i.date_time == (1980, 1, 1, 0, 0, 0) and i.compress_type == zipfile.ZIP_DEFLATED
            assert i.external_attr >> 16 == 0o644, "entries unzip as rw-r--r--"
    with np.load(a) as npz:
        for key, value in masks.items():
            assert npz[key].dtype == value.dtype and np.array_equal(npz[key], value)
    sparse = tmp_path / "sparse.npz"
    write_masks(sparse, {"b000": np.zeros((200, 300), np.uint8)})
    assert sparse.stat().st_size < 2_000, "masks are compressed: a blank 60 000-pixel mask costs little"


def test_the_image_mask_is_packed_along_rows_first_pixel_in_the_high_bit(tmp_path):
    mask = np.zeros((2, 10), bool)
    mask[0, 0] = mask[0, 9] = mask[1, 7] = True
    packed = pack_image_mask(mask)
    assert packed.dtype == np.uint8 and packed.tolist() == [[0b10000000, 0b01000000], [0b00000001, 0]]
    path = tmp_path / "m.npz"
    alpha = np.full((3, 4), 200, np.uint8)
    write_masks(path, {"b000": alpha, IMAGE_MASK_KEY: packed})
    got = read_masks(path, 10)
    assert got[IMAGE_MASK_KEY].dtype == bool and np.array_equal(got[IMAGE_MASK_KEY], mask)
    assert np.array_equal(got["b000"], alpha) and set(got) == {"b000", IMAGE_MASK_KEY}
    write_masks(path, {"b000": alpha})
    assert set(read_masks(path, 10)) == {"b000"}, "no image mask stored: none read"


def test_an_unpacked_image_mask_of_an_older_dataset_still_reads_and_any_other_width_is_refused(tmp_path):
    where = tmp_path / "secret-name.npz"
    legacy = np.array([[0, 1, 1, 0, 0, 0, 0, 0, 0, 1]], np.uint8)
    assert unpack_image_mask(legacy, 10, where).tolist() == [legacy[0].astype(bool).tolist()]
    one_column = np.array([[1], [0]], np.uint8)  # 1 column: packed and unpacked widths are both 1; unpacked wins
    assert unpack_image_mask(one_column, 1, where).tolist() == [[True], [False]]
    assert unpack_image_mask(np.array([[0b10100000]], np.uint8), 3, where).tolist() == [[True, False, True]]
    rng = np.random.default_rng(5)
    for columns in (2, 7, 8, 9, 15, 16, 17):  # packed widths 1, 1, 1, 2, 2, 2, 3
        mask = rng.random((3, columns)) > 0.5
        mask[0, -1] = True  # the last column inked: a short unpack count drops it
        assert np.array_equal(unpack_image_mask(pack_image_mask(mask), columns, where), mask), columns
    assert unpack_image_mask(np.zeros((0, 10), np.uint8), 10, where).shape == (0, 10)
    for bad, columns in ((np.zeros((2, 3), np.uint8), 10), (np.zeros((2, 1), np.uint8), 10),
                         (np.full((1, 10), 2, np.uint8), 10),
                         (np.zeros(10, np.uint8), 10), (np.zeros((1, 2, 10), np.uint8), 10)):
        with pytest.raises(ValueError, match="fits neither 10 columns nor their packed width 2$") as err:
            unpack_image_mask(bad, columns, where)
        assert str(err.value).startswith("secret-name.npz: image_mask of shape ")
        assert str(tmp_path) not in str(err.value)


def test_json_is_sorted_indented_utf8_with_a_final_newline_and_never_half_written(tmp_path):
    path = tmp_path / "sub" / "m.json"
    write_json(path, {"b": [1, {"z": 1, "a": "é"}], "a": None})
    assert path.read_text(encoding="utf-8") == (
        '{\n  "a": null,\n  "b": [\n    1,\n    {\n      "a": "é",\n      "z": 1\n    }\n  ]\n}\n')
    with pytest.raises(TypeError):
        write_json(path, {"a": object()})
    assert json.loads(path.read_text(encoding="utf-8"))["b"][0] == 1, "the old file stays"
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.json"], "no part file left"


def test_file_hash_reads_files_larger_than_one_chunk(tmp_path):
    data = bytes(range(256)) * (3 * 4096 + 17)  # 3 MiB and a bit: several 1 MiB chunks
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()
    (tmp_path / "e").write_bytes(b"")
    assert sha256_file(tmp_path / "e") == hashlib.sha256(b"").hexdigest()


def _box(relpath: str, box_id: str, category: str, phi: bool, bbox: tuple[int, int, int, int],
         frames: tuple[int, int]) -> dict[str, object]:
    """A ``gt/boxes.csv`` row (dict) with the given geometry; the other cells empty."""
    row: dict[str, object] = dict.fromkeys(BOX_COLUMNS, "")
    row.update(output_dicom_relpath=relpath, box_id=box_id, phi_category=category, is_phi=int(phi),
               bbox_x=bbox[0], bbox_y=bbox[1], bbox_w=bbox[2], bbox_h=bbox[3], frame_start=frames[0],
               frame_end=frames[1], rendered_text="Zoë")
    return row


FILES = [{"relpath": "dicom/a.dcm", "frames": 1, "rows": 480, "columns": 640},
         {"relpath": "dicom/b.dcm", "frames": 3, "rows": 600, "columns": 800}]
BOXES = [_box("dicom/a.dcm", "b000", "name", True, (10, 20, 30, 7), (0, 1)),
         _box("dicom/b.dcm", "b000", "scale", False, (5, 6, 4, 9), (0, 3)),
         _box("dicom/b.dcm", "b001", "patient_id", True, (100, 2, 50, 11), (1, 3))]


def _expected_coco() -> dict:
    """The COCO document of FILES and BOXES, written out by hand from the format's definition."""
    images = [{"id": 1, "file_name": "dicom/a.dcm", "frame": 0, "width": 640, "height": 480}] + [
        {"id": 2 + t, "file_name": "dicom/b.dcm", "frame": t, "width": 800, "height": 600} for t in range(3)]
    ann = [(1, "b000", 1, [10, 20, 30, 7], True), (2, "b000", 4, [5, 6, 4, 9], False),
           (3, "b000", 4, [5, 6, 4, 9], False), (4, "b000", 4, [5, 6, 4, 9], False),
           (3, "b001", 2, [100, 2, 50, 11], True), (4, "b001", 2, [100, 2, 50, 11], True)]
    return {"info": {"description": "PHI Phantom burned-in text boxes", "version": "1"},
            "categories": [{"id": 1, "name": "name", "supercategory": "phi"},
                           {"id": 2, "name": "patient_id", "supercategory": "phi"},
                           {"id": 3, "name": "depth", "supercategory": "non-phi"},
                           {"id": 4, "name": "scale", "supercategory": "non-phi"}],
            "images": images,
            "annotations": [{"id": k + 1, "image_id": image, "category_id": cat, "bbox": bbox,
                             "area": bbox[2] * bbox[3], "iscrowd": 0, "box_id": box_id, "is_phi": phi}
                            for k, (image, box_id, cat, bbox, phi) in enumerate(ann)]}


def test_coco_has_one_image_per_frame_and_one_annotation_per_box_per_frame():
    assert coco_from_boxes(FILES, BOXES, CATEGORIES) == _expected_coco()
    assert COCO_INFO == {"description": "PHI Phantom burned-in text boxes", "version": "1"}


# --------------------------------------------------------------------------- gt_writer.py


def _tag(relpath: str, n: int) -> dict[str, str]:
    row = dict.fromkeys(TAG_COLUMNS, "")
    row.update(file=relpath, tag_path=f"(0010,0010)#{n}", injected_value="Zoë")
    return row


def _results() -> list[JobResult]:
    """Three files in plan order: a written still, a quarantined file, a written cine."""
    def quarantine(attempt: int, relpath: str) -> dict[str, object]:
        return {"output_dicom_relpath": relpath, "attempt": attempt, "reason": "boxes touching"}
    return [
        JobResult(0, "dicom/a.dcm", True, FILES[0], [BOXES[0]], [_tag("dicom/a.dcm", 0)],
                  [quarantine(0, "dicom/a.dcm")]),
        JobResult(1, "dicom/q.dcm", False, quarantine=[quarantine(a, "dicom/q.dcm") for a in range(2)]),
        JobResult(2, "dicom/b.dcm", True, FILES[1], BOXES[1:], [_tag("dicom/b.dcm", 1), _tag("dicom/b.dcm", 2)]),
    ]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_results_in_any_order_are_written_in_file_order(tmp_path):
    writer = GroundTruthWriter(tmp_path, CATEGORIES, 3)
    for result in reversed(_results()):
        writer.add(result)
    writer.finish()
    gt = tmp_path / "gt"
    assert (gt / "coco.json").read_text(encoding="utf-8") == json.dumps(
        _expected_coco(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert [(r["output_dicom_relpath"], r["box_id"]) for r in _csv(gt / "boxes.csv")] == [
        ("dicom/a.dcm", "b000"), ("dicom/b.dcm", "b000"), ("dicom/b.dcm", "b001")]
    assert _csv(gt / "boxes.csv")[2] == {k: str(v) for k, v in BOXES[2].items()}
    assert (gt / "boxes.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(BOX_COLUMNS)
    assert [r["tag_path"] for r in _csv(gt / "tags.csv")] == ["(0010,0010)#0", "(0010,0010)#1", "(0010,0010)#2"]
    assert (tmp_path / "quarantine.csv").read_text(encoding="utf-8") == (
        "output_dicom_relpath,attempt,reason\ndicom/a.dcm,0,boxes touching\n"
        "dicom/q.dcm,0,boxes touching\ndicom/q.dcm,1,boxes touching\n")
    assert QUARANTINE_COLUMNS == ("output_dicom_relpath", "attempt", "reason")
    assert (writer.boxes, writer.phi_boxes, writer.tags, writer.quarantined_files) == (3, 2, 3, 1)
    assert len(writer.quarantine) == 3 and [e["relpath"] for e in writer.file_entries] == ["dicom/a.dcm",
                                                                                         "dicom/b.dcm"]
    assert sorted(p.name for p in gt.iterdir()) == ["boxes.csv", "coco.json", "tags.csv"], "part files gone"


def test_no_written_file_gives_empty_lists_and_many_files_still_finish(tmp_path):
    """301 quarantined files (more than CPython's cached small ints): empty COCO lists, headers only."""
    writer = GroundTruthWriter(tmp_path, CATEGORIES[:1], 301)
    for k in range(301):
        writer.add(JobResult(k, f"dicom/{k}.dcm", False))
    writer.finish()
    coco = (tmp_path / "gt" / "coco.json").read_text(encoding="utf-8")
    assert coco == json.dumps({"info": COCO_INFO, "categories": [{"id": 1, "name": "name", "supercategory": "phi"}],
                               "images": [], "annotations": []}, indent=2, sort_keys=True) + "\n"
    assert (tmp_path / "gt" / "tags.csv").read_text(encoding="utf-8") == ",".join(TAG_COLUMNS) + "\n"
    assert (tmp_path / "quarantine.csv").read_text(encoding="utf-8") == "output_dicom_relpath,attempt,reason\n"
    assert writer.quarantined_files == 301 and writer.boxes == writer.phi_boxes == writer.tags == 0


def test_finishing_before_every_file_is_in_is_refused_and_discard_leaves_no_part_file(tmp_path):
    results = _results()
    writer = GroundTruthWriter(tmp_path, CATEGORIES, 3)
    writer.add(results[0])
    with pytest.raises(RuntimeError, match="ground truth incomplete: 1 of 3 files written"):
        writer.finish()  # nothing waiting, files 1 and 2 not in yet
    writer.add(results[2])  # file 1 missing: file 2 waits
    with pytest.raises(RuntimeError, match="ground truth incomplete: 1 of 3 files written"):
        writer.finish()
    writer.discard()
    assert sorted(p.name for p in (tmp_path / "gt").iterdir()) == ["boxes.csv", "tags.csv"]
    writer = GroundTruthWriter(tmp_path / "two", CATEGORIES, 2)
    for result in results:
        writer.add(result)  # one file more than planned
    with pytest.raises(RuntimeError, match="ground truth incomplete: 3 of 2 files written"):
        writer.finish()
    writer.discard()
