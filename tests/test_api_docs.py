"""docs/api.md's examples run as written: every ```python block, in order, in one namespace, in a folder
holding ``in.dcm`` (a generated file) and ``deid.key`` (a hex key), as the page says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pydicom
import pytest

from phiphantom.deid import Deidentifier, encode
from phiphantom.synth import GenerateConfig, generate

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"
KEY_HEX = "3c" * 32


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_page_has_the_one_call_examples():
    blocks = python_blocks(API_MD.read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    code = "\n".join(blocks)
    for needed in ("deidentify(", "Deidentifier(", "engine.run(", ".actions", ".boxes", "save(", "deid_batch(",
                   "run_bench(", "generate("):
        assert needed in code, needed


def test_the_examples_run(tmp_path, monkeypatch, capsys):
    source = tmp_path / "source"
    generate(GenerateConfig(out=source, patients=1, files_per_study=(1, 1), frames=(2, 2), sizes=((320, 240),),
                            seed=3, workers=1, validate=False, progress=False))
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(next((source / "dicom").rglob("*.dcm")), work / "in.dcm")
    (work / "deid.key").write_text(KEY_HEX + "\n")
    monkeypatch.chdir(work)
    namespace: dict = {"__name__": "docs_api_example"}
    for number, block in enumerate(python_blocks(API_MD.read_text(encoding="utf-8")), 1):
        try:
            exec(compile(block, f"docs/api.md block {number}", "exec"), namespace)  # noqa: S102 - the docs' own code
        except Exception as exc:  # pragma: no cover - the failure message names the block
            pytest.fail(f"docs/api.md python block {number} failed: {type(exc).__name__}: {exc}")
    printed = capsys.readouterr().out
    assert "oracle" in printed and "header-basic" in printed
    expected = encode(Deidentifier(key=bytes.fromhex(KEY_HEX)).run(pydicom.dcmread("in.dcm")).dataset)
    assert Path("out.dcm").read_bytes() == Path("out2.dcm").read_bytes() == expected
    assert namespace["summary"].ok == len(list(Path("data/dicom").rglob("*.dcm"))) and namespace["summary"].failed == 0
    assert (work / "results" / "results.json").is_file()
