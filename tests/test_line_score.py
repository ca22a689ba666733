"""The combined line score: PHI evidence wins unless clinical evidence sits on the same characters."""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.evidence import Evidence, covered
from phiphantom.deid.pixels.line_score import THRESHOLDS, UNEXPLAINED_WEIGHT, score_line, threshold_for


def test_a_date_beside_parameters_is_not_weakened():
    text = "Gain 52 12.03.1961"
    ev = [Evidence("parameter", -1.0, 0, 7), Evidence("date", 1.0, 8, 18)]
    s = score_line(text, ev)
    assert s.score == pytest.approx(1.0)
    assert s.top is not None and s.top.kind == "date"


def test_clinical_evidence_on_the_same_characters_outweighs_a_weak_name():
    text = "Long"
    s = score_line(text, [Evidence("name", 0.3, 0, 4), Evidence("anatomy", -0.8, 0, 4)])
    assert s.top is None
    assert s.score < THRESHOLDS["strict"]


def test_unexplained_text_is_removed_by_strict_only():
    s = score_line("Xqzv Wrtl", [])
    assert s.unexplained == 1.0
    assert s.score == pytest.approx(UNEXPLAINED_WEIGHT)
    assert THRESHOLDS["strict"] <= s.score < THRESHOLDS["balanced"]


def test_a_fully_clinical_line_scores_below_zero_and_partly_unexplained_is_in_between():
    text = "DR 60 dB Xyzzy"
    clinical = [Evidence("parameter", -1.0, 0, 8)]
    full = score_line("DR 60 dB", clinical)
    part = score_line(text, clinical)
    assert full.score < 0 <= THRESHOLDS["strict"]
    assert full.score < part.score
    assert part.unexplained == pytest.approx(5 / 11)  # 11 letters and digits, "Xyzzy" unexplained
    assert part.score >= THRESHOLDS["strict"]


def test_thresholds_and_covered():
    assert threshold_for("strict") < threshold_for("balanced")
    assert threshold_for("balanced", 0.2) == 0.2
    with pytest.raises(ValueError):
        threshold_for("balanced", 1.5)
    with pytest.raises(ValueError):
        threshold_for("lenient")
    with pytest.raises(ValueError):
        Evidence("date", 1.5, 0, 1)
    assert covered("ab cd", [Evidence("word", -0.5, 0, 2)]) == pytest.approx(0.5)


def test_a_header_value_is_not_discounted_by_clinical_wording():
    s = score_line("Long", [Evidence("header", 1.0, 0, 4, "PatientName"), Evidence("anatomy", -0.8, 0, 4)])
    assert s.score == pytest.approx(1.0) and s.phi == pytest.approx(1.0)


def test_thresholds_at_or_below_zero_keep_lines_scored_below_them():
    """A complete read is no evidence at any threshold (a threshold of 0 once removed every kept line)."""
    from phiphantom.deid.pixels.classify import Classifier, HeaderValues

    for cut in (-0.3, 0.0):
        classifier = Classifier(HeaderValues(), threshold=cut)
        assert not classifier.decide("Gain 52", 40, 12).redact  # -0.6: below the threshold
        assert classifier.decide("QUORBLE VANTIX", 110, 12).redact  # 0.45: above it
    assert Classifier(HeaderValues(), threshold=0.0).decide("L ]", 110, 16).reason == "unreadable"  # under-read
