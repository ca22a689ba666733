"""Run any engine over a dataset: worker processes, per-file timeouts, crash isolation.

:func:`run_engine` forks ``workers`` processes (``fork`` start method, so the
workers share the parent's ``sys.path`` and imported modules). Each worker
builds the engine from its spec (or uses the already-built engine object it
inherited), calls ``start`` once -- timed and reported as start-up, apart
from the per-file times -- then processes the files the supervisor sends it
over a pipe, one at a time.

* **Timeouts.** The supervisor waits ``timeout_s`` for each file. When it
  runs out, it kills the worker's whole process group (the worker and any
  tool it started), records ``error_class="Timeout"``, starts a fresh worker
  and goes on.
* **Crashes.** A worker that dies (segfault, ``os._exit``) gives
  ``error_class="WorkerCrashed"``; a fresh worker takes over.
* **Exceptions.** An exception in ``process_file`` gives its class name. Its
  message is dropped, because messages of arbitrary exceptions may quote
  values (PHI); only :class:`EngineError` messages (safe by contract) are
  kept, unless ``include_messages=True`` (``--include-phi``).
* **Private inputs.** Engines never get the dataset's files, except the
  oracle (:func:`~.engines.registry.reads_in_place`). A per-file engine gets a
  private copy of each input (``out_dir/.phiphantom-inputs/<pid>-<index>/<relpath>``, or the
  same under a private folder in memory, :func:`.private_inputs.memory_scratch`, when the machine
  has one with room; a reflink where the file system has them, deleted after the file); a
  per-folder engine a copy of the dataset's ``dicom/`` tree. An engine that
  writes to, replaces or deletes its input gets ``error_class="InputModified"``
  for that file and its output is dropped. Before and after each engine the
  dataset's input files are fingerprinted (:mod:`.private_inputs`); a file
  that changed anyway becomes ``DatasetModified`` and is listed in
  :attr:`EngineRun.dataset_modified`.
* **Only the oracle sees gt/.** The oracle's :class:`EngineContext` ``data_dir`` is the dataset root;
  every other engine's is the root of its private input copies (``.phiphantom-inputs``,
  :func:`engine_context`), which holds no ``gt/``, and no ``../gt`` next to its inputs leads to the
  dataset's ground truth (issue 17). An output or scratch folder inside the dataset folder is refused
  for them (:class:`EngineError`): from there ``../../gt`` would lead back to it.
* **Environment.** Workers run without ``$PHIPHANTOM_DEID_KEY`` unless their
  engine's ``worker_env()`` names it (the bundled engine's key, ephemeral or
  not, reaches only the bundled engine's workers). Their malloc keeps freed
  memory for the next file, as ``phiphantom deid``'s workers' does
  (:func:`~phiphantom.core.workers.keep_freed_memory`), whatever the engine:
  an in-process engine is timed as the command would run it.
* **No partial outputs.** The engine writes into a private staging folder
  (``out_dir/.phiphantom-staging/<pid>-<index>/<relpath>``); the worker moves
  the finished output to ``out_dir`` only on success, and the staging folder
  of a failed, timed-out or crashed file is deleted.
* **Output paths.** The output of ``relpath`` lands at ``out_dir/relpath``; an
  engine may return another path (e.g. a renamed file) in the same staging
  tree -- it is moved to the matching place under ``out_dir`` -- or already
  inside ``out_dir``; any other path is an ``OutputOutsideOutDir`` error.
* **Per-folder engines** (``per_folder = True``) get one ``process_folder``
  call over ``data_dir/dicom`` with a timeout of
  ``timeout_s * max(1, len(relpaths)) / workers``; a file is then ok when its
  output exists at the same relative path, else ``NoOutput``. Per-file
  seconds are the folder time divided evenly.

A start-up failure (the engine cannot be built or started in a worker, or
does not answer within ``startup_timeout_s``) raises :class:`EngineError`.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import pickle
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from phiphantom.core.executors import Executor, ExecutorSession, TaskFailed
from phiphantom.core.vocabulary import KEY_ENV
from phiphantom.core.workers import Lost, SupervisedPool, Worker, exit_message, keep_freed_memory, serve

from .engines.base import Detection, Engine, EngineContext, EngineError
from .engines.plugin import check_engine
from .engines.registry import build_engine, engine_label, reads_in_place, sees_ground_truth
from .private_inputs import changed, copy_tree, fingerprint, fingerprints, memory_scratch, private_copy

STAGING_DIRNAME = ".phiphantom-staging"
INPUTS_DIRNAME = ".phiphantom-inputs"
WITHHELD = "message withheld (it may hold PHI; --include-phi shows it)"
_MAX_MESSAGE = 2000


class NoOutput(EngineError):
    """The engine reported success but no output file exists."""


class OutputOutsideOutDir(EngineError):
    """The engine returned an output path outside the output folder."""


class InputModified(EngineError):
    """The engine wrote to, replaced or deleted its input (a private copy: the dataset is intact)."""


INPUT_MODIFIED = "the engine wrote to, replaced or deleted its input file (a private copy; the dataset is intact)"
DATASET_MODIFIED = "the dataset's input file changed while this engine ran"
OUT_INSIDE_DATASET = ("the results (or scratch) folder is inside the dataset folder, where an engine could "
                      "reach the dataset's gt/ from the paths it is given; choose a folder outside the dataset")


@dataclass
class FileOutcome:
    """What happened to one input file. ``error_class`` is None on success."""

    relpath: str                     # dataset-relative input path
    output_relpath: str | None       # output path relative to out_dir (None on failure)
    error_class: str | None = None   # "Timeout", "WorkerCrashed", "NoOutput", or an exception class name
    message: str = ""                # safe message (never PHI unless include_messages)
    seconds: float = 0.0             # process_file time (start-up excluded)
    detections: list[Detection] | None = None

    @property
    def ok(self) -> bool:
        return self.error_class is None


@dataclass
class EngineRun:
    """One engine over one dataset: outcomes in input order, start-up, wall time, peak memory."""

    spec: str
    description: dict
    outcomes: list[FileOutcome]
    startup_s: list[float] = field(default_factory=list)  # one per worker started (restarts included)
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    dataset_modified: list[str] = field(default_factory=list)  # dataset files that changed while it ran

    @property
    def files_failed(self) -> int:
        return sum(not outcome.ok for outcome in self.outcomes)


# -- worker side --------------------------------------------------------------


def _rss_mb() -> float:
    """Peak RSS of this process plus the largest of its finished subprocesses, in MB."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) * scale / (1024 * 1024)


