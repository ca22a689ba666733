"""Scores by style pack: which style a file and a box belong to, per-style cells, and the worst style.

A dataset generated with ``--styles`` records each box's pack in ``gt/boxes.csv`` (``style``,
``style_version``) and whether a box is text or a drawn graphic (``kind``: ``text`` | ``graphic``).
Older datasets have neither column: every box is then text of the built-in pack ``classic``.
:class:`StyleCells` sums, per style, the numerator and denominator of each pixel metric and renders
``strata["by_style"]`` of results.json: ``{metric: {style: {"n": denominator, "value": ratio}}}``
(docs/metrics.md, "Scores by style").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from phiphantom.core.ground_truth import DEFAULT_PACK, BoxRow

GRAPHIC = "graphic"         # kind of a box that is a drawn graphic, not text
#: The per-style pixel metrics, in the order results.json holds them, and what their "n" counts.
STYLE_METRICS = (
    "box_recall",              # n: PHI text boxes
    "frame_recall",            # n: PHI box-frames
    "residual_phi_rate",       # n: PHI text boxes (null without re-OCR)
    "clinical_preservation",   # n: clinical text boxes
    "label_preservation",      # n: label boxes
    "image_damage",            # n: image pixels (outside every box) over all frames
    "graphics_preservation",   # n: graphic boxes
)


def box_style(row: BoxRow, default: str = DEFAULT_PACK) -> str:
    """The style pack of a ground-truth box (``default`` when the table has no style for it)."""
    return row.get("style") or default


def is_graphic(row: BoxRow) -> bool:
    """Whether the box is a drawn graphic (``kind`` = ``graphic``) rather than text."""
    return row.get("kind") == GRAPHIC


def file_style(entry: Mapping[str, Any], boxes: list[BoxRow]) -> str:
    """A file's style: its manifest entry's ``style``, else its first box's, else ``classic``."""
    style = entry.get("style")
    if isinstance(style, str) and style:
        return style
    return box_style(boxes[0]) if boxes else DEFAULT_PACK


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


class StyleCells:
    """Per style and metric: [numerator, denominator]; renders ``strata["by_style"]``."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))

    def add(self, style: str, metric: str, num: float, den: float = 1.0) -> None:
        cell = self.data[style][metric]
        cell[0] += num
        cell[1] += den

    def render(self, ocr_ran: bool = True) -> dict[str, dict[str, dict[str, Any]]]:
        """``{metric: {style: {"n", "value"}}}``, metrics in :data:`STYLE_METRICS` order, styles sorted.

        A style appears under a metric only when it has something that metric counts.
        """
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for metric in STYLE_METRICS:
            cells = {}
            for style in sorted(self.data):
                num, den = self.data[style].get(metric, (0.0, 0.0))
                if den:
                    value = _ratio(num, den) if metric != "residual_phi_rate" or ocr_ran else None
                    cells[style] = {"n": int(den), "value": value}
            out[metric] = cells
        return out


def worst_style(by_style: Mapping[str, Mapping[str, Mapping[str, Any]]], metric: str,
                higher_better: bool = True) -> tuple[str, float] | None:
    """The style with the worst value of ``metric`` (ties: the first by name) and that value, or None."""
    values = [(style, cell["value"]) for style, cell in sorted(by_style.get(metric, {}).items())
              if isinstance(cell, Mapping) and isinstance(cell.get("value"), (int, float))]
    if not values:
        return None
    pick = min if higher_better else max
    return pick(values, key=lambda item: item[1])
