"""Issue 12 items 7, 8 and 10: pixel output correctness, the per-modality pixel search, decoders and --recompress.

Real files only: pydicom's test files (and pydicom-data's, skipped when absent), real text rendered
with a real font into real CT and MR slices, real OCR, real DICOM written and read back, dciodvfy
when installed.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont
from pydicom.filewriter import dcmwrite
from pydicom.pixels import pixel_array
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.core.ocr import TesseractBackend, similarity
from phiphantom.deid.api import deidentify_file
from phiphantom.deid.config import DeidConfig
from phiphantom.deid.pixels.config import PixelConfig
from phiphantom.deid.pixels.frames import load_frames, store_frames
from phiphantom.synth import generate
from phiphantom.synth.external_validators import tier3_check

from .helpers import small_config

KEY = b"i" * 32


def pydicom_file(name: str) -> Path:
    """A file of pydicom's test collection (pydicom-data included); the test is skipped when it is absent."""
    from pydicom.data import get_testdata_file

    try:
        path = get_testdata_file(name, download=False)
    except Exception:  # noqa: BLE001 - absent data package
        path = None
    if path is None:
        pytest.skip(f"{name} is not installed (pip install pydicom-data)")
    return Path(path)


def reread(ds: pydicom.Dataset) -> pydicom.Dataset:
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(buffer.getvalue()))


def run_deid(src: Path, out: Path, tmp_path: Path, *extra: str) -> None:
    """``phiphantom deid SRC OUT`` through the real command (one worker, a key file)."""
    key_file = tmp_path / "deid.key"
    if not key_file.exists():
        key_file.write_text(KEY.hex())
    result = CliRunner().invoke(app, ["deid", str(src), str(out), "--key-file", str(key_file), "--workers", "1",
                                      *extra])
    assert result.exit_code == 0, result.output


def outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.dcm") if p.is_file())


def no_new_iod_errors(src: Path, written: Path) -> None:
    check_in, check_out = tier3_check(src), tier3_check(written)
    if check_in.ran and check_out.ran:
        new_errors = set(check_out.errors) - set(check_in.errors)
        assert not new_errors, (written.name, new_errors)


# -- item 7: 1-bit data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, frames", [("liver.dcm", 3), ("liver_1frame.dcm", 1)])
def test_one_bit_pixel_data_is_written_packed(name, frames):
    """Issue 12 item 7: 1-bit Pixel Data written back by the pixel stage is packed 8 pixels a byte (98,304 bytes
    for liver.dcm's 3 frames of 512x512, not 786,432) and decodes as the same frames."""
    ds = pydicom.dcmread(pydicom_file(name))
    before = pixel_array(ds, raw=True)
    store_frames(ds, load_frames(ds))
    out = reread(ds)
    assert len(out.PixelData) == 512 * 512 * frames // 8
    after = pixel_array(out, raw=True)
    assert after.shape == before.shape and np.array_equal(after, before)


def test_segmentation_through_the_command_is_valid(tmp_path):
    """Issue 12 item 7: `phiphantom deid` on a 1-bit Segmentation writes 98,304 bytes of Pixel Data that decode
    as its 3 frames, with no new dciodvfy errors (was 786,432 bytes, 24 frames, reported ok)."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(pydicom_file("liver.dcm"), src / "seg.dcm")
    run_deid(src, tmp_path / "out", tmp_path)
    (written,) = outputs(tmp_path / "out")
    out = pydicom.dcmread(written)
    assert len(out.PixelData) == 98304
    assert np.array_equal(pixel_array(out, raw=True), pixel_array(pydicom.dcmread(src / "seg.dcm"), raw=True))
    no_new_iod_errors(src / "seg.dcm", written)


def test_segmentation_with_all_modalities_is_packed_too(tmp_path):
    """Issue 12 item 7: with --pixels-all-modalities the Segmentation's pixels go through the pixel stage and are
    still written packed (exact length checked before writing)."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(pydicom_file("liver.dcm"), src / "seg.dcm")
    run_deid(src, tmp_path / "out", tmp_path, "--pixels-all-modalities")
    (written,) = outputs(tmp_path / "out")
    out = pydicom.dcmread(written)
    assert len(out.PixelData) == 98304 and pixel_array(out, raw=True).shape == (3, 512, 512)
    no_new_iod_errors(src / "seg.dcm", written)


