"""Where per-file work runs: ``local`` processes (the default) or a Dask cluster (``dask``).

``generate``, ``deid`` and ``bench`` cut their work into one task per file (a cine is one file)
and hand the tasks to :func:`map_tasks`. With ``--executor dask`` the tasks go to the Dask
scheduler at ``--scheduler ADDRESS`` (an existing cluster: SLURM through dask-jobqueue, Kubernetes
through dask-kubernetes, ...) or, without an address, to a ``LocalCluster`` of ``--workers``
single-threaded worker processes started for the run. Workers must see the input and output
folders at the same paths (a shared file system). Every task is a pure function of its inputs,
so the results are the same whichever executor ran them; only the order they finish in differs,
and callers put results back in input order.

Results stream back as tasks finish and are released on the cluster at once: nothing holds the
whole dataset in memory.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

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
def dask_client(executor: Executor):
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


def map_tasks(client, fn: Callable[..., Any], tasks: Iterable[Any], **kwargs) -> Iterator[tuple[int, Any]]:
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
