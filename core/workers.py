"""The supervised worker pool (:class:`SupervisedPool`) and its pieces, for the deid batch runner, the
benchmark runner and the fuzzer.

Work runs in forked worker processes that answer tasks over a pipe, so that a file that hangs can be
timed out and a worker that crashes can be replaced without stopping the run.
"""

from __future__ import annotations

import ctypes
import multiprocessing.connection
import multiprocessing.process
import os
import platform
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


def serve(conn: multiprocessing.connection.Connection, parent_pid: int, handle: Callable[[Any], object]) -> None:
    """Answer tasks from ``conn`` with ``handle(task)`` until told to stop (``None``) or orphaned."""
    while True:
        if not conn.poll(1.0):
            if os.getppid() != parent_pid:
                return  # the supervisor is gone: do not linger
            continue
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(handle(task))


# glibc mallopt() parameters (malloc.h) and the values a worker sets; see keep_freed_memory
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
WORKER_MALLOC = {_M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: 256 << 20, _M_TOP_PAD: 16 << 20}
_MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")


def keep_freed_memory() -> bool:
    """Let this worker's malloc reuse freed memory instead of returning it to the kernel after each file.

    A worker reads, copies and writes one file of some megabytes after another. With glibc's
    defaults each buffer over the mmap threshold is a fresh mapping, and the heap is trimmed back
    as soon as a file's buffers are freed, so every file pays its page faults and zeroing again:
    on 807 single-frame files (680 kB each) that was a fifth of the run's CPU time, most of it
    system time. Buffers up to 32 MB now come from the heap, which keeps up to 256 MB of free
    memory and grows 16 MB at a time. A 20-frame 640x480 cine frees more than 64 MB of such
    buffers (each colour copy of its frames is 18 MB): with 64 MB kept, 40 cines took 62 ms each in
    the engine, with 256 MB 56 ms (128 MB: 57 ms); blocks over 32 MB (long clips) are mapped and
    returned as before. Only worker processes call this (never a library caller's
    process); it does nothing off glibc or when the caller tuned malloc through the environment.
    Returns whether the settings were applied.
    """
    if platform.libc_ver()[0] != "glibc" or any(name in os.environ for name in _MALLOC_ENV):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in WORKER_MALLOC.items())


def own_process_group() -> None:
    """Put this worker in its own process group (a timeout then kills the tools it started too)."""
    try:
        os.setpgrp()
    except OSError:
        pass


