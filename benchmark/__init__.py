"""Benchmark de-identification engines on a generated dataset: run them, score them, report.

Python API (``docs/api.md``)::

    from phiphantom.benchmark import run_bench

    results = run_bench("dataset", ["oracle", "bundled"], "results")   # like `phiphantom bench`

``phiphantom bench compare`` is :func:`phiphantom.benchmark.compare.compare` (not exported here: the
name is its module's). Engines implement :class:`Engine` (or extend :class:`BaseEngine`);
:func:`build_engine` builds one from a spec string (``null``, ``oracle``, ``bundled``, ``cmd:...``,
``python:module:Factory``, a peer name).
Names are imported on first use, so ``import phiphantom.benchmark`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phiphantom.core.lazy import lazy_exports

if TYPE_CHECKING:
    # `name as name`: an explicit re-export (the names are in the computed __all__ below).
    from .bench import run_bench as run_bench
    from .compare import CompareError as CompareError
    from .compare import load_results as load_results
    from .compare import parse_tolerances as parse_tolerances
    from .dataset import BenchDataset as BenchDataset
    from .dataset import DatasetError as DatasetError
    from .dataset import load_dataset as load_dataset
    from .engines import BaseEngine as BaseEngine
    from .engines import Detection as Detection
    from .engines import Engine as Engine
    from .engines import EngineContext as EngineContext
    from .engines import EngineError as EngineError
    from .engines import FileResult as FileResult
    from .engines import build_engine as build_engine
    from .results_file import SCHEMA as SCHEMA

#: Public name -> the module (relative to this package) that defines it.
_WHERE = {
    "run_bench": ".bench", "SCHEMA": ".results_file",
    "load_results": ".compare", "parse_tolerances": ".compare", "CompareError": ".compare",
    "load_dataset": ".dataset", "BenchDataset": ".dataset", "DatasetError": ".dataset",
    "Engine": ".engines", "BaseEngine": ".engines", "EngineContext": ".engines", "EngineError": ".engines",
    "Detection": ".engines", "FileResult": ".engines", "build_engine": ".engines",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals(), __all__)
