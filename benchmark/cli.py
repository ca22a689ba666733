"""Command-line front end of the benchmark: ``phiphantom bench``, ``bench compare`` and ``demo``."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich import box
from rich.progress import TaskID
from rich.table import Table

from phiphantom.core.cli_text import err_console, lit, out_console

console = err_console()
bench_app = typer.Typer(
    help="Benchmark de-identification engines on a generated dataset (pixels, headers, consistency, speed).",
    invoke_without_command=True, no_args_is_help=False,
    rich_markup_mode="rich",  # the same on every typer version: help is Rich markup (see cli_text.help_text)
)

LEADERBOARD = (  # short titles: the table must fit 80 columns
    ("recall", "box_recall", "{:.3f}"), ("resid", "residual_phi_boxes", "{}"),
    ("clin", "clinical_preservation", "{:.3f}"), ("dmg", "image_damage", "{:.2%}"),
    ("tags", "tag_coverage", "{:.3f}"), ("leaks", "leaks", "{}"), ("conf", "conformance", "{:.3f}"),
    ("f/s", "files_per_s", "{:.1f}"), ("fail", "files_failed", "{}"),
)


def _fmt(value, fmt: str) -> str:
    return "n/a" if value is None else lit(fmt.format(value))


def print_leaderboard(results: dict) -> None:
    table = Table(title="Leaderboard", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption="recall: PHI box recall; resid: PHI boxes still readable (re-OCR); clin: clinical text kept; "
                  "dmg: image damage; tags: tag coverage; conf: PS3.15 conformance; f/s: files per second")
    table.add_column("engine", style="bold", no_wrap=True)  # a long name is cut (…), never a figure or its title
    for title, _, _ in LEADERBOARD:
        table.add_column(title, justify="right", no_wrap=True, min_width=len(title))
    for engine in results["engines"]:
        m = engine["metrics"]
        table.add_row(lit(engine["name"]), *(_fmt(m.get(key), fmt) for _, key, fmt in LEADERBOARD))
    out_console().print(table)
    print_worst_styles(results)


def print_worst_styles(results: dict) -> None:
    """Next to the leaderboard (80 columns are full): each engine's worst style pack, when there are several."""
    from .by_style import worst_style

    engines = [e for e in results["engines"] if (e["counts"].get("styles") or 0) > 1]
    if not engines:
        return
    table = Table(title="Worst style pack", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for title in ("engine", "recall", "worst", "style", "clin", "worst", "style"):
        table.add_column(title, justify="left" if title in ("engine", "style") else "right", no_wrap=True)
    for engine in engines:
        m, by_style = engine["metrics"], engine["strata"].get("by_style", {})
        row = [lit(engine["name"])]
        for overall, metric in (("box_recall", "box_recall"), ("clinical_preservation", "clinical_preservation")):
            worst = worst_style(by_style, metric)
            row += [_fmt(m.get(overall), "{:.3f}"), _fmt(worst[1] if worst else None, "{:.3f}"),
                    lit(worst[0]) if worst else "n/a"]
        table.add_row(*row)
    out_console().print(table)


STYLE_COLUMNS = (("files", None, "{}"), ("recall", "box_recall", "{:.3f}"),
                 ("clin", "clinical_preservation", "{:.3f}"), ("dmg", "image_damage", "{:.2%}"),
                 ("graph", "graphics_preservation", "{:.3f}"), ("tags", "tag_coverage", "{:.3f}"))


def print_style_leaderboard(by_style: dict) -> None:
    """``--by-style``: each engine's figures on each style's files alone (the held-out view)."""
    table = Table(title="By style (each style's files alone)", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True, caption="graph: drawn graphics kept intact; other columns as above")
    for title in ("style", "engine", *(t for t, _, _ in STYLE_COLUMNS)):
        table.add_column(title, justify="left" if title in ("style", "engine") else "right", no_wrap=True)
    for style, results in by_style.items():
        for engine in results["engines"]:
            m = engine["metrics"]
            table.add_row(lit(style), lit(engine["name"]),
                          *(_fmt(engine["counts"]["files"] if key is None else m.get(key), fmt)
                            for _, key, fmt in STYLE_COLUMNS))
    out_console().print(table)


def _run(data: Path, engines: list[str], out: Path, workers: int, timeout: float, ocr: bool, dciodvfy: bool,
         include_phi: bool, thumbnails: int, overwrite: bool, executor: str = "local",
         scheduler: str | None = None, by_style: bool = False) -> dict:
    from phiphantom.core.executors import Executor, ExecutorError
    from phiphantom.core.progress import progress_bar

    from .bench import run_bench
    from .dataset import DatasetError
    from .engines.base import EngineError

    try:
        choice = Executor(executor, scheduler, workers)
        with progress_bar() as bar:
            tasks: dict[str, TaskID] = {}

            def progress(description: str, done: int, total: int) -> None:
                if description not in tasks:
                    tasks[description] = bar.add_task(description, total=total)
                bar.update(tasks[description], completed=done, total=total)

            results = run_bench(data, engines, out, workers=workers, timeout_s=timeout, ocr=ocr, dciodvfy=dciodvfy,
                                include_phi=include_phi, thumbnails=thumbnails, overwrite=overwrite, progress=progress,
                                executor=choice, by_style=by_style)
    except (DatasetError, EngineError, ExecutorError) as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    return results


@bench_app.callback()
def bench(
    ctx: typer.Context,
    data: Path | None = typer.Option(None, "--data", help="Dataset folder made by `phiphantom generate`."),
    engine: list[str] = typer.Option([], "--engine", help="Engine to run (repeatable): null, oracle, header-basic, "
                                     "bundled (bundled:balanced,hard,threshold=T...: docs/benchmark.md), "
                                     "cmd:'TOOL {in} {out}' (or {in_dir} {out_dir}), python:module:Factory, "
                                     "a peer (dicognito, dicom-anonymizer, deid, presidio, easyocr-every-frame, "
                                     "gdcmanon: see `phiphantom peers`); NAME=SPEC names it."),
    out: Path | None = typer.Option(None, "--out",
                                    help="Results folder (results.json, report.md, report.html, outputs/)."),
    workers: int = typer.Option(os.cpu_count() or 1, min=1, help="Worker processes for engines and scoring "
                                "(at least 1)."),
    timeout: float = typer.Option(120.0, help="Seconds an engine may take per file."),
    ocr: bool = typer.Option(True, "--ocr/--no-ocr", help="Re-OCR unremoved PHI boxes (residual PHI)."),
    dciodvfy: bool = typer.Option(False, "--dciodvfy", help="Also require no new dciodvfy errors (slower)."),
    include_phi: bool = typer.Option(False, "--include-phi",
                                     help="Let file paths and raw error messages into results."),
    thumbnails: int = typer.Option(3, help="Files shown before/after in the HTML report."),
    overwrite: bool = typer.Option(False, help="Replace an existing results folder."),
    executor: str = typer.Option("local", "--executor",
                                 help="local (process pools, default) | dask (one task per file)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address for --executor dask "
                                            "(default: a LocalCluster of --workers)."),
    by_style: bool = typer.Option(False, "--by-style", help="Also score each style pack's files alone "
                                  "(leave-one-style-out view, docs/benchmark.md): OUT/by-style/STYLE/ gets its own "
                                  "results.json and reports."),
) -> None:
    """Run engines over a dataset and score them: `phiphantom bench --data DIR --engine NAME --out RESULTS`."""
    if ctx.invoked_subcommand is not None:
        return
    if data is None or out is None or not engine:
        console.print("[red]error:[/red] bench needs --data DIR, --out RESULTS and at least one --engine "
                      "(or a subcommand: compare). See --help.")
        raise typer.Exit(2)
    results = _run(data, engine, out, workers, timeout, ocr, dciodvfy, include_phi, thumbnails, overwrite,
                   executor, scheduler, by_style)
    print_leaderboard(results)
    if by_style:
        print_style_leaderboard(results["by_style"])
        console.print(f"per-style results: {lit(out / 'by-style')}/STYLE/results.json")
    console.print(f"results: {lit(out / 'results.json')}  report: {lit(out / 'report.html')}")


@bench_app.command("compare")
def compare_command(
    baseline: Path = typer.Argument(..., help="Baseline results.json."),
    current: Path = typer.Argument(..., help="Current results.json."),
    max_drop: list[str] = typer.Option([], "--max-drop", help="Allowed worsening METRIC=VALUE (repeatable); "
                                       "absolute for ratios/counts, relative for timings (0.2 = 20%). Default 0; "
                                       "timings are only checked when given."),
) -> None:
    """Compare two results.json files; exit 1 when any metric regressed beyond its tolerance."""
    from .compare import CompareError, compare, load_results, parse_tolerances

    try:
        rows = compare(load_results(baseline), load_results(current), parse_tolerances(max_drop))
    except CompareError as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    table = Table(title=f"{lit(baseline)} -> {lit(current)}")
    for col in ("engine", "metric", "baseline", "current", "delta", "tolerance", "status"):
        table.add_column(col, justify="right" if col in ("baseline", "current", "delta", "tolerance") else "left")
    regressions = 0
    for r in rows:
        changed = r.delta not in (None, 0) or r.note
        if not changed and not r.regression:
            continue
        regressions += r.regression
        status = ("[red]REGRESSION[/red]" if r.regression
                  else ("[green]better[/green]" if r.delta else lit(r.note or "")))
        if r.note and r.regression:
            status += f" ({lit(r.note)})"
        table.add_row(lit(r.engine), lit(r.metric), _fmt(r.baseline, "{:g}"), _fmt(r.current, "{:g}"),
                      _fmt(r.delta, "{:+g}"), _fmt(r.tolerance, "{:g}"), status)
    out = out_console()
    out.print(table if table.row_count else "no differences")
    out.print(f"{regressions} regression(s)" if regressions else "[green]no regression[/green]")
    raise typer.Exit(1 if regressions else 0)


@bench_app.command("selftest")
def selftest_command(
    json_out: Path | None = typer.Option(None, "--json", help="Also write the table as JSON to this file."),
    keep: Path | None = typer.Option(None, "--keep", help="Generate and score in this folder and keep it "
                                     "(default: a temporary folder, removed afterwards)."),
    seed: int = typer.Option(17, help="Seed of the generated dataset."),
) -> None:
    """Check the scorer: flawed engines on a fresh small dataset must score what the metric definitions imply."""
    from .dataset import DatasetError
    from .engines.base import EngineError
    from .selftest import SelftestError, run_selftest, write_json

    try:
        rows = run_selftest(keep, seed=seed)
    except (SelftestError, DatasetError, EngineError) as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    table = Table(title="Benchmark self-test", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("engine", "metric", "expected", "got", "ok"):
        table.add_column(col, justify="right" if col in ("expected", "got") else "left", no_wrap=True)
    for r in rows:
        got = "null" if r.got is None else f"{r.got:.6g}"
        table.add_row(lit(r.engine), lit(r.metric), lit(r.expected), lit(got),
                      "[green]ok[/green]" if r.ok else "[red]FAIL[/red]")
    out_console().print(table)
    if json_out is not None:
        write_json(rows, json_out)
    failed = sum(not r.ok for r in rows)
    out_console().print(f"[red]{failed} of {len(rows)} checks failed[/red]" if failed
                        else f"[green]all {len(rows)} checks passed[/green]")
    raise typer.Exit(1 if failed else 0)


def demo_command(
    out: Path = typer.Option(Path("phiphantom-demo"), "--out", help="Folder for the demo dataset and results."),
    patients: int = typer.Option(6, help="Synthetic patients in the demo dataset."),
    workers: int = typer.Option(os.cpu_count() or 1, min=1, help="Worker processes (at least 1)."),
    overwrite: bool = typer.Option(False, help="Replace an earlier demo in --out."),
) -> None:
    """Generate a small dataset, benchmark the available engines on it, write and summarise the report."""
    from phiphantom.synth import ConfigError, GenerateConfig, generate
    from phiphantom.synth.cli import print_summary, with_progress

    from .engines.registry import available_engines

    try:
        config = GenerateConfig(out=out / "dataset", patients=patients, workers=workers, seed=0)
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    summary = with_progress("generating", lambda progress: generate(config, overwrite=overwrite, progress=progress))
    print_summary(summary)
    engines = available_engines()
    results = _run(out / "dataset", engines, out / "results", workers, 120.0, True, False, False, 3, overwrite)
    print_leaderboard(results)
    console.print(f"dataset: {lit(out / 'dataset')}\nreport:  {lit(out / 'results' / 'report.html')} "
                  "(and report.md, results.json)")
