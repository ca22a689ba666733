"""Mutation tests of the pixel classifier's decision code (issue 17, docs/mutation.md).

``deid/pixels/line_score.py`` (one score per line, the thresholds) and the decision methods of
``deid/pixels/classify.py`` (decide, _judge, with_layout, _under_read, frame_number, _counter, _trusted).
Each test decides real lines with the real recognisers; where an exact score is needed, the evidence is
given through ``decide``'s ``context`` (the evidence a phrase gives its characters) on letters no
recogniser explains ("Qxzv"), so the expected values follow from the definitions in the module
docstrings. Lines are decided under both ``strict`` and ``balanced`` and at explicit thresholds (the
issue: the label rule and the threshold were never tested under ``balanced``).
"""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.classify import Classifier, Decision, HeaderValues
from phiphantom.deid.pixels.evidence import Evidence
from phiphantom.deid.pixels.line_score import LineScore, score_line, threshold_for

NOWORD = "Qxzv"          # no recogniser explains it (checked below)
TWO = "Qxzv wrtl"        # 8 letters, none explained (not two capitalised words: a name)


def test_the_nonsense_words_have_no_evidence():
    c = Classifier(HeaderValues())
    assert c.evidence(NOWORD) == [] and c.evidence(TWO) == [] and c.evidence("Qx") == []


# ---- line_score.score_line ------------------------------------------------------------------------


def test_unexplained_text_scores_its_weight_times_its_share():
    assert score_line(TWO, []) == LineScore(0.45, None, 0.0, 1.0, 0.0)
    half = score_line(TWO, [Evidence("parameter", -1.0, 0, 4)])
    assert half.unexplained == 0.5 and half.score == pytest.approx(0.225) and half.top is None
    assert half.clinical == 0.5  # half the letters at weight 1: it does not offset the unexplained half


def test_clinical_share_is_weighted_and_each_character_takes_its_strongest_piece():
    ev = [Evidence("parameter", -0.3, 0, 4), Evidence("unit", -0.9, 2, 9), Evidence("unit", -0.5, 5, 9)]
    s = score_line(TWO, ev)
    # characters 0,1: 0.3; 2,3: 0.9; 5-8 ("Wrtl"): 0.9 -> (0.6 + 1.8 + 3.6) / 8
    assert s.unexplained == 0.0 and s.clinical == pytest.approx(0.75)
    assert s.score == pytest.approx(-0.6 * 0.75) and s.top is None and s.phi == 0.0


def test_a_phi_piece_is_discounted_by_the_mean_clinical_weight_on_its_letters():
    ev = [Evidence("name", 0.9, 0, 4), Evidence("anatomy", -0.25, 0, 2), Evidence("anatomy", -0.5, 2, 4)]
    s = score_line(NOWORD, ev)
    assert s.phi == pytest.approx(0.9 - 0.8 * 0.375) and s.score == pytest.approx(0.6)
    assert s.top == ev[0] and s.unexplained == 0.0 and s.clinical == pytest.approx(0.375)


def test_a_phi_piece_partly_covered_by_clinical_evidence_loses_only_that_share():
    # "Qxzv wrtl": a name run over both words, a parameter over the second (4 of its 8 letters; the space
    # between them counts for nothing)
    ev = [Evidence("name", 0.85, 0, 9), Evidence("parameter", -1.0, 5, 9)]
    s = score_line(TWO, ev)
    assert s.phi == pytest.approx(0.85 - 0.8 * 0.5) and s.top == ev[0]
    whole = score_line(TWO, [Evidence("name", 0.85, 0, 9), Evidence("parameter", -1.0, 0, 9)])
    assert whole.phi == pytest.approx(0.85 - 0.8) and whole.top == ev[0]


def test_clinical_evidence_elsewhere_on_the_line_does_not_discount():
    ev = [Evidence("name", 0.6, 0, 4), Evidence("parameter", -1.0, 5, 9)]
    s = score_line(TWO, ev)
    assert s.phi == pytest.approx(0.6) and s.score == pytest.approx(0.6) and s.top == ev[0]


@pytest.mark.parametrize("kind", ["header", "ner"])
def test_header_and_ner_evidence_is_never_discounted(kind):
    s = score_line(NOWORD, [Evidence(kind, 0.7, 0, 4), Evidence("anatomy", -1.0, 0, 4)])
    assert s.phi == pytest.approx(0.7) and s.top is not None and s.top.kind == kind


