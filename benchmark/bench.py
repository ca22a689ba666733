"""``phiphantom bench``: run engines over a dataset, score them, write results.json and the reports."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image, ImageDraw

from phiphantom.core import __version__
from phiphantom.core.executors import Executor

from .aggregate import aggregate_engine
from .dataset import BenchDataset, DatasetError, load_dataset
from .engines.command import CMD_PREFIXES
from .engines.peer import PEER_PREFIX
from .engines.registry import build_engine
from .report import Thumbnail, render_reports
from .results_file import (
    READABLE_SCHEMAS,
    RESULTS_NAME,
    SCHEMA,
    ResultsDocument,
    ResultsFileError,
    RunSettings,
    read_results_json,
    write_results,
)
from .runner import run_engine
from .scoring import score_outputs
from .style_runs import BY_STYLE_DIR, write_style_results
from .vocabulary_overlap import vocabulary_overlap

RUN_MARKER = ".phiphantom-bench.json"  # names the engines whose outputs/NAME this run writes (for --overwrite)
LOCAL = Executor()  # the default: local worker processes
_NAMED = re.compile(r"^([A-Za-z0-9_.-]+)=(.+)$")


@dataclass(frozen=True)
class EngineChoice:
    name: str   # shown in reports and used as the output folder name
    spec: str   # what the registry builds


def parse_engine(text: str) -> EngineChoice:
    """``NAME=SPEC`` or a bare ``SPEC`` (named after its kind: ``cmd:…`` -> ``cmd``; ``peer:X`` -> ``X``)."""
    match = _NAMED.match(text)
    if match and not text.startswith((*CMD_PREFIXES, "python:")):
        return EngineChoice(match.group(1), match.group(2))
    if text.startswith(PEER_PREFIX):
        return EngineChoice(text[len(PEER_PREFIX):], text)
    name = text.split(":", 1)[0] if ":" in text else text
    return EngineChoice(name.split(",", 1)[0] if text.startswith(CMD_PREFIXES) else name, text)


def unique_names(choices: list[EngineChoice]) -> list[EngineChoice]:
    """Names that tell engines apart: a name given twice takes its options (``bundled:balanced`` ->
    ``bundled-balanced``) when they make a short plain name, else a number (``cmd-2``)."""
    given = [c.name for c in choices]
    used: set[str] = set()
    out = []
    for c in choices:
        name = c.name
        if given.count(c.name) > 1 and ":" in c.spec and not c.spec.startswith((*CMD_PREFIXES, "python:")):
            label = re.sub(r"[^A-Za-z0-9._-]+", "-", c.spec.replace("threshold=", "t")).strip("-")  # bundled-t0.35
            name = label if len(label) <= 48 else name
        base, n = name, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        out.append(EngineChoice(name, c.spec))
    return out


def _read_ours(path: Path) -> list[str] | None:
    """The engine names in ``path`` (results.json or the run marker) if it is bench's, else None."""
    try:
        data = read_results_json(path)
    except ResultsFileError:
        return None
    if (not isinstance(data, dict) or data.get("schema") not in READABLE_SCHEMAS
            or not isinstance(data.get("engines", []), list)):
        return None
    names = [e.get("name") if isinstance(e, dict) else e for e in data.get("engines", [])]
    return [n for n in names if isinstance(n, str) and n not in ("", ".", "..") and Path(n).name == n]


