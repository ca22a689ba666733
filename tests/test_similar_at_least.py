"""core.ocr.similar_at_least: the same answer as similarity(a, b) >= threshold, on every pair tried."""

from __future__ import annotations

import random

import pytest

from phiphantom.benchmark.scorer_ocr import edit_distance as textbook_distance  # the scorer's own table
from phiphantom.core.ocr import edit_distance, similar_at_least, similarity


def _pairs(seed: int, count: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    alphabet = "ABCDEOQ0815SLI"  # few letters, OCR-confusable: many pairs are near each other
    pairs = []
    for _ in range(count):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        b = list(a)
        for _ in range(rng.randint(0, 4)):  # a few edits of a: substitutions, insertions, deletions
            op, at = rng.randint(0, 2), rng.randint(0, len(b))
            if op == 0 and at < len(b):
                b[at] = rng.choice(alphabet)
            elif op == 1:
                b.insert(at, rng.choice(alphabet))
            elif b:
                del b[min(at, len(b) - 1)]
        pairs.append((a, "".join(b)))
        pairs.append((a, "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))))
    return pairs


@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.6, 0.75, 0.8, 0.9, 1.0])
def test_it_agrees_with_similarity_on_near_and_random_pairs(threshold):
    pairs = _pairs(int(threshold * 100), 3000)
    answers = [(similarity(a, b) >= threshold, similar_at_least(a, b, threshold)) for a, b in pairs]
    assert all(want == got for want, got in answers)
    assert 0 < sum(want for want, _ in answers) < len(answers) or threshold in (0.0, 1.0)


def test_the_boundary_is_the_one_similarity_draws():
    # 10 characters, 2 edits: similarity exactly 0.8 (in floating point, 1 - 2/10 >= 0.8)
    assert similarity("NOWAKOWSKA", "NOWAKOWSXY") >= 0.8 and similar_at_least("NOWAKOWSKA", "NOWAKOWSXY", 0.8)
    assert not similar_at_least("NOWAKOWSKA", "NOWAKOWXYZ", 0.8)  # 3 edits
    assert similar_at_least("", "", 0.8) and not similar_at_least("", "A", 0.8) and similar_at_least("", "A", 0.0)


def test_edit_distance_is_the_textbook_table_at_every_length():
    pairs = _pairs(7, 3000) + [("A" * 70, "A" * 69 + "B"), ("AB" * 40, "BA" * 40), ("", "ABC"), ("ABC", ""),
                               ("KITTEN", "SITTING"), ("Ł" * 3, "ŁÓ"), ("x" * 65, "")]
    for a, b in pairs:
        want = textbook_distance(a, b)
        assert edit_distance(a, b) == want == edit_distance(b, a), (a, b)
        for limit in (0, 1, 2, 5):
            assert edit_distance(a, b, limit=limit) == min(want, limit + 1), (a, b, limit)
