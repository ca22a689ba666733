"""Console-script entry point: process-wide settings that must come before the heavy imports, then the app.

``phiphantom`` parallelises with processes (``--workers``, Dask), never with BLAS threads, and
numpy's bundled OpenBLAS starts one thread per core when numpy is imported (pydicom imports numpy
whenever it is installed). On a 2-core machine that alone cost about 0.1 s of CPU per command, a
third of the start-up of a small ``phiphantom deid`` run. So the command caps OpenBLAS at one thread
per process unless the caller has set ``OPENBLAS_NUM_THREADS`` already (their value wins).
"""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from .main import main as run_app

    run_app()


if __name__ == "__main__":
    main()
