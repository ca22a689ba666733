""".ci/mutation empties $MUTATION_WORK/tree before each run: it must refuse a folder it did not make."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "mutation"


def test_a_tree_folder_the_script_did_not_make_is_kept(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "mine.txt").write_text("a user's file")
    # MUTATION_VENV points at a folder without the tool: the refusal must come before any install
    env = {**os.environ, "MUTATION_WORK": str(tmp_path), "MUTATION_VENV": str(tmp_path / "no-venv")}
    run = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert "was not made by .ci/mutation" in run.stderr
    assert (tree / "mine.txt").read_text() == "a user's file"
    assert not (tmp_path / "no-venv").exists()
