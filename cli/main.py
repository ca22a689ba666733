"""The ``phiphantom`` command: one Typer app that mounts the subcommands of synth, deid and benchmark."""

from __future__ import annotations

import typer

from phiphantom.benchmark.cli import bench_app, demo_command
from phiphantom.benchmark.fuzz.cli import fuzz_command
from phiphantom.benchmark.peers.cli import peers_app
from phiphantom.cli.recognizer import recognizer_app
from phiphantom.core import __version__
from phiphantom.deid.cli import deid_command
from phiphantom.synth.cli import generate_bench_command, generate_command, ocr_check_command, validate_command
from phiphantom.synth.exports.cli import export_command
from phiphantom.synth.styles.cli import styles_app

app = typer.Typer(
    name="phiphantom",
    help="PHI Phantom: prove that medical-image de-identification works (synthetic ultrasound DICOM with fake PHI, "
    "exact ground truth, de-identification and benchmarking).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # never print local variables (they may hold PHI)
    rich_markup_mode="rich",  # the same on every typer version: help is Rich markup (see core/cli_text.help_text)
)
app.command("generate")(generate_command)
app.command("validate")(validate_command)
app.command("ocr-check")(ocr_check_command)
app.command("generate-bench")(generate_bench_command)
app.add_typer(bench_app, name="bench")
app.command("demo")(demo_command)
app.command("deid")(deid_command)
app.command("fuzz")(fuzz_command)
app.add_typer(peers_app, name="peers")
app.add_typer(styles_app, name="styles")
app.command("export")(export_command)
app.add_typer(recognizer_app, name="recognizer")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"phiphantom {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """PHI Phantom command line."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
