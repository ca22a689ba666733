"""Header values with diacritics match OCR reads without them (issue 15: "RŠ Šmíd" as operator was read
"Smid" and kept, the header held "Šmíd", and the two differed by more than OCR tolerance allows)."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from phiphantom.deid.pixels.classify import Classifier, HeaderValues


@pytest.mark.parametrize(("keyword", "value", "read"), [
    ("OperatorsName", "Šmíd^Radek", "Smid"),
    ("PatientName", "Błażej^Staciwa", "BLAZEJ"),
    ("InstitutionName", "Universitätsklinikum Wolfenbüttel", "Wolfenbuttel"),
    ("PatientName", "Søren^Ærø", "Soren"),
])
def test_a_read_without_accents_matches_the_header_value(keyword, value, read):
    ds = Dataset()
    setattr(ds, keyword, value)
    for policy in ("strict", "balanced"):
        decision = Classifier(HeaderValues.from_dataset(ds), policy).decide(read)
        assert decision.redact and decision.reason == f"header:{keyword}", (read, decision)
