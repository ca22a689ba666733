"""The style-pack file format: frozen dataclasses for each TOML section and ``load_pack(path)``.

A pack is one TOML file (``synth/styles/packs/<name>.toml``) with the sections ``[pack]``,
``[layout]``, ``[typography]``, ``[rendering]``, ``[phi]``, ``[clinical]`` and ``[graphics]``
(docs/style-packs.md describes every key). Every key except ``[pack]`` name/version/title/
modelled_on/sources has a default: the behaviour of the classic generator (synth/compose.py,
layouts.py, overlay_content.py at difficulty ``realistic``), so a pack sets what makes it different.

Errors (:class:`PackError`) name the file and the key path and say what was expected; unknown keys,
wrong types, ranges with ``lo > hi``, probabilities outside [0, 1] and weights <= 0 are refused.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema_read import PackError, Reader

__all__ = [
    "PATIENT_FIELDS", "GRAPHIC_KINDS", "PackError", "PackInfo", "LayoutSpec", "FontChoice", "Typography",
    "Rendering", "PhiFormats", "Parameter", "Measurement", "Clinical", "Graphics", "StylePack", "load_pack",
    "parse_pack", "tokens",
]

#: Patient (PHI) lines a layout can show, as keyed by overlay_content.phi_lines.
PATIENT_FIELDS = ("name", "patient_id", "birth_date", "age_sex", "date_time", "institution", "accession",
                  "physician", "operator")
#: Non-text graphics a pack can draw (probability each appears on a screen).
GRAPHIC_KINDS = ("grey_bar", "colour_bar", "depth_scale", "focus_marker", "tgc_curve", "body_marker_pictogram",
                 "calipers", "logo", "doppler_box")
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_CLASSIC_LAYOUTS = ("banner", "top_left_block", "split_top", "left_column", "bottom_bar", "mixed", "region_corner")
_CLASSIC_FONTS = ("DejaVuSans", "DejaVuSansMono", "DejaVuSans-Bold", "DejaVuSerif", "DejaVuSansMono-Bold",
                  "DejaVuSerif-Bold")
_CLASSIC_PROBES = ("C5-2", "C1-6", "C5-1", "C6-2", "4C", "C60x", "L12-5", "L11-4", "L12-3", "ML6-15", "L38x", "12L",
                   "P4-1", "S4-1", "P5-1", "M5Sc", "3Sc", "P21x")
_CLASSIC_LOCALES = ("en_US", "en_GB", "en_IE", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL",
                    "sv_SE", "cs_CZ", "hu_HU", "tr_TR")


def _w(*names: str) -> dict[str, float]:
    return {n: 1.0 for n in names}


@dataclass(frozen=True)
class PackInfo:
    """``[pack]``: identity and provenance (all required except ``licence_notes``)."""

    name: str
    version: str
    title: str
    modelled_on: str
    sources: tuple[str, ...]
    licence_notes: str = ""


@dataclass(frozen=True)
class LayoutSpec:
    """``[layout]``: where text goes. Weights are relative (need not sum to 1)."""

    layouts: dict[str, float] = field(default_factory=lambda: _w(*_CLASSIC_LAYOUTS))
    patient_fields: tuple[str, ...] = ("name", "patient_id", "date_time")
    optional_fields: dict[str, float] = field(default_factory=lambda: {
        "birth_date": 0.75, "age_sex": 0.6, "institution": 0.6, "accession": 0.42, "physician": 0.36,
        "operator": 0.36})
    label_language: str = "en"
    label_p: float = 0.6
    plate_p: float = 0.3
    margin_px: tuple[int, int] = (4, 8)
    vertical_text_p: float = 0.0
    image_layout: dict[str, float] = field(default_factory=lambda: {"single": 1.0})

    def field_order(self) -> tuple[str, ...]:
        """Patient fields in drawing order: ``patient_fields`` then the optional ones not listed there."""
        return self.patient_fields + tuple(f for f in self.optional_fields if f not in self.patient_fields)


@dataclass(frozen=True)
class FontChoice:
    """One face (``tech:family`` name, or a bare DejaVu name as today) and its relative weight."""

    face: str
    weight: float = 1.0


@dataclass(frozen=True)
class Typography:
    """``[typography]``: faces, sizes, case, spacing."""

    fonts: tuple[FontChoice, ...] = tuple(FontChoice(f) for f in _CLASSIC_FONTS)
    size_px: tuple[int, int] = (10, 20)
    small_text_p: float = 0.0
    case: dict[str, float] = field(default_factory=lambda: {"as_is": 1.0})
    letter_spacing_px: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Rendering:
    """``[rendering]``: how text is rasterised and the file encoded."""

    antialias_p: float = 0.7
    resample_p: float = 0.0
    resample_scale: tuple[float, float] = (1.0, 1.0)
    blur_sigma: tuple[float, float] = (0.0, 0.0)
    jpeg_quality: tuple[int, int] = (85, 95)
    chroma_subsampling: tuple[str, ...] = ("4:2:2",)
    colours: dict[str, float] = field(default_factory=lambda: _w("white", "grey", "yellow", "green", "cyan"))
    low_contrast_p: float = 0.1
    over_image_p: float = 0.0


@dataclass(frozen=True)
class PhiFormats:
    """``[phi]``: how PHI values are written on screen."""

    name_formats: tuple[str, ...] = ("FAMILY, GIVEN", "Family, Given", "Given Family", "FAMILY^GIVEN",
                                     "FAMILY GIVEN M")
    date_formats: tuple[str, ...] = ("%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%b-%Y", "%Y/%m/%d", "%d/%m/%Y")
    time_formats: tuple[str, ...] = ("%H:%M:%S",)
    id_shapes: tuple[str, ...] = ("digits7", "zero_padded8", "alpha_digits", "dashed", "year_seq", "site_prefix")
    locales: dict[str, float] = field(default_factory=lambda: _w(*_CLASSIC_LOCALES))
    age_sex_formats: tuple[str, ...] = ("{age}Y {sex}", "{sex} {age}y", "Age {age}")


@dataclass(frozen=True)
class Parameter:
    """An acquisition parameter read-out: ``format`` with {label}, {value} (``decimals`` places), {unit}."""

    label: str
    unit: str = ""
    values: tuple[float, float] = (0.0, 1.0)
    decimals: int = 0
    format: str = "{label} {value}{unit}"


@dataclass(frozen=True)
class Measurement(Parameter):
    """A caliper/measurement read-out (distance, area, velocity...): a :class:`Parameter` read-out whose
    ``decimals`` default to 2."""

    decimals: int = 2


#: Today's read-outs (overlay_content.clinical_lines): each label/format variant the classic screen draws.
_CLASSIC_PARAMETERS = (
    Parameter("MI", "", (0.2, 1.4), 1, "{label} {value}"), Parameter("MI", "", (0.2, 1.4), 1, "{label}:{value}"),
    Parameter("TIS", "", (0.1, 1.2), 1, "{label} {value}"), Parameter("TIb", "", (0.1, 1.2), 1, "{label} {value}"),
    Parameter("G", "", (30, 79), 0, "{label} {value}"), Parameter("Gain", "%", (30, 79), 0),
    Parameter("Gain", "dB", (30, 79), 0, "{value}{unit}"), Parameter("D", "cm", (2.0, 24.0), 1),
    Parameter("Depth", "cm", (2.0, 24.0), 1, "{value} {unit}"), Parameter("Depth", "", (2.0, 24.0), 0),
    Parameter("Frq", "MHz", (2.5, 12.0), 1, "{value}{unit}"), Parameter("Frq", "", (2.5, 12.0), 1, "{label} {value}"),
    Parameter("F", "MHz", (2.5, 12.0), 1), Parameter("FR", "Hz", (5, 60), 0, "{value} {unit}"),
    Parameter("FR", "", (5, 60), 0, "{label} {value}"), Parameter("FR", "fps", (5, 60), 0, "{value}{unit}"),
)


@dataclass(frozen=True)
class Clinical:
    """``[clinical]``: the pack's own non-PHI wording."""

    parameters: tuple[Parameter, ...] = _CLASSIC_PARAMETERS
    presets: tuple[str, ...] = ("Lung", "LUNG", "Lung/Pleura", "FAST", "Abd", "Thorax", "eFAST", "Pleura")
    probes: tuple[str, ...] = _CLASSIC_PROBES
    modes: tuple[str, ...] = ("B", "2D", "B-Mode", "2D/B")
    measurements: tuple[Measurement, ...] = ()
    annotations: tuple[str, ...] = ()
    body_markers: tuple[str, ...] = ("R1", "R2", "L1", "L2", "R-ANT", "L-ANT", "R-LAT", "L-LAT", "RUL", "LLL",
                                     "R-PLAPS")
    frame_counter: tuple[str, ...] = ("{i}/{n}",)
    clock_formats: tuple[str, ...] = ("%H:%M:%S",)
    dense_strings: tuple[str, ...] = ()
    ellipsis_p: float = 0.0


