"""A classifier's variants (verification without layout, changing regions) reuse its evidence, and only that."""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.classify import Classifier, HeaderValues


def _header() -> HeaderValues:
    header = HeaderValues()
    header.words["NOWAKOWSKA"] = "PatientName"
    return header


def test_a_variant_shares_the_evidence_cache_and_decides_as_a_fresh_classifier():
    calls: list[str] = []

    def ner(text: str) -> list[str]:
        calls.append(text)
        return []

    base = Classifier(_header(), "strict", ner=ner)
    first = base.decide("NOWAKOWSKA EWA", 160, 14)
    variant = base.variant(layout=False)
    assert (variant.layout, base.layout) == (False, True)
    again = variant.decide("NOWAKOWSKA EWA", 160, 14)
    assert calls == ["NOWAKOWSKA EWA"]  # the variant did not compute the evidence again
    fresh = Classifier(_header(), "strict", ner=ner, layout=False).decide("NOWAKOWSKA EWA", 160, 14)
    assert first == again == fresh and first.redact and first.reason == "header:PatientName"
    variant.decide("MI 0.7", 60, 14)
    assert "MI 0.7" in base._seen  # and what it computes, the base reuses


@pytest.mark.parametrize("change", [{"header": HeaderValues()}, {"ner": None}])
def test_a_variant_may_not_change_what_the_evidence_depends_on(change):
    with pytest.raises(ValueError, match="keeps the header"):
        Classifier(_header(), "strict").variant(**change)


def test_a_decision_is_kept_for_the_file_and_keyed_by_what_it_depends_on():
    base = Classifier(_header(), "balanced", frames=12)
    first = base.decide("NOWAKOWSKA EWA", 160, 14)
    assert base.decide("NOWAKOWSKA EWA", 160, 14) is first  # asked again (phrases, verification): kept
    assert len(base._decided) == 1
    # each argument is part of the key: a read of another confidence or box is decided otherwise
    assert base.decide("QXZRTW", 90, 14, confidence=10).reason == "unreadable"
    assert base.decide("QXZRTW", 90, 14, confidence=95).reason == "kept"
    strict = Classifier(_header(), "strict")
    assert strict.decide("MI 0.7", 60, 14).reason == "allowlist"
    assert strict.decide("MI 0.7", 600, 14).text_kind == "under-read"  # four glyphs read off a box of forty
    assert strict.decide("o", 10, 14).reason == "kept"  # a glyph-sized mark
    assert strict.decide("o", 10, 4).reason == "strict"  # the same read in a box wider than its height: a line
    assert strict.decide("o", 80, 14).reason == "strict"  # one letter in a box of six: no mark
    # a changing region's state on frame 7 showing "7" is a counter; the same text static is not
    assert base.decide("IMG 7", 60, 14, frame=7).text_kind == "frame-counter"
    assert base.decide("IMG 7", 60, 14).text_kind == "clinical"
    # a setting of a variant that decide reads is in the key: the variant never gets the base's decision
    assert base.decide("5/12", 40, 14).text_kind == "text"
    assert base.variant(changing=True).decide("5/12", 40, 14).text_kind == "frame-counter"
    assert base.variant(layout=False)._decided is base._decided


def test_text_evidence_is_kept_for_the_process_and_handed_out_as_a_fresh_list():
    first = Classifier.text_evidence("SMITH JOHN 12/03/1961")
    assert first and any(e.kind == "name" for e in first)
    first.clear()  # a caller's list is its own: the kept evidence is not changed through it
    again = Classifier.text_evidence("SMITH JOHN 12/03/1961")
    assert again and again is not first
