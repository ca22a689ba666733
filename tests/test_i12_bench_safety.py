"""Issue 12 items 1, 3, 5 and 16: bench never lets an engine touch the dataset, ``--overwrite`` deletes only
what bench wrote, the bundled engine's key stays with its own workers, and ``cmd:`` tools are never run
unasked and leave no process behind. Real generated DICOM, real ``cmd:`` tools (shell scripts)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
from pathlib import Path

import pydicom
import pytest
from typer.testing import CliRunner

from phiphantom.benchmark import private_inputs
from phiphantom.benchmark.bench import run_bench
from phiphantom.benchmark.dataset import DatasetError
from phiphantom.benchmark.engines.base import BaseEngine
from phiphantom.cli.main import app
from phiphantom.synth import GenerateConfig, generate

from .helpers import process_running

KEY_ENV = "PHIPHANTOM_DEID_KEY"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """4 small files (2 patients, single frames and cines), generated once."""
    out = tmp_path_factory.mktemp("i12-bench") / "data"
    generate(GenerateConfig(out=out, patients=2, files_per_study=(2, 2), frames=(2, 3), cine_fraction=0.5,
                            jpeg_fraction=0.0, difficulty="realistic", validate=False, workers=1, seed=3,
                            progress=False))
    return out


@pytest.fixture
def dataset(pristine, tmp_path) -> Path:
    """A copy per test, so that an engine that damaged it (on old code) cannot spoil the next test."""
    root = tmp_path / "data"
    shutil.copytree(pristine, root)
    return root


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def dicom_count(root: Path) -> int:
    return sum(1 for p in (root / "dicom").rglob("*.dcm"))


def engine(results: dict, name: str) -> dict:
    return next(e for e in results["engines"] if e["name"] == name)


def tool(folder: Path, name: str, body: str) -> Path:
    """An executable shell script (so that it is the program the template names)."""
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def gone(pid: int, wait_s: float = 2.0) -> bool:
    deadline = time.monotonic() + wait_s
    while process_running(pid):
        if time.monotonic() > deadline:
            os.kill(pid, 9)  # do not leave it behind for the next test
            return False
        time.sleep(0.05)
    return True


# -- item 1: engines never touch the dataset ------------------------------------------------------------

ATTACKS = {  # what the issue tried: each destroyed every DICOM of the dataset, then bench died
    "delete-input": ('cp "$1" "$2"; rm -f "$1"', "{in} {out}"),
    "truncate-input": (': > "$1"', "{in} {out}"),
    "wipe-input-folder": ('cp -r "$1"/. "$2"; rm -rf "$1"/*', "{in_dir} {out_dir}"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_engine_that_destroys_its_inputs_never_touches_the_dataset(attack, dataset, tmp_path):
    """Issue 12 item 1: an engine that deletes, truncates or wipes its inputs damages only private copies;
    its files are its own InputModified error rows, the dataset is byte-identical, later engines run."""
    body, args = ATTACKS[attack]
    script = tool(tmp_path, "attack.sh", body)
    before = digests(dataset)
    files = dicom_count(dataset)
    out = tmp_path / "results"
    results = run_bench(dataset, [f"evil=cmd:{script} {args}", "null"], out, workers=2, ocr=False, thumbnails=1)
    assert digests(dataset) == before, "the dataset changed"
    evil = engine(results, "evil")
    assert evil["metrics"]["files_failed"] == files
    assert [e["error_class"] for e in evil["errors"]] == ["InputModified"] * files
    assert all("dataset is intact" in e["message"] for e in evil["errors"])
    null = engine(results, "null")
    assert null["metrics"]["files_failed"] == 0 and not null["errors"]
    assert dicom_count(out / "outputs" / "null") == files
    assert dicom_count(out / "outputs" / "evil") == 0, "outputs of damaged inputs are dropped"
    assert not list(out.rglob(".phiphantom-inputs")) and not list(out.rglob(".phiphantom-staging"))


class _WritesTheDataset(BaseEngine):
    """Goes around its private copy: appends to the dataset's own file (its path set by the test: since
    issue 17 the context of an engine other than the oracle no longer leads to the dataset)."""

    name: str = "sneaky"
    dataset: Path = Path(".")

    def process_file(self, src, dst):
        shutil.copyfile(src, dst)
        real = self.dataset / "dicom" / Path(src).as_posix().split("/dicom/", 1)[1]
        with open(real, "ab") as fh:
            fh.write(b"\0\0")


def test_a_dataset_changed_behind_the_copies_stops_bench_with_a_clear_error(dataset, tmp_path):
    """Issue 12 item 1: the dataset's files are fingerprinted around every engine; a change stops bench
    with a DatasetError naming the engine and a file label (no path, which may hold PHI)."""
    sneaky = _WritesTheDataset(name="sneaky")
    sneaky.dataset = dataset
    with pytest.raises(DatasetError) as caught:
        run_bench(dataset, ["null"], tmp_path / "results", ocr=False, thumbnails=0,
                  engine_objects={"sneaky": sneaky})
    message = str(caught.value)
    assert "'sneaky'" in message and "file-0" in message and "dataset changed" in message
    assert "/dicom/" not in message and str(dataset) not in message


def test_built_in_readers_read_in_place_and_others_get_copies(dataset, tmp_path):
    """Issue 12 item 1: a cmd: engine sees a private copy under the results folder, never a dataset path (since
    issue 17 only the oracle reads the dataset's files in place: tests/test_engine_isolation.py)."""
    seen = tmp_path / "seen.txt"
    script = tool(tmp_path, "where.sh", f'echo "$1" >> {seen}; cp "$1" "$2"')
    results = run_bench(dataset, [f"where=cmd:{script} {{in}} {{out}}"], tmp_path / "results", workers=1,
                        ocr=False, thumbnails=0)
    assert engine(results, "where")["metrics"]["files_failed"] == 0
    paths = [p for p in seen.read_text(encoding="utf-8").split() if p.endswith(".dcm")]
    assert len(paths) == dicom_count(dataset)
    assert all(".phiphantom-inputs" in p and not p.startswith(str(dataset)) for p in paths)


@pytest.mark.parametrize("room", [True, False])
def test_per_file_copies_go_to_a_memory_folder_with_room_else_to_the_results_folder(dataset, tmp_path, monkeypatch,
                                                                                    room):
    """A per-file engine's copies are made in a private folder inside the first memory-backed folder with room
    for them (a written and deleted copy costs an ext4 folder far more than the copy), the same isolation:
    not the dataset, no gt/ beside them, nothing left afterwards. A machine without one (or without room)
    keeps them under the results folder."""
    memory = tmp_path / "shm"
    memory.mkdir()
    (memory / "someone-else.dcm").write_bytes(b"not bench's")  # what bench did not make stays, whatever it is
    monkeypatch.setattr(private_inputs, "MEMORY_FOLDERS", (str(memory),))
    if not room:  # every folder is short of room for even one copy
        monkeypatch.setattr(private_inputs, "MEMORY_HEADROOM", 1 << 62)
    seen = tmp_path / "seen.txt"
    script = tool(tmp_path, "where.sh", f'echo "$1" >> {seen}; ls "$(dirname "$1")/../../gt" >> {seen} 2>&1; '
                                        'cp "$1" "$2"')
    results = run_bench(dataset, [f"where=cmd:{script} {{in}} {{out}}"], tmp_path / "results", workers=2,
                        ocr=False, thumbnails=0)
    assert engine(results, "where")["metrics"]["files_failed"] == 0
    lines = seen.read_text(encoding="utf-8").split("\n")
    paths = [p for p in lines if p.endswith(".dcm")]
    assert len(paths) == dicom_count(dataset)
    root = memory if room else tmp_path / "results"
    assert all(p.startswith(str(root)) and "/.phiphantom-inputs/" in p for p in paths)
    assert not any(line.startswith("file-") or line == "boxes.csv" for line in lines)  # no gt/ there
    assert [p.name for p in memory.iterdir()] == ["someone-else.dcm"]  # only its own folder is gone
    assert (memory / "someone-else.dcm").read_bytes() == b"not bench's"
    assert not list((tmp_path / "results").rglob(".phiphantom-inputs"))


class _CannotStart(BaseEngine):
    name: str = "cannot-start"

    def start(self, context):
        raise RuntimeError("no tool here")

    def process_file(self, src, dst):
        shutil.copyfile(src, dst)


def test_an_engine_that_cannot_start_leaves_no_copies_folder_in_memory(dataset, tmp_path, monkeypatch):
    """The memory folder bench made for an engine's copies is deleted however the engine ends, and nothing else
    there is touched."""
    from phiphantom.benchmark.engines.base import EngineError
    from phiphantom.benchmark.runner import run_engine

    memory = tmp_path / "shm"
    memory.mkdir()
    (memory / "someone-else.dcm").write_bytes(b"not bench's")
    monkeypatch.setattr(private_inputs, "MEMORY_FOLDERS", (str(memory),))
    relpaths = sorted(p.relative_to(dataset).as_posix() for p in (dataset / "dicom").rglob("*.dcm"))
    with pytest.raises(EngineError, match="could not start"):
        run_engine(_CannotStart(), dataset, relpaths, tmp_path / "out", workers=1)
    assert [p.name for p in memory.iterdir()] == ["someone-else.dcm"]


def test_a_memory_folder_gives_copies_at_most_half_its_free_space(tmp_path, monkeypatch):
    monkeypatch.setattr(private_inputs, "MEMORY_FOLDERS", (str(tmp_path / "none"), str(tmp_path)))
    monkeypatch.setattr(private_inputs, "MEMORY_HEADROOM", 0)
    stats = os.statvfs(tmp_path)
    free = stats.f_bavail * stats.f_frsize
    assert private_inputs.memory_scratch(free) is None  # more than half: none
    folder = private_inputs.memory_scratch(1024)
    assert folder is not None and folder.parent == tmp_path and folder.is_dir()  # the first usable one
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # private to the user running bench


# -- item 3: --overwrite deletes only what bench wrote -----------------------------------------------------


def _bench_cli(dataset: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, ["bench", "--data", str(dataset), "--engine", "null", "--out", str(out),
                                    "--workers", "1", "--no-ocr", "--thumbnails", "0", *extra])


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("results_json", [None, '{"hello": "not ours"}', "[]"])
def test_overwrite_refuses_a_folder_that_is_not_a_results_folder(results_json, dataset, tmp_path):
    """Issue 12 item 3: --overwrite on a folder without bench's results.json exits 2 and deletes nothing."""
    out = tmp_path / "mine"
    (out / "outputs" / "null").mkdir(parents=True)
    (out / "outputs" / "null" / "thesis.dcm").write_bytes(b"my only copy")
    (out / "outputs" / "notes.txt").write_text("keep me", encoding="utf-8")
    (out / "report.md").write_text("my report", encoding="utf-8")
    if results_json is not None:
        (out / "results.json").write_text(results_json, encoding="utf-8")
    before = _tree(out)
    result = _bench_cli(dataset, out, "--overwrite")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # Rich wraps long lines
    assert "not a results folder" in said and "nothing was deleted" in said
    assert _tree(out) == before


def test_overwrite_replaces_only_what_bench_wrote(dataset, tmp_path):
    """Issue 12 item 3: a real results folder is replaced, but a user's files in it (even under outputs/) stay."""
    out = tmp_path / "results"
    assert _bench_cli(dataset, out).exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "outputs" / "mine").mkdir()
    (out / "outputs" / "mine" / "keep.txt").write_text("mine too", encoding="utf-8")
    old = (out / "results.json").stat().st_mtime_ns
    result = _bench_cli(dataset, out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "outputs" / "mine" / "keep.txt").read_text(encoding="utf-8") == "mine too"
    assert (out / "results.json").stat().st_mtime_ns != old
    assert dicom_count(out / "outputs" / "null") == dicom_count(dataset)


