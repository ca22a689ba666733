"""The header scorer's PHI forms and token-bounded matching at their edges (docs/metrics.md, docs/mutation.md).

Which forms of a ground-truth value are searched (the value, and each ``^``-component of a person
name of >= 3 characters) and where a hit counts (not inside a longer letter/digit run, not as a
dot-separated UID or decimal component), in decoded text and in raw bytes (UTF-8 and latin-1).
"""

from __future__ import annotations

from phiphantom.benchmark.phi_match import MIN_FORM_LENGTH, PhiMatcher, phi_forms
from phiphantom.core.ground_truth import TagRow


def _row(value: str, vr: str = "LO", category: str = "id") -> TagRow:
    return TagRow.from_row({"injected_value": value, "vr": vr, "category": category}, lenient=True)


def test_person_names_are_searched_whole_and_by_component():
    assert phi_forms([_row("DOE^JOHN", vr="PN", category="name")]) == {"DOE^JOHN", "DOE", "JOHN"}
    for category in ("name", "physician", "operator"):                  # a name category splits whatever the VR
        assert phi_forms([_row("Horvat^Ana^Marija", category=category)]) == {
            "Horvat^Ana^Marija", "Horvat", "Ana", "Marija"}, category
    assert phi_forms([_row("SMITH^JO", vr="PN", category="other")]) == {"SMITH^JO", "SMITH"}  # PN alone splits


def test_other_values_are_not_split():
    assert phi_forms([_row("ABC^DEF^GHI", vr="LO", category="id")]) == {"ABC^DEF^GHI"}


def test_forms_shorter_than_three_characters_are_dropped_and_three_kept():
    assert MIN_FORM_LENGTH == 3
    assert phi_forms([_row("LI^AL^ANN", vr="PN")]) == {"LI^AL^ANN", "ANN"}
    assert phi_forms([_row("AB"), _row("ABC"), _row(""), _row("  ")]) == {"ABC"}


def test_values_and_components_are_stripped():
    assert phi_forms([_row(" DOE ^ JOHN ", vr="PN")]) == {"DOE ^ JOHN", "DOE", "JOHN"}


def test_text_hits_are_case_insensitive_and_token_bounded():
    m = PhiMatcher({"DOE", "20190312"})
    assert m.in_text("patient doe, seen") and m.in_text("DOE") and m.in_text("(Doe)") and m.in_text("_doe_")
    assert not m.in_text("DOES") and not m.in_text("XDOE") and not m.in_text("DOE1") and not m.in_text("1DOE")
    assert m.in_text("on 20190312.") and m.in_text("20190312 x") and m.in_text("ab.20190312")
    assert not m.in_text("1.2.840.20190312.7") and not m.in_text("1.20190312") and not m.in_text("20190312.5")
    assert not m.in_text("120190312") and not m.in_text("201903123")
    assert not m.in_text("") and not m.in_text(None)


def test_unicode_names_match_in_any_case_in_text():
    m = PhiMatcher({"Müller"})
    assert m.in_text("Dr. MÜLLER") and m.in_text("müller") and not m.in_text("Müllers")


def test_no_forms_match_nothing():
    m = PhiMatcher(set())
    assert not m.in_text("anything") and list(m.byte_hits(b"anything", 0, 8)) == []


def test_byte_hits_take_the_longest_form_first_and_respect_the_window():
    m = PhiMatcher(phi_forms([_row("DOE^JOHN", vr="PN")]))
    buf = b"\x00\x10PN\x08\x00DOE^JOHN;john;XJOHN;doe"
    hits = list(m.byte_hits(buf, 0, len(buf)))
    assert [buf[s:e] for s, e in hits] == [b"DOE^JOHN", b"john", b"doe"]
    start = buf.index(b";john")
    assert list(m.byte_hits(buf, start, start + 5)) == [(start + 1, start + 5)]
    assert list(m.byte_hits(buf, 0, 8)) == []                           # "DOE^JOHN" runs past the window


def test_forms_are_kept_longest_first():
    assert PhiMatcher({"DOE", "ANN", "DOE^JOHN", "JOHN"}).forms == ["DOE^JOHN", "JOHN", "ANN", "DOE"]


def test_byte_hits_are_token_bounded_like_text():
    m = PhiMatcher({"20190312"})
    for inside in (b"1.2.20190312.4", b"1.20190312", b"20190312.5", b"120190312", b"a20190312"):
        assert list(m.byte_hits(inside, 0, len(inside))) == [], inside
    for alone in (b"20190312", b" 20190312\\", b"a.20190312", b"20190312.x"):
        assert len(list(m.byte_hits(alone, 0, len(alone)))) == 1, alone


def test_non_ascii_names_found_in_utf8_and_latin1_bytes_in_any_case():
    m = PhiMatcher({"Müller"})
    for data in ("Müller", "MÜLLER", "müller"):
        for codec in ("utf-8", "latin-1"):
            buf = b"^" + data.encode(codec) + b"^"
            assert len(list(m.byte_hits(buf, 0, len(buf)))) == 1, (data, codec)
    greek = PhiMatcher({"Παπαδόπουλος"})                                # not latin-1: UTF-8 only, no error
    buf = "Παπαδόπουλος".encode()
    assert list(greek.byte_hits(buf, 0, len(buf))) == [(0, len(buf))]
