"""``results.json``, the document ``phiphantom bench`` writes: schema name, typed parts, the one writer and reader.

:class:`ResultsDocument` is the whole file (dataset summary, :class:`RunSettings`, one
:class:`EngineBlock` per engine); :func:`write_results` writes it and :func:`read_results_json`
reads it back (``compare``, ``--overwrite``'s check of an earlier run, and the report read
through these). ``SCHEMA`` names the shape and is defined only here: change the shape (a key
added, removed or renamed, a value of another kind) and it must change too; the round-trip
test in ``tests/test_data_contracts.py`` fails on a block whose keys drift from the lists below.
``docs/metrics.md`` explains every value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "phiphantom.bench/4"
SCHEMA_V3 = "phiphantom.bench/3"   # the shape before token-level header leaks (issue 17): still read
SCHEMA_V2 = "phiphantom.bench/2"   # the shape before token-level residual PHI (issue 17): still read
SCHEMA_V1 = "phiphantom.bench/1"   # the shape before scores by style (issue 14): still read
#: Every version this module reads (older ones are upgraded on reading).
READABLE_SCHEMAS = (SCHEMA, SCHEMA_V3, SCHEMA_V2, SCHEMA_V1)
SCHEMA_FAMILY = "phiphantom.bench/"   # what ``compare`` accepts: any version of the document
RESULTS_NAME = "results.json"

#: An engine block's metrics, in the order results.json holds them (a number, or null when not measured).
METRIC_NAMES = (
    "box_recall", "worst_style_box_recall", "frame_recall", "residual_phi_boxes", "residual_phi_rate",
    "residual_phi_boxes_whole", "residual_phi_tokens", "residual_phi_token_rate",
    "clinical_preservation", "worst_style_clinical_preservation", "label_preservation", "image_damage",
    "graphics_preservation", "detection_precision", "detection_recall", "tag_coverage", "leaks",
    "leaks_whole_value", "files_with_leaks", "conformance", "required_retained", "midi_b_score", "valid_files",
    "pseudonym_consistency", "uid_consistency", "date_interval_consistency", "files_per_s", "frames_per_s",
    "mb_per_s", "latency_p50_s", "latency_p95_s", "peak_rss_mb", "startup_s", "files_failed",
)
#: An engine block's counts, in order.
COUNT_NAMES = ("files", "phi_boxes", "phi_tokens", "phi_box_frames", "clinical_boxes", "label_boxes", "graphic_boxes",
               "styles", "image_pixels", "tag_rows", "conformance_checks", "wall_s", "detections")
#: What phiphantom.bench/2 added to /1's metrics and counts: a /1 file is read with these as null.
V2_METRICS = ("worst_style_box_recall", "worst_style_clinical_preservation", "graphics_preservation")
V2_COUNTS = ("graphic_boxes", "styles")
#: What phiphantom.bench/3 added to /2's: a /2 (or /1) file is read with these as null, its whole-box
#: ``residual_phi_boxes`` moved to ``residual_phi_boxes_whole`` (see :func:`upgrade_v2`).
V3_METRICS = ("residual_phi_boxes_whole", "residual_phi_tokens", "residual_phi_token_rate")
V3_COUNTS = ("phi_tokens",)
#: What phiphantom.bench/4 added to /3's: a /3 (or older) file's whole-value ``leaks`` moves there (:func:`upgrade_v3`).
V4_METRICS = ("leaks_whole_value",)
#: The keys of a results document and of an engine block, in order.
DOCUMENT_KEYS = ("schema", "phiphantom_version", "created_utc", "include_phi", "dataset", "settings", "engines",
                 "vocabulary_overlap")
ENGINE_KEYS = ("name", "spec", "description", "metrics", "counts", "leaks_by_kind", "conformance_by_action",
               "required_by_attribute", "consistency", "strata", "per_file", "errors")
SETTINGS_KEYS = ("workers", "timeout_s", "ocr", "dciodvfy", "executor")

Metric = float | int | None


class ResultsFileError(ValueError):
    """A results.json that cannot be read, or a document of another shape (message is safe to show)."""


def _keys_problem(what: str, data: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    if tuple(data) != keys:
        missing = [k for k in keys if k not in data]
        extra = [k for k in data if k not in keys]
        raise ResultsFileError(f"{what} of {SCHEMA} lacks {', '.join(missing) or '-'}, has the unknown "
                               f"{', '.join(map(str, extra)) or '-'}" + ("" if missing or extra else ", out of order"))


@dataclass(frozen=True)
class RunSettings:
    """How bench ran: worker processes, per-file timeout, re-OCR, dciodvfy, executor (``local`` or Dask)."""

    workers: int
    timeout_s: float
    ocr: bool
    dciodvfy: bool
    executor: str

    def to_json(self) -> dict[str, Any]:
        return {"workers": self.workers, "timeout_s": self.timeout_s, "ocr": self.ocr, "dciodvfy": self.dciodvfy,
                "executor": self.executor}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSettings:
        _keys_problem("the settings", data, SETTINGS_KEYS)
        return cls(**data)


@dataclass(frozen=True)
class EngineBlock:
    """One engine's scores (``docs/metrics.md``): made by :func:`.aggregate.aggregate_engine`."""

    name: str
    spec: str
    description: dict[str, Any]            # the engine's name, version, config (no PHI)
    metrics: dict[str, Metric]             # METRIC_NAMES, in order
    counts: dict[str, Any]                 # COUNT_NAMES, in order (detections: {tp, fp, fn} or null)
    leaks_by_kind: dict[str, int]
    conformance_by_action: dict[str, dict[str, int]]
    required_by_attribute: dict[str, float | None]
    consistency: dict[str, Any]
    strata: dict[str, Any]
    per_file: list[dict[str, Any]] = field(default_factory=list)   # file, box_recall, leaks, seconds, error[, path]
    errors: list[dict[str, Any]] = field(default_factory=list)     # file, error_class, message

    def __post_init__(self) -> None:
        _keys_problem(f"the metrics of engine {self.name!r}", self.metrics, METRIC_NAMES)
        _keys_problem(f"the counts of engine {self.name!r}", self.counts, COUNT_NAMES)

    def to_json(self) -> dict[str, Any]:
        """The block as results.json holds it (keys in ENGINE_KEYS order)."""
        return {key: getattr(self, key) for key in ENGINE_KEYS}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EngineBlock:
        _keys_problem("an engine block", data, ENGINE_KEYS)
        return cls(**data)


