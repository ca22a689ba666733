"""The self-test gallery: deliberately flawed engines, the scorer's own test doubles (issue 17 item 4).

Each gallery engine is the oracle (:class:`~phiphantom.benchmark.engines.oracle.OracleEngine`, perfect headers
and pixels from ``gt/``) with one flaw added on purpose. They subclass the oracle, so the registry's
``sees_ground_truth`` lets them read ``gt/`` like it: they are not engines being judged but known inputs for
the scorer, whose expected scores :mod:`.expected` derives from the metric definitions (docs/metrics.md).
They are never registered as engine specs: only ``phiphantom bench selftest`` builds them.

Pixel flaws start from the oracle's output with no box redacted (``skip_boxes`` = every PHI box, set in
:meth:`GalleryEngine.start`), then change the decoded frames; header flaws rewrite the oracle's output header.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from phiphantom.core.ground_truth import BoxRow, read_rows

from ..engines.base import EngineContext, FileResult
from ..engines.oracle import OracleEngine

_COLUMNS = ("output_dicom_relpath", "box_id", "is_phi", "bbox_x", "bbox_y", "bbox_w", "bbox_h", "frame_start",
            "frame_end")


@dataclass(frozen=True)
class PhiBox:
    """A PHI box of ``gt/boxes.csv``: ``[x, x + w) x [y, y + h)`` on frames ``[start, end)``."""

    box_id: str
    x: int
    y: int
    w: int
    h: int
    start: int
    end: int


def read_phi_boxes(root: Path) -> dict[str, list[PhiBox]]:
    """The PHI boxes of the dataset at ``root``, by dataset-relative path."""
    boxes: dict[str, list[PhiBox]] = {}
    for row in read_rows(root / "gt" / "boxes.csv", BoxRow, _COLUMNS):
        if row.phi:
            boxes.setdefault(row.output_dicom_relpath, []).append(
                PhiBox(row.box_id, *row.bbox, row.frames.start, row.frames.stop))
    return boxes


def _frames(ds: Dataset) -> np.ndarray:
    """Writable ``(frames, rows, columns[, samples])`` copy of a native file's pixels."""
    arr = np.array(ds.pixel_array, copy=True)
    return arr[np.newaxis] if int(ds.get("NumberOfFrames", 1) or 1) == 1 else arr


def _top(ds: Dataset) -> int:
    return (1 << int(ds.get("BitsStored", 8))) - 1


@dataclass(kw_only=True)
class GalleryEngine(OracleEngine):
    """The oracle plus one flaw; subclasses override :meth:`pixels` and/or :meth:`header`."""

    name: str = "oracle"
    flaw: str = "none: the oracle itself"
    redact: bool = True   # False: the oracle leaves every PHI box burned in; :meth:`pixels` decides
    boxes: dict[str, list[PhiBox]] = field(default_factory=dict, init=False, repr=False)
    order: list[str] = field(default_factory=list, init=False, repr=False)

    def describe(self) -> dict:
        return {**super().describe(), "flaw": self.flaw}

    def start(self, context: EngineContext) -> None:
        super().start(context)
        self.boxes = read_phi_boxes(Path(context.data_dir))
        self.order = sorted(self._truth.files)
        if not self.redact:
            self.skip_boxes = frozenset((rp, b.box_id) for rp, boxes in self.boxes.items() for b in boxes)

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        result = super().process_file(src, dst)
        out = result.output_path if result and result.output_path else Path(dst)
        relpath = Path(src).resolve().relative_to(Path(self.context.data_dir).resolve()).as_posix()
        ds = pydicom.dcmread(out)
        changed = False
        if type(self).pixels is not GalleryEngine.pixels:
            frames = _frames(ds)
            self.pixels(frames, relpath, _top(ds))
            data = frames.astype(frames.dtype, copy=False).tobytes()
            ds.PixelData = data + b"\x00" * (len(data) % 2)
            changed = True
        if type(self).header is not GalleryEngine.header:
            self.header(ds, pydicom.dcmread(src, stop_before_pixels=True), relpath)
            changed = True
        if changed:
            ds.save_as(out, enforce_file_format=True)
        self.finish(out)
        return result

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        """Change the decoded output frames in place (``top``: the largest stored value)."""

    def header(self, ds: Dataset, source: Dataset, relpath: str) -> None:
        """Change the output header (``source``: the input header)."""

    def finish(self, out: Path) -> None:
        """Last step on the written output file."""


@dataclass(kw_only=True)
class FlatFill(GalleryEngine):
    name: str = "flat-fill"
    flaw: str = "none: PHI boxes filled with mid-grey (128) instead of the oracle's 0"
    redact: bool = False

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        for b in self.boxes.get(relpath, []):
            frames[b.start:b.end, b.y:b.y + b.h, b.x:b.x + b.w] = (top + 1) // 2


@dataclass(kw_only=True)
class Noise(GalleryEngine):
    name: str = "noise"
    flaw: str = "uniform noise of +-3 grey levels on every pixel; text stays readable"
    redact: bool = False

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        seed = int(hashlib.sha256(relpath.encode()).hexdigest()[:8], 16)
        noise = np.random.default_rng(seed).integers(-3, 4, size=frames.shape)
        frames[...] = np.clip(frames.astype(np.int64) + noise, 0, top)


