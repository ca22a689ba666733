"""Keep a seeded random sample of a cosmic-ray session's pending mutants; mark the rest skipped.

First, mutants inside a type annotation are skipped when the module has ``from __future__ import
annotations``: such annotations are never evaluated, so those mutants are equivalent by construction
(``np.ndarray | None`` -> ``np.ndarray + None``). Then the mutants outside FUNCTIONS (below) when named,
and the mutants listed in ``.ci/mutation-equivalent`` (argued equivalent in docs/mutation.md; keys and
format in ``.ci/mutation_select.py`` and at the top of that file), so no sample draws one. Only the
rest are sampled and counted.

Run with the mutation tool's own interpreter (build/mutation/venv, where cosmic-ray is installed):
``python .ci/mutation_sample.py SESSION.sqlite COUNT SEED [FUNCTIONS]``. COUNT 0 keeps every mutant;
FUNCTIONS (comma-separated top-level function names, or ``Class.method`` for a method of a top-level
class) keeps only the mutants inside those functions.
Same session, count and seed => the same mutants (job ids are sorted before sampling).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult
from mutation_select import LIST_FILE, Mutant, listed, read_list, sample  # .ci/mutation_select.py, beside this file


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) (line, column) of every annotation, when the module postpones their evaluation."""
    tree = ast.parse(source)
    if not any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
               and any(a.name == "annotations" for a in n.names) for n in tree.body):
        return []
    nodes: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            nodes.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            nodes.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            nodes.append(node.annotation)
    return [((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in nodes]


def skip_annotations(db: object) -> int:
    """Mark the mutants inside postponed annotations skipped; how many."""
    skipped = []
    spans: dict[Path, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    for item in db.pending_work_items:  # type: ignore[attr-defined]
        for m in item.mutations:
            if m.module_path not in spans:
                spans[m.module_path] = annotation_spans(Path(m.module_path).read_text(encoding="utf-8"))
            if any(a <= tuple(m.start_pos) and tuple(m.end_pos) <= b for a, b in spans[m.module_path]):
                skipped.append(item.job_id)
                break
    if skipped:
        db.set_multiple_results(skipped, WorkResult(  # type: ignore[attr-defined]
            output="in a postponed annotation: equivalent", worker_outcome=WorkerOutcome.SKIPPED))
    return len(skipped)


def function_spans(tree: ast.Module, functions: set[str]) -> list[tuple[int, int]]:
    """(first, last) line of each named top-level function, or method named ``Class.method``."""
    spans = []
    for node in tree.body:
        named = [(node.name, node)] if isinstance(node, ast.FunctionDef) else []
        if isinstance(node, ast.ClassDef):
            named = [(f"{node.name}.{n.name}", n) for n in node.body if isinstance(n, ast.FunctionDef)]
        spans += [(n.lineno, n.end_lineno or n.lineno) for name, n in named if name in functions]
    return spans


def skip_outside(db: object, functions: set[str]) -> int:
    """Mark the mutants outside the named top-level functions (or ``Class.method``) skipped; how many."""
    skipped = []
    spans: dict[Path, list[tuple[int, int]]] = {}
    for item in db.pending_work_items:  # type: ignore[attr-defined]
        m = item.mutations[0]
        if m.module_path not in spans:
            tree = ast.parse(Path(m.module_path).read_text(encoding="utf-8"))
            spans[m.module_path] = function_spans(tree, functions)
        if not any(a <= m.start_pos[0] <= b for a, b in spans[m.module_path]):
            skipped.append(item.job_id)
    if skipped:
        db.set_multiple_results(skipped, WorkResult(  # type: ignore[attr-defined]
            output="outside the target functions", worker_outcome=WorkerOutcome.SKIPPED))
    return len(skipped)


def skip_equivalent(db: object, path: Path = LIST_FILE) -> int:
    """Mark the mutants listed in the skip list (.ci/mutation-equivalent) skipped; how many. Stale entries: stderr."""
    mutants = [Mutant(w.job_id, m.module_path.as_posix(), m.operator_name, m.occurrence, m.start_pos[0])
               for w in db.work_items for m in w.mutations[:1]]  # type: ignore[attr-defined]
    found, stale = listed(mutants, read_list(path), lambda module: Path(module).read_text(encoding="utf-8"))
    for entry in stale:
        print(f"{path.name} line {entry.line}: no mutant of {entry.module} matches (its line changed? argue it again)",
              file=sys.stderr)
    pending = {w.job_id for w in db.pending_work_items}  # type: ignore[attr-defined]
    skipped = [job_id for job_id in found if job_id in pending]
    if skipped:
        db.set_multiple_results(skipped, WorkResult(  # type: ignore[attr-defined]
            output="listed equivalent (.ci/mutation-equivalent)", worker_outcome=WorkerOutcome.SKIPPED))
    return len(skipped)


def main(session: str, count: int, seed: int, functions: str = "") -> int:
    with use_db(session) as db:
        skip_annotations(db)
        if functions:
            skip_outside(db, set(functions.split(",")))
        skip_equivalent(db)
        # Order by position in the file, not by job id (a fresh uuid per init): same sample on every run.
        items = sorted(db.pending_work_items, key=lambda w: [(m.operator_name, m.occurrence) for m in w.mutations])
        keep = set(sample([w.job_id for w in items], count, seed))
        skip = [w.job_id for w in items if w.job_id not in keep]
        if skip:
            db.set_multiple_results(skip, WorkResult(output="not in the sample", worker_outcome=WorkerOutcome.SKIPPED))
        return len(keep)


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:5]))