def test_a_form_alone_counts_as_clinical_but_discounts_nothing():
    ev = [Evidence("name", 0.25, 0, 4), Evidence("shape", -0.4, 0, 4)]
    s = score_line(NOWORD, ev)
    assert s.phi == pytest.approx(0.25) and s.top == ev[0] and s.clinical == pytest.approx(0.4)


def test_a_phi_piece_wholly_discounted_is_no_phi_evidence():
    s = score_line(NOWORD, [Evidence("name", 0.4, 0, 4), Evidence("anatomy", -0.5, 0, 4)])
    assert s.top is None and s.phi == 0.0 and s.score == pytest.approx(-0.6 * 0.5)


def test_the_strongest_phi_piece_wins_and_the_first_of_equals_is_kept():
    a, b, c = Evidence("name", 0.5, 0, 4), Evidence("date", 0.9, 5, 9), Evidence("id", 0.9, 0, 9)
    assert score_line(TWO, [a, b, c]).top == b
    assert score_line(TWO, [a, c, b]).top == c
    assert score_line(TWO, [b, a]).top == b


def test_weak_phi_beside_unexplained_text_scores_the_larger_of_the_two():
    weak = score_line(TWO, [Evidence("name", 0.2, 0, 4)])
    assert weak.phi == pytest.approx(0.2) and weak.score == pytest.approx(0.45 * 0.5)
    strong = score_line(TWO, [Evidence("name", 0.3, 0, 4)])
    assert strong.score == pytest.approx(0.3)


def test_a_line_without_letters_or_digits_scores_its_phi_evidence_only():
    assert score_line("", []) == LineScore(0.0, None, 0.0, 0.0, 0.0)
    ev = Evidence("label", 0.7, 0, 2)
    assert score_line("-- :", [ev, Evidence("parameter", -1.0, 3, 4)]) == LineScore(0.7, ev, 0.7, 0.0, 0.0)


def test_evidence_past_the_end_of_the_line_is_cut_at_it():
    s = score_line(NOWORD, [Evidence("name", 0.6, 2, 40), Evidence("anatomy", -1.0, 0, 40)])
    assert s.unexplained == 0.0 and s.clinical == 1.0 and s.top is None


def test_evidence_on_no_character_of_the_line_is_not_discounted():
    s = score_line(NOWORD, [Evidence("name", 0.3, 6, 8), Evidence("anatomy", -1.0, 0, 4)])
    assert s.phi == pytest.approx(0.3) and s.score == pytest.approx(0.3)


def test_a_zero_weight_piece_explains_characters_without_weight():
    s = score_line(TWO, [Evidence("word", 0.0, 0, 9)])
    assert s == LineScore(0.0, None, 0.0, 0.0, 0.0)


# ---- line_score.threshold_for ----------------------------------------------------------------------


def test_policy_thresholds_and_explicit_ones():
    assert threshold_for("strict") == 0.05 and threshold_for("balanced") == 0.5
    assert threshold_for("strict", 0.3) == 0.3 and threshold_for("balanced", 0.0) == 0.0
    assert threshold_for("strict", -1.0) == -1.0 and threshold_for("strict", 1.0) == 1.0
    for bad in (-1.01, 1.01):
        with pytest.raises(ValueError, match="threshold must lie in"):
            threshold_for("strict", bad)
    with pytest.raises(ValueError, match="policy must be one of strict, balanced"):
        threshold_for("lenient")


# ---- Classifier._judge through decide ---------------------------------------------------------------


def decide(text: str, context: list[Evidence], policy: str = "strict", threshold: float | None = None,
           **kw: float) -> Decision:
    return Classifier(HeaderValues(), policy, threshold=threshold).decide(text, context=context, **kw)


def test_unexplained_text_is_removed_by_strict_and_kept_by_balanced():
    assert decide(TWO, []) == Decision(True, "strict", "text", 0.45)
    assert decide(TWO, [], "balanced") == Decision(False, "kept", "text", 0.45)
    assert decide(TWO, [], "balanced", threshold=0.45).redact  # the score reaching the threshold is enough
    assert not decide(TWO, [], "strict", threshold=0.46).redact


