"""File-based frame sources: folder, OpenPOCUS, DICOM, and the shared fitting helpers.

Test media encode the frame number as brightness (``level(i)``), so the order
of rendered cine frames can be checked through lossy codecs.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from phiphantom.synth.sources import SourceError, open_source
from phiphantom.synth.sources.dicom_files import DicomSource, is_dicom_file, to_display_uint8
from phiphantom.synth.sources.fit import (
    estimate_image_mask,
    fit_to_area,
    load_image,
    read_video_frames,
    video_frame_count,
)
from phiphantom.synth.sources.folder import FolderSource
from phiphantom.synth.sources.openpocus import OpenPocusSource

SHARED_POCUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pocus-ccby"
US_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.6.1"        # Ultrasound Image Storage
US_MULTI_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.3.1"  # Ultrasound Multi-frame Image Storage


# --------------------------------------------------------------------------- media builders


def level(i: int) -> int:
    """Brightness that encodes frame number ``i`` (well apart, above the mask threshold)."""
    return 40 + 18 * i


def fan_frame(value: int, height: int, width: int) -> np.ndarray:
    """RGB frame: a bright trapezoid ("fan") of ``value`` with a black hole, on black."""
    frame = np.zeros((height, width, 3), np.uint8)
    top, bottom = height // 8, height - height // 8
    pts = np.array([[width * 3 // 8, top], [width * 5 // 8, top],
                    [width - width // 10, bottom], [width // 10, bottom]], np.int32)
    cv2.fillConvexPoly(frame, pts, (value, value, value))
    cy, cx = (top + bottom) // 2, width // 2
    frame[cy - 2:cy + 3, cx - 2:cx + 3] = 0                  # dark spot inside the fan
    return frame


def write_clip(path: Path, n_frames: int, size=(80, 48), fourcc: str = "MJPG") -> None:
    """Write a clip whose frame ``i`` has brightness ``level(i)``; skip the test if the codec is missing."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (width, height))
    if not writer.isOpened():
        pytest.skip(f"OpenCV cannot write {fourcc} here")
    for i in range(n_frames):
        writer.write(cv2.cvtColor(fan_frame(level(i), height, width), cv2.COLOR_RGB2BGR))
    writer.release()


def jpeg_bytes(rgb: np.ndarray, exif: Image.Exif | None = None) -> bytes:
    """Encode an RGB array as JPEG (optionally with EXIF)."""
    buf = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.fromarray(rgb).save(buf, format="JPEG", quality=95, **kwargs)
    return buf.getvalue()


