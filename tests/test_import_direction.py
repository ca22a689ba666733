"""Dependencies between the installed parts run one way (issue 13, docs/architecture.md).

``core`` imports none of the other parts; ``synth`` and ``deid`` import only ``core``; ``benchmark``
imports ``core`` and ``synth``, and ``deid`` only from ``benchmark/engines/`` (the engine registry and
the bundled engine's adapter); ``cli`` imports anything. Every ``import`` and ``from ... import`` of every
``.py`` file of every part is checked, including those inside functions, relative imports resolved,
and ``importlib.import_module("phiphantom....")`` calls with a literal name.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: What each part may import besides itself.
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "synth": frozenset({"core"}),
    "deid": frozenset({"core"}),
    "benchmark": frozenset({"core", "synth"}),
    "cli": frozenset({"core", "synth", "deid", "benchmark"}),
}
#: Folders of a part (relative to the part) allowed more: the benchmark's engine registry and adapters.
EXTRA: dict[tuple[str, str], frozenset[str]] = {("benchmark", "engines"): frozenset({"deid"})}


def installed_parts(pyproject: Path = REPO / "pyproject.toml") -> dict[str, Path]:
    """``{part: folder}`` for every ``phiphantom.<part>`` in pyproject's ``package-dir``."""
    package_dir = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-dir"]
    return {name.split(".", 1)[1]: pyproject.parent / folder for name, folder in package_dir.items()}


def _module_name(part: str, rel: Path) -> tuple[str, str]:
    """(module, package) of the file ``rel`` (relative to its part's folder)."""
    pieces = ["phiphantom", part, *rel.with_suffix("").parts]
    if pieces[-1] == "__init__":
        pieces.pop()
        return ".".join(pieces), ".".join(pieces)
    return ".".join(pieces), ".".join(pieces[:-1])


def _targets(node: ast.AST, package: str) -> list[str]:
    """Absolute names of the modules ``node`` imports ([] when it is no import)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        if module == "phiphantom":  # from phiphantom import deid
            return [f"phiphantom.{alias.name}" for alias in node.names]
        return [module]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return [node.args[0].value]
    return []


def forbidden_imports(parts: dict[str, Path]) -> list[str]:
    """``file:line: what`` for every import against the allowed direction, in the parts' folders."""
    problems = []
    for part, folder in sorted(parts.items()):
        if part not in ALLOWED:
            problems.append(f"{folder}: part {part!r} has no rule in ALLOWED (add one)")
            continue
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder)
            module, package = _module_name(part, rel)
            allowed = ALLOWED[part]
            if len(rel.parts) > 1:
                allowed = allowed | EXTRA.get((part, rel.parts[0]), frozenset())
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                for target in _targets(node, package):
                    pieces = target.split(".")
                    if pieces[0] != "phiphantom" or len(pieces) < 2 or pieces[1] == part:
                        continue
                    if pieces[1] not in allowed:
                        problems.append(f"{path}:{node.lineno}: {module} imports {target} ({part} -> {pieces[1]})")
    return problems


def test_parts_import_in_one_direction():
    parts = installed_parts()
    assert set(parts) == set(ALLOWED), f"installed parts {sorted(parts)} differ from the rules {sorted(ALLOWED)}"
    problems = forbidden_imports(parts)
    assert not problems, ("imports against the direction (core imports no part; synth and deid import core; benchmark "
                          "imports core, synth, and deid only from benchmark/engines/; cli imports any):\n"
                          + "\n".join(problems))


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def tree(tmp_path):
    """A small tree of all five parts whose imports are all allowed."""
    for part in ALLOWED:
        _write(tmp_path, f"{part}/__init__.py", "")
    _write(tmp_path, "core/util.py", "import os\nfrom . import vocabulary\n")
    _write(tmp_path, "synth/gen.py", "from phiphantom.core import util\nfrom ..core.util import x\n")
    _write(tmp_path, "deid/run.py", "from phiphantom.core.util import x\n")
    _write(tmp_path, "benchmark/score.py", "from phiphantom.synth import gen\n")
    _write(tmp_path, "benchmark/engines/bundled.py", "from phiphantom.deid.run import run\n")
    _write(tmp_path, "cli/main.py", "from phiphantom.deid import run\nfrom phiphantom.benchmark import score\n")
    return tmp_path, {part: tmp_path / part for part in ALLOWED}


def test_checker_accepts_allowed_imports(tree):
    _, parts = tree
    assert forbidden_imports(parts) == []


@pytest.mark.parametrize(("rel", "text", "line", "direction"), [
    # inside a function, absolute
    ("deid/late.py", "import os\n\n\ndef f():\n    from phiphantom.synth.cli import x\n", 5, "deid -> synth"),
    # relative, resolved past the part
    ("deid/pixels/find.py", "from ...benchmark.engines import base\n", 1, "deid -> benchmark"),
    # core imports nobody
    ("core/ocr.py", "import phiphantom.deid.ocr\n", 1, "core -> deid"),
    # synth must not import deid (the profile table lives in core)
    ("synth/tags.py", "from phiphantom import deid\n", 1, "synth -> deid"),
    # benchmark imports deid only from engines/
    ("benchmark/runner.py", "def g():\n    from phiphantom.deid import batch\n", 2, "benchmark -> deid"),
    ("benchmark/fuzz/worker.py", "from ...deid.batch import run\n", 1, "benchmark -> deid"),
    # a literal importlib.import_module
    ("synth/lazy.py", "import importlib\nm = importlib.import_module('phiphantom.benchmark.runner')\n", 2,
     "synth -> benchmark"),
])
def test_checker_reports_a_forbidden_import(tree, rel, text, line, direction):
    root, parts = tree
    _write(root, rel, text)
    problems = forbidden_imports(parts)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{root / rel}:{line}: ") and problems[0].endswith(f"({direction})"), problems


def test_checker_names_a_part_without_rule(tree):
    root, parts = tree
    _write(root, "extra/__init__.py", "")
    problems = forbidden_imports({**parts, "extra": root / "extra"})
    assert problems == [f"{root / 'extra'}: part 'extra' has no rule in ALLOWED (add one)"]
