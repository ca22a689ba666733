"""Which frames of a DICOM file an export writes, and each frame as PNG bytes.

``--frames first`` (the default: frame 0 of every file), ``all`` or ``every:N`` (frames 0, N, 2N...).
Frames are decoded through pydicom as ``pixel_array`` gives them (``frames[t, y, x]``: the stored
frame's coordinates, which the ground-truth boxes use); a YBR file decodes to RGB as pydicom converts
it. A PNG is 8-bit grey (``L``) for a grey file and 8-bit RGB for a colour one, losslessly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


class ExportError(ValueError):
    """An export that cannot be made: a bad option or an unusable dataset (the message names no PHI value)."""


@dataclass(frozen=True)
class FrameChoice:
    """Which frames of each file: ``mode`` is ``first``, ``all`` or ``every`` (then ``step`` N)."""

    mode: str = "first"
    step: int = 1

    @classmethod
    def parse(cls, text: str) -> FrameChoice:
        """``first``, ``all`` or ``every:N`` (N >= 1); anything else is an :class:`ExportError`."""
        value = text.strip().lower()
        if value in ("first", "all"):
            return cls(value)
        if value.startswith("every:"):
            number = value.split(":", 1)[1]
            if number.isdigit() and int(number) >= 1:
                return cls("every", int(number))
        raise ExportError(f"--frames must be first, all or every:N with N >= 1, not {text!r}")

    def frames(self, count: int) -> list[int]:
        """The frame indices chosen out of ``count`` frames, in order."""
        if count < 1:
            return []
        if self.mode == "first":
            return [0]
        return list(range(0, count, self.step if self.mode == "every" else 1))

    def __str__(self) -> str:
        return f"every:{self.step}" if self.mode == "every" else self.mode


def read_frames(path: Path) -> np.ndarray:
    """The file's frames as ``uint8`` ``(frames, rows, columns)`` or ``(frames, rows, columns, 3)``."""
    import pydicom

    try:
        ds = pydicom.dcmread(path)
        arr = np.asarray(ds.pixel_array)
        count = int(getattr(ds, "NumberOfFrames", 1) or 1)
        colour = int(getattr(ds, "SamplesPerPixel", 1)) == 3
    except Exception as exc:  # a damaged file: say which and what kind of error, never a value
        raise ExportError(f"cannot decode the pixels of {path.name}: {type(exc).__name__}") from None
    if arr.dtype != np.uint8:
        raise ExportError(f"{path.name} has {arr.dtype} pixels; exports write 8-bit PNG and need uint8 frames")
    if count == 1:
        arr = arr[np.newaxis]
    expected = 4 if colour else 3
    if arr.ndim != expected:
        raise ExportError(f"{path.name}: unexpected pixel array shape {arr.shape}")
    return arr


def png_bytes(frame: np.ndarray) -> bytes:
    """``frame`` (``(rows, columns)`` grey or ``(rows, columns, 3)`` RGB, ``uint8``) as a lossless PNG."""
    image = Image.fromarray(np.ascontiguousarray(frame), mode="L" if frame.ndim == 2 else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()
