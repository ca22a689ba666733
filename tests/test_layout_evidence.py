"""Layout evidence (deid/pixels/layout_evidence.py): which lines of realistic screens get which rule.

The screens are lists of OCR boxes as the detector reports them (640 x 480 frame, 14 px lines), with
the kinds and scores the per-line recognisers would give them.
"""

from __future__ import annotations

import random

import pytest

from phiphantom.deid.pixels.evidence import Evidence
from phiphantom.deid.pixels.layout_evidence import RULES, Line, is_bare_label, layout_evidence, same_row

W, H = 640, 480


def box(x0: int, y0: int, text: str, kinds: str = "", score: float = 0.0, height: int = 14,
        width: int | None = None) -> Line:
    """A line at (x0, y0) about 8 px per character wide."""
    return Line(x0, y0, x0 + (width if width is not None else 8 * len(text)), y0 + height, text,
                frozenset(kinds.split()), score)


def rules(lines: list[Line], width: int = W, height: int = H) -> dict[str, set[str]]:
    """Text -> the rules that fired on it (only lines that got some)."""
    result = layout_evidence(lines, width, height)
    assert len(result) == len(lines)
    out: dict[str, set[str]] = {}
    for line, evidence in zip(lines, result, strict=True):
        for ev in evidence:
            assert ev.kind == "layout" and (ev.start, ev.end) == (0, len(line.text)) and ev.weight > 0
            out.setdefault(line.text, set()).add(ev.source)
    return out


PARAMETERS = [box(520, 60, "MI 1.2", score=-1.0), box(520, 80, "TIS 0.4", score=-1.0),
              box(520, 100, "Gain 50", score=-1.0), box(520, 120, "Depth 16 cm", score=-1.0),
              box(520, 140, "Abdomen", score=-0.6)]
LABEL_COLUMN = [box(10, 60, "Name:", "label", 1.0), box(58, 60, "Doe, Jane", "name", 0.3),
                box(10, 80, "ID:", "label", 1.0), box(58, 80, "123456", "id", 1.0),
                box(10, 100, "DOB:", "label", 1.0), box(58, 100, "01/02/1960", "date", 1.0),
                box(10, 120, "Sex:", "label", 1.0), box(58, 120, "F", "sex", 0.4)]


def test_label_column_values_get_after_label_and_the_parameters_beside_it_nothing():
    found = rules(LABEL_COLUMN + PARAMETERS)
    for value in ("Doe, Jane", "123456", "01/02/1960", "F"):
        assert "after-label" in found[value]
    # the birth date reaches the line above (the ID, aligned) and the sex below
    assert "beside-birth-date" in found["123456"] and "beside-birth-date" in found["F"]
    # the unlabelled-looking name above the ID
    assert "name-beside-id" in found["Doe, Jane"]
    for param in PARAMETERS:
        assert param.text not in found
    for label in ("Name:", "ID:", "DOB:", "Sex:"):
        assert label not in found


def test_weights_by_rule():
    result = layout_evidence(LABEL_COLUMN, W, H)
    weights = {ev.source: ev.weight for evidence in result for ev in evidence}
    assert weights == {"after-label": 0.9, "beside-birth-date": 0.7, "name-beside-id": 0.6}
    assert {rule: RULES[rule] for rule in weights} == weights
    assert all(isinstance(ev, Evidence) for evidence in result for ev in evidence)


def test_tab_aligned_values_are_measured_from_the_widest_label():
    lines = [box(10, 60, "Patient Name:", "label", 1.0), box(140, 60, "DOE, JANE", "name", 0.8),
             box(10, 80, "ID:", "label", 1.0), box(140, 80, "A-778812", "id", 1.0)]
    # "ID:" ends at x 34: its value is 106 px (7.6 line heights) away, 36 px after the widest label
    assert rules(lines)["A-778812"] >= {"after-label"}
    alone = [box(10, 80, "ID:", "label", 1.0), box(140, 80, "A-778812", "id", 1.0)]
    assert "A-778812" not in rules(alone)


