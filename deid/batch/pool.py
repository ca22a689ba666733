"""The supervised worker pool of a ``phiphantom deid`` run: forked workers behind pipes (a crash or a
timeout costs only the file in flight), or one task per file on a Dask cluster.

See "Workers" in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
import warnings
from collections import deque
from typing import Iterable, Iterator

from phiphantom.core.workers import Worker, keep_freed_memory, own_process_group, serve

from .outputs import unlink_quietly
from .plan import Plan
from .process import process_one


def _quiet() -> None:
    """No warnings or log lines from a worker: pydicom's may quote element values."""
    warnings.simplefilter("ignore")
    logging.getLogger("pydicom").disabled = True


def _worker_main(conn, other_end, plan: Plan, parent_pid: int) -> None:
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

    def __init__(self, plan: Plan, size: int) -> None:
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
        unlink_quietly(self.plan.staging / f"{worker.task}.part")
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
                unlink_quietly(self.plan.staging / f"{worker.task}.part")
            else:
                worker.stop()
        self.workers = []


def _dask_task(task: tuple[int, str, dict | None], plan: Plan) -> tuple[int, dict]:
    """One file on a Dask worker: the same result as a local worker's."""
    _quiet()
    return task[0], process_one(plan, *task)


def dask_results(client, plan: Plan, tasks: list) -> Iterator[tuple[int, dict]]:
    """Results from the Dask cluster as they finish; a task the cluster gave up on is an error row."""
    from phiphantom.core.executors import TaskFailed, map_tasks

    for position, answer in map_tasks(client, _dask_task, tasks, plan=plan):
        if isinstance(answer, TaskFailed):
            yield tasks[position][0], {"status": "error", "input_sha256": None, "error_class": "WorkerCrashed",
                                       "message": f"the Dask task failed ({answer.error_class})"}
        else:
            yield answer
