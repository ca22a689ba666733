"""One piece of evidence about a line of burned-in text, and the score the evidence adds up to.

Every recogniser of the pixel classifier (PHI grammar, person names, header values, clinical grammar,
layout) returns :class:`Evidence` for the characters it explains. The classifier adds a line's own
evidence up into one score (:mod:`.line_score`), so that ``strict`` and ``balanced`` are two thresholds
on the same decision, combines layout evidence with that score (``Classifier.with_layout``), and
records the strongest reasons.

Weights: positive towards PHI (1.0 = certain on its own: a full date, a header value, an e-mail
address), negative towards clinical text (-1.0 = certain: a parameter with its value and unit). The
span is ``[start, end)`` in the line's text, so that the classifier can see which characters no
recogniser explained.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Evidence kinds towards clinical text
CLINICAL_KINDS = ("parameter", "measurement", "probe", "preset", "mode", "anatomy", "annotation", "device",
                  "counter", "scale", "unit", "word", "shape")
#: Evidence from a token's form alone (an abbreviation in capitals, a short code of letters and digits):
#: it explains the characters but never weakens PHI evidence found on them (line_score)
SHAPE_KIND = "shape"


@dataclass(frozen=True)
class Evidence:
    """``kind`` explains ``text[start:end]`` with ``weight`` (> 0 PHI, < 0 clinical); ``source`` says which
    recogniser or list found it (for the audit's reasons; never the matched value)."""

    kind: str
    weight: float
    start: int
    end: int
    source: str = ""

    def __post_init__(self) -> None:
        if not -1.0 <= self.weight <= 1.0:
            raise ValueError(f"evidence weight must lie in [-1, 1], not {self.weight}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"evidence span must satisfy 0 <= start <= end, not [{self.start}, {self.end})")


def covered(text: str, evidence: Iterable[Evidence]) -> float:
    """The share of ``text``'s letters and digits that some evidence explains (0 for a text without any)."""
    mask = [False] * len(text)
    for ev in evidence:
        for i in range(ev.start, min(ev.end, len(text))):
            mask[i] = True
    alnum = [i for i, ch in enumerate(text) if ch.isalnum()]
    if not alnum:
        return 0.0
    return sum(mask[i] for i in alnum) / len(alnum)
