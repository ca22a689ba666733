"""The benchmark report's Markdown renderer: blocks (``report_blocks.py``) to report.md text.

Text from the results is escaped (Markdown emphasis/link/table characters and
HTML-special characters); figures and thumbnails become a pointer to report.html.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .report_blocks import Block, Facts, Heading, Paragraph, Plot, Table, ThumbnailGrid, one_line

__all__ = ["md_escape", "render_markdown"]

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
