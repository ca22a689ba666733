"""Benchmark by style pack (issue 14 items 4 and 5): strata by style, worst-style figures, graphics, --by-style.

Real datasets are generated with two packs and scored with the oracle (and the oracle made to miss
one box, or to blank one graphic); a ground-truth copy whose rows are re-marked goes through
``core.ground_truth``'s reader and writer, with the manifest's table hash updated to match.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phiphantom.benchmark.bench import run_bench
from phiphantom.benchmark.by_style import worst_style
from phiphantom.benchmark.compare import compare, load_results
from phiphantom.benchmark.engines.oracle import OracleEngine
from phiphantom.benchmark.results_file import (
    METRIC_NAMES,
    SCHEMA,
    SCHEMA_V1,
    V2_COUNTS,
    V2_METRICS,
    read_results,
)
from phiphantom.benchmark.vocabulary_overlap import pack_overlap, vocabulary_overlap
from phiphantom.cli.main import app
from phiphantom.core.ground_truth import BoxRow, read_rows, write_rows
from phiphantom.synth import generate
from phiphantom.synth.ground_truth import sha256_file

from .helpers import small_config

STYLES = ("cart-general-a", "tablet-app-h")


@pytest.fixture(scope="module")
def styled(tmp_path_factory) -> Path:
    """A dataset drawn from two packs (both present: checked)."""
    root = tmp_path_factory.mktemp("styled") / "ds"
    generate(small_config(root, patients=4, seed=3, styles=STYLES))
    found = {row.style for row in read_rows(root / "gt/boxes.csv", BoxRow)}
    assert found == set(STYLES)
    return root


def _rows(root: Path) -> list[BoxRow]:
    return read_rows(root / "gt/boxes.csv", BoxRow)


def _rewrite(root: Path, rows: list[BoxRow]) -> None:
    """Write gt/boxes.csv through the contract and record its new sha256 in the manifest (a copy only)."""
    write_rows(root / "gt/boxes.csv", BoxRow, rows)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest["ground_truth"]["gt/boxes.csv"] = sha256_file(root / "gt/boxes.csv")
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _clinical(row: BoxRow) -> bool:
    """Clinical text: not PHI, not a label, not a drawn graphic."""
    return not row.phi and row.phi_category != "label" and row.kind == "text"


def _engine(results: dict, name: str) -> dict:
    return next(e for e in results["engines"] if e["name"] == name)


def test_scores_by_style_and_the_worst_style(styled, tmp_path):
    rows = _rows(styled)
    missed = next(r for r in rows if r.phi and r.style == "tablet-app-h")
    blanked = next(r for r in rows if _clinical(r) and r.style == "tablet-app-h")
    oracle = OracleEngine(skip_boxes={(missed.output_dicom_relpath, missed.box_id)},
                          blank_boxes={(blanked.output_dicom_relpath, blanked.box_id)})
    results = run_bench(styled, ["oracle"], tmp_path / "r", engine_objects={"miss-one": oracle}, ocr=False,
                        thumbnails=0)
    assert results["schema"] == SCHEMA
    perfect, miss = _engine(results, "oracle"), _engine(results, "miss-one")
    by_style = miss["strata"]["by_style"]
    phi = {s: sum(r.phi for r in rows if r.style == s) for s in STYLES}
    clinical = {s: sum(_clinical(r) for r in rows if r.style == s) for s in STYLES}
    assert {s: c["n"] for s, c in by_style["box_recall"].items()} == phi
    assert by_style["box_recall"]["cart-general-a"]["value"] == 1.0
    assert by_style["box_recall"]["tablet-app-h"]["value"] == round(1 - 1 / phi["tablet-app-h"], 6)
    assert by_style["clinical_preservation"]["tablet-app-h"]["value"] == round(1 - 1 / clinical["tablet-app-h"], 6)
    m = miss["metrics"]
    assert m["box_recall"] == round(1 - 1 / sum(phi.values()), 6)          # overall: one box of all
    assert m["worst_style_box_recall"] == by_style["box_recall"]["tablet-app-h"]["value"] < m["box_recall"]
    assert m["worst_style_clinical_preservation"] < m["clinical_preservation"] < 1.0
    assert worst_style(by_style, "box_recall") == ("tablet-app-h", m["worst_style_box_recall"])
    assert perfect["metrics"]["worst_style_box_recall"] == 1.0 and perfect["counts"]["styles"] == 2
    assert set(by_style) >= {"frame_recall", "image_damage", "label_preservation", "graphics_preservation"}
    assert by_style["image_damage"]["cart-general-a"]["value"] == 0.0
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "## Scores by style" in md and "| tablet-app-h |" in md and "Worst style: box recall" in md
    assert results["vocabulary_overlap"] is None and "vocabulary overlap" not in md  # no bundled engine ran
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Pixel metrics by style pack" in html and "worst-style box recall" in html
    header = next(line for line in md.splitlines() if line.startswith("| # | engine"))
    assert "| box recall ↑ | worst-style box recall ↑ |" in header


def test_graphics_are_not_text(styled, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(styled, root)
    rows = _rows(root)
    graphic = next(r for r in rows if _clinical(r) and r.style == "cart-general-a")
    drawn = {s: sum(r.kind == "graphic" for r in rows if r.style == s) for s in STYLES}  # the packs' own graphics
    _rewrite(root, [dataclasses.replace(r, kind="graphic") if r is graphic else r for r in rows])
    oracle = OracleEngine(blank_boxes={(graphic.output_dicom_relpath, graphic.box_id)})
    results = run_bench(root, ["oracle"], tmp_path / "r", engine_objects={"blank": oracle}, ocr=False, thumbnails=0)
    kept, blank = _engine(results, "oracle"), _engine(results, "blank")
    graphics = sum(drawn.values()) + 1
    assert kept["counts"]["graphic_boxes"] == graphics
    assert kept["counts"]["clinical_boxes"] == sum(_clinical(r) for r in rows) - 1
    assert results["dataset"]["graphic_boxes"] == graphics
    assert results["dataset"]["clinical_boxes"] == kept["counts"]["clinical_boxes"]
    assert kept["metrics"]["graphics_preservation"] == 1.0  # the oracle leaves every graphic alone
    assert blank["metrics"]["graphics_preservation"] == round(1 - 1 / graphics, 6)
    assert blank["metrics"]["clinical_preservation"] == 1.0  # the blanked box was a graphic, not clinical text
    n = drawn["cart-general-a"] + 1
    assert blank["strata"]["by_style"]["graphics_preservation"]["cart-general-a"] == {"n": n,
                                                                                      "value": round(1 - 1 / n, 6)}


def test_bench_by_style_command(styled, tmp_path):
    out = tmp_path / "r"
    result = CliRunner().invoke(app, ["bench", "--data", str(styled), "--engine", "oracle", "--engine", "null",
                                      "--out", str(out), "--no-ocr", "--workers", "1", "--thumbnails", "0",
                                      "--by-style"])
    assert result.exit_code == 0, result.output
    assert "By style" in result.output and "Worst style pack" in result.output
    whole = read_results(out / "results.json")
    files = 0
    for style in STYLES:
        doc = read_results(out / "by-style" / style / "results.json")
        assert doc.dataset["style"] == style and (out / "by-style" / style / "report.html").is_file()
        oracle = next(e for e in doc.engines if e.name == "oracle")
        assert oracle.counts["styles"] == 1 and oracle.metrics["box_recall"] == 1.0
        null = next(e for e in doc.engines if e.name == "null")
        assert null.metrics["box_recall"] == 0.0
        whole_null = next(e for e in whole.engines if e.name == "null")
        assert null.metrics["clinical_preservation"] == (
            whole_null.strata["by_style"]["clinical_preservation"][style]["value"])
        files += oracle.counts["files"]
    assert files == whole.engines[0].counts["files"]
    (out / "by-style" / "notes.txt").write_text("mine", encoding="utf-8")  # not bench's: it stays
    again = CliRunner().invoke(app, ["bench", "--data", str(styled), "--engine", "null", "--out", str(out),
                                     "--no-ocr", "--workers", "1", "--thumbnails", "0", "--overwrite"])
    assert again.exit_code == 0, again.output
    # --overwrite removes the earlier run's per-style results, and only those
    assert [p.name for p in (out / "by-style").iterdir()] == ["notes.txt"]


def test_v1_results_still_read_and_compare(styled, tmp_path):
    out = tmp_path / "r"
    run_bench(styled, ["oracle"], out, ocr=False, thumbnails=0)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    v1 = {**{k: v for k, v in data.items() if k != "vocabulary_overlap"}, "schema": SCHEMA_V1}
    v1["engines"] = [{**e, "metrics": {k: v for k, v in e["metrics"].items() if k not in V2_METRICS},
                      "counts": {k: v for k, v in e["counts"].items() if k not in V2_COUNTS}} for e in data["engines"]]
    (tmp_path / "v1.json").write_text(json.dumps(v1), encoding="utf-8")
    doc = read_results(tmp_path / "v1.json")
    assert doc.schema == SCHEMA and tuple(doc.engines[0].metrics) == METRIC_NAMES
    assert doc.engines[0].metrics["worst_style_box_recall"] is None
    assert doc.engines[0].metrics["box_recall"] == data["engines"][0]["metrics"]["box_recall"]
    rows = compare(load_results(tmp_path / "v1.json"), load_results(out / "results.json"))
    assert not any(r.regression for r in rows)
    assert {r.metric for r in rows if r.note == "new"} >= {"worst_style_box_recall", "graphics_preservation"}
    worse = {**data, "engines": [{**data["engines"][0], "metrics": {**data["engines"][0]["metrics"],
                                                                    "worst_style_box_recall": 0.5}}]}
    (tmp_path / "worse.json").write_text(json.dumps(worse), encoding="utf-8")
    rows = compare(load_results(out / "results.json"), load_results(tmp_path / "worse.json"))
    assert [r.metric for r in rows if r.regression] == ["worst_style_box_recall"]


def test_a_run_with_the_bundled_engine_reports_its_vocabulary_overlap(styled, tmp_path):
    results = run_bench(styled, ["null", "bundled:header-only"], tmp_path / "r", ocr=False, thumbnails=0)
    assert results["vocabulary_overlap"]["packs"]["tablet-app-h"]["pack_words"] > 0
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "## Clinical vocabulary overlap" in md and "| tablet-app-h | " in md.split("vocabulary overlap")[1]


def test_vocabulary_overlap_of_the_bundled_engine():
    overlap = pack_overlap({"MI", "Gain", "C5-1", "Zzyzx", "Pleura"})
    assert overlap["pack_words"] == 5 and overlap["shared_words"] == 4  # C5-1 by the probe pattern
    assert overlap["listed_words"] == 3 and overlap["share_of_pack"] == 0.8
    whole = vocabulary_overlap()
    assert vocabulary_overlap(["null", "oracle", "bundled-like"]) is None  # measured only for the bundled engine
    assert whole is not None and whole["engine_words"] > 50
    packs = whole["packs"]
    assert set(STYLES) | {"classic"} <= set(packs)
    # the engine's wording comes from outside sources, not from any pack: it knows part of every pack's words
    assert all(0 < cell["share_of_pack"] < 1 for cell in packs.values())
    for cell in packs.values():
        assert 0 <= cell["listed_words"] <= cell["pack_words"] and 0 <= cell["shared_words"] <= cell["pack_words"]
