"""``phiphantom styles list|show|diversity``: look at the shipped style packs.

``list`` prints one row per pack (``--json`` for machines), ``show NAME`` prints a pack's summary and
writes its contact sheet (PNG), ``diversity`` prints the across-pack diversity figures against the
issue's minimums.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from phiphantom.core.cli_text import help_text, lit, out_console

from .contact_sheet import write_contact_sheet
from .diversity import MINIMUMS, diversity, technology
from .registry import get_pack, list_packs, select
from .schema import PackError, StylePack

styles_app = typer.Typer(help="Style packs: list them, show one (contact sheet PNG), diversity figures.",
                         no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)


def fonts_by_technology(pack: StylePack) -> dict[str, int]:
    """How many of the pack's faces each technology has."""
    return dict(sorted(Counter(technology(f.face) for f in pack.typography.fonts).items()))


def pack_summary(pack: StylePack) -> dict[str, Any]:
    """One pack's row (also the ``--json`` form)."""
    return {
        "name": pack.name, "version": pack.version, "title": pack.pack.title, "modelled_on": pack.pack.modelled_on,
        "fonts_by_technology": fonts_by_technology(pack), "fonts": [f.face for f in pack.typography.fonts],
        "vocabulary_size": len(pack.vocabulary()), "sources": list(pack.pack.sources),
        "layouts": dict(pack.layout.layouts), "label_language": pack.layout.label_language,
    }


def _packs() -> list[StylePack]:
    try:
        return list_packs()
    except PackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@styles_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (packs and diversity figures).")] = False,
) -> None:
    """One row per shipped pack: name, version, title, model, fonts by technology, vocabulary, sources."""
    packs = _packs()
    if as_json:
        typer.echo(json.dumps({"packs": [pack_summary(p) for p in packs], "diversity": diversity(packs)}, indent=2,
                              ensure_ascii=False))
        return
    table = Table(title=f"{len(packs)} style packs")
    for column in ("name", "version", "title", "modelled on", "fonts", "vocabulary", "sources"):
        table.add_column(column, overflow="fold")
    for p in packs:
        fonts = ", ".join(f"{t} {n}" for t, n in fonts_by_technology(p).items())
        model = p.pack.modelled_on if len(p.pack.modelled_on) <= 60 else p.pack.modelled_on[:57] + "..."
        table.add_row(lit(p.name), lit(p.version), lit(p.pack.title), lit(model), fonts, str(len(p.vocabulary())),
                      str(len(p.pack.sources)))
    console = out_console()
    console.width = max(console.width, 160)
    console.print(table)


_OUT_HELP = help_text("Contact sheet PNG to write [default: ./NAME.png]; an existing file only with --overwrite.")
_OVERWRITE_HELP = "Replace existing sheets (and index.md) of the same names."


@styles_app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="Pack name (see `phiphantom styles list`).")],
    out: Annotated[Path | None, typer.Option("--out", help=_OUT_HELP)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample screens.")] = 0,
    samples: Annotated[int, typer.Option(min=0, max=24, help="Sample screens on the sheet.")] = 6,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=_OVERWRITE_HELP)] = False,
) -> None:
    """Print a pack's summary and write its contact sheet (PNG)."""
    try:
        pack = get_pack(name)
    except PackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if out is None:
        out = Path(f"{pack.name}.png")
    if out.exists() and not overwrite:
        typer.echo(f"error: {out} exists; name another file with --out, or pass --overwrite", err=True)
        raise typer.Exit(2)
    s = pack_summary(pack)
    typer.echo(f"{s['name']} v{s['version']}: {s['title']}")
    typer.echo(f"  modelled on: {s['modelled_on']}")
    typer.echo(f"  file: {pack.path}")
    typer.echo(f"  fonts: {', '.join(s['fonts'])}")
    typer.echo(f"  layouts: {', '.join(f'{k} ({w:g})' for k, w in pack.layout.layouts.items())}")
    typer.echo(f"  labels: {pack.layout.label_language}; locales: {', '.join(pack.phi.locales)}")
    typer.echo(f"  clinical vocabulary: {s['vocabulary_size']} tokens")
    typer.echo("  sources:")
    for source in pack.pack.sources:
        typer.echo(f"    {source}")
    if pack.pack.licence_notes:
        typer.echo(f"  licence notes: {pack.pack.licence_notes}")
    width, height = write_contact_sheet(pack, out, seed=seed, samples=samples)
    typer.echo(f"contact sheet: {out} ({width}x{height})")


@styles_app.command("sheets")
def sheets_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder for NAME.png per pack and index.md (created).")],
    styles: Annotated[str | None, typer.Option("--styles", help="Packs, comma-separated (default: all).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample screens.")] = 0,
    samples: Annotated[int, typer.Option(min=0, max=24, help="Sample screens per sheet.")] = 3,
    overwrite: Annotated[bool, typer.Option("--overwrite", help=_OVERWRITE_HELP)] = False,
) -> None:
    """Write the contact sheet of every pack (or of --styles) into a folder, with an index.md."""
    try:
        packs = select(styles)
    except PackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    existing = [p for p in [out_dir / f"{pack.name}.png" for pack in packs] + [out_dir / "index.md"] if p.exists()]
    if existing and not overwrite:
        typer.echo(f"error: {len(existing)} of the files to write exist in {out_dir} (e.g. {existing[0].name}); "
                   "nothing written: choose an empty folder, or pass --overwrite", err=True)
        raise typer.Exit(2)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Style pack contact sheets", "",
             f"Written by `phiphantom styles sheets` (seed {seed}, {samples} sample screens each).", ""]
    for pack in packs:
        width, height = write_contact_sheet(pack, out_dir / f"{pack.name}.png", seed=seed, samples=samples)
        lines += [f"## {pack.name} (v{pack.version}): {pack.pack.title}", "", f"![{pack.name}]({pack.name}.png)", ""]
        typer.echo(f"{pack.name}: {out_dir / f'{pack.name}.png'} ({width}x{height})")
    (out_dir / "index.md").write_text("\n".join(lines), encoding="utf-8")
    typer.echo(f"index: {out_dir / 'index.md'}")


@styles_app.command("diversity")
def diversity_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Distinct fonts, date/time formats, ID shapes, locales, label languages, clinical tokens across packs.

    Each figure is printed next to the issue's minimum.
    """
    figures = diversity(_packs())
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    typer.echo(f"packs: {figures['packs']}")
    typer.echo("fonts by technology: " + ", ".join(f"{t} {n}" for t, n in figures["fonts_by_technology"].items()))
    for key, minimum in MINIMUMS.items():
        mark = "ok" if figures["meets_minimums"][key] else "BELOW"
        typer.echo(f"{key.replace('_', ' ')}: {figures[key]} (minimum {minimum}) {mark}")
