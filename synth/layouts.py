"""Vendor-like screen layouts: where the image sits and where each text block goes.

A layout takes the frame size, the text lines and the text styles and returns a
:class:`LayoutPlan`: the image rectangle (the ultrasound image area; the rest
of the screen is black UI area) and blocks of lines anchored at pixel
positions. :func:`place` turns blocks into exact ink boxes.

Layouts (``LAYOUTS``): ``banner`` (one top line), ``top_left_block``,
``split_top`` (top-left + top-right), ``left_column``, ``bottom_bar``,
``mixed`` (top, bottom and side) and ``region_corner`` (text in the corners of
the image rectangle, outside a sector fan). ``COMPACT_LAYOUTS`` adds ``top_stack``
(patient lines stacked over the full width) for frames too small for any of those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .overlay_content import TextLine, TextRun, TextState
from .text_raster import Glyphs, line_metrics, rasterise

Align = Literal["left", "right"]


class LayoutError(ValueError):
    """The text does not fit this layout at this size."""


@dataclass(frozen=True)
class Style:
    """How a block's text is drawn."""

    font: str
    size: int
    antialias: bool
    colour_name: str
    rgb: tuple[int, int, int]
    plate_rgb: tuple[int, int, int] | None = None
    low_contrast: bool = False
    letter_spacing_px: int = 0  # extra pixels after each character (style packs; 0: the font's own spacing)

    @property
    def line_height(self) -> int:
        ascent, descent = line_metrics(self.font, self.size)
        return ascent + descent + max(2, self.size // 5)

    def gap(self, wide: bool = False) -> int:
        """Horizontal gap between runs (ink to ink): a space, or an item separator."""
        return max(3, int(self.size * (1.6 if wide else 0.45)))


@dataclass
class Block:
    """Lines of text anchored at (x, y); ``align='right'`` anchors the right edge."""

    region: str
    lines: list[TextLine]
    x: int
    y: int
    style: Style
    align: Align = "left"
    over_image: bool = False
    wide_gaps: bool = False


@dataclass
class LayoutPlan:
    name: str
    width: int
    height: int
    image_rect: tuple[int, int, int, int]  # x0, y0, x1, y1 (half-open)
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class PlacedBox:
    """One ground-truth box: a run's state drawn with its tight ink box ``[x0, y0, x0+w, y0+h)``."""

    run: TextRun
    state: TextState
    glyphs: Glyphs
    x0: int
    y0: int
    style: Style
    region: str
    over_image: bool

    @property
    def x1(self) -> int:
        return self.x0 + self.glyphs.width

    @property
    def y1(self) -> int:
        return self.y0 + self.glyphs.height


# -- measuring -----------------------------------------------------------
def _run_extent(run: TextRun, style: Style) -> tuple[int, int, list[Glyphs]]:
    """(min ink offset from origin, ink width over all states, glyphs per state)."""
    spacing = (style.letter_spacing_px,) if style.letter_spacing_px else ()  # classic: the call it always made
    glyphs = [rasterise(s.text, style.font, style.size, style.antialias, *spacing) for s in run.states]
    left = min(g.dx for g in glyphs)
    right = max(g.dx + g.width for g in glyphs)
    return left, right - left, glyphs


def _gap_after(run: TextRun, style: Style, wide: bool) -> int:
    """A label sits a space before its value; items of a merged line are further apart."""
    return style.gap(wide and run.category != "label")


def line_width(line: TextLine, style: Style, wide: bool = False) -> int:
    if not line.runs:
        return 0
    widths = sum(_run_extent(r, style)[1] for r in line.runs)
    return widths + sum(_gap_after(r, style, wide) for r in line.runs[:-1])


def block_size(lines: list[TextLine], style: Style, wide: bool = False) -> tuple[int, int]:
    """(width, height) a block of lines needs."""
    if not lines:
        return 0, 0
    return max(line_width(ln, style, wide) for ln in lines), style.line_height * len(lines)


def place(block: Block) -> list[PlacedBox]:
    """Exact ink boxes of every run state in ``block``."""
    style = block.style
    boxes: list[PlacedBox] = []
    for i, line in enumerate(block.lines):
        origin_y = block.y + i * style.line_height
        cursor = block.x - (line_width(line, style, block.wide_gaps) if block.align == "right" else 0)
        for run in line.runs:
            left, width, glyphs = _run_extent(run, style)
            origin_x = cursor - left
            for state, g in zip(run.states, glyphs, strict=False):
                boxes.append(PlacedBox(run, state, g, origin_x + g.dx, origin_y + g.dy, style, block.region,
                                       block.over_image))
            cursor += width + _gap_after(run, style, block.wide_gaps)
    return boxes


# -- layouts -------------------------------------------------------------
@dataclass
class LayoutInput:
    width: int
    height: int
    patient: dict[str, TextLine]      # keyed lines from overlay_content.phi_lines
    clinical: list[TextLine]
    extras: list[TextLine]            # e.g. a frame counter line
    phi_style: Style
    clinical_style: Style
    rng: np.random.Generator
    sector: bool                      # the source image is a fan (convex/phased)

    @property
    def pad(self) -> int:
        return max(4, self.width // 120)


def _ordered(inp: LayoutInput, keys: tuple[str, ...]) -> list[TextLine]:
    return [inp.patient[k] for k in keys if k in inp.patient]


_PATIENT_ORDER = ("name", "patient_id", "birth_date", "age_sex", "date_time", "institution", "accession",
                  "physician", "operator")


def _merge(lines: list[TextLine]) -> TextLine:
    return TextLine([run for ln in lines for run in ln.runs])


def _right_column(inp: LayoutInput, top: int, bottom: int | None = None) -> tuple[Block, int]:
    """Clinical parameters in a right-hand column from ``top`` to at most ``bottom``; the block and its width."""
    lines = inp.clinical + inp.extras
    w, h = block_size(lines, inp.clinical_style)
    if top + h > (inp.height - inp.pad if bottom is None else bottom):
        raise LayoutError("right column too tall")
    return Block("right_column", lines, inp.width - inp.pad, top, inp.clinical_style, align="right"), w + 2 * inp.pad


def _check_rect(inp: LayoutInput, rect: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = rect
    if x1 - x0 < inp.width * 0.45 or y1 - y0 < inp.height * 0.5:
        raise LayoutError("text leaves too little room for the image")
    return rect


def banner(inp: LayoutInput) -> LayoutPlan:
    """One top line with the patient items side by side (drops optional items until it fits)."""
    keys = ["name", "patient_id", "birth_date", "date_time", "institution", "age_sex", "accession"]
    lines = _ordered(inp, tuple(keys))
    while len(lines) > 3 and line_width(_merge(lines), inp.phi_style, wide=True) > inp.width - 2 * inp.pad:
        lines.pop()
    merged = _merge(lines)
    if line_width(merged, inp.phi_style, wide=True) > inp.width - 2 * inp.pad:
        raise LayoutError("banner too wide")
    top = inp.pad + inp.phi_style.line_height + inp.pad
    col, col_w = _right_column(inp, top + inp.pad)
    rect = _check_rect(inp, (inp.pad, top, inp.width - col_w, inp.height - inp.pad))
    blocks = [Block("banner", [merged], inp.pad, inp.pad, inp.phi_style, wide_gaps=True), col]
    return LayoutPlan("banner", inp.width, inp.height, rect, blocks)


def top_left_block(inp: LayoutInput) -> LayoutPlan:
    lines = _ordered(inp, _PATIENT_ORDER)
    w, h = block_size(lines, inp.phi_style)
    if h > inp.height - 2 * inp.pad:
        raise LayoutError("top left block too tall")
    col, col_w = _right_column(inp, inp.pad)
    rect = _check_rect(inp, (w + 2 * inp.pad, inp.pad, inp.width - col_w, inp.height - inp.pad))
    return LayoutPlan("top_left_block", inp.width, inp.height, rect,
                      [Block("top_left", lines, inp.pad, inp.pad, inp.phi_style), col])


def split_top(inp: LayoutInput) -> LayoutPlan:
    left = _ordered(inp, ("name", "patient_id", "birth_date", "age_sex"))
    right = _ordered(inp, ("date_time", "institution", "accession"))
    lw, lh = block_size(left, inp.phi_style)
    rw, rh = block_size(right, inp.phi_style)
    if lw + rw + 4 * inp.pad > inp.width:
        raise LayoutError("split top too wide")
    top = max(lh, rh) + 2 * inp.pad
    col, col_w = _right_column(inp, top + inp.pad)
    rest = _ordered(inp, ("physician", "operator"))
    blocks = [Block("top_left", left, inp.pad, inp.pad, inp.phi_style),
              Block("top_right", right, inp.width - inp.pad, inp.pad, inp.phi_style, align="right"), col]
    bottom = inp.height - inp.pad
    if rest:
        _, bh = block_size(rest, inp.phi_style)
        bottom = inp.height - bh - 2 * inp.pad
        if bottom < top:
            raise LayoutError("split top and bottom blocks overlap")
        blocks.append(Block("bottom_left", rest, inp.pad, bottom + inp.pad, inp.phi_style))
    rect = _check_rect(inp, (inp.pad, top, inp.width - col_w, bottom))
    return LayoutPlan("split_top", inp.width, inp.height, rect, blocks)


def left_column(inp: LayoutInput) -> LayoutPlan:
    patient = _ordered(inp, _PATIENT_ORDER)
    clinical = inp.clinical + inp.extras
    pw, ph = block_size(patient, inp.phi_style)
    cw, ch = block_size(clinical, inp.clinical_style)
    if ph + ch + 3 * inp.pad > inp.height:
        raise LayoutError("left column too tall")
    width = max(pw, cw) + 2 * inp.pad
    rect = _check_rect(inp, (width, inp.pad, inp.width - 4 * inp.pad - 3 * inp.clinical_style.size,
                             inp.height - inp.pad))
    blocks = [Block("left_column", patient, inp.pad, inp.pad, inp.phi_style),
              Block("left_column_clinical", clinical, inp.pad, inp.height - inp.pad - ch, inp.clinical_style)]
    return LayoutPlan("left_column", inp.width, inp.height, rect, blocks)


def bottom_bar(inp: LayoutInput) -> LayoutPlan:
    first = _ordered(inp, ("name", "patient_id", "birth_date", "age_sex"))
    second = _ordered(inp, ("date_time", "institution", "accession", "operator", "physician"))
    lines = [_merge(first), _merge(second)]
    while len(second) > 1 and line_width(lines[1], inp.phi_style, wide=True) > inp.width - 2 * inp.pad:
        second.pop()
        lines[1] = _merge(second)
    while len(first) > 2 and line_width(lines[0], inp.phi_style, wide=True) > inp.width - 2 * inp.pad:
        first.pop()
        lines[0] = _merge(first)
    if max(line_width(ln, inp.phi_style, wide=True) for ln in lines) > inp.width - 2 * inp.pad:
        raise LayoutError("bottom bar too wide")
    bar_h = 2 * inp.phi_style.line_height + 2 * inp.pad
    col, col_w = _right_column(inp, inp.pad, inp.height - bar_h)
    rect = _check_rect(inp, (inp.pad, inp.pad, inp.width - col_w, inp.height - bar_h))
    blocks = [Block("bottom_bar", lines, inp.pad, inp.height - bar_h + inp.pad, inp.phi_style, wide_gaps=True), col]
    return LayoutPlan("bottom_bar", inp.width, inp.height, rect, blocks)


def mixed(inp: LayoutInput) -> LayoutPlan:
    tl = _ordered(inp, ("name", "patient_id"))
    tr = _ordered(inp, ("date_time", "institution"))
    bl = _ordered(inp, ("birth_date", "age_sex", "accession", "physician", "operator"))
    tlw, tlh = block_size(tl, inp.phi_style)
    trw, trh = block_size(tr, inp.phi_style)
    if tlw + trw + 4 * inp.pad > inp.width:
        raise LayoutError("mixed top too wide")
    top = max(tlh, trh) + 2 * inp.pad
    blw, blh = block_size(bl, inp.phi_style)
    if bl and top + blh + inp.pad > inp.height - inp.pad:
        raise LayoutError("mixed left block too tall")
    col, col_w = _right_column(inp, top + inp.pad)
    left_w = blw + 2 * inp.pad if bl else inp.pad
    blocks = [Block("top_left", tl, inp.pad, inp.pad, inp.phi_style),
              Block("top_right", tr, inp.width - inp.pad, inp.pad, inp.phi_style, align="right"), col]
    if bl:
        blocks.append(Block("bottom_left", bl, inp.pad, inp.height - inp.pad - blh, inp.phi_style))
    rect = _check_rect(inp, (left_w, top, inp.width - col_w, inp.height - inp.pad))
    return LayoutPlan("mixed", inp.width, inp.height, rect, blocks)


def region_corner(inp: LayoutInput) -> LayoutPlan:
    """GE-like: patient text inside the image rectangle's top corners, outside the fan."""
    if not inp.sector:
        raise LayoutError("region_corner needs a sector (fan) image")
    left = _ordered(inp, ("name", "patient_id", "birth_date"))
    right = _ordered(inp, ("date_time", "institution"))
    rest = _ordered(inp, ("age_sex", "accession", "physician", "operator"))
    col, col_w = _right_column(inp, inp.pad + inp.height // 3)
    rect = (inp.pad, inp.pad, inp.width - col_w, inp.height - inp.pad)
    lw, rw = block_size(left, inp.phi_style)[0], block_size(right, inp.phi_style)[0]
    if max(lw, rw) > 0.35 * (rect[2] - rect[0]):  # wider blocks reach into the fan below its apex
        raise LayoutError("region corner blocks too wide")
    blocks = [Block("region_corner", left, rect[0] + inp.pad, rect[1] + inp.pad, inp.phi_style),
              Block("region_corner", right, rect[2] - inp.pad, rect[1] + inp.pad, inp.phi_style, align="right"), col]
    if rest:
        _, rh = block_size(rest, inp.phi_style)
        _, lh = block_size(left, inp.phi_style)
        if rect[1] + 2 * inp.pad + lh > rect[3] - 2 * inp.pad - rh:
            raise LayoutError("region corner blocks overlap")
        blocks.append(Block("region_corner", rest, rect[0] + inp.pad, rect[3] - inp.pad - rh, inp.phi_style))
    return LayoutPlan("region_corner", inp.width, inp.height, _check_rect(inp, rect), blocks)


def top_stack(inp: LayoutInput) -> LayoutPlan:
    """A small screen's layout: the patient lines stacked over the full width at the top, the image below."""
    lines = _ordered(inp, _PATIENT_ORDER)
    w, h = block_size(lines, inp.phi_style)
    if w > inp.width - 2 * inp.pad:
        raise LayoutError("top stack too wide")
    top = h + 2 * inp.pad
    blocks = [Block("top_left", lines, inp.pad, inp.pad, inp.phi_style)]
    col_w = inp.pad
    if inp.clinical or inp.extras:
        col, col_w = _right_column(inp, top + inp.pad)
        blocks.append(col)
    rect = _check_rect(inp, (inp.pad, top, inp.width - col_w, inp.height - inp.pad))
    return LayoutPlan("top_stack", inp.width, inp.height, rect, blocks)


LAYOUTS: dict[str, Callable[[LayoutInput], LayoutPlan]] = {
    "banner": banner,
    "top_left_block": top_left_block,
    "split_top": split_top,
    "left_column": left_column,
    "bottom_bar": bottom_bar,
    "mixed": mixed,
    "region_corner": region_corner,
}

#: Layouts tried only when a frame cannot hold any of ``LAYOUTS`` (small screens show fewer lines).
COMPACT_LAYOUTS: dict[str, Callable[[LayoutInput], LayoutPlan]] = {"top_stack": top_stack, **LAYOUTS}