def kill_group(process) -> None:
    """Kill a worker and its process group, and reap it."""
    for kill in (lambda: os.killpg(process.pid, signal.SIGKILL), lambda: os.kill(process.pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError, OSError, AttributeError, TypeError):
            pass
    process.join(5)


@dataclass
class Worker:
    """A worker process, the supervisor's end of its pipe, and the task it is busy with."""

    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    task: int | None = None
    deadline: float = 0.0
    sent: float = 0.0
    queued: deque = field(default_factory=deque)  # tasks sent behind ``task``, not started yet

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    def kill(self) -> None:
        """Kill the worker (and anything it started) and reap it."""
        kill_group(self.process)
        self.conn.close()

    def stop(self) -> None:
        """Ask the worker to finish; kill it if it does not; kill tools it left running."""
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(5)
        if self.process.is_alive():
            self.kill()
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        self.conn.close()


def exit_message(process: multiprocessing.process.BaseProcess) -> str:
    """Why a worker process is gone, from its exit code: a signal's name or an exit status (no values)."""
    code = process.exitcode
    if code is None:
        return "the worker process died"
    if code < 0:
        try:
            return f"the worker process was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"the worker process was killed by signal {-code}"
    return f"the worker process exited with status {code}"


@dataclass(frozen=True)
class Lost:
    """The answer :class:`SupervisedPool` gives for a task whose worker timed out or died."""

    error_class: str   # "Timeout" or "WorkerCrashed"
    message: str       # the caller's timeout message, or :func:`exit_message`
    seconds: float     # from the task's start to its worker's end


Main = Callable[[multiprocessing.connection.Connection, int, int], None]  # (conn, parent pid, worker serial)


def _child(main: Main, conn: multiprocessing.connection.Connection,
           other_end: multiprocessing.connection.Connection, parent_pid: int, serial: int) -> None:
    other_end.close()
    own_process_group()  # a timeout kills the tools the worker started too; Ctrl-C goes to the supervisor
    main(conn, parent_pid, serial)


class SupervisedPool:
    """Forked workers fed tasks over pipes; a crash or a timeout costs only the task in flight.

    ``main(conn, parent_pid, serial)`` runs in each worker (in its own process group) and answers the
    tasks it receives, usually through :func:`serve`. A task is a tuple whose first item is its index.

    Each worker holds up to ``depth`` tasks: the one it works on (``Worker.task``, timed from when it
    started, ``timeout_s`` at most) and the next ones, sent already (``Worker.queued``) so that it never
    waits while the supervisor handles the previous answer. A worker answers in order, so when it dies
    or times out the culprit is ``Worker.task``: it is answered with :class:`Lost` (``timeout_message``,
    or :func:`exit_message`), the worker is killed with its process group and replaced, and its queued
    tasks go back to the front of the queue. Hooks: ``ready(worker)`` after each worker is started (a
    start-up handshake; it may raise), ``lost(worker)`` after a busy worker is killed (its scratch),
    ``interim(worker, message)`` for each message a busy worker sends: True when it was a notice about
    the task in flight (the fuzzer's case announcement), not the task's answer.
    """

    def __init__(self, main: Main, size: int, timeout_s: float, *, timeout_message: str, depth: int = 1,
                 name: str = "phiphantom-worker", daemon: bool = True,
                 ready: Callable[[Worker], None] | None = None, lost: Callable[[Worker], None] | None = None,
                 interim: Callable[[Worker, Any], bool] | None = None,
                 stillborn_message: str = "fresh workers die before their first task") -> None:
        self.main, self.size, self.timeout_s, self.depth = main, max(1, size), timeout_s, depth
        self.timeout_message, self.stillborn_message = timeout_message, stillborn_message
        self.name, self.daemon, self.ready, self.lost, self.interim = name, daemon, ready, lost, interim
        self.context = multiprocessing.get_context("fork")
        self.workers: list[Worker] = []
        self.pending: deque = deque()
        self.restarts = 0
        self._serial = 0

    def _spawn(self) -> Worker:
        parent_end, child_end = self.context.Pipe(duplex=True)
        self._serial += 1
        process = self.context.Process(target=_child, args=(self.main, child_end, parent_end, os.getpid(),
                                                             self._serial),
                                       name=self.name.format(serial=self._serial), daemon=self.daemon)
        process.start()
        child_end.close()
        return Worker(process, parent_end)

    def start(self, count: int) -> None:
        """Start ``count`` workers (in parallel), then hand each to the ``ready`` hook."""
        fresh = [self._spawn() for _ in range(count)]
        self.workers.extend(fresh)
        if self.ready is not None:
            for worker in fresh:
                self.ready(worker)

    def replace(self, worker: Worker) -> Worker:
        """Kill ``worker`` (if alive), put its queued tasks back first, start a ready replacement."""
        worker.kill()
        if self.lost is not None:
            self.lost(worker)
        self.pending.extendleft(reversed(worker.queued))  # never started: they run again, first
        worker.queued.clear()
        fresh = self._spawn()
        self.workers[self.workers.index(worker)] = fresh
        self.restarts += 1
        if self.ready is not None:
            self.ready(fresh)
        return fresh

    def _lose(self, worker: Worker, error_class: str, message: str) -> tuple[int, Lost]:
        index, seconds = worker.task, time.monotonic() - worker.sent
        self.replace(worker)
        assert index is not None
        return index, Lost(error_class, message, seconds)

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
                    return  # it died on its current task: the receive side charges that task
                if spawned >= 3:
                    raise RuntimeError(self.stillborn_message) from None
                worker = self.replace(worker)  # died between tasks: nothing is charged
                spawned += 1
                continue
            if worker.task is None:
                self._begin(worker, task[0])
            else:
                worker.queued.append(task)

    def _begin(self, worker: Worker, index: int | None) -> None:
        worker.task, worker.sent = index, time.monotonic()
        worker.deadline = worker.sent + self.timeout_s

    def run(self, tasks: Iterable[tuple]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, answer)`` as tasks finish (any order), :class:`Lost` as the answer of a task
        whose worker timed out or died; the workers are stopped at the end."""
        self.pending = deque(tasks)
        try:
            self.start(min(self.size, len(self.pending)))
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
                            answer = worker.conn.recv()
                        except (EOFError, OSError):
                            worker.process.join(5)
                            yield self._lose(worker, "WorkerCrashed", exit_message(worker.process))
                            continue
                        if self.interim is not None and self.interim(worker, answer):
                            continue  # a notice: the task's answer comes later, its deadline stands
                        index = worker.task
                        self._begin(worker, worker.queued.popleft()[0] if worker.queued else None)
                        assert index is not None
                        yield index, answer
                    elif time.monotonic() >= worker.deadline:
                        yield self._lose(worker, "Timeout", self.timeout_message)
        finally:
            self.close()

    def ask(self, task: object, timeout_s: float, timeout_message: str) -> Any:
        """Send one task to the first worker and wait ``timeout_s`` for its answer. A worker that times
        out is killed, one that dies is reaped (neither is replaced): the answer is then :class:`Lost`."""
        worker = self.workers[0]
        worker.conn.send(task)
        sent = time.monotonic()
        try:
            if worker.conn.poll(timeout_s):
                return worker.conn.recv()
            seconds = time.monotonic() - sent
            worker.kill()
            lost = Lost("Timeout", timeout_message, seconds)
        except (EOFError, OSError):
            worker.process.join(5)
            lost = Lost("WorkerCrashed", exit_message(worker.process), time.monotonic() - sent)
        if self.lost is not None:
            self.lost(worker)
        return lost

    def close(self) -> None:
        """Kill busy workers (``lost`` hook), ask idle ones to stop, reap dead ones."""
        for worker in self.workers:
            if worker.task is not None:
                worker.kill()
                if self.lost is not None:
                    self.lost(worker)
            elif worker.process.is_alive():
                worker.stop()
            elif not worker.conn.closed:
                worker.kill()
        self.workers = []