def test_overwrite_never_mixes_with_a_foreign_engine_folder(dataset, tmp_path):
    """Issue 12 item 3: outputs/NAME that the earlier run did not write is not deleted nor mixed into."""
    out = tmp_path / "results"
    assert _bench_cli(dataset, out).exit_code == 0
    result = CliRunner().invoke(app, ["bench", "--data", str(dataset), "--engine", "header-basic", "--out", str(out),
                                      "--workers", "1", "--no-ocr", "--thumbnails", "0"])
    assert result.exit_code == 2  # not empty, no --overwrite
    (out / "outputs" / "header-basic").mkdir()
    (out / "outputs" / "header-basic" / "x.dcm").write_bytes(b"someone else's")
    before = _tree(out)
    result = CliRunner().invoke(app, ["bench", "--data", str(dataset), "--engine", "header-basic", "--out", str(out),
                                      "--workers", "1", "--no-ocr", "--thumbnails", "0", "--overwrite"])
    assert result.exit_code == 2 and "nothing was deleted" in " ".join(result.output.split())
    assert _tree(out) == before


# -- item 5: the bundled engine's key stays with its workers ------------------------------------------------


def test_the_bundled_engines_key_never_reaches_a_later_engine(dataset, tmp_path, monkeypatch):
    """Issue 12 item 5: no $PHIPHANTOM_DEID_KEY in the bench process or a later cmd: tool's environment,
    while the bundled engine's two workers still share one (ephemeral) key: one pseudonym per patient."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    dumps = tmp_path / "env"
    dumps.mkdir()
    script = tool(tmp_path, "envdump.sh", f'env > "{dumps}/$$.txt"; cp "$1" "$2"')
    out = tmp_path / "results"
    results = run_bench(dataset, ["bundled:header-only", f"envdump=cmd:{script} {{in}} {{out}}"], out, workers=2,
                        ocr=False, thumbnails=0)
    assert KEY_ENV not in os.environ
    texts = [p.read_text(encoding="utf-8") for p in dumps.glob("*.txt")]
    assert len(texts) == dicom_count(dataset)
    assert not any(KEY_ENV in text for text in texts)
    bundled = engine(results, "bundled")
    assert bundled["metrics"]["files_failed"] == 0 and bundled["description"]["config"]["key"] == "ephemeral"
    ids: dict[str, set[str]] = {}
    for path in (out / "outputs" / "bundled").rglob("*.dcm"):
        patient_folder = path.parent.parent.name  # dicom/P00001/ST01/<uid>.dcm
        ids.setdefault(patient_folder, set()).add(str(pydicom.dcmread(path).PatientID))
    assert len(ids) == 2 and all(len(v) == 1 for v in ids.values()), "pseudonyms differ between workers"
    assert len(set().union(*ids.values())) == 2


def test_a_user_key_is_not_handed_to_cmd_tools_either(dataset, tmp_path, monkeypatch):
    """Issue 12 item 5: a key the user exported reaches the bundled engine, never a cmd: tool."""
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    dumps = tmp_path / "env"
    dumps.mkdir()
    script = tool(tmp_path, "envdump.sh", f'env > "{dumps}/$$.txt"; cp "$1" "$2"')
    results = run_bench(dataset, [f"envdump=cmd:{script} {{in}} {{out}}", "bundled:header-only"],
                        tmp_path / "results", workers=2, ocr=False, thumbnails=0)
    assert engine(results, "bundled")["description"]["config"]["key"] == f"${KEY_ENV}"
    assert not any(KEY_ENV in p.read_text(encoding="utf-8") for p in dumps.glob("*.txt"))


# -- item 16: no unasked tool runs, no process left behind --------------------------------------------------

HANGING_VERSION = '''if [ "$1" = "--version" ]; then
  sleep 300 & echo $! > "{pid}"
  sleep 300
fi
cp "$1" "$2"'''


def test_a_cmd_tool_is_never_run_for_its_version_unasked(dataset, tmp_path):
    """Issue 12 item 16: a plain cmd: engine runs the tool only for files (old code ran `TOOL --version`,
    whose child outlived bench when the call timed out)."""
    pid_file, log = tmp_path / "child.pid", tmp_path / "calls.log"
    script = tool(tmp_path, "tool.sh", f'echo "$@" >> "{log}"\n' + HANGING_VERSION.format(pid=pid_file))
    results = run_bench(dataset, [f"t=cmd:{script} {{in}} {{out}}"], tmp_path / "results", workers=1, ocr=False,
                        thumbnails=0)
    if pid_file.exists():
        assert gone(int(pid_file.read_text())), "the version probe's child outlived bench"
    assert not pid_file.exists(), "the tool was run with --version unasked"
    calls = log.read_text(encoding="utf-8").splitlines()
    assert len(calls) == dicom_count(dataset) and not any("--version" in c for c in calls)
    assert engine(results, "t")["description"]["version"].startswith("not asked")


def test_an_asked_version_probe_is_bounded_and_kills_its_process_group(dataset, tmp_path):
    """Issue 12 item 16: cmd,version:TEMPLATE asks the tool; a hanging probe gives up after a few seconds
    and its whole process group (the child it started) is killed; an answering tool's first line is kept."""
    pid_file = tmp_path / "child.pid"
    hangs = tool(tmp_path, "hangs.sh", HANGING_VERSION.format(pid=pid_file))
    answers = tool(tmp_path, "answers.sh", 'if [ "$1" = "-V" ]; then echo "answers 1.2.3"; exit 0; fi\ncp "$1" "$2"')
    started = time.monotonic()
    results = run_bench(dataset, [f"h=cmd,version:{hangs} {{in}} {{out}}",
                                  f"a=cmd,version=-V:{answers} {{in}} {{out}}"],
                        tmp_path / "results", workers=1, ocr=False, thumbnails=0)
    assert time.monotonic() - started < 150  # a hang guard: the probe's tool sleeps 300 s, the probe gives up at 5 s
    assert engine(results, "h")["description"]["version"] == "unknown (the version probe timed out)"
    assert engine(results, "a")["description"]["version"] == "answers 1.2.3"
    assert gone(int(pid_file.read_text()), wait_s=0.5), "the probe's child outlived the probe"
    assert engine(results, "h")["metrics"]["files_failed"] == 0