def test_a_wrong_pixel_data_length_is_refused():
    """Issue 12 item 7: the length check catches Pixel Data that does not match Rows x Columns x frames x samples
    x Bits Allocated (the class of bug that wrote 1-bit data a byte a pixel)."""
    from phiphantom.deid.header_deid import DeidError
    from phiphantom.deid.pixels.frames import check_native_length, expected_native_length

    ds = pydicom.dcmread(pydicom_file("liver.dcm"))
    assert expected_native_length(ds) == 98304
    ds.PixelData = bytes(786432)
    with pytest.raises(DeidError, match="786432 bytes where the header calls for 98304"):
        check_native_length(ds)
    ct = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    check_native_length(ct)  # 128 x 128 x 16 bits: 32,768 bytes, as written
    ct.PixelData = ct.PixelData[:-2]
    with pytest.raises(DeidError):
        check_native_length(ct)


# -- item 8: the pixel search per modality ----------------------------------------------------------------


def burn_text(ds: pydicom.Dataset, lines: list[tuple[int, int, str]], size: int) -> tuple[np.ndarray, list]:
    """Render ``lines`` with DejaVu Sans into ``ds``'s pixels at the image's brightest value (written native)."""
    arr = pixel_array(ds, raw=True).copy()
    h, w = arr.shape
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    boxes = []
    for x, y, text in lines:
        draw.text((x, y), text, fill=255, font=font)
        boxes.append(draw.textbbox((x, y), text, font=font))
    ink = np.asarray(canvas) > 127
    arr[ink] = arr.max()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.PixelData = arr.tobytes()
    ds["PixelData"].is_undefined_length = False
    return ink, boxes


def grey(arr: np.ndarray) -> np.ndarray:
    return ((arr - arr.min()) * (255.0 / max(1, int(arr.max()) - int(arr.min())))).astype(np.uint8)


@pytest.mark.parametrize("name, size", [("explicit_VR-UN.dcm", 16), ("MR-SIEMENS-DICOM-WithOverlays.dcm", 14)])
def test_burned_in_text_on_ct_and_mr_is_removed_and_anatomy_kept(name, size, tmp_path):
    """Issue 12 item 8: a name, an ID, a date and an institution burned into a real CT / MR slice are removed
    (nothing of them reads back), and not one pixel outside the text changes (was 4.7% of the CT, 0.9% of the MR)."""
    ds = pydicom.dcmread(pydicom_file(name))
    ds.PatientName, ds.PatientID, ds.StudyDate = "KOWALSKI^MAREK", "PX4471902", "20190314"
    ds.InstitutionName = "ST JUDE GENERAL"
    w, h = int(ds.Columns), int(ds.Rows)
    lines = [(4, 4, "KOWALSKI, MAREK"), (4, 4 + int(size * 1.4), "ID PX4471902"),
             (w - int(11 * size / 1.6) - 4, 4, "14-MAR-2019"), (4, h - int(size * 1.6), "ST JUDE GENERAL")]
    ink, boxes = burn_text(ds, lines, size)
    src = tmp_path / "burned.dcm"
    ds.save_as(src, enforce_file_format=True)
    before = pixel_array(ds, raw=True)
    result = deidentify_file(src, DeidConfig(key=KEY, pixels=PixelConfig()))
    after = pixel_array(reread(result.dataset), raw=True)
    changed = before != after
    text_zone = np.zeros_like(changed)
    for x0, y0, x1, y1 in boxes:
        text_zone[max(0, y0 - 4):y1 + 4, max(0, x0 - 4):x1 + 4] = True
    assert (changed & ink).sum() == ink.sum(), "every pixel of the burned-in text is overwritten"
    assert not (changed & ~text_zone).any(), f"{(changed & ~text_zone).mean():.2%} of the anatomy was overwritten"
    ocr = TesseractBackend()
    for (x0, y0, x1, y1), (_, _, text) in zip(boxes, lines, strict=False):
        crop = np.s_[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3]
        assert similarity(ocr.read_line(grey(before)[crop]).text, text) > 0.8, "the test must burn legible text"
        assert similarity(ocr.read_line(grey(after)[crop]).text, text) < 0.5, f"{text!r} still readable"
    assert result.dataset.BurnedInAnnotation == "NO" and result.pixels.verified