def write_dicom(path: Path, pixels: np.ndarray, photometric: str, *, bits: int = 8,
                frames: int | None = None, with_pixels: bool = True, **extra) -> None:
    """Write a small uncompressed DICOM Part 10 file (preamble + DICM)."""
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = US_MULTI_SOP_CLASS if frames else US_SOP_CLASS
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = "US"
    colour = pixels.ndim == (4 if frames else 3)
    ds.Rows, ds.Columns = pixels.shape[(1 if frames else 0):(3 if frames else 2)]
    ds.SamplesPerPixel = 3 if colour else 1
    if colour:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 8 if bits <= 8 else 16
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits - 1, 0
    if frames:
        ds.NumberOfFrames = frames
        ds.FrameTime = 50
    for key, value in extra.items():
        setattr(ds, key, value)
    if with_pixels:
        ds.PixelData = pixels.astype(np.uint8 if bits <= 8 else np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def level_inside(frames: np.ndarray, mask: np.ndarray) -> list[float]:
    """Median brightness of each frame inside the mask (robust to blurred edges and the dark spot)."""
    return [float(np.median(frame[mask])) for frame in frames]


def assert_frame_levels(frames: np.ndarray, mask: np.ndarray, first: int, tol: float = 8.0) -> None:
    """Frames show consecutive levels starting at ``level(first)`` (per-frame median inside the mask)."""
    means = level_inside(frames, mask)
    expected = [level(first + k) for k in range(len(frames))]
    assert np.all(np.diff(means) > 0), means
    assert np.allclose(means, expected, atol=tol), (means, expected)


def assert_clean_outside(frames: np.ndarray, mask: np.ndarray) -> None:
    """Everything outside the image mask is exactly black."""
    assert not frames[:, ~mask].any()


# --------------------------------------------------------------------------- fit.py


def test_load_image_applies_exif_orientation(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)       # wider than tall as stored
    stored[:8, :8] = (255, 0, 0)                   # red block top-left
    exif = Image.Exif()
    exif[0x0112] = 6                               # display = stored rotated 90 degrees clockwise
    path = tmp_path / "rotated.jpg"
    path.write_bytes(jpeg_bytes(stored, exif))
    img = load_image(path)
    assert img.shape == (40, 20, 3) and img.dtype == np.uint8   # taller than wide once transposed
    assert img[:6, -6:, 0].mean() > 200 and img[:6, -6:, 1].mean() < 60   # top-left went top-right


def test_load_image_rejects_garbage(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"not an image")
    with pytest.raises(SourceError, match="broken.png"):
        load_image(path)


@pytest.mark.parametrize("colour", ["grey", "rgb"])
def test_fit_to_area_places_centred_and_blanks_outside(colour):
    src = np.stack([fan_frame(level(i), 60, 120) for i in range(3)])   # 2:1 source
    speck = src.copy()
    speck[:, 2:4, 2:4] = 250                                            # stray dot outside the fan
    frames, mask = fit_to_area(speck, width=200, height=150, colour=colour)
    expected = (3, 150, 200) if colour == "grey" else (3, 150, 200, 3)
    assert frames.shape == expected and frames.dtype == np.uint8
    assert mask.shape == (150, 200) and mask.dtype == bool
    rows = np.flatnonzero(mask.any(axis=1))
    assert rows.min() >= 25 and rows.max() < 125          # placed 200x100, centred vertically
    assert mask[75, 100]                                   # the dark spot inside the fan counts
    assert not mask[:25].any() and not mask[:, :10].any()  # the stray dot is not image
    assert_clean_outside(frames, mask)
    assert_frame_levels(frames, mask, first=0, tol=4)


def test_fit_to_area_same_mask_for_grey_and_rgb():
    src = np.stack([fan_frame(level(i), 50, 90) for i in range(2)])
    src[..., 2] //= 3                                       # tinted, so luma != channel max
    _, grey_mask = fit_to_area(src, width=120, height=100, colour="grey")
    _, rgb_mask = fit_to_area(src, width=120, height=100, colour="rgb")
    assert np.array_equal(grey_mask, rgb_mask)


def test_fit_to_area_enlarges_grey_input():
    grey = fan_frame(120, 30, 20)[None, :, :, 0]           # (1, 30, 20) portrait, grey
    frames, mask = fit_to_area(grey, width=90, height=60, colour="rgb")
    assert frames.shape == (1, 60, 90, 3)
    cols = np.flatnonzero(mask.any(axis=0))
    assert cols.min() >= 25 and cols.max() < 65            # placed 40x60, centred horizontally
    assert_clean_outside(frames, mask)


def test_estimate_image_mask_falls_back_when_black():
    fallback = np.zeros((10, 12), bool)
    fallback[2:8, 3:9] = True
    mask = estimate_image_mask(np.zeros((2, 10, 12), np.uint8), fallback=fallback)
    assert np.array_equal(mask, fallback)
    assert estimate_image_mask(np.zeros((1, 10, 12), np.uint8)).all()


@pytest.mark.parametrize(("name", "fourcc"), [("clip.avi", "MJPG"), ("clip.mp4", "mp4v")])
def test_video_helpers_count_and_order(tmp_path, name, fourcc):
    path = tmp_path / name
    write_clip(path, n_frames=9, fourcc=fourcc)
    assert video_frame_count(path) == 9
    frames = read_video_frames(path, [5, 2, 2, 8])
    assert frames.shape == (4, 48, 80, 3)
    centre = frames[:, 30, 40].mean(axis=1)
    assert np.allclose(centre, [level(5), level(2), level(2), level(8)], atol=6)
    with pytest.raises(SourceError, match=rf"{name}.*ended after 9 frames"):
        read_video_frames(path, [3, 9])


def test_video_helpers_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="missing.avi"):
        video_frame_count(tmp_path / "missing.avi")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(SourceError, match="bad.mp4"):
        read_video_frames(bad, [0])


# --------------------------------------------------------------------------- folder:


@pytest.fixture
def media_folder(tmp_path) -> Path:
    """Folder with a PNG, a JPG in a sub-folder, a 12-frame AVI, and files to ignore."""
    root = tmp_path / "media"
    (root / "sub").mkdir(parents=True)
    (root / "clips").mkdir()
    Image.fromarray(fan_frame(150, 60, 100)).save(root / "wide.png")
    (root / "sub" / "tall.JPG").write_bytes(jpeg_bytes(fan_frame(150, 100, 50)))
    write_clip(root / "clips" / "cine.avi", n_frames=12)
    Image.fromarray(fan_frame(150, 10, 10)).save(root / ".hidden.png")
    (root / "notes.txt").write_text("not media")
    return root


