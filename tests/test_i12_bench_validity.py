"""Issue 12, benchmark validity: undecodable outputs score as failures (item 13), `bench compare` never
passes a broken measurement and refuses malformed input (item 14), a damaged dataset is found before any
engine runs (item 15), `--workers` below 1 is refused (item 20, bench part).

Everything runs for real: generated DICOM datasets, `cmd:` engines that are shell scripts, the
`phiphantom` command through typer's CliRunner.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from phiphantom.benchmark.bench import run_bench
from phiphantom.cli.main import app
from phiphantom.synth import GenerateConfig, generate

HIGHER_BETTER = ("box_recall", "frame_recall", "clinical_preservation", "tag_coverage", "conformance",
                 "required_retained", "midi_b_score", "valid_files", "pseudonym_consistency", "uid_consistency")
LOWER_BETTER = ("image_damage", "leaks", "files_with_leaks", "files_failed")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """4 small files (cine and single frame, some JPEG), every hidden PHI location kind, PHI in some names."""
    out = tmp_path_factory.mktemp("i12-bench-data")
    generate(GenerateConfig(out=out, patients=2, files_per_study=(2, 2), frames=(2, 3), cine_fraction=0.5,
                            sizes=((320, 240),), jpeg_fraction=0.3, difficulty="hard", phi_filename_fraction=0.5,
                            validate=False, workers=1, seed=3, progress=False))
    return out


def _script(folder: Path, name: str, body: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture(scope="module")
def damaged_outputs(tiny, tmp_path_factory):
    """One bench run: engines writing random bytes, nothing, a truncated copy, and a plain copy (null)."""
    tools = tmp_path_factory.mktemp("i12-tools")
    random_bytes = _script(tools, "random.sh", 'head -c 6000 /dev/urandom > "$2"')
    nothing = _script(tools, "nothing.sh", "exit 0")
    truncated = _script(tools, "truncated.sh", 'n=$(wc -c < "$1"); head -c $((n / 2)) "$1" > "$2"')
    head_only = _script(tools, "head.sh", 'head -c 1500 "$1" > "$2"')  # cut inside the header
    engines = [f"random=cmd:{random_bytes} {{in}} {{out}}", f"nothing=cmd:{nothing} {{in}} {{out}}",
               f"truncated=cmd:{truncated} {{in}} {{out}}", f"head=cmd:{head_only} {{in}} {{out}}", "null"]
    out = tmp_path_factory.mktemp("i12-results") / "r"
    results = run_bench(tiny, engines, out, workers=1, ocr=False)
    return {e["name"]: e for e in results["engines"]}


@pytest.fixture(scope="module")
def results_path(damaged_outputs, tiny, tmp_path_factory) -> Path:
    """A real results.json (null and header-basic on the tiny set)."""
    out = tmp_path_factory.mktemp("i12-compare") / "r"
    run_bench(tiny, ["null", "header-basic"], out, workers=1, ocr=False, thumbnails=0)
    return out / "results.json"


@pytest.mark.parametrize("name", ["random", "truncated", "head"])
def test_an_undecodable_output_is_a_failed_file_scored_no_better_than_no_output(damaged_outputs, name):
    """Issue 12 item 13: random bytes / a cut copy count as failed files and score at least as badly as no output."""
    files = damaged_outputs["null"]["counts"]["files"]
    bad, missing = damaged_outputs[name]["metrics"], damaged_outputs["nothing"]["metrics"]
    assert missing["files_failed"] == files
    assert bad["files_failed"] == files, f"{name}: undecodable outputs must count as failed files"
    assert bad["valid_files"] == 0.0 and bad["tag_coverage"] == 0.0 and bad["box_recall"] == 0.0
    assert bad["leaks"] >= missing["leaks"] > 0, f"{name}: fewer leaks than an engine that wrote nothing"
    assert bad["files_with_leaks"] == files
    for metric in HIGHER_BETTER:
        if missing[metric] is not None:
            assert bad[metric] is not None and bad[metric] <= missing[metric], (name, metric)
    for metric in LOWER_BETTER:
        assert bad[metric] >= missing[metric], (name, metric)
    assert len(damaged_outputs[name]["errors"]) == files


def test_a_plain_copy_is_not_a_failure_but_leaks_as_much_as_no_output(damaged_outputs):
    """Issue 12 item 13: the control: a readable copy is no failed file; writing nothing is no better than it."""
    copy, missing = damaged_outputs["null"]["metrics"], damaged_outputs["nothing"]["metrics"]
    assert copy["files_failed"] == 0 and copy["valid_files"] == 1.0
    assert missing["leaks"] == copy["leaks"] and missing["tag_coverage"] == copy["tag_coverage"] == 0.0
    assert missing["required_retained"] == 0.0 < copy["required_retained"]  # writing nothing retains nothing


# --------------------------------------------------------------------------- item 14: bench compare

def _flat(text: str) -> str:
    return " ".join(text.split())


def _compare(baseline: Path, current: Path, *extra: str):
    return CliRunner().invoke(app, ["bench", "compare", str(baseline), str(current), *extra],
                              env={"COLUMNS": "250"})  # table cells on one line


def _edited(path: Path, tmp_path: Path, name: str, edit) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    out = tmp_path / name
    out.write_text(json.dumps(data), encoding="utf-8")  # json writes NaN as the literal NaN
    return out


@pytest.mark.parametrize("side", ["current", "baseline"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_compare_a_nan_metric_is_a_regression(results_path, tmp_path, side, value):
    """Issue 12 item 14: a NaN (or infinite) metric in either results file is a regression (exit 1), said clearly."""
    def poison(data):
        data["engines"][1]["metrics"]["box_recall"] = value
    broken = _edited(results_path, tmp_path, "broken.json", poison)
    same = _compare(results_path, results_path)
    assert same.exit_code == 0, same.output
    args = (results_path, broken) if side == "current" else (broken, results_path)
    result = _compare(*args)
    text = _flat(result.output)
    assert result.exit_code == 1, text
    assert "REGRESSION" in text and "not a finite number" in text and "1 regression" in text


def test_compare_a_metric_missing_from_current_is_a_regression(results_path, tmp_path):
    """Issue 12 item 14: a metric the baseline reports and the current file lacks is a regression (exit 1)."""
    def drop(data):
        del data["engines"][0]["metrics"]["leaks"]
    result = _compare(results_path, _edited(results_path, tmp_path, "less.json", drop))
    assert result.exit_code == 1 and "missing from the current results" in _flat(result.output)


MALFORMED = {
    "empty-list": b"[]",
    "binary": bytes(range(256)) * 8,
    "not-json": b"results: fine",
    "empty-file": b"",
    "a-number": b"42",
    "no-engines": json.dumps({"schema": "phiphantom.bench/1", "engines": []}).encode(),
    "engine-without-metrics": json.dumps({"schema": "phiphantom.bench/1", "engines": [{"name": "x"}]}).encode(),
    "metric-not-a-number": json.dumps({"schema": "phiphantom.bench/1",
                                       "engines": [{"name": "null", "metrics": {"leaks": "many"}}]}).encode(),
    "engines-not-a-list": json.dumps({"schema": "phiphantom.bench/1", "engines": {"null": {}}}).encode(),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
@pytest.mark.parametrize("side", ["current", "baseline"])
def test_compare_malformed_input_exits_2_with_a_clear_message(results_path, tmp_path, kind, side):
    """Issue 12 item 14: malformed results (`[]`, binary, not JSON, wrong schema) exit 2 with a message, no
    traceback."""
    bad = tmp_path / f"{kind}.json"
    bad.write_bytes(MALFORMED[kind])
    args = (results_path, bad) if side == "current" else (bad, results_path)
    result = _compare(*args)
    text = _flat(result.output)
    assert result.exit_code == 2, text
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # no traceback
    assert "Traceback" not in result.output and text.startswith("error:") and bad.name in text


def test_compare_a_folder_or_a_nan_tolerance_exits_2(results_path, tmp_path):
    """Issue 12 item 14: a folder given as results, or a NaN --max-drop, is malformed input (exit 2)."""
    folder = _compare(results_path, tmp_path)
    assert folder.exit_code == 2 and isinstance(folder.exception, SystemExit) and "folder" in _flat(folder.output)
    nan_tolerance = _compare(results_path, results_path, "--max-drop", "leaks=nan")
    assert nan_tolerance.exit_code == 2 and isinstance(nan_tolerance.exception, SystemExit)


# --------------------------------------------------------------------------- item 15: damaged datasets

def _edit_csv(root: Path, name: str, line: int, column: str, value: str) -> None:
    path = root / "gt" / name
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[line - 2][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


def _drop_mask_box(root: Path) -> None:
    path = root / _manifest(root)["files"][0]["mask_relpath"]
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    del arrays["b000"]
    np.savez_compressed(path, **arrays)


def _garble_mask(root: Path) -> None:
    path = root / _manifest(root)["files"][0]["mask_relpath"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2:len(data) // 2 + 64] = bytes(64)  # zeroes inside the compressed stream: bad CRC or data
    path.write_bytes(bytes(data))


def _cut_dicom(root: Path) -> None:
    path = root / _manifest(root)["files"][1]["relpath"]
    path.write_bytes(path.read_bytes()[:-100])


def _drop_entry_key(root: Path) -> None:
    manifest = _manifest(root)
    del manifest["files"][0]["mask_relpath"]
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


DAMAGED = "is damaged, so no engine was run"
#: damage -> (what it does to a copy of the dataset, words the error must hold)
DAMAGE = {
    "no-masks": (lambda r: shutil.rmtree(r / "gt" / "masks"), [DAMAGED, "file-0001", "masks", "missing"]),
    "no-identities": (lambda r: (r / "gt" / "identities.csv").unlink(), [DAMAGED, "gt/identities.csv", "missing"]),
    "bad-box-row": (lambda r: _edit_csv(r, "boxes.csv", 5, "bbox_x", "abc"),
                    [DAMAGED, "gt/boxes.csv line 5", "bbox_x not an integer"]),
    "box-outside-frames": (lambda r: _edit_csv(r, "boxes.csv", 4, "frame_end", "99"),
                           [DAMAGED, "gt/boxes.csv line 4", "frame range"]),
    "bad-tag-path": (lambda r: _edit_csv(r, "tags.csv", 3, "tag_path", "(0010,00"),
                     [DAMAGED, "gt/tags.csv line 3", "tag_path"]),
    "no-tags-table": (lambda r: (r / "gt" / "tags.csv").unlink(), [DAMAGED, "gt/tags.csv", "missing"]),
    "mask-lacks-a-box": (_drop_mask_box, [DAMAGED, "file-0001", "b000"]),
    "mask-garbled": (_garble_mask, [DAMAGED, "file-0001", "masks", "cannot be read"]),
    "dicom-missing": (lambda r: (r / _manifest(r)["files"][1]["relpath"]).unlink(), [DAMAGED, "file-0002", "missing"]),
    "dicom-cut-short": (_cut_dicom, [DAMAGED, "file-0002", "differs from the manifest"]),
    "manifest-entry-incomplete": (_drop_entry_key, [DAMAGED, "manifest.json", "file-0001", "mask_relpath"]),
    "manifest-not-json": (lambda r: (r / "manifest.json").write_bytes(b"{not json"), [DAMAGED, "manifest.json"]),
    "no-manifest": (lambda r: (r / "manifest.json").unlink(), ["no manifest.json", "not a PHI Phantom dataset"]),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_dataset_is_reported_before_any_engine_runs(tiny, tmp_path, damage):
    """Issue 12 item 15: bench checks the dataset first and says what is wrong (exit 2), never blaming an engine."""
    data = tmp_path / "data"
    shutil.copytree(tiny, data)
    apply, words = DAMAGE[damage]
    apply(data)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["bench", "--data", str(data), "--engine", "null", "--engine", "oracle",
                                      "--out", str(out), "--workers", "1", "--no-ocr"])
    text = _flat(result.output)
    assert result.exit_code == 2, text
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output, text
    for word in words:
        assert word in text, f"{damage}: {word!r} not in {text!r}"
    assert "engine could not start" not in text and "engine" not in text.replace("no engine was run", "")
    assert not out.exists(), "no engine may run (nor a results folder be made) on a damaged dataset"


def test_a_mask_read_failing_once_for_a_reason_outside_the_file_is_read_again(tiny, monkeypatch):
    """An interpreter-level error on one read of an intact mask file (seen once in a full CI run: SystemError)
    is not reported as damage; the same error on every read is, with its message."""
    from phiphantom.benchmark import dataset as dataset_module

    real, calls = dataset_module.read_masks, []

    def flaky(path, columns):
        calls.append(path)
        if len(calls) == 1:
            raise SystemError("error return without exception set")
        return real(path, columns)

    loaded = dataset_module.load_dataset(tiny)
    monkeypatch.setattr(dataset_module, "read_masks", flaky)
    dataset_module.check_dataset(loaded)
    assert len(calls) == len(loaded.files) + 1

    def broken(path, columns):
        raise SystemError("error return without exception set")

    monkeypatch.setattr(dataset_module, "read_masks", broken)
    with pytest.raises(dataset_module.DamagedDatasetError) as caught:
        dataset_module.check_dataset(loaded)
    assert "cannot be read (SystemError: error return without exception set)" in str(caught.value)


def test_the_undamaged_dataset_still_benches(tiny, tmp_path):
    """Issue 12 item 15: the control: the same dataset, undamaged, passes the check and is scored."""
    result = CliRunner().invoke(app, ["bench", "--data", str(tiny), "--engine", "oracle", "--out", str(tmp_path / "r"),
                                      "--workers", "1", "--no-ocr", "--thumbnails", "0"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))["engines"][0]["metrics"]
    assert metrics["box_recall"] == 1.0 and metrics["files_failed"] == 0


# --------------------------------------------------------------------------- item 20 (bench): --workers

@pytest.mark.parametrize("workers", ["-3", "0"])
@pytest.mark.parametrize("command", ["bench", "demo"])
def test_workers_below_one_is_a_usage_error(tiny, tmp_path, workers, command):
    """Issue 12 item 20: `bench --workers -3` (or 0) is refused with a usage error (exit 2) before anything runs."""
    out = tmp_path / "out"
    args = (["bench", "--data", str(tiny), "--engine", "null", "--out", str(out), "--no-ocr"] if command == "bench"
            else ["demo", "--out", str(out), "--patients", "1"])
    result = CliRunner().invoke(app, [*args, "--workers", workers])
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output and not out.exists()
