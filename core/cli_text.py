"""Printing user strings through Rich as they are: paths, engine and peer names, error messages, install hints.

Rich reads ``[...]`` in a printed string as markup and ``:name:`` as an emoji code. A path such as
``scans[/x]`` raised ``MarkupError`` (after every file was written), ``[red]`` vanished from paths,
and ``pip install 'phiphantom[rapidocr]'`` lost its extra. So every command-line printing site
passes each user string through :func:`lit`, prints through :func:`out_console` or
:func:`err_console` (emoji codes off), and progress bars show descriptions as plain text. Help
text with a ``[`` (``phiphantom[ner]``) goes through :func:`help_text`: typer reads help as markup too.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape


def lit(value: object) -> str:
    """``str(value)`` as Rich markup that prints literally (``[`` of a would-be tag escaped)."""
    return escape(str(value))


def help_text(text: str) -> str:
    """Option or command help shown as written: escaped where typer reads help as Rich markup (our apps set
    ``rich_markup_mode="rich"``), as is where typer runs without Rich (``TYPER_USE_RICH=0``: click's plain help)."""
    import typer.core

    return escape(text) if getattr(typer.core, "HAS_RICH", True) else text


def out_console() -> Console:
    """A console on stdout that never turns ``:name:`` in user strings into emoji."""
    return Console(emoji=False)


def err_console() -> Console:
    """A console on stderr (progress, errors) that never turns ``:name:`` in user strings into emoji."""
    return Console(stderr=True, emoji=False)
