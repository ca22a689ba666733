"""The progress bar every command shows (generate, validate, deid, bench, fuzz)."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .cli_text import err_console

console = err_console()


def progress_bar() -> Progress:
    """A Rich progress bar on standard error.

    Task descriptions are shown as plain text (names and paths as they are).
    """
    return Progress(TextColumn("{task.description}", style="bold", markup=False),  # names and paths as they are
                    BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                    transient=False)
