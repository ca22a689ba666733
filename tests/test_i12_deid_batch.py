"""Issue 12, the ``phiphantom deid`` runner: input names in OUT and in the records (item 4), ``--resume`` with
another key or other settings (item 11), two runs into one OUT (item 12), an OUT that is read-only, not a
folder or full (item 18), an empty IN and a bad ``--workers`` (item 20).

Everything goes through the command (in process with typer's runner, or as real processes where two runs,
signals or a mount namespace are needed) and reads back the real files it wrote.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.deid.batch import (
    BatchUsageError,
    DeidSettings,
    ExecutionSettings,
    KeySettings,
    deid_batch,
)
from phiphantom.deid.keys import KEY_ENV

from .helpers import image, read_csv, save

KEY_A, KEY_B = "a1" * 32, "b2" * 32
PHI_NAME = "MALÁ_DUŠAN_1999_946890_0002.dcm"
#: Strings of the PHI-named inputs that must not reach OUT's names or records by default.
NAME_PHI = ("MALÁ", "DUŠAN", "MALA_DUSAN", "946890", "Fakename", "MRN424242")
LAUNCH = "from phiphantom.cli.launch import main; main()"
STATE = ".phiphantom-deid-state.jsonl"


def _keyfile(tmp_path: Path, key: str = KEY_A, name: str = "key.txt") -> Path:
    path = tmp_path / name
    path.write_text(key)
    return path


def _phi_named_inputs(folder: Path) -> None:
    """A good file whose name is its patient's name, ID and birth year; a truncated one named after its patient;
    a good file with a neutral name."""
    ds = image("MALÁ^DUŠAN", "946890", 1, charset="ISO_IR 192")
    ds.PatientBirthDate = "19990101"
    save(ds, folder / PHI_NAME)
    broken = save(image("Fakename^Secret", "MRN424242", 2), folder / "Fakename_Secret_MRN424242.dcm")
    broken.write_bytes(broken.read_bytes()[:-20])
    save(image("Rossi^Gina", "R77", 3), folder / "scans" / "scan_0001.dcm")


def _deid(args: list[str]):
    result = CliRunner().invoke(app, ["deid", *[str(a) for a in args]], env={KEY_ENV: "", "COLUMNS": "200"})
    return result, " ".join(result.output.split())


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _outputs(out: Path) -> list[str]:
    return [rel for rel in _tree(out) if rel.endswith(".dcm")]


# -- item 4: no input names in OUT or in the records by default ---------------------------------------------


def test_default_run_writes_no_input_name_into_out(tmp_path):
    """Issue 12 item 4: by default no input file name (which may carry PHI) reaches OUT: pseudonymized layout, and
    errors.csv, audit.jsonl, detections.csv and the state file name inputs file-NNNN, not by their path."""
    _phi_named_inputs(tmp_path / "in")
    result, text = _deid([tmp_path / "in", tmp_path / "out", "--key-file", _keyfile(tmp_path), "--workers", "1",
                          "--header-only"])
    assert result.exit_code == 1, text  # the truncated file
    tree = _tree(tmp_path / "out")
    assert len(_outputs(tmp_path / "out")) == 2
    for relpath, data in tree.items():
        for value in NAME_PHI:
            assert value not in relpath, f"{value!r} in the output path {relpath!r}"
            if not relpath.endswith(".dcm"):
                assert value.encode("utf-8") not in data, f"{value!r} in {relpath}"
    rows = read_csv(tmp_path / "out" / "errors.csv")
    assert [(r["path"], r["error_class"]) for r in rows] == [("file-0001", "TruncatedFile")]
    audit = [json.loads(line) for line in (tmp_path / "out" / "audit.jsonl").read_text("utf-8").splitlines()]
    assert [r["input"] for r in audit] == ["file-0001", "file-0002", "file-0003"]
    assert not any(value in text for value in NAME_PHI)


def test_keep_layout_warns_and_show_paths_writes_paths(tmp_path):
    """Issue 12 item 4: --layout keep (asked for) keeps input names and warns, without the values, how many of them
    hold a name, ID or date of their own header; input paths reach the records only with --show-paths."""
    _phi_named_inputs(tmp_path / "in")
    key = _keyfile(tmp_path)
    result, text = _deid([tmp_path / "in", tmp_path / "out", "--key-file", key, "--workers", "1", "--header-only",
                          "--layout", "keep"])
    assert result.exit_code == 1, text
    assert sorted(_outputs(tmp_path / "out")) == [PHI_NAME, "scans/scan_0001.dcm"]
    assert "warning: 1 of 2 output paths hold a patient name, ID or date of their own header" in text
    assert not any(value in text for value in NAME_PHI)
    audit = [json.loads(line) for line in (tmp_path / "out" / "audit.jsonl").read_text("utf-8").splitlines()]
    assert [(r["input"], r["output"], r.get("input_name_matches_header")) for r in audit] == [
        ("file-0001", None, None), ("file-0002", "file-0002", True), ("file-0003", "file-0003", False)]
    records = "".join((tmp_path / "out" / name).read_text("utf-8") for name in ("audit.jsonl", STATE, "errors.csv"))
    assert not any(value in records for value in NAME_PHI)

    result, text = _deid([tmp_path / "in", tmp_path / "shown", "--key-file", key, "--workers", "1", "--header-only",
                          "--show-paths"])
    assert result.exit_code == 1, text
    assert read_csv(tmp_path / "shown" / "errors.csv")[0]["path"] == "Fakename_Secret_MRN424242.dcm"
    audit = (tmp_path / "shown" / "audit.jsonl").read_text("utf-8")
    assert PHI_NAME in audit and "scans/scan_0001.dcm" in audit
    assert not any(value in p for p in _outputs(tmp_path / "shown") for value in NAME_PHI)  # still pseudonymized


# -- item 11: --resume with another key or other settings --------------------------------------------------


def test_resume_with_another_key_or_settings_is_refused(tmp_path):
    """Issue 12 item 11: --resume into an OUT written with another key (or other settings) is refused with exit 2
    and a message saying how to start a new run; OUT is left as it is (it used to get a second copy of every
    file under new pseudonyms). The key is never shown."""
    src, out = tmp_path / "in", tmp_path / "out"
    for n in range(3):
        save(image(f"Resume^R{n}", f"RES{n}", n), src / f"r{n}.dcm")
    key_a, key_b = _keyfile(tmp_path), _keyfile(tmp_path, KEY_B, "other.txt")
    common = ["--workers", "1", "--header-only", "--layout", "pseudonymized"]
    result, text = _deid([src, out, "--key-file", key_a, *common])
    assert result.exit_code == 0, text
    before = _tree(out)
    assert len(_outputs(out)) == 3

    result, text = _deid([src, out, "--key-file", key_b, "--resume", *common])
    assert result.exit_code == 2, text
    assert "written with another key" in text and "new, empty OUT" in text
    assert KEY_B not in text and KEY_A not in text
    assert _tree(out) == before

    result, text = _deid([src, out, "--key-file", key_a, "--resume", *common,
                          "--option", "retain_patient_characteristics"])
    assert result.exit_code == 2, text
    assert "written with other settings (options: [] -> [\"retain_patient_characteristics\"])" in text
    assert _tree(out) == before

    other = tmp_path / "not-a-run"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    result, text = _deid([src, other, "--key-file", key_a, "--resume", *common])
    assert result.exit_code == 2 and "holds no state of a phiphantom deid run" in text, text
    assert [p.name for p in other.iterdir()] == ["notes.txt"]

    result, text = _deid([src, out, "--key-file", key_a, "--resume", *common])
    assert result.exit_code == 0 and "0 ok" in text and "3 skipped" in text, text
    assert _outputs(out) == [rel for rel in before if rel.endswith(".dcm")]


# -- item 12: one run at a time in an OUT -------------------------------------------------------------------


def _start(args: list, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, KEY_ENV: "", "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-c", LAUNCH, "deid", *[str(a) for a in args]], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)


def _wait_until_started(process: subprocess.Popen, out: Path) -> None:
    """Until the run has opened its records (the lock is taken before): then stop it where it is."""
    deadline = time.monotonic() + 60
    while not (out / "audit.jsonl").exists():
        assert process.poll() is None, f"the first run ended early: {process.communicate()[0]}"
        assert time.monotonic() < deadline, "the first run did not start within 60 s"
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGSTOP)


def _many_inputs(src: Path, count: int = 150) -> None:
    for n in range(count):
        save(image(f"Many^M{n % 20}", f"MANY{n % 20}", 1000 + n), src / f"f{n:03d}.dcm")


def test_second_run_into_the_same_out_is_refused(tmp_path):
    """Issue 12 item 12: while a deid run writes to OUT, a second run into OUT (two real processes) fails at once
    with exit 2 and a clear message; the first run then completes with consistent records (one state record per
    input, one pseudonym per patient)."""
    src, out = tmp_path / "in", tmp_path / "out"
    _many_inputs(src)
    key = _keyfile(tmp_path)
    args = [src, out, "--key-file", key, "--workers", "1", "--header-only", "--layout", "pseudonymized"]
    first = _start(args, tmp_path)
    try:
        _wait_until_started(first, out)
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-c", LAUNCH, "deid", *map(str, args), "--resume"],
                                env={**os.environ, KEY_ENV: "", "COLUMNS": "200"}, capture_output=True, text=True,
                                timeout=120, cwd=tmp_path)
        text = " ".join((second.stdout + second.stderr).split())
        assert second.returncode == 2, text
        assert f"another phiphantom deid run (process {first.pid}) is writing to" in text, text
        # a hang guard (the lock is not waited for; a run that waited would sit until the 120 s timeout)
        assert "Traceback" not in text and time.monotonic() - started < 90
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert first.wait(timeout=300) == 0, first.communicate()[0]
    state = [json.loads(line) for line in (out / STATE).read_text("utf-8").splitlines()]
    records = [r for r in state if "input_id" in r]
    assert len(records) == len({r["input_id"] for r in records}) == 150
    assert len(_outputs(out)) == 150 and not list(out.rglob("*.part"))
    assert len({rel.split("/")[0] for rel in _outputs(out)}) == 20  # 20 patients, one pseudonym each
    assert len((out / "audit.jsonl").read_text("utf-8").splitlines()) == 150


def test_a_killed_run_does_not_keep_out_locked(tmp_path):
    """Issue 12 item 12: the lock dies with the run: after SIGKILL of the supervisor (its workers still alive) OUT
    can be locked at once, and --resume completes the run."""
    src, out = tmp_path / "in", tmp_path / "out"
    _many_inputs(src, 60)
    key = _keyfile(tmp_path)
    args = [src, out, "--key-file", key, "--workers", "2", "--header-only"]
    first = _start(args, tmp_path)
    _wait_until_started(first, out)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    lock = out / ".phiphantom-deid.lock"
    with open(lock, "rb") as fh:  # workers of the killed run may still be alive: they must not hold the lock
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fh, fcntl.LOCK_UN)
    result, text = _deid([*args, "--resume"])
    assert result.exit_code == 0, text
    assert len(_outputs(out)) == 60


# -- item 18: OUT read-only, not a folder, or full ----------------------------------------------------------


def test_out_under_a_file_is_a_clear_error(tmp_path):
    """Issue 12 item 18: an OUT that cannot be created (a file stands where its parent folder should be) is a clear
    error naming the operation and the errno, exit 2, not a traceback."""
    save(image("Place^Pia", "PLACE9", 1), tmp_path / "in" / "a.dcm")
    (tmp_path / "blocker").write_text("a file, not a folder")
    result, text = _deid([tmp_path / "in", tmp_path / "blocker" / "out", "--key-file", _keyfile(tmp_path),
                          "--workers", "1", "--header-only"])
    assert result.exit_code == 2, text
    assert "cannot create the output folder" in text and "ENOTDIR: Not a directory" in text, text


def _mount_prefix(tmp_path: Path) -> list[str]:
    """A command prefix that runs its command in a private mount namespace where it may mount a tmpfs (root
    with CAP_SYS_ADMIN, else an unprivileged user namespace); skip when neither works here."""
    if not shutil.which("unshare") or not shutil.which("mount"):
        pytest.skip("unshare or mount not installed: cannot make a read-only or full file system")
    probe = tmp_path / "probe"
    probe.mkdir()
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        done = subprocess.run([*prefix, "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                              capture_output=True, timeout=30)
        if done.returncode == 0:
            return prefix
    pytest.skip("no mount namespace here (unshare -m and unshare -rm both refused): cannot make a read-only or "
                "full file system to write OUT on")


def _deid_on_mount(prefix: list[str], options: str, mount: Path, args: list, tmp_path: Path):
    """Run the command in a mount namespace where ``mount`` is a fresh tmpfs mounted with ``options``."""
    mount.mkdir(exist_ok=True)
    script = 'mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; shift 2; exec "$@"'
    done = subprocess.run([*prefix, "sh", "-c", script, "sh", options, str(mount), sys.executable, "-c", LAUNCH,
                           "deid", *map(str, args)], env={**os.environ, KEY_ENV: "", "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode != 99, done.stderr
    return done, " ".join((done.stdout + done.stderr).split())


def test_read_only_out_is_a_clear_error(tmp_path):
    """Issue 12 item 18: OUT on a read-only file system (as root, where chmod stops nothing): exit 2 and a message
    naming the operation and EROFS, no traceback; both for an OUT to create and for an existing empty OUT."""
    prefix = _mount_prefix(tmp_path)
    save(image("Readonly^Rex", "RO1", 1), tmp_path / "in" / "a.dcm")
    key = _keyfile(tmp_path)
    mount = tmp_path / "ro"
    for out, operation in ((mount / "out", "cannot create the output folder"),
                           (mount, "cannot write in the output folder")):
        done, text = _deid_on_mount(prefix, "ro", mount, [tmp_path / "in", out, "--key-file", key, "--workers", "1",
                                                         "--header-only"], tmp_path)
        assert done.returncode == 2, text
        assert operation in text and "EROFS: Read-only file system" in text, text
        assert "Traceback" not in text


def test_full_disk_rows_name_the_step_and_errno(tmp_path):
    """Issue 12 item 18: on a full file system each file whose output cannot be written is one errors.csv row saying
    which step failed and ENOSPC (it said only "details withheld"); a small file still gets its output, no
    temporary file is left, no traceback."""
    prefix = _mount_prefix(tmp_path)
    src = tmp_path / "in"
    for n in range(2):  # 256 KB of pixels each: more than the file system holds
        ds = image(f"Full^F{n}", f"FULL{n}", n)
        ds.Rows = ds.Columns = 512
        ds.PixelData = bytes(512 * 512)
        save(ds, src / f"big{n}.dcm")
    save(image("Small^Sue", "SMALL1", 9), src / "small.dcm")
    mount = tmp_path / "full"
    mount.mkdir()
    copy = tmp_path / "copied"
    # the tmpfs goes away with its namespace: copy what the run wrote before it does
    script = ('mount -t tmpfs -o size=64k tmpfs "$1" || exit 99; "$2" -c "$3" deid "$4" "$1" --key-file "$5" '
              '--workers 1 --header-only; code=$?; cp -r "$1" "$6"; exit $code')
    done = subprocess.run([*prefix, "sh", "-c", script, "sh", str(mount), sys.executable, LAUNCH, str(src),
                           str(_keyfile(tmp_path)), str(copy)], env={**os.environ, KEY_ENV: "", "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    text = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, text
    assert "Traceback" not in text and "2 failed" in text and "1 ok" in text, text
    rows = read_csv(copy / "errors.csv")
    message = "could not write the temporary output file (ENOSPC: No space left on device)"
    assert [(r["path"], r["error_class"], r["message"]) for r in rows] == [
        ("file-0001", "OSError", message), ("file-0002", "OSError", message)]
    assert len(_outputs(copy)) == 1 and not list(copy.rglob("*.part"))

    # a file system too small for the run's own records: the run stops with a message naming them (exit 1)
    done, text = _deid_on_mount(prefix, "size=4k", tmp_path / "tiny", [src, tmp_path / "tiny", "--key-file",
                                                                      _keyfile(tmp_path), "--workers", "1",
                                                                      "--header-only"], tmp_path)
    assert done.returncode == 1, text
    assert "could not" in text and "(ENOSPC: No space left on device); the run stopped" in text, text
    assert "Traceback" not in text


# -- item 20: empty IN, bad --workers -----------------------------------------------------------------------


def test_empty_input_folder_is_an_error(tmp_path):
    """Issue 12 item 20: an empty input folder says "no DICOM files found" and exits non-zero (it exited 0)."""
    (tmp_path / "in").mkdir()
    result, text = _deid([tmp_path / "in", tmp_path / "out", "--key-file", _keyfile(tmp_path), "--workers", "1"])
    assert result.exit_code == 2, text
    assert "no DICOM files found in" in text and not (tmp_path / "out").exists()


@pytest.mark.parametrize("workers", ["-3", "0"])
def test_workers_below_one_are_refused(tmp_path, workers):
    """Issue 12 item 20: --workers -3 or 0 is a usage error (exit 2), nothing written (-3 used to run)."""
    save(image("Work^Wim", "WORK1", 1), tmp_path / "in" / "a.dcm")
    result, text = _deid([tmp_path / "in", tmp_path / "out", "--key-file", _keyfile(tmp_path), "--workers", workers,
                          "--header-only"])
    assert result.exit_code == 2 and "--workers" in text, text
    assert not (tmp_path / "out").exists()
    with pytest.raises(BatchUsageError, match="--workers"):
        deid_batch(tmp_path / "in", tmp_path / "out", deid=DeidSettings(header_only=True),
                   keys=KeySettings(env={KEY_ENV: KEY_A}), execution=ExecutionSettings(workers=int(workers)))
