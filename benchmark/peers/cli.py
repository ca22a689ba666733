"""``phiphantom peers``: install and list the peer tools the benchmark compares against."""

from __future__ import annotations

from pathlib import Path

import typer
from rich import box
from rich.table import Table

from phiphantom.core.cli_text import err_console, lit, out_console

from .catalog import PEERS, get_peer
from .install import PeerInstallError, find_installed, install, missing_programs, peers_home

console = err_console()
peers_app = typer.Typer(help="Install and list peer de-identification tools (each in its own venv, pinned, "
                        "from PyPI) for `phiphantom bench --engine NAME`.", no_args_is_help=True,
                        rich_markup_mode="rich")  # help is Rich markup (see core/cli_text.help_text)

HOME_HELP = "Where peer venvs live (default: $PHIPHANTOM_PEERS_HOME or ~/.cache/phiphantom/peers)."


@peers_app.command("install")
def install_command(
    names: list[str] = typer.Argument(..., help=f"Peers to install, or 'all': {', '.join(PEERS)}."),
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
    force: bool = typer.Option(False, "--force", help="Rebuild even when a current install exists."),
) -> None:
    """Create each peer's virtual environment and install its pinned packages from PyPI."""
    wanted = list(PEERS) if names == ["all"] else names
    unknown = [n for n in wanted if n not in PEERS]
    if unknown:
        console.print(f"[red]unknown peer(s): {lit(', '.join(unknown))}; known: {lit(', '.join(PEERS))}[/red]")
        raise typer.Exit(2)
    failed = []
    for name in wanted:
        with console.status(f"installing {lit(name)}") as status:
            try:
                install(get_peer(name), home, force=force, say=lambda text: status.update(lit(text)))
                installed = find_installed(get_peer(name), home)
                versions = installed.info["describe"].get("versions", {}) if installed else {}
                console.print(f"[green]ok[/green] {lit(name)}: "
                              + lit(", ".join(f"{k} {v}" for k, v in versions.items()) or "system tool"))
            except PeerInstallError as exc:
                failed.append(name)
                console.print(f"[red]failed[/red] {lit(exc)}")
    if failed:
        raise typer.Exit(1)


@peers_app.command("list")
def list_command(home: Path | None = typer.Option(None, "--home", help=HOME_HELP)) -> None:
    """Every known peer: what it does, its pins, and whether it is installed here."""
    table = Table(box=box.SIMPLE_HEAD, title=f"Peers ({lit(peers_home(home))})")
    for column in ("name", "pixels", "installed", "pins / needs"):
        table.add_column(column)
    for peer in PEERS.values():
        installed = find_installed(peer, home)
        missing = missing_programs(peer)
        state = "yes" if installed else ("needs " + ", ".join(missing) if missing else "no")
        needs = " ".join(peer.requirements) or peer.system_hint
        table.add_row(lit(peer.name), "yes" if peer.cleans_pixels else "no", lit(state), lit(needs))
    out_console().print(table)
