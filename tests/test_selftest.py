"""``phiphantom bench selftest`` (issue 17 item 4): the flawed-engine gallery scores what the definitions imply.

The first test is the CI check: the real command on a real generated dataset (real DICOM, real OCR), every
row must pass and the temporary folder must be gone. The others show that the checks can fail and that the
gallery engines are the scorer's own test doubles (they read ``gt/``, but no engine spec builds them).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phiphantom.benchmark.engines.base import EngineError
from phiphantom.benchmark.engines.registry import build_engine, reads_in_place, sees_ground_truth
from phiphantom.benchmark.selftest import GALLERY, Expect, check, expectations
from phiphantom.benchmark.selftest.expected import Facts, exact
from phiphantom.cli.main import app


def test_selftest_command_passes_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    report = tmp_path / "selftest.json"
    result = CliRunner().invoke(app, ["bench", "selftest", "--json", str(report)])
    document = json.loads(report.read_text(encoding="utf-8"))
    failed = [row for row in document["checks"] if not row["ok"]]
    assert result.exit_code == 0, (failed, result.output[-3000:])
    assert document["passed"] is True and not failed
    names = {row["engine"] for row in document["checks"]}
    assert names == {"dataset"} | {cls().name for cls in GALLERY}
    assert len(document["checks"]) >= 60
    assert "all" in result.output and "checks passed" in result.output
    assert not list(scratch.iterdir())  # the generated dataset and the results are removed


def test_a_wrong_value_or_a_missing_engine_fails() -> None:
    results = {"engines": [{"name": "oracle", "metrics": {"box_recall": 0.99, "date_interval_consistency": None},
                            "counts": {"phi_boxes": 4}}]}
    rows = check(results, {"oracle": [exact("box_recall", 1.0, ""), exact("date_interval_consistency", None, ""),
                                      exact("phi_boxes", 4, ""), Expect("box_recall", 0.5, 0.98, "")],
                           "noise": [exact("box_recall", 0.0, "")]})
    assert [r.ok for r in rows] == [False, True, True, False, False]
    assert rows[-1].got is None and rows[-1].why == "engine did not run"
    assert not exact("leaks", None, "").holds(0)  # null expected: a number fails
    assert not exact("leaks", 0, "").holds(None)


def test_expectations_follow_the_dataset_counts() -> None:
    facts = Facts(files=5, phi_boxes=40, first_frame_boxes=10, phi_box_frames=100, phi_boxes_on_frame0=30,
                  family_name_files=4, patients=3, single_file_patients=1, date_judged_patients=0, uid_groups=8,
                  single_file_uid_groups=2)
    checks = {name: {e.metric: e for e in expects} for name, expects in expectations(facts).items()}
    assert set(checks) == {cls().name for cls in GALLERY}
    assert checks["first-frame-only"]["box_recall"].lo == 10 / 40
    assert checks["first-frame-only"]["frame_recall"].hi == 30 / 100
    assert checks["family-name-left"]["leaks"].lo == 4
    assert checks["per-file-pseudonyms"]["pseudonym_consistency"].lo == pytest.approx(1 / 3)
    assert checks["per-file-date-shift"]["date_interval_consistency"].text() == "null"  # no patient to judge
    assert checks["random-uids"]["uid_consistency"].lo == 2 / 8
    assert checks["undecodable"]["residual_phi_boxes"].lo == 40 and checks["undecodable"]["files_failed"].hi == 5


def test_gallery_engines_read_the_ground_truth_but_are_no_engine_spec() -> None:
    for cls in GALLERY:
        engine = cls()
        assert sees_ground_truth(engine) and reads_in_place(engine), engine.name
        assert engine.describe()["flaw"]
        if engine.name != "oracle":
            with pytest.raises(EngineError):
                build_engine(engine.name)


def test_keep_refuses_a_folder_with_files(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("user data", encoding="utf-8")
    result = CliRunner().invoke(app, ["bench", "selftest", "--keep", str(mine)])
    assert result.exit_code == 2 and "new or empty" in result.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "user data"
