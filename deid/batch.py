"""Fail-closed batch de-identification of a folder of DICOM files (``phiphantom deid IN OUT``).

Meant to run on a real archive: every file found in IN ends as exactly one
de-identified output or one row in ``OUT/errors.csv``; nothing is silently
skipped, no partial output is ever left behind, and no message written by
the runner quotes a value from a file.

Walking IN
    Recursive, sorted by the bytes of the relative paths, **never following
    symbolic links**: a symlink (to a file or a folder, dangling or not) gets
    one ``errors.csv`` row, ``SymlinkNotFollowed``. So a link can never lead
    out of IN or into a loop, and a target that lies inside IN is processed
    exactly once, at its own path. FIFOs, sockets and devices are never opened
    (``NotARegularFile``). A regular file is DICOM when it has the 128-byte
    preamble followed by ``DICM`` (whatever its extension); anything else --
    an empty file, a raw dataset without preamble, DICOM JSON/XML -- is a
    ``NotDicom`` row. A DICOMDIR (Media Storage Directory) is rejected
    (``DicomDir``): it holds patient records and indexes the original file
    names; build a new one over the outputs instead (e.g. ``dcmmkdir``).
    Before pydicom reads a file, :func:`check_structure` walks its element
    stream: a value, item or sequence running past the end of the file
    (``TruncatedFile``), or an unknown VR, a misplaced delimiter, a US/UL/...
    value of impossible length or nesting deeper than 64 levels
    (``MalformedDicom``) fail the file -- pydicom itself would quietly keep a
    truncated value, or drop an unterminated pixel data element.

Writing OUT
    ``--layout pseudonymized`` (the default) writes each output at
    ``PatientID/StudyUID/SeriesUID/SOPUID.dcm`` made of pseudonyms only;
    ``--layout keep`` at the input's relative path (so file names that carry
    PHI keep carrying it: the run counts the files whose path holds a name, ID
    or date of their own header and warns, without showing them).
    OUT is locked for the whole run (``flock`` on ``OUT/.phiphantom-deid.lock``,
    :mod:`.batch_out`): a second run into the same OUT is refused at once; the
    kernel releases the lock of a run that died. An OUT that cannot be created
    or written is a usage error naming the operation and the errno (``EROFS``,
    ``EACCES``); a file whose output cannot be written (``ENOSPC``) is an
    error row saying which step failed; a record that cannot be written stops
    the run (:class:`RunAborted`). Workers write into
    ``OUT/.phiphantom-deid-tmp/<run>/<n>.part`` (same file system as OUT;
    a folder per run, so a worker left over from a killed run cannot touch
    the next run's files); the supervisor moves a file into place with ``os.replace`` only
    once it is complete and verified (it re-reads as DICOM, carries
    PatientIdentityRemoved=YES and the expected SOP Instance UID), and removes
    the temporary file of any failed, timed-out or crashed file. The
    preamble is zeroed and the File Meta Information is rebuilt with only the
    required elements (source/sending AE titles and private meta information
    are dropped). The transfer syntax is kept: deflated files stay deflated,
    Explicit VR Big Endian stays big endian (pydicom 3 writes both).
    Decisions are taken in input order, so a second file with an already
    used SOP Instance UID (``DuplicateSOPInstanceUID``) or output path
    (``OutputPathCollision``) gets no output, whichever worker finishes first.

Records (all in OUT unless asked elsewhere; none holds a value)
    ``errors.csv`` (path, error_class, message): only :class:`DeidError`
    messages are kept (safe by contract); any other message is withheld
    (an OS error keeps its errno name). Paths relative to IN may themselves
    carry PHI, so the records name each input ``file-NNNN`` (its number in
    walk order: IN sorted by the bytes of the relative paths) in errors.csv,
    audit.jsonl and detections.csv; ``--show-paths`` writes the relative paths
    instead. ``audit.jsonl``: one record per input per run (status
    ok / error / skipped) with paths, actions per element path, options,
    CID 7050 codes, key source, whether dates were shifted, tool version and
    sha256 of input and output. ``.phiphantom-deid-state.jsonl``: what
    ``--resume`` needs (a keyed hash of the input path, never the path; the
    output path only when it is made of pseudonyms), and per run a key check
    value (a keyed hash of a constant) and the settings.
    ``--mapping-out PATH``: original -> pseudonym table, mode 0600, only when
    asked and never inside IN or OUT.

Resume
    With ``--resume`` a file is skipped when the state file has a record made
    with the same key and settings, its input sha256 matches, and its output
    still exists with the recorded sha256; anything else is processed again,
    so a resumed run gives the same outputs as an uninterrupted one. A resume
    with another key or other settings than the run that wrote OUT is refused
    (it would add a second copy under other pseudonyms), and so is a resume into
    a non-empty folder without a state file.
    Without ``--resume`` OUT must be empty or absent.

Workers
    ``workers`` forked processes, one file at a time each, behind pipes: a
    worker that dies (segfault, killed for memory) gives ``WorkerCrashed``
    for its file only, a file taking longer than ``timeout_s`` gives
    ``Timeout``; a fresh worker takes over either way. The key reaches the
    workers through ``fork`` only (it is never pickled or written) -- except
    with ``--executor dask``, where it travels to the Dask workers inside the
    tasks (docs/scale-out.md).

Modules
    Walking IN is :mod:`.batch_inputs`; records, resume state and commits are
    :mod:`.batch_records`; this module holds the request, the worker side and
    the supervised pool.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import io
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import secrets
import shutil
import signal
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from phiphantom.core.executors import Executor, dask_client, default_workers
from phiphantom.core.workers import Worker, keep_freed_memory, own_process_group, serve

from .batch_inputs import InputEntry, _is_within, collect_inputs, sniff_part10  # noqa: F401 - part of this API
from .batch_out import LOCK_FILENAME, OutLock, OutUnavailable, RunAborted, describe_os_error, records_step
from .batch_records import (  # noqa: F401 - names of the run's files are part of this module's API
    AUDIT_FILENAME, DETECTION_COLUMNS, DETECTIONS_FILENAME, ERROR_COLUMNS, ERRORS_FILENAME, RESERVED_NAMES,
    STAGING_DIRNAME, STATE_FILENAME, ResumeRefused, _Committer, _Records, _unlink, check_resume, load_state,
    path_text, redacted_name, write_mapping,
)
from .header_deid import DeidError, DeidOptions
from .path_phi import name_carries_phi
from .keys import DeidKeyError, load_key, write_private
from .option_settings import CLI_SPELLING, option_settings
from .pipeline import RECOMPRESS_NAMES, DeidConfig, deidentify_file
from .pixels.config import POLICIES, PixelConfig
from .structure import FileRejected, check_structure, top_level_values  # noqa: F401 - check_structure is part of this module's API

PROFILES = ("basic",)
WITHHELD = "details withheld (the message may quote values from the file)"
#: A path component made by the pseudonymized layout: pseudonyms and UIDs only.
_SAFE_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: File meta elements written into every output; any other (0002,xxxx) element is dropped.


class BatchUsageError(ValueError):
    """A problem with the request itself (paths, key, options): nothing was processed. CLI exit status 2."""


@dataclass
class BatchSummary:
    """The outcome of :func:`deid_batch` (counts and paths only, no PHI)."""

    in_path: Path
    out_dir: Path
    files: int = 0                 # entries found in IN (each ends ok, failed or skipped)
    ok: int = 0
    failed: int = 0
    skipped: int = 0               # completed by an earlier run (--resume)
    dicom_files: int = 0           # entries recognised as DICOM Part 10 (the others are error rows)
    names_like_phi: int = 0        # --layout keep: outputs whose path holds a name, ID or date of their header
    errors_by_class: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 0
    layout: str = "pseudonymized"
    key_source: str = ""
    errors_csv: Path | None = None
    audit: Path | None = None
    mapping_out: Path | None = None
    ephemeral_key_out: Path | None = None
    pixel_policy: str | None = None   # None: header only (pixels not cleaned)
    pixels_verified: int = 0          # ok files whose pixel cleaning passed its re-OCR check

    @property
    def files_per_s(self) -> float:
        """Files (ok + failed + skipped) per second of wall time."""
        return self.files / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0 when every file is done, 1 when any failed."""
        return 1 if self.failed else 0