@dataclass(frozen=True)
class ResultsDocument:
    """The whole results.json."""

    phiphantom_version: str
    created_utc: str
    include_phi: bool
    dataset: dict[str, Any]          # BenchDataset.summary() (path reduced to its name without --include-phi)
    settings: RunSettings
    engines: list[EngineBlock]
    vocabulary_overlap: dict[str, Any] | None = None   # the bundled engine's clinical words vs each pack's
    schema: str = SCHEMA

    def to_json(self) -> dict[str, Any]:
        """The document as plain JSON data (keys in DOCUMENT_KEYS order), what ``run_bench`` returns."""
        return {"schema": self.schema, "phiphantom_version": self.phiphantom_version,
                "created_utc": self.created_utc, "include_phi": self.include_phi, "dataset": self.dataset,
                "settings": self.settings.to_json(), "engines": [e.to_json() for e in self.engines],
                "vocabulary_overlap": self.vocabulary_overlap}

    @classmethod
    def from_json(cls, data: Any) -> ResultsDocument:
        """The document of ``data``; :class:`ResultsFileError` for another schema or shape.

        A :data:`SCHEMA_V1`, :data:`SCHEMA_V2` or :data:`SCHEMA_V3` document is read as this schema's
        (:func:`upgrade_v1`, then :func:`upgrade_v2`, then :func:`upgrade_v3`).
        """
        if isinstance(data, Mapping) and data.get("schema") == SCHEMA_V1:
            data = upgrade_v1(data)
        if isinstance(data, Mapping) and data.get("schema") == SCHEMA_V2:
            data = upgrade_v2(data)
        if isinstance(data, Mapping) and data.get("schema") == SCHEMA_V3:
            data = upgrade_v3(data)
        if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
            raise ResultsFileError(f"not a {SCHEMA} results document")
        _keys_problem("a results document", data, DOCUMENT_KEYS)
        return cls(phiphantom_version=data["phiphantom_version"], created_utc=data["created_utc"],
                   include_phi=data["include_phi"], dataset=data["dataset"],
                   settings=RunSettings.from_json(data["settings"]),
                   engines=[EngineBlock.from_json(e) for e in data["engines"]],
                   vocabulary_overlap=data["vocabulary_overlap"], schema=data["schema"])


