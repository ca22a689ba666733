"""Fonts for burned-in text: matplotlib's bundled DejaVu TTFs (no system fonts, no downloads)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTFont
from PIL import ImageFont

#: Short names -> TTF file names inside matplotlib's mpl-data/fonts/ttf.
FONT_FILES = {
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
    "DejaVuSansMono": "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold": "DejaVuSansMono-Bold.ttf",
    "DejaVuSerif": "DejaVuSerif.ttf",
    "DejaVuSerif-Bold": "DejaVuSerif-Bold.ttf",
}


class FontError(RuntimeError):
    """A bundled font is missing (broken matplotlib install)."""


def font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_path(name: str) -> Path:
    try:
        path = font_dir() / FONT_FILES[name]
    except KeyError:
        raise FontError(f"unknown font {name!r}; known: {', '.join(FONT_FILES)}") from None
    if not path.is_file():
        raise FontError(f"font file missing: {path} (reinstall matplotlib)")
    return path


@lru_cache(maxsize=256)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A PIL FreeType font at ``size`` pixels (em size), cached per process."""
    return ImageFont.truetype(str(font_path(name)), size=size)


@lru_cache(maxsize=16)
def _codepoints(name: str) -> frozenset[int]:
    with TTFont(str(font_path(name)), lazy=True) as tt:
        return frozenset(tt.getBestCmap())


def missing_glyphs(name: str, text: str) -> str:
    """Characters of ``text`` the font has no glyph for (would render as tofu boxes)."""
    cps = _codepoints(name)
    return "".join(sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cps}))
