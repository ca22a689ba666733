"""Tests for ``phiphantom.synth.external_validators`` (tiers 2 and 3 of ``phiphantom validate``).

The fixtures write real DICOM files with pydicom and run the real tools
(dcmtk's ``dcmdump``/``dcmj2pnm``/``dcm2pnm``, dicom3tools' ``dciodvfy``);
tests that need a tool are skipped, with the reason, when it is absent.

What dciodvfy (dicom3tools 1.00~20220618) requires of an Ultrasound Image
(1.2.840.10008.5.1.4.1.1.6.1) / Ultrasound Multi-frame Image
(1.2.840.10008.5.1.4.1.1.3.1) file, found by deleting each attribute of
:func:`minimal_us_dataset` in turn and reading dciodvfy's verdict:

* File meta: MediaStorageSOPClassUID / MediaStorageSOPInstanceUID (Error if
  missing) — pydicom's ``save_as(..., enforce_file_format=True)`` fills the
  rest. SOPClassUID missing -> "Information Object Not found".
* Patient (Type 2, may be empty): PatientName, PatientID, PatientBirthDate,
  PatientSex (enumerated M/F/O; "X" is an Error).
* General Study: StudyInstanceUID (1); StudyDate, StudyTime,
  ReferringPhysicianName, StudyID, AccessionNumber (2).
* General Series: Modality "US" (Error when missing), SeriesInstanceUID (1),
  SeriesNumber (2), and **Laterality (2C)**: dciodvfy reports
  "Missing attribute Type 2C Conditional Element=<Laterality>" as an *Error*
  unless BodyPartExamined names an unpaired body part (e.g. ABDOMEN, HEART,
  CHEST...) or Laterality has a value (R/L). An *empty* Laterality turns it
  into a Warning ("is only permitted to be empty when actually unknown").
  BodyPartExamined "BREAST" (paired) without Laterality is an Error again.
  Zero warnings: BodyPartExamined=ABDOMEN (unpaired) and no Laterality, or
  Laterality R/L for paired parts.
* General Equipment: Manufacturer (2).
* General Image: InstanceNumber (2), PatientOrientation (2C, empty is fine).
* Image Pixel / US Image: SamplesPerPixel, PhotometricInterpretation, Rows,
  Columns, BitsAllocated, BitsStored, HighBit, PixelRepresentation (1),
  PlanarConfiguration (1C: required when SamplesPerPixel=3, *forbidden* when
  1), ImageType (2; ORIGINAL\\PRIMARY is fine, a value 3 outside the US
  defined terms — e.g. CARDIAC — is a Warning, ABDOMINAL is accepted),
  PixelData with exactly Rows*Columns*Samples*Frames bytes (Error otherwise).
* Multi-frame + Cine (multi-frame only): NumberOfFrames (1),
  FrameIncrementPointer (1C) = (0018,1063) and FrameTime (1C, because the
  pointer names it). CineRate is optional. NumberOfFrames/FrameTime in a
  *single-frame* US Image are Warnings ("not present in standard DICOM IOD").
* US Region Calibration is optional, but each SequenceOfUltrasoundRegions item
  needs RegionSpatialFormat, RegionDataType, RegionFlags,
  RegionLocationMinX0/MinY0/MaxX1/MaxY1, PhysicalUnitsX/YDirection,
  PhysicalDeltaX/Y (all Type 1: Error when missing).
* SOP Common: SOPClassUID, SOPInstanceUID (1).
* Not checked by dciodvfy (but kept, the standard wants them for lossy):
  LossyImageCompression ("00"/"01"), LossyImageCompressionRatio,
  LossyImageCompressionMethod "ISO_10918_1". YBR_FULL_422 with JPEG Baseline
  passes; dciodvfy does not look inside the JPEG stream.
* Traps seen while probing: PixelSpacing is not in the US IODs (Warning,
  "Standard Extended SOP Class" — use the region calibration instead);
  PixelAspectRatio 1\\1 is an Error ("may not be present when it has a ratio
  of 1:1"); OtherPatientIDs is retired (Warning). SpecificCharacterSet,
  BurnedInAnnotation, Content/Acquisition date+time, InstitutionName,
  OperatorsName, StationName, ManufacturerModelName, SoftwareVersions,
  PatientAge, Series/StudyDescription, ProtocolName... add no messages.

With the datasets below dciodvfy prints zero errors and zero warnings for all
three files (mono single-frame, RGB multi-frame, JPEG YBR_FULL_422 multi-frame).
"""

