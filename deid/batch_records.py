"""Records and commits of a ``phiphantom deid`` run: errors.csv, audit.jsonl, detections.csv, the
resume state and the mapping table, and moving finished outputs into place in input order.

See "Records" in the module docstring of :mod:`.batch`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .header_deid import DeidOptions
from .keys import write_private

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from .batch import BatchSummary, _Plan
    from .batch_inputs import InputEntry

ERRORS_FILENAME = "errors.csv"
AUDIT_FILENAME = "audit.jsonl"
DETECTIONS_FILENAME = "detections.csv"
DETECTION_COLUMNS = ("file", "frame_start", "frame_end", "x0", "y0", "x1", "y1", "decision", "reason", "text")
STATE_FILENAME = ".phiphantom-deid-state.jsonl"
STAGING_DIRNAME = ".phiphantom-deid-tmp"
RESERVED_NAMES = frozenset({ERRORS_FILENAME, AUDIT_FILENAME, DETECTIONS_FILENAME, STATE_FILENAME, STAGING_DIRNAME})
ERROR_COLUMNS = ("path", "error_class", "message")


def path_text(relpath: str) -> str:
    """A relative path as printable text (undecodable bytes in names become ``\\xNN``)."""
    return os.fsencode(relpath).decode("utf-8", "backslashreplace")


def redacted_name(index: int) -> str:
    """The stand-in for an input path under ``--redact-paths``: ``file-NNNN`` (1-based walk order)."""
    return f"file-{index + 1:04d}"


def _unlink(path: Path | str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def load_state(path: Path, fingerprint: str) -> dict[str, dict]:
    """State records of this key and settings, by input id (the last one wins; broken lines are ignored)."""
    records: dict[str, dict] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return records
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("settings") == fingerprint and "input_id" in record:
            records[record["input_id"]] = record
    return records


class _Records:
    """errors.csv, audit.jsonl and the state file of one run, written as files are decided."""

    def __init__(self, plan: _Plan, resume: bool, key_source: str, options: DeidOptions, profile: str) -> None:
        out = plan.out_dir
        self.plan = plan
        self.errors = open(out / ERRORS_FILENAME, "w", encoding="utf-8", newline="")
        self.errors_csv = csv.writer(self.errors)
        self.errors_csv.writerow(ERROR_COLUMNS)
        self.audit = open(out / AUDIT_FILENAME, "a" if resume else "w", encoding="utf-8")
        self.state = open(out / STATE_FILENAME, "a" if resume else "w", encoding="utf-8")
        self.detections = open(out / DETECTIONS_FILENAME, "a" if resume else "w", encoding="utf-8", newline="")
        self.detections_csv = csv.writer(self.detections)
        if not resume or self.detections.tell() == 0:
            self.detections_csv.writerow(DETECTION_COLUMNS)
        pixels = plan.config.pixels
        self.common = {"run": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "profile": profile,
                       "options": sorted(options.options), "key_source": key_source, "tool_version": plan.version,
                       "layout": plan.config.layout,
                       "pixels": "not cleaned (header only)" if pixels is None else f"cleaned ({pixels.label})"}

    def _write_audit(self, record: dict) -> None:
        self.audit.write(json.dumps({**record, **self.common}, ensure_ascii=False, sort_keys=True) + "\n")
        self.audit.flush()

    def shown_output(self, entry: InputEntry, out_rel: str | None) -> str | None:
        """The output path as written to the audit (redacted when it is the input's path)."""
        if out_rel is None or not self.plan.redact_paths or self.plan.config.layout != "keep":
            return None if out_rel is None else path_text(out_rel)
        return redacted_name(entry.index)

    def error(self, entry: InputEntry, error_class: str, message: str, input_sha: str | None = None) -> None:
        self.errors_csv.writerow((self.plan.shown(entry), error_class, message))
        self.errors.flush()
        self._write_audit({"input": self.plan.shown(entry), "output": None, "status": "error",
                           "error_class": error_class, "input_sha256": input_sha, "output_sha256": None})

    def done(self, entry: InputEntry, result: dict) -> None:
        """A committed (ok) or skipped file: audit record; state record for a new output."""
        record = {"input": self.plan.shown(entry), "output": self.shown_output(entry, result["output"]),
                  "status": result["status"], "input_sha256": result["input_sha256"],
                  "output_sha256": result["output_sha256"]}
        if result["status"] == "ok":
            record.update(actions=result["actions"], codes=result["codes"],
                          date_shift_applied=result["date_shift_applied"],
                          pixels_verified=result.get("pixels_verified", False))
            shown = self.plan.shown(entry)
            for row in result.get("detections") or []:
                self.detections_csv.writerow([shown, *row])
            self.detections.flush()
            state = {"input_id": self.plan.input_id(entry.relpath), "settings": self.plan.fingerprint,
                     "input_sha256": result["input_sha256"], "output": result["output"],
                     "output_sha256": result["output_sha256"], "sop": result["sop"]}
            self.state.write(json.dumps(state, sort_keys=True) + "\n")
            self.state.flush()
        else:
            record["note"] = "completed by an earlier run (--resume); its actions are in that run's records"
        self._write_audit(record)

    def close(self) -> None:
        for fh in (self.errors, self.audit, self.state, self.detections):
            fh.close()


class _Committer:
    """Decides each file in input order: moves finished outputs into place or records the failure."""

    def __init__(self, plan: _Plan, records: _Records, summary: BatchSummary) -> None:
        self.plan = plan
        self.records = records
        self.summary = summary
        self.sops: set[str] = set()
        self.paths: set[str] = set()
        self.mapping: dict[str, dict[str, str]] = {}
        self.errors: Counter = Counter()
        self.folders: set[Path] = set()  # output folders made already

    def fail(self, entry: InputEntry, error_class: str, message: str, input_sha: str | None = None) -> None:
        self.errors[error_class] += 1
        self.summary.failed += 1
        self.records.error(entry, error_class, message, input_sha)

    def _claim(self, entry: InputEntry, result: dict) -> str | None:
        """The error class when this output's SOP Instance UID or path is taken already, else claim both."""
        out_rel = result["output"]
        if result.get("sop") and result["sop"] in self.sops:
            return "DuplicateSOPInstanceUID"
        if out_rel in self.paths or out_rel.split("/")[0] in RESERVED_NAMES:
            return "OutputPathCollision"
        self.sops.add(result.get("sop", ""))
        self.paths.add(out_rel)
        return None

    def _make_folder(self, folder: Path) -> None:
        """``mkdir -p`` that remembers what it made: one mkdir per new folder, none for a known one."""
        missing = []
        while folder not in self.folders and folder != self.plan.out_dir:
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            folder.mkdir(exist_ok=True)
            self.folders.add(folder)

    def commit(self, entry: InputEntry, result: dict | None) -> None:
        if entry.error is not None:
            self.fail(entry, *entry.error)
            return
        if result["status"] == "error":
            self.fail(entry, result["error_class"], result["message"], result["input_sha256"])
            return
        clash = self._claim(entry, result)
        if clash is not None:
            _unlink(result.get("tmp"))
            message = ("another input earlier in walk order has the same SOP Instance UID" if clash.startswith("Dup")
                       else "another input earlier in walk order (or a file of the runner) has the same output path")
            self.fail(entry, clash, message, result["input_sha256"])
            return
        if result["status"] == "skipped":
            self.summary.skipped += 1
            self.records.done(entry, result)
            return
        try:
            target = self.plan.out_dir / result["output"]
            self._make_folder(target.parent)
            os.replace(result["tmp"], target)
        except OSError as exc:
            _unlink(result.get("tmp"))
            self.paths.discard(result["output"])
            self.sops.discard(result.get("sop", ""))
            self.fail(entry, type(exc).__name__, "the output could not be moved into place", result["input_sha256"])
            return
        self.summary.ok += 1
        self.summary.pixels_verified += bool(result.get("pixels_verified"))
        for kind, pairs in (result.get("mapping") or {}).items():
            self.mapping.setdefault(kind, {}).update(pairs)
        self.records.done(entry, result)


def write_mapping(path: Path, mapping: dict[str, dict[str, str]], merge: bool) -> None:
    """The original -> pseudonym table as CSV (kind, original, pseudonym), mode 0600; merged with PATH if asked."""
    merged: dict[tuple[str, str], str] = {}
    if merge and Path(path).exists():
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                merged[(row["kind"], row["original"])] = row["pseudonym"]
    for kind, pairs in mapping.items():
        for original, pseudonym in pairs.items():
            merged[(kind, original)] = pseudonym
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("kind", "original", "pseudonym"))
    for (kind, original), pseudonym in sorted(merged.items()):
        writer.writerow((kind, original, pseudonym))
    write_private(Path(path), buffer.getvalue().encode("utf-8"))
