"""The benchmark end to end: null and oracle bound the scale, mutations move it by exactly one unit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phiphantom.benchmark.bench import parse_engine, run_bench, unique_names
from phiphantom.benchmark.dataset import load_dataset
from phiphantom.benchmark.engines.oracle import OracleEngine
from phiphantom.cli.main import app
from phiphantom.synth import generate

from .helpers import small_config


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Cines, JPEG (grey and YBR), RGB and grey, every header location kind, PHI in file names."""
    out = tmp_path_factory.mktemp("bench-data")
    generate(small_config(out, patients=3, difficulty="hard", phi_filename_fraction=0.5, jpeg_fraction=0.4, seed=8))
    ds = load_dataset(out)
    kinds = {t["location_kind"] for f in ds.files for t in f.tags}
    assert kinds == {"standard", "nested", "private", "free-text", "overlay", "icon", "file-meta", "filename"}
    assert any(f.cine for f in ds.files) and any(not f.entry["lossless"] for f in ds.files)
    return ds


@pytest.fixture(scope="module")
def baseline(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-results")
    return run_bench(dataset.root, ["null", "oracle"], out, workers=2), out


def _engine(results, name):
    return next(e for e in results["engines"] if e["name"] == name)


def test_null_scores_nothing_removed_and_everything_leaked(baseline, dataset):
    m = _engine(baseline[0], "null")["metrics"]
    assert m["box_recall"] == 0.0 and m["frame_recall"] == 0.0
    assert m["tag_coverage"] == 0.0, "every tag leaked"
    kinds = _engine(baseline[0], "null")["leaks_by_kind"]
    assert all(kinds[k] > 0 for k in ("standard", "nested", "private", "free-text", "overlay", "icon", "file-meta",
                                      "filename"))
    assert m["residual_phi_boxes"] > 0 and m["image_damage"] == 0.0 and m["clinical_preservation"] == 1.0


def test_oracle_reaches_the_top(baseline):
    m = _engine(baseline[0], "oracle")["metrics"]
    assert m["box_recall"] == 1.0 and m["frame_recall"] == 1.0
    assert m["residual_phi_boxes"] == 0 and m["tag_coverage"] == 1.0 and m["leaks"] == 0
    assert m["image_damage"] == 0.0 and m["clinical_preservation"] == 1.0
    assert m["conformance"] == 1.0 and m["required_retained"] == 1.0 and m["valid_files"] == 1.0
    assert m["files_failed"] == 0


def test_results_hold_no_phi_and_follow_the_schema(baseline, dataset):
    results, out = baseline
    text = (out / "results.json").read_text(encoding="utf-8")
    assert json.loads(text)["schema"] == "phiphantom.bench/4"
    values = {t["injected_value"] for f in dataset.files for t in f.tags if len(t["injected_value"]) >= 4}
    values |= {b["phi_value"] for f in dataset.files for b in f.boxes if len(b["phi_value"]) >= 4}
    for report in ("results.json", "report.md", "report.html"):
        body = (out / report).read_text(encoding="utf-8")
        leaked = [v for v in values if v in body]
        assert not leaked, f"{report} holds PHI values"
    assert (out / "report.html").stat().st_size > 10_000


def _one_engine(dataset, tmp_path, engine, name="mutant"):
    return _engine(run_bench(dataset.root, [], tmp_path / name, engine_objects={name: engine}, ocr=False), name)


def test_skipping_one_phi_box_drops_recall_by_exactly_one_over_n(dataset, tmp_path):
    truth = next(f for f in dataset.files if f.cine)
    box = next(b for b in truth.boxes if b["is_phi"] == "1")
    n = sum(1 for f in dataset.files for b in f.boxes if b["is_phi"] == "1")
    m = _one_engine(dataset, tmp_path, OracleEngine(skip_boxes={(truth.relpath, box["box_id"])}))["metrics"]
    assert m["box_recall"] == pytest.approx(1 - 1 / n, abs=1e-6)


def test_one_value_left_in_a_private_tag_is_exactly_one_private_leak(dataset, tmp_path):
    truth, tag = next((f, t) for f in dataset.files for t in f.tags if t["location_kind"] == "private")
    block = _one_engine(dataset, tmp_path, OracleEngine(keep_tags={(truth.relpath, tag["tag_path"])}))
    assert block["metrics"]["leaks"] == 1
    assert block["leaks_by_kind"]["private"] == 1 and sum(block["leaks_by_kind"].values()) == 1
    rows = sum(len(f.tags) for f in dataset.files)
    assert block["metrics"]["tag_coverage"] == pytest.approx(1 - 1 / rows, abs=1e-6)


def test_blanking_one_clinical_box_drops_preservation_by_exactly_one_over_m(dataset, tmp_path):
    truth, box = next((f, b) for f in dataset.files for b in f.boxes
                      if b["is_phi"] == "0" and b["phi_category"] not in ("label",))
    m_count = sum(1 for f in dataset.files for b in f.boxes if b["is_phi"] == "0" and b["phi_category"] != "label")
    m = _one_engine(dataset, tmp_path, OracleEngine(blank_boxes={(truth.relpath, box["box_id"])}))["metrics"]
    assert m["clinical_preservation"] == pytest.approx(1 - 1 / m_count, abs=1e-6)
    assert m["box_recall"] == 1.0


def test_blacking_out_the_image_shows_damage(dataset, tmp_path):
    m = _one_engine(dataset, tmp_path, OracleEngine(black_image=True))["metrics"]
    assert m["image_damage"] > 0.3 and m["box_recall"] == 1.0


def test_a_failing_engine_is_scored_as_leaking_not_dropped(dataset, tmp_path):
    results = run_bench(dataset.root, ["broken=cmd:false {in} {out}"], tmp_path / "r", ocr=False)
    block = _engine(results, "broken")
    m = block["metrics"]
    assert m["files_failed"] == len(dataset.files) and len(block["errors"]) == len(dataset.files)
    assert m["box_recall"] == 0.0 and m["tag_coverage"] == 0.0 and m["leaks"] > 0
    assert m["clinical_preservation"] == 0.0 and m["image_damage"] == 1.0


def test_bench_compare_exit_codes(baseline, tmp_path):
    results, out = baseline
    runner = CliRunner()
    path = out / "results.json"
    same = runner.invoke(app, ["bench", "compare", str(path), str(path)])
    assert same.exit_code == 0, same.output
    worse = json.loads(path.read_text())
    _engine(worse, "oracle")["metrics"]["box_recall"] = 0.99
    _engine(worse, "oracle")["metrics"]["leaks"] = 1
    worse_path = tmp_path / "worse.json"
    worse_path.write_text(json.dumps(worse))
    regressed = runner.invoke(app, ["bench", "compare", str(path), str(worse_path)])
    assert regressed.exit_code == 1 and "REGRESSION" in regressed.output
    tolerated = runner.invoke(app, ["bench", "compare", str(path), str(worse_path),
                                    "--max-drop", "box_recall=0.02", "--max-drop", "leaks=1"])
    assert tolerated.exit_code == 0, tolerated.output
    assert runner.invoke(app, ["bench", "compare", str(path), str(tmp_path / "missing.json")]).exit_code == 2
    assert runner.invoke(app, ["bench", "compare", str(path), str(path), "--max-drop", "nope=1"]).exit_code == 2


def test_bench_cli_end_to_end(dataset, tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["bench", "--data", str(dataset.root), "--engine", "header-basic",
                                      "--out", str(out), "--workers", "1", "--no-ocr"])
    assert result.exit_code == 0, result.output
    assert (out / "results.json").is_file() and (out / "report.md").is_file() and (out / "report.html").is_file()
    again = CliRunner().invoke(app, ["bench", "--data", str(dataset.root), "--engine", "null", "--out", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output
    bad = CliRunner().invoke(app, ["bench", "--data", str(dataset.root), "--engine", "nonsense",
                                   "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2


class _DetectingOracle(OracleEngine):
    """The oracle, reporting its PHI boxes as detections, plus one false alarm per file (module level: picklable)."""

    def process_file(self, src, dst):
        from phiphantom.benchmark.engines.base import Detection, FileResult

        result = super().process_file(src, dst) or FileResult()
        relpath = str(src.relative_to(self.context.data_dir))
        rows = [b for b in self._gt_boxes()[relpath] if b["is_phi"] == "1"]
        result.detections = [Detection(int(b["frame_start"]), int(b["frame_end"]), int(b["bbox_x"]), int(b["bbox_y"]),
                                       int(b["bbox_x"]) + int(b["bbox_w"]), int(b["bbox_y"]) + int(b["bbox_h"]))
                             for b in rows] + [Detection(0, 1, 0, 0, 3, 3)]
        return result

    def _gt_boxes(self):
        from .helpers import read_csv

        boxes: dict[str, list[dict]] = {}
        for row in read_csv(self.context.data_dir / "gt" / "boxes.csv"):
            boxes.setdefault(row["output_dicom_relpath"], []).append(row)
        return boxes


def test_detection_precision_and_recall_for_engines_that_report_boxes(dataset, tmp_path):
    block = _one_engine(dataset, tmp_path, _DetectingOracle())
    det = block["counts"]["detections"]
    phi_frames = sum(int(b["frame_end"]) - int(b["frame_start"])
                     for f in dataset.files for b in f.boxes if b["is_phi"] == "1")
    assert det == {"tp": phi_frames, "fp": len(dataset.files), "fn": 0}
    assert block["metrics"]["detection_recall"] == 1.0
    precision = phi_frames / (phi_frames + len(dataset.files))
    assert block["metrics"]["detection_precision"] == pytest.approx(precision, abs=1e-6)
    null = _engine(run_bench(dataset.root, ["null"], tmp_path / "n", ocr=False), "null")
    assert null["metrics"]["detection_recall"] is None


TIMING_METRICS = ("files_per_s", "frames_per_s", "mb_per_s", "latency_p50_s", "latency_p95_s", "peak_rss_mb",
                  "startup_s")


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_metrics_as_local_workers(dataset, baseline, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from phiphantom.core.executors import Executor

    monkeypatch.delenv("PHIPHANTOM_DEID_KEY", raising=False)  # an ephemeral key must reach the Dask workers
    engines = ["oracle", "bundled:header-only"]
    local = run_bench(dataset.root, engines, tmp_path / "local", workers=2, ocr=False)
    monkeypatch.delenv("PHIPHANTOM_DEID_KEY", raising=False)
    dask = run_bench(dataset.root, engines, tmp_path / "dask", workers=2, ocr=False, executor=Executor("dask", None, 2))
    assert dask["settings"]["executor"] == "dask (LocalCluster, 2 workers)"
    for a, b in zip(local["engines"], dask["engines"], strict=False):
        strip = lambda m: {k: v for k, v in m.items() if k not in TIMING_METRICS}  # noqa: E731
        assert strip(a["metrics"]) == strip(b["metrics"]), a["name"]
        assert a["consistency"] == b["consistency"] and a["leaks_by_kind"] == b["leaks_by_kind"]
    bundled = _engine(dask, "bundled")["metrics"]
    assert bundled["pseudonym_consistency"] == 1.0 and bundled["uid_consistency"] == 1.0


def test_relative_dataset_and_results_paths_work(dataset, tmp_path, monkeypatch):
    """The demo passes relative paths: engines must still find their outputs."""
    import shutil

    shutil.copytree(dataset.root, tmp_path / "ds")
    monkeypatch.chdir(tmp_path)
    results = run_bench(Path("ds"), ["null"], Path("results"), ocr=False)
    metrics = _engine(results, "null")["metrics"]
    assert metrics["files_failed"] == 0 and metrics["clinical_preservation"] == 1.0


@pytest.mark.parametrize(("specs", "names"), [
    (["bundled", "bundled:balanced", "oracle", "null"], ["bundled", "bundled-balanced", "oracle", "null"]),
    (["null", "null"], ["null", "null-2"]),
    (["bundled:balanced", "bundled:balanced"], ["bundled-balanced", "bundled-balanced-2"]),
    (['cmd:"cp {in} {out}"', 'cmd:"cp -a {in} {out}"'], ["cmd", "cmd-2"]),
])
def test_engines_given_twice_are_told_apart_by_their_options(specs, names):
    """The leaderboard names bundled:balanced 'bundled-balanced' next to 'bundled' (was 'bundled-2')."""
    assert [c.name for c in unique_names([parse_engine(s) for s in specs])] == names