from __future__ import annotations

import io
import shutil
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid

from phiphantom.core.messages import redact_message
from phiphantom.synth import external_validators as dt
from phiphantom.synth.external_validators import (
    ToolResult,
    available_tools,
    frames_sha256,
    summarise_messages,
    tier2_check,
    tier3_check,
)

US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"
US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"

HAVE_DCMDUMP = shutil.which("dcmdump") is not None
HAVE_DECODER = shutil.which("dcmj2pnm") is not None or shutil.which("dcm2pnm") is not None
HAVE_DCIODVFY = shutil.which("dciodvfy") is not None

needs_dcmtk = pytest.mark.skipif(
    not (HAVE_DCMDUMP and HAVE_DECODER),
    reason="dcmtk not installed (dcmdump + dcm2pnm/dcmj2pnm); apt-get install dcmtk",
)
needs_dcmdump = pytest.mark.skipif(not HAVE_DCMDUMP, reason="dcmdump not installed; apt-get install dcmtk")
needs_dciodvfy = pytest.mark.skipif(not HAVE_DCIODVFY, reason="dciodvfy not installed; apt-get install dicom3tools")


# --------------------------------------------------------------------------
# dataset builder


def minimal_us_dataset(frames: np.ndarray, *, jpeg: bool = False, quality: int = 90) -> Dataset:
    """Smallest US dataset that dciodvfy accepts with zero errors and zero warnings.

    ``frames``: ``(T, h, w)`` uint8 grey (MONOCHROME2) or ``(T, h, w, 3)`` uint8
    RGB. ``T == 1`` gives Ultrasound Image Storage, ``T > 1`` Ultrasound
    Multi-frame Image Storage (with the Cine attributes). ``jpeg=True``
    encodes every frame with Pillow (JPEG Baseline, 4:2:0 chroma for colour)
    and labels colour data YBR_FULL_422. See the module docstring for what
    each attribute is there for.
    """
    frames = np.asarray(frames, dtype=np.uint8)
    n, rows, cols = frames.shape[:3]
    colour = frames.ndim == 4
    ds = Dataset()
    # SOP Common
    ds.SOPClassUID = US_MULTIFRAME if n > 1 else US_IMAGE
    ds.SOPInstanceUID = generate_uid()
    # Patient (Type 2)
    ds.PatientName = "Phantom^Test"
    ds.PatientID = "PP0001"
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    # General Study
    ds.StudyInstanceUID = generate_uid()
    ds.StudyDate = "20240101"
    ds.StudyTime = "120000"
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    # General Series: Laterality (2C) is an Error unless the body part is unpaired
    ds.Modality = "US"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.BodyPartExamined = "ABDOMEN"
    # General Equipment
    ds.Manufacturer = "PHI Phantom"
    # General Image
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    # US Image + Image Pixel
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = ("YBR_FULL_422" if jpeg else "RGB") if colour else "MONOCHROME2"
    if colour:
        ds.PlanarConfiguration = 0  # 1C: only for SamplesPerPixel > 1
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    # Multi-frame + Cine
    if n > 1:
        ds.NumberOfFrames = n
        ds.FrameIncrementPointer = 0x00181063  # -> FrameTime
        ds.FrameTime = 40.0
        ds.CineRate = 25
    # US Region Calibration (optional module, Type 1 inside each item)
    region = Dataset()
    region.RegionSpatialFormat = 1       # 2D
    region.RegionDataType = 1            # tissue
    region.RegionFlags = 0
    region.RegionLocationMinX0 = 0
    region.RegionLocationMinY0 = 0
    region.RegionLocationMaxX1 = cols - 1
    region.RegionLocationMaxY1 = rows - 1
    region.PhysicalUnitsXDirection = 3   # cm
    region.PhysicalUnitsYDirection = 3
    region.PhysicalDeltaX = 0.02
    region.PhysicalDeltaY = 0.02
    ds.SequenceOfUltrasoundRegions = Sequence([region])

    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if jpeg:
        encoded = []
        for f in frames:
            buf = io.BytesIO()
            Image.fromarray(f).save(buf, format="JPEG", quality=quality, subsampling=2)
            encoded.append(buf.getvalue())
        ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
        ds.PixelData = encapsulate(encoded)
        ds["PixelData"].VR = "OB"
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionRatio = f"{frames.nbytes / sum(len(e) for e in encoded):.2f}"
        ds.LossyImageCompressionMethod = "ISO_10918_1"
    else:
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.PixelData = frames.tobytes()
        ds.LossyImageCompression = "00"
    return ds


