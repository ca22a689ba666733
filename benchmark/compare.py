"""``phiphantom bench compare BASELINE.json CURRENT.json``: a diff table and a regression verdict for CI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

#: Metrics where larger is better / smaller is better.
HIGHER_BETTER = (
    "box_recall", "frame_recall", "clinical_preservation", "label_preservation", "tag_coverage", "conformance",
    "required_retained", "midi_b_score", "valid_files", "pseudonym_consistency", "uid_consistency",
    "date_interval_consistency",
    "detection_precision", "detection_recall", "files_per_s", "frames_per_s", "mb_per_s",
)
LOWER_BETTER = (
    "residual_phi_boxes", "residual_phi_rate", "image_damage", "leaks", "files_with_leaks", "files_failed",
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
    """``["box_recall=0.01", "leaks=2"]`` -> {"box_recall": 0.01, "leaks": 2.0}; timing keys are relative (0.2 = 20%)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in HIGHER_BETTER + LOWER_BETTER:
            raise CompareError(f"--max-drop wants METRIC=VALUE with a known metric, got {item!r}")
        try:
            out[key] = float(value)
        except ValueError:
            raise CompareError(f"--max-drop value must be a number, got {item!r}") from None
        if out[key] < 0:
            raise CompareError(f"--max-drop value must be >= 0, got {item!r}")
    return out


def load_results(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CompareError(f"no such results file: {path}") from None
    except json.JSONDecodeError as exc:
        raise CompareError(f"{path} is not valid JSON ({exc.msg})") from None
    if not str(data.get("schema", "")).startswith("phiphantom.bench/"):
        raise CompareError(f"{path} is not a phiphantom bench results.json")
    return data


def _worse(metric: str, base: float, cur: float, tol: float) -> bool:
    if metric in TIMING:
        if metric in HIGHER_BETTER:
            return cur < base * (1 - tol)
        return cur > base * (1 + tol)
    if metric in HIGHER_BETTER:
        return cur < base - tol - 1e-12
    return cur > base + tol + 1e-12


def compare(baseline: dict, current: dict, tolerances: dict[str, float] | None = None) -> list[Row]:
    """Rows for every engine of the baseline and every metric; ``regression`` marks what got worse."""
    tolerances = tolerances or {}
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
            if base is None and cur is None:
                continue
            if base is not None and cur is None:
                rows.append(Row(name, metric, base, cur, tol, checked, "no longer reported"))
                continue
            if base is None:
                rows.append(Row(name, metric, base, cur, tol, False, "new"))
                continue
            rows.append(Row(name, metric, base, cur, tol, checked and _worse(metric, base, cur, tol)))
    if baseline.get("dataset", {}).get("manifest_sha256") != current.get("dataset", {}).get("manifest_sha256"):
        rows.append(Row("(dataset)", "manifest_sha256", None, None, None, False,
                        "the two runs used different datasets: differences may not be regressions"))
    return rows
