"""Aggregate per-file scores into one engine's block of results.json (sums of counts, then ratios)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from phiphantom.core.ground_truth import BoxRow
from phiphantom.core.vocabulary import LEAK_KINDS, contrast_band, font_band

from .by_style import StyleCells, box_style, file_style, is_graphic, worst_style
from .consistency import consistency
from .dataset import BenchDataset
from .phi_tokens import box_tokens
from .results_file import EngineBlock
from .scoring import FileScore

if TYPE_CHECKING:
    from .runner import EngineRun


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def _strata_keys(row: BoxRow, entry: dict) -> dict[str, str]:
    return {
        "phi_category": row.phi_category, "font_px": font_band(row.font_px),
        "contrast": contrast_band(row.contrast), "layout": row.layout,
        "cine": "cine" if entry["frames"] > 1 else "single", "transfer_syntax": entry["transfer_syntax"],
        "over_image": "over the image" if row.over_image == "1" else "off the image",
    }


class _Cells:
    """Accumulates {dimension: {value: [n, sum]}} and renders {"n", "value"} cells."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))

    def add(self, keys: dict[str, str], value: float) -> None:
        for dim, key in keys.items():
            cell = self.data[dim][key]
            cell[0] += 1
            cell[1] += value

    def render(self, mean: bool = True) -> dict:
        return {dim: {k: {"n": int(n), "value": round(s / n, 6) if mean and n else s}
                      for k, (n, s) in sorted(cells.items())}
                for dim, cells in sorted(self.data.items())}


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 6) if values else None


