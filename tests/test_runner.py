"""The runner: worker processes, ordering, timeouts, crashes, safe error messages,
no partial outputs, start-up timing, per-folder engines, workers=1 vs 2."""

from __future__ import annotations

import json
import os
import platform
import sys
import textwrap
import time
from pathlib import Path

import pytest

from phiphantom.benchmark.engines import EngineError
from phiphantom.benchmark.engines.oracle import OracleEngine
from phiphantom.benchmark.runner import STAGING_DIRNAME, EngineRun, run_engine

from .helpers import process_running

PLUGIN = "runner_test_plugin"

PLUGIN_SOURCE = '''
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from phiphantom.benchmark.engines import BaseEngine, Detection, FileResult


@dataclass
class Misbehave(BaseEngine):
    """Copies files; on the file whose path contains `on` it first writes half a file, then `does`."""

    name: str = "misbehave"
    on: str = ""
    does: str = ""            # sleep | exit | raise | elsewhere | nothing
    start_sleep: float = 0.0

    def start(self, context):
        super().start(context)
        time.sleep(float(self.start_sleep))

    def process_file(self, src, dst):
        if self.on and self.on in str(src):
            dst.write_bytes(src.read_bytes()[:1000])  # a partial output
            if self.does == "sleep":
                time.sleep(60)
            elif self.does == "exit":
                os._exit(1)
            elif self.does == "raise":
                raise ValueError("secret PHI value Doe^John")
            elif self.does == "elsewhere":
                other = Path(self.context.work_dir).parent / "outside.dcm"
                shutil.copyfile(src, other)
                return FileResult(output_path=other)
            elif self.does == "nothing":
                dst.unlink()
                return None
        shutil.copyfile(src, dst)
        return FileResult(detections=[Detection(0, 1, 1, 2, 3, 4)])


@dataclass
class FolderCopier(BaseEngine):
    """Per folder: copies every file except those whose path contains `skip`."""

    name: str = "folder-copier"
    per_folder: bool = True
    skip: str = ""

    def process_file(self, src, dst):
        raise NotImplementedError

    def process_folder(self, src_dir, dst_dir):
        for path in sorted(src_dir.rglob("*.dcm")):
            if self.skip and self.skip in str(path):
                continue
            target = dst_dir / path.relative_to(src_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


class BrokenStart(BaseEngine):
    def start(self, context):
        raise RuntimeError("cannot load model for Doe^John")
'''


@pytest.fixture(scope="module")
def dataset(engine_dataset) -> Path:
    return engine_dataset


@pytest.fixture(scope="module")
def rels(dataset) -> list[str]:
    return [entry["relpath"] for entry in json.loads((dataset / "manifest.json").read_text())["files"]]


@pytest.fixture(scope="module", autouse=True)
def plugin(tmp_path_factory):
    """The misbehaving engines, importable in this process and (through fork) in the workers."""
    folder = tmp_path_factory.mktemp("plugin")
    (folder / f"{PLUGIN}.py").write_text(textwrap.dedent(PLUGIN_SOURCE))
    sys.path.insert(0, str(folder))
    yield
    sys.path.remove(str(folder))
    sys.modules.pop(PLUGIN, None)


def misbehave(**kwargs) -> tuple[str, dict]:
    return f"python:{PLUGIN}:Misbehave", kwargs


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def assert_no_leftovers(run: EngineRun, out: Path) -> None:
    """Only successful outputs exist; no staging folder is left."""
    assert not (out / STAGING_DIRNAME).exists()
    assert files_under(out) == {o.output_relpath for o in run.outcomes if o.ok}


