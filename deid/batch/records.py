"""Records and commits of a ``phiphantom deid`` run: errors.csv, audit.jsonl, detections.csv, the
resume state and the mapping table, and moving finished outputs into place in input order.

See "Records" in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from phiphantom.core.detections import DetectionWriter

from ..header_deid import DeidOptions
from ..keys import write_private
from .inputs import path_text, redacted_name
from .outputs import (
    AUDIT_FILENAME,
    DETECTIONS_FILENAME,
    ERRORS_FILENAME,
    LOCK_FILENAME,
    RESERVED_NAMES,
    STATE_FILENAME,
    describe_os_error,
    records_step,
    unlink_quietly,
)

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from .inputs import InputEntry
    from .plan import Plan
    from .summary import BatchSummary

ERROR_COLUMNS = ("path", "error_class", "message")
#: ``kind`` of the state file's line that each run writes first: its key check value and settings.
RUN_RECORD = "run"


class ResumeRefused(Exception):
    """``--resume`` into an OUT made with another key or other settings, or not by this tool (message safe)."""


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


def _shown(name: str, value) -> str:
    """A setting as the refusal message shows it (short; settings hold no secrets)."""
    if name == "pixels" and value is None:
        return "header only"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def check_resume(out: Path, fingerprint: str, key_check: str, settings: dict) -> None:
    """Refuse (:class:`ResumeRefused`) to resume into OUT when its state was made with another key or other
    settings, or when OUT holds files but no state of this tool: resuming would add a second copy of
    every file under other pseudonyms (or mix two runs' outputs). The key itself is never shown."""
    if not any(p.name != LOCK_FILENAME for p in out.iterdir()):
        return  # nothing there yet: a fresh start
    new_run = "start a new run into a new, empty OUT (this OUT is left as it is)"
    try:
        lines = (out / STATE_FILENAME).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        raise ResumeRefused(f"{out} is not empty but holds no state of a phiphantom deid run ({STATE_FILENAME}): "
                            f"--resume only continues a run of this tool; {new_run}") from None
    except OSError as exc:
        raise ResumeRefused(f"cannot read the state file in {out} ({describe_os_error(exc)})") from None
    other_key = other_records = False
    changes: dict[str, tuple] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if record.get("kind") == RUN_RECORD:
            if record.get("key_check") != key_check:
                other_key = True
            elif record.get("settings") != fingerprint:
                before = record.get("run_settings") or {}
                for name in sorted(set(before) | set(settings)):
                    if before.get(name) != settings.get(name):
                        changes[name] = (before.get(name), settings.get(name))
                other_records = other_records or not changes
        elif "input_id" in record and record.get("settings") != fingerprint:
            other_records = True
    if other_key:
        raise ResumeRefused(f"{out} was written with another key: resuming with this one would add a second copy "
                            f"of every file under other pseudonyms. Resume with the key of that run, or {new_run}")
    if changes:
        detail = "; ".join(f"{name}: {_shown(name, old)} -> {_shown(name, new)}"
                           for name, (old, new) in changes.items())
        raise ResumeRefused(f"{out} was written with other settings ({detail}): resuming would mix outputs of "
                            f"two configurations. Resume with the settings of that run, or {new_run}")
    if other_records:
        raise ResumeRefused(f"{out} holds files de-identified with another key or other settings: resuming "
                            f"would add a second copy of them. Resume with the key and settings of that run, "
                            f"or {new_run}")


class Records:
    """errors.csv, audit.jsonl and the state file of one run, written as files are decided."""

    def __init__(self, plan: Plan, resume: bool, key_source: str, options: DeidOptions, profile: str) -> None:
        out = plan.out_dir
        self.plan = plan
        self.files: list = []
        with records_step("open the run's records in OUT (errors.csv, audit.jsonl, state, detections.csv)"):
            self.errors = self._open(out / ERRORS_FILENAME, "w", newline="")
            self.errors_csv = csv.writer(self.errors)
            self.errors_csv.writerow(ERROR_COLUMNS)
            self.audit = self._open(out / AUDIT_FILENAME, "a" if resume else "w")
            self.state = self._open(out / STATE_FILENAME, "a" if resume else "w")
            self.detections = self._open(out / DETECTIONS_FILENAME, "a" if resume else "w", newline="")
            self.detections_csv = DetectionWriter(self.detections)
            if not resume or self.detections.tell() == 0:
                self.detections_csv.write_header()
            # the run's key check value and settings: a --resume with others is refused (check_resume)
            self.state.write(json.dumps({"kind": RUN_RECORD, "settings": plan.fingerprint, "key_check": plan.key_check,
                                         "run_settings": plan.settings}, sort_keys=True) + "\n")
            self.state.flush()
        pixels = plan.config.pixels
        self.common = {"run": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "profile": profile,
                       "options": sorted(options.options), "key_source": key_source, "tool_version": plan.version,
                       "layout": plan.config.layout,
                       "pixels": "not cleaned (header only)" if pixels is None else f"cleaned ({pixels.label})"}

    def _open(self, path: Path, mode: str, newline: str | None = None):
        fh = open(path, mode, encoding="utf-8", newline=newline)
        self.files.append(fh)
        if mode == "a" and fh.tell() > 0:  # a line cut short by a crash or a full disk must not swallow the next
            with open(path, "rb") as raw:
                raw.seek(-1, os.SEEK_END)
                if raw.read(1) != b"\n":
                    fh.write("\n")
        return fh

    def _write_audit(self, record: dict) -> None:
        with records_step(f"write {AUDIT_FILENAME} in OUT"):
            self.audit.write(json.dumps({**record, **self.common}, ensure_ascii=False, sort_keys=True) + "\n")
            self.audit.flush()

    def shown_output(self, entry: InputEntry, out_rel: str | None) -> str | None:
        """The output path as written to the audit (``file-NNNN`` when it is the input's path, unless --show-paths)."""
        if out_rel is None or self.plan.show_paths or self.plan.config.layout != "keep":
            return None if out_rel is None else path_text(out_rel)
        return redacted_name(entry.index)

    def error(self, entry: InputEntry, error_class: str, message: str, input_sha: str | None = None) -> None:
        with records_step(f"write {ERRORS_FILENAME} in OUT"):
            self.errors_csv.writerow((self.plan.shown(entry), error_class, message))
            self.errors.flush()
        self._write_audit({"input": self.plan.shown(entry), "output": None, "status": "error",
                           "error_class": error_class, "input_sha256": input_sha, "output_sha256": None})

    def done(self, entry: InputEntry, result: dict) -> None:
        """A committed (ok) or skipped file: audit record; state record for a new output."""
        record = {"input": self.plan.shown(entry), "output": self.shown_output(entry, result["output"]),
                  "status": result["status"], "input_sha256": result["input_sha256"],
                  "output_sha256": result["output_sha256"]}
        if self.plan.config.layout == "keep":
            record["input_name_matches_header"] = bool(result.get("name_like_phi"))
        if result["status"] == "ok":
            record.update(actions=result["actions"], codes=result["codes"],
                          date_shift_applied=result["date_shift_applied"],
                          unknown_elements_removed=result.get("unknown_removed", 0),
                          malformed_elements_removed=result.get("malformed_removed", 0),
                          pixels_verified=result.get("pixels_verified", False), **result.get("pixels", {}))
            shown = self.plan.shown(entry)
            with records_step(f"write {DETECTIONS_FILENAME} in OUT"):
                for row in result.get("detections") or []:
                    self.detections_csv.write(row.for_file(shown))
                self.detections.flush()
            # keep layout: the output path is the input's path, known again on resume; not stored in clear
            output = None if self.plan.config.layout == "keep" else result["output"]
            state = {"input_id": self.plan.input_id(entry.relpath), "settings": self.plan.fingerprint,
                     "input_sha256": result["input_sha256"], "output": output,
                     "output_sha256": result["output_sha256"], "sop": result["sop"]}
            with records_step(f"write the state file {STATE_FILENAME} in OUT"):
                self.state.write(json.dumps(state, sort_keys=True) + "\n")
                self.state.flush()
        else:
            record["note"] = "completed by an earlier run (--resume); its actions are in that run's records"
        self._write_audit(record)

    def close(self) -> None:
        """Close every record file; a flush that fails now (full disk) was reported by the write before it."""
        for fh in self.files:
            try:
                fh.close()
            except OSError:
                pass


class Committer:
    """Decides each file in input order: moves finished outputs into place or records the failure."""

    def __init__(self, plan: Plan, records: Records, summary: BatchSummary) -> None:
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
        """Decide one entry: ``result`` is its worker's answer (``None`` only for an entry with a walk error)."""
        if entry.error is not None:
            self.fail(entry, *entry.error)
            return
        assert result is not None  # every entry without a walk error was run
        if result["status"] == "error":
            self.fail(entry, result["error_class"], result["message"], result["input_sha256"])
            return
        clash = self._claim(entry, result)
        if clash is not None:
            unlink_quietly(result.get("tmp"))
            message = ("another input earlier in walk order has the same SOP Instance UID" if clash.startswith("Dup")
                       else "another input earlier in walk order (or a file of the runner) has the same output path")
            self.fail(entry, clash, message, result["input_sha256"])
            return
        self.summary.names_like_phi += bool(result.get("name_like_phi"))
        if result["status"] == "skipped":
            self.summary.skipped += 1
            self.records.done(entry, result)
            return
        target = self.plan.out_dir / result["output"]
        step = "create the output's folder"
        try:
            self._make_folder(target.parent)
            step = "move the output into place"
            os.replace(result["tmp"], target)
        except OSError as exc:
            unlink_quietly(result.get("tmp"))
            self.paths.discard(result["output"])
            self.sops.discard(result.get("sop", ""))
            self.fail(entry, type(exc).__name__, f"could not {step} ({describe_os_error(exc)})",
                      result["input_sha256"])
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
