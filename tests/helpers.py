"""Helpers more than one test file uses (real processes, the real command; no mocks)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

from typer.testing import CliRunner

from phiphantom.cli.main import app

REPO_ROOT = Path(__file__).resolve().parents[1]
PROFILE_REGENERATOR = REPO_ROOT / ".ci" / "regenerate_profile.py"


def process_running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (a killed orphan may wait for a reaper)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X")


def deid_header_only(src: Path, out: Path, *extra: str) -> tuple[Path | None, dict, list[str]]:
    """Run ``phiphantom deid`` (header only, an ephemeral key, one worker) on one file; (the output file or
    None, the audit record, errors.csv rows)."""
    result = CliRunner().invoke(app, ["deid", str(src), str(out), "--ephemeral-key", "--header-only",
                                      "--workers", "1", *extra], env={"PHIPHANTOM_DEID_KEY": ""})
    assert result.exit_code in (0, 1), result.output
    outputs = [p for p in out.rglob("*.dcm") if not p.name.startswith(".")]
    audit = [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines() if line.strip()]
    errors = (out / "errors.csv").read_text().splitlines()[1:]
    assert len(audit) == 1
    return (outputs[0] if outputs else None), audit[0], errors


def load_profile_regenerator() -> ModuleType:
    """The build-time tool ``.ci/regenerate_profile.py`` (not part of the installed package), loaded by path."""
    name = "regenerate_profile"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROFILE_REGENERATOR)
    assert spec is not None and spec.loader is not None, PROFILE_REGENERATOR
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look their module up in sys.modules
    spec.loader.exec_module(module)
    return module