def test_outcomes_in_input_order(dataset, rels, tmp_path):
    order = list(reversed(rels))
    seen = []
    spec, kwargs = misbehave()
    run = run_engine(spec, dataset, order, tmp_path, workers=2, engine_kwargs=kwargs,
                     progress=lambda done, total: seen.append((done, total)))
    assert [o.relpath for o in run.outcomes] == order
    assert all(o.ok and o.output_relpath == o.relpath for o in run.outcomes)
    assert all((tmp_path / r).read_bytes() == (dataset / r).read_bytes() for r in rels)
    assert run.outcomes[0].detections[0].x1 == 3  # detections travel back from the worker
    assert seen[-1] == (len(rels), len(rels)) and len(seen) == len(rels)
    assert len(run.startup_s) == 2 and run.peak_rss_mb > 10 and run.wall_s > 0
    assert run.spec == spec and run.description["name"] == "misbehave"
    assert_no_leftovers(run, tmp_path)


def test_timeout_is_recorded_and_the_rest_processed(dataset, rels, tmp_path):
    spec, kwargs = misbehave(on=rels[1], does="sleep")
    run = run_engine(spec, dataset, rels, tmp_path, timeout_s=1.0, engine_kwargs=kwargs)
    classes = [o.error_class for o in run.outcomes]
    assert classes[1] == "Timeout" and classes.count(None) == len(rels) - 1
    # < 30: a hang guard (the file sleeps 60 s; the runner gives up on it after the 1 s timeout)
    assert run.outcomes[1].output_relpath is None and 1.0 <= run.outcomes[1].seconds < 30
    assert len(run.startup_s) == 2  # a fresh worker took over
    assert_no_leftovers(run, tmp_path)


def test_crash_is_recorded_and_the_run_continues(dataset, rels, tmp_path):
    spec, kwargs = misbehave(on=rels[2], does="exit")
    run = run_engine(spec, dataset, rels, tmp_path, workers=2, engine_kwargs=kwargs)
    assert run.outcomes[2].error_class == "WorkerCrashed" and "status 1" in run.outcomes[2].message
    assert all(o.ok for i, o in enumerate(run.outcomes) if i != 2)
    assert_no_leftovers(run, tmp_path)


def test_exception_message_is_withheld(dataset, rels, tmp_path):
    spec, kwargs = misbehave(on=rels[0], does="raise")
    run = run_engine(spec, dataset, rels, tmp_path / "a", engine_kwargs=kwargs)
    failed = run.outcomes[0]
    assert failed.error_class == "ValueError" and "secret" not in failed.message and "Doe" not in failed.message
    assert all(o.ok for o in run.outcomes[1:])
    assert_no_leftovers(run, tmp_path / "a")
    shown = run_engine(spec, dataset, rels[:1], tmp_path / "b", engine_kwargs=kwargs, include_messages=True)
    assert "secret PHI value" in shown.outcomes[0].message


def test_output_outside_out_dir_and_missing_output(dataset, rels, tmp_path):
    out = tmp_path / "out"
    spec, kwargs = misbehave(on=rels[0], does="elsewhere")
    run = run_engine(spec, dataset, rels[:2], out, engine_kwargs=kwargs, work_dir=tmp_path / "work")
    assert run.outcomes[0].error_class == "OutputOutsideOutDir" and run.outcomes[0].message
    spec, kwargs = misbehave(on=rels[0], does="nothing")
    run = run_engine(spec, dataset, rels[:2], out, engine_kwargs=kwargs)
    assert run.outcomes[0].error_class == "NoOutput" and run.outcomes[1].ok


def test_startup_measured_apart_from_files(dataset, rels, tmp_path):
    spec, kwargs = misbehave(start_sleep=1.5)
    run = run_engine(spec, dataset, rels[:3], tmp_path, engine_kwargs=kwargs)
    assert run.startup_s and run.startup_s[0] >= 1.5
    # a file's copy takes milliseconds: a first file charged with the 1.5 s start-up is the bug this catches,
    # with room for a loaded runner (the start-up once sat at 0.3 s, as tight as a slow copy)
    assert all(o.ok and o.seconds < 1.5 for o in run.outcomes)