def safe_message(exc: BaseException, include_messages: bool = False) -> str:
    """The message to record for ``exc``: only EngineError messages unless ``include_messages``."""
    if include_messages:
        text = str(exc)
        tail = getattr(exc, "stderr_tail", "")
        if tail:
            text = f"{text}\n{tail}"
        return text[:_MAX_MESSAGE]
    if isinstance(exc, EngineError):
        return str(exc)[:_MAX_MESSAGE]
    return WITHHELD


@dataclass
class _WorkerSetup:
    engine: str | Engine
    engine_kwargs: dict
    data_dir: Path
    out_dir: Path
    staging: Path
    work_dir: Path
    include_messages: bool
    env: dict = field(default_factory=dict, repr=False)  # what the engine's worker_env() says (its workers only)
    inputs: Path | None = None  # private input copies go here; None: the engine reads the dataset in place
    ground_truth: bool = False  # the oracle: its context's data_dir is the dataset root, gt/ included


def engine_context(setup: _WorkerSetup, work_dir: Path) -> EngineContext:
    """What ``start`` is told: the oracle gets the dataset root; any other engine a folder without ``gt/``
    (the root of its private input copies, or an empty ``inputs/`` in its scratch when it reads in place)."""
    if setup.ground_truth:
        return EngineContext(data_dir=setup.data_dir, work_dir=work_dir)
    view = setup.inputs if setup.inputs is not None else work_dir / "inputs"
    view.mkdir(parents=True, exist_ok=True)
    return EngineContext(data_dir=view, work_dir=work_dir)


