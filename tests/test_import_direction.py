"""Dependencies between the installed parts run one way (issue 13, docs/architecture.md).

``core`` imports none of the other parts; ``synth`` and ``deid`` import only ``core``; ``benchmark``
imports ``core`` and ``synth``, and ``deid`` only from ``benchmark/engines/`` (the engine registry and
the bundled engine's adapter); ``cli`` imports anything. Every ``import`` and ``from ... import`` of every
``.py`` file of every part is checked, including those inside functions, relative imports resolved,
and ``importlib.import_module("phiphantom....")`` calls with a literal name.

Two more rules are checked the same way: no private name (``_x``, not a dunder) crosses modules in the
package (``from module import _x``, and ``alias._x`` on a name imported from another phiphantom module),
and no test module imports another test module or ``conftest`` (``tests/helpers.py`` is the one module
test files share).
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


def _module_name(part: str, rel: Path, prefix: tuple[str, ...] = ("phiphantom",)) -> tuple[str, str]:
    """(module, package) of the file ``rel`` (relative to its part's folder)."""
    pieces = [*prefix, part, *rel.with_suffix("").parts]
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


# -- no private name crosses modules ---------------------------------------------------------------------------


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imported_from(node: ast.ImportFrom, package: str) -> str:
    """The absolute module ``node`` imports from (relative imports resolved against ``package``)."""
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def private_names_crossing(parts: dict[str, Path], prefix: tuple[str, ...] = ("phiphantom",)) -> list[str]:
    """``file:line: what`` for every private name one module of the package takes from another: a
    ``from M import _x``, a private module in an import (``import phiphantom.deid._m``), and ``alias._x``
    where ``alias`` was imported from another phiphantom module (``from phiphantom.deid import batch``).
    ``prefix=()`` checks a folder that is not installed (``tests``: its modules are ``tests.x``)."""
    problems = []
    for part, folder in sorted(parts.items()):
        for path in sorted(folder.rglob("*.py")):
            module, package = _module_name(part, path.relative_to(folder), prefix)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            aliases: dict[str, str] = {}  # local name -> where it came from
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    source = _imported_from(node, package)
                    if source.split(".")[0] not in ("phiphantom", part) or source == module:
                        continue
                    for alias in node.names:
                        if _private(alias.name) or any(_private(piece) for piece in source.split(".")):
                            problems.append(f"{path}:{node.lineno}: {module} imports {alias.name} from {source}")
                        aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if not alias.name.startswith("phiphantom."):
                            continue
                        if any(_private(piece) for piece in alias.name.split(".")):
                            problems.append(f"{path}:{node.lineno}: {module} imports {alias.name}")
                        if alias.asname:
                            aliases[alias.asname] = alias.name
                        else:
                            aliases["phiphantom"] = "phiphantom"
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                    continue
                chain, root = [node.attr], node.value
                while isinstance(root, ast.Attribute):
                    chain.insert(0, root.attr)
                    root = root.value
                if isinstance(root, ast.Name) and root.id in aliases:
                    used = ".".join([root.id, *chain])
                    problems.append(f"{path}:{node.lineno}: {module} uses {used} ({aliases[root.id]})")
    return problems


def test_no_private_name_crosses_modules():
    problems = private_names_crossing(installed_parts())
    assert not problems, ("private names used outside their module (make the name public, or move the code to "
                          "where it is used):\n" + "\n".join(problems))


def test_tests_use_no_private_package_name():
    """Tests call public names too: a unit worth testing on its own is public in its module."""
    problems = private_names_crossing({"tests": REPO / "tests"}, prefix=())
    assert not problems, "private names used by tests:\n" + "\n".join(problems)


def test_private_check_accepts_public_names_and_own_privates(tree):
    root, parts = tree
    _write(root, "deid/own.py", "import phiphantom.core.util as u\nfrom .run import run, __all__\n\n\n"
                                "def _mine():\n    return u.value, _mine.__name__, run.__doc__\n")
    assert private_names_crossing(parts) == []


@pytest.mark.parametrize(("rel", "text", "line", "what"), [
    ("deid/pixels/extent.py", "from .detect import TextBox, _same_phrase\n", 1,
     "imports _same_phrase from phiphantom.deid.pixels.detect"),
    ("synth/late.py", "def f():\n    from phiphantom.core.util import _helper\n", 2,
     "imports _helper from phiphantom.core.util"),
    ("benchmark/fuzz/worker.py", "from phiphantom.deid import batch\n\nx = batch._write_verified\n", 3,
     "uses batch._write_verified (phiphantom.deid.batch)"),
    ("cli/main.py", "import phiphantom.synth.cli as synth_cli\n\nsynth_cli._progress()\n", 3,
     "uses synth_cli._progress (phiphantom.synth.cli)"),
    ("core/ocr.py", "from ._backends import tesseract\n", 1, "imports tesseract from phiphantom.core._backends"),
    ("cli/run.py", "import phiphantom.deid.batch\n\nphiphantom.deid.batch._Plan()\n", 3,
     "uses phiphantom.deid.batch._Plan (phiphantom)"),
])
def test_private_check_reports_a_private_name(tree, rel, text, line, what):
    root, parts = tree
    _write(root, rel, text)
    problems = private_names_crossing(parts)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{root / rel}:{line}: ") and problems[0].endswith(what), problems


# -- test modules share only tests/helpers.py -------------------------------------------------------------------

#: The one module of tests/ that test files (and conftest) may import.
SHARED_TEST_MODULES = frozenset({"helpers"})


def imports_between_test_modules(tests_dir: Path) -> list[str]:
    """``file:line: what`` for every import of a module of ``tests_dir`` other than the shared helpers:
    another test module, ``conftest`` (relative, as ``tests.x``, or by bare name from pytest's rootdir)."""
    local = {p.stem for p in tests_dir.rglob("*.py")} | {"conftest"}
    problems = []
    for path in sorted(tests_dir.rglob("*.py")):
        package = ".".join(["tests", *path.relative_to(tests_dir).parent.parts])
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _imported_from(node, package)
                targets = [source] if node.module else [f"{source}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                pieces = target.split(".")
                if pieces[0] == "tests":
                    name = pieces[1] if len(pieces) > 1 else ""
                elif pieces[0] in local:
                    name = pieces[0]  # a bare name from pytest's rootdir on sys.path
                else:
                    continue
                if name and name not in SHARED_TEST_MODULES and name != path.stem:
                    problems.append(f"{path}:{node.lineno}: {path.stem} imports {target}")
    return problems


def test_test_modules_share_only_helpers():
    problems = imports_between_test_modules(REPO / "tests")
    assert not problems, ("test modules importing other test modules or conftest (move what they share to "
                          "tests/helpers.py):\n" + "\n".join(problems))


@pytest.fixture
def tests_tree(tmp_path):
    """A tests folder whose imports are all allowed."""
    for rel in ("__init__.py", "helpers.py", "bench/__init__.py"):
        _write(tmp_path, rel, "")
    _write(tmp_path, "conftest.py", "import pytest\n\nfrom .helpers import small_config\n")
    _write(tmp_path, "test_a.py", "from phiphantom.synth import generate\n\nfrom .helpers import read_csv\n")
    _write(tmp_path, "bench/test_b.py", "from ..helpers import read_csv\nfrom tests.helpers import save\n")
    return tmp_path


def test_test_module_check_accepts_helpers(tests_tree):
    assert imports_between_test_modules(tests_tree) == []


@pytest.mark.parametrize(("rel", "text", "line", "what"), [
    ("test_c.py", "from .conftest import read_csv\n", 1, "imports tests.conftest"),
    ("test_c.py", "from .test_a import assert_ink\n", 1, "imports tests.test_a"),
    ("bench/test_c.py", "def f():\n    from ..test_a import x\n", 2, "imports tests.test_a"),
    ("test_c.py", "from tests.test_a import x\n", 1, "imports tests.test_a"),
    ("test_c.py", "from . import test_a\n", 1, "imports tests.test_a"),
    ("test_c.py", "import conftest\n", 1, "imports conftest"),
    ("test_c.py", "from test_a import x\n", 1, "imports test_a"),
    ("test_c.py", "from .corpus import build\n", 1, "imports tests.corpus"),  # a second shared module
    ("helpers.py", "from .conftest import x\n", 1, "imports tests.conftest"),
])
def test_test_module_check_reports_an_import(tests_tree, rel, text, line, what):
    _write(tests_tree, rel, text)
    problems = imports_between_test_modules(tests_tree)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{tests_tree / rel}:{line}: ") and problems[0].endswith(what), problems