def test_a_phi_piece_that_makes_the_score_gives_its_reason_under_both_policies():
    name = [Evidence("name", 0.6, 0, 4)]
    for policy in ("strict", "balanced"):
        assert decide(NOWORD, name, policy) == Decision(True, "name", "name", 0.6, frozenset({"name"}))
    date = [Evidence("date", 1.0, 0, 4), Evidence("parameter", -1.0, 5, 9)]
    assert decide(TWO, date, "balanced") == Decision(True, "regex:date", "date", 1.0, frozenset({"date"}))
    header = [Evidence("header", 0.5, 0, 4, "PatientID")]
    assert decide(NOWORD, header, "balanced").reason == "header:PatientID"
    layout = [Evidence("layout", 0.7, 0, 4, "label-value")]
    assert decide(NOWORD, layout, "balanced").reason == "layout:label-value"


def test_a_score_made_by_unexplained_text_is_strict_not_the_phi_pieces_reason():
    d = decide(TWO, [Evidence("name", 0.2, 0, 4)], threshold=0.2)
    assert d == Decision(True, "strict", "text", pytest.approx(0.225), frozenset({"name"}))


def test_a_weak_name_is_removed_by_strict_and_kept_by_balanced_and_at_its_own_score():
    name = [Evidence("name", 0.3, 0, 4)]
    assert decide(NOWORD, name) == Decision(True, "name", "name", 0.3, frozenset({"name"}))
    assert decide(NOWORD, name, "balanced") == Decision(False, "kept", "text", 0.3, frozenset({"name"}))
    assert decide(NOWORD, name, "balanced", threshold=0.3).redact
    assert not decide(NOWORD, name, "strict", threshold=0.31).redact


def test_a_clinical_line_is_allowlisted_and_only_positive_kinds_are_phi_kinds():
    ev = [Evidence("name", 0.25, 0, 4), Evidence("shape", -0.4, 0, 4)]  # "LEE": a name and a form
    assert decide(NOWORD, ev, "balanced") == Decision(False, "allowlist", "clinical", 0.25, frozenset({"name"}))
    assert decide(NOWORD, ev, "strict").redact
    para = [Evidence("parameter", -1.0, 0, 9)]
    for policy in ("strict", "balanced"):
        assert decide(TWO, para, policy) == Decision(False, "allowlist", "clinical", -0.6)
    assert decide(TWO, para, threshold=-0.6).redact
    assert decide(TWO, para, threshold=-0.59) == Decision(False, "allowlist", "clinical", -0.6)


def test_a_fully_explained_line_without_clinical_weight_is_kept_not_allowlisted():
    ev = [Evidence("word", 0.0, 0, 9)]
    for policy in ("strict", "balanced"):
        assert decide(TWO, ev, policy) == Decision(False, "kept", "text", 0.0)


def test_real_recognisers_decide_lines_under_both_policies():
    strict, balanced = Classifier(HeaderValues(), "strict"), Classifier(HeaderValues(), "balanced")
    assert strict.decide("12.03.1961").reason == "regex:date" and balanced.decide("12.03.1961").redact
    assert strict.decide("Depth 16 cm") == balanced.decide("Depth 16 cm")
    assert not strict.decide("Depth 16 cm").redact and strict.decide("Depth 16 cm").reason == "allowlist"
    assert strict.decide(TWO).redact and not balanced.decide(TWO).redact


# ---- decide: unreadable text and _trusted ------------------------------------------------------------


def test_text_without_letters_is_unreadable_and_its_box_says_how_long():
    assert decide("", []) == Decision(True, "unreadable", "unreadable", 0.55)
    assert decide("-- :", [], "balanced") == Decision(True, "unreadable", "unreadable", 0.55)
    assert decide("-- :", [], threshold=0.56) == Decision(False, "kept", "unreadable-short", 0.55)
    # a mark no longer than 2.2 line heights is glyph-sized: 0.04, below both thresholds
    assert decide("--", [], width=22, height=10) == Decision(False, "kept", "unreadable-short", 0.04)
    assert decide("--", [], threshold=0.04, width=22, height=10).redact
    assert decide("--", [], width=23, height=10).score == 0.55
    assert decide("--", [], width=15, height=10).score == 0.04
    assert decide("--", [], width=22, height=0).score == 0.55