# -- small helpers -------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _keyed_hash(key: bytes, domain: str, text: str) -> str:
    return hmac.new(key, f"{domain}\x1f{text}".encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


# -- the request ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """Everything the supervisor and (through fork) the workers need for one run."""

    root: Path
    out_dir: Path
    config: DeidConfig
    version: str
    fingerprint: str            # keyed hash of key + settings: state records of other settings never match
    want_mapping: bool
    show_paths: bool            # relative input paths in the records (else file-NNNN)
    timeout_s: float
    include_text: bool = False
    key_check: str = ""         # keyed hash of a constant: tells another key apart on --resume
    settings: dict = field(default_factory=dict)   # the settings behind ``fingerprint``, in clear (no secrets)
    lock_fd: int = -1           # OUT's lock, held by the supervisor; forked workers close their copy
    run_id: str = ""            # this run's folder under the staging folder (see ``staging``)

    @property
    def staging(self) -> Path:
        """Where workers write: a folder of this run's own, so a worker left over from a killed run (it lives
        until it sees its supervisor gone) can never write into, or unlink from, the next run's files."""
        return self.out_dir / STAGING_DIRNAME / self.run_id if self.run_id else self.out_dir / STAGING_DIRNAME

    def input_id(self, relpath: str) -> str:
        """A keyed hash of an input path: what the state file stores instead of the path."""
        return _keyed_hash(self.config.key, "input-path", relpath)

    def shown(self, entry: InputEntry) -> str:
        """The input path as written to errors.csv, audit.jsonl and detections.csv (``file-NNNN`` unless asked)."""
        return path_text(entry.relpath) if self.show_paths else redacted_name(entry.index)


def parse_safe_private(path: Path) -> frozenset[tuple[str, int]]:
    """``creator,offset`` rows (offset: the element's low byte in hex, e.g. ``10`` or ``0x10``; header optional)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchUsageError(f"cannot read the safe-private list {path} ({type(exc).__name__})") from None
    pairs = set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not "".join(row).strip() or row[0].strip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() == "creator":
            continue
        try:
            creator, offset = row[0].strip(), int(row[1].strip(), 16)
        except (IndexError, ValueError):
            raise BatchUsageError(f"{path}, line {number}: expected 'creator,offset' with a hex offset") from None
        if not creator or not 0 <= offset <= 0xFF:
            raise BatchUsageError(f"{path}, line {number}: empty creator or offset outside 00-FF")
        pairs.add((creator, offset))
    return frozenset(pairs)


def _check_paths(src: Path, out: Path, mapping_out: Path | None, key_out: Path | None, resume: bool) -> None:
    """Refuse OUT inside IN (or IN inside OUT) and secrets inside either (a non-empty OUT: :func:`_check_out`)."""
    if not src.exists():
        raise BatchUsageError(f"input not found: {src}")
    in_r, out_r = src.resolve(), out.resolve()
    if src.is_dir() and _is_within(out_r, in_r):
        raise BatchUsageError("the output folder lies inside the input folder: choose an OUT outside IN")
    if _is_within(in_r, out_r):
        raise BatchUsageError("the input lies inside the output folder: choose an OUT outside IN")
    if out.exists() and not out.is_dir():
        raise BatchUsageError(f"the output path exists and is not a folder: {out}")
    for flag, path in (("--mapping-out", mapping_out), ("--write-ephemeral-key", key_out)):
        if path is None:
            continue
        p = Path(path).resolve()
        if _is_within(p, out_r) or (src.is_dir() and _is_within(p, in_r)):
            raise BatchUsageError(f"{flag} must not be inside the input or the output folder (it holds secrets)")
        if p.is_dir():
            raise BatchUsageError(f"{flag} is a folder: {path}")
    if key_out is not None and Path(key_out).exists():
        raise BatchUsageError(f"--write-ephemeral-key will not overwrite an existing file: {key_out}")
    if mapping_out is not None and Path(mapping_out).exists() and not resume:
        raise BatchUsageError(f"--mapping-out exists already: {mapping_out} (with --resume it is merged)")


def _options(profile: str, options: Iterable[str], safe_private: Path | frozenset | None,
             date_shift_range: tuple[int, int] | None) -> DeidOptions:
    """Validated :class:`DeidOptions` (usage errors for unknown names and settings without their option)."""
    if profile not in PROFILES:
        raise BatchUsageError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    names, settings = option_settings(
        options, safe_private, date_shift_range, spelled=CLI_SPELLING, error=BatchUsageError,
        read_safe_private=lambda sp: (frozenset(sp) if isinstance(sp, (set, frozenset))
                                      else parse_safe_private(Path(sp))))
    try:
        return DeidOptions(options=names, **settings)
    except ValueError as exc:
        raise BatchUsageError(str(exc)) from None


def _settings(options: DeidOptions, layout: str, profile: str, version: str, pixels: PixelConfig | None,
              recompress: str | None = None) -> dict:
    """The settings that change outputs (no secret among them)."""
    return {"options": sorted(options.options), "safe_private": sorted(options.safe_private),
            "date_shift_range": list(options.date_shift_range), "layout": layout, "profile": profile,
            "version": version, "pixels": None if pixels is None else repr(pixels), "recompress": recompress}


def _fingerprint(key: bytes, options: DeidOptions, layout: str, profile: str, version: str,
                 pixels: PixelConfig | None = None, recompress: str | None = None) -> str:
    """Keyed hash of the settings that change outputs (the state of another key or setting never matches)."""
    settings = _settings(options, layout, profile, version, pixels, recompress)
    return _keyed_hash(key, "settings", json.dumps(settings, sort_keys=True))[:32]


def key_check_value(key: bytes) -> str:
    """A keyed hash of a constant: equal for equal keys, says nothing about the key."""
    return _keyed_hash(key, "key-check", "phiphantom-deid")[:16]


def _check_out(out: Path, resume: bool, plan: _Plan) -> None:
    """With OUT locked: refuse a non-empty OUT without --resume, and a resume of another key or settings."""
    try:
        if not resume:
            if any(p.name != LOCK_FILENAME for p in out.iterdir()):
                raise BatchUsageError(f"the output folder is not empty: {out} (use --resume to continue a run there)")
            return
        check_resume(out, plan.fingerprint, plan.key_check, plan.settings)
    except ResumeRefused as exc:
        raise BatchUsageError(str(exc)) from None
    except OSError as exc:
        raise BatchUsageError(f"cannot list the output folder {out} ({describe_os_error(exc)})") from None


# -- worker side ---------------------------------------------------------------------------------------------


def output_relpath(relpath: str, deid, layout: str) -> str:
    """Where an output goes: the input's relative path, or the pseudonymized path (checked to be plain names)."""
    if layout == "keep":
        return relpath
    out = deid.pseudonymized_relpath()
    parts = out.split("/")
    if not all(_SAFE_COMPONENT.fullmatch(p) and p not in (".", "..") for p in parts):
        raise FileRejected("UnsafeOutputPath", "a pseudonymized path component is not a plain name")
    return out


_SOP_INSTANCE_UID, _PATIENT_IDENTITY_REMOVED = 0x00080018, 0x00120062


def _write_verified(ds, tmp: Path) -> str:
    """Encode ``ds``, re-read the encoded bytes as a check, write them to ``tmp``; return their sha256.

    The check walks every element of the very bytes that are written (from memory, so the file is
    written once): each must end inside the file, and the data set must say Patient Identity Removed
    YES with the SOP Instance UID of the de-identified instance.
    """
    from pydicom.filewriter import dcmwrite

    expected_sop = str(ds.SOPInstanceUID)
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    data = buffer.getbuffer()
    try:
        values = top_level_values(data, (_SOP_INSTANCE_UID, _PATIENT_IDENTITY_REMOVED))
        ok = values[_PATIENT_IDENTITY_REMOVED] == "YES" and values[_SOP_INSTANCE_UID] == expected_sop
    except Exception:
        ok = False
    if not ok:
        raise FileRejected("OutputCheckFailed", "the written output did not re-read as the de-identified instance")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        _unlink(tmp)
        raise FileRejected(type(exc).__name__,
                           f"could not write the temporary output file ({describe_os_error(exc)})") from None
    return hashlib.sha256(data).hexdigest()


def _resumable(record: dict | None, input_sha: str, out_dir: Path, relpath: str) -> bool:
    """Whether a state record still describes a complete output for this exact input.

    ``relpath`` is the output path of a keep-layout record (the state does not store input names)."""
    if not record or record.get("input_sha256") != input_sha:
        return False
    out_rel = str(record.get("output") or relpath)
    parts = out_rel.split("/")
    if not out_rel or any(p in ("", ".", "..") for p in parts):
        return False
    target = out_dir / out_rel
    try:
        return target.is_file() and not target.is_symlink() and sha256_file(target) == record.get("output_sha256")
    except OSError:
        return False


def _check_pixel_tools(pixels: PixelConfig) -> None:
    """Load the OCR engine (and NER model) once before the workers fork: clear usage errors, warm caches."""
    from phiphantom.core.ocr import OCRUnavailable, get_backend
    from .pixels.clean import _ner
    from .pixels.ner import NERUnavailable

    try:
        get_backend(pixels.ocr)
        if pixels.ner_model:
            _ner(pixels.ner_model)
    except (OCRUnavailable, NERUnavailable) as exc:
        raise BatchUsageError(str(exc)) from None


def _detections(deid, include_text: bool) -> list[list]:
    """detections.csv rows (without the file column) of one output; OCR text only when asked (it is PHI)."""
    if deid.pixels is None:
        return []
    return [[b.frame_start, b.frame_end, b.x0, b.y0, b.x1, b.y1, "redact" if b.decision.redact else "keep",
             b.decision.reason, b.text if include_text else ""] for b in deid.pixels.boxes]


def process_one(plan: _Plan, index: int, relpath: str, record: dict | None) -> dict:
    """De-identify one input into the staging folder; a result dict (never raises, never holds a value)."""
    src = plan.root / relpath
    tmp = plan.staging / f"{index}.part"
    result: dict = {"status": "error", "input_sha256": None}
    keep = plan.config.layout == "keep"
    try:
        try:
            data = src.read_bytes()  # read once: hashed, checked and parsed from memory
        except OSError as exc:
            raise FileRejected(type(exc).__name__, f"could not read the input ({describe_os_error(exc)})") from None
        result["input_sha256"] = input_sha = hashlib.sha256(data).hexdigest()
        if _resumable(record, input_sha, plan.out_dir, relpath):
            return {**result, "status": "skipped", "output": record.get("output") or relpath,
                    "output_sha256": record["output_sha256"], "sop": record.get("sop", ""),
                    "name_like_phi": keep and name_carries_phi(relpath, data)}
        deid = deidentify_file(data, plan.config, plan.version)  # structure check, DICOMDIR refusal, meta rebuild
        out_rel = output_relpath(relpath, deid, plan.config.layout)
        if keep:  # the input's name goes to OUT as it is: does it hold values of this header?
            result["name_like_phi"] = name_carries_phi(relpath, data)
        output_sha = _write_verified(deid.dataset, tmp)
        actions = dict(deid.header.actions)
        result.update(status="ok", tmp=str(tmp), output=out_rel, output_sha256=output_sha,
                      sop=str(deid.dataset.SOPInstanceUID), actions=actions, codes=list(deid.header.codes),
                      date_shift_applied=deid.header.date_shift_days is not None,
                      unknown_removed=deid.header.unknown_removed,
                      malformed_removed=deid.header.malformed_removed,
                      mapping=deid.header.mapping if plan.want_mapping else None,
                      detections=_detections(deid, plan.include_text),
                      pixels_verified=bool(deid.pixels and deid.pixels.verified), pixels=deid.pixel_record())
        return result
    except Exception as exc:  # every failure becomes a row; only safe messages are kept
        _unlink(tmp)
        if isinstance(exc, FileRejected):
            error_class, message = exc.error_class, str(exc)
        elif isinstance(exc, DeidError):
            error_class, message = type(exc).__name__, str(exc)
        elif isinstance(exc, OSError) and exc.errno:
            error_class, message = type(exc).__name__, f"{WITHHELD}; {describe_os_error(exc)}"
        else:
            error_class, message = type(exc).__name__, WITHHELD
        result.update(status="error", error_class=error_class, message=message)
        return result


def _quiet() -> None:
    """No warnings or log lines from a worker: pydicom's may quote element values."""
    warnings.simplefilter("ignore")
    logging.getLogger("pydicom").disabled = True


def _worker_main(conn, other_end, plan: _Plan, parent_pid: int) -> None:
    """Answer tasks ``(index, relpath, record)`` until told to stop (None) or orphaned."""
    other_end.close()
    if plan.lock_fd >= 0:  # only the supervisor holds OUT's lock: it dies with the supervisor
        with contextlib.suppress(OSError):
            os.close(plan.lock_fd)
    own_process_group()  # Ctrl-C reaches the supervisor only; it stops the workers itself
    keep_freed_memory()
    _quiet()
    serve(conn, parent_pid, lambda task: (task[0], process_one(plan, *task)))


# -- supervisor side: the pool -------------------------------------------------------------------------------


def _death_message(process) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"the worker process was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"the worker process was killed by signal {-code}"
    return "the worker process died" if code is None else f"the worker process exited with status {code}"


class WorkerPool:
    """Forked workers fed tasks over pipes; crashes and timeouts cost only the file in flight.

    Each worker holds up to :attr:`depth` tasks: the one it works on
    (``Worker.task``, timed from when it started) and the next ones, sent
    already (``Worker.queued``) so that it never waits while the supervisor
    commits the previous file. A worker answers in order, so when it dies or
    times out the culprit is ``Worker.task``; its queued tasks go back to the
    front of the queue and run again on the replacement.
    """

    depth = 2

    def __init__(self, plan: _Plan, size: int) -> None:
        self.plan = plan
        self.size = max(1, size)
        self.context = multiprocessing.get_context("fork")
        self.workers: list[Worker] = []
        self.restarts = 0
        self.pending: deque = deque()

    def _spawn(self) -> Worker:
        parent_end, child_end = self.context.Pipe(duplex=True)
        process = self.context.Process(target=_worker_main, args=(child_end, parent_end, self.plan, os.getpid()),
                                       name="phiphantom-deid-worker", daemon=True)
        process.start()
        child_end.close()
        return Worker(process, parent_end)

    def _replace(self, worker: Worker) -> Worker:
        worker.kill()
        _unlink(self.plan.staging / f"{worker.task}.part")
        self.pending.extendleft(reversed(worker.queued))  # never started: they run again, first
        worker.queued.clear()
        fresh = self._spawn()
        self.workers[self.workers.index(worker)] = fresh
        self.restarts += 1
        return fresh

    def _failure(self, worker: Worker, error_class: str, message: str) -> tuple[int, dict]:
        index = worker.task
        self._replace(worker)
        return index, {"status": "error", "input_sha256": None, "error_class": error_class, "message": message}

    def _feed(self, worker: Worker) -> None:
        """Send tasks until the worker holds ``depth`` of them or the queue is empty."""
        spawned = 0
        while self.pending and (worker.task is not None) + len(worker.queued) < self.depth:
            task = self.pending.popleft()
            try:
                worker.conn.send(task)
            except OSError:
                self.pending.appendleft(task)
                if worker.task is not None:
                    return  # it died on its current file: the receive side charges that file
                if spawned >= 3:
                    raise RuntimeError("fresh de-identification workers die before their first file") from None
                worker = self._replace(worker)  # died between files: nothing is charged
                spawned += 1
                continue
            if worker.task is None:
                worker.task, worker.deadline = task[0], time.monotonic() + self.plan.timeout_s
            else:
                worker.queued.append(task)

    def _answered(self, worker: Worker) -> None:
        """The current task is answered: the next queued one (already sent) is now running."""
        if worker.queued:
            worker.task = worker.queued.popleft()[0]
            worker.deadline = time.monotonic() + self.plan.timeout_s
        else:
            worker.task = None

    def run(self, tasks: Iterable[tuple[int, str, dict | None]]) -> Iterator[tuple[int, dict]]:
        """Yield ``(index, result)`` as files finish (any order); workers are stopped at the end."""
        self.pending = deque(tasks)
        self.workers = [self._spawn() for _ in range(min(self.size, len(self.pending)))]
        timeout_s = self.plan.timeout_s
        try:
            while True:
                for worker in list(self.workers):
                    self._feed(worker)
                busy = [w for w in self.workers if w.task is not None]
                if not busy:
                    return
                wait_s = max(0.0, min(w.deadline for w in busy) - time.monotonic())
                ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=wait_s)
                for worker in busy:
                    if worker.conn in ready:
                        try:
                            index, result = worker.conn.recv()
                        except (EOFError, OSError):
                            worker.process.join(5)
                            yield self._failure(worker, "WorkerCrashed", _death_message(worker.process))
                            continue
                        self._answered(worker)
                        yield index, result
                    elif time.monotonic() >= worker.deadline:
                        yield self._failure(worker, "Timeout", f"no result within {timeout_s:g} s")
        finally:
            self.close()

    def close(self) -> None:
        for worker in self.workers:
            if worker.task is not None:
                worker.kill()
                _unlink(self.plan.staging / f"{worker.task}.part")
            else:
                worker.stop()
        self.workers = []


