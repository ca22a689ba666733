"""One file through the bundled engine: read, de-identify the header (and, later, the pixels), attest.

The batch runner (:mod:`phiphantom.deid.batch`) and the benchmark adapter
(:mod:`phiphantom.deid.engine`) both call :func:`deidentify_file`; only they
write files.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from .structure import check_structure, prepare_for_writing, reject_dicomdir
from .header_deid import DeidError, DeidOptions, HeaderDeidentifier, HeaderResult, attestation
from .pixels.config import PixelConfig
from .pseudonyms import Pseudonymizer

LAYOUTS = ("keep", "pseudonymized")


@dataclass(frozen=True)
class DeidConfig:
    """Everything a worker needs; the key never appears in repr()."""

    key: bytes = field(repr=False)
    options: DeidOptions = DeidOptions()
    layout: str = "keep"
    key_source: str = ""
    pixels: PixelConfig | None = None   # None: header only (BurnedInAnnotation left as it was)

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")

    @property
    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(self.key, self.options.date_shift_range)


@dataclass
class FileDeid:
    dataset: Dataset
    header: HeaderResult
    pixels: object | None = None  # a pixels.clean.PixelResult when pixel cleaning ran

    def pseudonymized_relpath(self) -> str:
        """``<PatientID>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`` (all pseudonyms)."""
        ds = self.dataset
        parts = [str(ds.get(k, "") or "unknown") for k in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID")]
        return "/".join(parts + [f"{ds.get('SOPInstanceUID', 'unknown')}.dcm"])


def read_dicom(src: Path | bytes) -> Dataset:
    """Read a Part 10 file (a path, or its bytes already in memory) after checking its structure.

    Raises :class:`FileRejected` (DICOMDIR, truncated or malformed element stream) or
    :class:`DeidError` (not Part 10, unreadable, not a composite instance); messages hold no values.
    """
    in_memory = isinstance(src, (bytes, bytearray))
    try:
        check_structure(src if in_memory else Path(src))  # a path is mapped, not read: one copy of a big cine
    except (OSError, ValueError, struct.error) as exc:
        raise DeidError(f"unreadable DICOM ({type(exc).__name__})") from None
    try:
        # the structure check already walked every element
        ds = pydicom.dcmread(io.BytesIO(src) if in_memory else Path(src), force=False)
    except InvalidDicomError:
        raise DeidError("not a DICOM Part 10 file (no 'DICM' preamble)") from None
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on bad data; the class name is safe
        raise DeidError(f"unreadable DICOM ({type(exc).__name__})") from None
    reject_dicomdir(ds.file_meta)
    if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
        raise DeidError("no SOP Class/Instance UID: not a composite instance")
    return ds


def deidentify_file(src: Path | bytes, config: DeidConfig, version: str = "") -> FileDeid:
    """De-identify ``src`` (a path or the file's bytes) in memory; the caller writes ``FileDeid.dataset``."""
    if not version:
        from phiphantom.synth import __version__ as version  # noqa: N811 - one version for the project
    ds = read_dicom(src)
    values = None
    if config.pixels is not None:  # the pixel stack (OpenCV, OCR) is loaded only when pixels are cleaned
        from .pixels.classify import HeaderValues
        from .pixels.clean import clean_pixels

        values = HeaderValues.from_dataset(ds)  # before the header is cleaned
    header = HeaderDeidentifier(config.options, config.pseudonymizer, ds).run(ds)
    has_pixels = "PixelData" in ds  # nothing burned in to clean without pixel data (BurnedInAnnotation left alone)
    pixels = clean_pixels(ds, values, config.pixels) if config.pixels is not None and has_pixels else None
    attestation(ds, config.options, pixel_cleaned=bool(pixels and pixels.verified), result=header, version=version)
    header.actions.update({path: "X" for path in prepare_for_writing(ds)})
    return FileDeid(ds, header, pixels)
