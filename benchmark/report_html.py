"""The benchmark report's HTML renderer: blocks (``report_blocks.py``) to one self-contained report.html.

Inline CSS, images as ``data:`` URIs, no scripts, no external resources; text
from the results is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from .report_blocks import Block, Facts, Heading, Paragraph, Plot, Table, ThumbnailGrid, one_line

__all__ = ["png_size", "render_html"]

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
        for i, (cell, numeric) in enumerate(zip(row, table.numeric, strict=False)):
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