def test_a_low_confidence_read_is_judged_only_with_phi_evidence_or_near_certain_clinical_wording():
    five = "Qxzvw"
    garbled = Decision(True, "unreadable", "unreadable", 0.55)
    assert decide(five, [], confidence=39.9) == garbled
    assert decide(five, [], confidence=40.0) == Decision(True, "strict", "text", 0.45)
    assert decide(five, [], "balanced", confidence=40.0) == Decision(False, "kept", "text", 0.45)
    assert decide(five, [], "balanced", confidence=39.9).redact  # garbled: 0.55 reaches balanced
    assert decide(NOWORD, [], "balanced", confidence=10.0) == Decision(False, "kept", "text", 0.45)  # 4 chars
    sure = [Evidence("parameter", -0.8, 0, 5)]
    assert decide(five, sure, confidence=10.0) == Decision(False, "allowlist", "clinical", pytest.approx(-0.48))
    surer = [Evidence("parameter", -1.0, 0, 5)]  # above the trusted share too, not only at it
    assert decide(five, surer, confidence=10.0) == Decision(False, "allowlist", "clinical", pytest.approx(-0.6))
    assert decide(five, [Evidence("parameter", -0.79, 0, 5)], confidence=10.0) == garbled
    assert decide(five, [Evidence("parameter", -1.0, 0, 4)], confidence=10.0) == garbled  # one unexplained
    assert decide(five, [Evidence("name", 0.1, 0, 5)], confidence=10.0).reason == "name"  # PHI evidence


# ---- decide: _under_read ----------------------------------------------------------------------------


def test_a_read_much_shorter_than_its_box_is_under_read():
    # the line is explained as clinical text (context evidence), so only the under-read score can remove it
    def under(text: str, width: int, height: int) -> Decision:
        return decide(text, [Evidence("parameter", -1.0, 0, len(text))], width=width, height=height)

    assert under("Qx", 100, 10) == Decision(True, "unreadable", "under-read", pytest.approx(0.45 * 0.8))
    assert under("Qx zv", 100, 10) == Decision(True, "unreadable", "under-read", pytest.approx(0.45 * 0.6))
    assert not under("Qxzvw", 100, 10).redact  # half the box's glyphs read: complete
    assert not under("Qx", 100, 0).redact and not under("Qx", 0, 10).redact


def test_an_under_read_clinical_line_is_removed_when_its_under_read_score_reaches_the_threshold():
    para = [Evidence("parameter", -1.0, 0, 2)]
    box = {"width": 100, "height": 10}
    assert decide("Qx", para, **box) == Decision(True, "unreadable", "under-read", pytest.approx(0.36))
    assert decide("Qx", para, "balanced", **box) == Decision(False, "allowlist", "clinical", -0.6)
    assert decide("Qx", para, "balanced", threshold=0.36, **box).reason == "unreadable"
    assert decide("Qx", para, "balanced", threshold=0.37, **box).reason == "allowlist"
    # a complete read is no evidence, even at a threshold below zero
    assert decide("Qx", para, threshold=-0.5) == Decision(False, "allowlist", "clinical", -0.6)
    assert decide("Qx", para, threshold=-0.5, width=4, height=10).reason == "allowlist"
    # a redacted line keeps its own reason
    assert decide("Qx", [Evidence("name", 0.9, 0, 2)], **box).reason == "name"


def test_the_under_read_keeps_the_lines_phi_kinds():
    ev = [Evidence("name", 0.25, 0, 2), Evidence("shape", -0.4, 0, 2)]
    d = decide("Qx", ev, "balanced", threshold=0.3, width=100, height=10)
    assert d == Decision(True, "unreadable", "under-read", pytest.approx(0.36), frozenset({"name"}))


# ---- with_layout ------------------------------------------------------------------------------------


def test_layout_evidence_combines_as_independent_evidence():
    c = Classifier(HeaderValues(), "balanced")
    weak = c.decide(NOWORD, context=[Evidence("name", 0.25, 0, 4)])
    assert not weak.redact
    d = c.with_layout(weak, Evidence("layout", 0.4, 0, 4, "banner"))
    assert d == Decision(True, "layout:banner", "layout", pytest.approx(0.55), frozenset({"name", "layout"}))
    assert c.with_layout(weak, Evidence("layout", 0.3, 0, 4, "banner")) is weak  # 0.475 < 0.5
    exact = Classifier(HeaderValues(), "balanced", threshold=1 - 0.75 * 0.6)
    assert exact.with_layout(weak, Evidence("layout", 0.4, 0, 4, "banner")).redact