def _move_into(produced: Path, stage: Path, out_dir: Path) -> str:
    """Move an output from the staging tree to ``out_dir``; return its relpath there."""
    produced = produced if produced.is_absolute() else stage / produced
    if not produced.is_file():
        raise NoOutput("the engine wrote no output file")
    resolved = produced.resolve()
    try:
        rel = resolved.relative_to(stage.resolve())
    except ValueError:
        try:
            return resolved.relative_to(out_dir.resolve()).as_posix()
        except ValueError:
            raise OutputOutsideOutDir("the engine returned an output path outside the output folder") from None
    final = out_dir / rel
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(resolved, final)
    return rel.as_posix()


def _do_file(engine: Engine, setup: _WorkerSetup, index: int, relpath: str) -> tuple:
    stage = setup.staging / f"{os.getpid()}-{index}"
    dst = stage / relpath
    src, copy, copied = setup.data_dir / relpath, None, None
    started = time.perf_counter()
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        if setup.inputs is not None:
            copy = setup.inputs / f"{os.getpid()}-{index}"
            src = copy / relpath
            copied = private_copy(setup.data_dir / relpath, src)
            started = time.perf_counter()  # the copy is not the engine's time
        result = engine.process_file(src, dst)
        seconds = time.perf_counter() - started
        if copied is not None and fingerprint(src) != copied:
            raise InputModified(INPUT_MODIFIED)
        produced = Path(result.output_path) if result is not None and result.output_path else dst
        output_relpath = _move_into(produced, stage, setup.out_dir)
        detections = list(result.detections) if result is not None and result.detections is not None else None
        return ("done", index, output_relpath, None, "", seconds, detections, _rss_mb())
    except Exception as exc:
        seconds = time.perf_counter() - started
        failure: Exception = exc
        if copied is not None and fingerprint(src) != copied:  # a damaged input outranks whatever followed
            failure = InputModified(INPUT_MODIFIED)
        return ("done", index, None, type(failure).__name__, safe_message(failure, setup.include_messages),
                seconds, None, _rss_mb())
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)


def _do_folder(engine: Engine, setup: _WorkerSetup, relpaths: list[str]) -> tuple:
    """Run a per-folder engine; the answer also lists the inputs it modified (private copies only)."""
    stage = setup.staging / f"{os.getpid()}-folder"
    src_dir, copy = setup.data_dir / "dicom", None
    copies: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        (stage / "dicom").mkdir(parents=True, exist_ok=True)
        if setup.inputs is not None:
            copy = setup.inputs / f"{os.getpid()}-folder"
            copies = copy_tree(setup.data_dir, [r for r in relpaths if r.startswith("dicom/")], copy)
            src_dir = copy / "dicom"
            src_dir.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()  # the copy is not the engine's time
        cast(Any, engine).process_folder(src_dir, stage / "dicom")  # per-folder engines have it
        seconds = time.perf_counter() - started
        modified = changed(copy, copies) if copy is not None else []
        for produced in sorted(p for p in stage.rglob("*") if p.is_file()):
            if produced.relative_to(stage).as_posix() not in modified:  # outputs of modified inputs are dropped
                _move_into(produced, stage, setup.out_dir)
        return ("folder", None, "", seconds, _rss_mb(), modified)
    except Exception as exc:
        seconds = time.perf_counter() - started
        modified = changed(copy, copies) if copy is not None else []
        return ("folder", type(exc).__name__, safe_message(exc, setup.include_messages), seconds, _rss_mb(),
                modified)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)


def _worker_main(conn: multiprocessing.connection.Connection, setup: _WorkerSetup, parent_pid: int) -> None:
    """Build and start the engine, then answer tasks until told to stop or orphaned (in its own process group)."""
    os.environ.pop(KEY_ENV, None)  # the de-identification key only reaches engines that ask for it ...
    os.environ.update(setup.env)   # ... through worker_env() (this process serves this engine only)
    keep_freed_memory()  # as `phiphantom deid`'s workers: each engine is timed as the command would run it
    started = time.perf_counter()
    try:
        engine = setup.engine
        if isinstance(engine, str):
            engine = build_engine(engine, **setup.engine_kwargs)
        setup.work_dir.mkdir(parents=True, exist_ok=True)
        engine.start(engine_context(setup, setup.work_dir))
    except Exception as exc:
        conn.send(("start_failed", type(exc).__name__, safe_message(exc, setup.include_messages)))
        return
    conn.send(("ready", time.perf_counter() - started, _rss_mb()))

    def handle(task):
        answer = _do_folder(engine, setup, task[1]) if task[0] == "folder" else _do_file(engine, setup, *task)
        try:
            pickle.dumps(answer)
        except (TypeError, AttributeError, ValueError, RecursionError, ImportError, pickle.PicklingError):
            answer = answer[:6] + (None,) + answer[7:]  # detections the pipe cannot carry are dropped
        return answer

    serve(conn, parent_pid, handle)


