"""The bundled engine's pixel part on real files: every frame of a cine, colour spaces, vendor files."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
import pytest

from phiphantom.benchmark.dataset import load_dataset
from phiphantom.benchmark.pixel_metrics import score_pixels
from phiphantom.core.ocr import TesseractBackend, similarity
from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.synth import generate
from phiphantom.synth.external_validators import tier3_check

from .helpers import deid_pixels, display_luma, reread, small_config


@pytest.fixture(scope="module")
def cine_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("clock-cines")
    generate(small_config(out, patients=4, files_per_study=(2, 2), cine_fraction=1.0, frames=(12, 12),
                          jpeg_fraction=0.0, seed=22))
    return load_dataset(out)


def test_a_clock_that_changes_every_frame_is_gone_from_every_frame(cine_dataset):
    ds = cine_dataset
    clocks = [(f, [b for b in f.boxes if b["phi_category"] == "acquisition_time"]) for f in ds.files]
    every_frame = [(f, c) for f, c in clocks if len(c) == f.entry["frames"]]
    assert every_frame, "the fixture must hold a clock with a new text on every frame"
    ocr = TesseractBackend()
    for truth, clock in every_frame:
        result = deid_pixels(ds.root / truth.relpath)
        assert result.pixels.verified and result.dataset.BurnedInAnnotation == "NO"
        assert "113101" in {i.CodeValue for i in result.dataset.DeidentificationMethodCodeSequence}
        out = display_luma(reread(result.dataset))
        inp = display_luma(pydicom.dcmread(ds.root / truth.relpath))
        score = score_pixels(inp, out, truth.boxes, ds.masks(truth))
        for row, box in zip(truth.boxes, score.boxes, strict=False):
            if row["is_phi"] == "1":
                missed = box.frames - box.frames_ok
                assert box.ok, f"{row['phi_category']} not removed on frames {missed} of {box.frames}"
        for row in clock:  # read the clock's place on its own frame: nothing of it may come back
            x, y, w, h = (int(row[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
            t = int(row["frame_start"])
            text = ocr.read_line(out[t, max(0, y - 2):y + h + 2, max(0, x - 2):x + w + 2]).text
            assert similarity(text, row["rendered_text"]) < 0.5, f"frame {t} still shows the clock"


def test_header_only_leaves_pixels_and_burned_in_annotation(cine_dataset):
    truth = cine_dataset.files[0]
    original = pydicom.dcmread(cine_dataset.root / truth.relpath)
    result = deid_pixels(cine_dataset.root / truth.relpath, header_only=True)
    assert result.pixels is None and result.dataset.BurnedInAnnotation == "YES"
    assert result.dataset.PixelData == original.PixelData


def _variants(root: Path, tmp: Path) -> dict[str, Path]:
    """The same kind of generated screen as YBR_FULL_422 JPEG, RGB, MONOCHROME1 and PALETTE COLOR files."""
    ds = load_dataset(root)
    out = {}
    jpeg = next(f for f in ds.files if f.entry["photometric"] == "YBR_FULL_422")
    out["YBR_FULL_422"] = root / jpeg.relpath
    rgb = next(f for f in ds.files if f.entry["photometric"] == "RGB")
    out["RGB"] = root / rgb.relpath
    grey = next(f for f in ds.files if f.entry["photometric"] == "MONOCHROME2" and f.entry["lossless"])
    src = pydicom.dcmread(root / grey.relpath)
    mono1 = copy.deepcopy(src)  # a shallow copy would share (and invert) src's PixelData element
    mono1.PhotometricInterpretation = "MONOCHROME1"
    mono1.PixelData = (255 - np.frombuffer(src.PixelData, np.uint8)).tobytes()
    out["MONOCHROME1"] = tmp / "mono1.dcm"
    mono1.save_as(out["MONOCHROME1"], enforce_file_format=True)
    palette = copy.deepcopy(src)
    palette.PhotometricInterpretation = "PALETTE COLOR"
    ramp = np.arange(256, dtype=np.uint16)
    palette.RedPaletteColorLookupTableDescriptor = [256, 0, 16]
    palette.GreenPaletteColorLookupTableDescriptor = [256, 0, 16]
    palette.BluePaletteColorLookupTableDescriptor = [256, 0, 16]
    for colour in ("Red", "Green", "Blue"):
        palette[f"{colour}PaletteColorLookupTableDescriptor"].VR = "US"
    palette.RedPaletteColorLookupTableData = (ramp * 257).tobytes()
    palette.GreenPaletteColorLookupTableData = (np.minimum(ramp * 0.9, 255).astype(np.uint16) * 257).tobytes()
    palette.BluePaletteColorLookupTableData = (np.minimum(ramp * 0.7, 255).astype(np.uint16) * 257).tobytes()
    out["PALETTE COLOR"] = tmp / "palette.dcm"
    palette.save_as(out["PALETTE COLOR"], enforce_file_format=True)
    return out


@pytest.fixture(scope="module")
def colour_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("colours")
    generate(small_config(root, patients=4, files_per_study=(3, 3), cine_fraction=0.0, jpeg_fraction=0.5,
                          rgb_fraction=0.5, seed=33))
    return root


@pytest.mark.parametrize("photometric", ["YBR_FULL_422", "RGB", "MONOCHROME1", "PALETTE COLOR"])
def test_colour_spaces_are_kept_and_pixels_outside_boxes_unchanged(colour_dataset, tmp_path, photometric):
    path = _variants(colour_dataset, tmp_path)[photometric]
    original = pydicom.dcmread(path)
    result = deid_pixels(path)
    out = reread(result.dataset)
    # A lossy YBR_FULL_422 JPEG comes out native, and native US colour must be RGB (uncompressed
    # YBR_FULL_422 is not allowed; the US IOD allows no YBR_FULL). The others keep theirs.
    assert out.PhotometricInterpretation == ("RGB" if photometric == "YBR_FULL_422" else photometric)
    assert out.BitsAllocated == original.BitsAllocated and out.SamplesPerPixel == original.SamplesPerPixel
    assert out.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"  # compressed input -> honest native output
    if original.file_meta.TransferSyntaxUID.is_compressed:
        assert out.LossyImageCompression == "01", "lossy history kept"
    assert result.pixels.redacted, "the generated screen has PHI to redact"
    untouched = np.ones((out.Rows, out.Columns), dtype=bool)
    for b in result.pixels.redacted:
        untouched[max(0, b.y0 - 2):b.y1 + 2, max(0, b.x0 - 2):b.x1 + 2] = False
    before, after = display_luma(original)[0], display_luma(out)[0]
    diff = np.abs(before.astype(int) - after.astype(int))[untouched]
    assert diff.max() == 0, "pixels outside the redacted boxes must be unchanged"
    assert not all(d == 0 for d in np.abs(before.astype(int) - after.astype(int))[~untouched])
    written = tmp_path / "out.dcm"
    result.dataset.save_as(written, enforce_file_format=True)
    check_in, check_out = tier3_check(path), tier3_check(written)
    if check_in.ran and check_out.ran:
        assert set(check_out.errors) <= set(check_in.errors), "no new dciodvfy errors"


def test_classifier_policies_and_reasons():
    header = HeaderValues.from_dataset(_header("DOE^JOHN", "7654321", "19560312"))
    strict, balanced = Classifier(header, "strict"), Classifier(header, "balanced")
    assert strict.decide("DOE, JOHN").reason == "header:PatientName"
    assert strict.decide("ID: 7654321").reason.startswith("header:")
    assert strict.decide("03/12/1956").reason == "header:PatientBirthDate"
    assert strict.decide("10:15:32.47").reason == "regex:time"
    assert not strict.decide("C5-2").redact and strict.decide("C5-2").reason == "allowlist"
    assert not strict.decide("MI 0.8").redact and not strict.decide("5.0MHz").redact
    assert not strict.decide("LYMPH NODE").redact  # anatomy (DICOM context groups), not PHI
    assert strict.decide("QUORBLE VANTIX").reason == "strict" and not balanced.decide("QUORBLE VANTIX").redact
    assert strict.decide("", 40, 10).reason == "unreadable"
    assert not balanced.decide("", 12, 10).redact, "balanced keeps short unreadable marks"
    assert balanced.decide("", 60, 10).redact, "but not longer unreadable text"
    assert strict.decide("45Y M").reason in ("regex:age", "regex:sex") and balanced.decide("45Y M").redact
    assert balanced.decide("1234567").redact and not balanced.decide("Gain 52").redact


def _header(name, pid, dob):
    ds = pydicom.Dataset()
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = name, pid, dob
    return ds


VENDOR_FILES = ("US1_UNCR.dcm", "US1_J2KI.dcm", "gdcm-US-ALOKA-16.dcm", "gdcm-US-ALOKA-16_big.dcm")


def _testdata(name: str) -> Path | None:
    try:
        from pydicom.data import get_testdata_file

        return get_testdata_file(name, download=False)
    except Exception:  # noqa: BLE001 - absent data package means: skip
        return None


@pytest.mark.parametrize("name", VENDOR_FILES)
def test_real_vendor_ultrasound_files(name, capsys):
    path = _testdata(name)
    if path is None:
        pytest.skip("pydicom-data is not installed (pip install pydicom-data)")
    original = pydicom.dcmread(path)
    result = deid_pixels(path)
    out = reread(result.dataset)
    assert result.pixels.verified and out.PatientIdentityRemoved == "YES"
    before, after = display_luma(original)[0], display_luma(out)[0]
    ocr = TesseractBackend()
    # where the vendor burned in the institution and the date/time: nothing of it may be read back
    places = {"US1": [((15, 20, 175, 42), "BAPTIST MED CTR"), ((275, 38, 362, 58), "+2:09:04")],
              "ALOKA": [((78, 0, 252, 13), "*WESTWAY MEDICAL*"), ((548, 0, 640, 13), "24-MAY-02")]}
    for (x0, y0, x1, y1), text in places["US1" if name.startswith("US1") else "ALOKA"]:
        assert ocr.read_line(before[y0:y1, x0:x1]).text, "the test must look where the text really is"
        assert similarity(ocr.read_line(after[y0:y1, x0:x1]).text, text) < 0.5, f"{text!r} still readable"
    with capsys.disabled():
        kept = [(b.text, b.decision.reason) for b in result.pixels.boxes if not b.decision.redact]
        print(f"\n{name}: {len(result.pixels.redacted)} boxes redacted, kept {kept}")
