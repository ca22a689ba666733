"""Process-wide settings of the command and its workers: one BLAS thread, no numpy huge pages, malloc that keeps
freed memory."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from phiphantom.core.workers import keep_freed_memory

_FAULTS = """
import resource, sys
from phiphantom.core.workers import keep_freed_memory
applied = keep_freed_memory() if sys.argv[1] == "tuned" else False
def churn():
    for _ in range(300):                      # like a worker: a few large buffers per file, freed after it
        a = bytearray(700_000); b = bytes(a); c = bytearray(b) + a
        del a, b, c
churn()                                       # warm up: first growth of the heap is not what we measure
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn()
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> tuple[bool, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, env=env, check=True)
    applied, faults = out.stdout.split()
    return applied == "True", int(faults)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the malloc settings are glibc's")
def test_worker_malloc_settings_stop_page_faults_per_file():
    default_applied, default_faults = _faults("default")
    tuned_applied, tuned_faults = _faults("tuned")
    assert not default_applied and tuned_applied
    # glibc's defaults map and unmap every 0.7-1.4 MB buffer: ~170+ faults per buffer, 900+ buffers
    assert default_faults > 50_000
    assert tuned_faults * 20 < default_faults


def test_malloc_settings_left_alone_when_the_caller_tuned_malloc(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert keep_freed_memory() is False


def _launch(name: str, env_value: str | None) -> str:
    code = ("import os, sys; sys.argv = ['phiphantom', '--version']\n"
            "from phiphantom.cli import launch\n"
            "assert 'numpy' not in sys.modules\n"
            "try:\n    launch.main()\nexcept SystemExit:\n    pass\n"
            f"print(os.environ[{name!r}])")
    env = {k: v for k, v in os.environ.items() if k != name}
    if env_value is not None:
        env[name] = env_value
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.split()[-1]


def test_command_caps_blas_threads_before_numpy_loads_unless_set():
    assert _launch("OPENBLAS_NUM_THREADS", None) == "1"
    assert _launch("OPENBLAS_NUM_THREADS", "3") == "3"


def test_command_turns_numpy_huge_pages_off_before_numpy_loads_unless_set():
    assert _launch("NUMPY_MADVISE_HUGEPAGE", None) == "0"
    assert _launch("NUMPY_MADVISE_HUGEPAGE", "1") == "1"