@dataclass(frozen=True)
class Graphics:
    """``[graphics]``: probability of each non-text graphic (classic draws only depth-scale ticks)."""

    grey_bar: float = 0.0
    colour_bar: float = 0.0
    depth_scale: float = 1.0
    focus_marker: float = 0.0
    tgc_curve: float = 0.0
    body_marker_pictogram: float = 0.0
    calipers: float = 0.0
    logo: float = 0.0
    doppler_box: float = 0.0


def tokens(text: str) -> set[str]:
    """Words of a clinical string: split on white space, {placeholders} and edge punctuation dropped."""
    out = set()
    for word in re.sub(r"\{[^}]*\}", " ", text).split():
        word = word.strip(":;,()[]\"'")
        if word and not re.fullmatch(r"[-+]?[\d.,]+", word):
            out.add(word)
    return out


@dataclass(frozen=True)
class StylePack:
    """One validated pack (file ``path``)."""

    pack: PackInfo
    layout: LayoutSpec = field(default_factory=LayoutSpec)
    typography: Typography = field(default_factory=Typography)
    rendering: Rendering = field(default_factory=Rendering)
    phi: PhiFormats = field(default_factory=PhiFormats)
    clinical: Clinical = field(default_factory=Clinical)
    graphics: Graphics = field(default_factory=Graphics)
    path: Path | None = None

    def __hash__(self) -> int:  # the dict-valued fields are not hashable; equal packs share name and version
        return hash((self.pack.name, self.pack.version))

    @property
    def name(self) -> str:
        return self.pack.name

    @property
    def version(self) -> str:
        return self.pack.version

    def vocabulary(self) -> set[str]:
        """The pack's clinical tokens (as written): parameter labels/units, presets, probes, modes,
        measurement labels/units, annotations, body markers and dense strings, split into words."""
        c = self.clinical
        texts = [p.label for p in c.parameters] + [p.unit for p in c.parameters]
        texts += [m.label for m in c.measurements] + [m.unit for m in c.measurements]
        texts += [*c.presets, *c.probes, *c.modes, *c.annotations, *c.body_markers, *c.dense_strings]
        out: set[str] = set()
        for t in texts:
            out |= tokens(t)
        return out