def test_folder_catalog_sorted_and_filtered(media_folder):
    source = open_source(f"folder:{media_folder}")
    assert isinstance(source, FolderSource) and source.spec == f"folder:{media_folder}"
    assert [item.relpath for item in source.items] == ["clips/cine.avi", "sub/tall.JPG", "wide.png"]
    assert [item.frame_count for item in source.items] == [12, 1, 1]


def test_folder_plan_is_deterministic(media_folder):
    source = FolderSource(str(media_folder))
    plans = [[source.plan(np.random.default_rng(7), cine=c, n_frames=5) for c in (True, False)] for _ in range(2)]
    assert plans[0] == plans[1]
    fresh = FolderSource(str(media_folder))
    assert fresh.plan(np.random.default_rng(7), cine=True, n_frames=5) == plans[0][0]


def test_folder_cine_from_clip_in_order(media_folder):
    source = FolderSource(str(media_folder))
    rng = np.random.default_rng(3)
    for _ in range(3):
        ref = source.plan(rng, cine=True, n_frames=5)
        assert ref.source_id == "folder:clips/cine.avi" and ref.relpath == "clips/cine.avi"
        start = ref.frame_indices[0]
        assert ref.frame_indices == tuple(range(start, start + 5)) and start + 5 <= 12
    ref = pickle.loads(pickle.dumps(ref))
    out = FolderSource(str(media_folder)).render(ref, width=160, height=120, colour="grey")
    assert out.frames.shape == (5, 120, 160)
    assert out.frame_time_ms == pytest.approx(100.0, abs=1)
    assert_clean_outside(out.frames, out.image_mask)
    assert_frame_levels(out.frames, out.image_mask, first=start)


def test_folder_short_clip_gives_all_frames(media_folder):
    ref = FolderSource(str(media_folder)).plan(np.random.default_rng(0), cine=True, n_frames=40)
    assert ref.frame_indices == tuple(range(12))


def test_folder_single_frames_and_stills(media_folder):
    source = FolderSource(str(media_folder))
    rng = np.random.default_rng(11)
    seen = set()
    for _ in range(30):
        ref = source.plan(rng, cine=False, n_frames=10)
        assert ref.n_frames == 1
        seen.add(ref.relpath)
    assert seen == {"clips/cine.avi", "sub/tall.JPG", "wide.png"}
    still = next(ref for ref in (source.plan(rng, False, 1) for _ in range(50)) if ref.relpath == "sub/tall.JPG")
    out = source.render(still, width=120, height=90, colour="rgb")
    assert out.frames.shape == (1, 90, 120, 3)
    cols = np.flatnonzero(out.image_mask.any(axis=0))
    assert cols.min() >= 37 and cols.max() < 83              # 50x100 portrait placed 45x90
    assert_clean_outside(out.frames, out.image_mask)


def test_folder_of_stills_gives_single_frame_cines(tmp_path):
    Image.fromarray(fan_frame(120, 40, 60)).save(tmp_path / "only.png")
    ref = FolderSource(str(tmp_path)).plan(np.random.default_rng(0), cine=True, n_frames=8)
    assert ref.frame_indices == (0,) and ref.source_id == "folder:only.png"


def test_folder_errors(tmp_path):
    with pytest.raises(SourceError, match="not a folder"):
        FolderSource(str(tmp_path / "nope"))
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(SourceError, match="no images"):
        FolderSource(str(tmp_path))
    with pytest.raises(SourceError, match="needs a path"):
        open_source("folder:")


def test_folder_unreadable_clip_is_skipped(media_folder):
    (media_folder / "broken.mpg").write_bytes(b"\x00" * 100)
    source = FolderSource(str(media_folder))
    assert "broken.mpg" not in [item.relpath for item in source.items]
    assert "broken.mpg" in source.skipped and "broken.mpg" in source.skipped["broken.mpg"]


# --------------------------------------------------------------------------- openpocus:


def pocus_name(counter: int, patient: str, zone: int, frame: int) -> str:
    return f"image_{counter:03d}_{patient}_z{zone:02d}_frame_{frame:06d}.jpg"


