"""OCR sanity check of a dataset: how much of the burned-in PHI can plain Tesseract read?

A figure that shows the text is legible yet not trivial: OCR each PHI box (with
a small margin) on sampled frames and count exact reads (whitespace-normalised,
case-sensitive) and near reads (edit similarity >= 0.8). Datasets at ``hard``
difficulty must come out measurably lower than ``realistic``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom

from phiphantom.core.ground_truth import BoxRow, read_rows
from phiphantom.core.ocr import TesseractBackend, similarity
from phiphantom.core.vocabulary import font_band

from .validate import load_manifest

_BOX_COLUMNS = ("output_dicom_relpath", "is_phi", "rendered_text", "bbox_x", "bbox_y", "bbox_w", "bbox_h",
                "frame_start", "frame_end", "font_px")  # the gt/boxes.csv columns the check reads


@dataclass
class OcrReport:
    frames: int = 0
    boxes: int = 0
    exact: int = 0
    near: int = 0
    by_band: dict[str, list[int]] = field(default_factory=dict)  # font_px band -> [boxes, exact]

    @property
    def exact_share(self) -> float:
        return self.exact / self.boxes if self.boxes else 0.0

    @property
    def near_share(self) -> float:
        return self.near / self.boxes if self.boxes else 0.0

    def as_dict(self) -> dict:
        return {"frames": self.frames, "phi_boxes": self.boxes, "exact": self.exact,
                "exact_share": round(self.exact_share, 4), "near": self.near, "near_share": round(self.near_share, 4),
                "by_font_px": {k: {"boxes": v[0], "exact_share": round(v[1] / v[0], 4)}
                               for k, v in sorted(self.by_band.items())}}


def ocr_check(root: Path, frames: int = 200, seed: int = 0, margin: int = 2, progress=None) -> OcrReport:
    """OCR the PHI boxes on up to ``frames`` sampled frames (one frame per file, files in random order)."""
    root = Path(root)
    entries = load_manifest(root)["files"]
    rows = [r for r in read_rows(root / "gt" / "boxes.csv", BoxRow, _BOX_COLUMNS) if r.phi]
    by_file: dict[str, list[BoxRow]] = {}
    for r in rows:
        by_file.setdefault(r.output_dicom_relpath, []).append(r)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(entries))
    ocr = TesseractBackend()
    report = OcrReport()
    for i in order:
        if report.frames >= frames:
            break
        entry = entries[int(i)]
        t = int(rng.integers(entry["frames"]))
        ds = pydicom.dcmread(root / entry["relpath"])
        pixels = ds.pixel_array if entry["frames"] == 1 else ds.pixel_array[t]
        report.frames += 1
        for r in by_file.get(entry["relpath"], []):
            if t not in r.frames:
                continue
            x, y, w, h = r.bbox
            crop = pixels[max(0, y - margin):y + h + margin, max(0, x - margin):x + w + margin]
            text = ocr.read_line(crop).text
            truth = " ".join(r.rendered_text.split())
            band = report.by_band.setdefault(font_band(r.font_size), [0, 0])
            report.boxes += 1
            band[0] += 1
            if text == truth:
                report.exact += 1
                band[1] += 1
            if similarity(text, truth) >= 0.8:
                report.near += 1
        if progress:
            progress(report.frames, min(frames, len(entries)))
    return report