def test_a_value_read_as_word_boxes_goes_whole_up_to_a_parameter():
    words = [box(10, 200, "Name:", "label", 1.0), box(58, 200, "DOE,"), box(100, 200, "JANE"),
             box(140, 200, "MARIE", "name", 0.5), box(190, 200, "Abd", "", -0.6), box(222, 200, "Smith")]
    assert rules(words) == {"DOE,": {"after-label"}, "JANE": {"after-label"}, "MARIE": {"after-label"}}
    fields = [box(10, 200, "ID:", "label", 1.0), box(40, 200, "123456", "id", 1.0), box(100, 200, "Echo")]
    assert rules(fields) == {"123456": {"after-label"}}
    banner = [box(20, 4, "BAPTIST"), box(88, 4, "MED"), box(124, 4, "CTR"), box(300, 4, "CINE")]
    assert rules(banner) == {word: {"banner-first-line"} for word in ("BAPTIST", "MED", "CTR")}


def test_value_below_its_label_when_nothing_is_to_its_right():
    lines = [box(20, 300, "Patient Name:", "label", 1.0), box(22, 318, "O'BRIEN, SEAN", "", 0.1),
             box(20, 360, "Comment", "", -0.2)]
    found = rules(lines)
    assert found == {"O'BRIEN, SEAN": {"after-label"}}


def test_value_below_must_be_aligned_and_close():
    far = [box(20, 300, "Name:", "label", 1.0), box(20, 340, "O'BRIEN, SEAN")]   # gap 26 px > 1.5 x 14
    shifted = [box(20, 300, "Name:", "label", 1.0), box(60, 318, "O'BRIEN, SEAN")]   # left edges 40 px apart
    assert rules(far) == {} and rules(shifted) == {}


def test_label_without_value_and_label_with_its_value_on_the_line():
    empty_field = [box(10, 200, "Name:", "label", 1.0), box(60, 200, "ID:", "label", 1.0),
                   box(90, 200, "MI 0.9", "", -1.0)]
    assert rules(empty_field) == {}
    # "ID 123456" carries its value: the parameter right of it is not a value
    own_value = [box(10, 200, "ID 123456", "label id", 1.0), box(100, 200, "Gen", "", 0.0)]
    assert not is_bare_label(own_value[0])
    assert rules(own_value) == {}
    long_label = [box(10, 200, "Date of Birth", "label", 1.0), box(130, 200, "1961-03-12", "date", 1.0)]
    assert rules(long_label) == {"1961-03-12": {"after-label"}}
    # a stray ":" box between label and value is no line
    colon = [box(10, 200, "Name", "label", 1.0), box(45, 200, ":", width=4), box(56, 200, "DOE JANE")]
    assert rules(colon) == {"DOE JANE": {"after-label"}}


def test_an_unsure_label_gives_less_and_a_clinical_line_with_a_label_word_nothing():
    weak = layout_evidence([box(10, 200, "Acc", "label", 0.4), box(50, 200, "A77812")], W, H)
    assert [(ev.source, ev.weight) for ev in weak[1]] == [("after-label", 0.6)]
    assert rules([box(10, 200, "Sex", "label", -0.3), box(50, 200, "Abc Def")]) == {}


def test_strongly_clinical_value_gets_nothing_but_a_weakly_clinical_one_does():
    assert rules([box(10, 200, "Ref:", "label", 1.0), box(50, 200, "C5-1 Abd", "", -0.9)]) == {}
    assert rules([box(10, 200, "Ref:", "label", 1.0), box(50, 200, "Cardio", "", -0.6)]) == \
        {"Cardio": {"after-label"}}


def test_banner_first_line_is_the_leftmost_box_of_the_top_row():
    banner = [box(8, 4, "DOE, JANE", "", 0.2), box(200, 4, "ID: 12345678", "label id", 1.0),
              box(400, 4, "12/03/2024", "date", 1.0), box(560, 4, "10:22:31", "time", 1.0),
              box(8, 22, "St. Mary Hospital", "", 0.1)]
    found = rules(banner + PARAMETERS)
    assert found == {"DOE, JANE": {"banner-first-line"}}


