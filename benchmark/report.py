"""Render a benchmark ``results`` dict (schema ``phiphantom.bench/1``) as report.md and report.html.

The report is first built as a list of simple blocks (headings, facts, tables,
plots, a thumbnail grid); one renderer turns the blocks into Markdown, another
into one self-contained HTML file (inline CSS, images as ``data:`` URIs, no
scripts, no external resources). Text that comes from the results (engine
names, error messages, stratum keys) is escaped by the renderers, never
trusted. Nothing time-dependent is added: the same input gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from phiphantom.core.vocabulary import CONTRAST_BANDS, FONT_PX_BANDS, LEAK_KINDS

from . import plots

SCHEMA = "phiphantom.bench/1"
MAX_ERRORS = 20
MAX_MESSAGE_CHARS = 300

STRATUM_ORDER: dict[str, tuple[str, ...]] = {
    "font_px": FONT_PX_BANDS,
    "contrast": CONTRAST_BANDS,
    "cine": ("single", "cine"),
    "location_kind": LEAK_KINDS,
}
DIMENSION_ORDER = ("phi_category", "font_px", "contrast", "layout", "cine", "transfer_syntax")
LEAK_DIMENSION_ORDER = ("location_kind", "cine", "transfer_syntax")
DIMENSION_NAMES = {
    "phi_category": "PHI category",
    "font_px": "font size band (px)",
    "contrast": "contrast band",
    "layout": "layout",
    "cine": "single frame / cine",
    "transfer_syntax": "transfer syntax",
    "location_kind": "location kind",
}


@dataclass(frozen=True)
class Thumbnail:
    """One before/after pair for the report's thumbnail grid (synthetic PHI only)."""

    engine: str
    file_label: str        # e.g. "file-0003 frame 0" (never a path)
    before_png: bytes      # input frame (PNG bytes, already downscaled by the caller, max ~320 px wide)
    after_png: bytes       # the engine's output frame, same size


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = ""          # "" | "note" | "warning"


