"""Style-pack schema, loader and registry (issue 14 item 1): shipped packs load, bad packs fail naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from phiphantom.synth.styles import (
    PackError,
    StylePack,
    check_references,
    get_pack,
    list_packs,
    load_pack,
    packs_dir,
    select,
)
from phiphantom.synth.styles.schema import (
    Clinical,
    Graphics,
    LayoutSpec,
    Measurement,
    Parameter,
    PhiFormats,
    Rendering,
    Typography,
    tokens,
)

HEAD = """[pack]
name = "{name}"
version = "2"
title = "Test pack"
modelled_on = "nothing real"
sources = ["https://example.org/manual.pdf"]
"""


def write_pack(tmp_path: Path, body: str, name: str = "test-pack") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(HEAD.format(name=name) + body, encoding="utf-8")
    return path


def test_every_shipped_pack_loads() -> None:
    files = sorted(p.stem for p in packs_dir().glob("*.toml"))
    packs = list_packs()
    assert sorted(p.name for p in packs) == files
    assert packs[0].name == "classic"
    for pack in packs:
        assert pack.version and pack.pack.sources and pack.typography.fonts
        assert load_pack(packs_dir() / f"{pack.name}.toml") == pack


def test_classic_pack_is_the_schema_default() -> None:
    classic = get_pack("classic")
    assert classic == StylePack(classic.pack, path=classic.path)
    assert (LayoutSpec(), Typography(), Rendering(), PhiFormats(), Clinical(), Graphics()) == (
        classic.layout, classic.typography, classic.rendering, classic.phi, classic.clinical, classic.graphics)
    # today's knobs (synth/compose.py DIFFICULTY["realistic"], overlay_content.py)
    assert classic.rendering.antialias_p == 0.7 and classic.layout.plate_p == 0.3
    assert classic.typography.size_px == (10, 20)
    assert {"MI", "TIS", "MHz", "C5-2", "R-PLAPS", "eFAST"} <= classic.vocabulary()


def test_minimal_pack_takes_defaults(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, '[clinical]\npresets = ["Carotid L", "Thyroid"]\n'))
    assert pack.name == "test-pack" and pack.version == "2"
    assert pack.layout == LayoutSpec() and pack.graphics == Graphics()
    assert pack.clinical.presets == ("Carotid L", "Thyroid")
    assert {"Carotid", "L", "Thyroid"} <= pack.vocabulary()


def test_tables_and_vocabulary(tmp_path: Path) -> None:
    body = """[typography]