def test_banner_skips_clinical_boxes_and_needs_the_top_of_the_frame():
    banner = [box(8, 4, "MI 0.7", "", -1.0), box(80, 4, "SMITH JOHN", "", 0.0)]
    assert rules(banner) == {"SMITH JOHN": {"banner-first-line"}}
    date_first = [box(8, 4, "12/03/2024", "date", 1.0), box(100, 4, "SMITH JOHN", "", 0.0)]
    assert rules(date_first) == {"SMITH JOHN": {"banner-first-line"}}
    assert rules([box(8, 300, "SMITH JOHN")]) == {}
    # a small frame: 12% of 120 rows is 14 px
    assert rules([box(8, 2, "SMITH JOHN")], W, 120) == {"SMITH JOHN": {"banner-first-line"}}


def test_beside_birth_date_on_the_line_and_with_an_age():
    block = [box(20, 200, "MUELLER, HANS", "", 0.2), box(20, 218, "Geb. 12.03.1961", "label date", 1.0),
             box(160, 218, "M", "sex", 0.4), box(20, 236, "Gain 45", "", -1.0)]
    found = rules(block)
    assert found == {"MUELLER, HANS": {"beside-birth-date"}, "M": {"beside-birth-date"}}
    with_age = [box(20, 200, "DUPONT MARIE"), box(20, 218, "03/12/1961 (63A)", "date age", 1.0)]
    assert rules(with_age) == {"DUPONT MARIE": {"beside-birth-date"}}
    # one row, label in its own box: the name left of the label and the age right of the date
    row = [box(20, 300, "DOE, JANE"), box(110, 300, "DOB:", "label", 1.0), box(150, 300, "01/02/1960", "date", 1.0),
           box(240, 300, "64 y", "age", 0.6)]
    assert rules(row) == {"DOE, JANE": {"beside-birth-date"}, "01/02/1960": {"after-label"},
                          "64 y": {"beside-birth-date"}}
    # an exam date is not a birth date
    exam = [box(20, 200, "DUPONT MARIE"), box(20, 218, "03/12/2024", "date", 1.0)]
    assert rules(exam) == {}



def test_the_rows_of_a_birth_date_field_start_at_its_label_and_go_on_to_the_right():
    """The row under a "DATUM:" | "1996.01.17" field starts under the label, not under the date: its first line
    and the words after it get the rule (issue 15: "24 ÉV F" read "AEVF"; "(F) 83" read "®" | "83", the first
    box no usable text). A parameter further right on that row, or two rows down, gets nothing."""
    field = [box(10, 100, "DATUM:", "label", 1.0), box(62, 100, "1996.01.17", "date birth-date", 1.0)]
    below = [box(10, 118, "AEVF", "", 0.45)]
    assert rules(field + below) == {"1996.01.17": {"after-label"}, "AEVF": {"beside-birth-date"}}
    split = [box(10, 118, "\u00ae", "", 0.0, width=14), box(26, 118, "83", "", -0.18),
             box(300, 118, "Gain 45", "", -1.0), box(10, 136, "12:03", "", 0.1)]
    assert rules(field + split) == {"1996.01.17": {"after-label"}, "83": {"beside-birth-date"}}
    above = [box(10, 82, "M 71", "", 0.3), box(44, 82, "x", "", 0.2)]
    assert rules(field + above) == {"1996.01.17": {"after-label"}, "M 71": {"beside-birth-date"},
                                    "x": {"beside-birth-date"}}
    far = [box(10, 140, "AEVF", "", 0.45)]  # 26 px below the field: more than 1.5 line heights
    assert rules(field + far) == {"1996.01.17": {"after-label"}}