def test_a_timed_out_tool_and_its_children_do_not_outlive_bench(dataset, tmp_path):
    """Issue 12 item 16: a tool that hangs after starting a child, and one that exits leaving a child running,
    leave no process behind once bench returns (the worker's process group is killed)."""
    pids = tmp_path / "pids"
    pids.mkdir()
    hangs = tool(tmp_path, "hangs.sh", f'sleep 300 & echo $! > "{pids}/hang-$$"\nsleep 300')
    leaves = tool(tmp_path, "leaves.sh", f'sleep 300 >/dev/null 2>&1 & echo $! > "{pids}/left-$$"\ncp "$1" "$2"')
    folder = tool(tmp_path, "folder.sh", f'sleep 300 & echo $! > "{pids}/folder-$$"\nsleep 300')
    results = run_bench(dataset, [f"hangs=cmd:{hangs} {{in}} {{out}}", f"leaves=cmd:{leaves} {{in}} {{out}}",
                                  f"folder=cmd:{folder} {{in_dir}} {{out_dir}}"],
                        tmp_path / "results", workers=2, timeout_s=1.0, ocr=False, thumbnails=0)
    assert {e["error_class"] for e in engine(results, "hangs")["errors"]} == {"Timeout"}
    assert engine(results, "leaves")["metrics"]["files_failed"] == 0
    assert {e["error_class"] for e in engine(results, "folder")["errors"]} == {"Timeout"}
    recorded = sorted(pids.iterdir())
    assert {p.name.split("-")[0] for p in recorded} == {"hang", "left", "folder"}
    assert all(gone(int(p.read_text()), wait_s=0.5) for p in recorded)