def _dask_task(task: tuple[int, str, dict | None], plan: _Plan) -> tuple[int, dict]:
    """One file on a Dask worker: the same result as a local worker's."""
    _quiet()
    return task[0], process_one(plan, *task)


def _dask_results(client, plan: _Plan, tasks: list) -> Iterator[tuple[int, dict]]:
    """Results from the Dask cluster as they finish; a task the cluster gave up on is an error row."""
    from phiphantom.core.executors import TaskFailed, map_tasks

    for position, answer in map_tasks(client, _dask_task, tasks, plan=plan):
        if isinstance(answer, TaskFailed):
            yield tasks[position][0], {"status": "error", "input_sha256": None, "error_class": "WorkerCrashed",
                                       "message": f"the Dask task failed ({answer.error_class})"}
        else:
            yield answer


def _drive(plan: _Plan, entries: list[InputEntry], committer: _Committer, state: dict[str, dict], workers: int,
           progress: Callable[[int, int], None] | None, client=None) -> int:
    """Run the DICOM entries through the pool (or Dask) and commit every entry in input order; return the pool size."""
    total = len(entries)
    results: dict[int, dict] = {}
    next_index = done = 0

    def commit_ready() -> None:
        nonlocal next_index
        while next_index < total and (entries[next_index].error is not None or next_index in results):
            committer.commit(entries[next_index], results.pop(next_index, None))
            next_index += 1

    tasks = [(e.index, e.relpath, state.get(plan.input_id(e.relpath))) for e in entries if e.error is None]
    done = total - len(tasks)
    if progress is not None:
        progress(done, total)
    commit_ready()
    size = max(1, min(workers, len(tasks)))
    if client is not None:
        size = max(1, len(client.scheduler_info().get("workers", {})))
    if tasks:
        answers = _dask_results(client, plan, tasks) if client is not None else WorkerPool(plan, size).run(tasks)
        for index, result in answers:
            results[index] = result
            commit_ready()
            done += 1
            if progress is not None:
                progress(done, total)
    commit_ready()
    return size


