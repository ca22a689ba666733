"""Command-line front end of the generator: ``phiphantom generate`` and ``phiphantom validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from phiphantom.core.cli_text import err_console, lit, out_console
from phiphantom.core.progress import progress_bar

from .config import ConfigError, GenerateConfig

console = err_console()


def with_progress(description: str, work):
    """Run ``work(progress)`` under a rich progress bar.

    Bad input (settings, source, dataset) ends the command with status 2; a failed write of the
    output (read-only folder, full disk) with status 1, naming the operation and errno, no traceback.
    """
    from phiphantom.core.executors import ExecutorError

    from .output_dir import OutputError, errno_label
    from .sources import SourceError
    from .validate import ValidationError

    try:
        with progress_bar() as bar:
            task = bar.add_task(description, total=None)
            return work(lambda done, total: bar.update(task, completed=done, total=total))
    except (ConfigError, SourceError, ValidationError) as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    except OutputError as exc:
        console.print(f"[red]error:[/red] {lit(exc)}; nothing half-written was left")
        raise typer.Exit(1) from None
    except ExecutorError as exc:  # a Dask cluster that cannot be reached, a task that failed there
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(1) from None
    except OSError as exc:  # any other OS error: its errno, never its message (it may quote a file name)
        console.print(f"[red]error:[/red] {lit(description)} failed: {lit(errno_label(exc.errno))}")
        raise typer.Exit(1) from None


def generate_command(
    out: Path = typer.Option(..., "--out",
                             help="Output folder for the dataset (created; must be empty unless --overwrite)."),
    patients: int | None = typer.Option(None, help="Number of synthetic patients (default: 10)."),
    studies_per_patient: int | None = typer.Option(None, help="Longitudinal studies per patient (default: 1)."),
    files_per_study: str | None = typer.Option(None, help="Files (clips/images) per study, MIN:MAX (default: 2:4)."),
    cine_fraction: float | None = typer.Option(None, help="Share of files that are cines (default: 0.3)."),
    frames: str | None = typer.Option(None, help="Frames per cine, MIN:MAX (default: 10:40)."),
    size: str | None = typer.Option(None, help="Frame sizes WxH, comma separated (default: 640x480,800x600,1024x768)."),
    source: str | None = typer.Option(
        None, help="procedural | folder:PATH | openpocus:PATH | dicom:PATH (default: procedural)."),
    locales: str | None = typer.Option(None, help="Faker locales, comma separated (default: 14 Latin-script locales)."),
    difficulty: str | None = typer.Option(None, help="easy | realistic | hard (default: realistic)."),
    jpeg_fraction: float | None = typer.Option(None, help="Share written as JPEG Baseline (default: 0.2)."),
    rgb_fraction: float | None = typer.Option(None, help="Share of RGB (vs grey) files (default: 0.5)."),
    phi_filenames: float | None = typer.Option(
        None, help="Share of files whose name carries the patient's name and MRN (default: 0)."),
    seed: int | None = typer.Option(None, help="Global seed; same seed => byte-identical dataset (default: 0)."),
    styles: str | None = typer.Option(
        None, "--styles",
        help="Style packs to draw from, comma separated, or 'all'; each study gets one pack "
             "(default: classic). 'phiphantom styles list' shows the packs."),
    exclude_styles: str | None = typer.Option(
        None, "--exclude-styles", help="Style packs to leave out, comma separated (e.g. with --styles all)."),
    workers: int | None = typer.Option(None, help="Worker processes (default: CPU count). Does not change the output."),
    executor: str | None = typer.Option(
        None, "--executor", help="local (process pool, default) | dask. Does not change the output."),
    scheduler: str | None = typer.Option(
        None, "--scheduler",
        help="Dask scheduler address for --executor dask (default: a LocalCluster of --workers)."),
    config: Path | None = typer.Option(
        None, "--config", help="TOML file with any of these settings (flags override it)."),
    overwrite: bool = typer.Option(False, help="Replace an existing dataset in --out."),
    validate: bool = typer.Option(True, "--validate/--no-validate", help="Run the three validation tiers at the end."),
) -> None:
    """Generate a synthetic ultrasound DICOM dataset with burned-in and hidden fake PHI and exact ground truth."""
    flags: dict[str, Any] = dict(
        out=out, patients=patients, studies_per_patient=studies_per_patient, files_per_study=files_per_study,
        cine_fraction=cine_fraction, frames=frames, sizes=size, source=source, locales=locales,
        difficulty=difficulty, jpeg_fraction=jpeg_fraction, rgb_fraction=rgb_fraction,
        phi_filename_fraction=phi_filenames, seed=seed, styles=styles, exclude_styles=exclude_styles,
        workers=workers, validate=validate,
        executor=executor, scheduler=scheduler,
    )
    from . import generate

    def work(progress):
        if config is not None:
            cfg = GenerateConfig.from_toml(config, **flags)
        else:
            cfg = GenerateConfig(**{k: v for k, v in flags.items() if v is not None})
        return generate(cfg, overwrite=overwrite, progress=progress)

    summary = with_progress("generating", work)
    print_summary(summary)
    warn_source_skipped(summary)
    if summary.validation and not summary.validation.get("ok", True):
        raise typer.Exit(1)


def warn_source_skipped(summary) -> None:
    """Say how many source files were skipped as unusable, and where the reasons are."""
    if summary.source_skipped:
        console.print(f"[yellow]warning:[/yellow] the frame source skipped {summary.source_skipped} file(s) it cannot "
                      f"use (unreadable, too small, blank or constant); reasons in "
                      f"{lit(summary.out / 'source_skipped.csv')}")


def print_summary(summary) -> None:
    table = Table(title=f"PHI Phantom dataset: {lit(summary.out)}", show_header=False, box=None)
    rows = [
        ("patients / studies", f"{summary.patients} / {summary.studies}"),
        ("files", f"{summary.files} ({summary.cines} cines, {summary.jpeg_files} JPEG, {summary.rgb_files} RGB)"),
        ("frames", f"{summary.frames} ({summary.frames_per_second:.1f} frames/s overall)"),
        ("text boxes",
         f"{summary.boxes} ({summary.phi_boxes} PHI, {summary.boxes - summary.phi_boxes} clinical/labels)"),
        ("header PHI elements", str(summary.tags)),
        ("layouts", ", ".join(f"{k} {v}" for k, v in summary.layouts.items())),
        ("quarantined",
         f"{summary.quarantined_files} files, {summary.quarantined_attempts} failed attempts (quarantine.csv)"),
        *([("source files skipped", f"{summary.source_skipped} (source_skipped.csv)")]
          if summary.source_skipped else []),
        ("time", f"{summary.seconds:.1f} s"),
    ]
    v = summary.validation
    if v:
        rows.append(("validation", f"{'OK' if v['ok'] else 'FAILED'}; tiers run: {', '.join(v['tiers_run'])}"
                     + (f"; skipped: {', '.join(v['tiers_skipped'])}" if v["tiers_skipped"] else "")))
        rows.append(("round trip", f"{v['roundtrip_mismatches']} mismatches in {v['lossless_checked']} lossless files"))
        rows.append(("dciodvfy", f"{len(v['errors'])} distinct errors, {len(v['warnings'])} distinct warnings"))
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", lit(value))
    out_console().print(table)


def validate_command(
    folder: Path = typer.Argument(..., help="A dataset folder made by `phiphantom generate`."),
    workers: int = typer.Option(1, help="Worker processes."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the report as JSON here."),
) -> None:
    """Validate a dataset: tier 1 pydicom round trip, tier 2 dcmtk, tier 3 dciodvfy."""
    from .ground_truth import write_json
    from .validate import validate_dataset

    report = with_progress("validating", lambda progress: validate_dataset(folder, workers=workers, progress=progress))
    data = report.as_dict()
    if json_out:
        write_json(json_out, data)
    out = out_console()
    out.print(f"[bold]{report.files}[/bold] files; tiers run: {', '.join(report.tiers_run)}")
    for tier, why in report.tiers_skipped.items():
        out.print(f"[yellow]skipped[/yellow] {lit(tier)}: {lit(why)}")
    for tier, failed in report.failures.items():
        out.print(f"{lit(tier)}: {len(failed)} failing files" + (f" (first: {lit(failed[0])})" if failed else ""))
    out.print(f"round trip: {report.roundtrip_mismatches} mismatches in {report.lossless_checked} lossless files")
    out.print(f"errors: {sum(report.errors.values())} in {len(report.errors)} distinct messages")
    for msg, n in report.errors.items():
        out.print(f"  [red]{n:5d}[/red] {lit(msg)}")
    out.print(f"warnings: {len(report.warnings)} distinct messages")
    for msg, n in report.warnings.items():
        out.print(f"  {n:5d} {lit(msg)}")
    out.print("[green]OK[/green]" if report.ok else "[red]FAILED[/red]")
    if not report.ok:
        raise typer.Exit(1)


def ocr_check_command(
    folder: Path = typer.Argument(..., help="A dataset folder made by `phiphantom generate`."),
    frames: int = typer.Option(200, help="How many frames to sample (one per file)."),
    seed: int = typer.Option(0, help="Sampling seed."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON here."),
) -> None:
    """OCR sanity check: share of burned-in PHI lines plain Tesseract reads exactly (legible, not trivial)."""
    from .ground_truth import write_json
    from .ocr_check import ocr_check

    report = with_progress("OCR", lambda progress: ocr_check(folder, frames=frames, seed=seed, progress=progress))
    data = report.as_dict()
    if json_out:
        write_json(json_out, data)
    out = out_console()
    out.print(f"{report.frames} frames, {report.boxes} PHI boxes: exact reads {report.exact} "
              f"([bold]{report.exact_share:.1%}[/bold]), near reads (similarity >= 0.8) {report.near} "
              f"({report.near_share:.1%})")
    for band, v in data["by_font_px"].items():
        out.print(f"  font {band:>5} px: {v['boxes']:5d} boxes, exact {v['exact_share']:.1%}")


def generate_bench_command(
    patients: int = typer.Option(20, help="Patients in the benchmark dataset."),
    seed: int = typer.Option(0, help="Seed."),
    cine_fraction: float = typer.Option(0.3, help="Share of cines."),
    frames: str = typer.Option("10:40", help="Frames per cine, MIN:MAX."),
    size: str = typer.Option("640x480,800x600,1024x768", help="Frame sizes."),
    jpeg_fraction: float = typer.Option(0.2, help="Share written as JPEG."),
    source: str = typer.Option("procedural", help="Frame source."),
    repeat: int = typer.Option(2, help="Runs per pass (the fastest counts)."),
    styles: str | None = typer.Option(None, "--styles",
                                      help="Style packs, comma separated, or 'all' (default: classic)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON here."),
) -> None:
    """Benchmark generation: frames/s and wall-time ratio to writing the same frames with no drawing."""
    from .generation_speed import benchmark_generation
    from .ground_truth import write_json

    try:
        # frames "MIN:MAX" and size "WxH,..." as typed: GenerateConfig parses them (__post_init__)
        cfg = GenerateConfig(patients=patients, seed=seed, cine_fraction=cine_fraction,
                             frames=frames, sizes=size,  # type: ignore[arg-type]
                             jpeg_fraction=jpeg_fraction, source=source, workers=1, validate=False,
                             styles=tuple((styles or "").split(",")))
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    from .sources import SourceError

    try:
        with console.status("benchmarking (three passes, single process)..."):
            result = benchmark_generation(cfg, repeat=repeat)
    except (ConfigError, SourceError) as exc:  # e.g. --source folder:MISSING: a clear error, not a traceback
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    data = result.as_dict()
    if json_out:
        write_json(json_out, data)
    out = out_console()
    out.print(f"{result.files} files, {result.frames} frames, {result.megapixels:.0f} Mpx, "
              f"single process, best of {repeat}")
    out.print(f"  generate   {result.generate_s:7.2f} s  ({result.frames_per_second:.1f} frames/s)")
    out.print(f"  floor      {result.floor_s:7.2f} s  "
              "(same source frames, black canvas, written as DICOM; no text, no ground truth)")
    out.print(f"  write-only {result.write_only_s:7.2f} s  (encode + write frames already in memory)")
    out.print(f"  ratio generate / floor      = [bold]{result.ratio_to_floor:.2f}x[/bold] (goal <= 1.5x)")
    out.print(f"  ratio generate / write-only = {result.ratio_to_write_only:.2f}x")