#: pydicom's CT, MR and CR slices (no burned-in text): the old engine overwrote up to 20.1% of explicit_VR-UN.dcm.
PLAIN_SLICES = ("explicit_VR-UN.dcm", "693_UNCI.dcm", "J2K_pixelrep_mismatch.dcm", "examples_overlay.dcm",
                "MR-SIEMENS-DICOM-WithOverlays.dcm", "RG3_UNCR.dcm")


@pytest.mark.parametrize("policy", ["strict", "balanced"])
def test_ct_mr_cr_slices_without_text_are_not_damaged(policy):
    """Issue 12 item 8: on pydicom's CT, MR and CR slices the default pixel stage changes no pixel (the ultrasound
    screen search overwrote 20.1% of a CT slice under strict, 13.0% under balanced, and blanked an MR's arm)."""
    for name in PLAIN_SLICES:
        path = pydicom_file(name)
        before = pixel_array(pydicom.dcmread(path), raw=True)
        result = deidentify_file(path, DeidConfig(key=KEY, pixels=PixelConfig(policy=policy)))
        after = pixel_array(reread(result.dataset), raw=True)
        assert np.array_equal(before, after), f"{name}: {(before != after).mean():.2%} of the pixels changed"
        assert result.pixels.mode == "text"


def test_all_modalities_option_gives_every_file_the_full_search():
    """Issue 12 item 8: PixelConfig(all_modalities=True) (--pixels-all-modalities) runs the ultrasound screen search
    on a CT too, and says so."""
    result = deidentify_file(pydicom_file("explicit_VR-UN.dcm"),
                             DeidConfig(key=KEY, pixels=PixelConfig(all_modalities=True)))
    assert result.pixels.mode == "full" and result.pixels.mode_reason == "all modalities asked"
    assert result.pixels.redacted, "the screen search takes anatomy edges for unreadable text"


def test_pixel_mode_is_chosen_per_file_and_audited(tmp_path):
    """Issue 12 item 8: each file's audit record names its pixel search: full for ultrasound and secondary
    capture, text for CT and MR, none for a Segmentation (its pixels are left exactly as they were)."""
    names = {"us": "OBXXXX1A.dcm", "ct": "CT_small.dcm", "mr": "MR_small.dcm", "seg": "liver_1frame.dcm",
             "sc": "SC_rgb.dcm"}
    modes = {}
    for label, name in names.items():
        run_deid(pydicom_file(name), tmp_path / label, tmp_path)
        records = [json.loads(line) for line in (tmp_path / label / "audit.jsonl").read_text().splitlines()]
        (record,) = [r for r in records if r.get("status") == "ok"]
        modes[label] = record.get("pixel_mode")
    assert modes == {"us": "full", "ct": "text", "mr": "text", "seg": "none", "sc": "full"}, modes
    (seg,) = outputs(tmp_path / "seg")
    assert pydicom.dcmread(seg).PixelData == pydicom.dcmread(pydicom_file("liver_1frame.dcm")).PixelData


# -- item 10: decoders and --recompress --------------------------------------------------------------------

#: Files of the collection whose pixel data is itself broken (truncated, garbled codestream, no Bits Allocated,
#: no transfer syntax): they must fail with a clear message, never decode wrongly.
DAMAGED = {"JPEG2000-embedded-sequence-delimiter.dcm", "MR_truncated.dcm", "badVR.dcm", "meta_missing_tsyntax.dcm",
           "nested_priv_SQ.dcm", "emri_small_jpeg_2k_lossless_too_short.dcm"}


