"""Run pydicom's whole test-file collection through ``phiphantom deid`` and classify every file's outcome.

The collection (``pydicom.data.get_testdata_files()``: pydicom's own ``test_files`` plus the
pydicom-data package) holds some 240 files of every kind pydicom meets: CT, MR, RT, SR, SEG, waveforms,
every transfer syntax, DICOMDIRs, broken and non-DICOM files. Each is copied into a staging tree
(``pydicom/...``, ``pydicom-data/...``) and the tree goes through the real command, pixels on,
default policy, an ephemeral key, ``--layout keep`` (so an output is found at its input's path). Files
sharing a SOP Instance UID (pydicom keeps one image in many encodings) would be refused as duplicates
in one run, so they go into separate runs: every object is de-identified once.

Each file ends as one of:

* ``ok``: an output was written. With dciodvfy installed, its errors are compared with the input's;
  errors the input did not have are *new* (a regression of the header de-identification).
* ``error``: a clear per-file row in ``errors.csv`` with a named error class (``DeidError``,
  ``NotDicom``, ``DicomDir``...).
* ``crash``: a traceback, an unexpected exit status, a row whose class is a bare Python exception
  (``TypeError``: an unhandled fault, its details withheld), or neither an output nor a row.

``python -m phiphantom.benchmark.pydicom_collection [WORKDIR]`` prints the counts by outcome and the
files of each class; ``tests/test_i12_pydicom_collection.py`` asserts 0 crashes and 0 new dciodvfy
errors. Messages are the engine's own (they hold no values); dciodvfy messages are redacted by
:func:`phiphantom.synth.external_validators.tier3_check`.
"""

from __future__ import annotations

import argparse
import builtins
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CollectionReport", "FileOutcome", "collection_files", "run_collection", "stage_collection"]

#: Bare Python exception class names: an error row with one of these is an unhandled fault, not a clear refusal.
_BUILTIN_ERRORS = frozenset(name for name, obj in vars(builtins).items()
                            if isinstance(obj, type) and issubclass(obj, BaseException))
#: OSError and its subclasses name what the system refused (disk full, permission): a clear row.
_OS_ERRORS = frozenset(name for name in _BUILTIN_ERRORS if issubclass(getattr(builtins, name), OSError))


@dataclass
class FileOutcome:
    """What became of one file of the collection (``relpath`` in the staging tree)."""

    relpath: str
    outcome: str                      # "ok" | "error" | "crash"
    error_class: str = ""
    message: str = ""
    iod: str = ""                     # dciodvfy's IOD name for the input ("" when not checked)
    new_iod_errors: tuple[str, ...] = ()
    iod_checked: str = ""            # "" not checked, "full", or "header only (...)" where dciodvfy died on the pixels


@dataclass
class CollectionReport:
    files: list[FileOutcome] = field(default_factory=list)
    runs: int = 0
    run_problems: list[str] = field(default_factory=list)   # tracebacks / unexpected exit statuses of runs
    dciodvfy: bool = False

    def counts(self) -> Counter:
        return Counter(f.outcome for f in self.files)

    def by_class(self) -> Counter:
        return Counter(f"{f.error_class}: {f.message}" for f in self.files if f.outcome != "ok")

    @property
    def crashes(self) -> list[FileOutcome]:
        return [f for f in self.files if f.outcome == "crash"]

    @property
    def new_iod_errors(self) -> list[FileOutcome]:
        return [f for f in self.files if f.new_iod_errors]

    def summary_lines(self) -> list[str]:
        counts = self.counts()
        lines = [f"{len(self.files)} files in {self.runs} run(s): {counts['ok']} ok, {counts['error']} clear error "
                 f"rows, {counts['crash']} crashes"]
        if self.dciodvfy:
            checked = Counter(f.iod_checked for f in self.files if f.outcome == "ok")
            lines.append(f"dciodvfy: {sum(checked.values()) - checked['']} ok outputs compared with their inputs "
                         f"({', '.join(f'{n} {how}' for how, n in checked.items() if how)}), "
                         f"{len(self.new_iod_errors)} with new errors")
        else:
            lines.append("dciodvfy: not installed, outputs not checked (apt-get install dicom3tools)")
        lines += [f"run problem: {p}" for p in self.run_problems]
        for reason, count in self.by_class().most_common():
            lines.append(f"  {count:4d}  {reason}")
            for f in self.files:
                if f.outcome != "ok" and f"{f.error_class}: {f.message}" == reason:
                    lines.append(f"          {f.outcome}: {f.relpath}")
        for f in self.new_iod_errors:
            lines.append(f"  new dciodvfy errors in {f.relpath} ({f.iod}): {'; '.join(f.new_iod_errors)}")
        return lines


