"""Pixel data in, pixel data out, keeping Photometric Interpretation, colour and bit depth.

Frames are edited in their *stored* values (``raw=True``: no colour conversion,
no windowing), so what is not redacted is written back unchanged:

* native (uncompressed) input: values edited in place, same transfer syntax;
* compressed input (JPEG Baseline, RLE, JPEG-LS, JPEG 2000, ...): decoded and
  written back uncompressed in Explicit VR Little Endian (no second lossy
  generation). YBR_FULL_422 from JPEG is repacked as native YBR_FULL_422 (chroma
  of each pixel pair averaged), so the Photometric Interpretation stays; a lossy
  input keeps LossyImageCompression = 01 and its ratio/method history (added
  when the file did not carry it: :func:`.recompress.note_lossy_history`);
* 1-bit data (segmentations, 1-bit secondary captures) is packed 8 pixels a byte;
  every written Pixel Data is checked to be exactly as long as Rows x Columns x
  frames x samples x Bits Allocated (:func:`check_native_length`);
* pixel data with nothing redacted is not rewritten at all (``clean.clean_pixels``).

A grey *view* (8-bit, brightest channel for colour) is what text detection sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, pack_bits, pixel_array
from pydicom.uid import UID, ExplicitVRLittleEndian

from phiphantom.core.colour import LUMA_WEIGHTS

from ..header_deid import DeidError
from .jpeg12 import register as _register_jpeg12
from .recompress import note_lossy_history
from .text_find import channel_max, frame_chunks

_register_jpeg12()  # 12-bit JPEG Extended decodes too (the one syntax the pydicom plugins installed miss)

SUPPORTED = {"MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422", "PALETTE COLOR", "YBR_ICT", "YBR_RCT"}
#: JPEG 2000 colour transforms live inside the codestream: decoded data is RGB, and RGB is what is written.
DECODED_AS_RGB = {"YBR_ICT", "YBR_RCT"}


@dataclass
class Frames:
    """Stored pixel values (T, H, W) or (T, H, W, 3), and what is needed to write them back."""

    stored: np.ndarray
    photometric: str
    compressed: bool
    fill: np.ndarray | int        # the value that displays as black
    view: np.ndarray              # (T, H, W) uint8 grey view for detection (bright = ink)
    source_syntax: str = ""       # the input's transfer syntax UID
    encoded_bytes: int = 0        # bytes of encapsulated Pixel Data (compressed input), for the lossy ratio

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.stored.shape[:3]


def _ybr_offsets() -> np.ndarray:
    """floor(max(R, G, B) - Y) for every (Cb, Cr): the brightest RGB channel is Y plus this (PS3.3 C.7.6.3.1.2)."""
    cb, cr = np.meshgrid(np.arange(256, dtype=np.float64) - 128.0, np.arange(256, dtype=np.float64) - 128.0,
                         indexing="ij")
    offset = np.maximum(np.maximum(1.402 * cr, -0.344136 * cb - 0.714136 * cr), 1.772 * cb)
    return np.floor(offset).astype(np.int16).reshape(-1)


_YBR_OFFSETS = _ybr_offsets()


def ybr_to_view(ybr: np.ndarray) -> np.ndarray:
    """Brightest RGB channel of YCbCr data, for detection (coloured text stays bright).

    A table look-up on (Cb, Cr) added to Y, a few frames at a time: the same values as converting
    to RGB in floating point, without six full-size float temporaries per clip."""
    out = np.empty(ybr.shape[:-1], dtype=np.uint8)
    for part in frame_chunks(ybr.shape):
        chunk = ybr[part]
        index = chunk[..., 1].astype(np.uint16) << 8
        index |= chunk[..., 2]
        value = _YBR_OFFSETS[index]
        value += chunk[..., 0]
        np.clip(value, 0, 255, out=value)
        out[part] = value
    return out


#: pydicom's YBR_FULL -> RGB matrix (``pydicom.pixels.processing``, PS3.3 C.7.6.3.1.2), float32 as it has it
_YBR_TO_RGB = np.asarray([[1.000, 1.000, 1.000],
                          [0.000, -0.114 * 1.772 / 0.587, 1.772],
                          [1.402, -0.299 * 1.402 / 0.587, 0.000]], dtype=np.float32)


_YBR_CENTRES = np.asarray([0, 128, 128], dtype=np.float32)  # Y, Cb, Cr centred (the chroma samples' zero is 128)


def ybr_full_to_rgb(ybr: np.ndarray) -> np.ndarray:
    """8-bit YBR_FULL samples (..., 3) as RGB: ``convert_color_space(ybr, "YBR_FULL", "RGB")``'s arithmetic step
    for step (float32, the same matrix, round half up, clip), a few frames at a time, so the float temporaries
    stay small (a 20-frame 640x480 clip: 86 -> 64 ms), the offsets taken off in the conversion to float and the
    product written to its own buffer (a product written over its input is buffered by numpy: 56 -> 49 ms);
    the same bytes (tests/test_pixel_components.py)."""
    out = np.empty_like(ybr)
    frames, result = (ybr, out) if ybr.ndim == 4 else (ybr[None], out[None])
    product: np.ndarray | None = None
    for part in frame_chunks(frames.shape):
        chunk = np.subtract(frames[part], _YBR_CENTRES, dtype=np.float32)  # exact: whole numbers
        if product is None or product.shape != chunk.shape:
            product = np.empty_like(chunk)
        np.matmul(chunk, _YBR_TO_RGB, out=product)
        product += 0.5
        np.floor(product, out=product)
        np.clip(product, 0, 255, out=product)
        result[part] = product
    return out


def _to_8bit(arr: np.ndarray, ds: Dataset) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        return np.zeros(arr.shape, dtype=np.uint8)
    return ((arr.astype(np.float32) - lo) * (255.0 / (hi - lo))).astype(np.uint8)


def decode(ds: Dataset) -> np.ndarray:
    """Stored values of every frame (``raw``: no colour conversion), GDCM tried last.

    The plugins decode the same values (checked on pydicom's JPEG and JPEG 2000 files and generated
    JPEGs), but GDCM is a C++ library whose exceptions can abort the process on damaged data, so it is
    used only where no other installed plugin decodes the syntax (JPEG Lossless) or all others failed, and
    only after a forked child survived decoding the same data with it (:func:`_survives_gdcm`)."""
    syntax = ds.file_meta.get("TransferSyntaxUID")
    if syntax is None or not syntax.is_compressed:
        return pixel_array(ds, raw=True)
    from pydicom.pixels import get_decoder

    plugins = list(get_decoder(syntax).available_plugins)
    plugins.sort(key=lambda name: name == "gdcm")  # stable: pydicom's order otherwise
    failure: Exception | None = None
    for plugin in plugins:
        try:
            if plugin == "gdcm" and not _survives_gdcm(ds):
                raise RuntimeError("GDCM aborted on this pixel data")
            return pixel_array(ds, raw=True, decoding_plugin=plugin)
        except Exception as exc:  # noqa: BLE001 - the next plugin may read it
            failure = exc
    raise failure if failure is not None else RuntimeError("no decoder")


def _survives_gdcm(ds: Dataset) -> bool:
    """Decode with GDCM in a forked child first: on damaged data GDCM throws C++ exceptions that abort the
    process (found by ``phiphantom fuzz``: damaged JPEG Baseline, JPEG-LS with 321 columns, Bits Allocated 64).
    Only files that reach GDCM pay for the fork (JPEG Lossless, or data no other plugin decodes)."""
    import os

    if not hasattr(os, "fork"):
        return True
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports by its exit status only
        try:
            import faulthandler

            faulthandler.disable()  # the abort is expected here: no stack dump from the child
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 2)  # GDCM's "terminate called after throwing..." is not for the user's terminal
            pixel_array(ds, raw=True, decoding_plugin="gdcm")
        except BaseException:  # noqa: BLE001 - a Python error is reported by the decode in the parent
            pass
        os._exit(0)
    _, status = os.waitpid(child, 0)
    return not os.WIFSIGNALED(status)


def _undecodable(ds: Dataset, exc: Exception) -> str:
    """Why pixel data did not decode, naming the transfer syntax (no values): no decoder, or damaged data."""
    syntax = ds.file_meta.get("TransferSyntaxUID")
    name = getattr(syntax, "name", "") or "unknown transfer syntax"
    try:
        from pydicom.pixels import get_decoder

        decoder = get_decoder(syntax)
        available = decoder.is_available
    except Exception:  # noqa: BLE001 - pydicom knows no decoder for this syntax (video, private)
        return f"pixel data cannot be decoded: no decoder for {name} ({type(exc).__name__})"
    if not available:
        return (f"pixel data cannot be decoded: no installed decoder for {name}; reinstall phiphantom with its "
                f"codec dependencies (docs/deid.md, transfer syntaxes)")
    return f"pixel data cannot be decoded: damaged or inconsistent {name} data ({type(exc).__name__})"


def _layout(ds: Dataset, photometric: str, compressed: bool) -> tuple[int, int, int, int]:
    """(frames, samples, rows, columns) from the header, refused when they disagree with each other or, for
    native data, with the length of the pixel data: short, or a frame or more too long (pydicom would guess
    the frame count from the length, or decode the first frames and pass the rest, never searched, to the
    output). Trailing padding of less than a frame is dropped from the output. Found by ``phiphantom fuzz``."""
    try:
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples, rows, columns = int(ds.get("SamplesPerPixel", 1)), int(ds.Rows), int(ds.Columns)
        bits = int(ds.BitsAllocated)
    except (AttributeError, TypeError, ValueError):
        raise DeidError("Rows, Columns, Bits Allocated, Samples per Pixel or Number of Frames missing or not a "
                        "number") from None
    if min(frames, samples, rows, columns, bits) < 1 or samples != (3 if photometric in _THREE_SAMPLES else 1):
        raise DeidError(f"{samples} samples per pixel, {rows}x{columns}, {frames} frame(s) do not make a "
                        f"{photometric} image")
    if not compressed:
        per_pixel = 2 if photometric == "YBR_FULL_422" else samples  # 4:2:2: Y Y Cb Cr for two pixels
        frame_bytes = (rows * columns * per_pixel * bits + 7) // 8
        expected, actual = (frames * rows * columns * per_pixel * bits + 7) // 8, len(ds.PixelData or b"")
        if actual < expected or actual >= expected + max(frame_bytes, 2):
            raise DeidError("native pixel data length does not match Rows, Columns, Samples per Pixel, Bits "
                            "Allocated and Number of Frames")
        if actual > expected + expected % 2:  # trailing padding, less than a frame: not image, dropped
            ds.PixelData = bytes(ds.PixelData[:expected])
    return frames, samples, rows, columns


_THREE_SAMPLES = frozenset({"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "YBR_PARTIAL_420"})


def load_frames(ds: Dataset) -> Frames:
    """Decode ``ds``'s pixel data to stored values plus a grey detection view."""
    if "PixelData" not in ds:
        raise DeidError("no pixel data")
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if photometric not in SUPPORTED:
        raise DeidError(f"unsupported Photometric Interpretation {photometric or '(none)'}")
    compressed = ds.file_meta.TransferSyntaxUID.is_compressed
    frames, samples, rows, columns = _layout(ds, photometric, compressed)
    try:
        arr = decode(ds)
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a clear per-file error
        raise DeidError(_undecodable(ds, exc)) from None
    if frames == 1 and arr.ndim == (2 if samples == 1 else 3):
        arr = arr[None]
    if arr.shape != (frames, rows, columns) + ((samples,) if samples > 1 else ()) or (
            photometric in ("YBR_FULL", "YBR_FULL_422") and arr.dtype != np.uint8):
        raise DeidError("decoded pixel data does not match Rows, Columns, Samples per Pixel, Bits Allocated and "
                        "Number of Frames")
    arr = np.ascontiguousarray(arr)
    if photometric in DECODED_AS_RGB:
        photometric = "RGB"
    if samples == 3:
        if photometric in ("YBR_FULL", "YBR_FULL_422"):
            view = ybr_to_view(arr)
            fill: np.ndarray | int = np.array([0, 128, 128], dtype=arr.dtype)
        else:
            view = _to_8bit(channel_max(arr), ds)
            fill = np.zeros(3, dtype=arr.dtype)
    elif photometric == "PALETTE COLOR":
        try:
            rgb = apply_color_lut(arr, ds)
        except (ValueError, KeyError, AttributeError, IndexError):  # no usable palette (found by the fuzzer)
            raise DeidError("PALETTE COLOR without a usable Palette Color Lookup Table") from None
        view = _to_8bit(channel_max(rgb), ds)
        luminance = rgb.reshape(-1, 3).astype(np.float64) @ np.array(LUMA_WEIGHTS)
        fill = int(arr.reshape(-1)[int(np.argmin(luminance))])
    else:
        grey = _to_8bit(arr, ds)
        if photometric == "MONOCHROME1":
            view = 255 - grey
            fill = int(2 ** int(ds.BitsStored) - 1) if int(ds.get("PixelRepresentation", 0)) == 0 else int(arr.max())
        else:
            view = grey
            fill = int(arr.min()) if int(ds.get("PixelRepresentation", 0)) else 0
    return Frames(arr, photometric, compressed, fill, view, str(ds.file_meta.TransferSyntaxUID),
                  len(ds.PixelData) if compressed else 0)