def test_layout_evidence_leaves_redacted_clinical_and_layout_free_decisions_alone():
    c = Classifier(HeaderValues(), "balanced")
    strong = Evidence("layout", 0.9, 0, 4, "label-value")
    done = Decision(True, "name", "name", 0.6)
    assert c.with_layout(done, strong) is done
    for score in (0.0, -0.3):
        line = Decision(False, "allowlist", "clinical", score)
        assert c.with_layout(line, strong) is line
    off = Classifier(HeaderValues(), "balanced", layout=False)
    weak = Decision(False, "kept", "text", 0.45)
    assert off.with_layout(weak, strong) is weak
    assert c.with_layout(weak, strong).redact


# ---- frame_number and _counter -----------------------------------------------------------------------


def test_a_one_frame_image_has_no_frame_numbers_and_two_frames_do():
    assert not Classifier(HeaderValues(), frames=1, changing=True).frame_number("5", 4)
    two = Classifier(HeaderValues(), frames=2, changing=True)
    assert two.frame_number("2", 1) and two.frame_number("1", 1) and not two.frame_number("3", 1)


def test_a_frame_numbers_label_has_at_most_two_words_and_seven_letters():
    c = Classifier(HeaderValues(), frames=28, changing=True)
    assert c.frame_number("Abcdefg 5", 4) and not c.frame_number("Abcdefgh 5", 4)
    assert c.frame_number("Ab Cd 5", 4) and not c.frame_number("Ab Cd Ef 5", 4)
    assert c.frame_number("# 5", 4) and c.frame_number("Bild: 5", 4)
    assert not c.frame_number("Bild 5x", 4) and not c.frame_number("B2 5", 4)


def test_the_patients_name_is_no_frame_numbers_label():
    hv = HeaderValues()
    hv.words["QXZ"] = "PatientName"
    assert not Classifier(hv, frames=28, changing=True).frame_number("Qxz 5", 4)
    assert Classifier(HeaderValues(), frames=28, changing=True).frame_number("Qxz 5", 4)


def test_a_frame_number_with_its_count():
    c = Classifier(HeaderValues(), frames=28, changing=True)
    assert c.frame_number("5/28", 4) and c.frame_number("9/28", 4)  # any first number of the frame's length
    assert not c.frame_number("5/27", 4) and not c.frame_number("15/28", 4) and not c.frame_number("S/28x", 4)
    assert c.frame_number("10/28", 9) and c.frame_number("5/28", 9)  # 9 is shown as 9 or 10
    for sep in ("", "7", "1"):
        assert c.frame_number(f"5{sep}28", 4)
    assert not c.frame_number("5828", 4) and not c.frame_number("5728", 6) and not c.frame_number("6", 4)


def test_a_counter_of_this_clips_frames():
    long = Classifier(HeaderValues(), frames=40)
    assert long._counter("5/40") and long._counter("40/40") and long._counter("5 / 40")
    assert not long._counter("41/40") and not long._counter("5/41") and not long._counter("")
    assert not long._counter("5/39") and not long._counter("5/32")  # another clip's count
    assert not long._counter("5/40x") and not long._counter("Qxzv")
    assert long._counter("Fr 5/40") and not long._counter("Qxzv 5/40")
    assert long._counter("S/40")  # a small 5 read as S
    assert not Classifier(HeaderValues(), frames=31)._counter("5/31")  # may be a date
    assert Classifier(HeaderValues(), frames=32)._counter("5/32")
    assert not Classifier(HeaderValues(), frames=12)._counter("5/12")
    assert Classifier(HeaderValues(), frames=12, changing=True)._counter("5/12")


def test_a_counter_or_frame_number_is_allowlisted_at_any_confidence_under_both_policies():
    for policy in ("strict", "balanced"):
        c = Classifier(HeaderValues(), policy, frames=40)
        assert c.decide("5/40", confidence=5.0) == Decision(False, "allowlist", "frame-counter", -1.0)
        moving = Classifier(HeaderValues(), policy, frames=28, changing=True)
        assert moving.decide("Qxzvw 5", frame=4) == Decision(False, "allowlist", "frame-counter", -1.0)
        assert moving.decide("Qxzvw 5", frame=None).reason != "allowlist"