def _save(ds: Dataset, path: Path) -> Path:
    with warnings.catch_warnings():  # deliberately invalid values in some tests
        warnings.simplefilter("ignore", UserWarning)
        ds.save_as(path, enforce_file_format=True)
    return path


def _smooth_rgb(n: int, h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack(
        [np.stack([(x * 2 + t * 9) % 256, (y * 3) % 256, ((x + y) + 40 * t) % 256], -1) for t in range(n)]
    ).astype(np.uint8)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray]]:
    """name -> (path, frames as written)."""
    d = tmp_path_factory.mktemp("us")
    rng = np.random.default_rng(1234)
    mono = rng.integers(0, 256, (1, 480, 640), dtype=np.uint8)          # non-square, Rows=480 Columns=640
    rgb = rng.integers(0, 256, (4, 96, 128, 3), dtype=np.uint8)
    jpg = _smooth_rgb(4, 240, 320)
    return {
        "mono": (_save(minimal_us_dataset(mono), d / "mono.dcm"), mono),
        "rgb": (_save(minimal_us_dataset(rgb), d / "rgb.dcm"), rgb),
        "jpeg": (_save(minimal_us_dataset(jpg, jpeg=True), d / "jpeg.dcm"), jpg),
    }


def _truncated(src: Path, dst: Path, cut: int = 1000) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) - cut])
    return dst


# --------------------------------------------------------------------------
# pure-Python parts (always run)


def test_available_tools_reports_paths_or_none() -> None:
    tools = available_tools()
    assert {"dcmdump", "dcm2pnm", "dciodvfy"} <= set(tools)
    for name, where in tools.items():
        assert where is None or Path(where).name == name


def test_frames_sha256_is_c_order_bytes() -> None:
    a = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    import hashlib

    assert frames_sha256(a) == hashlib.sha256(a.tobytes()).hexdigest()
    assert frames_sha256(np.asfortranarray(a)) == frames_sha256(a)
    with pytest.raises(ValueError):
        frames_sha256(a.astype(np.uint16))


