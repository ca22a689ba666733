"""One file through the bundled engine: read, de-identify the header (and, later, the pixels), attest.

The batch runner (:mod:`phiphantom.deid.batch`) and the benchmark adapter
(:mod:`phiphantom.benchmark.engines.bundled`) both call :func:`deidentify_file`; only they
write files. The work itself is :meth:`phiphantom.deid.api.Deidentifier.run` (the one-call API).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from .structure import check_structure, reject_dicomdir
from .header_deid import DeidError, DeidOptions, HeaderResult
from .pixels.config import PixelConfig
from .pseudonyms import Pseudonymizer

LAYOUTS = ("keep", "pseudonymized")
RECOMPRESS_NAMES = ("jpeg-ls", "jpeg2000", "rle")  # pixels.recompress.RECOMPRESS (kept light: no pixel stack here)


@dataclass(frozen=True)
class DeidConfig:
    """Everything a worker needs; the key never appears in repr()."""

    key: bytes = field(repr=False)
    options: DeidOptions = DeidOptions()
    layout: str = "keep"
    key_source: str = ""
    pixels: PixelConfig | None = None   # None: header only (BurnedInAnnotation left as it was)
    recompress: str | None = None       # jpeg-ls | jpeg2000 | rle: native pixel data written losslessly compressed

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
        if self.recompress is not None and self.recompress not in RECOMPRESS_NAMES:
            raise ValueError(f"recompress must be one of {', '.join(RECOMPRESS_NAMES)}")

    @property
    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(self.key, self.options.date_shift_range)


@dataclass
class FileDeid:
    dataset: Dataset
    header: HeaderResult
    pixels: object | None = None  # a pixels.clean.PixelResult when pixel cleaning ran (mode "none": no boxes)
    recompress_note: str = ""     # why --recompress left this output's pixel data as it was ("" when done or not asked)

    def pixel_record(self) -> dict:
        """What the audit says about this output's pixels: search mode and reason, transfer syntax."""
        record = {"transfer_syntax": str(self.dataset.file_meta.TransferSyntaxUID)}
        if self.pixels is not None:
            record.update(pixel_mode=self.pixels.mode, pixel_mode_reason=self.pixels.mode_reason)
        if self.recompress_note:
            record["recompress_note"] = self.recompress_note
        return record

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


def deidentify_file(src: Path | bytes | Dataset, config: DeidConfig, version: str = "") -> FileDeid:
    """De-identify ``src`` (a path, the file's bytes, or a :class:`Dataset`, changed in place) in memory;
    the caller writes ``FileDeid.dataset``. The work is :meth:`phiphantom.deid.api.Deidentifier.run`."""
    from .api import Deidentifier  # the API builds on this module's config and reader

    return Deidentifier.from_config(config, version, load_tools=False).run(src)
