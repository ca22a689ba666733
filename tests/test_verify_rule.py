"""Verification fails closed on PHI evidence only: text that is merely unexplained is removed after the last pass."""

from __future__ import annotations

import pytest

from phiphantom.deid.pixels.classify import Decision
from phiphantom.deid.pixels.clean import has_phi_evidence
from phiphantom.deid.pixels.detect import NO_PHI_EVIDENCE, TextBox


def _box(reason: str) -> TextBox:
    return TextBox(0, 0, 10, 10, 0, 1, Decision(True, reason, "text", 0.5), "")


@pytest.mark.parametrize("reason", ["header:PatientName", "regex:date", "name", "label", "layout:after-label",
                                    "regex:id+into-image", "ner:PER"])
def test_phi_evidence_fails_closed(reason: str) -> None:
    assert has_phi_evidence(_box(reason))


@pytest.mark.parametrize("reason", [*NO_PHI_EVIDENCE, "context+into-image", "unreadable+into-image"])
def test_unexplained_text_is_no_phi_evidence(reason: str) -> None:
    assert not has_phi_evidence(_box(reason))
