"""The shipped style packs (issue 14 item 2): each loads, cites its sources, has its own vocabulary, and
names only faces, layouts and PHI formats the generator knows; across packs the diversity minimums hold.

Reference checks use the registries of the modules that define the names (``synth.faces``,
``synth.layouts``, ``synth.styles.field_formats`` / ``id_shapes`` / ``labels``); while one of those
modules does not exist yet, its check is skipped with a message naming the module.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Iterable
from types import ModuleType
from typing import Any

import pytest

from phiphantom.synth.styles import StylePack, list_packs

MIN_PACKS = 12
MIN_TOKENS_PER_PACK = 30
MIN_TOKENS_ALL = 400
MIN_DATE_TIME_FORMATS = 15
MIN_ID_SHAPES = 8
MIN_LOCALES = 10
MIN_LABEL_LANGUAGES = 5
TECHNOLOGIES = {"ttf", "stroke", "bitmap"}


def authored() -> list[StylePack]:
    """Every shipped pack except the built-in ``classic`` (which writes out today's generator)."""
    return [p for p in list_packs() if p.name != "classic"]


def module_or_skip(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"phiphantom.synth.{name}")
    except ImportError:
        pytest.skip(f"phiphantom.synth.{name} does not exist yet: this reference check is skipped until it does")


def keys(module: ModuleType, attr: str) -> set[str]:
    table: Any = getattr(module, attr, None)
    if table is None:
        pytest.skip(f"{module.__name__}.{attr} does not exist yet: this reference check is skipped until it does")
    return {str(k) for k in table}


def unknown(values: Iterable[str], known: set[str]) -> list[str]:
    return sorted(v for v in values if v not in known)


PACKS = authored()
IDS = [p.name for p in PACKS]


@pytest.mark.parametrize("pack", PACKS, ids=IDS)
def test_pack_cites_sources_and_has_its_own_vocabulary(pack: StylePack) -> None:
    assert len(pack.pack.sources) >= 2, f"{pack.name}: cite at least 2 public sources"
    assert all(s.startswith("https://") or s.startswith("http://") for s in pack.pack.sources), pack.name
    assert pack.pack.modelled_on and pack.pack.licence_notes, pack.name
    vocab = pack.vocabulary()
    assert len(vocab) >= MIN_TOKENS_PER_PACK, f"{pack.name}: {len(vocab)} clinical tokens"
    # the pack sets its own proportions of hard text
    assert pack.typography.small_text_p > 0 and pack.rendering.low_contrast_p > 0, pack.name
    assert pack.rendering.over_image_p > 0, pack.name
    # small text means 8-11 px can be drawn
    assert pack.typography.size_px[0] <= 11, pack.name


@pytest.mark.parametrize("pack", PACKS, ids=IDS)
def test_dense_strings_name_the_packs_parameters(pack: StylePack) -> None:
    labels = {p.label for p in pack.clinical.parameters}
    for text in pack.clinical.dense_strings:
        named = set(re.findall(r"\{([^}]*)\}", text))
        assert named and named <= labels, f"{pack.name}: {text!r} names {sorted(named - labels)}"
    for text in pack.clinical.frame_counter:
        assert set(re.findall(r"\{([^}]*)\}", text)) <= {"i", "n"}, f"{pack.name}: {text!r}"
    for p in pack.clinical.parameters:   # the format fills with the three fields only
        assert p.format.format(label=p.label, value="1.0", unit=p.unit), f"{pack.name}: {p.label}"


def test_packs_have_distinct_wording() -> None:
    """No pack is another's copy: each has tokens no other pack uses."""
    vocab = {p.name: p.vocabulary() for p in PACKS}
    for name, words in vocab.items():
        others = set().union(*(v for n, v in vocab.items() if n != name))
        assert len(words - others) >= 5, f"{name}: only {sorted(words - others)} are its own"


@pytest.mark.parametrize("pack", PACKS, ids=IDS)
def test_faces_exist(pack: StylePack) -> None:
    faces = module_or_skip("faces")
    get_face = getattr(faces, "get_face", None)
    if get_face is None:
        pytest.skip("phiphantom.synth.faces.get_face does not exist yet: face check skipped")
    for font in pack.typography.fonts:
        assert get_face(font.face) is not None, f"{pack.name}: {font.face}"   # raises for an unknown face


def clinical_texts(pack: StylePack) -> list[str]:
    c = pack.clinical
    read_outs = [*c.parameters, *c.measurements]
    return [*(r.label for r in read_outs), *(r.unit for r in read_outs), *(p.format for p in c.parameters),
            *c.presets, *c.probes, *c.modes, *c.annotations, *c.body_markers]


@pytest.mark.parametrize("pack", PACKS, ids=IDS)
def test_every_face_draws_the_packs_clinical_wording(pack: StylePack) -> None:
    """A face that lacks a letter of the pack's own wording would make the generator retry the file."""
    faces = module_or_skip("faces")
    for font in pack.typography.fonts:
        face = faces.get_face(font.face)
        missing = sorted({ch for text in clinical_texts(pack) for ch in text
                          if not ch.isspace() and not face.covers(ch)})
        assert not missing, f"{pack.name}: {font.face} cannot draw {missing}"


@pytest.mark.parametrize("pack", PACKS, ids=IDS)
def test_layouts_exist(pack: StylePack) -> None:
    layouts = module_or_skip("layouts")
    known = keys(layouts, "LAYOUTS") | set(getattr(layouts, "COMPACT_LAYOUTS", {}))
    try:
        known |= set(importlib.import_module("phiphantom.synth.styles.compose_pack").PACK_LAYOUTS)
    except (ImportError, AttributeError):
        pass
    assert not unknown(pack.layout.layouts, known), f"{pack.name}: unknown layouts"


@pytest.mark.parametrize("pack", PACKS, ids=IDS)
def test_phi_formats_exist(pack: StylePack) -> None:
    formats = module_or_skip("styles.field_formats")
    dates, times, names = keys(formats, "DATE_FORMATS"), keys(formats, "TIME_FORMATS"), keys(formats, "NAME_FORMATS")
    assert not unknown((f for f in pack.phi.date_formats if "%" not in f), dates), pack.name
    assert not unknown((f for f in pack.phi.time_formats if "%" not in f), times), pack.name
    assert not unknown(pack.phi.name_formats, names), pack.name
    day = dt.datetime(2026, 12, 5, 14, 3, 12)
    for f in pack.phi.date_formats:
        assert formats.format_date(day.date(), f), f"{pack.name}: {f}"
    for f in pack.phi.time_formats:
        assert formats.format_time(day, f), f"{pack.name}: {f}"


@pytest.mark.parametrize("pack", PACKS, ids=IDS)
def test_id_shapes_and_labels_exist(pack: StylePack) -> None:
    shapes = keys(module_or_skip("styles.id_shapes"), "ID_SHAPES")
    assert not unknown(pack.phi.id_shapes, shapes), pack.name
    labels = keys(module_or_skip("styles.labels"), "LABELS")
    assert pack.layout.label_language in labels, pack.name


def test_locales_are_name_locales() -> None:
    """Every weighted locale is one the name drawer knows (``synth.styles.names.NAME_LOCALES``)."""
    known = keys(module_or_skip("styles.names"), "NAME_LOCALES")
    for pack in PACKS:
        assert not unknown(pack.phi.locales, known), pack.name


def test_diversity_across_packs() -> None:
    assert len(PACKS) >= MIN_PACKS, f"{len(PACKS)} packs besides classic"
    vocab = set().union(*(p.vocabulary() for p in PACKS))
    assert len(vocab) >= MIN_TOKENS_ALL, f"{len(vocab)} distinct clinical tokens across packs"
    date_time = set().union(*(set(p.phi.date_formats) | set(p.phi.time_formats) for p in PACKS))
    assert len(date_time) >= MIN_DATE_TIME_FORMATS, sorted(date_time)
    shapes = set().union(*(set(p.phi.id_shapes) for p in PACKS))
    assert len(shapes) >= MIN_ID_SHAPES, sorted(shapes)
    locales = set().union(*(set(p.phi.locales) for p in PACKS))
    assert len(locales) >= MIN_LOCALES, sorted(locales)
    languages = {p.layout.label_language for p in PACKS}
    assert len(languages) >= MIN_LABEL_LANGUAGES, sorted(languages)
    techs = {f.face.split(":", 1)[0] for p in PACKS for f in p.typography.fonts if ":" in f.face}
    assert techs >= TECHNOLOGIES, sorted(techs)
