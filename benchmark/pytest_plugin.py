"""pytest plugin: test your own de-identification tool in CI against a generated dataset with ground truth.

Installed with the package as a ``pytest11`` entry point, so any test suite that has
``phiphantom`` installed gets (docs/pytest-plugin.md has a ten-line example):

* the session fixture ``phiphantom_dataset``: a small generated dataset (:class:`PhantomDataset`;
  its DICOM inputs are in ``.dicom_dir``), made once per test session and kept across sessions in
  pytest's cache folder, keyed by its settings and the package version. A cached copy is used only
  when the benchmark's dataset check (:func:`~phiphantom.benchmark.dataset.load_dataset`: manifest,
  tables, every file's size and sha256, masks) passes; anything else (a partial or edited copy, a
  tool that wrote into its inputs) is generated again. New copies are written to a temporary folder
  and renamed into place only when complete.
* the session fixture ``phiphantom_make_dataset(**settings)``: the same with other settings.
* :func:`assert_deidentified`: scores a folder of outputs with the benchmark's own scoring
  (:mod:`.scoring`, :mod:`.aggregate`) and raises :class:`DeidentificationFailed` naming what
  fell short: metrics, boxes still readable, header locations still holding PHI, missing outputs.

Settings (``pytest.ini`` / ``[tool.pytest.ini_options]``): ``phiphantom_patients`` (default 2),
``phiphantom_seed`` (0), ``phiphantom_difficulty`` (``realistic``; ``easy``, ``hard``).

Outputs are matched to inputs as ``phiphantom bench`` matches a per-folder engine's
(``cmd:... {in_dir} {out_dir}``): the tool de-identifies ``dataset.dicom_dir`` into ``out_dir``
keeping relative paths, so the output of ``dicom/P00001/ST01/US_0001.dcm`` is
``out_dir/P00001/ST01/US_0001.dcm``. Other files in ``out_dir`` (logs, audits) are ignored.

Failure messages name files by their ``file-NNNN`` label, boxes by coordinates and tags by path,
never by value or file name, unless ``show_values=True``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from phiphantom.core.ground_truth import BoxRow

    from .results_file import EngineBlock

#: Settings of the default dataset (small: a few 320x240 files, some cines, some JPEG).
DEFAULTS: dict[str, Any] = {"patients": 2, "seed": 0, "difficulty": "realistic"}
#: Generator settings fixed by the plugin to keep the dataset small (a ``phiphantom_make_dataset`` call may override).
SMALL: dict[str, Any] = {"studies_per_patient": 1, "files_per_study": (2, 2), "cine_fraction": 0.5,
                         "frames": (2, 3), "sizes": ((320, 240),), "jpeg_fraction": 0.25}
_INI = {"patients": int, "seed": int, "difficulty": str}
_CACHE_FOLDER = "phiphantom"
_MAX_LISTED = 20


class DeidentificationFailed(AssertionError):
    """The outputs fell short of a threshold (the message names labels, paths and boxes, not values)."""


@dataclass(frozen=True)
class PhantomDataset:
    """A generated dataset: inputs in ``dicom_dir``, ground truth in ``root/gt`` (docs/dataset-format.md)."""

    root: Path
    settings: dict = field(repr=False)       # the generator settings it was made with
    truth: Any = field(repr=False)           # its BenchDataset (holds PHI: never printed)

    @property
    def dicom_dir(self) -> Path:
        """The folder to de-identify."""
        return self.root / "dicom"

    @property
    def files(self) -> int:
        return len(self.truth.files)


# --------------------------------------------------------------------------- the dataset


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("phiphantom")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _settings(overrides: dict) -> dict:
    settings = {**SMALL, **DEFAULTS, **overrides}
    for name in ("out", "workers", "validate", "progress", "executor", "scheduler"):
        settings.pop(name, None)  # execution settings: the plugin chooses them, they do not change content
    return settings


def cache_key(settings: dict) -> str:
    """Folder name of a cached dataset: its settings and the package version, hashed."""
    text = json.dumps({"settings": settings, "version": _version()}, sort_keys=True, default=list)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _load(root: Path, settings: dict):
    """The checked dataset at ``root``, or None when it is missing, partial, damaged or another one."""
    from .dataset import DatasetError, load_dataset

    if not (root / "manifest.json").is_file():
        return None
    try:
        truth = load_dataset(root, check=True, workers=1)
    except DatasetError:
        return None
    manifest = truth.manifest
    if manifest.get("seed") != settings["seed"] or manifest.get("generator_version") != _version():
        return None
    return truth


def make_dataset(cache_dir: Path, **overrides) -> PhantomDataset:
    """Generate a small dataset under ``cache_dir`` (or reuse the checked copy made earlier with the same settings).

    ``overrides`` are :class:`~phiphantom.synth.GenerateConfig` fields (``patients``, ``seed``,
    ``difficulty``, ``frames``, ``sizes``, ...).
    """
    from phiphantom.synth import GenerateConfig, generate

    settings = _settings(overrides)
    cache_dir = Path(cache_dir)
    root = cache_dir / cache_key(settings)
    truth = _load(root, settings)
    if truth is None:
        config = GenerateConfig(out=cache_dir / "unused", workers=1, validate=False, progress=False, **settings)
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{root.name}.partial-", dir=cache_dir))
        try:
            config.out = staging / "dataset"
            generate(config)
            truth = _load(config.out, settings)
            if truth is None:
                raise RuntimeError("phiphantom: the generated dataset failed its own check")
            if root.exists():  # a stale or damaged copy (it failed the check above)
                shutil.rmtree(root, ignore_errors=True)
            try:
                os.replace(config.out, root)  # only a complete, checked dataset gets the final name
            except OSError:  # another process (pytest-xdist) put its copy there first: checked below
                pass
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        truth = _load(root, settings)
        if truth is None:
            raise RuntimeError("phiphantom: the cached dataset failed its check after it was written")
    return PhantomDataset(root, settings, truth)


def _ini_settings(config: pytest.Config) -> dict:
    settings = {}
    for name, kind in _INI.items():
        value = config.getini(f"phiphantom_{name}")
        if value not in (None, ""):
            try:
                settings[name] = kind(value)
            except ValueError:
                raise pytest.UsageError(f"phiphantom_{name} must be {kind.__name__}, got {value!r}") from None
    return settings


def _cache_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider: this session only
    if cache is not None:
        return Path(cache.mkdir(_CACHE_FOLDER))
    return tmp_path_factory.mktemp(_CACHE_FOLDER)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("phiphantom_patients", f"phiphantom_dataset: synthetic patients (default {DEFAULTS['patients']}, "
                  "2 files each)", default="")
    parser.addini("phiphantom_seed", f"phiphantom_dataset: generator seed (default {DEFAULTS['seed']})", default="")
    parser.addini("phiphantom_difficulty", "phiphantom_dataset: easy, realistic (default) or hard", default="")


@pytest.fixture(scope="session")
def phiphantom_make_dataset(request: pytest.FixtureRequest,
                            tmp_path_factory: pytest.TempPathFactory) -> Callable[..., PhantomDataset]:
    """``phiphantom_make_dataset(patients=4, difficulty="hard")``: a dataset with other settings (cached too)."""
    made: dict[str, PhantomDataset] = {}
    cache_dir = _cache_dir(request, tmp_path_factory)

    def make(**overrides) -> PhantomDataset:
        settings = {**_ini_settings(request.config), **overrides}
        key = cache_key(_settings(settings))
        if key not in made:
            made[key] = make_dataset(cache_dir, **settings)
        return made[key]

    return make


@pytest.fixture(scope="session")
def phiphantom_dataset(phiphantom_make_dataset) -> PhantomDataset:
    """A small generated dataset with ground truth (settings from the ``phiphantom_*`` ini options)."""
    return phiphantom_make_dataset()


# --------------------------------------------------------------------------- the assertion


def expected_output(out_dir: Path, relpath: str) -> Path:
    """Where a tool that keeps relative paths writes the output of the dataset file ``relpath``."""
    rel = PurePosixPath(relpath)
    if rel.parts and rel.parts[0] == "dicom":
        rel = rel.relative_to("dicom")
    return Path(out_dir) / rel


def assert_deidentified(out_dir: str | Path, dataset: PhantomDataset, *, min_recall: float | None = 1.0,
                        max_leaks: int | None = 0, max_failed: int | None = 0, min_tag_coverage: float | None = None,
                        max_image_damage: float | None = None, show_values: bool = False, workers: int = 1) -> dict:
    """Score the de-identified copy of ``dataset.dicom_dir`` in ``out_dir``; raise when it falls short.

    Thresholds (``None``: not checked): ``min_recall`` the share of burned-in PHI boxes removed on
    every frame (``box_recall``); ``max_leaks`` header locations still holding a PHI value (any form,
    file name and raw bytes included); ``max_failed`` inputs without a usable output;
    ``min_tag_coverage`` and ``max_image_damage`` as in docs/metrics.md. Returns the metrics
    (the engine block of ``phiphantom bench``'s results.json) when every threshold holds, else
    raises :class:`DeidentificationFailed`. ``show_values=True`` adds the PHI text of leaked boxes
    and tags to the message (never in CI logs you share). ``workers`` scoring processes (forked).
    """
    __tracebackhide__ = True  # the frames below hold PHI in their locals: pytest must not show them
    block, details = score_folder(out_dir, dataset, workers=workers)
    metrics = block.metrics
    checks = [("box_recall", min_recall, ">="), ("leaks", max_leaks, "<="), ("files_failed", max_failed, "<="),
              ("tag_coverage", min_tag_coverage, ">="), ("image_damage", max_image_damage, "<=")]
    short = []
    for name, limit, op in checks:
        value = metrics.get(name)
        if limit is None or value is None:
            continue
        if (value < limit) if op == ">=" else (value > limit):
            short.append(f"{name} = {value:g} (wanted {op} {limit:g})")
    if short:
        raise DeidentificationFailed(failure_message(short, details, show_values))
    return block.to_json()


@dataclass
class _Details:
    missing: list[str] = field(default_factory=list)       # "file-0001: ..." (no output / unusable)
    boxes: list[tuple[str, BoxRow, Any]] = field(default_factory=list)  # (label, gt row, BoxScore) PHI not removed
    leaks: list[tuple[str, str, str, list[str]]] = field(default_factory=list)  # (label, kind, location, values)


def score_folder(out_dir: str | Path, dataset: PhantomDataset, workers: int = 1) -> tuple[EngineBlock, _Details]:
    """Score ``out_dir`` like ``phiphantom bench`` scores a per-folder engine (no re-OCR, no dciodvfy)."""
    from .aggregate import aggregate_engine
    from .dataset import DatasetError, check_dataset
    from .runner import EngineRun, FileOutcome
    from .scoring import score_outputs

    __tracebackhide__ = True  # its locals hold the ground truth (PHI): pytest --showlocals must not print them
    out_dir = Path(out_dir)
    truth = dataset.truth
    try:  # a tool that wrote into its inputs changed the ground truth's files: the scores would mean nothing
        check_dataset(truth, workers=1)
    except DatasetError as exc:
        raise DeidentificationFailed(f"the dataset's inputs changed (the tool wrote into them?): {exc}") from None
    outputs: list[Path | None] = []
    outcomes: list[FileOutcome] = []
    for f in truth.files:
        path = expected_output(out_dir, f.relpath)
        if path.is_file():
            outputs.append(path)
            outcomes.append(FileOutcome(f.relpath, f.relpath, None, "", 0.0))
        else:
            outputs.append(None)
            outcomes.append(FileOutcome(f.relpath, None, "NoOutput", "no output at the input's relative path", 0.0))
    scores = score_outputs(truth, outputs, [None] * len(outputs), ocr=False, workers=workers)
    run = EngineRun(spec=f"folder:{out_dir.name}", description={}, outcomes=outcomes)
    block = aggregate_engine(truth, "tool", run, scores)
    details = _Details()
    for f, score, row in zip(truth.files, scores, block.per_file, strict=False):
        if row["error"]:
            details.missing.append(f"{f.label}: {row['error']} (expected at {_rel(f.relpath)})")
        for gt, box in zip(f.boxes, score.pixel.boxes, strict=False):
            if gt.phi and not box.ok:
                details.boxes.append((f.label, gt, box))
        for kind, location in score.header.leaks:
            values = sorted({t.injected_value for t in f.tags if t.tag_path == location})
            details.leaks.append((f.label, kind, location, values))
    return block, details


def _rel(relpath: str) -> str:
    return expected_output(Path("OUT"), relpath).as_posix()


def _tag_name(location: str) -> str:
    """``(0010,0010)`` -> ``(0010,0010) PatientName``: the keyword of the last element of a tag path."""
    from pydicom.datadict import keyword_for_tag

    from .dicom_paths import parse_path

    try:
        keyword = keyword_for_tag(parse_path(location)[-1][0])
    except (ValueError, AttributeError):
        return location
    return f"{location} {keyword}" if keyword else location


def failure_message(short: list[str], details: _Details, show_values: bool = False) -> str:
    """The readable failure: thresholds missed, then what leaked (labels, boxes, tag paths; values if asked)."""
    lines = ["phiphantom: the de-identified outputs fall short:"] + [f"  {s}" for s in short]

    def listed(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {item}" for item in items[:_MAX_LISTED])
            if len(items) > _MAX_LISTED:
                lines.append(f"  ... and {len(items) - _MAX_LISTED} more")

    # output paths mirror the input names: shown only with show_values (names may carry PHI)
    listed("files without a usable output", [m if show_values else m.split(" (expected at ")[0]
                                             for m in details.missing])
    boxes = []
    for label, gt, box in details.boxes:
        x, y, w, h = gt.bbox
        text = f"{label} box {gt.box_id} ({gt.phi_category}) at x={x} y={y} w={w} h={h}: " \
               f"removed on {box.frames_ok} of {box.frames} frame(s)"
        if show_values:
            text += f": {gt.rendered_text!r}"
        boxes.append(text)
    listed("burned-in PHI boxes not removed", boxes)
    leaks = []
    for label, kind, location, values in details.leaks:
        text = f"{label} [{kind}] {_tag_name(location)}"
        if show_values and values:
            text += f": {', '.join(repr(v) for v in values)}"
        leaks.append(text)
    if leaks:
        kinds: dict[str, int] = {}
        for _, kind, _, _ in details.leaks:
            kinds[kind] = kinds.get(kind, 0) + 1
        lines.append("header leaks by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    listed("header locations still holding PHI", leaks)
    if not show_values:
        lines.append("(no PHI values shown: assert_deidentified(..., show_values=True) shows them)")
    return "\n".join(lines)
