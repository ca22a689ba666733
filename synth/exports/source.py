"""What an export reads from a dataset: its files (manifest), their boxes (``gt/boxes.csv``) and the category list.

The category list is written once here, from the dataset: the names of ``gt/coco.json`` in their COCO
order (so YOLO class ``i`` is COCO category id ``i + 1``), then any category a row uses that the COCO
file lacks. Each category has a group: ``phi`` (a PHI category), ``graphic`` (a non-text graphic kind)
or ``clinical`` (every other text: clinical read-outs, labels, a pack's wording).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from phiphantom.core.ground_truth import DEFAULT_PACK, BoxRow, ColumnsError, read_rows

from ..graphics import GRAPHIC_KINDS
from ..overlay_content import PHI_TAGS
from .frames import ExportError


@dataclass(frozen=True)
class Category:
    """One class of the export: its 0-based ``index``, ``name`` and ``group`` (phi | clinical | graphic)."""

    index: int
    name: str
    group: str


@dataclass(frozen=True)
class SourceFile:
    """One DICOM file of the dataset (from its manifest entry)."""

    relpath: str        # relative to the dataset folder (dicom/<patient>/<study>/<file>.dcm)
    patient: str
    study: str          # <patient>/<study>: the unit a split never cuts
    style: str
    frames: int
    rows: int
    columns: int


@dataclass(frozen=True)
class Dataset:
    """A generated dataset as an export needs it."""

    root: Path
    files: list[SourceFile]
    boxes: dict[str, list[BoxRow]]   # relpath -> its rows
    categories: list[Category]

    def category_index(self) -> dict[str, int]:
        """Category name -> 0-based index."""
        return {c.name: c.index for c in self.categories}


REQUIRED_COLUMNS = ("output_dicom_relpath", "phi_category", "is_phi", "bbox_x", "bbox_y", "bbox_w", "bbox_h",
                    "frame_start", "frame_end")


def category_group(name: str) -> str:
    """``phi``, ``graphic`` or ``clinical`` for the category ``name``."""
    if name in PHI_TAGS:
        return "phi"
    return "graphic" if name in GRAPHIC_KINDS else "clinical"


def _category_names(root: Path, rows: list[BoxRow]) -> list[str]:
    names: list[str] = []
    coco = root / "gt" / "coco.json"
    if coco.is_file():
        try:
            names = [str(c["name"]) for c in sorted(json.loads(coco.read_text("utf-8"))["categories"],
                                                    key=lambda c: int(c["id"]))]
        except (ValueError, KeyError, TypeError):
            raise ExportError("gt/coco.json is not a COCO file with categories") from None
    extra = sorted({r.phi_category for r in rows} - set(names),
                   key=lambda n: (["phi", "clinical", "graphic"].index(category_group(n)), n))
    return names + extra


def _study(relpath: str) -> tuple[str, str]:
    parts = relpath.split("/")
    if len(parts) < 4 or parts[0] != "dicom":
        return relpath, relpath
    return parts[1], f"{parts[1]}/{parts[2]}"


def load_dataset(root: Path) -> Dataset:
    """Read ``root/manifest.json`` and ``root/gt/boxes.csv``; a missing or damaged file is an :class:`ExportError`."""
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise ExportError(f"{root} is not a phiphantom dataset (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        entries = list(manifest["files"])
    except (ValueError, KeyError, TypeError):
        raise ExportError("manifest.json cannot be read as a dataset manifest") from None
    boxes_path = root / "gt" / "boxes.csv"
    if not boxes_path.is_file():
        raise ExportError(f"{root} has no gt/boxes.csv")
    try:
        rows = read_rows(boxes_path, BoxRow, REQUIRED_COLUMNS)  # older datasets lack style/style_version/kind
    except (ColumnsError, ValueError) as exc:
        raise ExportError(f"gt/boxes.csv: {exc}") from None
    by_file: dict[str, list[BoxRow]] = defaultdict(list)
    for row in rows:
        by_file[row.output_dicom_relpath].append(row)
    files: list[SourceFile] = []
    for entry in entries:
        try:
            relpath = str(entry["relpath"])
            patient, study = _study(relpath)
            style = str(entry.get("style") or DEFAULT_PACK)
            files.append(SourceFile(relpath, str(entry.get("patient_key") or patient), study, style,
                                    int(entry["frames"]), int(entry["rows"]), int(entry["columns"])))
        except (KeyError, TypeError, ValueError):
            raise ExportError("a manifest file entry lacks relpath/frames/rows/columns") from None
    names = _category_names(root, rows)
    categories = [Category(i, n, category_group(n)) for i, n in enumerate(names)]
    return Dataset(root, files, dict(by_file), categories)
