"""Issue 12 item 17: every user string printed through Rich is shown as it is, never read as markup.

Each command runs (in process, through the real Typer app) on real files and folders whose names
Rich would read as markup (``[red]``, a closing tag ``[/x]``) or as an emoji code (``:smile:``).
Before the fix a ``[/x]`` raised MarkupError after all files were written, ``[red]`` vanished from
printed paths, install hints lost their extra and ``--ner-model`` help said "(extra phiphantom)".
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import click
import pytest
import typer.main
from typer.testing import CliRunner

from phiphantom.cli.main import app

ODD = "w[red]:smile:"  # a tag Rich would swallow and an emoji code it would replace


def odd_dir(base: Path, name: str) -> Path:
    """``base/w[red]:smile:/NAME[/x]``: the path's text holds ``[red]``, ``:smile:`` and ``[/x]``."""
    return base / ODD / f"{name}[" / "x]"


def run(*args) -> click.testing.Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "4000"})


def squash(text: str) -> str:
    """Text without whitespace or panel borders, so a wrapped line still matches."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "│")


def assert_clean(result, code: int) -> None:
    """No exception escaped the command (no MarkupError, no traceback) and it exited with ``code``."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "MarkupError" not in result.output
    assert result.exit_code == code, result.output


def assert_shows(result, text) -> None:
    assert squash(str(text)) in squash(result.output), f"{text!s} not shown literally in:\n{result.output}"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A two-file dataset made by ``phiphantom generate`` into a folder named like markup."""
    out = odd_dir(tmp_path_factory.mktemp("rich"), "ds")
    result = run("generate", "--out", out, "--patients", 1, "--files-per-study", "2:2", "--cine-fraction", 0,
                 "--size", "320x240", "--jpeg-fraction", 0, "--seed", 3, "--workers", 1, "--no-validate")
    return out, result


@pytest.fixture(scope="module")
def benched(generated, tmp_path_factory):
    data, _ = generated
    out = odd_dir(tmp_path_factory.mktemp("rich"), "results")
    result = run("bench", "--data", data, "--engine", "nul=null", "--engine", "header-basic", "--out", out,
                 "--workers", 1, "--no-ocr")
    return out, result


def test_generate_validate_ocr_check_print_paths_literally(generated):
    """Issue 12 item 17: generate / validate / ocr-check on a folder named `w[red]:smile:/ds[/x]`."""
    out, result = generated
    assert_clean(result, 0)
    assert_shows(result, out)
    assert (out / "manifest.json").is_file()
    assert_clean(run("validate", out), 0)
    assert_clean(run("ocr-check", out, "--frames", 2), 0)
    missing = odd_dir(out.parent.parent.parent, "no-such-source")
    bad = run("generate", "--out", odd_dir(out.parent.parent.parent, "g2"), "--source", f"folder:{missing}",
              "--patients", 1)
    assert_clean(bad, 2)
    assert_shows(bad, missing)
    bench = run("generate-bench", "--source", f"folder:{missing}", "--patients", 1)
    assert_clean(bench, 2)
    assert_shows(bench, missing)
    config = odd_dir(out.parent.parent.parent, "config") / "c[red].toml"
    config.parent.mkdir(parents=True)
    config.write_text('patients = "ten[/x]"\n', encoding="utf-8")
    typed = run("generate", "--out", odd_dir(out.parent.parent.parent, "g3"), "--config", config)
    assert_clean(typed, 2)  # a wrong-typed TOML value: one clear line, no ValueError traceback
    assert "error:" in typed.output


def test_deid_prints_out_and_errors_literally(generated, tmp_path):
    """Issue 12 item 17: deid into `w[red]:smile:/out[/x]` finishes (exit 0) and names OUT as it is."""
    data, _ = generated
    out = odd_dir(tmp_path, "out")
    result = run("deid", data / "dicom", out, "--ephemeral-key", "--workers", 1)
    assert_clean(result, 0)
    assert_shows(result, out)
    assert any(out.rglob("*.dcm"))
    missing = odd_dir(tmp_path, "missing")
    bad = run("deid", missing, tmp_path / "out2", "--ephemeral-key", "--workers", 1)
    assert_clean(bad, 2)
    assert_shows(bad, missing)


def test_bench_compare_and_demo_print_paths_literally(benched, tmp_path):
    """Issue 12 item 17: bench / bench compare / demo with results in `w[red]:smile:/results[/x]`."""
    out, result = benched
    assert_clean(result, 0)
    assert_shows(result, out / "results.json")
    assert_shows(result, "nul")
    # compare: a regression against a baseline in a markup-named folder prints both names in its title
    folder = odd_dir(tmp_path, "cmp")
    folder.mkdir(parents=True)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    (folder / "current.json").write_text(json.dumps(results), encoding="utf-8")
    for engine in results["engines"]:
        engine["metrics"]["box_recall"] = 0.5
    (folder / "baseline.json").write_text(json.dumps(results), encoding="utf-8")
    compared = run("bench", "compare", folder / "baseline.json", folder / "current.json")
    assert_clean(compared, 1)
    assert_shows(compared, f"{folder / 'baseline.json'} -> {folder / 'current.json'}")
    assert "REGRESSION" in compared.output
    missing = run("bench", "compare", folder / "nope[red].json", folder / "current.json")
    assert_clean(missing, 2)
    assert_shows(missing, folder / "nope[red].json")
    demo_out = odd_dir(tmp_path, "demo")
    demo = run("demo", "--out", demo_out, "--patients", 1, "--workers", 1)
    assert_clean(demo, 0)
    assert_shows(demo, demo_out / "dataset")


def test_peers_print_names_and_home_literally(tmp_path):
    """Issue 12 item 17: `peers list --home w[red]:smile:/home[/x]`, `peers install 'nope[/x]'`."""
    home = odd_dir(tmp_path, "home")
    listed = run("peers", "list", "--home", home)
    assert_clean(listed, 0)
    assert_shows(listed, home)
    unknown = run("peers", "install", "nope[/x][red]")
    assert_clean(unknown, 2)
    assert_shows(unknown, "nope[/x][red]")


@pytest.mark.skipif(importlib.util.find_spec("rapidocr_onnxruntime") is not None, reason="rapidocr is installed")
def test_install_hint_keeps_its_extra(generated, tmp_path):
    """Issue 12 item 17: the missing-backend hint says pip install 'phiphantom[rapidocr]' (not 'phiphantom')."""
    data, _ = generated
    result = run("deid", data / "dicom", tmp_path / "out", "--ephemeral-key", "--workers", 1, "--ocr", "rapidocr")
    assert_clean(result, 2)
    assert_shows(result, "pip install 'phiphantom[rapidocr]'")


@pytest.mark.skipif(importlib.util.find_spec("transformers") is not None, reason="transformers is installed")
def test_ner_install_hint_keeps_its_extra(generated, tmp_path):
    """Issue 12 item 17: --ner-model without transformers says pip install 'phiphantom[ner]'."""
    data, _ = generated
    model = tmp_path / "model[red]"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    result = run("deid", data / "dicom", tmp_path / "out", "--ephemeral-key", "--workers", 1, "--ner-model", model)
    assert_clean(result, 2)
    assert_shows(result, "pip install 'phiphantom[ner]'")


def _commands(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, path + [name])


def test_help_text_is_shown_as_written():
    """Issue 12 item 17: --ner-model help says phiphantom[ner]; every option's help is shown as written."""
    deid_help = run("deid", "--help")
    assert_clean(deid_help, 0)
    assert_shows(deid_help, "pip install 'phiphantom[ner]'")
    for path, command in _commands(typer.main.get_command(app), []):
        shown = run(*path, "--help")
        assert_clean(shown, 0)
        texts = [p.help for p in command.params if getattr(p, "help", None)]
        texts += [command.help.strip().splitlines()[0]] if command.help else []
        for text in texts:  # help may escape a literal "[" as "\[" (cli_text.help_text); it must show as "["
            assert squash(text.replace("\\[", "[")) in squash(shown.output), (path, text)


def test_lit_round_trips_through_rich():
    """Issue 12 item 17: cli_text.lit() makes any string print as itself (tags, closing tags, backslashes)."""
    from rich.console import Console

    from phiphantom.core.cli_text import lit

    for value in ("a[/x]b", "[red]x[/red]", "[bold]", "ends\\", "\\[red]", "p:smile:q", "[1] [/]", "x[a=b]y"):
        console = Console(record=True, width=200, emoji=False)
        console.print(f"[green]{lit(value)}[/green]")
        assert console.export_text().rstrip("\n") == value
