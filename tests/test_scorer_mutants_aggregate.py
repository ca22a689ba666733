"""Aggregation of per-file scores into one engine's block of results.json (benchmark/aggregate.py), pinned exactly.

Mutation testing (docs/mutation.md, issue 17): the bench tests move one unit at a time on a generated
dataset, so most sums, ratios and strata are never compared with a value computed by hand. Here three
files' scores (the scorer's own dataclasses, as scoring.py makes them: a still, a 4-frame cine of
another style and modality, and a file the engine timed out on) go through ``aggregate_engine`` and
every figure of the block is checked against the definitions of docs/metrics.md, worked out below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from phiphantom.benchmark.aggregate import aggregate_engine
from phiphantom.benchmark.dataset import BenchDataset, FileTruth
from phiphantom.benchmark.header_metrics import HeaderFileScore
from phiphantom.benchmark.pixel_metrics import BoxScore, PixelFileScore
from phiphantom.benchmark.residual_ocr import ResidualRead
from phiphantom.benchmark.runner import EngineRun, FileOutcome
from phiphantom.benchmark.scoring import FileScore
from phiphantom.core.ground_truth import BoxRow
from phiphantom.core.vocabulary import LEAK_KINDS, contrast_band, font_band

TS1, TS2 = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50"
RR = ResidualRead


def _row(phi: bool, category: str, value: str = "", rendered: str = "", font_px: str = "14", contrast: str = "0.5",
         layout: str = "top", over_image: str = "0", kind: str = "text", frames: int = 1) -> BoxRow:
    return BoxRow.from_row({"is_phi": "1" if phi else "0", "phi_category": category, "phi_value": value,
                            "rendered_text": rendered, "font_px": font_px, "contrast": contrast, "layout": layout,
                            "over_image": over_image, "kind": kind, "frame_start": 0, "frame_end": frames},
                           lenient=True)


def _header(rows: list[bool], leaks: list[tuple[str, str]], conformance: dict[str, list[int]],
            required: dict[str, bool], valid: bool = True, pid: str = "", error: str = "") -> HeaderFileScore:
    view = {"PatientID": pid, "PatientName": pid} if pid else {}
    return HeaderFileScore(rows_total=len(rows), row_removed=rows, leaks=leaks, conformance=conformance,
                           required=required, valid=valid, output_view=view, error=error)


def _files(ocr: bool = True, detections: bool = True) -> tuple[BenchDataset, list[FileScore], EngineRun]:
    """A: a still (classic style, no modality: US); B: a 4-frame cine, style tablet-app-h, CT; C: timed out."""
    a_rows = [_row(True, "name", "Smith^John", "SMITH, JOHN", "14", "0.5", "top", "1"),
              _row(True, "study_date", "20161217", "17/12/2016", "10", "0.8", "bottom", "0"),
              _row(False, "measurement"), _row(False, "label"), _row(False, "", kind="graphic")]
    b_rows = [_row(True, "patient_id", "A78452968", "A78452968", "24", "0.2", "top", "0", frames=4),
              _row(True, "physician", "Tóth^Mihály", "Dr. M. Tóth", "14", "0.5", "side", "1", frames=4),
              _row(False, "measurement", frames=4)]
    c_rows = [_row(True, "operator", "Le^Jun", "JL Le", "18", "0.7", "top", "0")]
    files = [
        FileTruth(0, "a/IM1.dcm", {"frames": 1, "transfer_syntax": TS1, "patient_key": "P1", "bytes": 2_000_000},
                  a_rows),
        FileTruth(1, "b/IM2.dcm", {"frames": 4, "transfer_syntax": TS2, "patient_key": "P1", "bytes": 6_000_000,
                                   "modality": "CT", "style": "tablet-app-h"}, b_rows),
        FileTruth(2, "c/IM3.dcm", {"frames": 1, "transfer_syntax": TS1, "patient_key": "P2", "bytes": 2_000_000},
                  c_rows),
    ]
    scores = [
        FileScore(0, PixelFileScore([BoxScore(1, 1, None), BoxScore(1, 0, 0), BoxScore(1, 1, None),
                                     BoxScore(1, 0, 0), BoxScore(1, 1, None)], damaged_pixels=10, image_pixels=1000),
                  _header([True, True, False, True], [("private", "(0009,1010)")], {"X": [3, 2], "D": [1, 1]},
                          {"Rows": True, "Columns": True}, pid="ANON1"),
                  [RR(False, False, 0, 2), RR(True, True, 2, 2), None, None, None] if ocr else None,
                  (5, 1, 2) if detections else None, None),
        FileScore(1, PixelFileScore([BoxScore(4, 3, 2), BoxScore(4, 4, None), BoxScore(4, 2, 1)],
                                    damaged_pixels=600, image_pixels=3000),
                  _header([True] * 6, [], {"X": [2, 2], "Z": [1, 0]}, {"Rows": True, "PatientIdentityRemoved": False},
                          pid="ANON1"),
                  [RR(True, False, 1, 1), RR(False, False, 0, 1), None] if ocr else None,
                  (3, 0, 1) if detections else None, 2),  # two new dciodvfy errors: not a valid file
        FileScore(2, PixelFileScore([BoxScore(1, 0, 0)], damaged_pixels=500, image_pixels=500, error="no output"),
                  _header([False, False], [("standard", "(0010,0010)"), ("filename", "file name")], {"X": [2, 0]},
                          {"Rows": False}, valid=False, error="no output"),
                  [RR(True, True, 1, 1)] if ocr else None, None, None),
    ]
    run = EngineRun("e", {"engine": "e"}, [
        FileOutcome("a/IM1.dcm", "out/a.dcm", seconds=0.5), FileOutcome("b/IM2.dcm", "out/b.dcm", seconds=1.5),
        FileOutcome("c/IM3.dcm", None, "Timeout", "timed out after 120 s", seconds=120.0)],
        startup_s=[0.25, 0.75], wall_s=4.0, peak_rss_mb=123.456)
    return BenchDataset(Path("ds"), {}, files, "0" * 64), scores, run


def test_every_headline_metric_is_the_ratio_of_its_summed_counts():
    dataset, scores, run = _files()
    block = aggregate_engine(dataset, "e", run, scores)
    m = block.metrics
    # PHI text boxes A1 A2 B1 B2 C1; removed A1 B2; box-frames 1+1+4+4+1, removed 1+0+3+4+0
    assert m["box_recall"] == 0.4 and m["frame_recall"] == round(8 / 11, 6)
    # residual (token rule) A2 B1 C1, whole-line rule A2 C1; tokens read 0+2+1+0+1 of 2+2+1+1+1
    assert (m["residual_phi_boxes"], m["residual_phi_rate"], m["residual_phi_boxes_whole"]) == (3, 0.6, 2)
    assert (m["residual_phi_tokens"], m["residual_phi_token_rate"]) == (4, round(4 / 7, 6))
    assert (m["clinical_preservation"], m["label_preservation"], m["graphics_preservation"]) == (0.5, 0.0, 1.0)
    assert m["image_damage"] == round(1110 / 4500, 6)
    assert m["detection_precision"] == round(8 / 9, 6) and m["detection_recall"] == round(8 / 11, 6)
    assert m["tag_coverage"] == 0.75 and (m["leaks"], m["files_with_leaks"]) == (3, 2)
    # conformance X 7/4, D 1/1, Z 1/0; required Rows 3/2, Columns 1/1, PatientIdentityRemoved 1/0
    assert m["conformance"] == round(5 / 9, 6) and m["required_retained"] == 0.6
    assert m["midi_b_score"] == round(8 / 14, 6)
    assert m["valid_files"] == round(1 / 3, 6)  # B's header is valid but dciodvfy found new errors; C none
    assert m["pseudonym_consistency"] == 0.5  # P1 one pseudonym in both files; P2's only file failed
    assert m["pseudonym_consistency"] == block.consistency["pseudonym_consistency"]
    assert (m["files_per_s"], m["frames_per_s"], m["mb_per_s"]) == (0.75, 1.5, 2.5)  # 3 files, 6 frames, 10 MB, 4 s
    assert (m["latency_p50_s"], m["latency_p95_s"]) == (1.0, 1.45)  # C has no output: 0.5 and 1.5 only
    assert (m["peak_rss_mb"], m["startup_s"], m["files_failed"]) == (123.5, 0.75, 1)
    assert (m["worst_style_box_recall"], m["worst_style_clinical_preservation"]) == (round(1 / 3, 6), 0.0)


def test_counts_leaks_conformance_and_required_by_attribute():
    dataset, scores, run = _files()
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.name == "e" and block.spec == "e" and block.description == {"engine": "e"}
    assert block.counts == {"files": 3, "phi_boxes": 5, "phi_tokens": 7, "phi_box_frames": 11, "clinical_boxes": 2,
                            "label_boxes": 1, "graphic_boxes": 1, "styles": 2, "image_pixels": 4500, "tag_rows": 12,
                            "conformance_checks": 9, "wall_s": 4.0, "detections": {"tp": 8, "fp": 1, "fn": 3}}
    assert block.leaks_by_kind == dict.fromkeys(LEAK_KINDS, 0) | {"private": 1, "standard": 1, "filename": 1}
    assert block.conformance_by_action == {"D": {"total": 1, "honoured": 1}, "X": {"total": 7, "honoured": 4},
                                           "Z": {"total": 1, "honoured": 0}}
    assert list(block.conformance_by_action) == ["D", "X", "Z"]
    assert block.required_by_attribute == {"Columns": 1.0, "PatientIdentityRemoved": 0.0, "Rows": round(2 / 3, 6)}
    assert list(block.required_by_attribute) == ["Columns", "PatientIdentityRemoved", "Rows"]


def test_per_file_rows_and_errors():
    dataset, scores, run = _files()
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.per_file == [
        {"file": "file-0001", "box_recall": 0.5, "leaks": 1, "seconds": 0.5, "error": ""},
        {"file": "file-0002", "box_recall": 0.5, "leaks": 0, "seconds": 1.5, "error": ""},
        {"file": "file-0003", "box_recall": 0.0, "leaks": 2, "seconds": 120.0, "error": "Timeout"},
    ]
    assert block.errors == [{"file": "file-0003", "error_class": "Timeout", "message": "timed out after 120 s"}]
    with_paths = aggregate_engine(dataset, "e", run, scores, include_phi=True)
    assert [r["path"] for r in with_paths.per_file] == ["a/IM1.dcm", "b/IM2.dcm", "c/IM3.dcm"]
    assert "path" not in block.per_file[0]


def test_an_output_nothing_could_be_measured_in_is_a_failed_file_with_its_error():
    dataset, scores, run = _files()
    scores[1].pixel.error = "pixels undecodable"  # B was written, but its pixels cannot be read
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.metrics["files_failed"] == 2 and block.per_file[1]["error"] == "pixels undecodable"
    assert block.errors[0] == {"file": "file-0002", "error_class": "UnusableOutput", "message": "pixels undecodable"}


def test_strata_by_phi_category_font_contrast_layout_cine_syntax_and_place():
    dataset, scores, run = _files()
    strata = aggregate_engine(dataset, "e", run, scores).strata
    recall, residual = strata["box_recall"], strata["residual_phi"]
    assert recall["layout"] == {"bottom": {"n": 1, "value": 0.0}, "side": {"n": 1, "value": 1.0},
                                "top": {"n": 3, "value": round(1 / 3, 6)}}
    assert list(recall["layout"]) == ["bottom", "side", "top"]
    assert recall["cine"] == {"cine": {"n": 2, "value": 0.5}, "single": {"n": 3, "value": round(1 / 3, 6)}}
    assert recall["over_image"] == {"off the image": {"n": 3, "value": 0.0}, "over the image": {"n": 2, "value": 1.0}}
    assert recall["transfer_syntax"] == {TS1: {"n": 3, "value": round(1 / 3, 6)}, TS2: {"n": 2, "value": 0.5}}
    assert recall["phi_category"]["name"] == {"n": 1, "value": 1.0}
    assert recall["phi_category"]["study_date"] == {"n": 1, "value": 0.0}
    assert recall["font_px"] == {font_band(10): {"n": 1, "value": 0.0}, font_band(14): {"n": 2, "value": 1.0},
                                 font_band(18): {"n": 1, "value": 0.0}, font_band(24): {"n": 1, "value": 0.0}}
    assert recall["contrast"] == {contrast_band(0.2): {"n": 1, "value": 0.0},
                                  contrast_band(0.5): {"n": 2, "value": 1.0},
                                  contrast_band(0.8): {"n": 2, "value": 0.0}}
    assert list(recall) == ["cine", "contrast", "font_px", "layout", "over_image", "phi_category", "transfer_syntax"]
    assert residual["layout"] == {"bottom": {"n": 1, "value": 1.0}, "side": {"n": 1, "value": 0.0},
                                  "top": {"n": 3, "value": round(2 / 3, 6)}}
    assert strata["leaks"] == {"cine": {"single": {"n": 3, "value": 3.0}},
                               "location_kind": {"filename": {"n": 1, "value": 1.0},
                                                 "private": {"n": 1, "value": 1.0},
                                                 "standard": {"n": 1, "value": 1.0}},
                               "transfer_syntax": {TS1: {"n": 3, "value": 3.0}}}
    assert strata["image_damage"] == {"modality": {"CT": {"n": 1, "value": 0.2}, "US": {"n": 2, "value": 0.34}}}


def test_scores_by_style():
    dataset, scores, run = _files()
    by_style = aggregate_engine(dataset, "e", run, scores).strata["by_style"]
    assert by_style["box_recall"] == {"classic": {"n": 3, "value": round(1 / 3, 6)},
                                      "tablet-app-h": {"n": 2, "value": 0.5}}
    assert by_style["frame_recall"] == {"classic": {"n": 3, "value": round(1 / 3, 6)},
                                        "tablet-app-h": {"n": 8, "value": 0.875}}
    assert by_style["residual_phi_rate"] == {"classic": {"n": 3, "value": round(2 / 3, 6)},
                                             "tablet-app-h": {"n": 2, "value": 0.5}}
    assert by_style["clinical_preservation"] == {"classic": {"n": 1, "value": 1.0},
                                                 "tablet-app-h": {"n": 1, "value": 0.0}}
    assert by_style["label_preservation"] == {"classic": {"n": 1, "value": 0.0}}
    assert by_style["graphics_preservation"] == {"classic": {"n": 1, "value": 1.0}}
    assert by_style["image_damage"] == {"classic": {"n": 1500, "value": 0.34},
                                        "tablet-app-h": {"n": 3000, "value": 0.2}}


def test_without_re_ocr_every_residual_figure_is_null_and_the_rest_unchanged():
    dataset, scores, run = _files(ocr=False)
    block = aggregate_engine(dataset, "e", run, scores)
    m = block.metrics
    for name in ("residual_phi_boxes", "residual_phi_rate", "residual_phi_boxes_whole", "residual_phi_tokens",
                 "residual_phi_token_rate"):
        assert m[name] is None, name
    assert m["box_recall"] == 0.4 and block.counts["phi_tokens"] == 7
    assert block.strata["residual_phi"] == {}
    assert block.strata["by_style"]["residual_phi_rate"] == {"classic": {"n": 3, "value": None},
                                                             "tablet-app-h": {"n": 2, "value": None}}
    _, with_ocr, _ = _files()
    with_ocr[1].residual = None  # one file not re-read is enough: a partial count is not reported
    m = aggregate_engine(dataset, "e", run, with_ocr).metrics
    assert m["residual_phi_boxes"] is None and m["residual_phi_token_rate"] is None


def test_no_detections_reported_and_nothing_to_divide_by_give_null():
    dataset, scores, run = _files(detections=False)
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.metrics["detection_precision"] is None and block.metrics["detection_recall"] is None
    assert block.counts["detections"] is None
    empty = aggregate_engine(BenchDataset(Path("ds"), {}, [], "0" * 64), "e",
                             EngineRun("e", {}, [], startup_s=[], wall_s=0.0, peak_rss_mb=None), [])  # type: ignore[arg-type]
    m = empty.metrics
    assert all(m[k] is None for k in ("box_recall", "frame_recall", "residual_phi_rate", "residual_phi_token_rate",
                                      "clinical_preservation", "label_preservation", "image_damage",
                                      "graphics_preservation", "tag_coverage", "conformance", "required_retained",
                                      "midi_b_score", "valid_files", "latency_p50_s", "latency_p95_s", "peak_rss_mb",
                                      "startup_s", "worst_style_box_recall"))
    assert (m["residual_phi_boxes"], m["leaks"], m["files_failed"], m["files_per_s"]) == (0, 0, 0, 0.0)


@pytest.mark.parametrize(("seconds", "p50", "p95"), [([2.0], 2.0, 2.0), ([1.0, 2.0, 3.0, 4.0, 10.0], 3.0, 8.8),
                                                     ([0.1234567, 0.2], 0.161728, 0.196173)])  # 6 decimals
def test_latency_percentiles_interpolate_over_files_with_output(seconds, p50, p95):
    dataset, scores, run = _files()
    run.outcomes = [FileOutcome(f"f{i}", f"o{i}", seconds=s) for i, s in enumerate(seconds)]
    m = aggregate_engine(dataset, "e", run, scores[:len(seconds)]).metrics
    assert (m["latency_p50_s"], m["latency_p95_s"]) == (p50, p95)


def test_times_are_rounded_to_four_decimals_and_memory_to_one():
    dataset, scores, run = _files()
    run.wall_s, run.startup_s, run.peak_rss_mb = 3.99996, [0.123456, 0.0], 99.94
    run.outcomes[0] = FileOutcome("a/IM1.dcm", "out/a.dcm", seconds=0.123456)
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.counts["wall_s"] == 4.0 and block.metrics["startup_s"] == 0.1235
    assert block.per_file[0]["seconds"] == 0.1235 and block.metrics["peak_rss_mb"] == 99.9
    assert block.metrics["files_per_s"] == 0.75  # 3 / 3.99996, three decimals
    run.wall_s = 3.987654  # 3 files, 6 frames, 10 MB
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.counts["wall_s"] == 3.9877
    assert (block.metrics["files_per_s"], block.metrics["frames_per_s"], block.metrics["mb_per_s"]) == (
        0.752, 1.505, 2.508)


def test_a_file_of_two_frames_is_a_cine():
    dataset, scores, run = _files()
    dataset.files[1].entry["frames"] = 2
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.strata["box_recall"]["cine"] == {"cine": {"n": 2, "value": 0.5}, "single": {"n": 3,
                                                                                           "value": round(1 / 3, 6)}}
    assert block.metrics["frames_per_s"] == 1.0  # 1 + 2 + 1 frames in 4 s


def test_leaks_are_counted_per_location_kind():
    dataset, scores, run = _files()
    scores[0].header.leaks.append(("private", "(0011,1001)"))  # A: two private leaks, C: one standard, one filename
    scores[1].header.leaks.append(("private", "(0009,1002)"))  # B: one more
    block = aggregate_engine(dataset, "e", run, scores)
    assert block.leaks_by_kind == dict.fromkeys(LEAK_KINDS, 0) | {"private": 3, "standard": 1, "filename": 1}
    assert (block.metrics["leaks"], block.metrics["files_with_leaks"]) == (5, 3)
    assert block.strata["leaks"]["location_kind"]["private"] == {"n": 3, "value": 3.0}
    assert block.strata["leaks"]["cine"] == {"cine": {"n": 1, "value": 1.0}, "single": {"n": 4, "value": 4.0}}
    assert [r["leaks"] for r in block.per_file] == [2, 1, 2]


def test_throughput_counts_bytes_in_millions_not_whole_megabytes():
    dataset, scores, run = _files()
    dataset.files[0].entry["bytes"] = 2_500_000  # 10.5 MB in 4 s
    assert aggregate_engine(dataset, "e", run, scores).metrics["mb_per_s"] == 2.625
