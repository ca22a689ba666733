"""One fuzz case in a worker process: make it, run the batch runner's per-file path on it, judge the output.

The engine runs exactly as ``phiphantom deid`` runs it on each file: :func:`phiphantom.deid.batch.process_one`
(structure check, DICOMDIR refusal, header and pixel de-identification, meta rebuild, the encoded output
re-read and checked before it is written to the staging folder). Its answer is then judged:

``ok``             the output parses and decodes (:func:`.oracle.parse_failure`) and holds no marker
``rejected``       the engine refused the file with a clear error (a ``DeidError`` or ``FileRejected`` class,
                   its safe message kept)
``unhandled``      any other exception (the batch runner withholds its message): the raising line of the
                   engine and of the library are recorded (file:line function, never a value)
``parse_failure``  the engine called the output ok but it does not parse or decode
``leak``           the output holds an injected marker
``relocated``      it holds a marker that the mutation moved into an element the profile keeps (not counted
                   as a leak; listed)

Hangs and crashes are judged by the supervisor (:mod:`.runner`).
"""

from __future__ import annotations

import dataclasses
import faulthandler
import logging
import os
import re
import resource
import time
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from phiphantom.core.workers import serve

from .cases import make_case
from .oracle import leaks, parse_failure, relocated
from .seeds import Seed

if TYPE_CHECKING:
    from phiphantom.benchmark.engines.bundled import BatchPlan

OUTCOMES = ("ok", "rejected", "unhandled", "hang", "crash", "parse_failure", "leak", "relocated", "fuzzer_error")
FAILURES = ("unhandled", "hang", "crash", "parse_failure", "leak", "fuzzer_error")
_REPO = str(Path(__file__).resolve().parents[2])


@dataclass
class WorkerSetup:
    """What a worker inherits through fork."""

    seeds: list[Seed]
    seed: int
    plan: BatchPlan               # the batch runner's plan, for this worker's scratch folders
    memory_limit_mb: int = 0      # RLIMIT_AS per worker (0: none)
    save_dir: Path | None = None  # where the input of a failing case is kept (cases/N.dcm)
    save_all: bool = False        # keep every case's input (cases asked for by index)

    def input_path(self, index: int) -> Path:
        return Path(self.plan.root) / f"{index}.dcm"

    @property
    def fault_log(self) -> Path:
        """Where the worker's Python stack goes if it is killed by a signal (faulthandler)."""
        return Path(self.plan.root).parent / "faults.log"


def crash_site(setup: WorkerSetup) -> dict:
    """Where a crashed worker was (deepest project frame, deepest frame), from its faulthandler log."""
    try:
        text = setup.fault_log.read_text(errors="replace")
    except OSError:
        return {}
    frames = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', text)  # most recent call first
    if not frames:
        return {}
    shown = [(_shown(name), line, func, name) for name, line, func in frames]
    ours = next((f"{s}:{line} {func}" for s, line, func, name in shown
                 if name.startswith(_REPO) and "site-packages" not in name), "")
    first = shown[0]
    return {"where": ours, "raised_at": f"{first[0]}:{first[1]} {first[2]}"}


def _shown(name: str) -> str:
    return os.path.relpath(name, _REPO) if name.startswith(_REPO) else name.split("site-packages/")[-1]


def engine_plan(root: Path, out_dir: Path, options: tuple[str, ...] = (), header_only: bool = False,
                policy: str = "strict", timeout_s: float = 30.0):
    """The batch runner's plan for a run with ``deid``'s defaults (layout, pixel settings), an ephemeral key."""
    from phiphantom.benchmark.engines.bundled import DeidConfig, DeidOptions, PixelConfig, deid_batch_module
    from phiphantom.core import __version__

    batch = deid_batch_module()

    layout = batch.OutputSettings().layout
    pixels = None if header_only else PixelConfig(policy=policy)
    config = DeidConfig(key=os.urandom(32), options=DeidOptions(options=frozenset(options)), layout=layout,
                        key_source="ephemeral (fuzz)", pixels=pixels)
    known = dict(root=root, out_dir=out_dir, config=config, version=__version__, fingerprint="fuzz",
                 want_mapping=False, timeout_s=float(timeout_s))
    values = {}
    for f in dataclasses.fields(batch.Plan):
        if f.name in known:
            values[f.name] = known[f.name]
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = False  # a flag added to the plan later (e.g. show/redact paths): off
    return batch.Plan(**values)


def warm_up(plan) -> None:
    """Load the OCR engine once before the workers fork (as ``deid`` does)."""
    from phiphantom.benchmark.engines.bundled import deid_batch_module

    batch = deid_batch_module()

    check = getattr(batch, "check_pixel_tools", None)
    if check is not None and plan.config.pixels is not None:
        check(plan.config.pixels)


