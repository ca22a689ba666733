"""The batch runner (``phiphantom deid``): records without PHI, determinism, resume, keys, secrets, crash
isolation, usage errors and the command line."""

from __future__ import annotations

import csv
import faulthandler
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import time
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.deid import batch
from phiphantom.deid.batch import (
    AUDIT_FILENAME,
    ERRORS_FILENAME,
    STATE_FILENAME,
    BatchUsageError,
    DeidSettings,
    ExecutionSettings,
    KeySettings,
    OutputSettings,
    deid_batch,
)
from phiphantom.deid.keys import KEY_ENV
from phiphantom.deid.structure import FileRejected, top_level_values

from .helpers import image, read_csv, save

KEY_A = {KEY_ENV: "a1" * 32}
KEY_B = {KEY_ENV: "b2" * 32}
KEYS_A, KEYS_B = KeySettings(env=KEY_A), KeySettings(env=KEY_B)
ONE_WORKER, TWO_WORKERS = ExecutionSettings(workers=1), ExecutionSettings(workers=2)
KEEP = OutputSettings(layout="keep")
HEADER_ONLY = DeidSettings(header_only=True)
#: Injected categories whose values are long and specific enough to search for as text.
SEARCHABLE = {"name", "patient_id", "physician", "institution", "phone", "accession", "other_id", "address",
              "operator", "institution_address", "department", "station", "device_serial", "study_id", "uid",
              "date", "birth_date"}


