"""`generate` never destroys what it did not make and fails clearly on a read-only or full output (issue 12).

Everything runs through the public command (`phiphantom generate`), real files written and read
back. Read-only and full-disk outputs are real: a tmpfs mounted read-only, or 2 MiB small, in a
private mount namespace (`unshare -m`, needs root as in CI), or a folder the user cannot write
to when the tests do not run as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phiphantom.cli.main import app

TINY = ["--patients", "1", "--files-per-study", "2:2", "--cine-fraction", "0", "--size", "320x240",
        "--jpeg-fraction", "0", "--no-validate", "--workers", "1", "--seed", "5"]


class Said:
    """A command's exit code and its output with Rich's line wrapping undone."""

    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code, self.output = exit_code, " ".join(output.split())


def run_cli(*args: str) -> Said:
    result = CliRunner().invoke(app, list(args))
    return Said(result.exit_code, result.output)


def generate(out: Path, *extra: str):
    return run_cli("generate", "--out", str(out), *TINY, *extra)


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- item 2: --overwrite


def test_overwrite_refuses_a_folder_without_manifest_and_deletes_nothing(tmp_path):
    """Issue 12 item 2: `generate --overwrite` into a folder with dicom/ and gt/ but no manifest.json deletes
    nothing."""
    out = tmp_path / "mine"
    (out / "dicom" / "study").mkdir(parents=True)
    (out / "gt").mkdir()
    (out / "dicom" / "study" / "scan.dcm").write_bytes(b"my real scan")
    (out / "gt" / "labels.csv").write_text("my labels\n")
    before = files_under(out)

    result = generate(out, "--overwrite")

    assert result.exit_code == 2, result.output
    assert "not a PHI Phantom dataset" in result.output and "no manifest.json" in result.output
    assert "nothing was deleted" in result.output
    assert files_under(out) == before


def test_overwrite_keeps_a_users_extra_file_inside_a_real_dataset(tmp_path):
    """Issue 12 item 2: `generate --overwrite` never deletes a user's extra file inside a real dataset's dicom/."""
    out = tmp_path / "ds"
    assert generate(out).exit_code == 0
    first = json.loads((out / "manifest.json").read_text())
    study = (out / first["files"][0]["relpath"]).parent
    extra = study / "my_own_scan.dcm"
    extra.write_bytes(b"not generated")
    (out / "gt" / "my_notes.txt").write_text("keep me")
    before = files_under(out)

    result = generate(out, "--overwrite", "--seed", "6")

    assert result.exit_code == 2, result.output
    assert "2 file(s) its manifest.json does not list" in result.output and "nothing was deleted" in result.output
    assert "my_own_scan" not in result.output          # names of the user's files are not printed
    assert files_under(out) == before                  # the old dataset and the extra files, untouched

    extra.unlink()
    (out / "gt" / "my_notes.txt").unlink()
    (study / "US_0001.dcm.part").write_bytes(b"left by a killed run")   # a part file of ours is ours
    result = generate(out, "--overwrite", "--seed", "6")
    assert result.exit_code == 0, result.output
    second = json.loads((out / "manifest.json").read_text())
    assert second["seed"] == 6 and second["run_id"] != first["run_id"]
    listed = {f["relpath"] for f in second["files"]} | {f["mask_relpath"] for f in second["files"]}
    on_disk = {rel for rel in files_under(out) if rel.startswith(("dicom/", "gt/masks/"))}
    assert on_disk == listed                            # nothing of the old dataset is left over


@pytest.mark.parametrize("manifest, why", [
    ({"generator": "someone.else", "files": []}, "does not name phiphantom.synth"),
    ({"generator": "phiphantom.synth", "files": [{"relpath": "dicom/../../victim.dcm"}]}, "outside dicom/"),
    ({"generator": "phiphantom.synth", "files": [{"relpath": "/etc/victim.dcm"}]}, "outside dicom/"),
    ({"generator": "phiphantom.synth", "files": "dicom/a.dcm"}, "no list of files"),
    ("[not json", "not readable JSON"),
])
def test_overwrite_trusts_only_a_manifest_that_says_it_is_ours(tmp_path, manifest, why):
    """Issue 12 item 2: a manifest.json that is not ours, or lists paths outside the dataset, deletes nothing."""
    out = tmp_path / "ds"
    (out / "dicom").mkdir(parents=True)
    (out / "dicom" / "a.dcm").write_bytes(b"user data")
    victim = tmp_path / "victim.dcm"
    victim.write_bytes(b"outside")
    (out / "manifest.json").write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    before = files_under(out)

    result = generate(out, "--overwrite")

    assert result.exit_code == 2, result.output
    assert why in result.output and "nothing was deleted" in result.output
    assert files_under(out) == before and victim.read_bytes() == b"outside"


def test_overwrite_refuses_a_symlink_inside_the_dataset(tmp_path):
    """Issue 12 item 2: a symbolic link in the dataset tree (to the user's data) is not ours: refused, target kept."""
    out = tmp_path / "ds"
    assert generate(out).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.dcm").write_bytes(b"keep")
    (out / "dicom" / "linked").symlink_to(elsewhere, target_is_directory=True)

    result = generate(out, "--overwrite")

    assert result.exit_code == 2, result.output
    assert (elsewhere / "keep.dcm").read_bytes() == b"keep" and (out / "manifest.json").is_file()


# --------------------------------------------------------------------------- item 18: read-only / full output


@lru_cache(maxsize=1)
def private_mounts() -> str | None:
    """None if a tmpfs can be mounted in a private mount namespace here, else why not."""
    if os.geteuid() != 0:
        return "not root: no private tmpfs mounts"
    if not shutil.which("unshare"):
        return "unshare (util-linux) not installed"
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"phiphantom-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o size=1m tmpfs "$1"', "sh", str(probe)],
                              capture_output=True, text=True, timeout=30)
    finally:
        probe.rmdir()
    return None if done.returncode == 0 else f"cannot mount a tmpfs in a private namespace: {done.stderr.strip()}"


