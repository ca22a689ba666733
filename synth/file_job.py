"""Build and write one DICOM file with its ground truth (runs in a worker process).

Nothing half-made is ever left on disk: the DICOM and mask files are written
to ``*.part`` names and renamed when complete, and a file whose text fails
the safety checks on every attempt is not written at all (it is reported for
``quarantine.csv``).
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydicom import config as pydicom_config
from pydicom.filewriter import dcmwrite

from phiphantom.core import __version__

from .compose import Composition, compose
from .dicom_build import build_dataset, sop_instance_uid
from .external_validators import frames_sha256
from .ground_truth import IMAGE_MASK_KEY, pack_image_mask, write_masks
from .layouts import LayoutError
from .output_dir import io_step
from .plan import FileJob
from .sources import FrameSource, open_source
from .styles import DEFAULT_PACK, StylePack
from .text_raster import EmptyInkError

MAX_ATTEMPTS = 4

_HASHERS: dict[int, ThreadPoolExecutor] = {}


def _hasher() -> ThreadPoolExecutor:
    """Threads that hash (file bytes, frame bytes) beside the file writes.

    hashlib and file I/O release the GIL, so the two digests cost little extra
    wall time. One pool per process id: a forked worker must not inherit the
    parent's (dead) threads.
    """
    pid = os.getpid()
    if pid not in _HASHERS:
        _HASHERS[pid] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="phiphantom-hash")
    return _HASHERS[pid]


def _sha256_hex(data) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class JobResult:
    """What the main process needs from one job (small: rows and metadata, no pixels)."""

    index: int
    relpath: str
    written: bool
    file_entry: dict = field(default_factory=dict)
    boxes: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)


@lru_cache(maxsize=4)
def _source(spec: str) -> FrameSource:
    return open_source(spec)


def case_uuid(job: FileJob) -> str:
    digest = hashlib.sha256(f"{job.global_seed}/{job.relpath}/case".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def compose_job(job: FileJob, source: FrameSource | None = None, keep_background: bool = False, *,
                pack: StylePack | None = None, attempts: int = MAX_ATTEMPTS) -> tuple[Composition | None, list[dict]]:
    """Compose with retries; returns the first safe composition and the quarantine rows of failed attempts.

    ``pack`` is the pack of ``job.style`` (the shipped one when None); ``attempts`` how many draws to try.
    """
    source = source or _source(job.source_spec)
    rows = []
    for attempt in range(attempts):
        try:
            comp = _compose(job, source, attempt, keep_background, pack)
        except (LayoutError, EmptyInkError) as exc:  # the text does not fit, or a face draws none of it
            rows.append({"output_dicom_relpath": job.relpath, "attempt": attempt, "reason": str(exc)})
            continue
        if comp.ok:
            return comp, rows
        rows.append({"output_dicom_relpath": job.relpath, "attempt": attempt, "reason": "; ".join(comp.problems[:5])})
    return None, rows


def _compose(job: FileJob, source: FrameSource, attempt: int, keep_background: bool,
             pack: StylePack | None) -> Composition:
    """The classic composer for the classic pack, the pack composer for the others."""
    if job.style == DEFAULT_PACK:
        return compose(job, source, attempt, keep_background)
    from .styles import get_pack
    from .styles.compose_pack import compose_from_pack

    return compose_from_pack(job, source, pack or get_pack(job.style), attempt, keep_background)


def box_rows(job: FileJob, comp: Composition, mask_relpath: str) -> tuple[list[dict], dict]:
    """Ground-truth rows of every placed box and the alpha masks keyed by box id."""
    rows, masks = [], {}
    sop_uid = sop_instance_uid(job)
    cuuid = case_uuid(job)
    height, width = comp.frames.shape[1:3]
    for k, (b, contrast) in enumerate(zip(comp.boxes, comp.contrast, strict=False)):
        box_id = f"b{k:03d}"
        masks[box_id] = b.glyphs.alpha
        rows.append({
            "case_uuid": cuuid, "sop_instance_uid": sop_uid, "source_id": job.source_ref.source_id,
            "source_relpath": job.source_ref.relpath, "output_dicom_relpath": job.relpath,
            "image_h": height, "image_w": width, "region": b.region, "phi_category": b.run.category,
            "phi_value": b.state.phi_value, "rendered_text": b.state.text,
            "bbox_x": b.x0, "bbox_y": b.y0, "bbox_w": b.glyphs.width, "bbox_h": b.glyphs.height,
            "dicom_tag": b.run.dicom_tag, "seed": job.seed, "pipeline_version": __version__, "run_id": job.run_id,
            "frame_start": b.state.frame_start, "frame_end": b.state.frame_end, "is_phi": int(b.run.is_phi),
            "font": b.style.font, "font_px": b.style.size, "colour": b.style.colour_name,
            "contrast": f"{contrast:.3f}", "layout": comp.layout, "box_id": box_id,
            "antialias": int(b.style.antialias), "plate": int(b.style.plate_rgb is not None),
            "over_image": int(b.over_image), "mask_relpath": mask_relpath,
            "style": job.style, "style_version": job.style_version, "kind": "text",
        })
    first = comp.frames[0]
    for k, g in enumerate(comp.graphics, len(rows)):
        box_id = f"b{k:03d}"
        x0, y0, x1, y1 = g.box
        ink = g.mask[y0:y1, x0:x1]
        grey = first[y0:y1, x0:x1].mean(axis=-1) if first.ndim == 3 else first[y0:y1, x0:x1]  # the box only
        masks[box_id] = ink.astype(np.uint8) * 255
        rows.append({
            "case_uuid": cuuid, "sop_instance_uid": sop_uid, "source_id": job.source_ref.source_id,
            "source_relpath": job.source_ref.relpath, "output_dicom_relpath": job.relpath,
            "image_h": height, "image_w": width, "region": g.kind, "phi_category": g.kind,
            "phi_value": "", "rendered_text": g.text, "bbox_x": x0, "bbox_y": y0, "bbox_w": x1 - x0,
            "bbox_h": y1 - y0, "dicom_tag": "", "seed": job.seed, "pipeline_version": __version__,
            "run_id": job.run_id, "frame_start": 0, "frame_end": comp.frames.shape[0], "is_phi": 0,
            "font": "", "font_px": 0, "colour": "", "contrast": f"{float(grey[ink].mean()) / 255:.3f}",
            "layout": comp.layout, "box_id": box_id, "antialias": 0, "plate": 0,
            "over_image": int(bool((comp.image_mask[y0:y1, x0:x1] & ink).any())), "mask_relpath": mask_relpath,
            "style": job.style, "style_version": job.style_version, "kind": "graphic",
        })
    return rows, masks


def mask_relpath_for(relpath: str) -> str:
    return "gt/masks/" + relpath.removeprefix("dicom/").removesuffix(".dcm") + ".npz"


def run_job(job: FileJob, out_dir: Path) -> JobResult:
    """Compose, build, check and write one file; never raises for a bad composition."""
    comp, quarantine = compose_job(job)
    result = JobResult(job.index, job.relpath, False, quarantine=quarantine)
    if comp is None:
        return result
    previous = pydicom_config.settings.writing_validation_mode
    pydicom_config.settings.writing_validation_mode = pydicom_config.RAISE  # a VR violation is a bug, not a warning
    try:
        ds, recorder, pixel_info = build_dataset(job, comp)
        buffer = io.BytesIO()
        dcmwrite(buffer, ds, enforce_file_format=True)
    finally:
        pydicom_config.settings.writing_validation_mode = previous
    data = buffer.getbuffer()  # a view: no copy of the pixel data
    frames = comp.frames
    file_digest = _hasher().submit(_sha256_hex, data)
    frames_digest = _hasher().submit(frames_sha256, frames)
    target = out_dir / job.relpath
    tmp = target.with_name(target.name + ".part")
    with io_step("write a DICOM file", out_dir / "dicom"):  # where: never the file name (it may hold fake PHI)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
    mask_rel = mask_relpath_for(job.relpath)
    result.boxes, masks = box_rows(job, comp, mask_rel)
    masks[IMAGE_MASK_KEY] = pack_image_mask(comp.image_mask)
    with io_step("write an ink mask file", out_dir / "gt" / "masks"):
        write_masks(out_dir / mask_rel, masks)
    with io_step("rename a finished DICOM file", out_dir / "dicom"):
        tmp.replace(target)
    result.written = True
    result.tags = [row | {"style": job.style, "style_version": job.style_version}
                   for row in recorder.rows(job.relpath, str(ds.SOPInstanceUID))]
    result.file_entry = {
        "relpath": job.relpath, "sha256": file_digest.result(), "bytes": len(data),
        "sop_instance_uid": str(ds.SOPInstanceUID), "sop_class_uid": str(ds.SOPClassUID),
        "patient_key": job.identity.patient_key, "study_index": job.study_index,
        "frames": int(frames.shape[0]), "rows": int(frames.shape[1]), "columns": int(frames.shape[2]),
        "colour": job.colour, "photometric": str(ds.PhotometricInterpretation),
        "pixel_sha256": frames_digest.result(), "source_id": job.source_ref.source_id,
        "layout": comp.layout, "probe": comp.probe, "image_rect": list(comp.image_rect),
        "boxes": len(result.boxes), "phi_boxes": sum(r["is_phi"] for r in result.boxes),
        "mask_relpath": mask_rel, "style": job.style, "style_version": job.style_version, **pixel_info,
    }
    return result
