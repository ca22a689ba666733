"""Helpers more than one test file uses (real files, real processes, the real command; no mocks).

The one module test files share (``tests/test_import_direction.py`` checks that no test module imports
another test module or ``conftest``): small generated datasets and their ground-truth tables, the
ink-versus-ground-truth check, de-identifying a file and reading it back as displayed, a synthetic line
of text running into the fan, small valid DICOM instances, ``phiphantom deid`` on one file, and the
build-time Annex E regenerator loaded by path.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pydicom
from PIL import Image, ImageDraw
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.pixels import apply_color_lut
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.core.ocr import LineRead, TesseractBackend
from phiphantom.deid.api import FileDeid, deidentify_file
from phiphantom.deid.config import DeidConfig
from phiphantom.deid.pixels.clean import PixelConfig
from phiphantom.synth import GenerateConfig
from phiphantom.synth.file_job import compose_job
from phiphantom.synth.fonts import load_font
from phiphantom.synth.ground_truth import read_masks
from phiphantom.synth.plan import plan_dataset
from phiphantom.synth.sources import open_source

REPO_ROOT = Path(__file__).resolve().parents[1]
PROFILE_REGENERATOR = REPO_ROOT / ".ci" / "regenerate_profile.py"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data" / "pocus-ccby"

# -- generated datasets and their ground truth ------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a ground-truth CSV table."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def small_config(out: Path, **overrides: Any) -> GenerateConfig:
    """A quick dataset that still has cines, JPEG, RGB and grey files, non-square frames."""
    settings: dict[str, Any] = dict(out=out, patients=4, files_per_study=(3, 3), cine_fraction=0.5, frames=(3, 6),
                                    sizes=((640, 480), (800, 600)), jpeg_fraction=0.35, rgb_fraction=0.5, seed=11,
                                    workers=1, validate=False)
    settings.update(overrides)
    return GenerateConfig(**settings)


def manifest(root: Path) -> dict:
    """A generated dataset's ``manifest.json``."""
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


def _frames(path: Path) -> np.ndarray:
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    return arr if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1 else arr[None]


def _as_float_luma(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float32)
    return a @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if a.ndim == 4 else a


def assert_ink_ground_truth(root: Path, config: GenerateConfig) -> int:
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
                around = (t, slice(y - 1, y + h + 1), slice(x - 1, x + w + 1))
                ring = np.abs(stored[around] - background[around])
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


# -- the bundled engine on one file, and its output as displayed -------------------------------------------

PIXEL_TEST_KEY = b"p" * 32


def deid_pixels(path: Path | str, policy: str = "strict", header_only: bool = False) -> FileDeid:
    """De-identify one file in memory (headers, and pixels with ``policy`` unless ``header_only``)."""
    pixels = None if header_only else PixelConfig(policy=policy)
    return deidentify_file(Path(path), DeidConfig(key=PIXEL_TEST_KEY, pixels=pixels))


def reread(ds: Dataset) -> pydicom.Dataset:
    """``ds`` written as a Part 10 file and read back."""
    buf = io.BytesIO()
    dcmwrite(buf, ds, enforce_file_format=True)
    buf.seek(0)
    return pydicom.dcmread(buf)