def test_every_transfer_syntax_in_pydicoms_files_decodes():
    """Issue 12 item 10: every pixel-data file of pydicom's collection decodes through the engine in the default
    install -- JPEG Lossless, JPEG-LS (lossless and near-lossless), 12-bit JPEG Extended, JPEG 2000, RLE,
    native, deflated, big endian -- except files whose data is itself damaged, which fail with a clear
    message naming the transfer syntax (was: 14 files failed with 'cannot be decoded (RuntimeError)')."""
    from pydicom.data import get_testdata_files

    from phiphantom.deid.header_deid import DeidError

    decoded, failed = {}, {}
    for path in sorted(set(get_testdata_files())):
        try:
            ds = pydicom.dcmread(path)
        except Exception:  # noqa: BLE001 - not DICOM or unreadable: not a pixel-data case
            continue
        if "PixelData" not in ds:
            continue
        syntax = str(ds.file_meta.get("TransferSyntaxUID", ""))
        try:
            frames = load_frames(ds)
        except DeidError as exc:
            failed[Path(path).name] = str(exc)
            continue
        assert frames.stored.size
        decoded.setdefault(syntax, []).append(Path(path).name)
    unexpected = {name: message for name, message in failed.items() if name not in DAMAGED}
    assert not unexpected, unexpected
    uid = pydicom.uid
    needed = {uid.JPEGLosslessSV1, uid.JPEGLSLossless, uid.JPEGLSNearLossless, uid.JPEGExtended12Bit,
              uid.JPEGBaseline8Bit, uid.JPEG2000, uid.JPEG2000Lossless, uid.RLELossless, uid.ExplicitVRLittleEndian,
              uid.ImplicitVRLittleEndian, uid.ExplicitVRBigEndian, uid.DeflatedExplicitVRLittleEndian}
    assert needed <= set(decoded), needed - set(decoded)
    assert "JPGExtended.dcm" in decoded[uid.JPEGExtended12Bit]  # 12-bit samples, beyond Pillow and GDCM's wheel
    for message in failed.values():
        assert "pixel data cannot be decoded" not in message or "data" in message.split(":", 1)[-1], message


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory) -> Path:
    """Generated ultrasound screens (grey and RGB, lossless and JPEG, with burned-in PHI) plus pydicom's CT, MR
    (JPEG-LS) and JPEG Lossless files."""
    root = tmp_path_factory.mktemp("i12-mixed")
    generate(small_config(root / "gen", patients=2, files_per_study=(2, 2), cine_fraction=0.0, jpeg_fraction=0.5,
                          rgb_fraction=0.5, seed=12))
    src = root / "in"
    src.mkdir()
    for path in sorted((root / "gen" / "dicom").rglob("*.dcm")):
        shutil.copy(path, src / f"us_{len(list(src.iterdir())):02d}.dcm")
    for name in ("CT_small.dcm", "MR_small_jpeg_ls_lossless.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm"):
        shutil.copy(pydicom_file(name), src / name)
    return src


@pytest.fixture(scope="module")
def native_run(mixed_inputs, tmp_path_factory) -> dict[str, Path]:
    """The same inputs de-identified without --recompress: SOP Instance UID (a pseudonym) -> output path."""
    tmp = tmp_path_factory.mktemp("i12-native")
    run_deid(mixed_inputs, tmp / "out", tmp)
    return {str(pydicom.dcmread(p).SOPInstanceUID): p for p in outputs(tmp / "out")}


@pytest.mark.parametrize("codec, syntax", [("jpeg-ls", pydicom.uid.JPEGLSLossless),
                                           ("jpeg2000", pydicom.uid.JPEG2000Lossless),
                                           ("rle", pydicom.uid.RLELossless)])