@pytest.fixture
def pocus_tree(tmp_path) -> Path:
    """P001: zone 1 in a zip (stored out of order), zone 2 split over two zips.
    P002: loose frames of zone 3 in a sub-folder, plus unrelated files."""
    root = tmp_path / "openpocus"
    (root / "P001").mkdir(parents=True)
    (root / "P002" / "frames").mkdir(parents=True)
    with zipfile.ZipFile(root / "P001" / "processed_P001_images_batch1.zip", "w") as zf:
        for frame in (4, 0, 3, 1, 5, 2):
            zf.writestr(f"P001/{pocus_name(frame, 'P001', 1, frame)}", jpeg_bytes(fan_frame(level(frame), 48, 64)))
        for frame in (0, 1):
            zf.writestr(pocus_name(10 + frame, "P001", 2, frame), jpeg_bytes(fan_frame(level(frame), 48, 64)))
        zf.writestr("__MACOSX/._junk.jpg", b"junk")
    with zipfile.ZipFile(root / "P001" / "processed_P001_images_batch2.zip", "w") as zf:
        zf.writestr(pocus_name(12, "P001", 2, 2), jpeg_bytes(fan_frame(level(2), 48, 64)))
    for frame in range(7):
        path = root / "P002" / "frames" / pocus_name(100 + frame, "P002", 3, frame * 2)
        path.write_bytes(jpeg_bytes(fan_frame(level(frame), 48, 64)))
    (root / "P002" / "readme.txt").write_text("x")
    (root / "P002" / "other.zip").write_bytes(b"not read: wrong name")
    return root


def test_openpocus_catalog(pocus_tree):
    source = open_source(f"openpocus:{pocus_tree}")
    assert isinstance(source, OpenPocusSource)
    assert [c.item_id for c in source.cines] == ["openpocus:P001/z01", "openpocus:P001/z02", "openpocus:P002/z03"]
    assert [len(c.frames) for c in source.cines] == [6, 3, 7]
    assert [c.patient_dir for c in source.cines] == ["P001", "P001", "P002"]


def test_openpocus_plan_and_render_in_frame_order(pocus_tree):
    source = OpenPocusSource(str(pocus_tree))
    rng, rng_again = np.random.default_rng(5), np.random.default_rng(5)
    refs = [source.plan(rng, cine=True, n_frames=4) for _ in range(12)]
    fresh = OpenPocusSource(str(pocus_tree))
    assert refs == [fresh.plan(rng_again, cine=True, n_frames=4) for _ in range(12)]
    by_id = {ref.source_id: ref for ref in refs}
    assert set(by_id) == {"openpocus:P001/z01", "openpocus:P001/z02", "openpocus:P002/z03"}
    assert by_id["openpocus:P001/z02"].frame_indices == (0, 1, 2)   # only 3 frames exist
    for ref in by_id.values():
        out = source.render(ref, width=128, height=72, colour="grey")
        assert out.frames.shape == (ref.n_frames, 72, 128)
        assert_clean_outside(out.frames, out.image_mask)
        assert_frame_levels(out.frames, out.image_mask, first=ref.frame_indices[0])


def test_openpocus_single_frame(pocus_tree):
    ref = OpenPocusSource(str(pocus_tree)).plan(np.random.default_rng(1), cine=False, n_frames=10)
    assert ref.n_frames == 1
    out = OpenPocusSource(str(pocus_tree)).render(ref, 100, 100, "rgb")
    assert out.frames.shape == (1, 100, 100, 3)


def test_openpocus_errors(tmp_path):
    with pytest.raises(SourceError, match="not a folder"):
        OpenPocusSource(str(tmp_path / "missing"))
    with pytest.raises(SourceError, match="no patient folders"):
        OpenPocusSource(str(tmp_path))
    (tmp_path / "P9").mkdir()
    (tmp_path / "P9" / "frame1.jpg").write_bytes(jpeg_bytes(fan_frame(100, 20, 20)))
    with pytest.raises(SourceError, match="image_NNN_<patient>_zNN_frame_NNNNNN"):
        OpenPocusSource(str(tmp_path))
    (tmp_path / "P9" / "processed_P9_images_batch1.zip").write_bytes(b"corrupt")
    with pytest.raises(SourceError, match="P9/processed_P9_images_batch1.zip"):
        OpenPocusSource(str(tmp_path))


# --------------------------------------------------------------------------- dicom:


@pytest.fixture
def dicom_folder(tmp_path) -> Path:
    """One MONOCHROME2 still, one 6-frame RGB cine, a non-DICOM file and a DICOM without pixels."""
    root = tmp_path / "dicom"
    (root / "series").mkdir(parents=True)
    write_dicom(root / "still", fan_frame(130, 40, 70)[:, :, 0], "MONOCHROME2")
    cine = np.stack([fan_frame(level(i), 48, 80) for i in range(6)])
    write_dicom(root / "series" / "cine.dcm", cine, "RGB", frames=6)
    (root / "notes.dcm").write_text("not DICOM despite the extension")
    write_dicom(root / "series" / "sr.dcm", np.zeros((4, 4), np.uint8), "MONOCHROME2", with_pixels=False)
    return root


