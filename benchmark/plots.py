"""Figures for the benchmark report, as deterministic PNG bytes.

Every function takes plain data (labels and numbers already pulled out of
``results.json`` by :mod:`phiphantom.benchmark.report`), draws on its own
:class:`matplotlib.figure.Figure` (no pyplot, no global backend switch) under a
fixed style, and returns PNG bytes. The style and rcParams are applied with
context managers, so the caller's matplotlib settings are left as they were,
and the same input gives byte-identical output (no timestamp or software tag
in the PNG metadata).

``None`` in a series means "not measured": the point or bar is left out and
marked ``n/a``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # matplotlib >= 3.9; annotations only

P = ParamSpec("P")

DPI = 100
MAX_LABEL_CHARS = 28
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
_HATCHES = ("", "//", "..", "xx", "\\\\", "++")

_RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",   # bundled with matplotlib: same glyphs everywhere
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "phiphantom",   # stable ids should anyone save these figures as SVG
    "svg.fonttype": "path",
    "text.usetex": False,
}


def _styled(draw: Callable[P, bytes]) -> Callable[P, bytes]:
    """Run a figure function under the default style plus ``_RC``, restoring the caller's rcParams."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> bytes:
        with matplotlib.style.context("default"), matplotlib.rc_context(_RC):
            return draw(*args, **kwargs)

    return wrapper


def plot_label(text: str) -> str:
    """Make a results-provided string safe as a matplotlib label: no mathtext, not hidden, not too long."""
    text = " ".join(str(text).split())
    if len(text) > MAX_LABEL_CHARS:
        text = text[: MAX_LABEL_CHARS - 1] + "…"
    text = text.replace("$", r"\$")            # '$…$' would be parsed as mathtext
    if text.startswith("_"):                   # legend entries starting with '_' are hidden
        text = " " + text
    return text or "(unnamed)"


def engine_color(index: int) -> tuple[float, float, float, float]:
    """The colour of the ``index``-th engine (tab10, cycling)."""
    return matplotlib.colormaps["tab10"](index % 10)


def _png(fig: Figure) -> bytes:
    """Render ``fig`` with Agg to PNG bytes without volatile metadata."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight",
                facecolor="white")
    return buffer.getvalue()


def _as_array(values: Sequence[float | None]) -> np.ndarray:
    """Series values as floats, ``None`` as NaN."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _legend_outside(ax, n_entries: int) -> None:
    """Put the legend to the right of the axes so it never hides data."""
    if n_entries:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)


@_styled
def recall_lines_png(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                     title: str, xlabel: str, ylabel: str = "box recall") -> bytes:
    """One line per engine over ordered categories (e.g. font size bands); y from 0 to 1."""
    fig = Figure(figsize=(8.0, 4.0))
    ax = fig.add_subplot()
    x = np.arange(len(x_labels))
    for i, (engine, values) in enumerate(series.items()):
        y = _as_array(values)
        ax.plot(x, y, marker=_MARKERS[i % len(_MARKERS)], color=engine_color(i),
                linestyle="-" if i < 10 else "--", label=plot_label(engine))
    ax.set_xticks(x, [plot_label(label) for label in x_labels])
    ax.set_ylim(-0.02, 1.05)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend_outside(ax, len(series))
    return _png(fig)


@_styled
def grouped_bars_png(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                     title: str, ylabel: str) -> bytes:
    """Grouped vertical bars: one group per category, one bar per engine; y from 0 to 1."""
    n_engines = max(len(series), 1)
    fig = Figure(figsize=(max(8.0, 0.25 * n_engines * len(x_labels) + 2.0), 4.5))
    ax = fig.add_subplot()
    x = np.arange(len(x_labels))
    width = 0.8 / n_engines
    for i, (engine, values) in enumerate(series.items()):
        offsets = x - 0.4 + width * (i + 0.5)
        y = _as_array(values)
        measured = ~np.isnan(y)
        ax.bar(offsets[measured], y[measured], width=width, color=engine_color(i),
               hatch=_HATCHES[(i // 10) % len(_HATCHES)], label=plot_label(engine))
        for xpos in offsets[~measured]:
            ax.text(xpos, 0.01, "n/a", rotation=90, ha="center", va="bottom", fontsize=6, color="0.4")
    ax.set_xticks(x, [plot_label(label) for label in x_labels], rotation=30, ha="right")
    ax.set_ylim(0.0, 1.05)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    _legend_outside(ax, len(series))
    return _png(fig)


def _short_number(value: float) -> str:
    """A bar label: 1 decimal from 10 up, 2 below."""
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _annotated_hbars(ax, engines: Sequence[str], values: Sequence[float | None], title: str) -> None:
    """Horizontal bars, one per engine, each labelled with its value or ``n/a`` (y axis not yet inverted)."""
    y = np.arange(len(engines))
    data = _as_array(values)
    top = np.nanmax(data) if np.any(~np.isnan(data)) else 0.0
    ax.barh(y, np.nan_to_num(data), color=[engine_color(i) for i in range(len(engines))])
    for ypos, value in zip(y, data, strict=False):
        text = "n/a" if np.isnan(value) else _short_number(value)
        ax.text(0 if np.isnan(value) else value, ypos, " " + text, va="center", fontsize=8)
    ax.set_yticks(y, [plot_label(e) for e in engines])
    ax.set_xlim(0, top * 1.25 if top > 0 else 1.0)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)


@_styled
def throughput_png(engines: Sequence[str], files_per_s: Sequence[float | None],
                   frames_per_s: Sequence[float | None]) -> bytes:
    """Two bar panels side by side: files/s and frames/s per engine."""
    fig = Figure(figsize=(9.0, 1.6 + 0.35 * len(engines)), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    _annotated_hbars(left, engines, files_per_s, "files / s")
    _annotated_hbars(right, engines, frames_per_s, "frames / s")
    left.invert_yaxis()   # shared y: inverting once puts the first engine on top in both panels
    fig.suptitle("Throughput (higher is faster)")
    return _png(fig)


@_styled
def stacked_hbars_png(engines: Sequence[str], segments: Mapping[str, Sequence[float]], *,
                      title: str, xlabel: str) -> bytes:
    """One horizontal bar per engine, split into coloured segments (e.g. leaks by location kind)."""
    fig = Figure(figsize=(9.0, 1.6 + 0.35 * len(engines)))
    ax = fig.add_subplot()
    y = np.arange(len(engines))
    left = np.zeros(len(engines))
    colours = matplotlib.colormaps["tab10"]
    for k, (segment, values) in enumerate(segments.items()):
        widths = np.nan_to_num(_as_array(values))
        ax.barh(y, widths, left=left, color=colours(k % 10), hatch=_HATCHES[(k // 10) % len(_HATCHES)],
                label=plot_label(segment))
        left += widths
    for ypos, total in zip(y, left, strict=False):
        ax.text(total, float(ypos), f" {total:,.0f}", va="center", fontsize=8)
    ax.set_yticks(y, [plot_label(e) for e in engines])
    ax.invert_yaxis()
    top = float(left.max()) if len(left) else 0.0
    ax.set_xlim(0, top * 1.15 if top > 0 else 1.0)
    if top == 0:
        ax.text(0.5, 0.5, "no leaks found", transform=ax.transAxes, ha="center", va="center",
                fontsize=12, color="0.3")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    _legend_outside(ax, len(segments))
    return _png(fig)
