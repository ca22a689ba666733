"""Load a generated dataset's ground truth for scoring (manifest, boxes, tags, masks) and check it first.

:func:`load_dataset` reads the manifest and the tables; :func:`check_dataset` then checks,
before any engine runs, everything the benchmark will rely on (see its docstring), so a
damaged dataset is reported as such, with what is wrong, instead of crashing the scoring or
passing for an engine failure. Problems name files by their ``file-NNNN`` label and table
rows by number and column, never by value or path (file names may hold PHI).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import zipfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from phiphantom.core.ground_truth import DEFAULT_PACK, BoxRow, TagRow, missing_columns, read_table, rows_of
from phiphantom.core.vocabulary import LOCATION_KINDS
from phiphantom.synth.ground_truth import IMAGE_MASK_KEY, read_masks, sha256_file

from .dicom_paths import parse_path  # the scorer's own tag-path syntax


class DatasetError(ValueError):
    """The folder is not a usable PHI Phantom dataset (message is safe to show)."""


class DamagedDatasetError(DatasetError):
    """The dataset's files or ground truth are damaged: found before any engine ran (message is safe to show)."""

    def __init__(self, root: Path, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = "\n".join(f"  - {p}" for p in shown) + (f"\n  - and {more} more" if more else "")
        super().__init__(
            f"the dataset {root} is damaged, so no engine was run ({len(problems)} problem(s)):\n{lines}\n"
            "Generate it again (phiphantom generate) or restore it from a copy.")


MAX_PROBLEMS_SHOWN = 12
#: Columns the benchmark reads, per ground-truth table (the rest may be absent: read as empty).
BOX_FIELDS = ("output_dicom_relpath", "box_id", "is_phi", "phi_category", "rendered_text", "bbox_x", "bbox_y",
              "bbox_w", "bbox_h", "frame_start", "frame_end", "font_px", "contrast", "layout")
TAG_FIELDS = ("file", "tag_path", "vr", "location_kind", "category", "injected_value", "match")
IDENTITY_FIELDS = ("patient_key", "deid_id", "mrn")
#: Cells of the columns a dataset from before style packs lacks (issue 14): its files are the classic
#: generator's and its boxes all text; the version is unknown (empty).
BOX_DEFAULTS = {"style": DEFAULT_PACK, "style_version": "", "kind": "text"}
TAG_DEFAULTS = {"style": DEFAULT_PACK, "style_version": ""}
#: Manifest entry keys the benchmark reads.
ENTRY_KEYS = {"relpath": str, "mask_relpath": str, "patient_key": str, "transfer_syntax": str, "frames": int,
              "rows": int, "columns": int, "bytes": int, "lossless": bool}
MATCH_KINDS = ("exact", "contains", "rendered")
KINDS = ("text", "graphic")  # gt/boxes.csv kind


@dataclass
class FileTruth:
    """Everything known about one input file."""

    index: int
    relpath: str
    entry: dict                       # its manifest.json entry
    boxes: list[BoxRow] = field(default_factory=list)   # its gt/boxes.csv rows, in file order
    tags: list[TagRow] = field(default_factory=list)    # its gt/tags.csv rows, in file order

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
            "phi_boxes": sum(1 for b in boxes if b.phi),
            "clinical_boxes": sum(1 for b in boxes if b.is_phi == "0" and b.phi_category != "label"
                                  and b.kind != "graphic"),  # drawn graphics are not text (scored apart)
            "label_boxes": sum(1 for b in boxes if b.phi_category == "label"),
            "graphic_boxes": sum(1 for b in boxes if b.kind == "graphic"),
            "tag_rows": sum(len(f.tags) for f in self.files),
            "manifest_sha256": self.manifest_sha256,
        }


def _damaged(root: Path, problem: str) -> DamagedDatasetError:
    return DamagedDatasetError(root, [problem])


def _with_defaults(rows: list[dict[str, str | None]], defaults: Mapping[str, str]) -> list[dict[str, str | None]]:
    """``rows`` with ``defaults``' cells in the columns their table does not have (an older dataset)."""
    if rows and all(c in rows[0] for c in defaults):
        return rows
    return [{**defaults, **row} for row in rows]


