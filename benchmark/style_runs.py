"""``phiphantom bench --by-style``: each engine's figures on each style pack's files alone.

The leave-one-style-out protocol (docs/benchmark.md): an engine is judged on a style it was not
built on. ``bench --by-style`` runs every engine once over the whole dataset (the ordinary
``results.json``) and then scores the same outputs again per style: ``OUT/by-style/STYLE/``
holds a complete ``results.json`` (schema ``phiphantom.bench/2``), ``report.md`` and
``report.html`` over that style's files only, built from the same per-file scores (nothing is run
twice). Timing figures there are the whole run's, apportioned by file count: engines run all
styles together, so per-style speed is not measured.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .aggregate import aggregate_engine
from .by_style import file_style
from .dataset import BenchDataset
from .report import render_reports
from .results_file import RESULTS_NAME, EngineBlock, ResultsDocument, write_results
from .runner import EngineRun
from .scoring import FileScore

BY_STYLE_DIR = "by-style"
_SAFE = re.compile(r"^[a-z0-9][a-z0-9-]*$")   # a pack name (slug); anything else is not made a folder


def styles_in(dataset: BenchDataset) -> dict[str, list[int]]:
    """Style -> indices of its files, styles sorted by name."""
    found: dict[str, list[int]] = {}
    for i, truth in enumerate(dataset.files):
        found.setdefault(file_style(truth.entry, truth.boxes), []).append(i)
    return dict(sorted(found.items()))


def subset_dataset(dataset: BenchDataset, indices: list[int]) -> BenchDataset:
    """The files at ``indices`` (their labels keep their place in the whole dataset)."""
    return replace(dataset, files=[dataset.files[i] for i in indices])


def subset_run(run: EngineRun, indices: list[int], total: int) -> EngineRun:
    """The engine's outcomes on the files at ``indices``; wall time apportioned by file count."""
    return replace(run, outcomes=[run.outcomes[i] for i in indices], wall_s=run.wall_s * len(indices) / max(total, 1))


def style_blocks(dataset: BenchDataset, engines: list[tuple[str, EngineRun, list[FileScore]]], indices: list[int],
                 include_phi: bool) -> list[EngineBlock]:
    """Every engine's block over the files at ``indices``."""
    sub = subset_dataset(dataset, indices)
    total = len(dataset.files)
    return [aggregate_engine(sub, name, subset_run(run, indices, total), [scores[i] for i in indices], include_phi)
            for name, run, scores in engines]


def write_style_results(out: Path, dataset: BenchDataset, engines: list[tuple[str, EngineRun, list[FileScore]]],
                        document: ResultsDocument) -> dict[str, dict]:
    """Write ``out/by-style/STYLE/`` for every style of the dataset; return {style: its results dict}.

    ``document`` is the whole run's (its settings and vocabulary overlap are repeated); a style
    whose name is not a pack slug is skipped (it cannot name a folder safely).
    """
    written: dict[str, dict] = {}
    for style, indices in styles_in(dataset).items():
        if not _SAFE.match(style):
            continue
        sub = subset_dataset(dataset, indices)
        summary = {**document.dataset, **{k: v for k, v in sub.summary().items() if k != "path"}, "style": style}
        style_doc = replace(document, dataset=summary,
                            engines=style_blocks(dataset, engines, indices, document.include_phi))
        folder = out / BY_STYLE_DIR / style
        folder.mkdir(parents=True, exist_ok=True)
        write_results(folder / RESULTS_NAME, style_doc)
        results = style_doc.to_json()
        render_reports(results, folder)
        written[style] = results
    return written
