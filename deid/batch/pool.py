"""The supervised worker pool of a ``phiphantom deid`` run: :class:`~phiphantom.core.workers.SupervisedPool`
with the deid worker (a crash or a timeout costs only the file in flight), or one task per file on a Dask cluster.

See "Workers" in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing.connection
import os
import warnings
from collections.abc import Iterable, Iterator

from phiphantom.core.executors import ExecutorSession, TaskFailed
from phiphantom.core.workers import Lost, SupervisedPool, Worker, keep_freed_memory, serve

from .outputs import unlink_quietly
from .plan import Plan
from .process import process_one


def _quiet() -> None:
    """No warnings or log lines from a worker: pydicom's may quote element values."""
    warnings.simplefilter("ignore")
    logging.getLogger("pydicom").disabled = True


def _worker_main(conn: multiprocessing.connection.Connection, plan: Plan, parent_pid: int) -> None:
    """Answer tasks ``(index, relpath, record)`` until told to stop (None) or orphaned (in its own process group:
    Ctrl-C reaches the supervisor only; it stops the workers itself)."""
    if plan.lock_fd >= 0:  # only the supervisor holds OUT's lock: it dies with the supervisor
        with contextlib.suppress(OSError):
            os.close(plan.lock_fd)
    keep_freed_memory()
    _quiet()
    serve(conn, parent_pid, lambda task: process_one(plan, *task))


class WorkerPool(SupervisedPool):
    """The run's forked workers: two tasks per worker (the one it works on and the next, sent already so
    that it never waits while the supervisor commits the previous file); a timed-out or crashed file
    loses its ``.part`` file and becomes an error row; the files queued behind it run again first."""

    def __init__(self, plan: Plan, size: int) -> None:
        super().__init__(self._main, size, plan.timeout_s, timeout_message=f"no result within {plan.timeout_s:g} s",
                         depth=2, name="phiphantom-deid-worker", daemon=True, lost=self._drop_part,
                         stillborn_message="fresh de-identification workers die before their first file")
        self.plan = plan

    def _main(self, conn: multiprocessing.connection.Connection, parent_pid: int, serial: int) -> None:
        _worker_main(conn, self.plan, parent_pid)

    def _drop_part(self, worker: Worker) -> None:
        unlink_quietly(self.plan.staging / f"{worker.task}.part")

    def run(self, tasks: Iterable[tuple]) -> Iterator[tuple[int, dict]]:
        """Yield ``(index, result)`` as files finish (any order); workers are stopped at the end."""
        for index, answer in super().run(tasks):
            if isinstance(answer, Lost):
                answer = {"status": "error", "input_sha256": None, "error_class": answer.error_class,
                          "message": answer.message}
            yield index, answer


def _dask_task(task: tuple[int, str, dict | None], plan: Plan) -> dict:
    """One file on a Dask worker: the same result as a local worker's."""
    _quiet()
    return process_one(plan, *task)


def run_files(session: ExecutorSession, plan: Plan, tasks: list[tuple[int, str, dict | None]],
              size: int) -> Iterator[tuple[int, dict]]:
    """``(index, result)`` as files finish, on a :class:`WorkerPool` of ``size`` workers or, with Dask, one task
    per file; a task the cluster gave up on is an error row."""
    position = {task[0]: at for at, task in enumerate(tasks)}

    def local(tasks: list[tuple[int, str, dict | None]]) -> Iterator[tuple[int, dict]]:
        return ((position[index], result) for index, result in WorkerPool(plan, size).run(tasks))

    for at, answer in session.map(_dask_task, tasks, local=local, plan=plan):
        if isinstance(answer, TaskFailed):
            answer = {"status": "error", "input_sha256": None, "error_class": "WorkerCrashed",
                      "message": f"the Dask task failed ({answer.error_class})"}
        yield tasks[at][0], answer

