"""Token-level residual PHI (issue 17 items 1 and 3a): real text rendered, real Tesseract, the scorer's own path.

A PHI box is residual when any of its PHI tokens can still be read in the output; the whole-box
rule is kept beside it. The scorer reads through benchmark/scorer_ocr.py, never the engine's OCR.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.benchmark.compare import compare
from phiphantom.benchmark.phi_tokens import box_tokens, fold
from phiphantom.benchmark.pixel_metrics import BoxScore
from phiphantom.benchmark.residual_ocr import ResidualRead, residual_scores
from phiphantom.benchmark.results_file import (
    COUNT_NAMES,
    ENGINE_KEYS,
    METRIC_NAMES,
    SCHEMA,
    SCHEMA_V2,
    V3_COUNTS,
    V3_METRICS,
    V4_METRICS,
    EngineBlock,
    upgrade_v2,
    upgrade_v3,
)
from phiphantom.core.ground_truth import BoxRow
from phiphantom.synth.fonts import load_font

FONT_PX = 18
X0, Y0 = 20, 16


def _box(category: str, value: str, rendered: str) -> tuple[np.ndarray, BoxRow, int]:
    """One frame (T=1) with ``rendered`` light on dark, its box row, and the ink's left column."""
    font = load_font("DejaVuSans", FONT_PX)
    frame = Image.new("L", (420, 60), 12)
    draw = ImageDraw.Draw(frame)
    draw.text((X0, Y0), rendered, fill=225, font=font)
    x0, y0, x1, y1 = draw.textbbox((X0, Y0), rendered, font=font)
    row = BoxRow.from_row({"is_phi": "1", "phi_category": category, "phi_value": value, "rendered_text": rendered,
                           "bbox_x": x0, "bbox_y": y0, "bbox_w": x1 - x0, "bbox_h": y1 - y0, "frame_start": 0,
                           "frame_end": 0}, lenient=True)
    return np.asarray(frame)[None].copy(), row, x0