def tree_digest(out: Path) -> dict[str, str]:
    """sha256 of every DICOM output by relative path (the runner's records excluded)."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".")
            and p.name not in batch.RESERVED_NAMES}


def injected_values(dataset: Path) -> set[str]:
    """PHI values the generator injected into headers, file names and pixels (long enough to search for)."""
    return {row["injected_value"] for row in read_csv(dataset / "gt" / "tags.csv")
            if row["category"] in SEARCHABLE and len(row["injected_value"]) >= 6}


def audit_records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / AUDIT_FILENAME).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def pseudonymized_run(hard_dataset, tmp_path_factory):
    """The hard dataset through the runner: pseudonymized layout, redacted paths, mapping file."""
    data, _ = hard_dataset
    base = tmp_path_factory.mktemp("deid-batch")
    summary = deid_batch(data / "dicom", base / "out", keys=KEYS_A,
                         output=OutputSettings(layout="pseudonymized", redact_paths=True,
                                               mapping_out=base / "secret" / "mapping.csv"),
                         execution=TWO_WORKERS)
    return data, base, summary


def test_generated_dataset_all_ok(pseudonymized_run):
    data, base, summary = pseudonymized_run
    inputs = sorted(p for p in (data / "dicom").rglob("*.dcm"))
    assert summary.exit_code == 0 and summary.failed == 0
    assert summary.ok == summary.files == len(inputs)
    assert len(tree_digest(base / "out")) == len(inputs)


def test_audit_one_record_per_file_and_no_phi(pseudonymized_run):
    data, base, summary = pseudonymized_run
    records = audit_records(base / "out")
    assert len(records) == summary.files
    assert [r["input"] for r in records] == [f"file-{i:04d}" for i in range(1, summary.files + 1)]
    for record in records:
        assert record["status"] == "ok" and record["key_source"] == "env" and record["codes"][0] == "113100"
        assert record["actions"]["(0010,0010)"] in ("D", "Z") and len(record["input_sha256"]) == 64
        assert record["date_shift_applied"] is False and "key" not in record
    text = (base / "out" / AUDIT_FILENAME).read_text(encoding="utf-8")
    state = (base / "out" / STATE_FILENAME).read_text(encoding="utf-8")
    leaked = {value for value in injected_values(data) if value in text or value in state}
    assert not leaked, f"PHI in audit/state: {sorted(leaked)[:5]}"


def test_pseudonymized_layout_paths_hold_no_phi(pseudonymized_run):
    data, base, _ = pseudonymized_run
    values = injected_values(data)
    pattern = re.compile(r"DEID-[A-Z2-7]+/2\.25\.\d+/2\.25\.\d+/2\.25\.\d+\.dcm")
    for relpath in tree_digest(base / "out"):
        assert pattern.fullmatch(relpath), relpath
        assert not any(value in relpath for value in values)
        ds = pydicom.dcmread(base / "out" / relpath, stop_before_pixels=True)
        assert relpath.endswith(f"/{ds.SOPInstanceUID}.dcm") and relpath.startswith(f"{ds.PatientID}/")


def test_mapping_file_is_private_and_complete(pseudonymized_run):
    data, base, _ = pseudonymized_run
    mapping = base / "secret" / "mapping.csv"
    assert stat.S_IMODE(mapping.stat().st_mode) == 0o600
    rows = read_csv(mapping)
    assert {row["kind"] for row in rows} >= {"PatientID", "PatientName", "UID"}
    first = sorted((data / "dicom").rglob("*.dcm"))[0]
    original = pydicom.dcmread(first, stop_before_pixels=True)
    assert {"kind": "PatientID", "original": original.PatientID} in [
        {"kind": r["kind"], "original": r["original"]} for r in rows]


def test_same_key_identical_other_key_different(hard_dataset, tmp_path):
    data, _ = hard_dataset  # keep layout: the same input path under each key, to compare pseudonyms
    one = deid_batch(data / "dicom", tmp_path / "a", keys=KEYS_A, output=KEEP, execution=ONE_WORKER)
    two = deid_batch(data / "dicom", tmp_path / "b", keys=KEYS_A, output=KEEP, execution=TWO_WORKERS)
    other = deid_batch(data / "dicom", tmp_path / "c", keys=KEYS_B, output=KEEP, execution=TWO_WORKERS)
    assert one.exit_code == two.exit_code == other.exit_code == 0
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    relpath = sorted(tree_digest(tmp_path / "a"))[0]
    a = pydicom.dcmread(tmp_path / "a" / relpath, stop_before_pixels=True)
    c = pydicom.dcmread(tmp_path / "c" / relpath, stop_before_pixels=True)
    for keyword in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        assert a.data_element(keyword).value != c.data_element(keyword).value, keyword


def test_resume_after_interruption_gives_the_one_shot_outputs(hard_dataset, tmp_path):
    data, _ = hard_dataset
    src = tmp_path / "in"
    shutil.copytree(data / "dicom", src)
    one_shot = deid_batch(src, tmp_path / "once", keys=KEYS_A, execution=TWO_WORKERS)

    def interrupt(done: int, total: int) -> None:
        if done >= total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deid_batch(src, tmp_path / "resumed", keys=KEYS_A, execution=ExecutionSettings(workers=1, progress=interrupt))
    out = tmp_path / "resumed"
    assert not list(out.rglob("*.part*"))
    finished = sum("input_id" in json.loads(line) for line in (out / STATE_FILENAME).read_text().splitlines())
    assert 0 < finished < one_shot.files
    tampered = sorted(tree_digest(out))[0]
    (out / tampered).write_bytes(b"damaged")  # a changed output is redone, not trusted
    with pytest.raises(BatchUsageError, match="not empty"):
        deid_batch(src, out, keys=KEYS_A)
    resumed = deid_batch(src, out, keys=KEYS_A, output=OutputSettings(resume=True), execution=TWO_WORKERS)
    assert resumed.skipped == finished - 1 and resumed.ok == one_shot.files - finished + 1
    assert tree_digest(out) == tree_digest(tmp_path / "once")
    again = deid_batch(src, out, keys=KEYS_A, output=OutputSettings(resume=True), execution=TWO_WORKERS)
    assert again.skipped == one_shot.files and again.ok == 0
    with pytest.raises(BatchUsageError, match="another key"):  # it would add a second copy (issue 12 item 11)
        deid_batch(src, out, keys=KEYS_B, output=OutputSettings(resume=True))
    assert tree_digest(out) == tree_digest(tmp_path / "once")


def test_errors_csv_withholds_phi_and_redacts_paths(tmp_path):
    src = tmp_path / "in"
    broken = save(image("Fakename^Secret", "MRN424242", 1), src / "Fakename_Secret_MRN424242.dcm")
    broken.write_bytes(broken.read_bytes()[:-20])
    save(image("Fine^Fred", "FINE1", 2), src / "fine.dcm")
    summary = deid_batch(src, tmp_path / "out", keys=KEYS_A, output=OutputSettings(show_paths=True),
                         execution=ONE_WORKER)
    assert summary.exit_code == 1 and summary.errors_by_class == {"TruncatedFile": 1}
    text = (tmp_path / "out" / ERRORS_FILENAME).read_text(encoding="utf-8")
    assert "Fakename_Secret_MRN424242.dcm" in text  # paths are shown only with --show-paths
    assert "Fakename^Secret" not in text
    deid_batch(src, tmp_path / "default", keys=KEYS_A, execution=ONE_WORKER)  # paths redacted by default (issue 12)
    # the old flag still works
    deid_batch(src, tmp_path / "redacted", keys=KEYS_A, output=OutputSettings(redact_paths=True), execution=ONE_WORKER)
    for out in ("default", "redacted"):
        for name in (ERRORS_FILENAME, AUDIT_FILENAME):
            text = (tmp_path / out / name).read_text(encoding="utf-8")
            assert "Fakename" not in text and "MRN424242" not in text and "file-0001" in text


def _misbehaving(original):
    """deidentify_file that crashes the worker on *crash*, hangs on *slow* and leaks PHI in a message on *leak*."""
    def deidentify_file(src, config, version=""):
        data = src if isinstance(src, (bytes, bytearray)) else Path(src).read_bytes()  # the runner passes bytes
        name = {b"Person^N1": "crash", b"Person^N3": "slow", b"Person^N4": "leak"}.get(
            next((k for k in (b"Person^N1", b"Person^N3", b"Person^N4") if k in data), b""), "")
        if "crash" in name:
            faulthandler.disable()  # pytest's handler would print the worker's stack
            os.kill(os.getpid(), signal.SIGSEGV)
        if "slow" in name:
            time.sleep(60)
        if "leak" in name:
            raise ValueError("bad value 'Leaky^Lara' in PatientName")
        return original(src, config, version)
    return deidentify_file


@pytest.mark.parametrize("workers", [1, 2])  # 1: the files queued behind a crash or a hang must still run
def test_worker_crash_timeout_and_exceptions_are_isolated(tmp_path, monkeypatch, workers):
    from phiphantom.deid.batch import process

    monkeypatch.setattr(process, "deidentify_file", _misbehaving(process.deidentify_file))  # inherited by fork
    src = tmp_path / "in"
    for n, name in enumerate(("a_ok", "b_crash", "c_ok", "d_slow", "e_leak", "f_ok")):
        save(image(f"Person^N{n}", f"ID{n}", n), src / f"{name}.dcm")
    summary = deid_batch(src, tmp_path / "out", keys=KEYS_A, output=OutputSettings(layout="keep", show_paths=True),
                         execution=ExecutionSettings(workers=workers, timeout_s=2))
    rows = {row["path"]: row for row in read_csv(tmp_path / "out" / ERRORS_FILENAME)}
    assert summary.ok == 3 and summary.failed == 3
    assert rows["b_crash.dcm"]["error_class"] == "WorkerCrashed" and "SIGSEGV" in rows["b_crash.dcm"]["message"]
    assert rows["d_slow.dcm"]["error_class"] == "Timeout"
    assert rows["e_leak.dcm"]["error_class"] == "ValueError" and "Leaky" not in rows["e_leak.dcm"]["message"]
    assert sorted(tree_digest(tmp_path / "out")) == ["a_ok.dcm", "c_ok.dcm", "f_ok.dcm"]
    assert not list((tmp_path / "out").rglob("*.part*"))


def test_single_file_input(tmp_path):
    path = save(image("Single^Sam", "SINGLE1", 1), tmp_path / "in" / "one.dcm")
    summary = deid_batch(path, tmp_path / "out", keys=KEYS_A, output=KEEP, execution=ONE_WORKER)
    assert summary.ok == 1 and (tmp_path / "out" / "one.dcm").is_file()


@pytest.mark.parametrize("settings, message", [
    ({}, "no de-identification key"),
    ({"keys": KEYS_A, "deid": DeidSettings(options=["retain_everything"])}, "unknown profile option"),
    ({"keys": KEYS_A, "deid": DeidSettings(profile="strict")}, "unknown profile"),
    ({"keys": KEYS_A, "deid": DeidSettings(date_shift_range=(-10, -1))}, "needs --option retain_long_modified_dates"),
    ({"keys": KEYS_A, "deid": DeidSettings(policy="lenient")}, "--policy must be one of"),
    ({"keys": KeySettings(ephemeral=True), "output": OutputSettings(resume=True)}, "--resume needs the key"),
])
def test_usage_errors(tmp_path, settings, message):
    save(image("Usage^Ulla", "USE1", 1), tmp_path / "in" / "a.dcm")
    settings.setdefault("keys", KeySettings(env={}))
    with pytest.raises(BatchUsageError, match=message):
        deid_batch(tmp_path / "in", tmp_path / "out", **settings)
    assert not (tmp_path / "out").exists()


def test_refuses_out_inside_in_and_secrets_inside_out(tmp_path):
    src = tmp_path / "in"
    save(image("Place^Pete", "PLACE1", 1), src / "a.dcm")
    with pytest.raises(BatchUsageError, match="inside the input"):
        deid_batch(src, src / "out", keys=KEYS_A)
    with pytest.raises(BatchUsageError, match="inside the output"):
        deid_batch(src, tmp_path, keys=KEYS_A)
    with pytest.raises(BatchUsageError, match="--mapping-out must not be inside"):
        deid_batch(src, tmp_path / "out", keys=KEYS_A, output=OutputSettings(mapping_out=tmp_path / "out" / "map.csv"))
    with pytest.raises(BatchUsageError, match="--write-ephemeral-key must not be inside"):
        deid_batch(src, tmp_path / "out", keys=KeySettings(ephemeral=True, write_ephemeral_key=src / "key.txt"))


def test_ephemeral_key_is_written_only_when_asked(tmp_path):
    save(image("Eph^Emma", "EPH1", 1), tmp_path / "in" / "a.dcm")
    first = deid_batch(tmp_path / "in", tmp_path / "out1",
                       keys=KeySettings(ephemeral=True, write_ephemeral_key=tmp_path / "k.txt"))
    assert first.key_source == "ephemeral" and stat.S_IMODE((tmp_path / "k.txt").stat().st_mode) == 0o600
    again = deid_batch(tmp_path / "in", tmp_path / "out2", keys=KeySettings(key_file=tmp_path / "k.txt"))
    assert tree_digest(tmp_path / "out1") == tree_digest(tmp_path / "out2")
    deid_batch(tmp_path / "in", tmp_path / "out3", keys=KeySettings(ephemeral=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "k.txt", "out1", "out2", "out3"]
    assert again.key_source == "file"


def test_cli(tmp_path):
    src = tmp_path / "in"
    save(image("Cli^Carl", "CLI1", 1), src / "a.dcm")
    (src / "notes.txt").write_text("not dicom")
    key = tmp_path / "key.txt"
    key.write_text("c3" * 32)
    runner = CliRunner()
    env = {KEY_ENV: ""}
    result = runner.invoke(app, ["deid", str(src), str(tmp_path / "out"), "--key-file", str(key), "--workers", "1",
                                 "--layout", "pseudonymized", "--option", "retain_long_modified_dates",
                                 "--date-shift-range=-30:-1", "--header-only"], env=env)
    assert result.exit_code == 1, result.output
    assert "1 ok" in result.output and "NotDicom" in result.output and "NOT cleaned" in result.output
    assert len(audit_records(tmp_path / "out")) == 2
    assert audit_records(tmp_path / "out")[0]["date_shift_applied"] is True
    result = runner.invoke(app, ["deid", str(src), str(tmp_path / "out2")], env=env)
    assert result.exit_code == 2 and "no de-identification key" in result.output
    result = runner.invoke(app, ["deid", str(src / "a.dcm"), str(tmp_path / "out3"), "--ephemeral-key",
                                 "--mapping-out", str(tmp_path / "out3" / "m.csv")], env=env)
    assert result.exit_code == 2 and not (tmp_path / "out3").exists()
    result = runner.invoke(app, ["deid", str(src / "a.dcm"), str(tmp_path / "out4"), "--ephemeral-key"], env=env)
    assert result.exit_code == 0, result.output
    assert "NOT cleaned" not in result.output and "cleaned (strict)" in result.output
    with open(tmp_path / "out4" / ERRORS_FILENAME, encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["path", "error_class", "message"]]
    result = runner.invoke(app, ["deid", str(src / "a.dcm"), str(tmp_path / "out5"), "--ephemeral-key", "--hard",
                                 "--policy", "balanced"], env=env)
    assert result.exit_code == 0, result.output
    assert "cleaned (balanced, hard)" in result.output
    assert audit_records(tmp_path / "out5")[0]["pixels"] == "cleaned (balanced, hard)"


def test_safe_private_list_keeps_only_listed_elements(tmp_path):
    ds = image("Safe^Sally", "SAFE1", 1)
    block = ds.private_block(0x0011, "ACME SAFE 1.0", create=True)
    block.add_new(0x01, "DS", "1.5")
    block.add_new(0x02, "LO", "Safe^Sally")
    save(ds, tmp_path / "in" / "a.dcm")
    listing = tmp_path / "safe.csv"
    listing.write_text("creator,offset\nACME SAFE 1.0,0x01\n")
    summary = deid_batch(tmp_path / "in", tmp_path / "out",
                         deid=DeidSettings(options=["retain_safe_private"], safe_private=listing), keys=KEYS_A,
                         output=KEEP, execution=ONE_WORKER)
    assert summary.exit_code == 0
    out = pydicom.dcmread(tmp_path / "out" / "a.dcm")
    kept = out.private_block(0x0011, "ACME SAFE 1.0")
    assert kept[0x01].value == 1.5 and 0x02 not in kept
    assert b"Safe^Sally" not in (tmp_path / "out" / "a.dcm").read_bytes()
    assert audit_records(tmp_path / "out")[0]["options"] == ["retain_safe_private"]


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian])
def test_output_check_reads_back_what_is_written(tmp_path, syntax):
    ds = image("Check^Carl", "CHECK1", 7)
    ds.PatientIdentityRemoved = "YES"
    ds.file_meta.TransferSyntaxUID = syntax
    tmp = tmp_path / "out.part"
    digest = batch.write_verified(ds, tmp)
    assert digest == hashlib.sha256(tmp.read_bytes()).hexdigest()
    values = top_level_values(tmp.read_bytes(), (0x00080018, 0x00120062, 0x00100010, 0x00101000))
    assert values == {0x00080018: str(ds.SOPInstanceUID), 0x00120062: "YES", 0x00100010: "Check^Carl",
                      0x00101000: None}


def test_output_check_refuses_a_dataset_not_marked_deidentified(tmp_path):
    ds = image("Check^Carl", "CHECK1", 7)  # no Patient Identity Removed
    with pytest.raises(FileRejected) as info:
        batch.write_verified(ds, tmp_path / "out.part")
    assert info.value.error_class == "OutputCheckFailed" and not (tmp_path / "out.part").exists()
    ds.PatientIdentityRemoved = "NO"
    with pytest.raises(FileRejected):
        batch.write_verified(ds, tmp_path / "out.part")


def test_top_level_values_rejects_truncated_bytes(tmp_path):
    ds = image("Check^Carl", "CHECK1", 7)
    data = save(ds, tmp_path / "a.dcm").read_bytes()
    with pytest.raises(FileRejected) as info:
        top_level_values(data[:-10], (0x00080018,))
    assert info.value.error_class == "TruncatedFile"


@pytest.mark.slow
def test_dask_executor_gives_the_same_outputs_and_records(hard_dataset, tmp_path):
    pytest.importorskip("distributed")
    from phiphantom.core.executors import Executor

    root, _ = hard_dataset
    local = deid_batch(root / "dicom", tmp_path / "local", deid=HEADER_ONLY, keys=KEYS_A, execution=TWO_WORKERS)
    dask = deid_batch(root / "dicom", tmp_path / "dask", deid=HEADER_ONLY, keys=KEYS_A,
                      execution=ExecutionSettings(workers=2, executor=Executor("dask", None, 2)))
    assert (local.ok, local.failed) == (dask.ok, dask.failed) and dask.ok > 0 and dask.workers == 2
    assert tree_digest(tmp_path / "local") == tree_digest(tmp_path / "dask")
    drop_run = lambda records: [{k: v for k, v in r.items() if k != "run"} for r in records]  # noqa: E731
    assert drop_run(audit_records(tmp_path / "local")) == drop_run(audit_records(tmp_path / "dask"))


def test_resume_refuses_other_pixel_settings(tmp_path):
    save(image("Resume^Rita", "RES1", 1), tmp_path / "in" / "a.dcm")
    first = deid_batch(tmp_path / "in", tmp_path / "out", deid=HEADER_ONLY, keys=KEYS_A, execution=ONE_WORKER)
    assert first.ok == 1
    before = tree_digest(tmp_path / "out")
    # a header-only output must not pass for a pixel-cleaned one; since issue 12 item 11 such a resume is refused
    # (it used to redo the files into the same OUT) and OUT is left as it was
    with pytest.raises(BatchUsageError, match=r"other settings \(pixels: header only -> "):
        deid_batch(tmp_path / "in", tmp_path / "out", keys=KEYS_A, output=OutputSettings(resume=True),
                   execution=ONE_WORKER)
    assert tree_digest(tmp_path / "out") == before
    again = deid_batch(tmp_path / "in", tmp_path / "out", deid=HEADER_ONLY, keys=KEYS_A,
                       output=OutputSettings(resume=True), execution=ONE_WORKER)
    assert (again.ok, again.skipped) == (0, 1)
