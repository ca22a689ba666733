"""``phiphantom validate DIR``: three independent tiers of checks on a generated dataset.

* Tier 1 (pydicom): every file in the manifest exists with its sha256, re-reads,
  has the manifest's UIDs and geometry, and its pixels decode; lossless files
  decode to exactly the generated pixels (sha256 of the frames).
* Tier 2 (dcmtk): ``dcmdump`` parses the whole file and ``dcmj2pnm``/``dcm2pnm``
  decodes every frame; lossless pixels are compared byte for byte.
* Tier 3 (dicom3tools): ``dciodvfy`` checks IOD conformance; errors fail,
  warnings are listed with counts.

Missing tools make a tier *skipped*, never a pass; the report says which ran.
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

from .external_validators import (
    ToolResult,
    available_tools,
    frames_sha256,
    summarise_messages,
    tier2_check,
    tier3_check,
)
from .ground_truth import sha256_file

TIERS = ("tier1-pydicom", "tier2-dcmtk", "tier3-dciodvfy")


class ValidationError(ValueError):
    """The folder is not a dataset (no readable manifest)."""


@dataclass
class FileCheck:
    relpath: str
    tier1: ToolResult
    tier2: ToolResult | None = None
    tier3: ToolResult | None = None


@dataclass
class ValidationReport:
    files: int
    tiers_run: list[str]
    tiers_skipped: dict[str, str]
    failures: dict[str, list[str]] = field(default_factory=dict)   # tier -> relpaths that failed
    errors: dict[str, int] = field(default_factory=dict)           # message -> files
    warnings: dict[str, int] = field(default_factory=dict)
    roundtrip_mismatches: int = 0
    lossless_checked: int = 0

    @property
    def ok(self) -> bool:
        return not any(self.failures.values())

    def as_dict(self) -> dict:
        return {
            "ok": self.ok, "files": self.files, "tiers_run": self.tiers_run, "tiers_skipped": self.tiers_skipped,
            "failures": {k: v for k, v in self.failures.items()}, "errors": self.errors, "warnings": self.warnings,
            "roundtrip_mismatches": self.roundtrip_mismatches, "lossless_checked": self.lossless_checked,
        }


def tier1_check(path: Path, entry: dict) -> ToolResult:
    """Re-read with pydicom and compare with the manifest entry."""
    errors: list[str] = []
    try:
        if sha256_file(path) != entry["sha256"]:
            errors.append("file sha256 differs from the manifest")
        ds = pydicom.dcmread(path)
        if str(ds.SOPInstanceUID) != entry["sop_instance_uid"]:
            errors.append("SOPInstanceUID differs from the manifest")
        if str(ds.file_meta.MediaStorageSOPInstanceUID) != str(ds.SOPInstanceUID):
            errors.append("MediaStorageSOPInstanceUID differs from SOPInstanceUID")
        frames = ds.pixel_array
        if entry["frames"] == 1:
            frames = frames[None]
        expected = (entry["frames"], entry["rows"], entry["columns"]) + ((3,) if entry["colour"] == "rgb" else ())
        if tuple(frames.shape) != expected:
            errors.append(f"decoded shape {tuple(frames.shape)} != {expected}")
        elif entry["lossless"] and frames_sha256(frames) != entry["pixel_sha256"]:
            errors.append("round-trip mismatch: decoded pixels differ from the generated pixels")
    except Exception as exc:  # noqa: BLE001 - any failure to read is a tier-1 failure
        errors.append(f"{type(exc).__name__} while reading")
    return ToolResult("pydicom", ran=True, ok=not errors, errors=tuple(errors))


def _check_file(args: tuple[Path, dict, bool, bool]) -> FileCheck:
    root, entry, run2, run3 = args
    path = root / entry["relpath"]
    check = FileCheck(entry["relpath"], tier1_check(path, entry))
    shape = (entry["frames"], entry["rows"], entry["columns"]) + ((3,) if entry["colour"] == "rgb" else ())
    if run2:
        check.tier2 = tier2_check(path, shape, entry["pixel_sha256"] if entry["lossless"] else None)
    if run3:
        check.tier3 = tier3_check(path)
    return check


def load_manifest(root: Path) -> dict:
    path = Path(root) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"{root} has no manifest.json: not a PHI Phantom dataset") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path} is not valid JSON ({exc.msg})") from None


def validate_dataset(root: Path, workers: int = 1, progress=None) -> ValidationReport:
    """Run the tiers on every file in ``root``'s manifest."""
    root = Path(root)
    manifest = load_manifest(root)
    entries = manifest.get("files", [])
    tools = available_tools()
    decoder = tools.get("dcmj2pnm") or tools.get("dcm2pnm")
    run2 = bool(tools["dcmdump"] and decoder)
    run3 = bool(tools["dciodvfy"])
    skipped = {}
    if not run2:
        skipped["tier2-dcmtk"] = "dcmdump/dcm2pnm not installed (apt-get install dcmtk)"
    if not run3:
        skipped["tier3-dciodvfy"] = "dciodvfy not installed (apt-get install dicom3tools)"
    report = ValidationReport(
        files=len(entries), tiers_run=[t for t, ran in zip(TIERS, (True, run2, run3), strict=False) if ran],
        tiers_skipped=skipped,
        failures={t: [] for t in TIERS},
    )
    args = [(root, e, run2, run3) for e in entries]
    if workers > 1 and len(args) > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            checks = list(_progress(pool.map(_check_file, args, chunksize=4), progress, len(args)))
    else:
        checks = list(_progress(map(_check_file, args), progress, len(args)))
    results = []
    for entry, check in zip(entries, checks, strict=False):
        for tier, res in zip(TIERS, (check.tier1, check.tier2, check.tier3), strict=False):
            if res is not None and res.ran:
                results.append(res)
                if not res.ok:
                    report.failures[tier].append(check.relpath)
        if entry["lossless"]:
            report.lossless_checked += 1
            if any("round-trip" in e for e in check.tier1.errors):
                report.roundtrip_mismatches += 1
    messages = summarise_messages(results)
    report.errors = {m: n for m, n in messages.items() if ": Error - " in m}
    report.warnings = {m: n for m, n in messages.items() if m not in report.errors}
    return report


def _progress(iterable, progress, total):
    for i, item in enumerate(iterable, 1):
        if progress:
            progress(i, total)
        yield item