def generate_on_tmpfs(mount: Path, options: str, out_rel: str, *extra: str) -> tuple[int, str, list[str]]:
    """Run `phiphantom generate` on a tmpfs mounted with ``options`` at ``mount`` (private namespace).

    Returns the exit code, the command's output, and every entry left on the tmpfs afterwards.
    """
    mount.mkdir(parents=True, exist_ok=True)
    script = ('mount -t tmpfs -o "$2" tmpfs "$1" || exit 99; shift 2; "$@"; rc=$?; '
              'echo "@@rc=$rc"; find "$MNT" -mindepth 1 | sed "s/^/@@left /"')
    out = mount / out_rel if out_rel else mount
    cmd = [sys.executable, "-m", "phiphantom.cli.main", "generate", "--out", str(out), *TINY, *extra]
    env = {**os.environ, "MNT": str(mount), "COLUMNS": "200"}
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(mount), options, *cmd],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode != 99, done.stderr
    text = done.stdout + done.stderr
    rc = int(next(line for line in text.splitlines() if line.startswith("@@rc="))[5:])
    left = [line[len("@@left "):] for line in text.splitlines() if line.startswith("@@left ")]
    output = " ".join(" ".join(line for line in text.splitlines() if not line.startswith("@@")).split())
    return rc, output, left


def test_read_only_output_is_a_clear_error(tmp_path):
    """Issue 12 item 18: generate into a read-only OUT: a clear error naming the operation and EROFS/EACCES, no
    traceback."""
    cases = []
    if private_mounts() is None:
        for out_rel in ("ds", ""):        # a new folder on a read-only file system, and the read-only folder itself
            cases.append(generate_on_tmpfs(tmp_path / f"ro{len(cases)}", "ro", out_rel))
    elif os.geteuid() != 0:               # an ordinary user: a folder without write permission is read-only for real
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        try:
            for out in (locked / "ds", locked):
                res = generate(out)
                cases.append((res.exit_code, res.output, [p.name for p in locked.iterdir()]))
        finally:
            locked.chmod(0o755)
    else:
        pytest.skip(private_mounts())
    for rc, output, left in cases:
        assert rc == 1, output
        assert "Traceback" not in output and "PermissionError" not in output and "OSError" not in output
        assert "error: cannot " in output and ("EROFS" in output or "EACCES" in output), output
        assert left == []


def test_full_disk_names_enospc_and_leaves_no_part_files(tmp_path):
    """Issue 12 item 18: generate on a full disk: ENOSPC and the failed operation named, no traceback, no .part files
    left."""
    reason = private_mounts()
    if reason:
        pytest.skip(reason)
    many = ["--patients", "3", "--rgb-fraction", "1", "--size", "640x480"]   # 0.9 MB per file: the 3rd fills 2 MiB
    for out_rel, workers in (("ds", "1"), ("", "2")):
        rc, output, left = generate_on_tmpfs(tmp_path / f"full{workers}", "size=2m", out_rel, *many,
                                             "--workers", workers)
        assert rc == 1, output
        assert "Traceback" not in output and "OSError" not in output
        assert "error: cannot write" in output and "ENOSPC (No space left on device)" in output, output
        assert left == [], f"left behind on the full disk: {left}"


# --------------------------------------------------------------------------- item 20: --workers


@pytest.mark.parametrize("workers", ["-3", "0"])
def test_generate_and_demo_refuse_workers_below_one(tmp_path, workers):
    """Issue 12 item 20: `generate --workers -3` / 0 and `demo --workers -3` / 0 are usage errors (exit 2), nothing
    written."""
    for args in (["generate", "--out", str(tmp_path / "g"), "--patients", "1", "--workers", workers],
                 ["demo", "--out", str(tmp_path / "d"), "--patients", "1", "--workers", workers]):
        result = run_cli(*args)
        assert result.exit_code == 2, result.output
        assert "workers must be >= 1" in result.output or "greater than or equal to 1" in result.output, result.output
        assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("value", ['"4"', "2.5", "true"])
def test_workers_from_a_config_file_must_be_a_whole_number(tmp_path, value):
    """Issue 12 item 20: `workers` that is not a whole number in a --config TOML is a clear usage error, not a
    traceback."""
    toml = tmp_path / "gen.toml"
    toml.write_text(f"workers = {value}\npatients = 1\n")
    result = run_cli("generate", "--out", str(tmp_path / "g"), "--config", str(toml), "--no-validate")
    assert result.exit_code == 2, result.output
    assert "workers must be a whole number" in result.output
    assert not (tmp_path / "g").exists()