@dataclass(kw_only=True)
class DimmedInk(GalleryEngine):
    name: str = "dimmed-ink"
    flaw: str = "PHI ink pulled 40% of the way to the box's background; still readable"
    redact: bool = False

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        rows, cols = frames.shape[1:3]
        for b in self.boxes.get(relpath, []):
            y0, y1, x0, x1 = max(b.y - 1, 0), min(b.y + b.h + 1, rows), max(b.x - 1, 0), min(b.x + b.w + 1, cols)
            for t in range(b.start, b.end):
                outer = frames[t, y0:y1, x0:x1].astype(np.float64)
                ring = np.ones(outer.shape[:2], bool)
                ring[b.y - y0:b.y - y0 + b.h, b.x - x0:b.x - x0 + b.w] = False
                bg = np.median(outer[ring], axis=0) if ring.any() else np.median(outer.reshape(-1, *outer.shape[2:]),
                                                                                  axis=0)
                box = frames[t, b.y:b.y + b.h, b.x:b.x + b.w].astype(np.float64)
                frames[t, b.y:b.y + b.h, b.x:b.x + b.w] = np.clip(np.rint(bg + 0.6 * (box - bg)), 0, top)


@dataclass(kw_only=True)
class RightHalf(GalleryEngine):
    name: str = "right-half"
    flaw: str = "only the right half of each PHI box filled (0); the left half stays"
    redact: bool = False

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        for b in self.boxes.get(relpath, []):
            frames[b.start:b.end, b.y:b.y + b.h, b.x + b.w // 2:b.x + b.w] = 0


@dataclass(kw_only=True)
class FirstFrameOnly(GalleryEngine):
    name: str = "first-frame-only"
    flaw: str = "PHI boxes filled (0) on frame 0 only"
    redact: bool = False

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        for b in self.boxes.get(relpath, []):
            if b.start == 0 < b.end:
                frames[0, b.y:b.y + b.h, b.x:b.x + b.w] = 0


@dataclass(kw_only=True)
class ImageDestroyed(GalleryEngine):
    name: str = "image-destroyed"
    flaw: str = "every pixel pushed to the far extreme (dark -> white, bright -> black)"
    redact: bool = False

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        luma = frames @ np.array([0.299, 0.587, 0.114]) if frames.ndim == 4 else frames.astype(np.float64)
        flipped = np.where(luma < (top + 1) / 2, top, 0)
        frames[...] = flipped[..., np.newaxis] if frames.ndim == 4 else flipped


@dataclass(kw_only=True)
class BlackFrames(GalleryEngine):
    name: str = "black-frames"
    flaw: str = "every pixel of every frame set to 0"
    redact: bool = False

    def pixels(self, frames: np.ndarray, relpath: str, top: int) -> None:
        frames[...] = 0


@dataclass(kw_only=True)
class FamilyNameLeft(GalleryEngine):
    name: str = "family-name-left"
    flaw: str = "PatientName is the input's family name (first ^ component)"

    def header(self, ds: Dataset, source: Dataset, relpath: str) -> None:
        ds.PatientName = str(source.get("PatientName", "")).split("^")[0]


@dataclass(kw_only=True)
class PerFilePseudonyms(GalleryEngine):
    name: str = "per-file-pseudonyms"
    flaw: str = "a new PatientID and PatientName for every file"

    def header(self, ds: Dataset, source: Dataset, relpath: str) -> None:
        ds.PatientID = ds.PatientName = "PF" + hashlib.sha256(relpath.encode()).hexdigest()[:12].upper()


def _shifted(value: object, days: int) -> str:
    text = str(value or "")
    day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    return (day + timedelta(days=days)).strftime("%Y%m%d")


@dataclass(kw_only=True)
class PerFileDateShift(GalleryEngine):
    name: str = "per-file-date-shift"
    flaw: str = "StudyDate shifted by a different number of days in every file"

    def header(self, ds: Dataset, source: Dataset, relpath: str) -> None:
        if source.get("StudyDate"):
            ds.StudyDate = _shifted(source.StudyDate, -(1 + self.order.index(relpath)))


@dataclass(kw_only=True)
class PerPatientDateShift(GalleryEngine):
    name: str = "per-patient-date-shift"
    flaw: str = "none: StudyDate shifted by one number of days per patient (intervals kept)"

    def header(self, ds: Dataset, source: Dataset, relpath: str) -> None:
        if source.get("StudyDate"):
            key = str(self._truth.files[relpath].get("patient_key", ""))
            ds.StudyDate = _shifted(source.StudyDate, -(1 + int(hashlib.sha256(key.encode()).hexdigest()[:4], 16)))


@dataclass(kw_only=True)
class RandomUids(GalleryEngine):
    name: str = "random-uids"
    flaw: str = "new random Study, Series and SOP Instance UIDs in every file"

    def header(self, ds: Dataset, source: Dataset, relpath: str) -> None:
        ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()


@dataclass(kw_only=True)
class Undecodable(GalleryEngine):
    name: str = "undecodable"
    flaw: str = "every output cut to half its length"

    def finish(self, out: Path) -> None:
        data = out.read_bytes()
        out.write_bytes(data[: len(data) // 2])


#: The gallery, in the order the table shows it.
GALLERY: tuple[type[GalleryEngine], ...] = (
    GalleryEngine, FlatFill, Noise, DimmedInk, RightHalf, FirstFrameOnly, ImageDestroyed, BlackFrames,
    FamilyNameLeft, PerFilePseudonyms, PerFileDateShift, PerPatientDateShift, RandomUids, Undecodable)
