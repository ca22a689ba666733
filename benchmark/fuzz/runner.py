"""The fuzz run: seed corpus, supervised workers, hangs and crashes, the report.

``workers`` forked processes each take case after case (one process never serves just one file).
The supervisor gives each case ``timeout_s`` seconds: a worker that has not answered by then is killed
with its process group (a **hang**) and a fresh worker takes over; a worker that dies (a segfault in a
codec, killed for memory) is a **crash**. Each worker may be capped at ``memory_limit_mb`` of address
space beyond what it inherits at fork (:func:`.worker.limit_memory`), so that a file that makes the
engine allocate without bound fails with ``MemoryError`` (an unhandled exception) instead of taking the
machine down.
"""

from __future__ import annotations

import json
import multiprocessing.connection
import os
import resource
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from phiphantom.core.workers import Lost, SupervisedPool, Worker

from .cases import make_case
from .seeds import build_seeds
from .worker import FAILURES, OUTCOMES, WorkerSetup, crash_site, engine_plan, warm_up, worker_main


@dataclass(frozen=True)
class FuzzConfig:
    cases: int = 500
    seed: int = 0
    workers: int = 2
    timeout_s: float = 30.0
    header_only: bool = False          # the engine without pixel cleaning (default: pixels cleaned, as deid)
    policy: str = "strict"
    options: tuple[str, ...] = ()      # profile options, as deid --option
    memory_limit_mb: int = 4096
    only: tuple[int, ...] = ()         # run these case indices instead of 0..cases-1
    out: Path | None = None            # fuzz.json and cases/<index>.dcm of failing (or --case) cases
    save_cases: bool = True

    def indices(self) -> list[int]:
        return sorted(set(self.only)) if self.only else list(range(self.cases))


@dataclass
class FuzzReport:
    config: FuzzConfig
    seeds: list[str] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def outcomes(self) -> dict[str, int]:
        counts = Counter(r["outcome"] for r in self.results)
        return {name: counts.get(name, 0) for name in OUTCOMES}

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.results if r["outcome"] in FAILURES]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0

    def rejected_by_class(self) -> dict[str, int]:
        counts = Counter(f"{r.get('error_class')}: {r.get('message', '')}" for r in self.results
                         if r["outcome"] == "rejected")
        return dict(counts.most_common())

    def by_kind(self) -> dict[str, dict[str, int]]:
        table: dict[str, Counter] = {}
        for r in self.results:
            for kind in {m.split(":", 1)[0] for m in r.get("mutations", [])}:
                table.setdefault(kind, Counter())[r["outcome"]] += 1
        return {kind: dict(sorted(c.items())) for kind, c in sorted(table.items())}

    def grouped_failures(self) -> list[dict]:
        """Failures grouped by outcome and cause (exception and raising line, leaked marker, parse stage)."""
        groups: dict[tuple, dict] = {}
        for r in self.failures:
            crash = f"exit status {r['exit_code']}" if r.get("exit_code") is not None else ""
            cause = (r.get("exception") or r.get("error_class") or r.get("parse") or crash, r.get("where", ""),
                     ",".join(r.get("leaked", [])))
            key = (r["outcome"], *cause)
            group = groups.setdefault(key, {"outcome": r["outcome"], "cause": cause[0], "where": cause[1],
                                            "raised_at": r.get("raised_at", ""), "leaked": r.get("leaked", []),
                                            "count": 0, "cases": [], "mutations": Counter()})
            group["count"] += 1
            if len(group["cases"]) < 10:
                group["cases"].append(r["index"])
            group["mutations"].update({m.split(":", 1)[0] for m in r.get("mutations", [])})
        out = sorted(groups.values(), key=lambda g: -g["count"])
        for g in out:
            g["mutations"] = dict(g["mutations"].most_common())
        return out

    def to_dict(self) -> dict:
        c = self.config
        done = len(self.results)
        return {
            "seed": c.seed, "cases": done, "workers": c.workers, "timeout_s": c.timeout_s,
            "engine": "deid header only" if c.header_only else f"deid, pixels cleaned ({c.policy})",
            "options": list(c.options), "memory_limit_mb": c.memory_limit_mb,
            "seconds": round(self.seconds, 1), "cpu_seconds": round(self.cpu_seconds, 1),
            "files_per_s": round(done / self.seconds, 2) if self.seconds else None,
            "outcomes": self.outcomes, "failures": len(self.failures),
            "rejected_by_class": self.rejected_by_class(), "by_mutation": self.by_kind(),
            "failure_groups": self.grouped_failures(), "seed_files": self.seeds,
            "failing_cases": self.failures, "relocated_cases": [r for r in self.results if r["outcome"] == "relocated"],
        }