@pytest.mark.parametrize(
    ("raw", "expected", "secret"),
    [
        (
            "Value invalid for this VR - (0x0008,0x0020) DA Study Date  DA [1] = <20241399> - "
            "Character invalid for this VR = '9' (0x39)",
            "Value invalid for this VR - (0x0008,0x0020) DA Study Date  DA [1] = <…> - "
            "Character invalid for this VR = '…'",
            "20241399",
        ),
        (
            "Unrecognized enumerated value <X> for value 1 of attribute <Patient's Sex>",
            "Unrecognized enumerated value <…> for value 1 of attribute <Patient's Sex>",
            "<X>",
        ),
        (
            "PixelAspectRatio may not be present when it has a ratio of 1:1 - values are 1\\1",
            "PixelAspectRatio may not be present when it has a ratio of 1:1 - values are <…>",
            "1\\1",
        ),
        (
            "Missing attribute Type 2C Conditional Element=<Laterality> Module=<GeneralSeries>",
            "Missing attribute Type 2C Conditional Element=<Laterality> Module=<GeneralSeries>",
            None,
        ),
        ('File open for read failed - "/data/Jane_Doe/x.dcm"', 'File open for read failed - "…"', "Jane_Doe"),
        (  # dcmtk style: apostrophes inside words and quoted keywords survive, quoted values do not
            "can't determine 'PhotometricInterpretation' of decompressed image; bad value 'Doe^Jane'",
            "can't determine 'PhotometricInterpretation' of decompressed image; bad value '…'",
            "Doe^Jane",
        ),
    ],
)
def test_redact_message(raw: str, expected: str, secret: str | None) -> None:
    out = redact_message(raw)
    assert out == expected
    if secret:
        assert secret not in out


def test_redact_message_replaces_path() -> None:
    p = Path("/tmp/Smith_John/study1.dcm")
    assert redact_message(f"dcmdump: Invalid stream: reading file: {p}", p) == (
        "dcmdump: Invalid stream: reading file: <file>"
    )


def test_summarise_counts_files_not_lines() -> None:
    a = ToolResult("dciodvfy", True, False, ("E1",), ("W1", "W2"))
    b = ToolResult("dciodvfy", True, True, (), ("W1",))
    c = ToolResult("dciodvfy", True, True, (), ("W1", "W1"))   # repeated within one file: counts once
    skipped = ToolResult("dciodvfy", False, False, ("ignored",), ("ignored",))
    s = summarise_messages([a, b, c, skipped])
    assert s == {"dciodvfy: Warning - W1": 3, "dciodvfy: Error - E1": 1, "dciodvfy: Warning - W2": 1}
    assert list(s)[0] == "dciodvfy: Warning - W1"
    assert summarise_messages([]) == {}


