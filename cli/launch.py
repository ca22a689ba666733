"""Console-script entry point: process-wide settings that must come before the heavy imports, then the app.

``phiphantom`` parallelises with processes (``--workers``, Dask), never with BLAS threads, and
numpy's bundled OpenBLAS starts one thread per core when numpy is imported (pydicom imports numpy
whenever it is installed). On a 2-core machine that alone cost about 0.1 s of CPU per command, a
third of the start-up of a small ``phiphantom deid`` run. So the command caps OpenBLAS at one thread
per process unless the caller has set ``OPENBLAS_NUM_THREADS`` already (their value wins).

numpy also asks the kernel for transparent huge pages for every large array (``madvise``). Where
the kernel compacts memory to serve them (THP ``defrag=madvise``, a common default), a fresh
array is 4-6x slower to fill: 259 MB took 0.58-0.68 s against 0.11-0.13 s with plain pages on our
2-core VM. A cine is several such arrays (decoded frames, detection view, output bytes), each
touched once, so the command turns that off unless the caller set ``NUMPY_MADVISE_HUGEPAGE``.
"""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    from .main import main as run_app

    run_app()


if __name__ == "__main__":
    main()
