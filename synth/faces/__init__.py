"""Font technologies for burned-in text: TrueType families, stroke (Hershey) and bitmap faces.

A face name is ``<technology>:<name>``: ``ttf:<family>[-<weight>]``, ``stroke:<name>``,
``bitmap:<name>``. :data:`FACES` lists every face; :func:`get_face` returns one. The text
rasteriser (:func:`phiphantom.synth.text_raster.rasterise`), its line metrics and
:func:`phiphantom.synth.fonts.missing_glyphs` accept these names wherever a font name goes, so a
``Style(font="stroke:futural", ...)`` draws with that face. Sources and licences: docs/fonts.md.
"""

from __future__ import annotations

from .base import TECHNOLOGIES, Face, FaceError, FaceInfo
from .bitmap import Cp437Face, PilDefaultFace, PixelTrueTypeFace
from .stroke import StrokeFace
from .truetype import TrueTypeFace, matplotlib_file, package_file

__all__ = ["FACES", "TECHNOLOGIES", "Face", "FaceError", "FaceInfo", "get_face", "faces_by_technology"]

OFL = "OFL-1.1"
_DEJAVU = ("matplotlib", "Bitstream Vera Fonts licence + public-domain DejaVu changes (matplotlib LICENSE_DEJAVU)",
           "DejaVu fonts (dejavu-fonts.github.io), bundled in matplotlib's mpl-data/fonts/ttf")
_STIX = ("matplotlib", "STIX Fonts licence (OFL-style; matplotlib LICENSE_STIX)",
         "STIX Fonts 1.x (stixfonts.org), bundled in matplotlib's mpl-data/fonts/ttf")

# name, family, design, package, licence, source, file (module, filename) or matplotlib file, instance
_VARIABLE = [
    ("arimo", "Arimo", "sans", "fontpkg-arimo", OFL, "Google Fonts Arimo (Croscore, Arial metrics)",
     "fontpkg_arimo", "Arimo[wght].ttf"),
    ("roboto", "Roboto", "sans", "fontpkg-roboto", OFL, "Google Fonts Roboto",
     "fontpkg_roboto", "Roboto[wdth,wght].ttf"),
    ("roboto-slab", "Roboto Slab", "serif", "fontpkg-roboto-slab", "Apache-2.0", "Google Fonts Roboto Slab",
     "fontpkg_roboto_slab", "RobotoSlab[wght].ttf"),
    ("jetbrains-mono", "JetBrains Mono", "mono", "fontpkg-jetbrains-mono", OFL, "JetBrains Mono (Google Fonts build)",
     "fontpkg_jetbrains_mono", "JetBrainsMono[wght].ttf"),
    ("inconsolata", "Inconsolata", "mono", "fontpkg-inconsolata", OFL, "Google Fonts Inconsolata",
     "fontpkg_inconsolata", "Inconsolata[wdth,wght].ttf"),
    ("roboto-condensed", "Roboto Condensed", "condensed", "fontpkg-roboto-condensed", OFL,
     "Google Fonts Roboto Condensed", "fontpkg_roboto_condensed", "RobotoCondensed[wght].ttf"),
    ("archivo-narrow", "Archivo Narrow", "condensed", "fontpkg-archivo-narrow", OFL, "Google Fonts Archivo Narrow",
     "fontpkg_archivo_narrow", "ArchivoNarrow[wght].ttf"),
]

_STATIC = [  # matplotlib's files: (name, family, design, provenance, regular file, bold file)
    ("dejavu-sans", "DejaVu Sans", "sans", _DEJAVU, "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("dejavu-serif", "DejaVu Serif", "serif", _DEJAVU, "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    ("dejavu-sans-mono", "DejaVu Sans Mono", "mono", _DEJAVU, "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    ("stix-general", "STIXGeneral", "serif", _STIX, "STIXGeneral.ttf", "STIXGeneralBol.ttf"),
]

_HERSHEY_SOURCE = ("Hershey fonts (A. V. Hershey, US National Bureau of Standards, 1967; public-domain glyph data) "
                   "as embedded in the hershey-fonts package")
_STROKE = [  # name, family, design, Hershey font, weight
    ("futural", "Hershey Simplex (futural)", "sans", "futural", 1.0),
    ("futural-bold", "Hershey Simplex (futural), heavy pen", "sans", "futural", 1.8),
    ("rowmand", "Hershey Duplex Roman (rowmand)", "sans", "rowmand", 1.0),
    ("timesr", "Hershey Complex Roman (timesr)", "serif", "timesr", 1.0),
]


def _build() -> dict[str, Face]:
    faces: dict[str, Face] = {}
    for name, family, design, package, licence, source, module, filename in _VARIABLE:
        for weight, instance in (("", "Regular"), ("-bold", "Bold")):
            info = FaceInfo(f"ttf:{name}{weight}", family, design, package, licence, source)
            faces[info.name] = TrueTypeFace(info, package_file(module, filename), instance)
    for name, family, design, (package, licence, source), regular, bold in _STATIC:
        for weight, filename in (("", regular), ("-bold", bold)):
            info = FaceInfo(f"ttf:{name}{weight}", family, design, package, licence, source)
            faces[info.name] = TrueTypeFace(info, matplotlib_file(filename))
    for name, family, design, hershey, pen in _STROKE:
        info = FaceInfo(f"stroke:{name}", family, design, "hershey-fonts",
                        "MIT (package); glyph data public domain", _HERSHEY_SOURCE)
        faces[info.name] = StrokeFace(info, hershey, pen)
    faces["bitmap:pil-courb08"] = PilDefaultFace(FaceInfo(
        "bitmap:pil-courb08", "X11 Courier Bold 8 (courB08)", "mono", "pillow",
        "MIT-CMU (Pillow); X11 bitmap font notice (Adobe/DEC, permissive)",
        "Pillow's built-in bitmap font, ImageFont.load_default_imagefont()"))
    faces["bitmap:cp437-8x8"] = Cp437Face(FaceInfo(
        "bitmap:cp437-8x8", "CP437 8x8", "mono", "luma.core",
        "MIT (luma.core); table provenance unascribed in luma.core (IBM PC code page 437 ROM style)",
        "luma.core.legacy.font.CP437_FONT"))
    faces["bitmap:press-start-2p"] = PixelTrueTypeFace(FaceInfo(
        "bitmap:press-start-2p", "Press Start 2P", "mono", "fontpkg-press-start-2p", OFL,
        "Google Fonts Press Start 2P (CodeMan38), an 8x8 pixel design"),
        "fontpkg_press_start_2p", "PressStart2P-Regular.ttf", 8)
    return faces


#: Every face by name.
FACES: dict[str, Face] = _build()


def get_face(name: str) -> Face:
    """The face called ``name`` (``ttf:arimo``, ``stroke:futural``, ``bitmap:cp437-8x8`` ...)."""
    try:
        return FACES[name]
    except KeyError:
        raise FaceError(f"unknown face {name!r}; known: {', '.join(FACES)}") from None


def faces_by_technology(technology: str) -> list[Face]:
    """Faces of one technology (``ttf``, ``stroke`` or ``bitmap``), in registry order."""
    return [f for f in FACES.values() if f.technology == technology]