def test_dicom_catalog_detects_by_magic(dicom_folder):
    assert is_dicom_file(dicom_folder / "still") and not is_dicom_file(dicom_folder / "notes.dcm")
    source = open_source(f"dicom:{dicom_folder}")
    assert isinstance(source, DicomSource)
    assert [(i.relpath, i.frame_count) for i in source.items] == [("series/cine.dcm", 6), ("still", 1)]
    assert source.ignored_non_dicom == 1
    assert list(source.skipped) == ["series/sr.dcm"]


def test_dicom_cine_in_order(dicom_folder):
    source = DicomSource(str(dicom_folder))
    ref = source.plan(np.random.default_rng(2), cine=True, n_frames=4)
    assert ref == source.plan(np.random.default_rng(2), cine=True, n_frames=4)
    assert ref.source_id == "dicom:series/cine.dcm" and ref.n_frames == 4
    out = source.render(ref, width=160, height=90, colour="rgb")
    assert out.frames.shape == (4, 90, 160, 3)
    assert out.frame_time_ms == pytest.approx(50.0)
    assert_clean_outside(out.frames, out.image_mask)
    assert_frame_levels(out.frames, out.image_mask, first=ref.frame_indices[0], tol=3)


def test_dicom_single_file_source(dicom_folder):
    source = DicomSource(str(dicom_folder / "still"))
    ref = source.plan(np.random.default_rng(0), cine=True, n_frames=10)
    assert ref.frame_indices == (0,) and ref.relpath == "still"
    out = source.render(ref, width=140, height=100, colour="grey")
    assert out.frames.shape == (1, 100, 140)
    assert abs(level_inside(out.frames, out.image_mask)[0] - 130) < 3


def test_dicom_display_conversions():
    ramp = np.arange(0, 4096, 16, dtype=np.uint16).reshape(1, 16, 16)
    mono1 = Dataset()
    mono1.PhotometricInterpretation, mono1.BitsStored = "MONOCHROME1", 12
    mono1.WindowCenter, mono1.WindowWidth = 2048, 4096
    out = to_display_uint8(ramp, mono1)
    assert out.dtype == np.uint8 and out[0, 0, 0] == 255 and out[0, -1, -1] <= 1   # inverted, windowed
    palette = Dataset()
    palette.PhotometricInterpretation, palette.BitsStored = "PALETTE COLOR", 8
    for name, scale in (("Red", 257), ("Green", 0), ("Blue", 0)):
        setattr(palette, f"{name}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(palette, f"{name}PaletteColorLookupTableData",
                (np.arange(256, dtype=np.uint16) * scale).tobytes())
    indexed = np.array([[[0, 128, 255]]], np.uint8)
    rgb = to_display_uint8(indexed, palette)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 1, 3, 3)
    assert rgb[0, 0, :, 0].tolist() == [0, 128, 255] and not rgb[..., 1:].any()


def test_dicom_errors(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        DicomSource(str(tmp_path / "nothing"))
    (tmp_path / "a.txt").write_text("x")
    write_dicom(tmp_path / "empty.dcm", np.zeros((4, 4), np.uint8), "MONOCHROME2", with_pixels=False)
    with pytest.raises(SourceError, match="no usable DICOM files"):
        DicomSource(str(tmp_path))


# --------------------------------------------------------------------------- shared CC BY data


@pytest.mark.shared_data
@pytest.mark.parametrize("colour", ["grey", "rgb"])
def test_shared_pocus_folder(colour):
    if not SHARED_POCUS.is_dir():
        pytest.skip(f"shared data not present: {SHARED_POCUS}")
    source = FolderSource(str(SHARED_POCUS))
    rng = np.random.default_rng(2024)
    cine = source.plan(rng, cine=True, n_frames=10)
    assert cine.relpath.lower().endswith((".mov", ".mp4", ".mpeg")) and cine.n_frames == 10
    still = next(r for r in (source.plan(rng, cine=False, n_frames=1) for _ in range(200))
                 if r.relpath.lower().endswith((".png", ".jpg")))
    for ref in (cine, still):
        out = source.render(ref, width=640, height=480, colour=colour)
        expected = (ref.n_frames, 480, 640) + ((3,) if colour == "rgb" else ())
        assert out.frames.shape == expected and out.frames.dtype == np.uint8
        assert 0.2 < out.image_mask.mean() < 0.8
        assert_clean_outside(out.frames, out.image_mask)
        assert out.frames[:, out.image_mask].mean() > 10
