"""Generation benchmark: frames/s, and the cost of burning text + ground truth over the I/O floor.

Three passes over the same planned files, in one process, one after another:

* ``generate`` — the real pipeline (:func:`run_job`): source frames, layout,
  safety checks, burning, header with hidden PHI, DICOM + ink masks + rows.
* ``floor`` — the same source frames rendered at the same image rectangle on
  a black canvas of the same size and written as DICOM in the same transfer
  syntax, with no text, no safety checks and no ground truth: what any
  generator must pay.
* ``write-only`` — only encoding and writing those frames (already in memory).

Each pass runs ``repeat`` times; the fastest run counts (least disturbed).
Ratios are taken between passes of the same run.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.filewriter import dcmwrite
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEGBaseline8Bit

from .config import GenerateConfig
from .file_job import run_job
from .plan import FileJob, plan_dataset
from .seeding import uid_for
from .sources import open_source


@dataclass
class GenerationBenchmark:
    files: int
    frames: int
    megapixels: float
    generate_s: float
    floor_s: float
    write_only_s: float

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.generate_s

    @property
    def ratio_to_floor(self) -> float:
        return self.generate_s / self.floor_s

    @property
    def ratio_to_write_only(self) -> float:
        return self.generate_s / self.write_only_s

    def as_dict(self) -> dict:
        return {
            "files": self.files, "frames": self.frames, "megapixels": round(self.megapixels, 1),
            "generate_s": round(self.generate_s, 3), "floor_s": round(self.floor_s, 3),
            "write_only_s": round(self.write_only_s, 3), "frames_per_second": round(self.frames_per_second, 1),
            "ratio_to_floor": round(self.ratio_to_floor, 3), "ratio_to_write_only": round(self.ratio_to_write_only, 3),
        }


def _plain_dataset(job: FileJob, frames: np.ndarray) -> Dataset:
    """A minimal US dataset holding ``frames`` in the job's transfer syntax (no PHI, no text)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.6.1")
    ds.file_meta.MediaStorageSOPInstanceUID = UID(uid_for("floor", job.relpath))
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit if job.jpeg else ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "US"
    n, rows, cols = frames.shape[:3]
    colour = frames.ndim == 4
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 3 if colour else 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    if n > 1:
        ds.NumberOfFrames = n
    if job.jpeg:
        parts = []
        for frame in frames:
            buf = io.BytesIO()
            Image.fromarray(frame).save(buf, format="JPEG", quality=90, subsampling="4:2:2")
            parts.append(buf.getvalue())
        ds.PixelData = encapsulate(parts)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.PhotometricInterpretation = "YBR_FULL_422" if colour else "MONOCHROME2"
    else:
        ds.PixelData = frames.tobytes()
        ds.PhotometricInterpretation = "RGB" if colour else "MONOCHROME2"
    return ds


def _canvas(job: FileJob, source, rect: tuple[int, int, int, int]) -> np.ndarray:
    """The source frames on a black canvas at the image rectangle the generator used (what the floor writes)."""
    x0, y0, x1, y1 = rect
    src = source.render(job.source_ref, x1 - x0, y1 - y0, job.colour)
    shape = (src.frames.shape[0], job.height, job.width) + src.frames.shape[3:]
    canvas = np.zeros(shape, dtype=np.uint8)
    canvas[:, y0:y1, x0:x1] = src.frames
    return canvas


def _write(path: Path, job: FileJob, frames: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    dcmwrite(buf, _plain_dataset(job, frames), enforce_file_format=True)
    path.write_bytes(buf.getvalue())


def benchmark_generation(config: GenerateConfig, repeat: int = 2, workdir: Path | None = None) -> GenerationBenchmark:
    """Time the three passes on ``config``'s plan (single process)."""
    source = open_source(config.source)
    _, jobs = plan_dataset(config, source)
    base = Path(tempfile.mkdtemp(prefix="phiphantom-bench-", dir=workdir))
    try:
        best = {"generate": float("inf"), "floor": float("inf"), "write": float("inf")}
        frames_total = 0
        pixels = 0
        for r in range(repeat):
            out = base / f"gen{r}"
            t = time.perf_counter()
            results = [run_job(job, out) for job in jobs]
            best["generate"] = min(best["generate"], time.perf_counter() - t)
            rects = {res.relpath: tuple(res.file_entry["image_rect"]) for res in results if res.written}
            written = [job for job in jobs if job.relpath in rects]
            frames_total = sum(res.file_entry["frames"] for res in results if res.written)
            pixels = sum(res.file_entry["frames"] * res.file_entry["rows"] * res.file_entry["columns"]
                         for res in results if res.written)
            shutil.rmtree(out)
            out = base / f"floor{r}"
            t = time.perf_counter()
            for job in written:
                _write(out / job.relpath, job, _canvas(job, source, rects[job.relpath]))
            best["floor"] = min(best["floor"], time.perf_counter() - t)
            shutil.rmtree(out)
            canvases = [_canvas(job, source, rects[job.relpath]) for job in written]
            out = base / f"write{r}"
            t = time.perf_counter()
            for job, frames in zip(written, canvases, strict=False):
                _write(out / job.relpath, job, frames)
            best["write"] = min(best["write"], time.perf_counter() - t)
            del canvases
            shutil.rmtree(out)
        return GenerationBenchmark(len(jobs), frames_total, pixels / 1e6, best["generate"], best["floor"],
                                   best["write"])
    finally:
        shutil.rmtree(base, ignore_errors=True)