class _Supervisor:
    """The run's :class:`~phiphantom.core.workers.SupervisedPool`, one worker per :class:`WorkerSetup` (its slot:
    scratch folders and fault log, told to each worker when it starts and kept by its replacement), and what makes
    the record of a case whose worker was killed (a hang) or died (a crash): the case as the worker announced it
    (else rebuilt from (seed, index)), its exit status, where it crashed (its fault log, read before a replacement
    truncates it)."""

    def __init__(self, setups: list[WorkerSetup], timeout_s: float) -> None:
        self.setups, self.timeout_s = setups, timeout_s
        self.announced: list[dict] = [{} for _ in setups]  # per slot: the case in flight, as announced
        self.killed: dict[int, tuple[int, dict, int | None, dict]] = {}  # index -> slot, case, exit code, site
        self.pool = SupervisedPool(self.main, len(setups), timeout_s, name="phiphantom-fuzz-worker-{serial}",
                                   timeout_message=f"no answer after {timeout_s:g} s", daemon=True,
                                   ready=self.assign, lost=self.note_lost, interim=self.heard)

    def main(self, conn: multiprocessing.connection.Connection, parent_pid: int, serial: int) -> None:
        worker_main(conn, parent_pid, self.setups)

    def assign(self, worker: Worker) -> None:
        """Tell a fresh worker its slot (its first message)."""
        try:
            worker.conn.send(self.pool.workers.index(worker))
        except OSError:
            pass  # it died at once: sending it a case fails too, and the pool replaces it

    def heard(self, worker: Worker, message: tuple[str, dict]) -> bool:
        """``("case", description)``: the case is made, its result comes next; ``("done", record)``: the answer."""
        kind, payload = message
        slot = self.pool.workers.index(worker)
        self.announced[slot] = payload if kind == "case" else {}
        return kind == "case"

    def note_lost(self, worker: Worker) -> None:
        """A worker was killed (a hang, a crash, or a failed send between cases): note what its case's record needs."""
        slot = self.pool.workers.index(worker)
        described, self.announced[slot] = self.announced[slot], {}
        if worker.task is None:
            return
        if not described:  # killed before its announcement arrived: the case is the same bytes either way
            case = make_case(self.setups[slot].seeds, self.setups[slot].seed, worker.task)
            described = {"index": worker.task, "seed": case.seed_name, "mutations": case.mutations}
        self.killed[worker.task] = (slot, described, worker.process.exitcode, crash_site(self.setups[slot]))

    def cleanup(self, slot: int, index: int) -> None:
        """Keep the input of a case that hung or crashed its worker (when asked), remove its temporary files.
        A worker killed before it wrote the input leaves none: the input is rebuilt from (seed, index)."""
        setup = self.setups[slot]
        source = setup.input_path(index)
        if setup.save_dir is not None:
            if source.exists():
                os.replace(source, setup.save_dir / source.name)
            else:
                (setup.save_dir / source.name).write_bytes(make_case(setup.seeds, setup.seed, index).data)
        for leftover in (source, setup.plan.staging / f"{index}.part", setup.plan.staging / f"{index}.locate"):
            leftover.unlink(missing_ok=True)

    def run(self, indices: list[int], progress: Callable[[int, int], None] | None) -> Iterator[dict]:
        """Yield each case's record as it finishes."""
        done = 0
        for index, answer in self.pool.run((index,) for index in indices):
            if isinstance(answer, Lost):
                slot, described, exit_code, site = self.killed.pop(index)
                self.cleanup(slot, index)
                if answer.error_class == "Timeout":
                    result = {**described, "index": index, "outcome": "hang", "timeout_s": self.timeout_s}
                else:
                    result = {**described, "index": index, "outcome": "crash", "exit_code": exit_code, **site}
            else:
                result = answer[1]
            done += 1
            if progress is not None:
                progress(done, len(indices))
            yield result


def run_fuzz(config: FuzzConfig, progress: Callable[[int, int], None] | None = None) -> FuzzReport:
    """Fuzz the engine: ``config.cases`` mutated files (or the cases in ``config.only``); see the package doc."""
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    save_dir = None
    if config.out is not None:
        out = Path(config.out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise FileExistsError(f"the output folder is not empty: {out}")
        out.mkdir(parents=True, exist_ok=True)
        if config.save_cases:
            save_dir = out / "cases"
            save_dir.mkdir()
    scratch = Path(tempfile.mkdtemp(prefix="phiphantom-fuzz-"))
    report = FuzzReport(config)
    try:
        seeds = build_seeds(config.seed, scratch)
        report.seeds = [s.name for s in seeds]
        setups = []
        for number in range(max(1, config.workers)):
            plan = engine_plan(scratch / f"w{number}" / "in", scratch / f"w{number}" / "out", config.options,
                               config.header_only, config.policy, config.timeout_s)
            setups.append(WorkerSetup(seeds, config.seed, plan, config.memory_limit_mb, save_dir,
                                      save_all=bool(config.only)))
        warm_up(setups[0].plan)
        for result in _Supervisor(setups, config.timeout_s).run(config.indices(), progress):
            report.results.append(result)
        report.results.sort(key=lambda r: r["index"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report.cpu_seconds = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    report.seconds = time.perf_counter() - started
    if config.out is not None:
        text = json.dumps(report.to_dict(), indent=1, default=str) + "\n"
        (Path(config.out) / "fuzz.json").write_text(text, encoding="utf-8")
    return report
