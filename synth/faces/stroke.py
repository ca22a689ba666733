"""Stroke (vector) faces: Hershey fonts from the ``hershey-fonts`` package drawn as lines.

Each glyph is a few polylines in Hershey units (y down; cap line -12, base line 9, descender 16).
They are drawn with Pillow lines at ``size_px / UNITS_PER_EM`` px per unit and a stroke width that
grows with the size; anti-aliased text is drawn 4x larger and box-averaged down. ASCII only.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from HersheyFonts import HersheyFonts
from PIL import Image, ImageDraw

from ..text_raster import EmptyInkError, Glyphs, crop_to_ink
from .base import Face, FaceInfo

#: Hershey units per em: the cap height (21 units) is then about 0.72 em, as in DejaVu Sans.
UNITS_PER_EM = 29
TOP = -16         # highest point of the ASCII glyphs
ORIGIN_TOP = TOP - 1  # the text origin's line top: one unit above, room for half a pen width
BASELINE = 9
BOTTOM = 16       # lowest point of descenders
SUPERSAMPLE = 4   # anti-aliasing: draw this many times larger, then average


#: Characters a font maps to a glyph of another shape (rowmand draws "^" as an up arrow): not covered,
#: so the generator never writes a ground-truth text the pixels do not show.
OTHER_SHAPES = {"rowmand": frozenset("^")}


@lru_cache(maxsize=16)
def glyph_table(font_name: str) -> dict[str, Any]:
    """Character -> Hershey glyph of one of the package's built-in fonts (without :data:`OTHER_SHAPES`)."""
    glyphs = HersheyFonts(load_default_font=font_name).all_glyphs
    other = OTHER_SHAPES.get(font_name, frozenset())
    return {ch: g for ch, g in glyphs.items() if ch not in other}


class StrokeFace(Face):
    """One Hershey font; ``weight`` scales the stroke width (1: about size/14 px, at least 1 px)."""

    def __init__(self, info: FaceInfo, font_name: str, weight: float = 1.0) -> None:
        super().__init__(info)
        self.font_name = font_name
        self.weight = weight

    def stroke_width(self, size_px: int) -> int:
        return max(1, round(size_px * self.weight / 14))

    def rasterise(self, text: str, size_px: int, antialias: bool, letter_spacing_px: int = 0) -> Glyphs:
        glyphs = glyph_table(self.font_name)
        ss = SUPERSAMPLE if antialias else 1
        unit = size_px / UNITS_PER_EM * ss
        width = self.stroke_width(size_px) * ss
        pad = self.stroke_width(size_px) + 2            # output pixels around the drawing
        strokes: list[list[tuple[float, float]]] = []
        cursor = 0.0                                     # output pixels from the origin
        for ch in text:
            g = glyphs.get(ch)
            if g is None:
                continue                                 # not drawable: missing() reports it
            x0 = (cursor + pad) * ss - g.left_offset * unit
            y0 = pad * ss - ORIGIN_TOP * unit
            for stroke in g.strokes:
                strokes.append([(x0 + x * unit, y0 + y * unit) for x, y in stroke])
            cursor += g.char_width * unit / ss + letter_spacing_px
        if not strokes:
            raise EmptyInkError("text rendered no ink")
        w = math.ceil(cursor) + 2 * pad + math.ceil(size_px)  # glyphs may reach past their advance
        h = math.ceil((BOTTOM - ORIGIN_TOP) * unit / ss) + 2 * pad
        img = Image.new("L", (w * ss, h * ss), 0)
        draw = ImageDraw.Draw(img)
        r = width / 2
        for pts in strokes:
            if len(pts) > 1:
                draw.line(pts, fill=255, width=width, joint="curve")
            if width >= 3:                               # round caps, as a pen leaves them
                for x, y in (pts[0], pts[-1]):
                    draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
        if ss > 1:
            img = img.reduce(ss)
        return crop_to_ink(text, np.asarray(img), -pad, -pad)

    def line_metrics(self, size_px: int) -> tuple[int, int]:
        unit = size_px / UNITS_PER_EM
        return math.ceil((BASELINE - ORIGIN_TOP) * unit), math.ceil((BOTTOM - BASELINE) * unit)

    def covers(self, ch: str) -> bool:
        return ch in glyph_table(self.font_name)
