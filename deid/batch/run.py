"""The batch runner itself: :func:`deid_batch` checks the request, locks OUT, runs every input through the
worker pool (or Dask) and commits each in input order.

What it guarantees is in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from phiphantom.core.executors import Executor, ExecutorSession, default_workers

from ..config import RECOMPRESS_NAMES, DeidConfig
from ..header_deid import DeidOptions
from ..keys import DeidKeyError, load_key, write_private
from ..pixels.config import POLICIES, PixelConfig, check_threshold
from .config import DeidSettings, ExecutionSettings, KeySettings, OutputSettings
from .inputs import InputEntry, collect_inputs
from .outputs import (
    AUDIT_FILENAME,
    ERRORS_FILENAME,
    LOCK_FILENAME,
    STAGING_DIRNAME,
    STATE_FILENAME,
    OutLock,
    OutUnavailable,
    describe_os_error,
    records_step,
)
from .plan import (
    BatchUsageError,
    Plan,
    check_paths,
    checked_options,
    key_check_value,
    run_settings,
    settings_fingerprint,
)
from .pool import run_files
from .process import check_pixel_tools
from .records import Committer, Records, ResumeRefused, check_resume, load_state, write_mapping
from .summary import BatchSummary


def check_out(out: Path, resume: bool, plan: Plan) -> None:
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


def _drive(plan: Plan, entries: list[InputEntry], committer: Committer, state: dict[str, dict], workers: int,
           progress: Callable[[int, int], None] | None, session: ExecutorSession) -> int:
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
    size = session.size(max(1, min(workers, len(tasks))))
    if tasks:
        for index, result in run_files(session, plan, tasks, size):
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
    deid: DeidSettings | None = None,
    keys: KeySettings | None = None,
    output: OutputSettings | None = None,
    execution: ExecutionSettings | None = None,
) -> BatchSummary:
    """De-identify every DICOM file in ``src`` (file or folder) into ``out``; see the package docstring.

    ``deid`` says what is done to each file, ``keys`` where the key comes from (:class:`KeySettings`),
    ``output`` how OUT is written and recorded, ``execution`` how files are run (:mod:`.config`); each
    left out has the command line's defaults.
    Raises :class:`BatchUsageError` (nothing processed) for a bad request; per-file problems never
    raise, they become rows of ``errors.csv``. The records name inputs ``file-NNNN`` unless
    ``output.show_paths`` (``redact_paths``, the old opt-in, is the default now and is accepted for
    compatibility). OUT is locked for the run (:class:`OutLock`). A record that cannot be written
    stops the run with :class:`RunAborted`.

    ``execution.executor`` ``dask`` sends one task per file to a Dask cluster (workers must see ``src``
    and ``out`` at the same paths; the key travels to them with the tasks). Dask cannot stop a running
    task, so there the per-file timeout does not apply; a file whose workers keep dying becomes a
    ``WorkerCrashed`` row. Outputs and records are the same as with local workers.
    """
    from phiphantom.core import __version__

    deid, keys = deid or DeidSettings(), keys or KeySettings()
    output, execution = output or OutputSettings(), execution or ExecutionSettings()
    profile, policy, recompress = deid.profile, deid.policy, deid.recompress
    key_file, ephemeral_key = keys.key_file, keys.ephemeral
    layout, resume, show_paths = output.layout, output.resume, output.show_paths
    workers, timeout_s = execution.workers, execution.timeout_s
    started = time.perf_counter()
    src, out = Path(src), Path(out)
    mapping_out = Path(output.mapping_out) if output.mapping_out is not None else None
    key_out = Path(keys.write_ephemeral_key) if keys.write_ephemeral_key is not None else None
    if policy not in POLICIES:
        raise BatchUsageError(f"--policy must be one of {', '.join(POLICIES)}")
    try:
        threshold = check_threshold(deid.threshold)
    except ValueError:
        raise BatchUsageError(f"--threshold must be a number from -1 to 1 (got {deid.threshold!r})") from None
    if threshold is not None and deid.header_only:
        raise BatchUsageError("--threshold sets how pixels are cleaned: not with --header-only")
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
    if show_paths and output.redact_paths:
        raise BatchUsageError("give either --show-paths or --redact-paths, not both")
    deid_options = checked_options(profile, deid.options, deid.safe_private, deid.date_shift_range)
    check_paths(src, out, mapping_out, key_out, resume)
    try:
        key, key_source = load_key(Path(key_file) if key_file is not None else None, ephemeral=ephemeral_key,
                                   env={} if ephemeral_key else keys.env)
    except DeidKeyError as exc:
        raise BatchUsageError(str(exc)) from None

    if recompress is not None and recompress not in RECOMPRESS_NAMES:
        raise BatchUsageError(f"--recompress must be one of {', '.join(RECOMPRESS_NAMES)}")
    pixels = None if deid.header_only else PixelConfig(
        policy=policy, threshold=threshold, ocr=deid.ocr, hard=deid.hard, all_modalities=deid.pixels_all_modalities,
        ner_model=str(deid.ner_model) if deid.ner_model else None)
    if pixels is not None:
        check_pixel_tools(pixels)
    config = DeidConfig(key=key, options=deid_options, layout=layout, key_source=key_source, pixels=pixels,
                        recompress=recompress)
    root, entries = collect_inputs(src)
    if not entries:
        raise BatchUsageError(f"no DICOM files found in {src}: the folder is empty (nothing to de-identify)")
    settings = run_settings(deid_options, layout, profile, __version__, pixels, recompress)
    lock = OutLock(out.resolve())
    try:
        lock.acquire()  # creates OUT; from here on a second run into OUT is refused
    except OutUnavailable as exc:
        raise BatchUsageError(str(exc)) from None
    plan = Plan(root=root, out_dir=out.resolve(), config=config, version=__version__,
                 fingerprint=settings_fingerprint(key, deid_options, layout, profile, __version__, pixels, recompress),
                 want_mapping=mapping_out is not None, show_paths=show_paths, timeout_s=float(timeout_s),
                 include_text=output.include_text, key_check=key_check_value(key), settings=settings, lock_fd=lock.fd,
                 run_id=f"run-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        check_out(plan.out_dir, resume, plan)
        _start(plan, key_out, key)
    except BatchUsageError:
        lock.abandon()
        raise
    try:
        return _run(plan, entries, src, out, resume, key_source, deid_options, profile, mapping_out, key_out,
                    pixels, workers, execution.progress, execution.executor, started)
    finally:
        lock.release()


def _start(plan: Plan, key_out: Path | None, key: bytes) -> None:
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


def _run(plan: Plan, entries: list[InputEntry], src: Path, out: Path, resume: bool, key_source: str,
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
        records = Records(plan, resume, key_source, deid_options, profile)
        committer = Committer(plan, records, summary)
        try:
            with executor.open() as session:
                summary.workers = _drive(plan, entries, committer, state, workers or default_workers(), progress,
                                         session)
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
