"""Generation from real-image sources: an OpenPOCUS-shaped tree, a DICOM folder, and the shared CC BY clips."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from phiphantom.synth import generate
from phiphantom.synth.seeding import uid_for
from phiphantom.synth.validate import validate_dataset

from .helpers import SHARED_DATA, assert_ink_ground_truth, manifest, read_csv, small_config


def _frame(i: int, h: int = 90, w: int = 120) -> np.ndarray:
    """A fan-like grey frame whose brightness encodes the frame number."""
    yy, xx = np.mgrid[0:h, 0:w]
    fan = (np.abs(xx - w / 2) < (yy + 10) * 0.6) & (yy > 5)
    rng = np.random.default_rng(i)
    img = np.where(fan, 40 + 5 * i + rng.integers(0, 60, (h, w)), 0).astype(np.uint8)
    return np.stack([img] * 3, axis=-1)


def _jpeg(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture
def openpocus_tree(tmp_path) -> Path:
    """Two patients: one with a batch zip, one with loose frames (OpenPOCUS naming)."""
    root = tmp_path / "openpocus"
    a = root / "PT001"
    a.mkdir(parents=True)
    with zipfile.ZipFile(a / "processed_PT001_images_batch1.zip", "w") as zf:
        for zone in (1, 2):
            for f in range(8):
                zf.writestr(f"image_{zone * 100 + f:03d}_PT001_z{zone:02d}_frame_{f:06d}.jpg", _jpeg(_frame(f)))
    b = root / "PT002"
    b.mkdir()
    for f in range(8):
        (b / f"image_{f:03d}_PT002_z03_frame_{f:06d}.jpg").write_bytes(_jpeg(_frame(f)))
    return root


def test_generate_from_openpocus_tree(tmp_path, openpocus_tree):
    out = tmp_path / "ds"
    config = small_config(out, source=f"openpocus:{openpocus_tree}", patients=3, frames=(4, 6))
    summary = generate(config)
    assert summary.files == 9 and summary.cines > 0
    rows = read_csv(out / "gt" / "boxes.csv")
    assert {r["source_id"].split("/")[0] for r in rows} <= {"openpocus:PT001", "openpocus:PT002"}
    assert assert_ink_ground_truth(out, config) > 20
    assert validate_dataset(out).failures["tier1-pydicom"] == []


def test_generate_from_dicom_folder(tmp_path):
    src = tmp_path / "dicom_in"
    src.mkdir()
    for k in range(2):
        frames = np.stack([_frame(i)[..., 0] for i in range(5)])
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
        ds.file_meta.MediaStorageSOPInstanceUID = uid_for("test", k)
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.Modality = "US"
        ds.Rows, ds.Columns, ds.NumberOfFrames = 90, 120, 5
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.PixelData = frames.tobytes()
        ds.save_as(src / f"clip{k}", enforce_file_format=True)  # no extension: detected by preamble
    out = tmp_path / "ds"
    config = small_config(out, source=f"dicom:{src}", patients=2, frames=(3, 5))
    summary = generate(config)
    assert summary.files == 6
    assert assert_ink_ground_truth(out, config) > 10


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data/pocus-ccby is not present")
def test_generate_from_shared_cc_by_clips(tmp_path):
    out = tmp_path / "ds"
    config = small_config(out, source=f"folder:{SHARED_DATA}", patients=3, frames=(3, 5), validate=True, workers=2)
    summary = generate(config)
    assert summary.files == 9 and summary.validation["ok"], summary.validation
    sources = {f["source_id"] for f in manifest(out)["files"]}
    assert all(s.startswith("folder:") for s in sources) and len(sources) > 1
    assert assert_ink_ground_truth(out, config) > 20