def quiet() -> None:
    """No warnings, log lines or codec chatter on stderr ("Corrupt JPEG data...") from a worker."""
    warnings.simplefilter("ignore")
    logging.getLogger("pydicom").disabled = True
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def address_space() -> int:
    """Bytes of address space this process holds now (Linux ``/proc/self/statm``; 0 where unknown)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def limit_memory(megabytes: int) -> None:
    """Cap the address space this worker may *add* to what it holds when it starts at ``megabytes`` MB.

    Relative, not absolute: a forked worker inherits its parent's mappings, and a parent that has loaded
    torch (a recognizer, another test) maps several GB of address space it never touches, which under an
    absolute 4 GB cap left a worker no room for one file."""
    if megabytes > 0:
        limit = address_space() + (megabytes << 20)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass


def _where(exc: BaseException) -> tuple[str, str]:
    """(deepest frame in this project, deepest frame anywhere) as ``path:line function``."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours, anywhere = "", ""
    for frame in frames:
        name = frame.filename
        text = f"{_shown(name)}:{frame.lineno} {frame.name}"
        anywhere = text
        if name.startswith(_REPO) and "site-packages" not in name and "/benchmark/fuzz/" not in name:
            ours = text
    return ours, anywhere


def locate(plan, data: bytes, tmp: Path) -> dict:
    """Run the engine again in this process to find where an unhandled exception comes from."""
    from phiphantom.benchmark.engines.bundled import deid_batch_module, deidentify_file

    batch = deid_batch_module()

    try:
        deid = deidentify_file(data, plan.config, plan.version)
        batch.write_verified(deid.dataset, tmp)
    except Exception as exc:  # noqa: BLE001 - the point is to see it
        ours, anywhere = _where(exc)
        return {"exception": type(exc).__name__, "where": ours, "raised_at": anywhere}
    finally:
        tmp.unlink(missing_ok=True)
    return {"where": "not reproduced in a second run"}


def run_case(setup: WorkerSetup, index: int, announce) -> dict:
    """:func:`judge_case`, with a failure of the fuzzer itself reported as ``fuzzer_error`` (never a crash)."""
    started = time.perf_counter()
    try:
        record = judge_case(setup, index, announce)
    except Exception as exc:  # noqa: BLE001 - a bug of the fuzzer, not of the engine: say so
        ours, anywhere = _where(exc)
        record = {"index": index, "outcome": "fuzzer_error", "exception": type(exc).__name__, "where": anywhere,
                  "seconds": round(time.perf_counter() - started, 4)}
    source = setup.input_path(index)
    if setup.save_dir is not None and (setup.save_all or record["outcome"] in FAILURES) and source.exists():
        os.replace(source, setup.save_dir / source.name)
    source.unlink(missing_ok=True)
    return record


def judge_case(setup: WorkerSetup, index: int, announce=lambda description: None) -> dict:
    """Make case ``index``, de-identify it through the batch runner's per-file path, judge the result.
    ``announce`` gets the case's description before the engine runs (the supervisor's record of a hang)."""
    from phiphantom.benchmark.engines.bundled import deid_batch_module

    batch = deid_batch_module()

    started = time.perf_counter()
    case = make_case(setup.seeds, setup.seed, index)
    record: dict = {"index": index, "seed": case.seed_name, "mutations": case.mutations}
    announce(dict(record))
    plan = setup.plan
    relpath = f"{index}.dcm"
    setup.input_path(index).write_bytes(case.data)
    result = batch.process_one(plan, index, relpath, None)
    if result.get("status") == "ok":
        tmp = Path(result["tmp"])
        try:
            output = tmp.read_bytes()
        finally:
            tmp.unlink(missing_ok=True)
        found = leaks(output)
        failure = parse_failure(output)
        if found:
            record.update(outcome="relocated" if relocated(case.data, output) else "leak", leaked=found)
        elif failure:
            record.update(outcome="parse_failure", parse=failure)
        else:
            record.update(outcome="ok")
        if failure and found:
            record["parse"] = failure
    else:
        error_class, message = str(result.get("error_class", "")), str(result.get("message", ""))
        record.update(error_class=error_class)
        if message.startswith(batch.WITHHELD):
            record.update(outcome="unhandled", **locate(plan, case.data, plan.staging / f"{index}.locate"))
        else:
            record.update(outcome="rejected", message=message)
    record["seconds"] = round(time.perf_counter() - started, 4)
    return record


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when the supervisor dies (even mid-case, even if it was killed)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def worker_main(conn: Connection, parent_pid: int, setups: Sequence[WorkerSetup]) -> None:
    """A worker of the supervisor's pool (already in its own process group): first its slot's number (which of
    ``setups`` it uses), then case indices (``(index,)``) until told to stop (None) or orphaned, answered
    ``("case", description)`` when a case is made, then ``("done", record)``."""
    _die_with_parent()
    if os.getppid() != parent_pid:
        return
    while not conn.poll(1.0):
        if os.getppid() != parent_pid:
            return
    try:
        setup = setups[conn.recv()]
    except (EOFError, OSError):
        return
    quiet()
    Path(setup.plan.root).mkdir(parents=True, exist_ok=True)
    setup.plan.staging.mkdir(parents=True, exist_ok=True)
    faulthandler.enable(file=open(setup.fault_log, "w"))  # noqa: SIM115 - open for the worker's life
    limit_memory(setup.memory_limit_mb)
    serve(conn, parent_pid,
          lambda task: ("done", run_case(setup, task[0], lambda description: conn.send(("case", description)))))
