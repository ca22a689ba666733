"""Issue 15: one score threshold through every entry point -- ``PixelConfig.threshold``, ``phiphantom deid
--threshold``, the batch settings, the Python API and the benchmark spec ``bundled:threshold=T``.

The classifier's use of the threshold is tested with the classifier; here: the value is checked, reaches the
pixel settings of a real run (its audit and summary say so) and names the benchmark's engines apart.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phiphantom.benchmark.bench import parse_engine, unique_names
from phiphantom.benchmark.engines.base import EngineError
from phiphantom.benchmark.engines.registry import build_engine
from phiphantom.cli.main import app
from phiphantom.deid import Deidentifier
from phiphantom.deid.batch import BatchUsageError, DeidSettings, KeySettings, deid_batch
from phiphantom.deid.keys import KEY_ENV
from phiphantom.deid.pixels.config import PixelConfig
from phiphantom.synth import generate

from .helpers import image, save, small_config

NO_KEY_ENV = {KEY_ENV: ""}


def one_line(text: str) -> str:
    """The command's output with Rich's line wrapping and error box undone."""
    return " ".join(text.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())


def audit(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "audit.jsonl").read_text(encoding="utf-8").splitlines() if line]


# -- PixelConfig ---------------------------------------------------------------------------------------------------


def test_pixel_config_threshold_defaults_to_the_policy_and_shows_in_the_label():
    assert PixelConfig().threshold is None and PixelConfig(policy="balanced").label == "balanced"
    config = PixelConfig(policy="balanced", threshold=0.35, hard=True)
    assert config.threshold == 0.35 and config.label == "balanced, threshold 0.35, hard"
    assert PixelConfig(threshold=-0.2).label == "strict, threshold -0.2"
    assert PixelConfig(threshold=0).threshold == 0.0 and isinstance(PixelConfig(threshold=0).threshold, float)
    assert PixelConfig(threshold=0) == PixelConfig(threshold=0.0)  # one settings fingerprint per value
    assert PixelConfig(threshold=-1).threshold == -1.0 and PixelConfig(threshold=1).threshold == 1.0


@pytest.mark.parametrize("bad", [1.5, -1.01, math.nan, math.inf, "0.3", True])
def test_pixel_config_rejects_a_threshold_outside_minus_one_to_one(bad):
    with pytest.raises(ValueError, match="threshold must be a number from -1 to 1"):
        PixelConfig(threshold=bad)


# -- the Python API and the batch settings -------------------------------------------------------------------------


def test_api_carries_the_threshold_and_checks_it_before_any_file():
    engine = Deidentifier(ephemeral=True, policy="balanced", threshold=0.35)
    assert engine.config.pixels is not None and engine.config.pixels.threshold == 0.35
    assert Deidentifier(ephemeral=True).config.pixels.threshold is None
    with pytest.raises(ValueError, match="from -1 to 1"):
        Deidentifier(ephemeral=True, threshold=1.5)
    with pytest.raises(ValueError, match="header_only"):
        Deidentifier(ephemeral=True, threshold=0.2, header_only=True)


@pytest.mark.parametrize(("settings", "message"), [
    (DeidSettings(threshold=2.0), "--threshold must be a number from -1 to 1"),
    (DeidSettings(threshold="abc"), "--threshold must be a number from -1 to 1"),  # type: ignore[arg-type]
    (DeidSettings(threshold=0.2, header_only=True), "not with --header-only"),
])
def test_batch_settings_reject_a_bad_threshold_before_out_is_made(tmp_path, settings, message):
    src = save(image("Doe^Jane", "T1", 1), tmp_path / "in" / "a.dcm")
    with pytest.raises(BatchUsageError, match=message):
        deid_batch(src, tmp_path / "out", deid=settings, keys=KeySettings(ephemeral=True, env={}))
    assert not (tmp_path / "out").exists()


# -- the command line ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "message"), [("1.5", "--threshold must be a number from -1 to 1"),
                                                 ("abc", "Invalid value for '--threshold'"), ("nan", "from -1 to 1")])
def test_cli_rejects_a_bad_threshold_with_exit_2(tmp_path, value, message):
    src = save(image("Doe^Jane", "T1", 1), tmp_path / "in" / "a.dcm")
    result = CliRunner().invoke(app, ["deid", str(src), str(tmp_path / "out"), "--ephemeral-key", "--workers", "1",
                                      "--threshold", value], env=NO_KEY_ENV)
    assert result.exit_code == 2, result.output
    assert message in one_line(result.output) and "--threshold" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_threshold_reaches_the_pixel_settings_of_a_real_run(tmp_path):
    """A real run (tesseract on a small Secondary Capture image): the summary and every audit record name the
    threshold with the policy; a --resume with another threshold is refused (it would change outputs)."""
    src = save(image("Doe^Jane", "T1", 1), tmp_path / "in" / "a.dcm")
    key = tmp_path / "key.hex"
    key.write_text("a5" * 32)
    runner = CliRunner()
    result = runner.invoke(app, ["deid", str(src), str(tmp_path / "out"), "--key-file", str(key), "--workers", "1",
                                 "--policy", "balanced", "--threshold", "0.35"], env=NO_KEY_ENV)
    assert result.exit_code == 0, result.output
    assert "cleaned (balanced, threshold 0.35)" in one_line(result.output)
    assert [r["pixels"] for r in audit(tmp_path / "out")] == ["cleaned (balanced, threshold 0.35)"]
    result = runner.invoke(app, ["deid", str(src), str(tmp_path / "out"), "--key-file", str(key), "--workers", "1",
                                 "--policy", "balanced", "--threshold", "0.4", "--resume"], env=NO_KEY_ENV)
    assert result.exit_code == 2, result.output
    assert "written with other settings (pixels:" in one_line(result.output)
    result = runner.invoke(app, ["deid", str(src), str(tmp_path / "out2"), "--key-file", str(key), "--workers", "1",
                                 "--threshold=-0.2"], env=NO_KEY_ENV)
    assert result.exit_code == 0, result.output
    assert [r["pixels"] for r in audit(tmp_path / "out2")] == ["cleaned (strict, threshold -0.2)"]


def test_cli_help_explains_the_threshold():
    result = CliRunner().invoke(app, ["deid", "--help"], env={"COLUMNS": "200"})
    text = one_line(result.output)
    assert "--threshold" in text and "from -1 to 1" in text and "--policy" in text


# -- the benchmark's bundled engine --------------------------------------------------------------------------------


def test_bundled_spec_threshold_parses_alone_and_with_other_words():
    engine = build_engine("bundled:threshold=0.35")
    assert engine.pixels.threshold == 0.35 and engine.pixels.policy == "strict"
    assert engine.name == "bundled-t0.35"
    assert engine.describe()["config"]["pixels"] == "tesseract, strict, threshold 0.35"
    engine = build_engine("bundled:balanced,threshold=0.6,hard")
    assert (engine.pixels.policy, engine.pixels.hard, engine.pixels.threshold) == ("balanced", True, 0.6)
    engine = build_engine("bundled:retain-uids,threshold=-0.2")
    assert engine.pixels.threshold == -0.2 and engine.options.options == frozenset({"retain_uids"})
    plain = build_engine("bundled:balanced")
    assert plain.name == "bundled" and plain.pixels.threshold is None and plain.pixels.label == "balanced"


@pytest.mark.parametrize(("spec", "message"), [
    ("bundled:threshold=abc", "from -1 to 1"), ("bundled:threshold=1.5", "from -1 to 1"),
    ("bundled:threshold=nan", "from -1 to 1"), ("bundled:threshold=", "from -1 to 1"),
    ("bundled:threshold=0.1,threshold=0.2", "given twice"), ("bundled:thresh=0.1", "unknown bundled setting"),
    ("bundled:header-only,threshold=0.1", "not with header-only"),
])
def test_bundled_spec_rejects_a_bad_threshold(spec, message):
    with pytest.raises(EngineError, match=message):
        build_engine(spec)


def test_two_thresholds_are_two_engines_with_distinct_names():
    specs = ["bundled:threshold=-0.2", "bundled:threshold=0.2", "bundled:balanced,threshold=0.6,hard", "bundled"]
    assert [c.name for c in unique_names([parse_engine(s) for s in specs])] == [
        "bundled-t-0.2", "bundled-t0.2", "bundled-balanced-t0.6-hard", "bundled"]
    assert build_engine(specs[0]).name != build_engine(specs[1]).name


def test_bench_refuses_a_bad_threshold_before_any_engine_runs(tmp_path):
    data = tmp_path / "data"
    generate(small_config(data, patients=1, seed=3))
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["bench", "--data", str(data), "--out", str(out), "--workers", "1",
                                      "--engine", "null", "--engine", "bundled:threshold=abc"])
    assert result.exit_code == 2, result.output
    assert "bundled:threshold=abc: the threshold must be a number from -1 to 1" in one_line(result.output)
    assert not out.exists()  # not even the null engine ran
