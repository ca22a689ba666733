"""Benchmark de-identification engines on a generated dataset: run them, score them, report.

Python API (``docs/api.md``)::

    from phiphantom.benchmark import run_bench

    results = run_bench("dataset", ["oracle", "bundled"], "results")   # like `phiphantom bench`

``phiphantom bench compare`` is :func:`phiphantom.benchmark.compare.compare` (not exported here: the
name is its module's). Engines implement :class:`Engine` (or extend :class:`BaseEngine`); :func:`build_engine` builds one from a
spec string (``null``, ``oracle``, ``bundled``, ``cmd:...``, ``python:module:Factory``, a peer name).
Names are imported on first use, so ``import phiphantom.benchmark`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phiphantom.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .bench import SCHEMA, run_bench
    from .compare import CompareError, load_results, parse_tolerances
    from .dataset import BenchDataset, DatasetError, load_dataset
    from .engines import BaseEngine, Detection, Engine, EngineContext, EngineError, FileResult, build_engine

#: Public name -> the module (relative to this package) that defines it.
_WHERE = {
    "run_bench": ".bench", "SCHEMA": ".bench",
    "load_results": ".compare", "parse_tolerances": ".compare", "CompareError": ".compare",
    "load_dataset": ".dataset", "BenchDataset": ".dataset", "DatasetError": ".dataset",
    "Engine": ".engines", "BaseEngine": ".engines", "EngineContext": ".engines", "EngineError": ".engines",
    "Detection": ".engines", "FileResult": ".engines", "build_engine": ".engines",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals(), __all__)