def deid_batch(
    src: Path | str,
    out: Path | str,
    *,
    key_file: Path | str | None = None,
    ephemeral_key: bool = False,
    write_ephemeral_key: Path | str | None = None,
    profile: str = "basic",
    options: Iterable[str] = (),
    safe_private: Path | str | frozenset | None = None,
    date_shift_range: tuple[int, int] | None = None,
    layout: str = "pseudonymized",
    workers: int | None = None,
    timeout_s: float = 300.0,
    resume: bool = False,
    mapping_out: Path | str | None = None,
    show_paths: bool = False,
    redact_paths: bool = False,
    header_only: bool = False,
    policy: str = "strict",
    hard: bool = False,
    pixels_all_modalities: bool = False,
    recompress: str | None = None,
    include_text: bool = False,
    ocr: str = "tesseract",
    ner_model: Path | str | None = None,
    env: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor = Executor(),
) -> BatchSummary:
    """De-identify every DICOM file in ``src`` (file or folder) into ``out``; see the module docstring.

    The key comes from ``key_file``, else ``$PHIPHANTOM_DEID_KEY`` (from ``env``, default the process
    environment), else -- only with ``ephemeral_key=True`` -- a random one (written, mode 0600, to
    ``write_ephemeral_key`` if given). Raises :class:`BatchUsageError` (nothing processed) for a bad
    request; per-file problems never raise, they become rows of ``errors.csv``. The records name
    inputs ``file-NNNN`` unless ``show_paths`` (``redact_paths``, the old opt-in, is the default now
    and is accepted for compatibility). OUT is locked for the run (:class:`OutLock`). A record
    that cannot be written stops the run with :class:`RunAborted`.

    ``executor`` ``dask`` sends one task per file to a Dask cluster (workers must see ``src`` and
    ``out`` at the same paths; the key travels to them with the tasks). Dask cannot stop a running
    task, so there the per-file timeout does not apply; a file whose workers keep dying becomes a
    ``WorkerCrashed`` row. Outputs and records are the same as with local workers.
    """
    from phiphantom.core import __version__

    started = time.perf_counter()
    src, out = Path(src), Path(out)
    mapping_out = Path(mapping_out) if mapping_out is not None else None
    key_out = Path(write_ephemeral_key) if write_ephemeral_key is not None else None
    if policy not in POLICIES:
        raise BatchUsageError(f"--policy must be one of {', '.join(POLICIES)}")
    if layout not in ("keep", "pseudonymized"):
        raise BatchUsageError("--layout must be keep or pseudonymized")
    if key_out is not None and not ephemeral_key:
        raise BatchUsageError("--write-ephemeral-key needs --ephemeral-key")
    if ephemeral_key and key_file is not None:
        raise BatchUsageError("give either --key-file or --ephemeral-key, not both")
    if ephemeral_key and resume:
        raise BatchUsageError("--resume needs the key of the interrupted run (--key-file or $PHIPHANTOM_DEID_KEY)")
    if timeout_s <= 0:
        raise BatchUsageError("--timeout must be positive")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise BatchUsageError(f"--workers must be a whole number of at least 1 (got {workers!r})")
    if show_paths and redact_paths:
        raise BatchUsageError("give either --show-paths or --redact-paths, not both")
    deid_options = _options(profile, options, safe_private, date_shift_range)
    _check_paths(src, out, mapping_out, key_out, resume)
    try:
        key, key_source = load_key(Path(key_file) if key_file is not None else None, ephemeral=ephemeral_key,
                                   env={} if ephemeral_key else env)
    except DeidKeyError as exc:
        raise BatchUsageError(str(exc)) from None

    if recompress is not None and recompress not in RECOMPRESS_NAMES:
        raise BatchUsageError(f"--recompress must be one of {', '.join(RECOMPRESS_NAMES)}")
    pixels = None if header_only else PixelConfig(policy=policy, ocr=ocr, hard=hard, all_modalities=pixels_all_modalities,
                                                   ner_model=str(ner_model) if ner_model else None)
    if pixels is not None:
        _check_pixel_tools(pixels)
    config = DeidConfig(key=key, options=deid_options, layout=layout, key_source=key_source, pixels=pixels,
                        recompress=recompress)
    root, entries = collect_inputs(src)
    if not entries:
        raise BatchUsageError(f"no DICOM files found in {src}: the folder is empty (nothing to de-identify)")
    settings = _settings(deid_options, layout, profile, __version__, pixels, recompress)
    lock = OutLock(out.resolve())
    try:
        lock.acquire()  # creates OUT; from here on a second run into OUT is refused
    except OutUnavailable as exc:
        raise BatchUsageError(str(exc)) from None
    plan = _Plan(root=root, out_dir=out.resolve(), config=config, version=__version__,
                 fingerprint=_fingerprint(key, deid_options, layout, profile, __version__, pixels, recompress),
                 want_mapping=mapping_out is not None, show_paths=show_paths, timeout_s=float(timeout_s),
                 include_text=include_text, key_check=key_check_value(key), settings=settings, lock_fd=lock.fd,
                 run_id=f"run-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        _check_out(plan.out_dir, resume, plan)
        _start(plan, key_out, key)
    except BatchUsageError:
        lock.abandon()
        raise
    try:
        return _run(plan, entries, src, out, resume, key_source, deid_options, profile, mapping_out, key_out,
                    pixels, workers, progress, executor, started)
    finally:
        lock.release()


def _start(plan: _Plan, key_out: Path | None, key: bytes) -> None:
    """Write the ephemeral key if asked and make a fresh staging folder (usage errors naming the failed step)."""
    step = "write the ephemeral key file"
    try:
        if key_out is not None:
            write_private(key_out, key.hex().encode("ascii") + b"\n")
        step = "create the temporary folder in the output folder"
        shutil.rmtree(plan.out_dir / STAGING_DIRNAME, ignore_errors=True)  # temporary files of an interrupted run
        plan.staging.mkdir(parents=True)
    except OSError as exc:
        raise BatchUsageError(f"could not {step} ({describe_os_error(exc)})") from None


def _run(plan: _Plan, entries: list[InputEntry], src: Path, out: Path, resume: bool, key_source: str,
         deid_options: DeidOptions, profile: str, mapping_out: Path | None, key_out: Path | None,
         pixels: PixelConfig | None, workers: int | None, progress, executor: Executor, started: float
         ) -> BatchSummary:
    """The run itself, OUT locked and checked: records, workers, commits, mapping."""
    state = load_state(plan.out_dir / STATE_FILENAME, plan.fingerprint) if resume else {}
    summary = BatchSummary(in_path=src, out_dir=out, files=len(entries), layout=plan.config.layout,
                           key_source=key_source, errors_csv=out / ERRORS_FILENAME, audit=out / AUDIT_FILENAME,
                           mapping_out=mapping_out, ephemeral_key_out=key_out,
                           pixel_policy=None if pixels is None else pixels.label,
                           dicom_files=sum(e.error is None for e in entries))
    try:
        records = _Records(plan, resume, key_source, deid_options, profile)
        committer = _Committer(plan, records, summary)
        try:
            with dask_client(executor) if executor.is_dask else contextlib.nullcontext() as client:
                summary.workers = _drive(plan, entries, committer, state, workers or default_workers(), progress,
                                         client)
        finally:
            records.close()
    finally:
        shutil.rmtree(plan.out_dir / STAGING_DIRNAME, ignore_errors=True)
    if mapping_out is not None:
        with records_step("write the --mapping-out file"):
            write_mapping(mapping_out, committer.mapping, merge=resume)
    summary.errors_by_class = dict(sorted(committer.errors.items()))
    summary.seconds = time.perf_counter() - started
    return summary
