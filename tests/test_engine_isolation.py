"""Issue 17 item 3: only the oracle sees the dataset's ``gt/``. A real ``python:`` plug-in engine (written to a
module file, built from its spec in bench's forked workers) looks for the ground truth through
``EngineContext.data_dir`` and through ``../gt`` next to its input files and input folder, and records what it
found: nothing, per file and per folder. The oracle, run in the same bench, still reads ``gt/`` and scores 1.0."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from phiphantom.benchmark.bench import run_bench
from phiphantom.benchmark.dataset import load_dataset
from phiphantom.benchmark.engines.base import EngineError
from phiphantom.benchmark.engines.registry import available_engines, build_engine, reads_in_place, sees_ground_truth
from phiphantom.synth import GenerateConfig, generate

SNOOP = '''
"""A plug-in engine that copies its input and looks for the ground truth on the way."""
import json
import shutil
from pathlib import Path


def _ground_truth_near(paths):
    """Every place reached from ``paths`` by ``gt`` or ``../gt`` (at each level up) that holds a gt table."""
    found = set()
    for start in paths:
        start = Path(start)
        candidates = [start / "gt", start / ".." / "gt"] + [up / "gt" for up in start.parents]
        for candidate in candidates:
            if (candidate / "boxes.csv").is_file() or (candidate / "tags.csv").is_file():
                found.add(str(candidate))
    return sorted(found)


class Snoop:
    name = "snoop"

    def __init__(self, log, per_folder="0"):
        self.log = Path(log)
        self.per_folder = per_folder == "1"

    def describe(self):
        return {"name": self.name}

    def _record(self, what, paths):
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"what": what, "paths": [str(p) for p in paths],
                                 "found": _ground_truth_near(paths)}) + "\\n")

    def start(self, context):
        self._record("start", [context.data_dir])

    def process_file(self, src, dst):
        self._record("file", [Path(src).parent, Path(src).parent.parent])
        shutil.copyfile(src, dst)

    def process_folder(self, src_dir, dst_dir):
        self._record("folder", [src_dir])
        for src in Path(src_dir).rglob("*.dcm"):
            out = Path(dst_dir) / src.relative_to(src_dir)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
'''


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """2 patients, 4 small files, generated once."""
    out = tmp_path_factory.mktemp("isolation") / "data"
    generate(GenerateConfig(out=out, patients=2, files_per_study=(2, 2), frames=(2, 3), cine_fraction=0.5,
                            jpeg_fraction=0.0, validate=False, workers=1, seed=5, progress=False))
    return out


@pytest.fixture
def snoop_module(tmp_path, monkeypatch) -> str:
    """The plug-in's module, importable by the forked workers (they inherit ``sys.path``)."""
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "gt_snoop.py").write_text(SNOOP, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    yield "gt_snoop"
    sys.modules.pop("gt_snoop", None)


def _records(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("per_folder", ["0", "1"])
def test_a_plugin_engine_finds_no_ground_truth_and_the_oracle_still_does(dataset, snoop_module, tmp_path,
                                                                         per_folder):
    assert (dataset / "gt" / "boxes.csv").is_file()  # the ground truth is there to be found
    log = tmp_path / "snoop.jsonl"
    spec = f"snoop=python:{snoop_module}:Snoop?log={log}&per_folder={per_folder}"
    results = run_bench(dataset, [spec, "oracle"], tmp_path / "results", workers=1, ocr=False, thumbnails=0)
    engines = {e["name"]: e["metrics"] for e in results["engines"]}
    assert engines["snoop"]["files_failed"] == 0
    records = _records(log)
    kinds = {r["what"] for r in records}
    assert kinds == {"start", "folder" if per_folder == "1" else "file"}
    assert len(records) == 2 if per_folder == "1" else len(records) == 1 + len(list((dataset / "dicom").rglob("*.dcm")))
    data = str(dataset.resolve())
    for record in records:
        assert record["found"] == [], record["what"]
        assert not any(p.startswith(data) for p in record["paths"]), record["what"]  # never a dataset path
    assert engines["oracle"]["files_failed"] == 0 and engines["oracle"]["box_recall"] == 1.0
    assert engines["oracle"]["leaks"] == 0


def test_only_the_oracle_reads_the_dataset_in_place_or_is_told_its_root():
    """Every built-in engine here (bundled too, where it is installed) but the oracle gets private copies."""
    names = available_engines()
    assert {"null", "header-basic", "oracle"} <= set(names)
    for name in names:
        engine = build_engine(name)
        assert sees_ground_truth(engine) == reads_in_place(engine) == (name == "oracle"), name


def test_a_results_folder_inside_the_dataset_is_refused(dataset, tmp_path):
    """From RESULTS/outputs/<engine>/... inside the dataset, ``../../../gt`` would be the dataset's own."""
    data = tmp_path / "data"
    shutil.copytree(dataset, data)
    with pytest.raises(EngineError, match="inside the dataset folder") as caught:
        run_bench(data, ["null"], data / "results", workers=1, ocr=False, thumbnails=0)
    assert str(data) not in str(caught.value)
    assert not list((data / "results" / "outputs").rglob("*.dcm"))  # no engine ran
    assert len(load_dataset(data).files) == len(load_dataset(dataset).files)  # the dataset is still usable