# -- supervisor side ----------------------------------------------------------


class _Engines:
    """The pool's hooks for one engine: each worker's start-up handshake, scratch clean-up, and the
    start-up times and peak memory its workers report."""

    def __init__(self, setup: _WorkerSetup, startup_timeout_s: float) -> None:
        self.setup = setup
        self.startup_timeout_s = startup_timeout_s
        self.startup_s: list[float] = []
        self.peak_rss_mb = 0.0

    def pool(self, size: int, timeout_s: float) -> SupervisedPool:
        return SupervisedPool(self.main, size, timeout_s, timeout_message=f"no output after {timeout_s:g} s",
                              name="phiphantom-engine-{serial}", daemon=False, ready=self.await_ready,
                              lost=self.drop_scratch,
                              stillborn_message="fresh engine workers die before their first file")

    def main(self, conn: multiprocessing.connection.Connection, parent_pid: int, serial: int) -> None:
        _worker_main(conn, replace(self.setup, work_dir=self.setup.work_dir / f"worker-{serial}"), parent_pid)

    def await_ready(self, worker: Worker) -> None:
        try:
            if not worker.conn.poll(self.startup_timeout_s):
                worker.kill()
                raise EngineError(f"the engine did not start within {self.startup_timeout_s:g} s")
            message = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(5)
            text = exit_message(worker.process)
            worker.kill()
            raise EngineError(f"the engine could not start: {text}") from None
        if message[0] == "start_failed":
            worker.stop()
            raise EngineError(f"the engine could not start: {message[1]}: {message[2]}")
        self.startup_s.append(float(message[1]))
        self.note_rss(message[2])

    def drop_scratch(self, worker: Worker) -> None:
        """Delete a killed worker's staging and private input copies."""
        names = [f"{worker.pid}-folder"] + ([f"{worker.pid}-{worker.task}"] if worker.task is not None else [])
        for root in (self.setup.staging, self.setup.inputs):
            for name in names:
                if root is not None:
                    shutil.rmtree(root / name, ignore_errors=True)

    def note_rss(self, mb: float) -> None:
        self.peak_rss_mb = max(self.peak_rss_mb, float(mb))


def _describe(engine: Engine) -> dict:
    try:
        description = engine.describe()
        return dict(description) if isinstance(description, dict) else {"description": str(description)}
    except Exception as exc:
        return {"name": engine_label(engine), "describe_error": type(exc).__name__}


