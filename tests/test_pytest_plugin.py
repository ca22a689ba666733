"""The pytest plugin (benchmark/pytest_plugin.py): the docs' example run by pytester, the dataset cache."""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from phiphantom.benchmark.pytest_plugin import (
    DeidentificationFailed,
    assert_deidentified,
    cache_key,
    make_dataset,
)

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parent.parent / "docs" / "pytest-plugin.md"
TOOL_LINE = re.compile(r'^TOOL = ".*$', re.MULTILINE)


def docs_example() -> str:
    """The first python block of docs/pytest-plugin.md."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert match, "docs/pytest-plugin.md has no python example"
    assert TOOL_LINE.search(match.group(1)), "the example has no TOOL line"
    return match.group(1)


def phi_values(root: Path) -> set[str]:
    """Every PHI value of the dataset's ground truth long enough to be found by accident nowhere else."""
    values = set()
    with (root / "gt" / "tags.csv").open(encoding="utf-8", newline="") as fh:
        values |= {row["injected_value"].strip() for row in csv.DictReader(fh)}
    with (root / "gt" / "boxes.csv").open(encoding="utf-8", newline="") as fh:
        values |= {row["rendered_text"].strip() for row in csv.DictReader(fh) if row["is_phi"] == "1"}
    with (root / "gt" / "identities.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            values |= {v.strip() for k, v in row.items() if k not in ("patient_key", "deid_id")}
    return {v for v in values if len(v) >= 6}


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """One pytest cache folder for the inner runs: the second run finds the first one's dataset."""
    return tmp_path_factory.mktemp("plugin-cache")


@pytest.fixture
def venv_path(monkeypatch):
    """``phiphantom`` (the example's tool) on PATH, as in an activated environment."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def _run(pytester: pytest.Pytester, example: str, cache: Path) -> pytest.RunResult:
    pytester.makepyfile(test_deid=example)
    return pytester.runpytest("-o", f"cache_dir={cache}", "-o", "phiphantom_seed=3")


def test_docs_example_passes_with_a_real_deidentification(pytester, shared_cache, venv_path):
    result = _run(pytester, docs_example(), shared_cache)
    result.assert_outcomes(passed=1)
    cached = [p for p in (shared_cache / "d" / "phiphantom").iterdir() if not p.name.startswith(".")]
    assert len(cached) == 1 and (cached[0] / "manifest.json").is_file()


def test_docs_example_fails_for_a_copy_naming_leaks_without_values(pytester, shared_cache, venv_path):
    example = TOOL_LINE.sub('TOOL = "cp -r {in_dir} {out_dir}"', docs_example())
    folder = shared_cache / "d" / "phiphantom"
    made_before = {p.name: (p / "manifest.json").stat().st_mtime_ns
                   for p in (folder.iterdir() if folder.is_dir() else ()) if (p / "manifest.json").is_file()}
    result = _run(pytester, example, shared_cache)
    root = next(p for p in folder.iterdir() if (p / "manifest.json").is_file())
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "DeidentificationFailed" in output
    assert "box_recall = 0 (wanted >= 1)" in output
    assert re.search(r"leaks = \d+ \(wanted <= 0\)", output)
    assert "header locations still holding PHI" in output
    assert re.search(r"file-0001 \[standard\] \(0010,0010\) PatientName", output)
    assert re.search(r"file-0001 box b\d+ \(name\) at x=\d+ y=\d+ w=\d+ h=\d+: removed on 0 of", output)
    leaked = sorted(v for v in phi_values(root) if v in output)
    assert not leaked, f"{len(leaked)} PHI value(s) in the failure output"
    if root.name in made_before:  # the first test's inner session made it: this session reused it
        assert (root / "manifest.json").stat().st_mtime_ns == made_before[root.name], "generated again"


def test_show_values_adds_the_phi_text(tmp_path):
    dataset = make_dataset(tmp_path / "cache", seed=3)
    out = tmp_path / "copy"
    shutil.copytree(dataset.dicom_dir, out)
    with pytest.raises(DeidentificationFailed) as hidden:
        assert_deidentified(out, dataset)
    with pytest.raises(DeidentificationFailed) as shown:
        assert_deidentified(out, dataset, show_values=True)
    with pytest.raises(DeidentificationFailed) as forked:
        assert_deidentified(out, dataset, workers=2)
    assert str(forked.value) == str(hidden.value)
    values = phi_values(dataset.root)
    assert not any(v in str(hidden.value) for v in values)
    assert any(v in str(shown.value) for v in values)


def test_missing_outputs_and_a_changed_dataset_fail(tmp_path):
    dataset = make_dataset(tmp_path / "cache", seed=3)
    out = tmp_path / "empty"
    out.mkdir()
    with pytest.raises(DeidentificationFailed, match=r"files_failed = 4 \(wanted <= 0\)") as failed:
        assert_deidentified(out, dataset, min_recall=0, max_leaks=None)
    assert "file-0004: NoOutput" in str(failed.value) and "expected at" not in str(failed.value)
    victim = next(dataset.dicom_dir.rglob("*.dcm"))
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(DeidentificationFailed, match="the dataset's inputs changed"):
        assert_deidentified(out, dataset, min_recall=0, max_leaks=None, max_failed=None)


def test_a_damaged_or_partial_cache_is_generated_again(tmp_path):
    cache = tmp_path / "cache"
    first = make_dataset(cache, seed=3)
    files = sorted(first.dicom_dir.rglob("*.dcm"))
    good = files[0].read_bytes()
    files[0].write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))   # same size, other sha256
    again = make_dataset(cache, seed=3)
    assert again.root == first.root and files[0].read_bytes() == good
    (again.root / "manifest.json").unlink()                       # a partial copy: no manifest
    third = make_dataset(cache, seed=3)
    assert (third.root / "manifest.json").is_file() and files[0].read_bytes() == good
    assert sorted(p.name for p in cache.iterdir()) == [first.root.name]  # no staging folders left behind
    assert cache_key(first.settings) != cache_key({**first.settings, "seed": 4})
