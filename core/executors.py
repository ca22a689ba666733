"""Where per-file work runs: ``local`` processes (the default) or a Dask cluster (``dask``).

``generate``, ``deid`` and ``bench`` cut their work into one task per file (a cine is one file) and
hand the tasks to :meth:`ExecutorSession.map` of the run's :meth:`Executor.open`: local worker
processes (the caller's supervised pool, or a process pool) or, through :func:`map_tasks`, Dask.
With ``--executor dask`` the tasks go to the Dask scheduler at ``--scheduler ADDRESS`` (an existing
cluster: SLURM through dask-jobqueue, Kubernetes through dask-kubernetes, ...) or, without an
address, to a ``LocalCluster`` of ``--workers`` single-threaded worker processes started for the
run. Workers must see the input and output folders at the same paths (a shared file system). Every
task is a pure function of its inputs, so the results are the same whichever executor ran them; only
the order they finish in differs, and callers put results back in input order.

Results stream back as tasks finish and are released on the cluster at once: nothing holds the
whole dataset in memory.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

EXECUTORS = ("local", "dask")
DASK_HINT = "the dask executor needs dask.distributed: pip install 'phiphantom[dask]'"


def default_workers() -> int:
    """Local worker processes by default: the CPUs this process may run on (its affinity), else all."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class ExecutorError(RuntimeError):
    """A bad executor choice, or a Dask cluster that cannot be reached (message safe to show)."""


@dataclass(frozen=True)
class Executor:
    kind: str = "local"
    scheduler: str | None = None   # Dask scheduler address; None: a LocalCluster for the run
    workers: int = 1               # LocalCluster size (ignored with a scheduler address)
    connect_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise ExecutorError(f"unknown executor {self.kind!r}; choose one of: {', '.join(EXECUTORS)}")
        if self.scheduler and self.kind != "dask":
            raise ExecutorError("--scheduler is for --executor dask")

    @property
    def is_dask(self) -> bool:
        return self.kind == "dask"

    def describe(self) -> str:
        if not self.is_dask:
            return "local"
        return f"dask ({self.scheduler})" if self.scheduler else f"dask (LocalCluster, {self.workers} workers)"

    @contextlib.contextmanager
    def open(self) -> Iterator[ExecutorSession]:
        """The run's :class:`ExecutorSession` (with ``dask``, its client and LocalCluster, closed afterwards)."""
        if not self.is_dask:
            yield ExecutorSession(self)
            return
        with dask_client(self) as client:
            yield ExecutorSession(self, client)


LocalMap = Callable[[list[Any]], Iterator[tuple[int, Any]]]  # tasks -> (position, result) as they finish


@dataclass(frozen=True)
class ExecutorSession:
    """An open executor: where one run's task maps go. ``client`` is the Dask client (None: local)."""

    executor: Executor
    client: Any = None

    def size(self, local: int) -> int:
        """How many tasks run at once: the Dask cluster's worker count, else ``local``."""
        if self.client is None:
            return local
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[..., Any], tasks: Iterable[Any], *, local: LocalMap | None = None,
            **kwargs: Any) -> Iterator[tuple[int, Any]]:
        """``(position, result)`` for each task as it finishes.

        On Dask: ``fn(task, **kwargs)`` per task (:func:`map_tasks`; a failed task yields
        :class:`TaskFailed`). Locally: ``local(tasks)`` when the caller runs its own (supervised) pool,
        else :func:`local_map` over ``executor.workers`` processes (exceptions propagate).
        """
        tasks = list(tasks)
        if self.client is not None:
            return map_tasks(self.client, fn, tasks, **kwargs)
        if local is not None:
            return local(tasks)
        return local_map(fn, tasks, self.executor.workers, **kwargs)


def local_map(fn: Callable[..., Any], tasks: list[Any], workers: int, **kwargs: Any) -> Iterator[tuple[int, Any]]:
    """``(position, fn(task, **kwargs))`` as tasks finish: in this process for one worker or one task, else
    in ``workers`` forked processes with at most three tasks per worker in flight (memory does not grow
    with the number of tasks)."""
    if workers <= 1 or len(tasks) <= 1:
        for position, task in enumerate(tasks):
            yield position, fn(task, **kwargs)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        todo = iter(enumerate(tasks))

        def submit(count: int) -> dict[Future, int]:
            return {pool.submit(fn, task, **kwargs): position for position, task in itertools.islice(todo, count)}

        running = submit(3 * workers)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield running.pop(future), future.result()
            running.update(submit(len(finished)))


@contextlib.contextmanager
def dask_client(executor: Executor) -> Iterator[Any]:
    """A ``distributed.Client`` for the run (and its LocalCluster, closed afterwards)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorError(DASK_HINT) from None
    if executor.scheduler:
        try:
            client = Client(executor.scheduler, timeout=executor.connect_timeout_s)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {executor.scheduler} "
                                f"({type(exc).__name__})") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=max(1, executor.workers), threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


@dataclass(frozen=True)
class TaskFailed:
    """What :func:`map_tasks` yields for a task that raised or whose workers kept dying."""

    error_class: str
    detail: str = ""   # the message, only for exceptions that declare it safe to show (SAFE_TO_SHOW)


def map_tasks(client: Any, fn: Callable[..., Any], tasks: Iterable[Any], **kwargs: Any) -> Iterator[tuple[int, Any]]:
    """``(position, fn(task, **kwargs))`` for each task as it finishes on the cluster.

    A task that failed yields a :class:`TaskFailed` (its exception's class name only: messages may
    quote values) and the others go on.
    """
    from distributed import as_completed

    tasks = list(tasks)
    futures = client.map(fn, tasks, pure=False, **kwargs)
    position = {future.key: i for i, future in enumerate(futures)}
    for future in as_completed(futures):
        index = position[future.key]
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - reported as a row by the caller
            result = TaskFailed(type(exc).__name__, str(exc) if getattr(exc, "SAFE_TO_SHOW", False) else "")
        future.release()
        yield index, result
