"""`phiphantom styles list|show|diversity` and the contact sheet (issue 14 items 1 and 3), through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.synth.styles import get_pack, load_pack, packs_dir
from phiphantom.synth.styles.contact_sheet import SHEET_WIDTH, contact_sheet
from phiphantom.synth.styles.diversity import MINIMUMS, diversity
from phiphantom.synth.styles.schema import StylePack

runner = CliRunner()


def test_list_shows_every_pack_file() -> None:
    result = runner.invoke(app, ["styles", "list"])
    assert result.exit_code == 0, result.output
    names = sorted(p.stem for p in packs_dir().glob("*.toml"))
    assert "classic" in names
    for name in names:
        assert name in result.output
    assert f"{len(names)} style packs" in result.output


def test_list_json() -> None:
    result = runner.invoke(app, ["styles", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {row["name"]: row for row in data["packs"]}
    assert set(rows) == {p.stem for p in packs_dir().glob("*.toml")}
    classic = rows["classic"]
    assert classic["fonts_by_technology"] == {"ttf": 6}
    assert classic["vocabulary_size"] == len(get_pack("classic").vocabulary()) > 30
    assert data["diversity"]["packs"] == len(rows)


def test_show_writes_a_real_png(tmp_path: Path) -> None:
    out = tmp_path / "sheets" / "classic.png"
    result = runner.invoke(app, ["styles", "show", "classic", "--out", str(out), "--samples", "0"])
    assert result.exit_code == 0, result.output
    assert "classic v1" in result.output and "clinical vocabulary" in result.output
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        assert image.size[0] == SHEET_WIDTH and 300 < image.size[1] < 4000
        pixels = np.asarray(image)
    assert f"({SHEET_WIDTH}x{pixels.shape[0]})" in result.output
    bright = pixels.max(axis=2) > 128  # text drawn: many bright pixels, spread over the sheet's rows
    assert bright.sum() > 5000 and np.flatnonzero(bright.any(axis=1)).size > 200


def test_sheet_draws_each_font_differently() -> None:
    """The font rows differ between two packs that differ only in their face (real rasterised text)."""
    base = get_pack("classic")
    sans = StylePack(base.pack, typography=type(base.typography)(fonts=base.typography.fonts[:1]))
    mono = StylePack(base.pack, typography=type(base.typography)(fonts=base.typography.fonts[1:2]))
    a, b = contact_sheet(sans, samples=0), contact_sheet(mono, samples=0)
    assert a.shape[1] == b.shape[1] == SHEET_WIDTH
    assert not np.array_equal(a, b)


def test_show_unknown_and_no_overwrite(tmp_path: Path, monkeypatch) -> None:
    result = runner.invoke(app, ["styles", "show", "no-such-pack"])
    assert result.exit_code == 2 and "unknown style pack 'no-such-pack'" in result.output
    assert "classic" in result.output
    monkeypatch.chdir(tmp_path)
    (tmp_path / "classic.png").write_bytes(b"mine")
    result = runner.invoke(app, ["styles", "show", "classic", "--samples", "0"])
    assert result.exit_code == 2 and "exists" in result.output
    assert (tmp_path / "classic.png").read_bytes() == b"mine"


def _pack(tmp_path: Path, name: str, body: str) -> StylePack:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[pack]\nname = "{name}"\nversion = "1"\ntitle = "t"\nmodelled_on = "m"\nsources = ["s"]\n'
                    + body, encoding="utf-8")
    return load_pack(path)


def test_diversity_counts(tmp_path: Path) -> None:
    common = '[clinical]\nparameters = []\nprobes = []\nmodes = []\nbody_markers = []\n'
    a = _pack(tmp_path, "a", """[typography]
fonts = [{ face = "ttf:x" }, { face = "stroke:y" }, { face = "DejaVuSans" }]
[layout]
label_language = "de"
[phi]
date_formats = ["%d.%m.%Y", "DD.MM.YYYY"]
time_formats = ["%H:%M"]
id_shapes = ["digits-8", "luhn-10"]
locales = { de_DE = 2, fr_FR = 1 }
""" + common + 'presets = ["Abd", "Leber Gallenblase"]\n')
    b = _pack(tmp_path, "b", """[typography]
fonts = [{ face = "ttf:x" }, { face = "bitmap:z" }]
[layout]
label_language = "fr"
[phi]
date_formats = ["%Y-%m-%d"]
time_formats = ["%H:%M"]
id_shapes = ["digits-8"]
locales = { fr_FR = 1, it_IT = 1 }
""" + common + 'presets = ["ABD", "Foie"]\n')
    d = diversity([a, b])
    assert d["packs"] == 2 and d["pack_names"] == ["a", "b"]
    assert d["fonts_by_technology"] == {"bitmap": 1, "stroke": 1, "ttf": 2} and d["faces"] == 4
    # "DD.MM.YYYY" is field_formats' name of "%d.%m.%Y" where that module exists: one format, else two
    assert d["date_time_formats"] in (3, 4)
    assert (d["id_shapes"], d["locales"], d["label_languages"]) == (2, 3, 2)
    assert d["clinical_tokens"] == 4  # abd (either case), leber, gallenblase, foie
    assert d["meets_minimums"] == {k: False for k in MINIMUMS}


def test_diversity_command_prints_figures() -> None:
    result = runner.invoke(app, ["styles", "diversity"])
    assert result.exit_code == 0, result.output
    for key in MINIMUMS:
        assert key.replace("_", " ") in result.output
    print(result.output)  # the shipped packs' figures, for the record (-s)


def test_sheets_writes_one_png_per_pack(tmp_path: Path) -> None:
    out = tmp_path / "sheets"
    result = runner.invoke(app, ["styles", "sheets", str(out), "--styles", "classic", "--samples", "0"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["classic.png", "index.md"]
    assert "![classic](classic.png)" in (out / "index.md").read_text(encoding="utf-8")
    with Image.open(out / "classic.png") as image:
        assert image.size[0] == SHEET_WIDTH
    result = runner.invoke(app, ["styles", "sheets", str(out), "--styles", "nope"])
    assert result.exit_code == 2 and "unknown style pack(s) nope" in result.output


def test_show_and_sheets_never_replace_a_file_without_overwrite(tmp_path: Path) -> None:
    """An existing --out file, or a sheet / index.md already in the folder, is kept (exit 2, nothing written)."""
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"mine")
    result = runner.invoke(app, ["styles", "show", "classic", "--samples", "0", "--out", str(mine)])
    assert result.exit_code == 2 and "--overwrite" in result.output and mine.read_bytes() == b"mine"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "index.md").write_text("my notes", encoding="utf-8")
    result = runner.invoke(app, ["styles", "sheets", str(folder), "--styles", "classic", "--samples", "0"])
    assert result.exit_code == 2 and "nothing written" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["index.md"]
    assert (folder / "index.md").read_text(encoding="utf-8") == "my notes"
    result = runner.invoke(app, ["styles", "show", "classic", "--samples", "0", "--out", str(mine), "--overwrite"])
    assert result.exit_code == 0 and mine.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
