"""Fonts for burned-in text: matplotlib's bundled DejaVu TTFs (no system fonts, no downloads).

Names with a technology prefix (``ttf:``, ``stroke:``, ``bitmap:``) are faces of
:mod:`phiphantom.synth.faces`; :func:`get_face` resolves them and :func:`missing_glyphs` asks them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

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


#: The same DejaVu files as prefixed faces (for what only faces offer, e.g. letter spacing).
LEGACY_FACES = {
    "DejaVuSans": "ttf:dejavu-sans",
    "DejaVuSans-Bold": "ttf:dejavu-sans-bold",
    "DejaVuSansMono": "ttf:dejavu-sans-mono",
    "DejaVuSansMono-Bold": "ttf:dejavu-sans-mono-bold",
    "DejaVuSerif": "ttf:dejavu-serif",
    "DejaVuSerif-Bold": "ttf:dejavu-serif-bold",
}

#: Prefixes of face names, one per font technology.
FACE_PREFIXES = ("ttf:", "stroke:", "bitmap:")

if TYPE_CHECKING:
    from .faces import Face


def is_face_name(name: str) -> bool:
    """Whether ``name`` names a face of :mod:`phiphantom.synth.faces` (``tech:name``)."""
    return name.startswith(FACE_PREFIXES)


def face_name(name: str) -> str:
    """The prefixed face name of ``name`` (a DejaVu name becomes its ``ttf:`` face)."""
    if is_face_name(name):
        return name
    try:
        return LEGACY_FACES[name]
    except KeyError:
        raise FontError(f"unknown font {name!r}; known: {', '.join(FONT_FILES)}") from None


def get_face(name: str) -> Face:
    """The face for a prefixed name (see :func:`phiphantom.synth.faces.get_face`)."""
    from .faces import get_face as lookup  # the faces package draws through text_raster, which imports this

    return lookup(name)


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
    if is_face_name(name):
        return get_face(name).missing(text)
    cps = _codepoints(name)
    return "".join(sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cps}))