def display_luma(ds: Dataset) -> np.ndarray:
    """(T, H, W) uint8 luma as displayed (MONOCHROME1 inverted, palette through its LUT)."""
    arr = ds.pixel_array
    if int(ds.get("NumberOfFrames", 1) or 1) == 1:
        arr = arr[None]
    pi = ds.PhotometricInterpretation
    if pi == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
        arr = (arr / (256.0 if arr.max() > 255 else 1.0))
    if arr.ndim == 4:
        arr = arr[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if pi == "MONOCHROME1":
        arr = 255 - arr
    return np.clip(arr, 0, 255).round().astype(np.uint8)


# -- a line of text running into the fan --------------------------------------------------------------------

FAN_X = 200  # columns from here on are ultrasound image


def line_scene(text: str, x: int, y: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen black left of FAN_X, bright speckle right of it, ``text`` drawn at (x, y); its ink mask."""
    rng = np.random.default_rng(seed)
    height, width = 120, 460
    image = np.zeros((height, width), dtype=bool)
    image[:, FAN_X:] = True
    frame = np.zeros((height, width), dtype=np.uint8)
    speckle = rng.gamma(2.0, 45.0, size=(height, width - FAN_X))  # Rayleigh-like grains, mean ~90
    frame[:, FAN_X:] = np.clip(speckle, 0, 255).astype(np.uint8)
    ink = Image.new("L", (width, height), 0)
    ImageDraw.Draw(ink).text((x, y), text, fill=255, font=load_font("DejaVuSans", 14))
    alpha = np.asarray(ink) >= 128
    frame[alpha] = 215
    return frame, image, alpha


def found_part(alpha: np.ndarray) -> tuple[int, int, int, int]:
    """The box the segmenter would have found: the ink left of the fan (3 px off it)."""
    ys, xs = np.nonzero(alpha[:, :FAN_X - 3])
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


# -- a short cine of one changing line of text -------------------------------------------------------------------


def text_clip(texts: list[str], width: int = 240) -> np.ndarray:
    """A black (T, 50, width) clip showing ``texts[t]`` on frame t (DejaVu Sans 15 px, grey 230)."""
    font = load_font("DejaVuSans", 15)
    view = np.zeros((len(texts), 50, width), dtype=np.uint8)
    for t, text in enumerate(texts):
        canvas = Image.new("L", (width, 50), 0)
        ImageDraw.Draw(canvas).text((20, 15), text, fill=230, font=font)
        view[t] = np.asarray(canvas)
    return view


# -- small valid DICOM instances --------------------------------------------------------------------------------


def instance_uid(n: int) -> str:
    """A UID under a test root, distinct for each ``n``."""
    return f"1.2.826.0.1.3680043.10.999.{n}"


def image(name: str, pid: str, n: int, *, pixels: bool = True, charset: str | None = None) -> Dataset:
    """A small valid Secondary Capture instance (8x8 grey) for patient ``name``/``pid``; UIDs from ``n``."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = instance_uid(n)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, instance_uid(n)
    ds.StudyDate, ds.StudyTime, ds.AccessionNumber = "20230115", "101500", f"ACC{n:05d}"
    ds.Modality, ds.ConversionType = "OT", "WSD"
    ds.ReferringPhysicianName = "Referrer^Rita"
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = name, pid, "19700101", "O"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = instance_uid(100000 + n), instance_uid(200000 + n)
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", 1, 1
    if pixels:
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows = ds.Columns = 8
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.PixelData = bytes(range(64))
    return ds


def save(ds: Dataset, path: Path, syntax: str = ExplicitVRLittleEndian) -> Path:
    """Write ``ds`` as Part 10 with ``syntax``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.file_meta.TransferSyntaxUID = syntax
    dcmwrite(path, ds, enforce_file_format=True)
    return path


# -- processes and the command ------------------------------------------------------------------------------------


def process_running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (a killed orphan may wait for a reaper)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X")


def deid_header_only(src: Path, out: Path, *extra: str) -> tuple[Path | None, dict, list[str]]:
    """Run ``phiphantom deid`` (header only, an ephemeral key, one worker) on one file; (the output file or
    None, the audit record, errors.csv rows)."""
    result = CliRunner().invoke(app, ["deid", str(src), str(out), "--ephemeral-key", "--header-only",
                                      "--workers", "1", *extra], env={"PHIPHANTOM_DEID_KEY": ""})
    assert result.exit_code in (0, 1), result.output
    outputs = [p for p in out.rglob("*.dcm") if not p.name.startswith(".")]
    audit = [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines() if line.strip()]
    errors = (out / "errors.csv").read_text().splitlines()[1:]
    assert len(audit) == 1
    return (outputs[0] if outputs else None), audit[0], errors


# -- build-time tools ------------------------------------------------------------------------------------------------


def load_profile_regenerator() -> ModuleType:
    """The build-time tool ``.ci/regenerate_profile.py`` (not part of the installed package), loaded by path."""
    name = "regenerate_profile"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROFILE_REGENERATOR)
    assert spec is not None and spec.loader is not None, PROFILE_REGENERATOR
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look their module up in sys.modules
    spec.loader.exec_module(module)
    return module


class CountingTesseract(TesseractBackend):
    """The real Tesseract backend, counting the crops it is asked to read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read_line(self, image: np.ndarray) -> LineRead:
        self.reads += 1
        return super().read_line(image)