@dataclass(frozen=True)
class Facts:
    """Label/value pairs: a bullet list in Markdown, a definition list in HTML."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]   # right-align these columns
    empty_text: str = "none"


@dataclass(frozen=True)
class Plot:
    """A figure (HTML only)."""

    png: bytes
    alt: str
    caption: str


@dataclass(frozen=True)
class ThumbnailGrid:
    """Before/after thumbnails (HTML only; Markdown gets a pointer to the HTML)."""

    thumbnails: tuple[Thumbnail, ...]


Block = Union[Heading, Paragraph, Facts, Table, Plot, ThumbnailGrid]


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


def one_line(text: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Collapse whitespace (messages may span lines) and cut long text."""
    flat = " ".join(str(text if text is not None else "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- reading results


def engines_of(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The engine entries that are objects (anything else is ignored)."""
    return [e for e in results.get("engines") or [] if isinstance(e, Mapping)]


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
                  for name, e in zip(plot_names(engines), engines)}
    keys = ordered((k for cells in per_engine.values() for k in cells), STRATUM_ORDER.get(dimension, ()))
    series = {name: [as_number(cell_parts(cells.get(k))[1]) for k in keys]
              for name, cells in per_engine.items() if cells}
    return keys, series


# --------------------------------------------------------------------------- building blocks


def header_blocks(results: Mapping[str, Any]) -> list[Block]:
    """Title, warnings, dataset summary and settings."""
    dataset = results.get("dataset") if isinstance(results.get("dataset"), Mapping) else {}
    settings = results.get("settings") if isinstance(results.get("settings"), Mapping) else {}
    blocks: list[Block] = [Heading(1, "PHI Phantom benchmark report")]
    if results.get("schema") != SCHEMA:
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
    "#", "engine", "box recall ↑", "frame recall ↑", "residual re-OCR PHI ↓", "clinical preservation ↑",
    "image damage ↓", "tag coverage ↑", "leaks ↓", "conformance ↑", "required retained ↑", "MIDI-B-style score ↑",
    "valid files ↑",
    "pseudonym consistency ↑", "UID consistency ↑", "date consistency ↑", "files/s ↑", "frames/s ↑",
    "p95 latency ↓", "start-up ↓", "failed files ↓",
)


def leaderboard_row(rank: int, engine: Mapping[str, Any]) -> tuple[str, ...]:
    """One leaderboard row, formatted."""
    m = lambda key: metric(engine, key)  # noqa: E731 - a short local accessor
    return (
        str(rank), engine_name(engine), fmt_ratio(m("box_recall")), fmt_ratio(m("frame_recall")),
        fmt_residual(m("residual_phi_boxes"), m("residual_phi_rate")), fmt_ratio(m("clinical_preservation")),
        fmt_percent(m("image_damage")), fmt_ratio(m("tag_coverage")), fmt_count(m("leaks")),
        fmt_ratio(m("conformance")), fmt_ratio(m("required_retained")), fmt_ratio(m("midi_b_score")),
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

    kind_maps = [e.get("leaks_by_kind") if isinstance(e.get("leaks_by_kind"), Mapping) else {} for e in engines]
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
    description = engine.get("description") if isinstance(engine.get("description"), Mapping) else {}
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
    if as_number(m("detection_precision")) is not None or as_number(m("detection_recall")) is not None:
        items += [("Detection precision", fmt_ratio(m("detection_precision"))),
                  ("Detection recall", fmt_ratio(m("detection_recall")))]
    return Facts(tuple(items))


def leaks_by_kind_block(engine: Mapping[str, Any]) -> Table:
    kinds = engine.get("leaks_by_kind") if isinstance(engine.get("leaks_by_kind"), Mapping) else {}
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
    strata_tables = recall_strata_blocks(engine) + leak_strata_blocks(engine)
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
    blocks += [Heading(2, "Leaderboard"), leaderboard_block(engines)]
    blocks += plot_blocks(engines)
    blocks += thumbnail_blocks(thumbnails)
    for rank, engine in enumerate(engines, 1):
        blocks += engine_blocks(rank, engine)
    return blocks


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")


def md_escape(text: str) -> str:
    """Escape Markdown emphasis/link/table characters and HTML-special characters in inline text."""
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line(text, 10_000))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_table(table: Table) -> str:
    lines = [f"**{md_escape(table.caption)}**", ""]
    if not table.rows:
        return "\n".join(lines + [f"_{md_escape(table.empty_text)}_"])
    lines.append("| " + " | ".join(md_escape(h) for h in table.headers) + " |")
    lines.append("|" + "|".join("---:" if num else "---" for num in table.numeric) + "|")
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def md_block(block: Block) -> str:
    """One block as Markdown (figures become a pointer to report.html)."""
    if isinstance(block, Heading):
        return "#" * block.level + " " + md_escape(block.text)
    if isinstance(block, Paragraph):
        prefix = {"warning": "> **Warning:** ", "note": "> "}.get(block.kind, "")
        return prefix + md_escape(block.text)
    if isinstance(block, Facts):
        return "\n".join(f"- **{md_escape(label)}:** {md_escape(value)}" for label, value in block.items)
    if isinstance(block, Table):
        return md_table(block)
    if isinstance(block, Plot):
        return f"_Figure: {md_escape(block.caption)} (see report.html)._"
    if isinstance(block, ThumbnailGrid):
        return f"_{len(block.thumbnails)} before/after thumbnail pairs are shown in report.html._"
    raise TypeError(f"unknown block {type(block).__name__}")


def render_markdown(blocks: Sequence[Block]) -> str:
    """The whole report as Markdown text."""
    return "\n\n".join(md_block(b) for b in blocks) + "\n"


# --------------------------------------------------------------------------- HTML

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .3rem; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid #bbb; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; margin: .8rem 0 1.2rem; }
table { border-collapse: collapse; font-size: .85rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; vertical-align: top; }
thead th { background: #eef1f5; }
tbody th { text-align: left; font-weight: 500; background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note { color: #444; font-style: italic; }
p.warning { background: #fff3cd; border: 1px solid #e0b800; padding: .5rem .8rem; }
figure.plot { margin: 1rem 0 2rem; }
figure.plot img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .9rem; color: #333; margin-top: .3rem; }
.thumbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 1rem; }
.thumb { border: 1px solid #ccc; padding: .5rem; margin: 0; }
.pair { display: flex; gap: .4rem; }
.pair div { flex: 1; text-align: center; font-size: .8rem; }
.pair img { max-width: 100%; height: auto; image-rendering: auto; background: #000; }
"""


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or ``None`` if ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def html_img(data: bytes, alt: str) -> str:
    """An inline ``<img>`` with a PNG data URI, or the alt text when ``data`` is not a PNG."""
    size = png_size(data)
    if size is None:
        return f'<span class="note">{esc(alt)} (image unavailable)</span>'
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{esc(alt)}" width="{size[0]}" height="{size[1]}">'


def html_table(table: Table) -> str:
    if not table.rows:
        return f'<p><strong>{esc(table.caption)}</strong>: <em>{esc(table.empty_text)}</em></p>'
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in table.headers)
    body = []
    for row in table.rows:
        cells = []
        for i, (cell, numeric) in enumerate(zip(row, table.numeric)):
            if i == 0 and not numeric:
                cells.append(f'<th scope="row">{esc(cell)}</th>')
            else:
                cells.append(f'<td class="num">{esc(cell)}</td>' if numeric else f"<td>{esc(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table><caption>{esc(table.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table></div>")


def html_thumbnails(grid: ThumbnailGrid) -> str:
    figures = []
    for thumb in grid.thumbnails:
        label = f"{one_line(thumb.engine, 120)}: {one_line(thumb.file_label, 120)}"
        figures.append(
            '<figure class="thumb"><div class="pair">'
            f"<div>{html_img(thumb.before_png, f'Before de-identification, {label} (synthetic PHI)')}<br>before</div>"
            f"<div>{html_img(thumb.after_png, f'After de-identification by {label}')}<br>after</div>"
            f"</div><figcaption>{esc(label)}</figcaption></figure>")
    return '<div class="thumbs">\n' + "\n".join(figures) + "\n</div>"


def html_block(block: Block) -> str:
    """One block as HTML."""
    if isinstance(block, Heading):
        return f"<h{block.level}>{esc(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        css = f' class="{block.kind}"' if block.kind else ""
        return f"<p{css}>{esc(block.text)}</p>"
    if isinstance(block, Facts):
        items = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in block.items)
        return f'<dl class="facts">{items}</dl>'
    if isinstance(block, Table):
        return html_table(block)
    if isinstance(block, Plot):
        return (f'<figure class="plot">{html_img(block.png, block.alt)}'
                f"<figcaption>{esc(block.caption)}</figcaption></figure>")
    if isinstance(block, ThumbnailGrid):
        return html_thumbnails(block)
    raise TypeError(f"unknown block {type(block).__name__}")


def render_html(blocks: Sequence[Block]) -> str:
    title = next((b.text for b in blocks if isinstance(b, Heading)), "PHI Phantom benchmark report")
    body = "\n".join(html_block(b) for b in blocks)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            f"{body}\n</main>\n</body>\n</html>\n")


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
