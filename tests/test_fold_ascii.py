"""The ASCII short way of the two lookup folds equals their full way (decompose, drop combining marks,
upper-case; names also map a few letters and quotes): one "é" appended sends the same text down the full
way, where it folds to one more "E"."""

from __future__ import annotations

import random

import pytest

from phiphantom.deid.pixels import clinical_terms, name_lists


def _samples() -> list[str]:
    rng = random.Random(7)
    ascii_text = [chr(i) for i in range(128)]
    texts = ascii_text + ["Gain 54 dB", "O`Neil", "d'Arcy-Smith", "Profondita", ""]
    texts += ["".join(rng.choice(ascii_text) for _ in range(rng.randint(1, 14))) for _ in range(3000)]
    return texts


@pytest.mark.parametrize("fold", [clinical_terms.fold, name_lists.fold])
def test_ascii_folds_equal_the_full_way(fold) -> None:
    for text in _samples():
        assert fold(text + "é") == fold(text) + "E", repr(text)


@pytest.mark.parametrize(("fold", "text", "folded"), [
    (clinical_terms.fold, "Profondità", "PROFONDITA"), (clinical_terms.fold, "Œdème", "OEDEME"),
    (name_lists.fold, "Łukasz", "LUKASZ"), (name_lists.fold, "O`Brien", "O'BRIEN"),
    (name_lists.fold, "Straße", "STRASSE"),
])
def test_folds(fold, text: str, folded: str) -> None:
    assert fold(text) == folded
