"""Bitmap (pixel) faces: fixed pixel glyphs scaled by whole numbers, never anti-aliased.

Each face has glyphs at one native size; a text at ``size_px`` is drawn at the integer scale
``round(size_px / native_em)`` (at least 1) by repeating pixels, so the alpha is only 0 or 255
whatever ``antialias`` says. Faces: Pillow's built-in bitmap font (X11 courB08), the CP437 8x8
table of ``luma.core``, and Press Start 2P (an outline font on an 8-px grid, drawn aliased at
its design size, then scaled like the others).
"""

from __future__ import annotations

from abc import abstractmethod
from functools import cached_property

import numpy as np
from luma.core.legacy.font import CP437_FONT
from PIL import Image, ImageDraw, ImageFont

from ..text_raster import Glyphs
from .base import Face, FaceInfo, combine
from .truetype import codepoints, load, package_file


class BitmapFace(Face):
    """Glyphs at a native pixel size, scaled by a whole number."""

    native_em: int = 8      # native size in pixels that corresponds to size_px

    def __init__(self, info: FaceInfo) -> None:
        super().__init__(info)
        self._glyphs: dict[str, tuple[np.ndarray, int, int, int]] = {}

    def native_metrics(self) -> tuple[int, int]:
        """(ascent, descent) at the native size."""
        return self.native_em, 0

    def scale(self, size_px: int) -> int:
        return max(1, round(size_px / self.native_em))

    @abstractmethod
    def glyph(self, ch: str) -> tuple[np.ndarray, int, int, int]:
        """Native glyph of ``ch``: bool mask, its x and y from the character origin, advance."""

    def rasterise(self, text: str, size_px: int, antialias: bool, letter_spacing_px: int = 0) -> Glyphs:
        k = self.scale(size_px)
        pieces = []
        cursor = 0
        for ch in text:
            if not self.covers(ch):
                continue                      # not drawable: missing() reports it
            if ch not in self._glyphs:
                self._glyphs[ch] = self.glyph(ch)
            mask, gx, gy, advance = self._glyphs[ch]
            big = np.repeat(np.repeat(mask, k, axis=0), k, axis=1).astype(np.uint8) * 255
            pieces.append((big, cursor + gx * k, gy * k))
            cursor += advance * k + letter_spacing_px
        return combine(text, pieces)

    def line_metrics(self, size_px: int) -> tuple[int, int]:
        k = self.scale(size_px)
        ascent, descent = self.native_metrics()
        return ascent * k, descent * k


class PilDefaultFace(BitmapFace):
    """Pillow's built-in bitmap font (``ImageFont.load_default_imagefont``: X11 courB08), Latin-1."""

    native_em = 8

    def native_metrics(self) -> tuple[int, int]:
        return 8, 3              # 11-px cells: baseline under row 8

    @cached_property
    def font(self) -> ImageFont.ImageFont:
        return ImageFont.load_default_imagefont()

    def glyph(self, ch: str) -> tuple[np.ndarray, int, int, int]:
        x0, y0, x1, y1 = self.font.getbbox(ch)
        img = Image.new("L", (int(x1), int(y1)), 0)
        ImageDraw.Draw(img).text((0, 0), ch, font=self.font, fill=255)
        return np.asarray(img) >= 128, 0, 0, int(self.font.getlength(ch))

    @cached_property
    def coverage(self) -> frozenset[str]:
        found = set()
        for cp in range(33, 256):
            ch = chr(cp)
            if cp < 127 or cp >= 161:
                if self.glyph(ch)[0].any():
                    found.add(ch)
        return frozenset(found | {" "})

    def covers(self, ch: str) -> bool:
        return ch in self.coverage


class Cp437Face(BitmapFace):
    """The IBM PC code page 437 8x8 table of ``luma.core`` (columns of bits, least significant on top)."""

    native_em = 8

    def native_metrics(self) -> tuple[int, int]:
        return 7, 1

    def glyph(self, ch: str) -> tuple[np.ndarray, int, int, int]:
        columns = CP437_FONT[ch.encode("cp437")[0]]
        bits = np.array([[(c >> row) & 1 for c in columns] for row in range(8)], dtype=bool)
        return bits, 0, 0, 8

    def covers(self, ch: str) -> bool:
        if len(ch) != 1 or ord(ch) < 32 or ord(ch) == 127:
            return False
        try:
            code = ch.encode("cp437")[0]
        except UnicodeEncodeError:
            return False
        return ch == " " or any(CP437_FONT[code])


class PixelTrueTypeFace(BitmapFace):
    """A pixel-grid outline font drawn aliased at its design size, then scaled by a whole number."""

    def __init__(self, info: FaceInfo, module: str, filename: str, native_em: int) -> None:
        super().__init__(info)
        self._path = package_file(module, filename)
        self.native_em = native_em

    @property
    def path(self) -> str:
        return str(self._path())

    def native_metrics(self) -> tuple[int, int]:
        ascent, descent = load(self.path, self.native_em, None).getmetrics()
        return int(ascent), int(descent)

    def glyph(self, ch: str) -> tuple[np.ndarray, int, int, int]:
        font = load(self.path, self.native_em, None)
        core, (ox, oy) = font.getmask2(ch, "1", anchor="la")
        if core.size[0] == 0 or core.size[1] == 0:
            mask = np.zeros((0, 0), dtype=bool)
        else:
            mask = np.asarray(Image.Image()._new(core.convert("L"))) >= 128
        return mask, int(ox), int(oy), round(font.getlength(ch))

    def covers(self, ch: str) -> bool:
        return ord(ch) in codepoints(self.path)