def aggregate_engine(dataset: BenchDataset, name: str, run: EngineRun, scores: list[FileScore],
                     include_phi: bool = False) -> EngineBlock:
    """The engine's block of results.json (see docs/metrics.md)."""
    c: defaultdict[str, float] = defaultdict(float)
    recall_cells, residual_cells, leak_cells = _Cells(), _Cells(), _Cells()
    leaks_by_kind = dict.fromkeys(LEAK_KINDS, 0)
    conformance: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    required: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_file: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    det = [0, 0, 0]
    damage_by_modality: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # modality -> files, pixels, damaged
    detections_reported = False
    ocr_ran = True
    styles = StyleCells()
    for truth, score, outcome in zip(dataset.files, scores, run.outcomes, strict=False):
        entry = truth.entry
        file_phi = file_removed = 0
        style = file_style(entry, truth.boxes)
        residuals = score.residual if score.residual is not None else [None] * len(truth.boxes)
        for row, box, residual in zip(truth.boxes, score.pixel.boxes, residuals, strict=False):
            row_style = box_style(row, style)
            if is_graphic(row):  # a drawn graphic is not text: only whether the engine left it intact
                c["graphic_boxes"] += 1
                c["graphic_kept"] += box.ok
                styles.add(row_style, "graphics_preservation", float(box.ok))
            elif row.phi:
                keys = _strata_keys(row, entry)
                c["phi_boxes"] += 1
                c["phi_box_frames"] += box.frames
                c["phi_frames_removed"] += box.frames_ok
                c["phi_removed"] += box.ok
                file_phi += 1
                file_removed += box.ok
                recall_cells.add(keys, float(box.ok))
                styles.add(row_style, "box_recall", float(box.ok))
                styles.add(row_style, "frame_recall", box.frames_ok, box.frames)
                c["phi_tokens"] += len(box_tokens(row))
                # token-level residual (issue 17); the by-style rate is rendered null without re-OCR
                styles.add(row_style, "residual_phi_rate", float(residual.residual if residual else 0))
                if residual is not None:
                    c["residual"] += residual.residual
                    c["residual_whole"] += residual.whole
                    c["tokens_read"] += residual.tokens_read
                    residual_cells.add(keys, float(residual.residual))
            elif row.phi_category == "label":
                c["label_boxes"] += 1
                c["label_kept"] += box.ok
                styles.add(row_style, "label_preservation", float(box.ok))
            else:
                c["clinical_boxes"] += 1
                c["clinical_kept"] += box.ok
                styles.add(row_style, "clinical_preservation", float(box.ok))
        ocr_ran = ocr_ran and score.residual is not None
        c["image_pixels"] += score.pixel.image_pixels
        c["damaged_pixels"] += score.pixel.damaged_pixels
        styles.add(style, "image_damage", score.pixel.damaged_pixels, score.pixel.image_pixels)
        cell = damage_by_modality[str(entry.get("modality") or "US")]  # generated datasets are ultrasound
        cell[0], cell[1], cell[2] = (cell[0] + 1, cell[1] + score.pixel.image_pixels,
                                     cell[2] + score.pixel.damaged_pixels)
        header = score.header
        c["tag_rows"] += header.rows_total
        c["tags_removed"] += sum(header.row_removed)
        file_leaks = len(header.leaks)
        c["leaks"] += file_leaks
        c["leaks_whole_value"] += header.leaks_whole_value
        c["files_with_leaks"] += file_leaks > 0
        for kind, _ in header.leaks:
            leaks_by_kind[kind] = leaks_by_kind.get(kind, 0) + 1
            leak_cells.add({"location_kind": kind, "cine": "cine" if truth.cine else "single",
                            "transfer_syntax": entry["transfer_syntax"]}, 1.0)
        for action, (total, honoured) in header.conformance.items():
            conformance[action][0] += total
            conformance[action][1] += honoured
        for attr, kept in header.required.items():
            required[attr][0] += 1
            required[attr][1] += bool(kept)
        valid = header.valid and (score.new_dciodvfy_errors in (None, 0))
        c["valid"] += valid
        if score.detection is not None:
            detections_reported = True
            det = [a + b for a, b in zip(det, score.detection, strict=False)]
        failed = outcome.output_relpath is None or score.failed  # no output, or one nothing could be measured in
        c["failed"] += failed
        error = outcome.error_class or score.pixel.error or header.error
        file_row = {"file": truth.label, "box_recall": _ratio(file_removed, file_phi), "leaks": file_leaks,
                    "seconds": round(outcome.seconds, 4), "error": error}
        if include_phi:
            file_row["path"] = truth.relpath
        per_file.append(file_row)
        if error:  # runner messages are already free of PHI unless --include-phi let them through
            errors.append({"file": truth.label, "error_class": outcome.error_class or "UnusableOutput",
                           "message": outcome.message or error})
    files = len(dataset.files)
    cons = consistency([(t.entry["patient_key"], s.header) for t, s in zip(dataset.files, scores, strict=False)])
    conf_total = sum(v[0] for v in conformance.values())
    conf_ok = sum(v[1] for v in conformance.values())
    req_total = sum(v[0] for v in required.values())
    req_ok = sum(v[1] for v in required.values())
    ok_seconds = [o.seconds for o in run.outcomes if o.output_relpath is not None]
    wall = max(run.wall_s, 1e-9)
    frames = sum(t.entry["frames"] for t in dataset.files)
    in_bytes = sum(t.entry["bytes"] for t in dataset.files)
    by_style = styles.render(ocr_ran)
    worst_recall = worst_style(by_style, "box_recall")
    worst_clinical = worst_style(by_style, "clinical_preservation")
    metrics = {
        "box_recall": _ratio(c["phi_removed"], c["phi_boxes"]),
        "worst_style_box_recall": worst_recall[1] if worst_recall else None,
        "frame_recall": _ratio(c["phi_frames_removed"], c["phi_box_frames"]),
        "residual_phi_boxes": int(c["residual"]) if ocr_ran else None,
        "residual_phi_rate": _ratio(c["residual"], c["phi_boxes"]) if ocr_ran else None,
        "residual_phi_boxes_whole": int(c["residual_whole"]) if ocr_ran else None,
        "residual_phi_tokens": int(c["tokens_read"]) if ocr_ran else None,
        "residual_phi_token_rate": _ratio(c["tokens_read"], c["phi_tokens"]) if ocr_ran else None,
        "clinical_preservation": _ratio(c["clinical_kept"], c["clinical_boxes"]),
        "worst_style_clinical_preservation": worst_clinical[1] if worst_clinical else None,
        "label_preservation": _ratio(c["label_kept"], c["label_boxes"]),
        "image_damage": _ratio(c["damaged_pixels"], c["image_pixels"]),
        "graphics_preservation": _ratio(c["graphic_kept"], c["graphic_boxes"]),
        "detection_precision": _ratio(det[0], det[0] + det[1]) if detections_reported else None,
        "detection_recall": _ratio(det[0], det[0] + det[2]) if detections_reported else None,
        "tag_coverage": _ratio(c["tags_removed"], c["tag_rows"]),
        "leaks": int(c["leaks"]),
        "leaks_whole_value": int(c["leaks_whole_value"]),
        "files_with_leaks": int(c["files_with_leaks"]),
        "conformance": _ratio(conf_ok, conf_total),
        "required_retained": _ratio(req_ok, req_total),
        "midi_b_score": _ratio(conf_ok + req_ok, conf_total + req_total),
        "valid_files": _ratio(c["valid"], files),
        "pseudonym_consistency": cons.get("pseudonym_consistency"),
        "uid_consistency": cons.get("uid_consistency"),
        "date_interval_consistency": cons.get("date_interval_consistency"),
        "files_per_s": round(files / wall, 3),
        "frames_per_s": round(frames / wall, 3),
        "mb_per_s": round(in_bytes / 1e6 / wall, 3),
        "latency_p50_s": _percentile(ok_seconds, 50),
        "latency_p95_s": _percentile(ok_seconds, 95),
        "peak_rss_mb": round(run.peak_rss_mb, 1) if run.peak_rss_mb is not None else None,
        "startup_s": round(max(run.startup_s), 4) if run.startup_s else None,
        "files_failed": int(c["failed"]),
    }
    return EngineBlock(
        name=name,
        spec=run.spec,
        description=run.description,
        metrics=metrics,
        counts={"files": files, "phi_boxes": int(c["phi_boxes"]), "phi_tokens": int(c["phi_tokens"]),
                "phi_box_frames": int(c["phi_box_frames"]),
                "clinical_boxes": int(c["clinical_boxes"]), "label_boxes": int(c["label_boxes"]),
                "graphic_boxes": int(c["graphic_boxes"]), "styles": len(styles.data),
                "image_pixels": int(c["image_pixels"]), "tag_rows": int(c["tag_rows"]),
                "conformance_checks": conf_total, "wall_s": round(run.wall_s, 4),
                "detections": {"tp": det[0], "fp": det[1], "fn": det[2]} if detections_reported else None},
        leaks_by_kind=leaks_by_kind,
        conformance_by_action={k: {"total": v[0], "honoured": v[1]} for k, v in sorted(conformance.items())},
        required_by_attribute={k: _ratio(v[1], v[0]) for k, v in sorted(required.items())},
        consistency=cons,
        strata={"box_recall": recall_cells.render(), "residual_phi": residual_cells.render(),
                "leaks": leak_cells.render(mean=False),
                "image_damage": {"modality": {m: {"n": f, "value": _ratio(d, p)}
                                              for m, (f, p, d) in sorted(damage_by_modality.items())}},
                "by_style": by_style},
        per_file=per_file,
        errors=errors,
    )
