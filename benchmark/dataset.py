"""Load a generated dataset's ground truth for scoring (manifest, boxes, tags, masks)."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from phiphantom.synth.ground_truth import read_masks


class DatasetError(ValueError):
    """The folder is not a usable PHI Phantom dataset (message is safe to show)."""


@dataclass
class FileTruth:
    """Everything known about one input file."""

    index: int
    relpath: str
    entry: dict                       # its manifest.json entry
    boxes: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)

    @property
    def label(self) -> str:
        """A name for reports that carries no PHI (file names may)."""
        return f"file-{self.index + 1:04d}"

    @property
    def cine(self) -> bool:
        return self.entry["frames"] > 1


@dataclass
class BenchDataset:
    root: Path
    manifest: dict
    files: list[FileTruth]
    manifest_sha256: str

    def masks(self, truth: FileTruth) -> dict[str, np.ndarray]:
        return read_masks(self.root / truth.entry["mask_relpath"], truth.entry["columns"])

    def summary(self) -> dict:
        boxes = [b for f in self.files for b in f.boxes]
        return {
            "path": str(self.root), "run_id": self.manifest.get("run_id"), "seed": self.manifest.get("seed"),
            "difficulty": self.manifest.get("config", {}).get("difficulty"),
            "generator_version": self.manifest.get("generator_version"),
            "files": len(self.files), "frames": sum(f.entry["frames"] for f in self.files),
            "phi_boxes": sum(1 for b in boxes if b["is_phi"] == "1"),
            "clinical_boxes": sum(1 for b in boxes if b["is_phi"] == "0" and b["phi_category"] != "label"),
            "label_boxes": sum(1 for b in boxes if b["phi_category"] == "label"),
            "tag_rows": sum(len(f.tags) for f in self.files),
            "manifest_sha256": self.manifest_sha256,
        }


def _read_csv(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        raise DatasetError(f"missing ground-truth table {path.name} in {path.parent}") from None


def load_dataset(root: Path) -> BenchDataset:
    """Read manifest.json, gt/boxes.csv and gt/tags.csv of a dataset made by ``phiphantom generate``."""
    root = Path(root)
    path = root / "manifest.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{root} has no manifest.json: not a PHI Phantom dataset") from None
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path} is not valid JSON ({exc.msg})") from None
    files = [FileTruth(i, e["relpath"], e) for i, e in enumerate(manifest.get("files", []))]
    if not files:
        raise DatasetError(f"{root} lists no files in its manifest")
    by_path = {f.relpath: f for f in files}
    for row in _read_csv(root / "gt" / "boxes.csv"):
        if row["output_dicom_relpath"] in by_path:
            by_path[row["output_dicom_relpath"]].boxes.append(row)
    for row in _read_csv(root / "gt" / "tags.csv"):
        if row["file"] in by_path:
            by_path[row["file"]].tags.append(row)
    for f in files:
        if not (root / f.relpath).is_file():
            raise DatasetError(f"{f.label} listed in the manifest is missing from {root}")
    return BenchDataset(root, manifest, files, hashlib.sha256(raw).hexdigest())