def test_missing_tools_are_reported_as_not_run(files, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # empty folder: nothing on PATH
    assert all(v is None for v in available_tools().values())
    path, frames = files["mono"]
    r2 = tier2_check(path, frames.shape, frames_sha256(frames))
    r3 = tier3_check(path)
    for r in (r2, r3):
        assert r.ran is False and r.skipped and r.errors == ()
        assert "not installed" in r.detail


# --------------------------------------------------------------------------
# tier 2: dcmtk


@needs_dcmtk
@pytest.mark.parametrize("name", ["mono", "rgb"])
def test_tier2_lossless_hash_and_geometry_match(files, name: str) -> None:
    path, frames = files[name]
    r = tier2_check(path, frames.shape, frames_sha256(frames))
    assert r.ran and r.ok, r
    assert r.errors == () and r.warnings == ()
    assert "pixel sha256 matches" in r.detail
    assert f"decoded {frames.shape[0]} frame(s)" in r.detail


@needs_dcmtk
def test_tier2_detects_changed_pixels(files) -> None:
    path, frames = files["rgb"]
    other = frames.copy()
    other[2, 50, 60, 1] ^= 0x01          # one bit of one sample of frame 3
    r = tier2_check(path, frames.shape, frames_sha256(other))
    assert r.ran and not r.ok
    assert any("sha256 mismatch" in e for e in r.errors)


@needs_dcmtk
def test_tier2_detects_wrong_geometry(files) -> None:
    path, frames = files["mono"]
    r = tier2_check(path, (1, 640, 480))  # rows/columns swapped
    assert r.ran and not r.ok
    assert any("geometry" in e for e in r.errors)
    r = tier2_check(path, (1, 480, 640, 3))  # grey file, colour expected
    assert not r.ok


@needs_dcmtk
def test_tier2_jpeg_geometry_only(files) -> None:
    path, frames = files["jpeg"]
    r = tier2_check(path, frames.shape)
    if not r.ok and any("dcmj2pnm" in w for w in r.warnings):
        pytest.skip("this dcmtk's dcm2pnm has no JPEG codec and dcmj2pnm is not installed")
    assert r.ran and r.ok, r
    assert "geometry matches" in r.detail and "decoded 4 frame(s)" in r.detail
    # A hash for a lossy file is ignored, with a warning, not a failure.
    r = tier2_check(path, frames.shape, frames_sha256(frames))
    assert r.ok and any("lossy" in w for w in r.warnings)
    # Geometry is still enforced for JPEG.
    assert not tier2_check(path, (4, 240, 321, 3)).ok
    assert not tier2_check(path, (5, 240, 320, 3)).ok


@needs_dcmtk
def test_tier2_first_frame_only(files) -> None:
    path, frames = files["rgb"]
    r = tier2_check(path, frames.shape, all_frames=False)
    assert r.ok, r
    assert "decoded 1 frame(s)" in r.detail


@needs_dcmdump
@pytest.mark.parametrize("name", ["mono", "rgb", "jpeg"])
def test_tier2_truncated_file_fails(files, tmp_path: Path, name: str) -> None:
    path, frames = files[name]
    bad = _truncated(path, tmp_path / f"trunc_{name}.dcm")
    r = tier2_check(bad, frames.shape)
    assert r.ran and not r.ok
    assert r.errors
    assert all(str(tmp_path) not in e for e in r.errors)  # path is redacted


@needs_dcmdump
def test_tier2_rejects_non_dicom(tmp_path: Path) -> None:
    p = tmp_path / "notdicom.dcm"
    p.write_bytes(b"hello, this is not DICOM\n" * 10)
    r = tier2_check(p)
    assert r.ran and not r.ok


@needs_dcmtk
def test_tier2_falls_back_to_dcm2pnm(files, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("dcm2pnm") is None:
        pytest.skip("dcm2pnm not installed")
    tools = {**available_tools(), "dcmj2pnm": None}
    monkeypatch.setattr(dt, "available_tools", lambda: tools)
    path, frames = files["rgb"]
    r = tier2_check(path, frames.shape, frames_sha256(frames))
    assert r.ok and "dcm2pnm decoded 4 frame(s)" in r.detail, r
    jpath, jframes = files["jpeg"]
    r = tier2_check(jpath, jframes.shape)
    # dcmtk <= 3.6.7: dcm2pnm cannot decode JPEG; the result says why.
    assert r.ok or any("dcmj2pnm" in w for w in r.warnings)


@needs_dcmdump
def test_tier2_timeout(files) -> None:
    path, frames = files["mono"]
    r = tier2_check(path, frames.shape, timeout=1e-9)
    assert r.ran and not r.ok and r.errors == ("timeout",)


# --------------------------------------------------------------------------
# tier 3: dciodvfy


@needs_dciodvfy
@pytest.mark.parametrize(("name", "iod"),
                         [("mono", "USImage"), ("rgb", "USMultiFrameImage"), ("jpeg", "USMultiFrameImage")])
def test_tier3_good_files_have_no_errors_or_warnings(files, name: str, iod: str) -> None:
    path, _ = files[name]
    r = tier3_check(path)
    assert r.ran and r.ok, r
    assert r.errors == ()
    assert r.warnings == ()
    assert r.detail == f"IOD {iod}"


def _variant(files, name: str, tmp_path: Path, edit) -> Path:
    ds = pydicom.dcmread(files[name][0])
    with warnings.catch_warnings():  # pydicom warns when a test sets an invalid value on purpose
        warnings.simplefilter("ignore", UserWarning)
        edit(ds)
    return _save(ds, tmp_path / f"variant_{name}.dcm")


@needs_dciodvfy
@pytest.mark.parametrize(
    ("name", "edit", "needle"),
    [
        ("mono", lambda ds: delattr(ds, "Modality"), "Element=<Modality> Module=<GeneralSeries>"),
        ("mono", lambda ds: delattr(ds, "BodyPartExamined"), "Element=<Laterality> Module=<GeneralSeries>"),
        ("mono", lambda ds: delattr(ds, "PatientOrientation"), "Element=<PatientOrientation>"),
        (
            "mono",
            lambda ds: delattr(ds.SequenceOfUltrasoundRegions[0], "RegionLocationMinX0"),
            "Element=<RegionLocationMinX0> Module=<USRegionCalibration>",
        ),
        ("rgb", lambda ds: delattr(ds, "FrameTime"), "Element=<FrameTime> Module=<Cine>"),
        ("rgb", lambda ds: delattr(ds, "PlanarConfiguration"), "Element=<PlanarConfiguration>"),
        ("jpeg", lambda ds: delattr(ds, "NumberOfFrames"), "Element=<NumberOfFrames> Module=<MultiFrame>"),
    ],
)
def test_tier3_flags_missing_required_attribute(files, tmp_path: Path, name: str, edit, needle: str) -> None:
    r = tier3_check(_variant(files, name, tmp_path, edit))
    assert r.ran and not r.ok
    assert any(needle in e for e in r.errors), r.errors


@needs_dciodvfy
def test_tier3_does_not_echo_values(files, tmp_path: Path) -> None:
    secret = "Zyxwvut Memorial Hospital of Phantomville"

    def edit(ds: Dataset) -> None:
        ds.InstitutionName = secret + " and Surgical Day Clinics"   # > 64 chars: LO too long, dciodvfy echoes it
        ds.PatientSex = "Q"                            # not M/F/O

    r = tier3_check(_variant(files, "mono", tmp_path, edit))
    assert r.ran and not r.ok
    text = "\n".join(r.errors + r.warnings)
    assert "Institution Name" in text and "Patient's Sex" in text
    assert "Zyxwvut" not in text and "Phantomville" not in text and "<Q>" not in text


@needs_dciodvfy
def test_tier3_summary_merges_messages_with_different_values(files, tmp_path: Path) -> None:
    results = []
    for i, sex in enumerate(["Q", "Z"]):
        ds = pydicom.dcmread(files["mono"][0])
        ds.PatientSex = sex
        results.append(tier3_check(_save(ds, tmp_path / f"sex{i}.dcm")))
    results.append(tier3_check(files["rgb"][0]))
    s = summarise_messages(results)
    key = "dciodvfy: Error - Unrecognized enumerated value <…> for value 1 of attribute <Patient's Sex>"
    assert s == {key: 2}


@needs_dciodvfy
def test_tier3_truncated_and_non_dicom_fail(files, tmp_path: Path) -> None:
    assert not tier3_check(_truncated(files["mono"][0], tmp_path / "t.dcm")).ok
    p = tmp_path / "notdicom.dcm"
    p.write_bytes(b"hello\n")
    r = tier3_check(p)
    assert r.ran and not r.ok


@needs_dciodvfy
def test_tier3_timeout(files) -> None:
    r = tier3_check(files["mono"][0], timeout=1e-9)
    assert r.ran and not r.ok and r.errors == ("timeout",)


def test_minimal_dataset_roundtrips_through_pydicom(files) -> None:
    """Tier 1 sanity: pydicom decodes what the builder wrote (lossless exactly)."""
    for name in ("mono", "rgb"):
        path, frames = files[name]
        arr = pydicom.dcmread(path).pixel_array
        assert np.array_equal(arr.reshape(frames.shape), frames)
    ds = pydicom.dcmread(files["jpeg"][0])
    assert ds.PhotometricInterpretation == "YBR_FULL_422"
    assert int(ds.NumberOfFrames) == 4
    assert ds.pixel_array.shape == files["jpeg"][1].shape
