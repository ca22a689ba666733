"""Render a benchmark ``results`` dict (schema ``results_file.SCHEMA``) as report.md and report.html.

The report is first built as a list of simple blocks (headings, facts, tables,
plots, a thumbnail grid); one renderer turns the blocks into Markdown, another
into one self-contained HTML file (inline CSS, images as ``data:`` URIs, no
scripts, no external resources). Text that comes from the results (engine
names, error messages, stratum keys) is escaped by the renderers, never
trusted. Nothing time-dependent is added: the same input gives the same bytes.

This module reads the results and builds the blocks; the block types are in
``report_blocks.py``, the renderers in ``report_markdown.py`` and ``report_html.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from phiphantom.core.vocabulary import CONTRAST_BANDS, FONT_PX_BANDS, LEAK_KINDS

from . import plots
from .report_blocks import Block, Facts, Heading, Paragraph, Plot, Table, Thumbnail, ThumbnailGrid, one_line
from .report_html import render_html
from .report_markdown import render_markdown
from .results_file import READABLE_SCHEMAS, SCHEMA

MAX_ERRORS = 20

STRATUM_ORDER: dict[str, tuple[str, ...]] = {
    "font_px": FONT_PX_BANDS,
    "contrast": CONTRAST_BANDS,
    "cine": ("single", "cine"),
    "over_image": ("off the image", "over the image"),
    "location_kind": LEAK_KINDS,
}
DIMENSION_ORDER = ("phi_category", "font_px", "contrast", "layout", "over_image", "cine", "transfer_syntax")
LEAK_DIMENSION_ORDER = ("location_kind", "cine", "transfer_syntax")
DIMENSION_NAMES = {
    "phi_category": "PHI category",
    "font_px": "font size band (px)",
    "contrast": "contrast band",
    "layout": "layout",
    "cine": "single frame / cine",
    "over_image": "text over the image (gt over_image)",
    "transfer_syntax": "transfer syntax",
    "location_kind": "location kind",
}


# --------------------------------------------------------------------------- numbers


def as_number(value: Any) -> float | int | None:
    """A finite int/float from the results, else ``None`` (null, missing, bool, NaN, text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fmt_ratio(value: Any) -> str:
    """A share in [0, 1] with 3 decimals."""
    number = as_number(value)
    return "n/a" if number is None else f"{number:.3f}"


def fmt_percent(value: Any, digits: int = 2) -> str:
    """A share in [0, 1] as a percentage."""
    number = as_number(value)
    return "n/a" if number is None else f"{number * 100:.{digits}f}%"


def fmt_count(value: Any) -> str:
    """A whole count with thousands separators."""
    number = as_number(value)
    return "n/a" if number is None else f"{round(number):,}"


def fmt_speed(value: Any) -> str:
    """A rate such as files/s: 1 decimal from 10 up, 2 below."""
    number = as_number(value)
    if number is None:
        return "n/a"
    return f"{number:,.1f}" if abs(number) >= 10 else f"{number:.2f}"


def fmt_seconds(value: Any) -> str:
    """A duration in seconds."""
    number = as_number(value)
    if number is None:
        return "n/a"
    return f"{number:.1f} s" if abs(number) >= 10 else f"{number:.3f} s"


def fmt_auto(value: Any) -> str:
    """A stratum value: ints as counts, floats as ratios."""
    number = as_number(value)
    if number is None:
        return "n/a"
    return fmt_count(number) if isinstance(number, int) else fmt_ratio(number)


def fmt_residual(count: Any, rate: Any) -> str:
    """Residual re-OCR PHI boxes as ``count (rate%)``."""
    if as_number(count) is None and as_number(rate) is None:
        return "n/a"
    return f"{fmt_count(count)} ({fmt_percent(rate)})"


def fmt_setting(value: Any) -> str:
    """A setting or dataset field as short text."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


# --------------------------------------------------------------------------- reading results


def engines_of(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The engine entries that are objects (anything else is ignored)."""
    return [e for e in results.get("engines") or [] if isinstance(e, Mapping)]


def mapping_at(container: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``container[key]`` when it is an object, else an empty mapping."""
    value = container.get(key)
    return value if isinstance(value, Mapping) else {}


def engine_name(engine: Mapping[str, Any]) -> str:
    return one_line(engine.get("name") or engine.get("spec") or "(unnamed)", 120)


def metric(engine: Mapping[str, Any], key: str) -> Any:
    """``engine.metrics[key]`` or ``None``."""
    metrics = engine.get("metrics")
    return metrics.get(key) if isinstance(metrics, Mapping) else None


def leaderboard_order(engines: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Best box recall first, then fewer leaks; unmeasured values last; ties keep the input order."""

    def key(engine: Mapping[str, Any]) -> tuple[bool, float, bool, float]:
        recall = as_number(metric(engine, "box_recall"))
        leaks = as_number(metric(engine, "leaks"))
        return (recall is None, -(recall or 0.0), leaks is None, leaks or 0.0)

    return sorted(engines, key=key)


def strata_of(engine: Mapping[str, Any], family: str) -> dict[str, Mapping[str, Any]]:
    """``engine.strata[family]`` as {dimension: {stratum: cell}}, dropping malformed parts."""
    strata = engine.get("strata")
    family_strata = strata.get(family) if isinstance(strata, Mapping) else None
    if not isinstance(family_strata, Mapping):
        return {}
    return {str(dim): cells for dim, cells in family_strata.items() if isinstance(cells, Mapping) and cells}


def cell_parts(cell: Any) -> tuple[Any, Any]:
    """A stratum cell ``{"n": count, "value": x}`` as (n, value); a bare number as (None, value)."""
    if isinstance(cell, Mapping):
        return cell.get("n"), cell.get("value")
    return None, cell


def ordered(keys: Iterable[str], known: Sequence[str] = ()) -> list[str]:
    """Known keys in their documented order, then the others sorted."""
    present = list(dict.fromkeys(str(k) for k in keys))
    return [k for k in known if k in present] + sorted(k for k in present if k not in known)


def plot_names(engines: Sequence[Mapping[str, Any]]) -> list[str]:
    """Engine names for figure legends, made unique (``name (2)``) so no engine hides another."""
    names, seen = [], set()
    for engine in engines:
        name, n = engine_name(engine), 1
        while (name if n == 1 else f"{name} ({n})") in seen:
            n += 1
        names.append(name if n == 1 else f"{name} ({n})")
        seen.add(names[-1])
    return names


def stratum_values(engines: Sequence[Mapping[str, Any]], dimension: str) -> tuple[list[str], dict[str, list]]:
    """Box recall per stratum of ``dimension``: (stratum keys, {engine: values}); engines without it omitted."""
    per_engine = {name: strata_of(e, "box_recall").get(dimension, {})
                  for name, e in zip(plot_names(engines), engines, strict=False)}
    keys = ordered((k for cells in per_engine.values() for k in cells), STRATUM_ORDER.get(dimension, ()))
    series = {name: [as_number(cell_parts(cells.get(k))[1]) for k in keys]
              for name, cells in per_engine.items() if cells}
    return keys, series


# --------------------------------------------------------------------------- building blocks


def header_blocks(results: Mapping[str, Any]) -> list[Block]:
    """Title, warnings, dataset summary and settings."""
    dataset = mapping_at(results, "dataset")
    settings = mapping_at(results, "settings")
    blocks: list[Block] = [Heading(1, "PHI Phantom benchmark report")]
    if results.get("schema") not in READABLE_SCHEMAS:
        blocks.append(Paragraph(f"Unexpected results schema {fmt_setting(results.get('schema'))!s} "
                                f"(expected {SCHEMA}); the report may be incomplete.", "warning"))
    if results.get("include_phi"):
        blocks.append(Paragraph("These results were produced with --include-phi: file paths and error "
                                "messages are not redacted. Do not share this report.", "warning"))
    blocks += [
        Facts((("Created (UTC)", fmt_setting(results.get("created_utc"))),
               ("PHI Phantom version", fmt_setting(results.get("phiphantom_version"))),
               ("Schema", fmt_setting(results.get("schema"))))),
        Heading(2, "Dataset"),
        Facts((("Files", fmt_count(dataset.get("files"))),
               ("Frames", fmt_count(dataset.get("frames"))),
               ("PHI boxes", fmt_count(dataset.get("phi_boxes"))),
               ("Clinical boxes", fmt_count(dataset.get("clinical_boxes"))),
               ("Tag rows", fmt_count(dataset.get("tag_rows"))),
               ("Difficulty", fmt_setting(dataset.get("difficulty"))),
               ("Seed", fmt_setting(dataset.get("seed"))),
               ("Run id", fmt_setting(dataset.get("run_id"))),
               ("Manifest SHA-256", fmt_setting(dataset.get("manifest_sha256"))))),
        Heading(2, "Settings"),
        Facts(tuple((str(k), fmt_setting(v)) for k, v in settings.items()) or (("settings", "n/a"),)),
    ]
    return blocks


LEADERBOARD_HEADERS = (
    "#", "engine", "box recall ↑", "worst-style box recall ↑", "frame recall ↑", "residual re-OCR PHI ↓",
    "residual PHI tokens ↓", "clinical preservation ↑", "worst-style clinical preservation ↑", "image damage ↓",
    "tag coverage ↑", "leaks ↓", "whole-value leaks ↓",
    "conformance ↑", "required retained ↑", "MIDI-B-style score ↑",
    "valid files ↑",
    "pseudonym consistency ↑", "UID consistency ↑", "date consistency ↑", "files/s ↑", "frames/s ↑",
    "p95 latency ↓", "start-up ↓", "failed files ↓",
)


def leaderboard_row(rank: int, engine: Mapping[str, Any]) -> tuple[str, ...]:
    """One leaderboard row, formatted."""
    m = lambda key: metric(engine, key)  # noqa: E731 - a short local accessor
    return (
        str(rank), engine_name(engine), fmt_ratio(m("box_recall")), fmt_ratio(m("worst_style_box_recall")),
        fmt_ratio(m("frame_recall")), fmt_residual(m("residual_phi_boxes"), m("residual_phi_rate")),
        fmt_residual(m("residual_phi_tokens"), m("residual_phi_token_rate")), fmt_ratio(m("clinical_preservation")),
        fmt_ratio(m("worst_style_clinical_preservation")),
        fmt_percent(m("image_damage")), fmt_ratio(m("tag_coverage")), fmt_count(m("leaks")),
        fmt_count(m("leaks_whole_value")), fmt_ratio(m("conformance")), fmt_ratio(m("required_retained")),
        fmt_ratio(m("midi_b_score")),
        fmt_ratio(m("valid_files")),
        fmt_ratio(m("pseudonym_consistency")), fmt_ratio(m("uid_consistency")),
        fmt_ratio(m("date_interval_consistency")), fmt_speed(m("files_per_s")), fmt_speed(m("frames_per_s")),
        fmt_seconds(m("latency_p95_s")), fmt_seconds(m("startup_s")), fmt_count(m("files_failed")),
    )


def leaderboard_block(engines: Sequence[Mapping[str, Any]]) -> Table:
    """The leaderboard table (engines already in leaderboard order)."""
    numeric = tuple(h not in ("engine",) for h in LEADERBOARD_HEADERS)
    return Table("Leaderboard: sorted by box recall, then fewer leaks. ↑ higher is better, ↓ lower is better.",
                 LEADERBOARD_HEADERS, tuple(leaderboard_row(i, e) for i, e in enumerate(engines, 1)), numeric)


def plot_blocks(engines: Sequence[Mapping[str, Any]]) -> list[Block]:
    """The figures (engines in leaderboard order); a note instead of a figure that has no data."""
    names = plot_names(engines)
    blocks: list[Block] = [Heading(2, "Plots")]

    bands, series = stratum_values(engines, "font_px")
    if series:
        blocks.append(Plot(plots.recall_lines_png(bands, series, title="Box recall by font size",
                                                  xlabel="font size band (px)"),
                           alt=f"Line chart of box recall (0 to 1) by font size band ({', '.join(bands)} px), "
                               f"one line per engine: {', '.join(series)}. The numbers are in the strata "
                               "tables below.",
                           caption="Box recall by font size band"))
    else:
        blocks.append(Paragraph("Box recall by font size: no font size strata in these results.", "note"))

    categories, series = stratum_values(engines, "phi_category")
    if series:
        blocks.append(Plot(plots.grouped_bars_png(categories, series, title="Box recall by PHI category",
                                                  ylabel="box recall"),
                           alt=f"Grouped bar chart of box recall (0 to 1) for each PHI category "
                               f"({', '.join(categories)}), one bar per engine: {', '.join(series)}.",
                           caption="Box recall by PHI category"))
    else:
        blocks.append(Paragraph("Box recall by PHI category: no category strata in these results.", "note"))

    files = [as_number(metric(e, "files_per_s")) for e in engines]
    frames = [as_number(metric(e, "frames_per_s")) for e in engines]
    blocks.append(Plot(plots.throughput_png(names, files, frames),
                       alt="Bar charts of throughput per engine: files per second and frames per second "
                           "(values in the leaderboard).",
                       caption="Throughput"))

    kind_maps = [mapping_at(e, "leaks_by_kind") for e in engines]
    kinds = ordered((k for kinds_ in kind_maps for k in kinds_), LEAK_KINDS)
    if kinds:
        segments = {k: [as_number(m.get(k)) or 0 for m in kind_maps] for k in kinds}
        blocks.append(Plot(plots.stacked_hbars_png(names, segments, title="Header leaks by location kind",
                                                   xlabel="leaked output locations"),
                           alt="Stacked bar chart of header leaks per engine, split by location kind "
                               f"({', '.join(kinds)}); the counts are in each engine's leak table.",
                           caption="Leaks by location kind"))
    else:
        blocks.append(Paragraph("Leaks by location kind: not reported for any engine.", "note"))
    return blocks


def engine_fact_block(engine: Mapping[str, Any]) -> Facts:
    """Identity and the metrics that are not in the leaderboard."""
    description = mapping_at(engine, "description")
    m = lambda key: metric(engine, key)  # noqa: E731
    items = [
        ("Spec", one_line(engine.get("spec") or "n/a", 200)),
        ("Version", one_line(fmt_setting(description.get("version")), 1000)),  # exact versions: peers pin many
        ("Config", one_line(fmt_setting(description.get("config") or {}), 4000)),
        ("Label preservation", fmt_ratio(m("label_preservation"))),
        ("Files with leaks", fmt_count(m("files_with_leaks"))),
        ("MB/s", fmt_speed(m("mb_per_s"))),
        ("p50 latency", fmt_seconds(m("latency_p50_s"))),
        ("Peak RSS", "n/a" if as_number(m("peak_rss_mb")) is None else f"{as_number(m('peak_rss_mb')):,.0f} MB"),
    ]
    if as_number(m("graphics_preservation")) is not None:
        items.append(("Graphics preservation", fmt_ratio(m("graphics_preservation"))))
    if as_number(m("detection_precision")) is not None or as_number(m("detection_recall")) is not None:
        items += [("Detection precision", fmt_ratio(m("detection_precision"))),
                  ("Detection recall", fmt_ratio(m("detection_recall")))]
    return Facts(tuple(items))


def leaks_by_kind_block(engine: Mapping[str, Any]) -> Table:
    kinds = mapping_at(engine, "leaks_by_kind")
    rows = tuple((kind, fmt_count(kinds[kind])) for kind in ordered(kinds, LEAK_KINDS))
    return Table("Leaks by location kind", ("location kind", "leaks"), rows, (False, True), "not reported")


def conformance_block(engine: Mapping[str, Any]) -> Table:
    actions = engine.get("conformance_by_action")
    actions = actions if isinstance(actions, Mapping) else {}
    rows = []
    for action in ordered(actions):
        cell = actions[action] if isinstance(actions[action], Mapping) else {}
        total, honoured = as_number(cell.get("total")), as_number(cell.get("honoured"))
        share = honoured / total if total and honoured is not None else None
        rows.append((action, fmt_count(honoured), fmt_count(total), fmt_ratio(share)))
    return Table("Conformance by PS3.15 Annex E action", ("action", "honoured", "total", "share"), tuple(rows),
                 (False, True, True, True), "not reported")


def required_block(engine: Mapping[str, Any]) -> Table:
    attributes = engine.get("required_by_attribute")
    attributes = attributes if isinstance(attributes, Mapping) else {}
    rows = tuple((name, fmt_ratio(attributes[name])) for name in ordered(attributes))
    return Table("Required attributes retained", ("attribute", "share retained"), rows, (False, True),
                 "not reported")


def recall_strata_blocks(engine: Mapping[str, Any]) -> list[Table]:
    """Per dimension: PHI boxes, box recall and residual re-OCR PHI per stratum."""
    recall, residual = strata_of(engine, "box_recall"), strata_of(engine, "residual_phi")
    tables = []
    for dimension in ordered([*recall, *residual], DIMENSION_ORDER):
        r_cells, o_cells = recall.get(dimension, {}), residual.get(dimension, {})
        rows = []
        for key in ordered([*r_cells, *o_cells], STRATUM_ORDER.get(dimension, ())):
            n_recall, value = cell_parts(r_cells.get(key))
            n_residual, residual_value = cell_parts(o_cells.get(key))
            n = n_recall if as_number(n_recall) is not None else n_residual
            rows.append((key, fmt_count(n), fmt_ratio(value), fmt_auto(residual_value)))
        tables.append(Table(f"Box recall by {DIMENSION_NAMES.get(dimension, dimension)}",
                            (DIMENSION_NAMES.get(dimension, dimension), "PHI boxes", "box recall",
                             "residual re-OCR PHI"), tuple(rows), (False, True, True, True)))
    return tables


def leak_strata_blocks(engine: Mapping[str, Any]) -> list[Table]:
    """Per dimension: leaks per stratum."""
    leaks = strata_of(engine, "leaks")
    tables = []
    for dimension in ordered(leaks, LEAK_DIMENSION_ORDER):
        cells = leaks[dimension]
        rows = tuple((key, fmt_count(cell_parts(cells[key])[0]), fmt_auto(cell_parts(cells[key])[1]))
                     for key in ordered(cells, STRATUM_ORDER.get(dimension, ())))
        name = DIMENSION_NAMES.get(dimension, dimension)
        tables.append(Table(f"Leaks by {name} (strata)", (name, "n", "leaks"), rows, (False, True, True)))
    return tables


def errors_blocks(engine: Mapping[str, Any]) -> list[Block]:
    """The first ``MAX_ERRORS`` errors, and how many were left out."""
    errors = [e for e in engine.get("errors") or [] if isinstance(e, Mapping)]
    if not errors:
        return [Paragraph("No errors.")]
    rows = tuple((one_line(e.get("file") or "n/a", 80), one_line(e.get("error_class") or "n/a", 80),
                  one_line(e.get("message") or "")) for e in errors[:MAX_ERRORS])
    blocks: list[Block] = [Table(f"Errors ({len(errors)})", ("file", "error", "message"), rows,
                                 (False, False, False))]
    if len(errors) > MAX_ERRORS:
        blocks.append(Paragraph(f"… and {len(errors) - MAX_ERRORS} more errors not shown (see results.json).",
                                "note"))
    return blocks


def engine_blocks(rank: int, engine: Mapping[str, Any]) -> list[Block]:
    """The detail section of one engine."""
    blocks: list[Block] = [Heading(2, f"{rank}. {engine_name(engine)}"), engine_fact_block(engine),
                           Heading(3, "Leaks and conformance"), leaks_by_kind_block(engine),
                           conformance_block(engine)]
    if engine.get("required_by_attribute"):
        blocks.append(required_block(engine))
    blocks.append(Heading(3, "Strata"))
    from .report_styles import style_table  # it builds on this module's readers and formats

    strata_tables = style_table(engine) + recall_strata_blocks(engine) + leak_strata_blocks(engine)
    blocks += strata_tables or [Paragraph("No strata reported.", "note")]
    blocks.append(Heading(3, "Errors"))
    blocks += errors_blocks(engine)
    return blocks


def thumbnail_blocks(thumbnails: Sequence[Thumbnail]) -> list[Block]:
    if not thumbnails:
        return []
    return [Heading(2, "Before / after thumbnails"),
            Paragraph("These frames show synthetic PHI only: every name, date and number in them was "
                      "generated by PHI Phantom.", "note"),
            ThumbnailGrid(tuple(thumbnails))]


def report_blocks(results: Mapping[str, Any], thumbnails: Sequence[Thumbnail]) -> list[Block]:
    """The whole report as blocks."""
    blocks = header_blocks(results)
    engines = leaderboard_order(engines_of(results))
    if not engines:
        blocks.append(Heading(2, "Leaderboard"))
        blocks.append(Paragraph("These results contain no engines: nothing was benchmarked, so there is "
                                "nothing to rank or plot.", "warning"))
        return blocks
    from .report_styles import style_summary_blocks, vocabulary_blocks  # they build on this module

    blocks += [Heading(2, "Leaderboard"), leaderboard_block(engines)]
    blocks += style_summary_blocks(engines) + vocabulary_blocks(results)
    blocks += plot_blocks(engines)
    blocks += thumbnail_blocks(thumbnails)
    for rank, engine in enumerate(engines, 1):
        blocks += engine_blocks(rank, engine)
    return blocks


# --------------------------------------------------------------------------- entry point


def render_reports(results: dict, out_dir: Path, thumbnails: Sequence[Thumbnail] = ()) -> tuple[Path, Path]:
    """Write out_dir/report.md and out_dir/report.html; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = report_blocks(results, list(thumbnails))
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(render_markdown(blocks), encoding="utf-8", newline="\n")
    html_path.write_text(render_html(blocks), encoding="utf-8", newline="\n")
    return md_path, html_path