def _with_nulls(values: Any, names: tuple[str, ...], added: tuple[str, ...]) -> Any:
    """``values`` with the keys ``added`` as null, in ``names`` order (anything not an object as is)."""
    if not isinstance(values, Mapping) or any(k in values for k in added):
        return values
    return {k: values.get(k) for k in names if k in values or k in added} | {
        k: v for k, v in values.items() if k not in names}


def upgrade_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A :data:`SCHEMA_V1` document as a :data:`SCHEMA_V2` one: what /2 added is null (not measured then).

    /1 had no scores by style, no graphics and no vocabulary overlap: the metrics of
    :data:`V2_METRICS` and counts of :data:`V2_COUNTS` are null, ``vocabulary_overlap`` is null
    and ``strata`` has no ``by_style``. Nothing else changes; a malformed /1 document stays
    malformed (the shape check reports it).
    """
    engines = data.get("engines")
    if isinstance(engines, list):
        engines = [e if not isinstance(e, Mapping) else
                   {**e, **({"metrics": _with_nulls(e["metrics"], METRIC_NAMES, V2_METRICS)} if "metrics" in e else {}),
                    **({"counts": _with_nulls(e["counts"], COUNT_NAMES, V2_COUNTS)} if "counts" in e else {})}
                   for e in engines]
    upgraded = {**data, "schema": SCHEMA_V2} | ({"engines": engines} if isinstance(engines, list) else {})
    if "vocabulary_overlap" not in upgraded:
        upgraded["vocabulary_overlap"] = None
    return upgraded


def _v2_metrics(metrics: Any) -> Any:
    if not isinstance(metrics, Mapping) or any(k in metrics for k in V3_METRICS):
        return metrics
    upgraded = _with_nulls(metrics, METRIC_NAMES, V3_METRICS)
    if "residual_phi_boxes" in metrics:  # the whole-box count moves; the token-level values were not measured
        upgraded |= {"residual_phi_boxes_whole": metrics["residual_phi_boxes"], "residual_phi_boxes": None,
                     "residual_phi_rate": None}
    return upgraded


def upgrade_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """A :data:`SCHEMA_V2` document as a :data:`SCHEMA_V3` one.

    /2 counted a box as residual only when the whole line was read (similarity >= 0.8): that count
    becomes ``residual_phi_boxes_whole``; the token-level ``residual_phi_boxes``, ``residual_phi_rate``,
    ``residual_phi_tokens``, ``residual_phi_token_rate`` and the count ``phi_tokens`` are null (not
    measured then), so ``compare`` never sets a whole-box count against a token-level one. The strata
    and by-style residual cells of a /2 file keep their whole-box values. A malformed /2 document
    stays malformed (the shape check reports it).
    """
    engines = data.get("engines")
    if isinstance(engines, list):
        engines = [e if not isinstance(e, Mapping) else
                   {**e, **({"metrics": _v2_metrics(e["metrics"])} if "metrics" in e else {}),
                    **({"counts": _with_nulls(e["counts"], COUNT_NAMES, V3_COUNTS)} if "counts" in e else {})}
                   for e in engines]
    return {**data, "schema": SCHEMA_V3} | ({"engines": engines} if isinstance(engines, list) else {})


def _v3_metrics(metrics: Any) -> Any:
    if not isinstance(metrics, Mapping) or any(k in metrics for k in V4_METRICS):
        return metrics
    upgraded = _with_nulls(metrics, METRIC_NAMES, V4_METRICS)
    if "leaks" in metrics:  # the whole-value count moves; the token-level values were not measured
        upgraded |= {"leaks_whole_value": metrics["leaks"], "leaks": None, "files_with_leaks": None}
    return upgraded


def upgrade_v3(data: Mapping[str, Any]) -> dict[str, Any]:
    """A :data:`SCHEMA_V3` document as a :data:`SCHEMA` one.

    /3 found a header leak only where a PHI value was left whole (or a name's ``^``-component):
    that count becomes ``leaks_whole_value``; the token-level ``leaks`` and ``files_with_leaks`` are
    null (not measured then), so ``compare`` never sets a whole-value count against a token-level one.
    ``leaks_by_kind``, ``strata.leaks`` and ``per_file[].leaks`` of a /3 file keep their whole-value
    counts. A malformed /3 document stays malformed (the shape check reports it).
    """
    return {**whole_value_leaks_moved(data), "schema": SCHEMA}


def whole_value_leaks_moved(data: Mapping[str, Any]) -> Any:
    """A /1, /2 or /3 document with each engine's whole-value ``leaks`` moved to ``leaks_whole_value``
    (``leaks`` and ``files_with_leaks`` null), for ``compare`` on raw documents; others as is."""
    engines = data.get("engines")
    if data.get("schema") not in (SCHEMA_V1, SCHEMA_V2, SCHEMA_V3) or not isinstance(engines, list):
        return data
    return {**data, "engines": [e if not isinstance(e, Mapping) or "metrics" not in e
                                else {**e, "metrics": _v3_metrics(e["metrics"])} for e in engines]}


def whole_box_residual_moved(data: Mapping[str, Any]) -> Any:
    """A /1 or /2 document with each engine's whole-box ``residual_phi_boxes`` (and its rate) moved to
    ``residual_phi_boxes_whole`` (the token-level ones null), for ``compare`` on raw documents; others as is."""
    engines = data.get("engines")
    if data.get("schema") not in (SCHEMA_V1, SCHEMA_V2) or not isinstance(engines, list):
        return data
    moved = []
    for engine in engines:
        metrics = engine.get("metrics") if isinstance(engine, Mapping) else None
        whole_box = isinstance(metrics, Mapping) and "residual_phi_boxes_whole" not in metrics
        if isinstance(metrics, Mapping) and whole_box and "residual_phi_boxes" in metrics:
            engine = {**engine, "metrics": {**metrics, "residual_phi_boxes": None, "residual_phi_rate": None,
                                            "residual_phi_boxes_whole": metrics["residual_phi_boxes"]}}
        moved.append(engine)
    return {**data, "engines": moved}


def results_text(document: ResultsDocument) -> str:
    """The bytes of results.json (as text): indented, UTF-8 kept as is, a final newline."""
    return json.dumps(document.to_json(), indent=2, ensure_ascii=False) + "\n"


def write_results(path: Path, document: ResultsDocument) -> None:
    """Write ``document`` to ``path`` (``OUT/results.json``)."""
    Path(path).write_text(results_text(document), encoding="utf-8")


def read_results_json(path: Path) -> Any:
    """The JSON data of the results file at ``path``, any version (callers check what they need).

    Anything unreadable is a :class:`ResultsFileError` saying what is wrong (never a value).
    """
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ResultsFileError(f"no such results file: {path}") from None
    except IsADirectoryError:
        raise ResultsFileError(f"{path} is a folder, not a results.json file") from None
    except OSError as exc:
        raise ResultsFileError(f"cannot read {path} ({type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{path} is not a results.json (binary, not UTF-8 text)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise ResultsFileError(f"{path} is not a results.json (nested too deeply)") from None


def read_results(path: Path) -> ResultsDocument:
    """The :data:`SCHEMA` document at ``path`` (:class:`ResultsFileError` otherwise)."""
    return ResultsDocument.from_json(read_results_json(path))
