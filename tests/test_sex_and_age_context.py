"""A sex letter beside a name, and an age with its sex that OCR read with letters for digits (issue 15).

"F" alone is a mode, a scale mark or a sex: weak evidence. Beside a name ("SMITH JOHN F", or the "F" OCR
read as its own box after the name) it is the patient's sex. "57Y F" read as "SIYF" (5 -> S, 7 -> I)
is still an age and a sex.
"""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.classify import Classifier, Decision, HeaderValues
from phiphantom.deid.pixels.clinical_form import value_label
from phiphantom.deid.pixels.detect import TextBox, in_phrases
from phiphantom.deid.pixels.phi_grammar import phi_evidence

BALANCED = Classifier(HeaderValues(), "balanced")


@pytest.mark.parametrize("text", ["JOHNSON M", "Anna Berg, F", "F / SMITH JOHN", "SMITH JOHN (F)", "F, 60", "60, M"])
def test_a_sex_letter_beside_a_name_is_strong(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:sex"


@pytest.mark.parametrize("text", ["F", "M Mode", "F 5MHz", "Lung F", "B/M"])
def test_a_sex_letter_without_a_name_beside_it_stays_weak(text):
    assert not BALANCED.decide(text).redact


def test_the_letter_read_as_its_own_box_takes_the_names_context():
    kept = Decision(False, "kept", "text", 0.3)
    boxes = [TextBox(10, 10, 110, 22, 0, 1, BALANCED.decide("JOHNSON ANNA"), "JOHNSON ANNA"),
             TextBox(120, 10, 130, 22, 0, 1, kept, "F")]
    assert not BALANCED.decide("F", 10, 12).redact
    out = in_phrases(boxes, [90.0, 90.0], BALANCED)
    assert out[1].decision.redact and out[1].decision.reason == "regex:sex"


@pytest.mark.parametrize("text", ["SIYF", "S7Y F", "4OYM", "BIY M"])
def test_an_age_and_sex_read_with_letters_for_digits(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason in ("regex:age", "regex:sex")


@pytest.mark.parametrize("text", ["oily m", "SOLYM", "ZZZY F"])
def test_words_and_impossible_ages_are_no_misread_ages(text):
    assert not BALANCED.decide(text).redact


STRICT = Classifier(HeaderValues(), "strict")


@pytest.mark.parametrize("glyph", ["o", "U", "x", "g"])
def test_one_glyph_read_as_one_letter_is_an_unread_mark_under_strict(glyph):
    """A scale's "0" read as "o" or "U" is no more than a mark OCR could not read: kept, as unread marks are."""
    assert STRICT.decide(glyph, 8, 10) == Decision(False, "kept", "unreadable-short", 0.04)
    assert STRICT.decide(glyph, 40, 10).redact   # a line-sized box read as one letter: most of it unread


@pytest.mark.parametrize("glyph", ["F", "M", "W"])
def test_a_sex_letter_alone_is_still_judged_by_the_grammar(glyph):
    assert STRICT.decide(glyph, 8, 10).reason == "regex:sex"


@pytest.mark.parametrize("glyph", ["N", "n", "&y", "J", "a"])  # "M" read as "N", age units
def test_misreads_of_sex_and_age_letters_are_not_let_go_as_marks(glyph):
    assert STRICT.decide(glyph, 8, 10).redact


@pytest.mark.parametrize("text", ["39M", "32F", "F45", "M67", "W45", "F12", "12F"])
def test_a_sex_and_a_two_digit_age_glued_are_phi_under_both_policies(text):
    for classifier in (STRICT, BALANCED):
        decision = classifier.decide(text)
        assert decision.redact and decision.reason == "regex:age", (text, decision)


@pytest.mark.parametrize("text", ["3.5M", "7M", "12M", "15M", "F5", "L38", "C60", "P21", "M5S", "F45.2"])
def test_frequencies_and_probes_stay_clinical(text):
    assert not STRICT.decide(text).redact


@pytest.mark.parametrize("text", ["60 annd", "45 jahte", "45 yeats", "M 60 annd"])
def test_a_year_unit_misread_by_one_letter_is_an_age(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason in ("regex:age", "regex:sex"), decision


@pytest.mark.parametrize("text", ["12 frames", "50 fps", "20 yarn", "3 mean", "200 annd"])
def test_other_words_after_a_number_are_no_misread_age_units(text):
    assert not any(e.source.endswith("age-unit-misread") for e in BALANCED.evidence(text))


@pytest.mark.parametrize("text", ["F, 74 A", "M, 38 a", "F,35a", "M/38a", "(F) 74 a."])
def test_a_sex_letter_then_an_age_in_a_years_is_an_age_and_a_sex(text):
    """Spanish, Portuguese, Italian and French screens write the age in "a" (años, anos, anni, ans) after the sex:
    "74 A" alone reads as a current in amperes, after a sex letter it is an age."""
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason in ("regex:age", "regex:sex")
    assert {"age", "sex"} <= decision.phi_kinds


@pytest.mark.parametrize("text", ["RS 80A", "74 A", "IM 0.9", "F 3.5 A", "F, 740 A", "Fa 74 A"])
def test_an_age_in_a_needs_a_capital_sex_letter_and_a_whole_age(text):
    evidence = BALANCED.evidence(text)
    assert not any(e.source == "phi-grammar:sex-before-age" for e in evidence)


@pytest.mark.parametrize("text", ["M/ 95", "F/ 64", "38 yIS, M", "38 yrs, M", "45 anos F", "45 jahre, W"])
def test_a_number_with_a_slash_and_space_or_an_age_unit_before_the_letter_is_context(text):
    """OCR puts a space after the slash ("M/ 95"); an age unit, even with one letter misread ("yIS" for yrs),
    between the number and the letter."""
    decision = BALANCED.decide(text)
    assert decision.redact and "sex" in decision.phi_kinds


@pytest.mark.parametrize("text", ["Gain 55 dB, M", "12 cm, F", "38 yxz, M", "200 yrs, M"])
def test_a_value_in_another_unit_before_the_letter_is_no_age(text):
    assert not any(e.kind == "sex" and e.weight >= 0.9 for e in BALANCED.evidence(text))


@pytest.mark.parametrize("text", ["83 ÉV N", "42 év N", "N 071Y", "45 yaş K", "24 éves F", "83 év, N", "45 yaş/K",
                                  "(N) 45 yaş"])
def test_sex_initials_of_other_languages_beside_an_age_with_its_unit(text):
    """Hungarian (év, nő = N), Turkish (yaş, kadın = K, erkek = E), Polish and Swedish (K) screens."""
    decision = BALANCED.decide(text)
    assert decision.redact and {"age", "sex"} <= decision.phi_kinds


@pytest.mark.parametrize("text", ["N 12", "K 20", "TIB 0.2 N", "NEAR 45 y", "5N", "12N", "Res 12K"])
def test_those_initials_without_an_age_unit_beside_them_are_no_sex(text):
    assert not any(e.kind == "sex" for e in BALANCED.evidence(text))


@pytest.mark.parametrize("text", ["83 év, N", "45 yaş/K", "(N) 45 yaş"])
def test_an_initial_after_a_separator_is_found_by_the_rule_for_initials_beside_an_age(text):
    """A comma, a slash or a parenthesis between age and initial: only the rule for initials beside an age
    reads these (the glued forms take spaces only), and a letter inside a word ("45 yaş AK") is none."""
    assert any(e.source == "phi-grammar:sex-beside-age" for e in BALANCED.evidence(text))
    assert not any(e.source == "phi-grammar:sex-beside-age" for e in BALANCED.evidence("45 yaş AK"))


@pytest.mark.parametrize("text", ["35N", "70K", "19N"])
def test_an_age_glued_to_n_or_k_is_an_age(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:age"


@pytest.mark.parametrize("text", ["4EVF", "83ÉVN", "B3EVN", "45YAŞK"])
def test_an_age_in_ev_or_yas_run_together_with_the_sex_initial(text):
    """OCR drops the spaces of "24 ÉV F" at small sizes, and reads an 8 as B: still an age and a sex."""
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:age"


@pytest.mark.parametrize("text", ["seven", "SEVEN", "level", "MEVN", "ZEVE"])
def test_words_with_ev_inside_are_no_glued_age(text):
    assert not any(e.source == "phi-grammar:age-unit-sex-glued" for e in BALANCED.evidence(text))


@pytest.mark.parametrize("text", ["Fi42", "F|42", "M!48", "(Fi42)", "DOE, JANE Mi48"])
def test_a_sex_and_age_with_the_slash_misread(text):
    # "F/42" at small sizes: OCR reads the slash as i, | or !
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason in ("regex:sex", "regex:age", "name")


@pytest.mark.parametrize("text", ["Fl42", "F142", "Fi4.2", "F|42%", "Mi 4.2", "FL 42", "Mi42cm"])
def test_other_letters_or_values_after_a_sex_letter_are_no_misread_slash(text):
    # "FL 42" is a femur length; a decimal, a percentage or a unit is a value, not an age
    assert not any(e.source.endswith("age-misread") and text[e.start:e.end].isdigit()
                   for e in Classifier.text_evidence(text))


@pytest.mark.parametrize("text", ["F) 94", "M) 48", "(F) 94"])
def test_a_sex_letter_with_one_bracket_before_an_age(text):
    decision = BALANCED.decide(text)
    assert decision.redact and decision.reason == "regex:sex"


@pytest.mark.parametrize(("text", "sex"), [
    ("M 1.4", False), ("F 2.5", False), ("M 0.3 TIS 0.4", False),   # a parameter's letter and a one-place value
    ("M 45", True), ("F 2", True), ("M 1.5y", True),                # an age: whole, or with its unit glued
    ("M 12.03", True),                                              # two places: a day and a month may follow
])
def test_a_sex_letter_before_a_one_place_decimal_is_a_parameter_letter(text, sex):
    """MI 1.4 read with its I lost is "M 1.4": no age is written with one decimal place and no unit, so the
    letter is no sex there, and the clinical grammar takes it as a value's label (issue 15)."""
    assert any(e.kind == "sex" for e in phi_evidence(text)) is sex
    assert value_label("M", "1.4") and value_label("F", "2.5")
    assert not value_label("M", "45") and not value_label("M", "12.03") and not value_label("m", "1.4")


@pytest.mark.parametrize("text", ["V = 12.3 ml", "A= 2.3 cm2", "F = 1.2 kHz"])
def test_a_letter_before_an_equals_sign_is_a_symbol_not_a_sex(text):
    assert not any(e.kind == "sex" for e in Classifier.text_evidence(text)), Classifier.text_evidence(text)


@pytest.mark.parametrize("text", ["V 45j", "Geslacht: V", "M 45", "F/62"])
def test_sex_letters_without_an_equals_sign_are_still_sexes(text):
    assert any(e.kind == "sex" for e in Classifier.text_evidence(text)), Classifier.text_evidence(text)


@pytest.mark.parametrize("text", ["M / 67", "F / 45", "F /45"])
def test_a_sex_and_an_age_with_spaces_around_the_slash(text):
    assert Classifier(HeaderValues(), "balanced").decide(text).redact