def _read_csv(root: Path, name: str, fields: tuple[str, ...]) -> list[dict[str, str | None]]:
    """Rows of ``root/name``; a missing or unreadable table, or one without ``fields``, is a damaged dataset."""
    path = root / name
    try:
        header, rows = read_table(path)
    except FileNotFoundError:
        raise _damaged(root, f"the ground-truth table {name} is missing") from None
    except IsADirectoryError:
        raise _damaged(root, f"the ground-truth table {name} is a folder") from None
    except UnicodeDecodeError:
        raise _damaged(root, f"the ground-truth table {name} is not UTF-8 text") from None
    except (OSError, csv.Error) as exc:
        raise _damaged(root, f"the ground-truth table {name} cannot be read ({type(exc).__name__})") from None
    missing = missing_columns(header, fields)
    if missing:
        raise _damaged(root, f"the ground-truth table {name} lacks the column(s) {', '.join(missing)}")
    return rows


def _entry_problem(i: int, entry) -> str | None:
    label = f"file-{i + 1:04d}"
    if not isinstance(entry, dict):
        return f"manifest.json: the entry of {label} is not an object"
    for key, kind in ENTRY_KEYS.items():
        value = entry.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"manifest.json: the entry of {label} has no valid {key!r}"
    for key in ("relpath", "mask_relpath"):
        rel = PurePosixPath(entry[key])
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            return f"manifest.json: the {key!r} of {label} is not a path inside the dataset"
    if min(entry["frames"], entry["rows"], entry["columns"]) < 1:
        return f"manifest.json: {label} has no frames, rows or columns"
    return None


def load_dataset(root: Path, *, check: bool = True, workers: int | None = None) -> BenchDataset:
    """Read manifest.json, gt/boxes.csv and gt/tags.csv of a dataset made by ``phiphantom generate``.

    A folder that is not a dataset raises :class:`DatasetError`; a damaged one (manifest,
    tables, rows, masks or DICOM files: :func:`check_dataset`, run unless ``check`` is
    false, with ``workers`` hashing threads) raises :class:`DamagedDatasetError`. ``bench``
    loads its dataset this way before any engine runs.
    """
    root = Path(root)
    path = root / "manifest.json"
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder: give --data the folder made by phiphantom generate")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{root} has no manifest.json: not a PHI Phantom dataset") from None
    except OSError as exc:
        raise _damaged(root, f"manifest.json cannot be read ({type(exc).__name__})") from None
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _damaged(root, f"manifest.json is not valid JSON ({getattr(exc, 'msg', type(exc).__name__)})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", []), list):
        raise _damaged(root, "manifest.json is not a PHI Phantom manifest (no list of files)")
    entries = manifest.get("files", [])
    if not entries:
        raise DatasetError(f"{root} lists no files in its manifest")
    problems = [p for p in (_entry_problem(i, e) for i, e in enumerate(entries)) if p]
    if problems:
        raise DamagedDatasetError(root, problems)
    files = [FileTruth(i, e["relpath"], e) for i, e in enumerate(entries)]
    by_path = {f.relpath: f for f in files}
    if len(by_path) != len(files):
        raise _damaged(root, "manifest.json lists a file twice")
    for box in rows_of(BoxRow, _with_defaults(_read_csv(root, "gt/boxes.csv", BOX_FIELDS), BOX_DEFAULTS)):
        if box.output_dicom_relpath in by_path:
            by_path[box.output_dicom_relpath].boxes.append(box)
    for tag in rows_of(TagRow, _with_defaults(_read_csv(root, "gt/tags.csv", TAG_FIELDS), TAG_DEFAULTS)):
        if tag.file in by_path:
            by_path[tag.file].tags.append(tag)
    for f in files:
        if not (root / f.relpath).is_file():
            raise _damaged(root, f"{f.label} listed in the manifest is missing from dicom/")
    dataset = BenchDataset(root, manifest, files, hashlib.sha256(raw).hexdigest())
    if check:
        check_dataset(dataset, workers or min(8, os.cpu_count() or 1))
    return dataset


