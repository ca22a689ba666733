"""Font names for burned-in text: the short DejaVu names and the prefixed faces of :mod:`phiphantom.synth.faces`.

Every font is a face: names with a technology prefix (``ttf:``, ``stroke:``, ``bitmap:``) name one
directly, and the short DejaVu names of the classic composer (``DejaVuSans`` ...) are kept as aliases of
their ``ttf:`` faces (:data:`LEGACY_FACES`; the files are matplotlib's bundled DejaVu TTFs, no system
fonts, no downloads; the face registry lists them with their licence). :func:`get_face` resolves a name,
:func:`load_font` gives a TrueType face's Pillow font and :func:`missing_glyphs` asks the face.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import ImageFont

#: The classic composer's short DejaVu names -> their prefixed faces (the same matplotlib files).
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
        raise FontError(f"unknown font {name!r}; known: {', '.join(LEGACY_FACES)}") from None


def get_face(name: str) -> Face:
    """The face for a prefixed name (see :func:`phiphantom.synth.faces.get_face`)."""
    from .faces import get_face as lookup  # the faces package draws through text_raster, which imports this

    return lookup(name)


class FontError(RuntimeError):
    """An unknown font name, or a face that is not a TrueType font where one is needed."""


def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """The Pillow FreeType font of a TrueType face (a DejaVu name or ``ttf:...``) at ``size`` px, cached."""
    from .faces.truetype import TrueTypeFace

    face = get_face(face_name(name))
    if not isinstance(face, TrueTypeFace):
        raise FontError(f"font {name!r} is not a TrueType face")
    return face.font(size)


def missing_glyphs(name: str, text: str) -> str:
    """Characters of ``text`` the font has no glyph for (would render as tofu boxes)."""
    return get_face(face_name(name)).missing(text)