def collection_files() -> list[tuple[str, Path]]:
    """(relative path in the staging tree, source path) of every regular file of pydicom's test collection."""
    import pydicom.data

    roots = [(Path(pydicom.data.__file__).parent / "test_files", "pydicom")]
    try:
        import data_store  # the pydicom-data package

        roots.append((Path(data_store.__file__).parent / "data", "pydicom-data"))
    except ImportError:
        pass
    files = []
    for name in pydicom.data.get_testdata_files():
        path = Path(name)
        if not path.is_file():
            continue
        for root, label in roots:
            if path.is_relative_to(root):
                files.append((f"{label}/{path.relative_to(root).as_posix()}", path))
                break
        else:
            files.append((f"other/{path.name}", path))
    return sorted(files)


def _sop_instance_uid(path: Path) -> str | None:
    import warnings

    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's warnings on the broken files quote their values
            ds = pydicom.dcmread(path, stop_before_pixels=True, force=True, specific_tags=["SOPInstanceUID"])
            return str(ds.get("SOPInstanceUID", "")).strip() or None
    except Exception:  # noqa: BLE001 - any unreadable file simply has no UID to collide on
        return None


def stage_collection(dest: Path) -> list[list[str]]:
    """Copy the collection under ``dest/run-N/`` so that no run holds two files with one SOP Instance UID.

    Returns the relative paths of each run (file order within a run: sorted)."""
    runs: list[list[str]] = []
    seen: Counter = Counter()
    for relpath, source in collection_files():
        uid = _sop_instance_uid(source)
        index = seen[uid] if uid else 0
        if uid:
            seen[uid] += 1
        while len(runs) <= index:
            runs.append([])
        runs[index].append(relpath)
        target = dest / f"run-{index}" / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return runs


def _error_rows(errors_csv: Path) -> dict[str, tuple[str, str]]:
    try:
        with open(errors_csv, encoding="utf-8", newline="") as fh:
            return {row["path"]: (row["error_class"], row["message"]) for row in csv.DictReader(fh)}
    except (OSError, KeyError, csv.Error):
        return {}


def _classify(error_class: str, message: str) -> str:
    if error_class in _BUILTIN_ERRORS and error_class not in _OS_ERRORS:
        return "crash"
    return "error"


def _env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PHIPHANTOM_DEID_KEY", None)
    return env


def _path_flags(command: list[str]) -> list[str]:
    """``--show-paths`` where the command has it (errors.csv names inputs by walk index otherwise)."""
    help_text = subprocess.run([*command, "deid", "--help"], capture_output=True, text=True, env=_env(),
                               timeout=120).stdout
    return ["--show-paths"] if "--show-paths" in help_text else []


def _deid_run(command: list[str], in_dir: Path, out_dir: Path, workers: int, timeout: float,
              flags: list[str]) -> tuple[int, str]:
    args = [*command, "deid", str(in_dir), str(out_dir), "--ephemeral-key", "--layout", "keep",
            "--workers", str(workers), "--timeout", str(timeout), *flags]
    proc = subprocess.run(args, capture_output=True, text=True, env=_env(), timeout=3600)
    return proc.returncode, proc.stdout + proc.stderr


_UID_LIKE = re.compile(r"(?<=UID )[\d.]+\b|\b\d+(?:\.\d+){2,}\b")


def _normalised(errors) -> tuple[str, ...]:
    """dciodvfy errors with UIDs replaced by ``<uid>``: some messages quote the UIDs of references, which
    de-identification remaps, so the same fault reads differently before and after."""
    return tuple(dict.fromkeys(_UID_LIKE.sub("<uid>", e) for e in errors))