def _cover_from(out: np.ndarray, row: BoxRow, x: int) -> np.ndarray:
    """``out`` with the box filled flat (background grey) from column ``x`` to its right edge (plus margin)."""
    out = out.copy()
    bx, by, bw, bh = (int(row[k]) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
    out[0, by - 3:by + bh + 3, x:bx + bw + 3] = 12
    return out


def _text_x(row: BoxRow, prefix: str) -> int:
    """The column where ``prefix`` of the box's text ends (the rest is covered from there)."""
    return X0 + round(load_font("DejaVuSans", FONT_PX).getlength(prefix))


def _read(out: np.ndarray, row: BoxRow) -> ResidualRead:
    score = residual_scores(out, [row], [BoxScore(frames=1, frames_ok=0, first_bad_frame=0)])[0]
    assert score is not None
    return score


def test_half_covered_name_still_shows_the_surname():
    out, row, _ = _box("name", "Szabó^Endre^Béla", "SZABÓ, ENDRE BÉLA")
    bx, bw = int(row["bbox_x"]), int(row["bbox_w"])
    whole = _read(out, row)
    assert whole.residual and whole.whole and whole.tokens == 3 and whole.tokens_read >= 2
    half = _read(_cover_from(out, row, bx + bw // 2), row)  # the right half filled flat
    assert half.residual, "the surname left of the fill is still PHI on screen"
    assert not half.whole, "the old whole-box rule misses it: that is why the token rule exists"
    assert half.tokens_read == 1 and half.tokens == 3
    full = _read(_cover_from(out, row, bx - 3), row)
    assert not full.residual and full.tokens_read == 0 and not full.whole


def test_date_with_only_day_and_month_left_is_residual():
    out, row, _ = _box("study_date", "20161217", "17/12/2016")
    left = _read(_cover_from(out, row, _text_x(row, "17/12/")), row)
    assert left.residual and left.tokens == 2 and left.tokens_read == 1  # day+month read, month+year not
    day_only = _read(_cover_from(out, row, _text_x(row, "17/")), row)
    assert not day_only.residual, "a day alone is below the rule"


def test_tokens_shorter_than_the_rules_are_not_residual():
    out, row, _ = _box("patient_id", "H08-1324-7", "H08-1324-7")
    assert _read(out, row).residual
    assert not _read(_cover_from(out, row, _text_x(row, "H08-1")), row).residual  # digit runs of 2 and 1
    assert _read(_cover_from(out, row, _text_x(row, "H08-1324")), row).residual  # the 4-digit run is left
    out, row, _ = _box("study_time", "104302", "10:43:02")
    assert _read(_cover_from(out, row, _text_x(row, "10:43")), row).residual  # to the minute
    assert not _read(_cover_from(out, row, _text_x(row, "10:4")), row).residual  # the hour alone
    out, row, _ = _box("operator", "Le^Jun", "JL Le")
    assert [t.kind for t in box_tokens(row)] == ["whole"]  # no component of >= 3 letters: the whole line
    assert not _read(_cover_from(out, row, _text_x(row, "JL")), row).residual


def test_no_output_reads_every_token_and_removed_boxes_none():
    _, row, _ = _box("birth_date", "19630612", "1963-06-12")
    missing = residual_scores(None, [row], [BoxScore(1, 0, 0)])[0]
    removed = residual_scores(None, [row], [BoxScore(1, 1, None)])[0]
    assert missing == ResidualRead(True, True, 2, 2) and removed == ResidualRead(False, False, 0, 2)


@pytest.mark.parametrize(("category", "value", "rendered", "kinds"), [
    ("name", "van der Mast^Jaylinn", "van der Mast, Jaylinn", ["name", "name"]),
    ("physician", "Tóth^Mihály", "Dr. M. Tóth", ["name"]),
    ("accession", "A78452968", "A78452968", ["id"]),
    ("patient_id", "251-98-786", "251-98-786", ["whole"]),
    ("study_date", "20190228", "28-FEB-2019", ["day_month", "month_year"]),
    ("study_date", "20200719", "20200719", ["digits", "digits"]),
    ("study_time", "134500", "01:45 PM", ["time"]),
    ("acquisition_time", "102611.9", "10:26:11.9", ["time"]),
    ("institution", "Hospital de Burgos", "Hospital De Burgos", ["whole"]),
])
def test_token_rules_per_category(category, value, rendered, kinds):
    row = BoxRow.from_row({"is_phi": "1", "phi_category": category, "phi_value": value, "rendered_text": rendered},
                          lenient=True)
    tokens = box_tokens(row)
    assert [t.kind for t in tokens] == kinds
    assert all(t.read_in(rendered) for t in tokens), "the rendered line itself shows every token"
    assert not any(t.read_in("") for t in tokens)


def test_token_matching_details():
    row = BoxRow.from_row({"is_phi": "1", "phi_category": "name", "phi_value": "Szałas^Roksana",
                           "rendered_text": "SZAŁAS ROKSANA"}, lenient=True)
    surname = box_tokens(row)[0]
    assert fold("SZAŁAS") == "szalas" and surname.read_in("Szalas R") and surname.read_in("SZALAE")  # 1 edit in 6
    assert not surname.read_in("SZA") and not surname.read_in("S2A1AE")
    date = box_tokens(BoxRow.from_row({"is_phi": "1", "phi_category": "birth_date", "phi_value": "19410816",
                                       "rendered_text": "16.08.1941"}, lenient=True))
    assert date[1].read_in("08.1941") and date[1].read_in("8 1941") and not date[1].read_in("16.08.19")
    assert date[0].read_in("16.08.19") and not date[0].read_in("6.08.1941")


def test_scorer_reading_path_does_not_use_the_engines_ocr():
    """The scorer's residual modules import neither phiphantom.core.ocr nor phiphantom.deid (directly or not)."""
    code = ("import sys; import phiphantom.benchmark.residual_ocr, phiphantom.benchmark.scorer_ocr, "
            "phiphantom.benchmark.phi_tokens; "
            "bad = sorted(m for m in sys.modules if m == 'phiphantom.core.ocr' or m.startswith('phiphantom.deid')); "
            "print(' '.join(bad)); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the scorer's reading path imports the engine's OCR: {done.stdout} {done.stderr}"


def test_v2_results_are_read_with_the_whole_box_count_moved():
    """A phiphantom.bench/2 file still reads: its (whole-box) residual count becomes residual_phi_boxes_whole."""
    metrics = {k: 0.5 for k in METRIC_NAMES if k not in V3_METRICS + V4_METRICS} | {"residual_phi_boxes": 7}
    counts = {k: 1 for k in COUNT_NAMES if k not in V3_COUNTS}
    engine = {k: {} for k in ENGINE_KEYS} | {"name": "e", "spec": "e", "description": "", "metrics": metrics,
                                             "counts": counts, "per_file": [], "errors": []}
    v2 = {"schema": SCHEMA_V2, "engines": [engine]}
    v3 = upgrade_v3(upgrade_v2(v2))  # /2 -> /3 -> /4 (the header leak count moves too: tests/test_header_tokens.py)
    block = EngineBlock.from_json(v3["engines"][0])
    assert v3["schema"] == SCHEMA and tuple(block.metrics) == METRIC_NAMES and tuple(block.counts) == COUNT_NAMES
    assert block.metrics["residual_phi_boxes_whole"] == 7 and block.metrics["residual_phi_boxes"] is None
    assert block.metrics["residual_phi_tokens"] is None and block.counts["phi_tokens"] is None
    now = {"schema": SCHEMA, "engines": [{**v3["engines"][0], "metrics": {**block.metrics, "residual_phi_boxes": 9}}]}
    rows = {r.metric: r for r in compare(v2, now)}
    assert not rows["residual_phi_boxes"].regression, "a whole-box count is never set against a token-level one"
