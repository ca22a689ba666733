"""The report's blocks about style packs: scores by style, the worst style, the vocabulary overlap.

Read from results.json: each engine's ``strata["by_style"]`` (``{metric: {style: {"n", "value"}}}``,
docs/metrics.md "Scores by style") and the document's ``vocabulary_overlap``. Results without
them (schema ``phiphantom.bench/1``) get no such blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .by_style import STYLE_METRICS, worst_style
from .report import as_number, cell_parts, engine_name, fmt_count, fmt_percent, fmt_ratio, ordered, strata_of
from .report_blocks import Block, Heading, Paragraph, Table, one_line

STYLE_COLUMNS = (
    "style", "PHI boxes", "box recall", "frame recall", "residual re-OCR PHI rate", "clinical boxes",
    "clinical preservation", "label preservation", "image damage", "graphic boxes", "graphics preservation",
)


def by_style_of(engine: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The engine's ``strata["by_style"]`` ({metric: {style: cell}}), malformed parts dropped."""
    return strata_of(engine, "by_style")


def styles_of(by_style: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every style any metric has, sorted."""
    return ordered(style for metric in STYLE_METRICS for style in by_style.get(metric, {}))


def _value(by_style: Mapping[str, Mapping[str, Any]], metric: str, style: str) -> tuple[Any, Any]:
    return cell_parts(by_style.get(metric, {}).get(style))


def style_table(engine: Mapping[str, Any]) -> list[Block]:
    """One engine's pixel metrics per style, and which style is worst."""
    by_style = by_style_of(engine)
    styles = styles_of(by_style)
    if not styles:
        return []
    rows = []
    for style in styles:
        n_phi, recall = _value(by_style, "box_recall", style)
        n_clin, clinical = _value(by_style, "clinical_preservation", style)
        n_graphic, graphics = _value(by_style, "graphics_preservation", style)
        rows.append((one_line(style, 80), fmt_count(n_phi or 0), fmt_ratio(recall),
                     fmt_ratio(_value(by_style, "frame_recall", style)[1]),
                     fmt_percent(_value(by_style, "residual_phi_rate", style)[1]), fmt_count(n_clin or 0),
                     fmt_ratio(clinical), fmt_ratio(_value(by_style, "label_preservation", style)[1]),
                     fmt_percent(_value(by_style, "image_damage", style)[1]), fmt_count(n_graphic or 0),
                     fmt_ratio(graphics)))
    blocks: list[Block] = [Table("Pixel metrics by style pack", STYLE_COLUMNS, tuple(rows),
                                 (False, *([True] * (len(STYLE_COLUMNS) - 1))))]
    worst = [(label, worst_style(by_style, metric)) for label, metric in
             (("box recall", "box_recall"), ("clinical preservation", "clinical_preservation"))]
    said = [f"{label} {fmt_ratio(found[1])} on {one_line(found[0], 80)}" for label, found in worst if found]
    if len(styles) > 1 and said:
        blocks.append(Paragraph("Worst style: " + "; ".join(said) + ".", "note"))
    return blocks


def style_summary_blocks(engines: Sequence[Mapping[str, Any]]) -> list[Block]:
    """Box recall and clinical preservation per style, side by side for every engine (after the leaderboard)."""
    tables = [(engine_name(e), by_style_of(e)) for e in engines]
    styles = ordered(s for _, by_style in tables for s in styles_of(by_style))
    if not styles:
        return []
    headers = ("style", *(f"{name}: {what}" for name, _ in tables for what in ("box recall", "clinical")))
    rows = tuple((one_line(style, 80), *(fmt_ratio(_value(by_style, metric, style)[1]) for _, by_style in tables
                                         for metric in ("box_recall", "clinical_preservation")))
                 for style in styles)
    return [Heading(2, "Scores by style"),
            Paragraph("Box recall and clinical preservation on each style pack's files alone; the leaderboard's "
                      "worst-style columns are the lowest of these. Every pixel metric by style is in each "
                      "engine's section."),
            Table("Box recall and clinical preservation by style pack", headers, rows,
                  (False, *([True] * (len(headers) - 1))))]


def vocabulary_blocks(results: Mapping[str, Any]) -> list[Block]:
    """The overlap between the bundled engine's clinical vocabulary and each pack's (when measured)."""
    overlap = results.get("vocabulary_overlap")
    packs = overlap.get("packs") if isinstance(overlap, Mapping) else None
    if not isinstance(packs, Mapping) or not packs:
        return []
    rows = []
    for name in ordered(packs):
        cell = packs[name] if isinstance(packs[name], Mapping) else {}
        rows.append((one_line(name, 80), fmt_count(cell.get("pack_words")), fmt_count(cell.get("listed_words")),
                     fmt_count(cell.get("shared_words")), fmt_ratio(cell.get("share_of_pack"))))
    engine_words = as_number(overlap.get("engine_words")) if isinstance(overlap, Mapping) else None
    return [Heading(2, "Clinical vocabulary overlap"),
            Paragraph(f"The bundled engine's clinical allowlist ({fmt_count(engine_words)} words, plus probe-name, "
                      "number and value-with-unit patterns) against each style pack's clinical words. Listed: in "
                      "the engine's word list; shared: kept as clinical by the engine (list or patterns). A low "
                      "share means the engine meets that pack's wording for the first time."),
            Table("Bundled engine vocabulary vs each pack", ("pack", "pack words", "listed", "shared", "share of pack"),
                  tuple(rows), (False, True, True, True, True))]
