"""Pixel metrics on real generated files: the definitions in docs/metrics.md, each able to fail."""

from __future__ import annotations

import numpy as np
import pytest

from phiphantom.benchmark.dataset import load_dataset
from phiphantom.benchmark.pixel_metrics import REMOVED_SHARE, decode_luma, score_pixels
from phiphantom.benchmark.residual_ocr import residual_reads


@pytest.fixture(scope="module")
def cine_file(realistic_dataset):
    root, _ = realistic_dataset
    ds = load_dataset(root)
    truth = next(f for f in ds.files if f.cine and f.entry["lossless"] and any(b["is_phi"] == "1" for b in f.boxes))
    return ds, truth, decode_luma(root / truth.relpath)


def _phi(truth):
    return [i for i, b in enumerate(truth.boxes) if b["is_phi"] == "1"]


def _blank(out, row, value=0, frames=None):
    x, y, w, h = (int(row[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
    fs, fe = int(row["frame_start"]), int(row["frame_end"])
    for t in frames if frames is not None else range(fs, fe):
        out[t, y:y + h, x:x + w] = value


def test_unchanged_output_removes_nothing_and_keeps_everything(cine_file):
    ds, truth, inp = cine_file
    score = score_pixels(inp, inp.copy(), truth.boxes, ds.masks(truth))
    assert not any(score.boxes[i].ok for i in _phi(truth))
    assert all(b.ok for b, r in zip(score.boxes, truth.boxes, strict=False) if r["is_phi"] == "0")
    assert score.damaged_pixels == 0 and score.image_pixels > 0 and score.error == ""


def test_blanked_phi_boxes_are_removed_on_every_frame_and_nothing_else_changes(cine_file):
    ds, truth, inp = cine_file
    out = inp.copy()
    for i in _phi(truth):
        _blank(out, truth.boxes[i])
    score = score_pixels(inp, out, truth.boxes, ds.masks(truth))
    assert all(score.boxes[i].ok for i in _phi(truth))
    clinical = [b.ok for b, r in zip(score.boxes, truth.boxes, strict=False) if r["is_phi"] == "0"]
    assert all(clinical), "clinical text untouched"
    assert score.damaged_pixels == 0


def test_a_fill_in_the_text_colour_still_counts_as_removed(cine_file):
    ds, truth, inp = cine_file
    i = _phi(truth)[0]
    out = inp.copy()
    _blank(out, truth.boxes[i], value=255)
    assert score_pixels(inp, out, truth.boxes, ds.masks(truth)).boxes[i].ok


def test_one_frame_left_means_the_box_is_not_removed(cine_file):
    ds, truth, inp = cine_file
    i = next(i for i in _phi(truth) if int(truth.boxes[i]["frame_end"]) - int(truth.boxes[i]["frame_start"]) > 1)
    row = truth.boxes[i]
    out = inp.copy()
    _blank(out, row, frames=range(int(row["frame_start"]) + 1, int(row["frame_end"])))
    box = score_pixels(inp, out, truth.boxes, ds.masks(truth)).boxes[i]
    assert not box.ok and box.frames_ok == box.frames - 1 and box.first_bad_frame == int(row["frame_start"])


def test_98_percent_threshold(cine_file):
    ds, truth, inp = cine_file
    i = max(_phi(truth), key=lambda k: (ds.masks(truth)[truth.boxes[k]["box_id"]] >= 128).sum())
    row, alpha = truth.boxes[i], ds.masks(truth)[truth.boxes[i]["box_id"]]
    ys, xs = np.nonzero(alpha >= 128)
    x, y = int(row["bbox_x"]), int(row["bbox_y"])
    keep = int(np.ceil(len(ys) * (1 - REMOVED_SHARE))) + 1  # just over 2% of the ink survives
    out = inp.copy()
    for t in range(int(row["frame_start"]), int(row["frame_end"])):
        saved = out[t, y + ys[:keep], x + xs[:keep]].copy()
        _blank(out, row, frames=[t])
        out[t, y + ys[:keep], x + xs[:keep]] = saved
    assert not score_pixels(inp, out, truth.boxes, ds.masks(truth)).boxes[i].ok


def test_small_noise_is_not_damage_or_redaction(cine_file):
    ds, truth, inp = cine_file
    noise = np.random.default_rng(0).integers(-4, 5, inp.shape)
    out = np.clip(inp.astype(int) + noise, 0, 255).astype(np.uint8)
    score = score_pixels(inp, out, truth.boxes, ds.masks(truth))
    assert score.damaged_pixels == 0
    assert not any(score.boxes[i].ok for i in _phi(truth))
    assert all(b.ok for b, r in zip(score.boxes, truth.boxes, strict=False) if r["is_phi"] == "0")


def test_blacked_out_image_is_damage(cine_file):
    ds, truth, inp = cine_file
    out = inp.copy()
    out[:, ds.masks(truth)["image_mask"].astype(bool)] = 0
    score = score_pixels(inp, out, truth.boxes, ds.masks(truth))
    assert score.damaged_pixels / score.image_pixels > 0.5


def test_missing_or_reshaped_output_is_the_worst_case(cine_file):
    ds, truth, inp = cine_file
    for out, message in ((None, "no output"), (inp[:, :-1], "geometry")):
        score = score_pixels(inp, out, truth.boxes, ds.masks(truth))
        assert message in score.error
        assert not any(b.ok for b in score.boxes) and score.damaged_pixels == score.image_pixels


def test_residual_ocr_reads_what_was_left(cine_file):
    ds, truth, inp = cine_file
    out = inp.copy()
    phi = _phi(truth)
    for i in phi[1:]:
        _blank(out, truth.boxes[i])
    score = score_pixels(inp, out, truth.boxes, ds.masks(truth))
    reads = residual_reads(out, truth.boxes, score.boxes)
    assert not any(reads[i] for i in phi[1:])
    assert not any(r for r, b in zip(reads, truth.boxes, strict=False) if b["is_phi"] == "0")
    left = truth.boxes[phi[0]]
    if int(left["font_px"]) >= 12 and left["colour"] not in ("dim-grey", "dim-blue"):
        assert reads[phi[0]], "a legible PHI box left in place is read back"
    assert all(residual_reads(None, truth.boxes, score.boxes)[i] for i in phi if not score.boxes[i].ok)


def test_image_mask_reads_packed_and_legacy_unpacked_and_refuses_other_widths(tmp_path):
    from phiphantom.synth.ground_truth import IMAGE_MASK_KEY, pack_image_mask, read_masks
    rng = np.random.default_rng(3)
    mask = rng.random((30, 37)) > 0.5
    for name, stored in (("packed", pack_image_mask(mask)), ("legacy", mask.astype(np.uint8))):
        np.savez_compressed(tmp_path / f"{name}.npz", **{IMAGE_MASK_KEY: stored})
        assert np.array_equal(read_masks(tmp_path / f"{name}.npz", 37)[IMAGE_MASK_KEY], mask), name
    np.savez_compressed(tmp_path / "wrong.npz", **{IMAGE_MASK_KEY: mask[:, :20].astype(np.uint8)})
    with pytest.raises(ValueError, match="fits neither"):
        read_masks(tmp_path / "wrong.npz", 37)
