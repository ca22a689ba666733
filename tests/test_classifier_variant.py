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
