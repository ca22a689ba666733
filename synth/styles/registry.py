"""The shipped style packs: ``list_packs()``, ``get_pack(name)`` and ``select(styles, exclude)``.

Packs are the ``*.toml`` files in ``synth/styles/packs`` (package data). Besides the schema checks of
:func:`~.schema.load_pack`, the registry checks each pack's references against the modules that define
them, where those modules exist: face names (``synth.faces.get_face``; bare names are the classic DejaVu
fonts of ``synth.fonts``), layout names (``synth.layouts``), PHI format keys (``synth.styles.field_formats``
or ``synth.styles.id_shapes``), label languages (``synth.styles.labels``), colour names (``synth.compose``)
and Faker locales.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from faker.config import AVAILABLE_LOCALES

from phiphantom.core.ground_truth import DEFAULT_PACK as DEFAULT_PACK  # the generator's default (classic) pack

from ..fonts import LEGACY_FACES
from .schema import PackError, StylePack, load_pack

#: Shapes and name formats the classic generator draws itself (synth/identity.py, overlay_content.py).
CLASSIC_ID_SHAPES = ("digits7", "zero_padded8", "alpha_digits", "dashed", "year_seq", "site_prefix")
CLASSIC_NAME_FORMATS = ("FAMILY, GIVEN", "Family, Given", "Given Family", "FAMILY^GIVEN", "FAMILY GIVEN M")


def packs_dir() -> Path:
    """The folder of the shipped pack files."""
    return Path(__file__).resolve().parent / "packs"


def _optional(module: str) -> ModuleType | None:
    """Another part's module, or None while it does not exist yet."""
    try:
        return importlib.import_module(f"phiphantom.synth.{module}")
    except ImportError:
        return None


def _keys(module: ModuleType | None, attr: str) -> set[str] | None:
    table: Any = getattr(module, attr, None) if module is not None else None
    return None if table is None else {str(k) for k in table}


def _check_all(pack: StylePack, where: str, values: Iterable[str], allowed: set[str] | None,
               what: str) -> None:
    if allowed is None:
        return
    for value in values:
        if value not in allowed:
            raise PackError(f"{pack.path or pack.name}: {where}: unknown {what} {value!r} "
                            f"(known: {', '.join(sorted(allowed))})")


def check_references(pack: StylePack) -> None:
    """Refuse names the rest of the generator does not know (checked against the modules present)."""
    faces = _optional("faces")
    get_face = getattr(faces, "get_face", None)
    for i, font in enumerate(pack.typography.fonts):
        where = f"typography.fonts[{i}].face"
        if ":" not in font.face:
            _check_all(pack, where, [font.face], set(LEGACY_FACES), "font")
        elif get_face is not None:
            try:
                get_face(font.face)
            except Exception as exc:  # whatever the face registry raises for an unknown face
                raise PackError(f"{pack.path or pack.name}: {where}: unknown face {font.face!r} ({exc})") from None
    layouts = _optional("layouts")
    known_layouts = _keys(layouts, "LAYOUTS")
    if known_layouts is not None:
        known_layouts |= _keys(layouts, "COMPACT_LAYOUTS") or set()
        known_layouts |= _keys(_optional("styles.compose_pack"), "PACK_LAYOUTS") or set()
    _check_all(pack, "layout.layouts", pack.layout.layouts, known_layouts, "layout")
    formats = _optional("styles.field_formats")
    shapes = _keys(formats, "ID_SHAPES") or _keys(_optional("styles.id_shapes"), "ID_SHAPES")
    if shapes is not None:
        shapes |= set(CLASSIC_ID_SHAPES)
    _check_all(pack, "phi.id_shapes", pack.phi.id_shapes, shapes, "ID shape")
    names = _keys(formats, "NAME_FORMATS")
    if names is not None:
        names |= set(CLASSIC_NAME_FORMATS)
    _check_all(pack, "phi.name_formats", pack.phi.name_formats, names, "name format")
    for key, values in (("date_formats", pack.phi.date_formats), ("time_formats", pack.phi.time_formats)):
        named = _keys(formats, key.upper())
        _check_all(pack, f"phi.{key}", [v for v in values if "%" not in v], named, key.replace("_", " ")[:-1])
    _check_all(pack, "layout.label_language", [pack.layout.label_language],
               _keys(_optional("styles.labels"), "LABELS"), "label language")
    colours = _keys(_optional("compose"), "COLOURS")
    if colours is not None:
        colours |= _keys(_optional("styles.compose_pack"), "COLOURS") or set()
    _check_all(pack, "rendering.colours", pack.rendering.colours, colours, "colour")
    _check_all(pack, "phi.locales", pack.phi.locales, set(AVAILABLE_LOCALES), "Faker locale")


@lru_cache(maxsize=1)
def _all_packs() -> tuple[StylePack, ...]:
    packs = []
    for path in sorted(packs_dir().glob("*.toml")):
        pack = load_pack(path)
        check_references(pack)
        packs.append(pack)
    packs.sort(key=lambda p: (p.name != DEFAULT_PACK, p.name))
    return tuple(packs)


def list_packs() -> list[StylePack]:
    """Every shipped pack, validated, ``classic`` first then by name."""
    return list(_all_packs())


def pack_names() -> list[str]:
    return [p.name for p in _all_packs()]


def get_pack(name: str) -> StylePack:
    """The shipped pack called ``name``; :class:`PackError` lists the known ones otherwise."""
    for pack in _all_packs():
        if pack.name == name:
            return pack
    raise PackError(f"unknown style pack {name!r} (known: {', '.join(pack_names())})")


def _names(spec: str | None) -> list[str]:
    return [s.strip() for s in (spec or "").split(",") if s.strip()]


def select(styles: str | None, exclude: str | None = None) -> list[StylePack]:
    """Packs named in ``styles`` (comma-separated; None, "" or "all" = every pack) minus ``exclude``.

    Unknown names in either list are an error naming them and the known packs; an empty result too.
    """
    known = pack_names()
    wanted = _names(styles)
    dropped = _names(exclude)
    unknown = [n for n in wanted + dropped if n not in known and n != "all"]
    if unknown:
        raise PackError(f"unknown style pack(s) {', '.join(unknown)} (known: {', '.join(known)})")
    chosen = known if not wanted or "all" in wanted else list(dict.fromkeys(wanted))
    result = [get_pack(n) for n in chosen if n not in dropped]
    if not result:
        raise PackError("no style pack left after --exclude-styles")
    return result