# --------------------------------------------------------------------------- the check before engines run

def _int(row: Mapping[str, str | None], key: str) -> int | None:
    value = row[key]
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _box_problem(row: Mapping[str, str | None], truth: FileTruth) -> str | None:
    """What is wrong with one gt/boxes.csv row of ``truth`` (None when it can be scored)."""
    parsed = {k: _int(row, k) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h", "frame_start", "frame_end",
                                        "font_px")}
    bad = [k for k, v in parsed.items() if v is None]
    if bad:
        return f"{', '.join(bad)} not an integer"
    numbers = {k: v for k, v in parsed.items() if v is not None}
    try:
        if not math.isfinite(float(row["contrast"])):  # type: ignore[arg-type]  # None: TypeError
            raise ValueError
    except (TypeError, ValueError):
        return "contrast not a number"
    if row["is_phi"] not in ("0", "1"):
        return "is_phi not 0 or 1"
    if not row["box_id"] or not row["phi_category"] or row["layout"] is None or row["rendered_text"] is None:
        return "a required column is empty"
    if row["kind"] not in KINDS:
        return "kind is not text or graphic"
    if row["kind"] == "graphic" and row["is_phi"] != "0":
        return "a graphic marked as PHI"
    e = truth.entry
    x, y, w, h = numbers["bbox_x"], numbers["bbox_y"], numbers["bbox_w"], numbers["bbox_h"]
    if w < 1 or h < 1 or x < 0 or y < 0 or x + w > e["columns"] or y + h > e["rows"]:
        return f"the box lies outside its {e['columns']}x{e['rows']} frame or is empty"
    if not 0 <= numbers["frame_start"] < numbers["frame_end"] <= e["frames"]:
        return f"the frame range is not inside the file's {e['frames']} frame(s)"
    return None


def _tag_problem(row: Mapping[str, str | None]) -> str | None:
    if row["match"] not in MATCH_KINDS:
        return "match is not exact, contains or rendered"
    if row["location_kind"] not in LOCATION_KINDS:
        return "location_kind is not a known kind"
    if row["injected_value"] is None or row["vr"] is None or row["category"] is None:
        return "a required column is empty"
    if row["tag_path"] != "filename":
        try:
            parse_path(row["tag_path"])
        except (ValueError, AttributeError):
            return "tag_path is not a tag path"
    return None


def _row_problems(dataset: BenchDataset) -> list[str]:
    problems: list[str] = []
    by_path = {f.relpath: f for f in dataset.files}
    boxes = _with_defaults(_read_csv(dataset.root, "gt/boxes.csv", BOX_FIELDS), BOX_DEFAULTS)
    for number, row in enumerate(boxes, 2):  # line 1: the header
        truth = by_path.get(row["output_dicom_relpath"] or "")
        problem = "names a file that is not in the manifest" if truth is None else _box_problem(row, truth)
        if problem:
            problems.append(f"gt/boxes.csv line {number}: {problem}")
    for truth in dataset.files:
        ids = [b.box_id for b in truth.boxes]
        if len(set(ids)) != len(ids):
            problems.append(f"gt/boxes.csv: {truth.label} has two boxes with the same box_id")
    for number, row in enumerate(_read_csv(dataset.root, "gt/tags.csv", TAG_FIELDS), 2):
        problem = "names a file that is not in the manifest" if row["file"] not in by_path else _tag_problem(row)
        if problem:
            problems.append(f"gt/tags.csv line {number}: {problem}")
    identities = _read_csv(dataset.root, "gt/identities.csv", IDENTITY_FIELDS)
    known = {row["patient_key"] for row in identities}
    for key in sorted({f.entry["patient_key"] for f in dataset.files} - known):
        label = next(f.label for f in dataset.files if f.entry["patient_key"] == key)
        problems.append(f"gt/identities.csv has no row for the patient of {label}")
    return problems


