"""One score per line of burned-in text, from all the evidence the recognisers found in it.

The score lies in [-1, 1]: positive towards PHI, negative towards clinical text. A line is redacted
when its score reaches the policy's threshold, so ``strict`` and ``balanced`` are two points on one
recall-versus-clinical-text curve (docs/deid.md shows the curve) instead of two rule sets:

* **PHI evidence** counts by its strongest piece, less the clinical evidence found on the *same*
  characters (``Long`` may be a surname or a probe orientation; a date elsewhere on the line is not
  weakened by ``Gain 52`` beside it): ``phi = max(w_phi - OVERLAP_DISCOUNT * mean |w_clinical|)``, the
  mean over the piece's letters and digits (0 where no clinical evidence lies): a name run that OCR read
  on into a parameter ("DOE JANE Gain 52") loses the share of the parameter, not its whole weight.
  A value of the file's own header is never discounted (``UNDISCOUNTED``), and evidence from a token's
  form alone (:data:`~.evidence.SHAPE_KIND`: "TVI", "4C") discounts nothing: "LEE" in capitals is an
  abbreviation by its form and a name by the name lists.
* **Unexplained characters** (letters and digits no recogniser explained) count
  ``UNEXPLAINED_WEIGHT * share``: text nobody recognises may be a name nobody listed. The weight lies
  below the ``balanced`` threshold, so unexplained text alone is kept under ``balanced`` and removed
  under ``strict``.
* **Clinical evidence** puts a line that is fully explained, without PHI evidence, at
  ``-CLINICAL_WEIGHT * share`` (the share weighted by how sure each piece is), which orders such lines
  for a curve that reaches into negative thresholds. It does not offset unexplained characters: half a
  line of parameters does not excuse the other half.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .evidence import SHAPE_KIND, Evidence

#: Unexplained text alone scores at most this (below the balanced threshold: see the module docstring)
UNEXPLAINED_WEIGHT = 0.45
#: How much clinical evidence on the same characters takes off a piece of PHI evidence
OVERLAP_DISCOUNT = 0.8
#: How far a line fully explained as clinical text falls below zero
CLINICAL_WEIGHT = 0.6

#: PHI evidence clinical wording cannot weaken: a value of this file's own header seen in its pixels
#: is PHI even when it is also a clinical word (a patient named ``Long``)
UNDISCOUNTED = frozenset({"header", "ner"})  # NER's evidence spans its whole line (ner.py gives no spans)

#: Default thresholds of the two policies: strict removes a line when more than about a tenth of its
#: characters are unexplained; balanced needs PHI evidence of at least moderate strength
THRESHOLDS = {"strict": 0.05, "balanced": 0.5}


@dataclass(frozen=True)
class LineScore:
    """A line's score and the evidence behind it (``top``: the strongest PHI piece, or None)."""

    score: float
    top: Evidence | None
    phi: float              # the strongest PHI piece's value after the clinical discount (0 without)
    unexplained: float      # share of letters and digits no recogniser explained
    clinical: float         # weighted share explained as clinical text


def _alnum_positions(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if ch.isalnum()]


def score_line(text: str, evidence: Sequence[Evidence]) -> LineScore:
    """Combine ``evidence`` found in ``text`` into one :class:`LineScore` (see the module docstring)."""
    positions = _alnum_positions(text)
    n = len(text)
    clinical_at = [0.0] * n   # strongest clinical weight (as a positive number) on each character
    discount_at = [0.0] * n   # ... of the evidence that may discount PHI evidence (not a form alone)
    explained = [False] * n
    for ev in evidence:
        for i in range(ev.start, min(ev.end, n)):
            explained[i] = True
            if ev.weight < 0:
                clinical_at[i] = max(clinical_at[i], -ev.weight)
                if ev.kind != SHAPE_KIND:
                    discount_at[i] = max(discount_at[i], -ev.weight)
    best: Evidence | None = None
    best_value = 0.0
    for ev in evidence:
        if ev.weight <= 0:
            continue
        chars = range(ev.start, min(ev.end, n))
        span = [i for i in chars if text[i].isalnum()] or chars  # its letters and digits (all, if it has none)
        against = 0.0 if ev.kind in UNDISCOUNTED or not span else sum(discount_at[i] for i in span) / len(span)
        value = ev.weight - OVERLAP_DISCOUNT * against
        if value > best_value:
            best, best_value = ev, value
    if not positions:
        return LineScore(best_value, best, best_value, 0.0, 0.0)
    unexplained = sum(not explained[i] for i in positions) / len(positions)
    clinical = sum(clinical_at[i] for i in positions) / len(positions)
    if best is not None:
        score = max(best_value, UNEXPLAINED_WEIGHT * unexplained)
    elif unexplained > 0:
        score = UNEXPLAINED_WEIGHT * unexplained
    else:
        score = -CLINICAL_WEIGHT * clinical
    return LineScore(max(-1.0, min(1.0, score)), best, best_value, unexplained, clinical)


def threshold_for(policy: str, threshold: float | None = None) -> float:
    """The threshold a line's score must reach to be redacted: ``threshold`` if given, else the policy's."""
    if threshold is not None:
        if not -1.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must lie in [-1, 1], not {threshold}")
        return threshold
    try:
        return THRESHOLDS[policy]
    except KeyError:
        raise ValueError(f"policy must be one of {', '.join(THRESHOLDS)}") from None
