"""Pieces shared by the supervised worker pools (the deid batch runner and the benchmark runner).

Both run work in forked worker processes that answer tasks over a pipe, so that a file that
hangs can be timed out and a worker that crashes can be replaced without stopping the run.
"""

from __future__ import annotations

import ctypes
import multiprocessing.connection
import multiprocessing.process
import os
import platform
import signal
from collections import deque
from dataclasses import dataclass, field
from typing import Callable


def serve(conn, parent_pid: int, handle: Callable[[object], object]) -> None:
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
WORKER_MALLOC = {_M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: 64 << 20, _M_TOP_PAD: 16 << 20}
_MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")


def keep_freed_memory() -> bool:
    """Let this worker's malloc reuse freed memory instead of returning it to the kernel after each file.

    A worker reads, copies and writes one file of some megabytes after another. With glibc's
    defaults each buffer over the mmap threshold is a fresh mapping, and the heap is trimmed back
    as soon as a file's buffers are freed, so every file pays its page faults and zeroing again:
    on 807 single-frame files (680 kB each) that was a fifth of the run's CPU time, most of it
    system time. Buffers up to 32 MB now come from the heap, which keeps up to 64 MB of free
    memory and grows 16 MB at a time. Only worker processes call this (never a library caller's
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
        return int(self.process.pid)

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
