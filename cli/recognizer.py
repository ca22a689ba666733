"""``phiphantom recognizer train|eval``: the small CRNN line recognizer of issue 16, trained on generated
datasets' lines as the engine crops them, measured against the engine's Tesseract backend
(docs/recognizer.md). torch is the optional extra ``phiphantom[recognizer]``; everything else is imported
when a command runs, so ``phiphantom --help`` stays light."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from phiphantom.core.cli_text import err_console, lit, out_console

if TYPE_CHECKING:
    from phiphantom.deid.pixels.line_crops import CropCounts, LineCrop

recognizer_app = typer.Typer(help="A small learned line recognizer (CRNN/CTC, torch): train it on generated "
                             "datasets, measure it against Tesseract.", no_args_is_help=True, add_completion=False,
                             pretty_exceptions_show_locals=False)
console = err_console()


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {lit(message)}")
    return typer.Exit(code)


def _torch(threads: int) -> None:
    """torch on ``threads`` threads, or a one-line error naming the extra to install."""
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    from phiphantom.core.crnn_model import require_torch
    from phiphantom.core.ocr import OCRUnavailable

    try:
        torch = require_torch()
    except OCRUnavailable as exc:
        raise _fail(str(exc)) from None
    torch.set_num_threads(max(1, threads))


def _check_dataset(folder: Path) -> None:
    if not (folder / "gt" / "boxes.csv").is_file():
        raise _fail(f"{folder} is not a generated dataset (no gt/boxes.csv); make one with phiphantom generate", 2)


def load_crops(folders: list[Path]) -> tuple[list[LineCrop], CropCounts]:
    """Every labelled crop of the datasets, with a progress bar."""
    from phiphantom.core.ground_truth import ColumnsError
    from phiphantom.core.progress import progress_bar
    from phiphantom.deid.pixels.line_crops import CropCounts, dataset_crops, dataset_files

    crops: list[LineCrop] = []
    counts = CropCounts()
    try:
        totals = [dataset_files(folder) for folder in folders]
        with progress_bar() as progress:
            for folder, total in zip(folders, totals, strict=True):
                task = progress.add_task(f"lines of {folder.name}", total=total)
                for file_crops, file_counts in dataset_crops(folder, partial(progress.advance, task)):
                    crops.extend(file_crops)
                    counts.add(file_counts)
    except ColumnsError as exc:
        raise _fail(str(exc), 2) from None
    return crops, counts


def _counts_line(counts: CropCounts) -> str:
    return (f"{counts.files} files ({counts.unreadable_files} unreadable), {counts.segments} segments: "
            f"{counts.labelled} labelled ({counts.words} of them words of a box the engine cut into words); "
            f"left out {counts.partial} partial, {counts.several_boxes} covering several "
            f"boxes, {counts.no_box} on no box, {counts.graphic} graphics")


@recognizer_app.command("train")
def train_command(
    data: list[Path] = typer.Argument(..., help="Generated datasets (phiphantom generate) to train on."),
    out: Path = typer.Option(..., "--out", help="New (or empty) folder for the model: weights, charset, "
                             "config and training.json."),
    epochs: int = typer.Option(12, "--epochs", min=1, help="Passes over the training lines."),
    seed: int = typer.Option(0, "--seed", help="Seed of the held-back files, batch order, augmentation "
                             "and initial weights."),
    held_back: float = typer.Option(0.05, "--held-back", min=0.0, max=0.5,
                                    help="Share of files held back for the report's score."),
    threads: int = typer.Option(1, "--threads", min=1, help="torch threads."),
    channels: str = typer.Option("16,32,64,64", "--channels", help="The four convolution layers' channels, "
                                 "comma-separated (fewer: a faster, possibly less accurate network)."),
    hidden: int = typer.Option(96, "--hidden", min=8, help="The GRU's hidden size (each direction)."),
) -> None:
    """Train the CRNN on the lines of generated datasets, as the engine crops them, with their exact labels."""
    from phiphantom.core.crnn_model import CRNNConfig
    from phiphantom.deid.pixels.recognizer_training import TrainingError, TrainSettings, check_output, train

    try:
        widths = tuple(int(c) for c in channels.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 4 or min(widths) < 1:
        raise _fail(f"--channels {channels!r}: give four whole numbers, comma-separated", 2)
    config = CRNNConfig(channels=widths, hidden=hidden)
    try:
        check_output(out)  # before any work
    except TrainingError as exc:
        raise _fail(str(exc), 2) from None
    for folder in data:
        _check_dataset(folder)
    _torch(threads)
    crops, counts = load_crops(data)
    console.print(_counts_line(counts))
    from phiphantom.core.progress import progress_bar

    try:
        with progress_bar() as progress:
            task = progress.add_task("training", total=None)

            def on_batch(done: int, total: int, loss: float) -> None:
                progress.update(task, completed=done, total=total, description=f"training (loss {loss:.3f})")

            report = train(crops, out, TrainSettings(epochs=epochs, seed=seed, held_back=held_back, threads=threads,
                                                 config=config),
                           sources=[str(folder) for folder in data], on_batch=on_batch)
    except TrainingError as exc:
        raise _fail(str(exc), 2) from None
    report["extraction"] = vars(counts)
    (out / "training.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    held = report["held_back"]
    out_console().print(f"model in {lit(out)}: {report['train_lines']} training lines, {report['parameters']} "
                        f"parameters ({report['weights_bytes'] / 1e6:.2f} MB), {report['training_seconds']} s; "
                        f"held back {held['lines']} lines: char accuracy {held['char_accuracy']:.3f}, "
                        f"line accuracy {held['line_accuracy']:.3f}")


@recognizer_app.command("export")
def export_command(
    model: Path = typer.Argument(..., help="Model folder written by phiphantom recognizer train."),
    force: bool = typer.Option(False, "--force", help="Replace ONNX graphs the folder already holds."),
) -> None:
    """Add the network's two ONNX graphs to a model folder, so that ONNX Runtime reads with it without torch
    (train writes them already when the onnx package is installed)."""
    _torch(1)
    from phiphantom.core.crnn_onnx import export
    from phiphantom.core.ocr import OCRUnavailable

    try:
        paths = export(model, overwrite=force)
    except OCRUnavailable as exc:
        raise _fail(str(exc), 2) from None
    except FileExistsError as exc:
        raise _fail(f"{exc} (--force replaces them)", 2) from None
    out_console().print(f"wrote {', '.join(lit(p.name) for p in paths)} in {lit(model)}")


def _summary(doc: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"{doc['lines']} lines of {doc['files']} files")
    for column in ("reader", "char accuracy", "line accuracy", "ms/line"):
        table.add_column(column)
    model = doc["model"]
    table.add_row(f"model (batched, {doc['runtime']})", f"{model['char_accuracy']:.4f}",
                  f"{model['line_accuracy']:.4f}", f"{model['ms_per_line']:.3f}")
    table.add_row("model (one at a time)", "", "", f"{doc['model_one_at_a_time_ms_per_line']:.3f}")
    if "tesseract" in doc:
        t = doc["tesseract"]
        table.add_row("tesseract", f"{t['char_accuracy']:.4f}", f"{t['line_accuracy']:.4f}", f"{t['ms_per_line']:.3f}")
        for row in doc["fallback"]:
            table.add_row(f"model, tesseract below {row['threshold']:g} ({row['fallback_lines']} lines)",
                          f"{row['char_accuracy']:.4f}", f"{row['line_accuracy']:.4f}", f"{row['ms_per_line']:.3f}")
    out_console().print(table)


@recognizer_app.command("eval")
def eval_command(
    data: Path = typer.Argument(..., help="A generated dataset to measure on (not one trained on)."),
    model: Path = typer.Option(..., "--model", help="Model folder written by phiphantom recognizer train."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the full evaluation here."),
    tesseract: bool = typer.Option(True, "--tesseract/--no-tesseract", help="Also read the lines with Tesseract."),
    threads: int = typer.Option(1, "--threads", min=1, help="torch or ONNX Runtime threads (the model's timing)."),
    runtime: str = typer.Option("auto", "--runtime", help="Which runtime reads: onnxruntime (the folder's ONNX "
                                "graphs), torch, or auto (onnxruntime when the folder has its graphs and "
                                "onnxruntime is installed)."),
) -> None:
    """Character and line accuracy and ms per line of the model and of Tesseract on the same crops."""
    _check_dataset(data)
    from phiphantom.core.ocr import OCRUnavailable
    from phiphantom.core.ocr_crnn import check_folder, choose_runtime

    try:
        runtime = choose_runtime(model, runtime)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    if runtime == "torch":
        _torch(threads)
    else:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    try:
        check_folder(model, runtime)  # before reading the dataset
    except OCRUnavailable as exc:
        raise _fail(str(exc), 2) from None
    from phiphantom.core.progress import progress_bar
    from phiphantom.deid.pixels.recognizer_eval import evaluate

    crops, counts = load_crops([data])
    console.print(_counts_line(counts))
    if not crops:
        raise _fail("no labelled lines in the dataset", 2)
    try:
        with progress_bar() as progress:
            tasks = {stage: progress.add_task(stage, total=len(crops) if stage != "model" else 1)
                     for stage in ("model", "model-single", *(("tesseract",) if tesseract else ()))}
            doc = evaluate(crops, model, tesseract=tesseract, tick=lambda stage: progress.advance(tasks[stage]),
                           runtime=runtime)
    except OCRUnavailable as exc:
        raise _fail(str(exc)) from None
    doc["dataset"] = str(data)
    doc["extraction"] = vars(counts)
    if json_out is not None:
        json_out.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    _summary(doc)
