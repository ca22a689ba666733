"""The fuzz workers' memory cap is on what a worker adds, not on what it inherits: a parent that has mapped
gigabytes it never touches (torch does) still leaves a forked worker its headroom, and the cap still stops
an allocation beyond it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import mmap, os, sys
    from phiphantom.benchmark.fuzz.worker import address_space, limit_memory
    flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_NORESERVE", 0)
    held = mmap.mmap(-1, 6 << 30, flags=flags)  # 6 GB of address space, never touched (as torch's libraries)
    assert address_space() >= 6 << 30
    pid = os.fork()
    if pid == 0:
        limit_memory(256)
        small = bytearray(100 << 20)  # within the 256 MB a worker may add
        try:
            big = bytearray(600 << 20)
        except MemoryError:
            os._exit(0)
        os._exit(3)  # the cap did not hold
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address space read from /proc (Linux)")
def test_a_worker_forked_from_a_large_parent_keeps_its_headroom_and_its_cap() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
