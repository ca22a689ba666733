"""The skip list of known-equivalent mutants (.ci/mutation-equivalent), read before a mutation sample is drawn.

.ci/mutation_select.py holds the selection (no cosmic-ray import); the mutants here are what cosmic-ray
makes of real source lines: its operator names, its occurrences in source order, its 1-based start lines.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    """A fresh instance of .ci/mutation_select.py (it reads MUTATION_EQUIVALENT when loaded)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / "mutation_select.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


select = _load("mutation_select")

LT_NE = "core/ReplaceComparisonOperator_Lt_NotEq"
SUB_ADD = "core/ReplaceBinaryOperator_Sub_Add"
SOURCE = """def ring(frames, x, y, w, h, width, height):
    parts = []
    if y + h < height:
        parts.append(y + h)
    if x + w < width:
        parts.append((x + w - 1) | (w - 2))
    return parts
"""
LISTED = """# a comment; the text of a line may hold " | ", the reason may not
m.py | core/ReplaceComparisonOperator_Lt_NotEq | if x + w < width: | a box lies inside the frame
m.py | core/ReplaceBinaryOperator_Sub_Add#1 | parts.append((x + w - 1) | (w - 2)) | the second minus only
"""


def _mutants(shift: int = 0) -> list:
    """The mutants cosmic-ray makes of SOURCE for two operators (line numbers moved down by ``shift``)."""
    M = select.Mutant
    return [M("lt-y", "m.py", LT_NE, 0, 3 + shift), M("lt-x", "m.py", LT_NE, 1, 5 + shift),
            M("sub-0", "m.py", SUB_ADD, 0, 6 + shift), M("sub-1", "m.py", SUB_ADD, 1, 6 + shift)]


def _kept(mutants: list, source: str, count: int, seed: int) -> list[str]:
    found, _ = select.listed(mutants, select.parse_list(LISTED), lambda _: source)
    return select.sample([m.job_id for m in mutants if m.job_id not in found], count, seed)


def test_a_listed_mutant_is_never_sampled_and_an_unlisted_one_still_is():
    found, stale = select.listed(_mutants(), select.parse_list(LISTED), lambda _: SOURCE)
    assert set(found) == {"lt-x", "sub-1"} and stale == []
    assert found["lt-x"].reason == "a box lies inside the frame"
    for seed in range(40):  # every sample of 1 of the 2 left draws an unlisted one, never a listed one
        assert _kept(_mutants(), SOURCE, 1, seed)[0] in {"lt-y", "sub-0"}
    assert sorted(_kept(_mutants(), SOURCE, 0, 17)) == ["lt-y", "sub-0"]


def test_the_key_survives_code_moving_but_not_its_own_line_changing():
    moved = "import numpy\n\n\n" + SOURCE  # three lines above: the same mutants, three lines down
    assert sorted(_kept(_mutants(3), moved, 0, 17)) == ["lt-y", "sub-0"]
    changed = SOURCE.replace("if x + w < width:", "if x + w < width - 0:")
    found, stale = select.listed(_mutants(), select.parse_list(LISTED), lambda _: changed)
    assert set(found) == {"sub-1"} and [e.text for e in stale] == ["if x + w < width:"]


def test_the_sample_is_the_one_drawn_before_the_skip_list_when_nothing_is_listed():
    ids = [f"job{i}" for i in range(30)]
    import random

    assert select.sample(ids, 7, 17) == random.Random(17).sample(ids, 7)  # what .ci/mutation_sample.py drew
    assert select.sample(ids, 0, 17) == ids and select.sample(ids, 31, 17) == ids


@pytest.mark.parametrize("line", [
    "m.py | core/ReplaceBreakWithContinue | break",                 # no reason
    "m.py | ReplaceBreakWithContinue | break | a reason",           # not a cosmic-ray operator name
    "m.py | core/ReplaceBreakWithContinue#x | break | a reason",    # #k not a number
    "m | core/ReplaceBreakWithContinue | break | a reason",         # not a module path
])
def test_a_malformed_line_is_refused(line):
    with pytest.raises(ValueError, match="mutation-equivalent line 1"):
        select.parse_list(line)


def test_every_entry_of_the_shipped_list_names_a_line_that_exists_and_is_argued():
    entries = select.read_list()
    assert len(entries) >= 5  # the equivalent mutants of docs/mutation.md
    doc = (ROOT / "docs" / "mutation.md").read_text(encoding="utf-8")
    for entry in entries:
        lines = [line.strip() for line in (ROOT / entry.module).read_text(encoding="utf-8").splitlines()]
        assert entry.text in lines, f"{entry.module}: the line of list entry {entry.line} changed: argue it again"
        assert f"`{entry.module}`" in doc, f"{entry.module} has no section in docs/mutation.md"


def test_mutation_equivalent_names_another_list_or_none(monkeypatch, tmp_path):
    listed = tmp_path / "list"
    listed.write_text(LISTED, encoding="utf-8")
    monkeypatch.setenv("MUTATION_EQUIVALENT", str(listed))
    other = _load("mutation_select_other")
    assert [e.text for e in other.read_list()] == ["if x + w < width:", "parts.append((x + w - 1) | (w - 2))"]
    monkeypatch.setenv("MUTATION_EQUIVALENT", "/dev/null")  # none: a sample drawn as before the list
    assert _load("mutation_select_none").read_list() == []
    for name in ("mutation_select_other", "mutation_select_none"):
        sys.modules.pop(name, None)