def _remove_style_results(folder: Path) -> None:
    """Remove what ``--by-style`` wrote in ``folder``: each ``STYLE/`` whose results.json is bench's (its
    results and reports only; a folder holding anything else keeps it), then ``folder`` once empty."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for style in folder.iterdir():
        if style.is_dir() and not style.is_symlink() and _read_ours(style / RESULTS_NAME) is not None:
            for name in (RESULTS_NAME, "report.md", "report.html"):
                (style / name).unlink(missing_ok=True)
            if not any(style.iterdir()):
                style.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()


def prepare_out(out: Path, overwrite: bool, names: Sequence[str] = ()) -> None:
    """Create the results folder for engines ``names``; replace an earlier one only when it is bench's.

    A non-empty folder is replaced only with ``overwrite`` and only when its ``results.json`` (or the
    marker :data:`RUN_MARKER` an interrupted run left) is bench's; then only what bench wrote goes:
    the results, the reports, the marker and ``outputs/NAME`` of each engine they name (``outputs/``
    itself when nothing else is in it). Anything else refuses with :class:`DatasetError` before a file
    is deleted. The marker naming ``names`` is written before any engine runs.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise DatasetError(f"results folder {out} is not empty; use --overwrite to replace it")
        marked, results = _read_ours(out / RUN_MARKER), _read_ours(out / RESULTS_NAME)
        if marked is None and results is None:
            raise DatasetError(f"{out} is not a results folder of phiphantom bench (no results.json of ours): "
                               "refusing to overwrite it, nothing was deleted; choose a new or empty --out")
        previous = set(marked or []) | set(results or [])
        outputs = out / "outputs"
        if outputs.is_symlink() or (outputs.exists() and not outputs.is_dir()):
            raise DatasetError(f"{outputs} is not a folder bench made: refusing to overwrite, nothing was deleted")
        foreign = [n for n in names if n not in previous and os.path.lexists(outputs / n)]
        if foreign:
            raise DatasetError(f"{outputs / foreign[0]} was not written by the earlier bench run in {out}: "
                               "refusing to mix with it, nothing was deleted; choose a new or empty --out")
        for name in sorted(previous):
            path = outputs / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif os.path.lexists(path):
                path.unlink()
        for name in (RESULTS_NAME, "report.md", "report.html", RUN_MARKER):
            (out / name).unlink(missing_ok=True)
        _remove_style_results(out / BY_STYLE_DIR)
        if outputs.is_dir() and not any(outputs.iterdir()):
            outputs.rmdir()
    out.mkdir(parents=True, exist_ok=True)
    (out / RUN_MARKER).write_text(json.dumps({"schema": SCHEMA, "engines": list(names)}) + "\n", encoding="utf-8")


def run_bench(data: Path, engines: list[str], out: Path, *, workers: int = 1, timeout_s: float = 120.0,
              ocr: bool = True, dciodvfy: bool = False, include_phi: bool = False, thumbnails: int = 3,
              overwrite: bool = False, engine_objects: dict | None = None,
              progress: Callable[[str, int, int], None] | None = None, executor: Executor = LOCAL,
              by_style: bool = False) -> dict:
    """Benchmark ``engines`` on the dataset at ``data``; returns the results dict (also written to ``out``).

    ``engine_objects`` maps a name to an already-built engine (for Python callers and tests).
    ``executor`` ``dask`` runs per-file engines and scoring as Dask tasks (same metrics as local).
    ``by_style`` also writes each style's results and reports under ``out/by-style/STYLE/``
    (:mod:`.style_runs`); the returned dict then has them under ``"by_style"`` (not in results.json).
    """
    data, out = Path(data).resolve(), Path(out).resolve()  # Dask workers see only absolute paths
    dataset = load_dataset(data)
    choices = unique_names([parse_engine(e) for e in engines])
    for choice in choices:  # a bad bundled:WORD (threshold=abc) is an error before any engine runs
        if choice.spec == "bundled" or choice.spec.startswith("bundled:"):
            build_engine(choice.spec)
    for name in engine_objects or {}:
        choices.append(EngineChoice(name, f"object:{name}"))
    if not choices:
        raise DatasetError("no engine given: use --engine NAME "
                           "(null, oracle, header-basic, bundled, cmd:..., python:...)")
    prepare_out(out, overwrite, [c.name for c in choices])
    relpaths = [f.relpath for f in dataset.files]
    blocks = []
    scored = []  # (name, run, scores) per engine, for --by-style
    with contextlib.ExitStack() as stack:  # the Dask cluster (if any) lives while engines run and are scored
        session = stack.enter_context(executor.open())
        for choice in choices:
            engine_out = out / "outputs" / choice.name
            spec = (engine_objects or {}).get(choice.name, choice.spec)
            step = (lambda d, t, n=choice.name: progress(f"{n}: running", d, t)) if progress else None
            run = run_engine(spec, dataset.root, relpaths, engine_out, workers=workers, timeout_s=timeout_s,
                             progress=step, include_messages=include_phi, session=session)
            if run.dataset_modified:  # the engine went around its private copies: the ground truth is void
                labels = {f.relpath: f.label for f in dataset.files}
                raise DatasetError(
                    f"the dataset changed while engine {choice.name!r} ran ({len(run.dataset_modified)} file(s), "
                    f"e.g. {labels.get(run.dataset_modified[0], 'a file')}): it wrote to the dataset itself, not to "
                    "its private input copies; the files no longer match the ground truth, so bench stopped. "
                    "Generate the dataset again and leave that engine out.")
            outputs = [engine_out / o.output_relpath if o.output_relpath else None for o in run.outcomes]
            step = (lambda d, t, n=choice.name: progress(f"{n}: scoring", d, t)) if progress else None
            scores = score_outputs(dataset, outputs, [o.detections for o in run.outcomes], ocr=ocr, dciodvfy=dciodvfy,
                                   workers=workers, progress=step, session=session)
            blocks.append((aggregate_engine(dataset, choice.name, run, scores, include_phi), outputs))
            scored.append((choice.name, run, scores))
    document = ResultsDocument(
        phiphantom_version=__version__,
        created_utc=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        include_phi=include_phi,
        dataset=dataset.summary() if include_phi else {**dataset.summary(), "path": Path(data).name},
        settings=RunSettings(workers=workers, timeout_s=timeout_s, ocr=ocr, dciodvfy=dciodvfy,
                             executor=executor.describe()),
        engines=[b for b, _ in blocks],
        vocabulary_overlap=vocabulary_overlap(c.spec for c in choices),  # null unless bundled runs
    )
    write_results(out / RESULTS_NAME, document)
    results = document.to_json()
    thumbs = make_thumbnails(dataset, [(b.name, outs) for b, outs in blocks], thumbnails)
    render_reports(results, out, thumbs)
    if by_style:
        return {**results, "by_style": write_style_results(out, dataset, scored, document)}
    return results