def _without_pixels(src: Path, dest: Path) -> Path:
    import pydicom

    ds = pydicom.dcmread(src)
    for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.save_as(dest, enforce_file_format=True)
    return dest


def _check_iod(pair: tuple[Path, Path]) -> tuple[str, str, tuple[str, ...]]:
    """(how it was checked, the input's IOD, new errors). dciodvfy dies on some valid pixel data (an
    assertion on 32-bit native OW values, e.g. pydicom's SC_rgb_32bit.dcm itself): then both files are
    compared without their pixel data (the header is still checked)."""
    from phiphantom.synth.external_validators import tier3_check

    before, after = tier3_check(pair[0]), tier3_check(pair[1])
    how = "full"
    if any("died with signal" in e for e in before.errors + after.errors):
        with tempfile.TemporaryDirectory() as tmp:
            before = tier3_check(_without_pixels(pair[0], Path(tmp) / "in.dcm"))
            after = tier3_check(_without_pixels(pair[1], Path(tmp) / "out.dcm"))
        how = "header only (dciodvfy died on the pixel data)"
    if not (before.ran and after.ran):
        return "", before.detail, ()
    old = set(_normalised(before.errors))
    return how, before.detail, tuple(e for e in _normalised(after.errors) if e not in old)


def run_collection(work_dir: Path, *, workers: int = 2, timeout: float = 300.0, dciodvfy: bool = True,
                   command: list[str] | None = None) -> CollectionReport:
    """Stage the collection in ``work_dir`` (which must be empty or new), de-identify it, classify each file.

    ``command`` is the ``phiphantom`` command line to test (default: this interpreter's package)."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    command = command or [sys.executable, "-m", "phiphantom.cli.launch"]
    staged = stage_collection(work_dir / "in")
    report = CollectionReport(runs=len(staged), dciodvfy=dciodvfy and shutil.which("dciodvfy") is not None)
    pairs: list[tuple[FileOutcome, Path, Path]] = []
    flags = _path_flags(command)
    for index, relpaths in enumerate(staged):
        in_dir, out_dir = work_dir / "in" / f"run-{index}", work_dir / "out" / f"run-{index}"
        status, output = _deid_run(command, in_dir, out_dir, workers, timeout, flags)
        if status not in (0, 1) or "Traceback (most recent call last)" in output:
            report.run_problems.append(f"run-{index}: exit status {status}"
                                       + (", traceback printed" if "Traceback" in output else ""))
        rows = _error_rows(out_dir / "errors.csv")
        for relpath in relpaths:
            out = out_dir / relpath
            if relpath in rows:
                error_class, message = rows[relpath]
                report.files.append(FileOutcome(relpath, _classify(error_class, message), error_class, message))
            elif out.is_file():
                outcome = FileOutcome(relpath, "ok")
                report.files.append(outcome)
                pairs.append((outcome, in_dir / relpath, out))
            else:
                report.files.append(FileOutcome(relpath, "crash", "Missing", "neither an output nor an error row"))
    if report.dciodvfy and pairs:
        with ThreadPoolExecutor(max(1, workers)) as pool:
            checked = pool.map(_check_iod, [(i, o) for _, i, o in pairs])
            for (outcome, _, _), (how, iod, new) in zip(pairs, checked, strict=False):
                outcome.iod_checked, outcome.iod, outcome.new_iod_errors = how, iod, new
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("work_dir", nargs="?", type=Path, help="empty or new folder (default: a temporary one)")
    parser.add_argument("--workers", type=int, default=2, help="deid worker processes (default 2)")
    parser.add_argument("--no-dciodvfy", action="store_true", help="do not compare dciodvfy errors")
    parser.add_argument("--phiphantom", default=None, help="the phiphantom executable to test (default: this one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pydicom-collection-") as tmp:
        report = run_collection(args.work_dir or Path(tmp), workers=args.workers, dciodvfy=not args.no_dciodvfy,
                                command=[args.phiphantom] if args.phiphantom else None)
    print("\n".join(report.summary_lines()))
    return 1 if report.crashes or report.new_iod_errors or report.run_problems else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
