"""``dicom:PATH`` — frames from a DICOM file or a folder of DICOM files.

Files are recognised by content (128-byte preamble + ``DICM``), not by
extension; anything else is ignored. DICOM files without usable pixel data
(no Pixel Data element, no decoder for the transfer syntax, unreadable) are
skipped when the catalog is built and counted in ``DicomSource.skipped``.

Pixels are converted to 8-bit display values: YBR_FULL / YBR_FULL_422 become
RGB (pydicom 3 already does this when decoding with ``raw=False``, for native
and JPEG-encoded data alike, so no second ``convert_color_space`` is applied),
PALETTE COLOR goes through its lookup table, MONOCHROME1 is inverted, and data
of more than 8 bits is windowed (the file's first VOI window if any, else the
min-max of the frames) after the modality rescale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.multival import MultiValue
from pydicom.pixels import apply_color_lut, apply_modality_lut, get_decoder, iter_pixels

from .base import Colour, SourceError, SourceFrames, SourceRef
from .fit import choose_frames, fit_to_area, guess_probe, is_hidden, relative_posix

log = logging.getLogger(__name__)

DICM_OFFSET = 128
DICM_MAGIC = b"DICM"
HEADER_DEFER_SIZE = "64 KB"   # large elements (pixel data) are not read while cataloguing


@dataclass(frozen=True)
class DicomItem:
    """One usable DICOM file."""

    relpath: str
    frame_count: int
    frame_time_ms: float = 0.0


def is_dicom_file(path: Path) -> bool:
    """True if the file starts with a DICOM Part 10 preamble and the ``DICM`` prefix."""
    try:
        with path.open("rb") as fh:
            head = fh.read(DICM_OFFSET + len(DICM_MAGIC))
    except OSError:
        return False
    return head[DICM_OFFSET:] == DICM_MAGIC


class DicomSource:
    """Frames from DICOM files (single- or multi-frame)."""

    def __init__(self, path: str) -> None:
        self.spec = f"dicom:{path}"
        target = Path(path).expanduser()
        if target.is_file():
            self.root, candidates = target.parent, [target.name]
        elif target.is_dir():
            self.root, candidates = target, _files_under(target)
        else:
            raise SourceError(f"dicom source: {path!r} does not exist")
        dicom_paths = [rel for rel in candidates if is_dicom_file(self.root / rel)]
        self.ignored_non_dicom = len(candidates) - len(dicom_paths)
        self.skipped: dict[str, str] = {}   # relpath -> reason
        self.items = [item for rel in dicom_paths if (item := self._catalog_item(rel)) is not None]
        if self.skipped:
            log.warning("%s: skipped %d DICOM file(s) without usable pixel data", self.spec, len(self.skipped))
        if not self.items:
            raise SourceError(
                f"dicom source: no usable DICOM files under {path!r} "
                f"({len(dicom_paths)} DICOM, {len(self.skipped)} skipped, {self.ignored_non_dicom} non-DICOM)"
            )

    # ------------------------------------------------------------------ catalog

    def _catalog_item(self, rel: str) -> DicomItem | None:
        """Read one header; return its item, or record why it is skipped and return None."""
        try:
            ds = pydicom.dcmread(self.root / rel, defer_size=HEADER_DEFER_SIZE)
            reason = _unusable_reason(ds)
            if not reason:
                return DicomItem(rel, frame_count=_frame_count(ds), frame_time_ms=_frame_time_ms(ds))
        except Exception as exc:  # noqa: BLE001 - whatever pydicom cannot parse is skipped, not fatal
            reason = f"unreadable ({type(exc).__name__})"
        self.skipped[rel] = reason
        return None

    # ------------------------------------------------------------------ plan / render

    def plan(self, rng: np.random.Generator, cine: bool, n_frames: int) -> SourceRef:
        """Pick a file and frames; a cine comes from a multi-frame file whenever there is one."""
        if n_frames < 1:
            raise ValueError("n_frames must be at least 1")
        multi = [item for item in self.items if item.frame_count > 1]
        pool = multi if cine and multi else self.items
        item = pool[int(rng.integers(len(pool)))]
        return SourceRef(
            source_id=f"dicom:{item.relpath}",
            relpath=item.relpath,
            frame_indices=choose_frames(rng, item.frame_count, cine, n_frames),
            params=(("frame_time_ms", item.frame_time_ms),),
        )

    def render(self, ref: SourceRef, width: int, height: int, colour: Colour) -> SourceFrames:
        """Decode ``ref.frame_indices`` as 8-bit display frames and fit them to the image area."""
        raw = read_dicom_frames(self.root / ref.relpath, ref.frame_indices, label=ref.relpath)
        frames, mask = fit_to_area(raw, width, height, colour)
        frame_time = float(ref.param("frame_time_ms", 0.0) or 0.0)
        return SourceFrames(
            frames=frames,
            image_mask=mask,
            probe=guess_probe(mask),
            frame_time_ms=frame_time if frame_time > 0 else 33.3,
            notes={"source_id": ref.source_id, "source_size": tuple(raw.shape[1:3])},
        )


# ---------------------------------------------------------------------- reading pixels


def read_dicom_frames(path: Path, indices: tuple[int, ...], label: str) -> np.ndarray:
    """Frames ``indices`` of a DICOM file as uint8 ``(T, h, w)`` grey or ``(T, h, w, 3)`` RGB."""
    wanted = sorted(set(indices))
    meta = pydicom.Dataset()
    try:
        decoded = dict(zip(wanted, iter_pixels(path, ds_out=meta, indices=wanted), strict=False))
    except Exception as exc:  # pydicom raises many types for bad/undecodable data
        raise SourceError(f"cannot decode pixel data of {label}: {type(exc).__name__}") from None
    missing = [i for i in wanted if i not in decoded]
    if missing:
        raise SourceError(f"{label} has no frame {missing[0]}")
    stack = np.stack([decoded[i] for i in indices])
    return to_display_uint8(stack, meta)


def to_display_uint8(frames: np.ndarray, ds: pydicom.Dataset) -> np.ndarray:
    """Turn decoded frames (``(T, h, w[, 3])``) into 8-bit display values, see module docstring."""
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric == "PALETTE COLOR":
        return _scale_to_uint8(apply_color_lut(frames, ds), _lut_max(ds))
    if frames.ndim == 4:
        bits = int(ds.get("BitsStored", 8) or 8)
        return frames if frames.dtype == np.uint8 else _scale_to_uint8(frames, float(2**bits - 1))
    grey = _window_grey(frames, ds)
    return 255 - grey if photometric == "MONOCHROME1" else grey


def _window_grey(frames: np.ndarray, ds: pydicom.Dataset) -> np.ndarray:
    """Grey frames to uint8: 8-bit data unchanged, deeper data rescaled then windowed."""
    if frames.dtype == np.uint8 and int(ds.get("BitsStored", 8) or 8) <= 8:
        return frames
    values = apply_modality_lut(frames, ds).astype(np.float64)
    low, high = _first_window(ds) or (float(values.min()), float(values.max()))
    if high <= low:
        return np.zeros(values.shape, np.uint8)
    return np.clip((values - low) * (255.0 / (high - low)), 0, 255).round().astype(np.uint8)


def _first_window(ds: pydicom.Dataset) -> tuple[float, float] | None:
    """``(low, high)`` of the first VOI window (Window Center/Width), if the file has one."""
    centre, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if centre is None or width is None:
        return None
    centre = float(centre[0] if isinstance(centre, MultiValue) else centre)
    width = float(width[0] if isinstance(width, MultiValue) else width)
    if width <= 0:
        return None
    return centre - width / 2.0, centre + width / 2.0


def _lut_max(ds: pydicom.Dataset) -> float:
    """Largest value a palette LUT entry can hold (from the LUT descriptor's bit depth)."""
    descriptor = ds.get("RedPaletteColorLookupTableDescriptor")
    bits = int(descriptor[2]) if descriptor is not None and len(descriptor) > 2 else 8
    return float(2 ** (16 if bits > 8 else 8) - 1)


def _scale_to_uint8(values: np.ndarray, top: float) -> np.ndarray:
    """Scale ``0..top`` to ``0..255`` uint8 (uint8 input returned as is)."""
    if values.dtype == np.uint8:
        return values
    return np.clip(values.astype(np.float64) * (255.0 / max(top, 1.0)), 0, 255).round().astype(np.uint8)


# ---------------------------------------------------------------------- header helpers


def _files_under(root: Path) -> list[str]:
    """Sorted relative POSIX paths of the non-hidden files under ``root``."""
    return sorted(
        rel for path in root.rglob("*") if path.is_file() and not is_hidden(rel := relative_posix(path, root))
    )


def _unusable_reason(ds: pydicom.Dataset) -> str:
    """Why a dataset's pixels cannot be used ("" when they can)."""
    if "PixelData" not in ds:
        return "no Pixel Data element"
    if not int(ds.get("Rows", 0) or 0) or not int(ds.get("Columns", 0) or 0):
        return "no image size (Rows/Columns)"
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is None:
        return "no Transfer Syntax UID"
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        return f"transfer syntax {syntax} is not supported"
    if not decoder.is_available:
        return f"no installed decoder for transfer syntax {syntax}"
    return ""


def _frame_count(ds: pydicom.Dataset) -> int:
    """Number of Frames (1 when absent or invalid)."""
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def _frame_time_ms(ds: pydicom.Dataset) -> float:
    """Nominal time between frames from Frame Time, Cine Rate or Recommended Display Frame Rate."""
    for keyword, to_ms in (("FrameTime", float), ("CineRate", lambda r: 1000.0 / r),
                           ("RecommendedDisplayFrameRate", lambda r: 1000.0 / r)):
        value = ds.get(keyword)
        try:
            if value is not None and float(value) > 0:
                return round(to_ms(float(value)), 3)
        except (TypeError, ValueError):
            continue
    return 0.0