def test_recompress_is_lossless_valid_and_keeps_the_lossy_history(codec, syntax, mixed_inputs, native_run, tmp_path):
    """Issue 12 item 10: --recompress writes every native output in a lossless compressed syntax that decodes to
    exactly the native output's pixels, adds no lossy flag, keeps a lossy input's LossyImageCompression 01 with
    its history, and makes no new dciodvfy errors; JPEG-LS and JPEG Lossless inputs de-identify (the run exits 0)."""
    run_deid(mixed_inputs, tmp_path / "out", tmp_path, "--recompress", codec)
    written = outputs(tmp_path / "out")
    assert len(written) == len(native_run) == len(list(mixed_inputs.iterdir()))
    recompressed = lossy = 0
    for path in written:
        out = pydicom.dcmread(path)
        native_path = native_run[str(out.SOPInstanceUID)]
        native = pydicom.dcmread(native_path)
        assert np.array_equal(pixel_array(out, raw=True), pixel_array(native, raw=True)), path.name
        if native.file_meta.TransferSyntaxUID.is_compressed:  # pixels left as they came: their own encoding
            assert out.file_meta.TransferSyntaxUID == native.file_meta.TransferSyntaxUID
        else:
            assert out.file_meta.TransferSyntaxUID == syntax, path.name
            recompressed += 1
        assert str(out.get("LossyImageCompression", "00")) == str(native.get("LossyImageCompression", "00"))
        if str(native.get("LossyImageCompression", "")) == "01":
            lossy += 1
            assert "ISO_10918_1" in str(out.LossyImageCompressionMethod)
            assert out.LossyImageCompressionRatio == native.LossyImageCompressionRatio
        no_new_iod_errors(native_path, path)
    assert recompressed >= len(written) - 1 and lossy >= 1  # only the untouched JPEG-LS MR keeps its encoding


def test_a_lossy_input_gets_its_lossy_history_when_it_lacks_it(tmp_path):
    """Issue 12 item 10: a JPEG Baseline input without LossyImageCompression, decoded and rewritten, is marked
    LossyImageCompression 01 with method ISO_10918_1 and its ratio (it was written native with no lossy flag)."""
    root = tmp_path / "gen"
    generate(small_config(root, patients=1, files_per_study=(2, 2), cine_fraction=0.0, jpeg_fraction=1.0, seed=4))
    path = next(p for p in sorted((root / "dicom").rglob("*.dcm"))
                if pydicom.dcmread(p).file_meta.TransferSyntaxUID == pydicom.uid.JPEGBaseline8Bit)
    ds = pydicom.dcmread(path)
    for keyword in ("LossyImageCompression", "LossyImageCompressionRatio", "LossyImageCompressionMethod"):
        if keyword in ds:
            del ds[keyword]
    src = tmp_path / "jpeg.dcm"
    ds.save_as(src, enforce_file_format=True)
    result = deidentify_file(src, DeidConfig(key=KEY, pixels=PixelConfig()))
    assert result.pixels.redacted, "the generated screen has PHI to redact (so its pixels are rewritten)"
    out = reread(result.dataset)
    assert out.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert out.LossyImageCompression == "01" and out.LossyImageCompressionMethod == "ISO_10918_1"
    assert float(out.LossyImageCompressionRatio) > 1.0


def test_benchmark_reports_image_damage_per_modality(tmp_path):
    """Issue 12 item 8: the benchmark's results.json gives image damage per modality (strata.image_damage.modality),
    damaged over image pixels of that modality's files."""
    data = tmp_path / "data"
    generate(small_config(data, patients=1, files_per_study=(2, 2), cine_fraction=0.0, jpeg_fraction=0.0, seed=3))
    result = CliRunner().invoke(app, ["bench", "--data", str(data), "--engine", "null", "--engine", "oracle",
                                      "--out", str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    blocks = results["engines"]
    blocks = blocks.values() if isinstance(blocks, dict) else blocks
    for block in blocks:
        cells = block["strata"]["image_damage"]["modality"]
        assert set(cells) == {"US"} and cells["US"]["n"] == 2
        assert cells["US"]["value"] == pytest.approx(block["metrics"]["image_damage"])
