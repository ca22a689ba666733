"""Mutation tests of the key loader's call contract (issue 17, docs/mutation.md): ``deid/keys.py``.

The full mutation run of ``deid/keys.py`` left one mutant that changes behaviour: ``load_key``'s bare ``*``
made ``/``. ``ephemeral`` and ``env`` are keyword-only, so a positional ``True`` can never be read as
"make a random key" by a caller that meant something else; ``key_file`` may be named. The rest of the
module is tested in ``tests/test_engine_mutants_header.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from phiphantom.deid.keys import load_key


def test_the_key_file_may_be_named_and_the_options_must_be(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("0f" * 16)
    assert load_key(key_file=key, env={}) == (bytes([15]) * 16, "file")
    with pytest.raises(TypeError):
        load_key(None, True)  # ephemeral is keyword-only
    with pytest.raises(TypeError):
        load_key(key, False, {})  # and so is env