# -- thumbnails ------------------------------------------------------------
def _frame0(path: Path | None) -> np.ndarray | None:
    if path is None:
        return None
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception:  # noqa: BLE001 - a missing/undecodable output gets a placeholder
        return None
    if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
        arr = arr[0]
    return np.clip(arr, 0, 255).astype(np.uint8)


def _png(frame: np.ndarray | None, width: int = 320, size: tuple[int, int] | None = None) -> bytes:
    if frame is None:
        image = Image.new("RGB", size or (width, width * 3 // 4), (90, 90, 90))
        ImageDraw.Draw(image).text((10, 10), "no output", fill=(255, 255, 255))
    else:
        image = Image.fromarray(frame)
        image = image.resize((width, max(1, round(frame.shape[0] * width / frame.shape[1]))), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def pick_thumbnail_files(dataset: BenchDataset, count: int) -> list[int]:
    """Deterministic picks: a single frame, a cine, a JPEG file, then the files with most PHI boxes."""
    picks: list[int] = []
    for test in (lambda f: not f.cine, lambda f: f.cine, lambda f: not f.entry["lossless"]):
        for f in dataset.files:
            if test(f) and f.index not in picks:
                picks.append(f.index)
                break
    ranked = sorted(dataset.files, key=lambda f: (-f.entry.get("phi_boxes", 0), f.index))
    picks += [f.index for f in ranked if f.index not in picks]
    return picks[:count]


def make_thumbnails(dataset: BenchDataset, engines: list[tuple[str, list[Path | None]]], count: int) -> list[Thumbnail]:
    thumbs = []
    for index in pick_thumbnail_files(dataset, count):
        truth = dataset.files[index]
        before = _frame0(dataset.root / truth.relpath)
        before_png = _png(before)
        for name, outputs in engines:
            after = _frame0(outputs[index])
            thumbs.append(Thumbnail(name, f"{truth.label} frame 0", before_png,
                                    _png(after, size=Image.open(io.BytesIO(before_png)).size)))
    return thumbs