def test_patient_block_line_between_two_phi_lines():
    block = [box(20, 200, "DOE, JANE", "name", 0.9), box(20, 218, "12 High Street", "", 0.0),
             box(20, 236, "MRN 00123456", "label id", 1.0)]
    assert rules(block) == {"12 High Street": {"patient-block"}}
    clock = [box(500, 40, "12/03/2024", "date", 1.0), box(500, 58, "Adult", "", 0.0),
             box(500, 76, "10:22:31", "time", 1.0)]
    assert rules(clock) == {}
    weak_below = [box(20, 200, "DOE, JANE", "name", 0.9), box(20, 218, "12 High Street"),
                  box(20, 236, "Note", "", 0.2)]
    assert rules(weak_below) == {}


def test_measurement_table_gets_nothing():
    table = [box(400, 300, "Measurements", "", -0.6), box(400, 318, "LVIDd 4.5 cm", "", -1.0),
             box(400, 336, "LVIDs 3.1 cm", "", -1.0), box(400, 354, "EF 62 %", "", -1.0),
             box(400, 372, "Exam 12/03/2024", "date", 1.0)]
    assert rules(table) == {}


def test_name_beside_id_only_for_name_shaped_lines():
    lines = [box(20, 200, "KOWALSKA ANNA", "", 0.1), box(140, 200, "PL-88231", "id", 1.0),
             box(220, 200, "B-Mode 2", "", 0.0), box(140, 218, "Carotid", "", 0.0)]
    assert rules(lines) == {"KOWALSKA ANNA": {"name-beside-id"}}
    assert rules([box(20, 200, "DOE^JOHN"), box(100, 200, "PL-88231", "id", 1.0)]) == \
        {"DOE^JOHN": {"name-beside-id"}}
    labelled_id = [box(20, 200, "DOE^JOHN"), box(100, 200, "ID:", "label", 1.0), box(130, 200, "PL-88231", "id", 1.0)]
    assert rules(labelled_id) == {"DOE^JOHN": {"name-beside-id"}, "PL-88231": {"after-label"}}


def test_edge_cases():
    assert layout_evidence([], W, H) == []
    assert layout_evidence([box(100, 300, "hello")], W, H) == [[]]
    # empty text, degenerate and vertical boxes take no part
    vertical = Line(58, 40, 70, 140, "DOE JANE", frozenset(), 0.0)
    lines = [box(10, 60, "Name:", "label", 1.0), vertical, Line(60, 60, 60, 74, "", frozenset(), 0.0),
             box(200, 300, "   ")]
    assert layout_evidence(lines, W, H) == [[], [], [], []]
    vertical_label = Line(10, 40, 22, 140, "Name:", frozenset({"label"}), 1.0)
    assert layout_evidence([vertical_label, box(30, 60, "DOE JANE")], W, H) == [[], []]
    # boxes wholly outside the frame are ignored
    assert layout_evidence([box(10, 600, "Name:", "label", 1.0), box(60, 600, "X Y")], W, H) == [[], []]


def test_overlapping_boxes():
    touching = [box(10, 60, "Name:", "label", 1.0), box(45, 61, "DOE, JANE")]   # 5 px overlap
    assert rules(touching) == {"DOE, JANE": {"after-label"}}
    # a box that contains the label is not its value; a half-overlapping row is not the same row
    containing = [box(10, 60, "Name:", "label", 1.0), box(8, 59, "Name: DOE, JANE", "label name", 1.0)]
    assert rules(containing) == {}
    assert not same_row(box(0, 0, "a"), box(0, 8, "b"))
    assert same_row(box(0, 0, "a"), box(0, 7, "b"))


def test_equally_near_lines_below_the_aligned_one_wins_in_any_order():
    label = box(20, 300, "Patient Name:", "label", 1.0)
    aligned, offset = box(22, 318, "ROSSI MARIO", width=60), box(116, 318, "B-mode", width=40)
    assert rules([label, offset, aligned]) == rules([label, aligned, offset]) == {"ROSSI MARIO": {"after-label"}}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_order_does_not_matter(seed: int):
    lines = LABEL_COLUMN + PARAMETERS + [box(8, 4, "DOE, JANE", "", 0.2)]
    expected = rules(lines)
    shuffled = lines[:]
    random.Random(seed).shuffle(shuffled)
    assert rules(shuffled) == expected
