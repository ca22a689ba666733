"""The benchmark report as blocks: headings, paragraphs, facts, tables, plots, a thumbnail grid.

``report.py`` builds a report as a list of these blocks from a ``results`` dict;
``report_markdown.py`` and ``report_html.py`` each turn the same blocks into one
format. Blocks hold plain text: the renderers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Block",
    "Facts",
    "Heading",
    "MAX_MESSAGE_CHARS",
    "Paragraph",
    "Plot",
    "Table",
    "Thumbnail",
    "ThumbnailGrid",
    "one_line",
]

MAX_MESSAGE_CHARS = 300


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


Block = Heading | Paragraph | Facts | Table | Plot | ThumbnailGrid


def one_line(text: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Collapse whitespace (messages may span lines) and cut long text."""
    flat = " ".join(str(text if text is not None else "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
