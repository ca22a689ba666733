"""``phiphantom export DATASET OUT --format yolo|hf``: a dataset's frames and boxes for model training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from phiphantom.core.cli_text import err_console, help_text, lit, out_console
from phiphantom.core.progress import progress_bar

from .frames import ExportError, FrameChoice
from .run import FORMATS, prepare_export, run_export
from .splits import SplitPlan, parse_styles


def export_command(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder made by `phiphantom generate`.")],
    out: Annotated[Path, typer.Argument(help="Where to write the export: a new or empty folder (never overwritten).")],
    fmt: Annotated[str, typer.Option("--format", help=f"Export format: {' | '.join(FORMATS)} (Hugging Face "
                                                      "datasets parquet).")] = "yolo",
    frames: Annotated[str, typer.Option(help=help_text("Frames of each file: first, all or every:N."))] = "first",
    train_styles: Annotated[str | None, typer.Option(help="Split by style: these packs (A,B) are train.")] = None,
    val_styles: Annotated[str | None, typer.Option(help="Split by style: these packs are val (default: a share "
                                                        "of the train packs' patients).")] = None,
    test_styles: Annotated[str | None, typer.Option(help="Split by style: these packs are test (held out).")] = None,
    val_share: Annotated[float, typer.Option(help="Share of patients in val (hash split; by style: of the "
                                                  "train patients).")] = 0.1,
    test_share: Annotated[float, typer.Option(help="Share of patients in test (hash split, without styles).")] = 0.1,
) -> None:
    """Export a dataset's frames as PNG with their boxes: YOLO label files or Hugging Face parquet (docs/exports.md).

    Without style options the split is by patient (a deterministic hash: a study is never cut); with
    --train-styles/--test-styles it is by style pack (no pack in two splits).
    """
    err = err_console()
    try:
        choice = FrameChoice.parse(frames)
        plan = SplitPlan(parse_styles(train_styles), parse_styles(val_styles), parse_styles(test_styles),
                         val_share, test_share)
        job = prepare_export(dataset, out, fmt.strip().lower(), choice, plan)  # every check before the bar
        with progress_bar() as bar:
            task = bar.add_task("exporting", total=job.total)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = run_export(job, step)
    except ExportError as exc:
        err.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    except OSError as exc:  # the disk, not the dataset: name the operation, not a value
        err.print(f"[red]error:[/red] writing the export failed: {lit(exc.strerror or type(exc).__name__)}")
        raise typer.Exit(1) from None
    table = Table(title=f"PHI Phantom export ({lit(summary['format'])}): {lit(out)}", show_header=False, box=None)
    by_split = summary["frames_by_split"]
    rows = [
        ("frames", f"{summary['frames']} images, {summary['boxes']} boxes (--frames {summary['frames_choice']})"),
        ("split", summary["split"]),
        *[(s, f"{by_split.get(s, 0)} frames; packs: {', '.join(summary['splits'][s]) or '-'}")
          for s in ("train", "val", "test")],
        ("categories", f"{len(summary['categories'])} (classes.txt / export.json)"),
    ]
    if summary["files_left_out"]:
        rows.append(("left out", f"{summary['files_left_out']} file(s) of packs in no split"))
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", lit(value))
    out_console().print(table)
