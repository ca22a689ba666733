"""``phiphantom bench compare BASELINE.json CURRENT.json``: a diff table and a regression verdict for CI."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .results_file import (
    SCHEMA_FAMILY,
    ResultsFileError,
    read_results_json,
    whole_box_residual_moved,
    whole_value_leaks_moved,
)

#: Metrics where larger is better / smaller is better.
HIGHER_BETTER = (
    "box_recall", "worst_style_box_recall", "frame_recall", "clinical_preservation",
    "worst_style_clinical_preservation", "label_preservation", "graphics_preservation", "tag_coverage", "conformance",
    "required_retained", "midi_b_score", "valid_files", "pseudonym_consistency", "uid_consistency",
    "date_interval_consistency",
    "detection_precision", "detection_recall", "files_per_s", "frames_per_s", "mb_per_s",
)
LOWER_BETTER = (
    "residual_phi_boxes", "residual_phi_rate", "residual_phi_boxes_whole", "residual_phi_tokens",
    "residual_phi_token_rate", "image_damage", "leaks", "leaks_whole_value", "files_with_leaks", "files_failed",
    "latency_p50_s", "latency_p95_s", "peak_rss_mb", "startup_s",
)
#: Timing metrics vary between machines and runs: checked only when a tolerance is given, and relatively.
TIMING = ("files_per_s", "frames_per_s", "mb_per_s", "latency_p50_s", "latency_p95_s", "peak_rss_mb", "startup_s")


class CompareError(ValueError):
    """Unusable input for a comparison (message is safe to show)."""


@dataclass(frozen=True)
class Row:
    engine: str
    metric: str
    baseline: float | None
    current: float | None
    tolerance: float | None
    regression: bool
    note: str = ""

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline


def parse_tolerances(items: list[str]) -> dict[str, float]:
    """``["box_recall=0.01", "leaks=2"]`` -> {"box_recall": 0.01, "leaks": 2.0}; timing keys relative (0.2 = 20%)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in HIGHER_BETTER + LOWER_BETTER:
            raise CompareError(f"--max-drop wants METRIC=VALUE with a known metric, got {item!r}")
        try:
            out[key] = float(value)
        except ValueError:
            raise CompareError(f"--max-drop value must be a number, got {item!r}") from None
        if not math.isfinite(out[key]) or out[key] < 0:
            raise CompareError(f"--max-drop value must be a finite number >= 0, got {item!r}")
    return out


def load_results(path: Path) -> dict:
    """Read and check a results.json (any version); anything unusable is a :class:`CompareError` saying why."""
    try:
        data = read_results_json(path)
    except ResultsFileError as exc:
        raise CompareError(str(exc)) from None
    check_schema(data, path)
    return data


def check_schema(data, path: Path | str) -> None:
    """Raise :class:`CompareError` unless ``data`` has the parts of a results.json that compare reads.

    Metric values must be numbers or null; NaN and infinities pass here (they are
    regressions, reported by :func:`compare`, not malformed input).
    """
    def bad(what: str) -> CompareError:
        return CompareError(f"{path} is not a phiphantom bench results.json: {what}")

    if not isinstance(data, dict):
        raise bad(f"the top level is a JSON {type(data).__name__}, not an object")
    if not str(data.get("schema", "")).startswith(SCHEMA_FAMILY):
        raise bad('no "schema": "phiphantom.bench/..." entry')
    engines = data.get("engines")
    if not isinstance(engines, list) or not engines:
        raise bad('"engines" is not a non-empty list')
    if "dataset" in data and not isinstance(data["dataset"], dict):
        raise bad('"dataset" is not an object')
    for i, engine in enumerate(engines):
        if not isinstance(engine, dict) or not isinstance(engine.get("name"), str):
            raise bad(f"engine {i + 1} has no name")
        metrics = engine.get("metrics")
        if not isinstance(metrics, dict):
            raise bad(f"engine {i + 1} has no metrics object")
        for metric in HIGHER_BETTER + LOWER_BETTER:
            value = metrics.get(metric)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise bad(f"metric {metric} of engine {i + 1} is not a number")


def _worse(metric: str, base: float, cur: float, tol: float) -> bool:
    if metric in TIMING:
        if metric in HIGHER_BETTER:
            return cur < base * (1 - tol)
        return cur > base * (1 + tol)
    if metric in HIGHER_BETTER:
        return cur < base - tol - 1e-12
    return cur > base + tol + 1e-12


def _not_finite(value: float | None) -> bool:
    return value is not None and not math.isfinite(value)


def compare(baseline: dict, current: dict, tolerances: dict[str, float] | None = None) -> list[Row]:
    """Rows for every engine of the baseline and every metric; ``regression`` marks what got worse.

    A metric that is NaN or infinite in either file, or that the baseline has and the
    current file lacks altogether, is a regression whatever the tolerance: a broken
    measurement must never pass as "no change".
    """
    tolerances = tolerances or {}
    # a /1 or /2 file counted whole-box residual PHI: compared with residual_phi_boxes_whole, never token-level
    baseline, current = whole_box_residual_moved(baseline), whole_box_residual_moved(current)
    # a /1, /2 or /3 file counted whole-value header leaks: compared with leaks_whole_value, never token-level
    baseline, current = whole_value_leaks_moved(baseline), whole_value_leaks_moved(current)
    current_by_name = {e["name"]: e for e in current.get("engines", [])}
    rows: list[Row] = []
    for engine in baseline.get("engines", []):
        name = engine["name"]
        if name not in current_by_name:
            rows.append(Row(name, "(engine)", None, None, None, True, "missing from the current results"))
            continue
        cur_metrics = current_by_name[name]["metrics"]
        for metric in HIGHER_BETTER + LOWER_BETTER:
            base = engine["metrics"].get(metric)
            cur = cur_metrics.get(metric)
            checked = metric not in TIMING or metric in tolerances
            tol = tolerances.get(metric, 0.0) if checked else None
            if _not_finite(cur) or _not_finite(base):
                which = " and ".join(side for side, v in (("baseline", base), ("current", cur)) if _not_finite(v))
                rows.append(Row(name, metric, base, cur, tol, True, f"{which} value is not a finite number"))
                continue
            if metric in engine["metrics"] and metric not in cur_metrics:
                rows.append(Row(name, metric, base, None, tol, True, "missing from the current results"))
                continue
            if base is None and cur is None:
                continue
            if base is not None and cur is None:
                rows.append(Row(name, metric, base, cur, tol, checked, "no longer reported"))
                continue
            if base is None:
                rows.append(Row(name, metric, base, cur, tol, False, "new"))
                continue
            rows.append(Row(name, metric, base, cur, tol, tol is not None and _worse(metric, base, cur, tol)))
    if baseline.get("dataset", {}).get("manifest_sha256") != current.get("dataset", {}).get("manifest_sha256"):
        rows.append(Row("(dataset)", "manifest_sha256", None, None, None, False,
                        "the two runs used different datasets: differences may not be regressions"))
    return rows
