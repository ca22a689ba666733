"""TrueType faces: outline fonts from pip packages drawn by FreeType through Pillow.

Variable fonts are set to a named instance ("Regular", "Bold") explicitly: the default instance of
some files is not Regular. ``set_variation_by_name`` changes the font object, so loaded fonts are
cached per (file, size, instance).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path

import matplotlib
import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageFont

from ..text_raster import EmptyInkError, Glyphs, crop_to_ink
from .base import Face, FaceInfo, combine


def package_file(module: str, filename: str) -> Callable[[], Path]:
    """Path of ``files/<filename>`` inside a ``fontpkg_*`` module (fontpkg wheel layout), resolved once."""
    @cache
    def path() -> Path:
        return Path(str(resources.files(module).joinpath("files", filename)))
    return path


def matplotlib_file(filename: str) -> Callable[[], Path]:
    """Path of a TTF bundled with matplotlib (mpl-data/fonts/ttf), resolved once."""
    @cache
    def path() -> Path:
        return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / filename
    return path


@lru_cache(maxsize=512)
def load(path: str, size: int, instance: str | None) -> ImageFont.FreeTypeFont:
    """A FreeType font at ``size`` px, set to the named variable-font ``instance`` (None: static file)."""
    font = ImageFont.truetype(path, size=size)
    if instance is not None:
        font.set_variation_by_name(instance)
    return font


@lru_cache(maxsize=64)
def codepoints(path: str) -> frozenset[int]:
    """Code points the file's best cmap maps to a glyph."""
    with TTFont(path, lazy=True) as tt:
        return frozenset(tt.getBestCmap())


def _mask(font: ImageFont.FreeTypeFont, text: str, antialias: bool) -> tuple[np.ndarray, int, int]:
    core, (ox, oy) = font.getmask2(text, "L" if antialias else "1", anchor="la")
    if core.size[0] == 0 or core.size[1] == 0:
        return np.zeros((0, 0), dtype=np.uint8), int(ox), int(oy)
    if core.mode != "L":
        core = core.convert("L")  # mode "1" -> 0/255
    return np.asarray(Image.Image()._new(core)), int(ox), int(oy)


@lru_cache(maxsize=8192)
def _char_mask(path: str, size: int, instance: str | None, ch: str, antialias: bool) -> tuple[np.ndarray, int, int]:
    """:func:`_mask` of one character (letter-spaced text draws each character alone), read-only, cached."""
    alpha, ox, oy = _mask(load(path, size, instance), ch, antialias)
    alpha.setflags(write=False)
    return alpha, ox, oy


class TrueTypeFace(Face):
    """One outline font file (one instance of a variable font)."""

    def __init__(self, info: FaceInfo, path: Callable[[], Path], instance: str | None = None) -> None:
        super().__init__(info)
        self._path = path
        self.instance = instance

    @property
    def path(self) -> Path:
        return self._path()

    @cached_property
    def path_str(self) -> str:
        """:attr:`path` as a string, resolved once (coverage checks run for every character drawn)."""
        return str(self.path)

    def font(self, size_px: int) -> ImageFont.FreeTypeFont:
        return load(self.path_str, size_px, self.instance)

    def rasterise(self, text: str, size_px: int, antialias: bool, letter_spacing_px: int = 0) -> Glyphs:
        font = self.font(size_px)
        if not letter_spacing_px:
            alpha, ox, oy = _mask(font, text, antialias)
            if alpha.size == 0:
                raise EmptyInkError("text has no extent")
            return crop_to_ink(text, alpha, ox, oy)
        # Each character at its kerned advance plus the extra spacing after the ones before it.
        pieces = []
        for i, ch in enumerate(text):
            if ch.isspace():
                continue
            alpha, ox, oy = _char_mask(self.path_str, size_px, self.instance, ch, antialias)
            x = round(font.getlength(text[:i])) + i * letter_spacing_px
            pieces.append((alpha, x + ox, oy))
        return combine(text, pieces)

    def line_metrics(self, size_px: int) -> tuple[int, int]:
        ascent, descent = self.font(size_px).getmetrics()
        return int(ascent), int(descent)

    def covers(self, ch: str) -> bool:
        return ord(ch) in codepoints(self.path_str)
