"""Which of a cosmic-ray session's mutants run: the listed equivalent ones out, then a seeded sample.

The skip list (``.ci/mutation-equivalent``, its format documented at its top) names mutants argued
equivalent in docs/mutation.md. A mutant is keyed by its module path, its operator, the stripped
text of the source line it starts on and its index among that operator's mutants on that line (in
source order): no line number, so a listed mutant stays listed when code above it moves, and stops
matching when its own line changes (then it must be argued again). An entry that matches nothing in
a session of its module is reported as stale.

Pure Python, no cosmic-ray import: ``.ci/mutation_sample.py`` (run by the tool's interpreter) feeds it
the session's mutants, and the project's tests (tests/test_mutation_skip_list.py) exercise it directly.
"""

from __future__ import annotations

import os
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = " | "
#: The skip list; MUTATION_EQUIVALENT names another (``/dev/null``: none, to redraw a sample drawn before an entry).
LIST_FILE = Path(os.environ.get("MUTATION_EQUIVALENT") or Path(__file__).resolve().parent / "mutation-equivalent")


@dataclass(frozen=True)
class Entry:
    """One line of the skip list; ``index`` None matches every mutant of the operator on that line."""

    module: str
    operator: str
    index: int | None
    text: str
    reason: str
    line: int  # in the list file, for messages


@dataclass(frozen=True)
class Mutant:
    """What the key needs of one mutant: cosmic-ray's module path, operator name, occurrence, start line."""

    job_id: str
    module: str
    operator: str
    occurrence: int
    line: int  # 1-based, as cosmic-ray's start_pos


def parse_list(text: str) -> list[Entry]:
    """The entries of a skip list (``module | operator[#k] | line text | reason``; ``#`` lines are comments)."""
    entries = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split(SEPARATOR, 2)
        if len(parts) < 3 or SEPARATOR not in parts[2]:
            raise ValueError(f"mutation-equivalent line {n}: want 'module | operator[#k] | line text | reason'")
        source, reason = parts[2].rsplit(SEPARATOR, 1)
        operator, hash_sign, index = parts[1].strip().partition("#")
        if not operator.startswith("core/") or (hash_sign and not index.isdigit()):
            raise ValueError(f"mutation-equivalent line {n}: the operator is core/<Name> or core/<Name>#<k>")
        if not parts[0].strip().endswith(".py") or not source.strip() or not reason.strip():
            raise ValueError(f"mutation-equivalent line {n}: a module path, the line's text and a reason are needed")
        entries.append(Entry(parts[0].strip(), operator, int(index) if hash_sign else None, source.strip(),
                             reason.strip(), n))
    return entries


def read_list(path: Path = LIST_FILE) -> list[Entry]:
    """The entries of the skip list at ``path`` (none when there is no such file)."""
    return parse_list(path.read_text(encoding="utf-8")) if path.is_file() else []


def mutant_keys(mutants: Iterable[Mutant], source_of: Callable[[str], str]) -> dict[str, tuple[str, str, str, int]]:
    """job id -> (module, operator, stripped text of the start line, index of the mutant on that line).

    Give it every mutant of the session (skipped ones too), so that an index never depends on what
    was skipped before.
    """
    groups: dict[tuple[str, str, int], list[Mutant]] = defaultdict(list)
    for m in mutants:
        groups[(m.module, m.operator, m.line)].append(m)
    lines: dict[str, list[str]] = {}
    keys = {}
    for (module, operator, line), group in groups.items():
        if module not in lines:
            lines[module] = source_of(module).splitlines()
        text = lines[module][line - 1].strip() if 0 < line <= len(lines[module]) else ""
        for index, m in enumerate(sorted(group, key=lambda m: m.occurrence)):
            keys[m.job_id] = (module, operator, text, index)
    return keys


def listed(mutants: Sequence[Mutant], entries: Sequence[Entry],
           source_of: Callable[[str], str]) -> tuple[dict[str, Entry], list[Entry]]:
    """The listed mutants (job id -> its entry) and the stale entries (of a module in ``mutants``, matching none)."""
    keys = mutant_keys(mutants, source_of)
    found: dict[str, Entry] = {}
    used: set[int] = set()
    for job_id, (module, operator, text, index) in keys.items():
        for entry in entries:
            if (entry.module, entry.operator, entry.text) == (module, operator, text) and entry.index in (None, index):
                found[job_id] = entry
                used.add(entry.line)
                break
    modules = {m.module for m in mutants}
    stale = [e for e in entries if e.module in modules and e.line not in used]
    return found, stale


def sample(job_ids: Sequence[str], count: int, seed: int) -> list[str]:
    """The seeded sample of ``job_ids`` (already in a stable order) to run; all of them when ``count`` is 0."""
    if count <= 0 or count >= len(job_ids):
        return list(job_ids)
    return random.Random(seed).sample(list(job_ids), count)