def _table_hash_problems(dataset: BenchDataset) -> list[str]:
    """Tables the manifest records a sha256 for must still have it (edited ground truth scores nonsense)."""
    recorded = dataset.manifest.get("ground_truth")
    if not isinstance(recorded, dict):
        return []
    problems = []
    for name in ("gt/boxes.csv", "gt/tags.csv", "gt/identities.csv"):
        want = recorded.get(name)
        path = dataset.root / name
        if isinstance(want, str) and path.is_file() and sha256_file(path) != want:
            problems.append(f"{name} differs from the sha256 manifest.json records for it (edited or damaged)")
    return problems


def _file_problem(dataset: BenchDataset, truth: FileTruth) -> str | None:
    """The DICOM file is the one generated (size, sha256) and its masks hold every box."""
    path = dataset.root / truth.relpath
    entry = truth.entry
    try:
        if path.stat().st_size != entry["bytes"]:
            return f"{truth.label}: the DICOM file's size differs from the manifest (damaged or replaced)"
        if isinstance(entry.get("sha256"), str) and sha256_file(path) != entry["sha256"]:
            return f"{truth.label}: the DICOM file's sha256 differs from the manifest (damaged or replaced)"
    except OSError as exc:
        return f"{truth.label}: the DICOM file cannot be read ({type(exc).__name__})"
    mask_path = dataset.root / entry["mask_relpath"]
    if not mask_path.is_file():
        return f"{truth.label}: its ink masks (gt/masks/...npz) are missing"
    try:
        masks = _read_masks_twice(mask_path, entry["columns"])
    except Exception as exc:  # noqa: BLE001 - any failure to load is a damaged mask file
        detail = " ".join(str(exc).split())[:160]  # numpy's and zipfile's messages: offsets and sizes, no text
        return (f"{truth.label}: its ink masks (gt/masks/...npz) cannot be read "
                f"({type(exc).__name__}{': ' + detail if detail else ''})")
    image = masks.get(IMAGE_MASK_KEY)
    if image is None or image.shape != (entry["rows"], entry["columns"]):
        return f"{truth.label}: its masks lack an image_mask of the frame's size"
    for box in truth.boxes:
        alpha = masks.get(box.box_id)
        if alpha is None or alpha.shape != (int(box.bbox_h), int(box.bbox_w)):  # rows checked: integers
            return f"{truth.label}: its masks lack the ink of box {box.box_id!r} (or it has another size)"
    return None


#: What a damaged mask file raises when read; anything else is an error of the reading process, not the file
_DAMAGE = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile)


def _read_masks_twice(path: Path, columns: int) -> dict:
    """The masks; read a second time when the first read failed with an error no damaged file raises.

    A full CI run once saw a ``SystemError`` from reading an intact mask file, in one test of
    thousands, which never came back in isolation. A damaged file fails both reads and is reported.
    """
    try:
        return read_masks(path, columns)
    except _DAMAGE:
        raise
    except Exception:  # noqa: BLE001 - not the file's fault: read it once more
        return read_masks(path, columns)


def check_dataset(dataset: BenchDataset, workers: int = 1) -> None:
    """Check everything the benchmark relies on, before any engine runs; raise :class:`DamagedDatasetError`.

    Checked: every manifest entry (done by :func:`load_dataset`); gt/boxes.csv, gt/tags.csv
    and gt/identities.csv present with their columns, unchanged from the sha256 the
    manifest records, every row valid (integers, a box inside its frame, a frame range
    inside the file, a known match and location kind, a parseable tag path, a row in
    identities.csv for every patient); every DICOM file of the size and sha256 the manifest
    records; every file's mask ``.npz`` readable, with an image mask of the frame's size and
    the ink of each of its boxes. Files are hashed by ``workers`` threads (hashlib runs
    without the GIL). Nothing here decodes pixels or shares code with the engine under test.
    """
    problems = _table_hash_problems(dataset) + _row_problems(dataset)
    if problems:  # masks are matched to rows: only check them against valid rows
        raise DamagedDatasetError(dataset.root, problems)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        problems = [p for p in pool.map(lambda t: _file_problem(dataset, t), dataset.files) if p]
    if problems:
        raise DamagedDatasetError(dataset.root, problems)
