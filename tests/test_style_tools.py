"""Style kept by tools (issue 13 item 7): ruff (lint + import order) and mypy (types) on the package.

They run as tests so that the README's one test command, and so `.ci/run`, fails on any finding;
their configuration is in pyproject.toml ([tool.ruff], [tool.mypy]; docs/architecture.md#style).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF_PATHS = ["core", "synth", "deid", "benchmark", "cli", "tests"]


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", "--no-cache", *RUFF_PATHS)
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_mypy_finds_nothing():
    result = _run("mypy")
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"
    assert "Success: no issues found" in result.stdout


def test_the_configured_checks_do_report_findings(tmp_path):
    """The same configuration flags unsorted imports, an unused import and a type error in a new module."""
    bad = tmp_path / "bad_module.py"
    bad.write_text("import sys\nimport os\n\n\ndef f(x: int) -> str:\n    return x\n", encoding="utf-8")
    ruff = _run("ruff", "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert ruff.returncode == 1 and "I001" in ruff.stdout and "F401" in ruff.stdout
    mypy = _run("mypy", "--no-incremental", "--config-file", str(ROOT / "pyproject.toml"), str(bad), cwd=tmp_path)
    assert mypy.returncode == 1 and "Incompatible return value type" in mypy.stdout