def _pack_ybr_422(arr: np.ndarray) -> bytes:
    """(T, H, W, 3) YCbCr -> native YBR_FULL_422 bytes: Y0 Y1 Cb Cr per horizontal pixel pair."""
    t, h, w, _ = arr.shape
    if w % 2:
        raise DeidError("YBR_FULL_422 needs an even number of columns")
    pairs = arr.reshape(t, h, w // 2, 2, 3).astype(np.uint16)
    out = np.empty((t, h, w // 2, 4), dtype=np.uint8)
    out[..., 0] = pairs[..., 0, 0]
    out[..., 1] = pairs[..., 1, 0]
    out[..., 2] = (pairs[..., 0, 1] + pairs[..., 1, 1] + 1) // 2
    out[..., 3] = (pairs[..., 0, 2] + pairs[..., 1, 2] + 1) // 2
    return out.tobytes()


def store_frames(ds: Dataset, frames: Frames) -> None:
    """Write edited stored values back into ``ds`` (uncompressed when the input was compressed)."""
    arr = frames.stored
    single = arr.shape[0] == 1 and int(ds.get("NumberOfFrames", 1) or 1) == 1
    if frames.compressed:
        note_lossy_history(ds, UID(frames.source_syntax), frames.encoded_bytes, arr.nbytes)
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        if arr.ndim == 4:
            ds.PlanarConfiguration = 0  # decoded samples are interleaved
        if str(ds.PhotometricInterpretation) in DECODED_AS_RGB:
            ds.PhotometricInterpretation = "RGB"
        elif frames.photometric == "YBR_FULL_422" and arr.ndim == 4:
            # A lossy JPEG's YCbCr, decoded with full-resolution chroma. Written natively it must be
            # RGB: uncompressed YBR_FULL_422 is not allowed (PS3.5), and the US Image IOD allows
            # no YBR_FULL either (dciodvfy flags both). The same conversion every viewer applies.
            arr = ybr_full_to_rgb(arr)
            ds.PhotometricInterpretation = "RGB"
    if str(ds.PhotometricInterpretation) == "YBR_FULL_422" and arr.ndim == 4:  # a native 4:2:2 input stays 4:2:2
        ds.PixelData = _pack_ybr_422(arr)
    elif int(ds.BitsAllocated) == 1:  # 8 pixels a byte, frames back to back (PS3.5 8.1.1), not a byte a pixel
        ds.PixelData = pack_bits(np.ascontiguousarray(arr), pad=False)
    else:
        data = arr[0] if single else arr
        if arr.ndim == 4 and int(ds.get("PlanarConfiguration", 0)) == 1:
            data = np.moveaxis(data, -1, -3)  # back to colour-by-plane
        ds.PixelData = np.ascontiguousarray(data).tobytes()
    ds["PixelData"].VR = "OW" if int(ds.BitsAllocated) > 8 else "OB"
    ds["PixelData"].is_undefined_length = False
    if len(ds.PixelData) % 2:
        ds.PixelData += b"\x00"
    check_native_length(ds)


def expected_native_length(ds: Dataset) -> int:
    """Bytes of native Pixel Data that Rows, Columns, frames, samples and Bits Allocated call for
    (rounded up to whole bytes for 1-bit data, then to an even length: PS3.5 8.1.1, 7.1.1)."""
    bits = int(ds.Rows) * int(ds.Columns) * int(ds.get("NumberOfFrames", 1) or 1) \
        * int(ds.get("SamplesPerPixel", 1) or 1) * int(ds.BitsAllocated)
    if str(ds.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422":
        bits = bits * 2 // 3  # two luma samples and one Cb, Cr pair per two pixels
    length = (bits + 7) // 8
    return length + length % 2


def check_native_length(ds: Dataset) -> None:
    """Fail (:class:`DeidError`) unless the native Pixel Data holds exactly what the header describes.

    Run on every Pixel Data the engine writes: a wrong length (e.g. 1-bit data written a byte a
    pixel, 8x too long) makes a file that viewers decode as the wrong number of frames."""
    try:
        expected = expected_native_length(ds)
    except (AttributeError, TypeError, ValueError):
        raise DeidError("pixel data cannot be written: Rows, Columns or Bits Allocated missing or invalid") from None
    if len(ds.PixelData) != expected:
        raise DeidError(f"written pixel data has {len(ds.PixelData)} bytes where the header calls for {expected}")