def run_engine(
    spec: str | Engine,
    data_dir: Path,
    relpaths: list[str],
    out_dir: Path,
    workers: int = 1,
    timeout_s: float = 120,
    progress: Callable[[int, int], None] | None = None,
    engine_kwargs: dict | None = None,
    *,
    include_messages: bool = False,
    startup_timeout_s: float | None = None,
    work_dir: Path | None = None,
    session: ExecutorSession | None = None,
    private_inputs: bool | None = None,
) -> EngineRun:
    """Run the engine ``spec`` (or an already-built engine) over ``relpaths`` of ``data_dir``.

    Outputs go to ``out_dir / relpath`` (or where the engine put them inside
    ``out_dir``). Returns outcomes in input order. ``startup_timeout_s``
    (default ``max(60, timeout_s)``) bounds each worker's build + start;
    ``work_dir`` (default: a temporary folder, deleted afterwards) holds a
    private scratch folder per worker. See the module docstring.

    ``session`` (an open executor, :meth:`~phiphantom.core.executors.Executor.open`) with Dask runs
    per-file engines given by spec as one Dask task per file instead (:func:`_run_files`); per-folder
    engines and engine objects always run on the local pool.

    ``private_inputs`` (default: every engine but the oracle, :func:`reads_in_place`)
    hands the engine private copies of its inputs instead of the dataset's files. Only the oracle
    (:func:`sees_ground_truth`) is told the dataset root as ``EngineContext.data_dir``.
    """
    data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir).resolve()  # workers may run elsewhere (cwd, Dask)
    engine_kwargs = dict(engine_kwargs or {})
    probe = build_engine(spec, **engine_kwargs) if isinstance(spec, str) else spec
    if not isinstance(spec, str):
        check_engine(probe, "the engine object")
    if not sees_ground_truth(probe):
        for folder in (out_dir, work_dir):
            if folder is not None and Path(folder).resolve().is_relative_to(data_dir):
                raise EngineError(OUT_INSIDE_DATASET)
    description = _describe(probe)
    label = engine_label(spec)
    relpaths = [str(relpath) for relpath in relpaths]
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / STAGING_DIRNAME
    scratch = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="phiphantom-engine-"))
    worker_env = getattr(probe, "worker_env", None)
    private = not reads_in_place(probe) if private_inputs is None else private_inputs
    before = fingerprints(data_dir, relpaths)
    pool_size = max(1, min(workers, len(relpaths)))
    # a per-file engine's copies (one file a worker at a time) go to memory when the machine has room for
    # them, on the local pool (a Dask task may run on another machine)
    memory = (memory_scratch(pool_size * max((fp[1] for fp in before.values() if fp), default=0))
              if private and not probe.per_folder and not _on_dask(session, spec) else None)
    inputs = (memory or out_dir) / INPUTS_DIRNAME if private else None
    setup = _WorkerSetup(spec, engine_kwargs, data_dir, out_dir, staging, scratch, include_messages,
                         dict(worker_env()) if callable(worker_env) else {}, inputs,
                         ground_truth=sees_ground_truth(probe))
    engines = _Engines(setup, startup_timeout_s if startup_timeout_s is not None else max(60.0, timeout_s))
    pool = engines.pool(pool_size, timeout_s)  # starts no worker yet: that happens inside the try below
    started = time.perf_counter()
    try:
        if not relpaths:
            outcomes: list[FileOutcome] = []
        elif probe.per_folder:
            outcomes = _run_folder(pool, engines, relpaths, out_dir,
                                   timeout_s * max(1, len(relpaths)) / max(1, workers), progress)
        else:
            files_session = session if session is not None and _on_dask(session, spec) else ExecutorSession(Executor())
            outcomes = _run_files(files_session, pool, setup, engines, relpaths, progress)
    finally:
        pool.close()
        shutil.rmtree(staging, ignore_errors=True)
        if inputs is not None:
            shutil.rmtree(inputs, ignore_errors=True)
        if memory is not None:
            shutil.rmtree(memory, ignore_errors=True)
        if work_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)
    wall_s = time.perf_counter() - started
    modified = changed(data_dir, before)
    if modified:  # only an engine that went around its private copies (or a built-in's bug) gets here
        gone = set(modified)
        outcomes = [FileOutcome(o.relpath, None, "DatasetModified", DATASET_MODIFIED, o.seconds)
                    if o.relpath in gone else o for o in outcomes]
    return EngineRun(spec=label, description=description, outcomes=outcomes, startup_s=engines.startup_s,
                     wall_s=wall_s, peak_rss_mb=engines.peak_rss_mb, dataset_modified=modified)


def _on_dask(session: ExecutorSession | None, spec: str | Engine) -> bool:
    """Whether a per-file engine's files go to a Dask cluster: an engine given by spec on a session with a
    client (an engine object, and every local session, runs on the local pool)."""
    return session is not None and session.client is not None and isinstance(spec, str)


_DASK_ENGINES: dict[tuple, tuple[Engine | None, str, str, float]] = {}  # per Dask worker process