fonts = [{ face = "DejaVuSansMono", weight = 3 }, { face = "DejaVuSerif" }]
[clinical]
parameters = [{ label = "PRF", unit = "kHz", values = [1.5, 9], decimals = 1 }]
measurements = [{ label = "Vmax", unit = "cm/s", values = [10, 200] }]
dense_strings = ["{PRF} WF {Gn} Cmp-3"]
annotations = ["GB (contracted)"]
"""
    pack = load_pack(write_pack(tmp_path, body))
    assert [(f.face, f.weight) for f in pack.typography.fonts] == [("DejaVuSansMono", 3.0), ("DejaVuSerif", 1.0)]
    assert pack.clinical.parameters == (Parameter("PRF", "kHz", (1.5, 9.0), 1),)
    assert pack.clinical.measurements == (Measurement("Vmax", "cm/s", (10.0, 200.0), 2),)
    vocab = pack.vocabulary()
    assert {"PRF", "kHz", "Vmax", "cm/s", "WF", "Cmp-3", "GB", "contracted"} <= vocab
    assert "{PRF}" not in vocab and "{Gn}" not in vocab


def test_tokens_split() -> None:
    assert tokens("MI: 1.2 {x} (Abd)") == {"MI", "Abd"}
    assert tokens("12.5 -3") == set()


@pytest.mark.parametrize(("body", "key", "expected"), [
    ("[layout]\nplate_q = 0.2\n", "layout.plate_q", "unknown key"),
    ("[colour]\nx = 1\n", "colour", "unknown key"),
    ("[typography]\nsize_px = [16, 10]\n", "typography.size_px", "lo <= hi"),
    ("[typography]\nsize_px = 12\n", "typography.size_px", "range [lo, hi]"),
    ("[rendering]\nantialias_p = 1.5\n", "rendering.antialias_p", "[0, 1]"),
    ("[rendering]\nantialias_p = \"yes\"\n", "rendering.antialias_p", "got a string"),
    ("[rendering]\ncolours = { white = 0 }\n", "rendering.colours.white", "weight > 0"),
    ("[phi]\ndate_formats = \"%d.%m.%Y\"\n", "phi.date_formats", "array of strings"),
    ("[layout]\npatient_fields = [\"name\", \"shoe_size\"]\n", "layout.patient_fields", "shoe_size"),
    ("[typography]\nfonts = [{ face = \"DejaVuSans\", colour = 1 }]\n", "typography.fonts[0].colour", "unknown key"),
    ("[clinical]\nparameters = [{ unit = \"Hz\" }]\n", "clinical.parameters[0].label", "required"),
    ("[graphics]\nlogo = true\n", "graphics.logo", "probability"),
    ("[layout]\nmargin_px = [4.5, 6]\n", "layout.margin_px", "integers"),
])
def test_bad_pack_names_file_and_key(tmp_path: Path, body: str, key: str, expected: str) -> None:
    path = write_pack(tmp_path, body)
    with pytest.raises(PackError) as err:
        load_pack(path)
    message = str(err.value)
    assert str(path) in message and f": {key}:" in message and expected in message


def test_pack_section_problems(tmp_path: Path) -> None:
    path = write_pack(tmp_path, "", name="other-name")
    path = path.rename(tmp_path / "stem.toml")
    with pytest.raises(PackError, match=r"pack\.name: expected the file name stem 'stem'"):
        load_pack(path)
    bad = tmp_path / "no-head.toml"
    bad.write_text("[layout]\nlabel_p = 0.1\n", encoding="utf-8")
    with pytest.raises(PackError, match=r"no-head\.toml: pack: expected a value"):
        load_pack(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[pack\n", encoding="utf-8")
    with pytest.raises(PackError, match="not valid TOML"):
        load_pack(broken)


def test_select_and_errors() -> None:
    names = [p.name for p in list_packs()]
    assert [p.name for p in select(None)] == names
    if len(names) > 1:
        assert [p.name for p in select("all", "classic")] == names[1:]
    assert [p.name for p in select("classic")] == ["classic"]
    with pytest.raises(PackError, match=r"unknown style pack\(s\) nope.*known: classic"):
        select("classic,nope")
    with pytest.raises(PackError, match="unknown style pack 'nope'"):
        get_pack("nope")
    with pytest.raises(PackError, match="no style pack left"):
        select("classic", "classic")


def test_references_checked_against_the_registries(tmp_path: Path) -> None:
    """Names other modules define: layouts (synth.layouts) always, faces where synth.faces exists."""
    pack = load_pack(write_pack(tmp_path, '[layout]\nlayouts = { banner = 2, side_wave = 1 }\n'))
    with pytest.raises(PackError, match=r"layout\.layouts: unknown layout 'side_wave'.*banner"):
        check_references(pack)
    pack = load_pack(write_pack(tmp_path, '[typography]\nfonts = [{ face = "DejaVuSansCondensed" }]\n'))
    with pytest.raises(PackError, match=r"typography\.fonts\[0\]\.face: unknown font 'DejaVuSansCondensed'"):
        check_references(pack)
    pack = load_pack(write_pack(tmp_path, '[rendering]\ncolours = { white = 1, mauve = 1 }\n'))
    with pytest.raises(PackError, match=r"rendering\.colours: unknown colour 'mauve'"):
        check_references(pack)
    pack = load_pack(write_pack(tmp_path, '[phi]\nlocales = { de_DE = 1, xx_YY = 1 }\n'))
    with pytest.raises(PackError, match=r"phi\.locales: unknown Faker locale 'xx_YY'"):
        check_references(pack)
    check_references(load_pack(write_pack(tmp_path, '[layout]\nlayouts = { banner = 2, mixed = 1 }\n')))
    pytest.importorskip("phiphantom.synth.faces")
    pack = load_pack(write_pack(tmp_path, '[typography]\nfonts = [{ face = "ttf:no-such-face" }]\n'))
    with pytest.raises(PackError, match=r"typography\.fonts\[0\]\.face: unknown face 'ttf:no-such-face'"):
        check_references(pack)


def test_packs_are_hashable() -> None:
    """A pack can key a cache (its dict-valued sections are not hashable themselves)."""
    packs = list_packs()
    assert len({pack: pack.name for pack in packs}) == len(packs)
