"""The fuzz run: seed corpus, supervised workers, hangs and crashes, the report.

``workers`` forked processes each take case after case (one process never serves just one file).
The supervisor gives each case ``timeout_s`` seconds: a worker that has not answered by then is killed
with its process group (a **hang**) and a fresh worker takes over; a worker that dies (a segfault in a
codec, killed for memory) is a **crash**. Each worker may be capped at ``memory_limit_mb`` of address
space, so that a file that makes the engine allocate without bound fails with ``MemoryError`` (an
unhandled exception) instead of taking the machine down.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import shutil
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from phiphantom.core.workers import Worker

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


@dataclass(eq=False)
class _Slot(Worker):
    """A worker (its process, pipe, the case it works on and when that case times out; killed and stopped with
    its process group as every supervised worker is) and the description of its case."""

    described: dict = field(default_factory=dict)

    @property
    def case(self) -> int:
        """The index of the case in flight (asked only of a busy worker)."""
        assert self.task is not None
        return self.task


def _supervise(setups: list[WorkerSetup], indices: Iterable[int], timeout_s: float,
               progress: Callable[[int, int], None] | None) -> Iterable[dict]:
    context = multiprocessing.get_context("fork")
    pending = deque(indices)
    total = len(pending)

    def spawn(number: int) -> _Slot:
        parent_end, child_end = context.Pipe(duplex=True)
        process = context.Process(target=worker_main, args=(child_end, parent_end, setups[number], os.getpid()),
                                  name=f"phiphantom-fuzz-worker-{number}", daemon=True)
        process.start()
        child_end.close()
        return _Slot(process, parent_end)

    def described(number: int, slot: _Slot) -> dict:
        """The case a killed worker was on: as it announced it, else rebuilt from (seed, index) (a worker can
        be killed before its announcement arrives: the case is the same bytes either way)."""
        if slot.described:
            return slot.described
        case = make_case(setups[number].seeds, setups[number].seed, slot.case)
        return {"index": slot.task, "seed": case.seed_name, "mutations": case.mutations}

    def cleanup(number: int, index: int) -> None:
        """Keep the input of a case that hung or crashed its worker (when asked), remove its temporary files.
        A worker killed before it wrote the input leaves none: the input is rebuilt from (seed, index)."""
        setup = setups[number]
        source = setup.input_path(index)
        if setup.save_dir is not None:
            if source.exists():
                os.replace(source, setup.save_dir / source.name)
            else:
                (setup.save_dir / source.name).write_bytes(make_case(setup.seeds, setup.seed, index).data)
        for leftover in (source, setup.plan.staging / f"{index}.part", setup.plan.staging / f"{index}.locate"):
            leftover.unlink(missing_ok=True)

    slots = [spawn(n) for n in range(min(len(setups), max(1, total)))]
    done = 0
    try:
        while True:
            for slot in slots:
                if slot.task is None and pending:
                    index = pending.popleft()
                    try:
                        slot.conn.send(index)
                    except OSError:
                        pending.appendleft(index)
                        number = slots.index(slot)
                        slot.kill()
                        slots[number] = spawn(number)
                        continue
                    slot.task, slot.deadline = index, time.monotonic() + timeout_s
            busy = [s for s in slots if s.task is not None]
            if not busy:
                return
            wait_s = max(0.0, min(s.deadline for s in busy) - time.monotonic())
            ready = multiprocessing.connection.wait([s.conn for s in busy], timeout=wait_s)
            for slot in busy:
                number = slots.index(slot)
                if slot.conn in ready:
                    try:
                        kind, result = slot.conn.recv()
                    except (EOFError, OSError):
                        slot.process.join(5)
                        result = {**described(number, slot), "index": slot.task, "outcome": "crash",
                                  "exit_code": slot.process.exitcode, **crash_site(setups[number])}
                        slot.kill()
                        cleanup(number, slot.case)
                        slots[number] = spawn(number)
                    else:
                        if kind == "case":  # the case is made; its result comes next
                            slot.described = result
                            continue
                        slot.task, slot.described = None, {}
                elif time.monotonic() >= slot.deadline:
                    result = {**described(number, slot), "index": slot.task, "outcome": "hang", "timeout_s": timeout_s}
                    slot.kill()
                    cleanup(number, slot.case)
                    slots[number] = spawn(number)
                else:
                    continue
                done += 1
                if progress is not None:
                    progress(done, total)
                yield result
    finally:
        for slot in slots:
            if slot.task is not None:
                slot.kill()
            else:
                slot.stop()


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
        for result in _supervise(setups, config.indices(), config.timeout_s, progress):
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