def test_start_failure_raises_safe_engine_error(dataset, rels, tmp_path):
    with pytest.raises(EngineError) as info:
        run_engine(f"python:{PLUGIN}:BrokenStart", dataset, rels, tmp_path)
    assert "RuntimeError" in str(info.value) and "Doe" not in str(info.value)
    with pytest.raises(EngineError):
        run_engine("no-such-engine", dataset, rels, tmp_path)


def test_per_folder_engine(dataset, rels, tmp_path):
    run = run_engine(f"python:{PLUGIN}:FolderCopier", dataset, rels, tmp_path / "a",
                     engine_kwargs={"skip": rels[3]})
    assert [o.error_class for o in run.outcomes] == [None, None, None, "NoOutput", None, None]
    assert all((tmp_path / "a" / r).read_bytes() == (dataset / r).read_bytes() for r in rels if r != rels[3])
    assert len(run.startup_s) == 1
    cmd = run_engine("cmd:cp -r {in_dir}/. {out_dir}", dataset, rels, tmp_path / "b", workers=2)
    assert all(o.ok for o in cmd.outcomes)
    assert_no_leftovers(cmd, tmp_path / "b")


def test_cmd_engine_failures_become_rows(dataset, rels, tmp_path):
    run = run_engine("cmd:false {in} {out}", dataset, rels[:2], tmp_path)
    assert [o.error_class for o in run.outcomes] == ["CommandFailed", "CommandFailed"]
    assert run.outcomes[0].message == "false exited with status 1"
    assert_no_leftovers(run, tmp_path)


def test_two_workers_match_one(dataset, rels, tmp_path):
    one = run_engine("oracle", dataset, rels, tmp_path / "one", workers=1)
    two = run_engine("oracle", dataset, rels, tmp_path / "two", workers=2)
    assert [o.output_relpath for o in one.outcomes] == [o.output_relpath for o in two.outcomes]
    assert any(o.output_relpath != o.relpath for o in one.outcomes)  # renamed PHI file names
    for outcome in one.outcomes:
        assert outcome.ok
        rel = outcome.output_relpath
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()
    assert files_under(tmp_path / "one") == files_under(tmp_path / "two")


def test_built_engine_object_is_accepted(dataset, rels, tmp_path):
    engine = OracleEngine(black_image=True)
    run = run_engine(engine, dataset, rels[:2], tmp_path)
    assert run.spec == "oracle" and run.description["config"]["black_image"] is True
    assert all(o.ok for o in run.outcomes)


def test_empty_file_list(dataset, tmp_path):
    run = run_engine("null", dataset, [], tmp_path)
    assert run.outcomes == [] and run.startup_s == []


def test_timeout_kills_the_tool_process_too(dataset, rels, tmp_path):
    script = tmp_path / "slow_tool.py"
    pid_file = tmp_path / "tool.pid"
    script.write_text(f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n")
    run = run_engine(f"cmd:{sys.executable} {script} {{in}} {{out}}", dataset, rels[:1], tmp_path / "out",
                     timeout_s=1.0)
    assert run.outcomes[0].error_class == "Timeout"
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10  # killed at once; a loaded runner may take a moment to reap it
    while process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(pid)



@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the malloc settings are glibc's")
def test_workers_keep_freed_memory_as_the_deid_command_does(dataset, rels, tmp_path, monkeypatch):
    """Every engine's worker applies the malloc settings `phiphantom deid` gives its workers (what they do to
    page faults: tests/test_process_settings.py), before the engine starts: an in-process engine is timed
    as the command would run it."""
    from phiphantom.benchmark import runner

    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    marker = tmp_path / "applied"
    real = runner.keep_freed_memory

    def recorded() -> bool:
        applied = real()
        marker.write_text(f"{applied} {os.getpid()}")
        return applied

    monkeypatch.setattr(runner, "keep_freed_memory", recorded)
    spec, kwargs = misbehave()
    run = run_engine(spec, dataset, rels[:1], tmp_path / "out", engine_kwargs=kwargs)
    assert run.outcomes[0].ok
    applied, pid = marker.read_text().split()
    assert applied == "True" and int(pid) != os.getpid()  # in the worker, not in the supervisor