def _pack_info(r: Reader, stem: str) -> PackInfo:
    name = r.string("name")
    if not _SLUG.fullmatch(name):
        r.fail("name", f"a slug of a-z, 0-9 and '-', got {name!r}")
    if name != stem:
        r.fail("name", f"the file name stem {stem!r}, got {name!r}")
    info = PackInfo(name, r.string("version"), r.string("title"), r.string("modelled_on"), r.strings("sources"),
                    r.string("licence_notes", ""))
    if not info.sources:
        r.fail("sources", "at least one source")
    return info


def _font(r: Reader) -> FontChoice:
    return FontChoice(r.string("face"), r.weight("weight", 1.0))


def _parameter(cls: type[Parameter]) -> Callable[[Reader], Any]:
    default = cls("")

    def read(r: Reader) -> Any:
        return cls(r.string("label"), r.string("unit", default.unit), r.frange("values", default.values),
                   r.integer("decimals", default.decimals, lo=0, hi=6), r.string("format", default.format))
    return read


def parse_pack(data: Mapping[str, Any], file: str, stem: str) -> StylePack:
    """Validate a parsed TOML document (``file`` and ``stem`` for messages and the name check)."""
    top = Reader(file, "", data)
    p = top.section("pack", required=True)
    info = _pack_info(p, stem)
    p.done()

    r = top.section("layout")
    d = LayoutSpec()
    layout = LayoutSpec(
        r.weights("layouts", d.layouts), r.choices("patient_fields", d.patient_fields, PATIENT_FIELDS),
        r.probabilities("optional_fields", d.optional_fields, PATIENT_FIELDS), r.string("label_language",
                                                                                        d.label_language),
        r.prob("label_p", d.label_p), r.prob("plate_p", d.plate_p), r.irange("margin_px", d.margin_px, lo=0),
        r.prob("vertical_text_p", d.vertical_text_p), r.weights("image_layout", d.image_layout,
                                                                ("single", "dual", "quad")))
    r.done()

    r = top.section("typography")
    t = Typography()
    typo = Typography(r.tables("fonts", t.fonts, _font), r.irange("size_px", t.size_px, lo=6, hi=64),
                      r.prob("small_text_p", t.small_text_p),
                      r.weights("case", t.case, ("as_is", "upper", "lower", "title")),
                      r.irange("letter_spacing_px", t.letter_spacing_px, lo=0, hi=8))
    if not typo.fonts:
        r.fail("fonts", "at least one font")
    r.done()

    r = top.section("rendering")
    g = Rendering()
    rendering = Rendering(
        r.prob("antialias_p", g.antialias_p), r.prob("resample_p", g.resample_p),
        r.frange("resample_scale", g.resample_scale, lo=0.1, hi=4.0), r.frange("blur_sigma", g.blur_sigma, lo=0.0,
                                                                                hi=5.0),
        r.irange("jpeg_quality", g.jpeg_quality, lo=1, hi=100),
        r.choices("chroma_subsampling", g.chroma_subsampling, ("4:4:4", "4:2:2", "4:2:0")),
        r.weights("colours", g.colours), r.prob("low_contrast_p", g.low_contrast_p),
        r.prob("over_image_p", g.over_image_p))
    r.done()

    r = top.section("phi")
    f = PhiFormats()
    phi = PhiFormats(r.strings("name_formats", f.name_formats), r.strings("date_formats", f.date_formats),
                     r.strings("time_formats", f.time_formats), r.strings("id_shapes", f.id_shapes),
                     r.weights("locales", f.locales), r.strings("age_sex_formats", f.age_sex_formats))
    r.done()

    r = top.section("clinical")
    c = Clinical()
    clinical = Clinical(
        r.tables("parameters", c.parameters, _parameter(Parameter)), r.strings("presets", c.presets),
        r.strings("probes", c.probes), r.strings("modes", c.modes),
        r.tables("measurements", c.measurements, _parameter(Measurement)), r.strings("annotations", c.annotations),
        r.strings("body_markers", c.body_markers), r.strings("frame_counter", c.frame_counter),
        r.strings("clock_formats", c.clock_formats), r.strings("dense_strings", c.dense_strings),
        r.prob("ellipsis_p", c.ellipsis_p))
    r.done()

    r = top.section("graphics")
    graphics = Graphics(**{k: r.prob(k, getattr(Graphics(), k)) for k in GRAPHIC_KINDS})
    r.done()
    top.done()
    return StylePack(info, layout, typo, rendering, phi, clinical, graphics)


def load_pack(path: str | Path) -> StylePack:
    """Read and validate one pack file; :class:`PackError` names the file and key on any problem."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise PackError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{path}: not valid TOML ({exc})") from None
    pack = parse_pack(data, str(path), path.stem)
    return StylePack(pack.pack, pack.layout, pack.typography, pack.rendering, pack.phi, pack.clinical,
                     pack.graphics, path)
