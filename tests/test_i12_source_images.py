"""`generate --source folder:DIR` skips and reports source images it cannot use, and refuses a folder of none (issue
12 item 19).

Real image files written by PIL and OpenCV, generated through the public command, the dataset
read back.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from phiphantom.cli.main import app

TINY = ["--patients", "2", "--files-per-study", "2:2", "--cine-fraction", "0", "--size", "320x240",
        "--jpeg-fraction", "0", "--no-validate", "--workers", "1", "--seed", "3"]


def fan(height: int, width: int, seed: int) -> np.ndarray:
    """An RGB ultrasound-like picture: a speckled trapezoid ("fan") on black."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.uint8)
    pts = np.array([[width * 3 // 8, height // 8], [width * 5 // 8, height // 8],
                    [width - width // 10, height - height // 8], [width // 10, height - height // 8]], np.int32)
    cv2.fillConvexPoly(mask, pts, 1)
    speckle = rng.integers(40, 220, (height, width), dtype=np.uint8)
    return np.repeat((speckle * mask)[..., None], 3, axis=2)


def bad_images(root: Path) -> dict[str, str]:
    """Write one unusable image of each kind; returns name -> expected start of its reason."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00not really a png" * 20)
    full = root / "cut.png"
    Image.fromarray(fan(240, 320, 1)).save(full)
    full.write_bytes(full.read_bytes()[:600])                          # truncated: header fine, data cut
    Image.new("RGB", (1, 1), (200, 200, 200)).save(root / "dot.png")
    Image.fromarray(np.zeros((480, 640, 3), np.uint8)).save(root / "black.png")
    Image.new("L", (640, 480), 128).save(root / "grey.jpg", quality=95)
    return {"garbage.png": "cannot read image", "cut.png": "cannot read image", "dot.png": "too small",
            "black.png": "blank", "grey.jpg": "constant"}


def write_clip(path: Path, frames: list[np.ndarray]) -> bool:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (width, height))
    if not writer.isOpened():
        return False
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return True


def test_unusable_source_images_are_skipped_and_reported(tmp_path):
    """Issue 12 item 19: unreadable, 1x1, all-black and constant source images are skipped, counted and reported per
    file."""
    src = tmp_path / "src"
    expected = bad_images(src)
    Image.fromarray(fan(240, 320, 2)).save(src / "good_a.png")
    Image.fromarray(fan(300, 400, 3)).save(src / "good_b.jpg", quality=92)
    if write_clip(src / "black_clip.avi", [np.zeros((120, 160, 3), np.uint8)] * 20):
        expected["black_clip.avi"] = "blank"
    out = tmp_path / "ds"

    result = CliRunner().invoke(app, ["generate", "--out", str(out), "--source", f"folder:{src}", *TINY])

    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert f"skipped {len(expected)} file(s) it cannot use" in said and "source_skipped.csv" in said
    with (out / "source_skipped.csv").open(encoding="utf-8", newline="") as fh:
        rows = {row["source_relpath"]: row["reason"] for row in csv.DictReader(fh)}
    assert set(rows) == set(expected)
    for name, start in expected.items():
        assert rows[name].startswith(start) or start in rows[name], (name, rows[name])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["source_skipped"] == len(expected) and "source_skipped.csv" in manifest["ground_truth"]
    assert manifest["counts"]["files"] == 4
    with (out / "gt" / "boxes.csv").open(encoding="utf-8", newline="") as fh:
        used = {row["source_relpath"] for row in csv.DictReader(fh)}
    assert used and used <= {"good_a.png", "good_b.jpg"}


def test_a_source_with_no_usable_image_is_refused(tmp_path):
    """Issue 12 item 19: a folder source whose every image is unusable is a clear error (exit 2), each file's reason
    given."""
    src = tmp_path / "src"
    expected = bad_images(src)
    out = tmp_path / "ds"

    result = CliRunner().invoke(app, ["generate", "--out", str(out), "--source", f"folder:{src}", *TINY])

    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert f"none of the {len(expected)} images/clips is usable" in said and "Traceback" not in said
    for name in expected:
        assert f"{name}: " in said, name
    assert not out.exists()


@pytest.mark.parametrize("size", [(16, 16), (31, 200)])
def test_too_small_threshold(tmp_path, size):
    """Issue 12 item 19: an image under 32 px on a side is too small; 32 px and more with content is used."""
    from phiphantom.synth.sources.folder import FolderSource

    height, width = size
    Image.fromarray(fan(height, width, 4)).save(tmp_path / "small.png")
    Image.fromarray(fan(32, 48, 5)).save(tmp_path / "edge.png")
    source = FolderSource(str(tmp_path))
    assert [item.relpath for item in source.items] == ["edge.png"]
    assert source.skipped["small.png"].startswith(f"too small: {width}x{height} pixels")
