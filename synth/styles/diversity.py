"""Diversity figures across style packs (issue 14 acceptance): what a dataset drawn from them can vary.

``diversity(packs)`` counts distinct fonts by technology, date/time formats, ID shapes, locales, label
languages and clinical tokens over the packs, and compares them with the issue's minimums. The
generator writes it into the manifest; ``phiphantom styles diversity`` prints it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from .schema import StylePack

#: The issue's minimums over all packs.
MINIMUMS = {"date_time_formats": 15, "id_shapes": 8, "locales": 10, "label_languages": 5, "clinical_tokens": 400}


def technology(face: str) -> str:
    """The font technology of a face name: its ``tech:`` prefix; bare (DejaVu) names are TrueType."""
    return face.split(":", 1)[0] if ":" in face else "ttf"


def _named_patterns() -> dict[str, dict[str, Any]]:
    """Named date/time formats of field_formats (key -> strftime pattern or function), where it exists."""
    try:
        ff = importlib.import_module("phiphantom.synth.styles.field_formats")
    except ImportError:
        return {"date": {}, "time": {}}
    return {"date": dict(getattr(ff, "DATE_FORMATS", {})), "time": dict(getattr(ff, "TIME_FORMATS", {}))}


def _format_identity(kind: str, key: str, named: dict[str, dict[str, Any]]) -> str:
    """A named format and the strftime pattern it stands for count once."""
    value = named[kind].get(key, key)
    return f"{kind}:{value}" if isinstance(value, str) else f"{kind}:{key}"


def diversity(packs: Iterable[StylePack]) -> dict[str, Any]:
    """Distinct counts across ``packs`` and whether each meets :data:`MINIMUMS`.

    Clinical tokens are the packs' ``vocabulary()`` words compared case-insensitively.
    """
    packs = list(packs)
    named = _named_patterns()
    faces: dict[str, set[str]] = {}
    formats: set[str] = set()
    shapes: set[str] = set()
    locales: set[str] = set()
    languages: set[str] = set()
    vocabulary: set[str] = set()
    for pack in packs:
        for font in pack.typography.fonts:
            faces.setdefault(technology(font.face), set()).add(font.face)
        formats |= {_format_identity("date", k, named) for k in pack.phi.date_formats}
        formats |= {_format_identity("time", k, named) for k in pack.phi.time_formats}
        shapes |= set(pack.phi.id_shapes)
        locales |= set(pack.phi.locales)
        languages.add(pack.layout.label_language)
        vocabulary |= {t.casefold() for t in pack.vocabulary()}
    counts = {
        "date_time_formats": len(formats), "id_shapes": len(shapes), "locales": len(locales),
        "label_languages": len(languages), "clinical_tokens": len(vocabulary),
    }
    return {
        "packs": len(packs),
        "pack_names": [p.name for p in packs],
        "fonts_by_technology": {t: len(f) for t, f in sorted(faces.items())},
        "faces": sum(len(f) for f in faces.values()),
        **counts,
        "minimums": dict(MINIMUMS),
        "meets_minimums": {k: counts[k] >= v for k, v in MINIMUMS.items()},
    }