def _dask_engine(setup: _WorkerSetup) -> tuple[Engine | None, str, str, float | None]:
    """This worker process's started engine (built on its first file): engine, error class, message, start-up s."""
    key = (setup.engine, repr(sorted(setup.engine_kwargs.items())), str(setup.work_dir))
    if key in _DASK_ENGINES:
        engine, error_class, message, _ = _DASK_ENGINES[key]
        return engine, error_class, message, None
    started = time.perf_counter()
    entry: tuple[Engine | None, str, str, float]
    saved = {name: os.environ.get(name) for name in setup.env}
    try:
        os.environ.update(setup.env)  # while this engine is built and started only: the Dask worker is shared
        engine = build_engine(cast(str, setup.engine), **setup.engine_kwargs)  # Dask runs engines given by spec
        work = setup.work_dir / f"dask-{os.getpid()}"
        work.mkdir(parents=True, exist_ok=True)
        engine.start(engine_context(setup, work))
        entry = (engine, "", "", time.perf_counter() - started)
    except Exception as exc:
        entry = (None, type(exc).__name__, safe_message(exc, setup.include_messages), time.perf_counter() - started)
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    _DASK_ENGINES[key] = entry
    return entry


def _dask_file_task(task: tuple[int, str], setup: _WorkerSetup) -> tuple[tuple, float | None]:
    """One file on a Dask worker: the same answer as a local worker's, plus start-up seconds on a first file."""
    index, relpath = task
    engine, error_class, message, startup_s = _dask_engine(setup)
    if engine is None:
        return ("done", index, None, error_class or "EngineStartFailed", message, 0.0, None, _rss_mb()), startup_s
    return _do_file(engine, setup, index, relpath), startup_s


def _run_files(session: ExecutorSession, pool: SupervisedPool, setup: _WorkerSetup, engines: _Engines,
               relpaths: list[str], progress: Callable[[int, int], None] | None) -> list[FileOutcome]:
    """Per-file tasks on the supervised pool, or one per Dask task. No per-file timeout on Dask (it cannot stop
    a running task); a Dask worker that dies is retried by Dask and, past its retry limit, gives WorkerCrashed."""

    def local(tasks: list[tuple[int, str]]) -> Iterator[tuple[int, Any]]:
        for index, answer in pool.run(tasks):  # a local worker reported its start-up when it was ready
            yield index, answer if isinstance(answer, Lost) else (answer, None)

    total = len(relpaths)
    outcomes: list[FileOutcome | None] = [None] * total
    answers = session.map(_dask_file_task, list(enumerate(relpaths)), local=local, setup=setup)
    for done, (index, answer) in enumerate(answers, 1):
        if isinstance(answer, TaskFailed):  # the cluster gave up on this file (its workers kept dying)
            outcomes[index] = FileOutcome(relpaths[index], None, "WorkerCrashed",
                                          f"the Dask task failed ({answer.error_class})", 0.0)
        elif isinstance(answer, Lost):
            outcomes[index] = FileOutcome(relpaths[index], None, answer.error_class, answer.message, answer.seconds)
        else:
            (_, _, output_relpath, error_class, message, seconds, detections, rss), startup_s = answer
            outcomes[index] = FileOutcome(relpaths[index], output_relpath, error_class, message, seconds, detections)
            engines.note_rss(rss)
            if startup_s is not None:
                engines.startup_s.append(startup_s)
        if progress is not None:
            progress(done, total)
    return [outcome for outcome in outcomes if outcome is not None]


def _run_folder(pool: SupervisedPool, engines: _Engines, relpaths: list[str], out_dir: Path, timeout_s: float,
                progress: Callable[[int, int], None] | None) -> list[FileOutcome]:
    pool.start(1)
    answer = pool.ask(("folder", relpaths), timeout_s, f"no output after {timeout_s:g} s")
    if isinstance(answer, Lost):
        error_class, message, seconds, modified = answer.error_class, answer.message, answer.seconds, []
    else:
        _, error_class, message, seconds, rss, modified = answer
        engines.note_rss(rss)
    per_file = seconds / len(relpaths)
    inputs_modified = set(modified)
    outcomes = []
    for done, relpath in enumerate(relpaths, 1):
        if relpath in inputs_modified:
            outcomes.append(FileOutcome(relpath, None, "InputModified", INPUT_MODIFIED, per_file))
        elif error_class is not None:
            outcomes.append(FileOutcome(relpath, None, error_class, message, per_file))
        elif (out_dir / relpath).is_file():
            outcomes.append(FileOutcome(relpath, relpath, None, "", per_file))
        else:
            outcomes.append(FileOutcome(relpath, None, "NoOutput", "no output at the input's relative path", per_file))
        if progress is not None:
            progress(done, len(relpaths))
    return outcomes
