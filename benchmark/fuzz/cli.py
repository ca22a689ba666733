"""``phiphantom fuzz``: mutate generated DICOM files and run the engine on each (see the package doc)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from phiphantom.core.cli_text import err_console, lit, out_console

console = err_console()


def print_report(report) -> None:
    """Outcome counts, then each group of failures (cause, where it was raised, a few case numbers)."""
    data = report.to_dict()
    table = Table(title=f"phiphantom fuzz: {data['cases']} cases, seed {data['seed']}", show_header=False, box=None)
    table.add_row("[bold]engine[/bold]", lit(data["engine"]))
    table.add_row("[bold]time[/bold]", f"{data['seconds']:.1f} s wall, {data['cpu_seconds']:.1f} s CPU in "
                  f"{data['workers']} worker(s) ({data['files_per_s']} files/s)")
    for name, count in data["outcomes"].items():
        style = "red" if count and name in ("unhandled", "hang", "crash", "parse_failure", "leak", "fuzzer_error") \
            else ""
        table.add_row(f"  {lit(name)}", f"[{style}]{count}[/{style}]" if style else str(count))
    out_console().print(table)
    for group in data["failure_groups"]:
        cause = " ".join(str(p) for p in (group["cause"], group["where"], ",".join(group["leaked"])) if p)
        console.print(f"[red]{lit(group['outcome'])}[/red] x{group['count']}: {lit(cause)} "
                      f"(cases {lit(', '.join(str(i) for i in group['cases']))}; "
                      f"mutations {lit(', '.join(group['mutations']))})")


def fuzz_command(
    cases: int = typer.Option(500, "--cases", min=1, help="Number of fuzzed files (case indices 0..N-1)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the corpus and of every case: (seed, case index) "
                             "makes a case again."),
    case: list[int] = typer.Option([], "--case", help="Run only this case index (repeatable); with --out its "
                                   "input is written to OUT/cases/N.dcm."),
    workers: int = typer.Option(2, "--workers", min=1, help="Worker processes (each runs many cases)."),
    timeout: float = typer.Option(30.0, "--timeout", min=0.1, help="Seconds per file before it counts as a hang "
                                  "(the worker is killed)."),
    out: Path | None = typer.Option(None, "--out", help="Folder (new or empty) for fuzz.json and the input "
                                       "file of each failing case (cases/N.dcm; synthetic data only)."),
    header_only: bool = typer.Option(False, "--header-only", help="Run the engine without pixel cleaning "
                                     "(default: pixels cleaned, as deid)."),
    policy: str = typer.Option("strict", "--policy", help="Pixel policy: strict or balanced."),
    option: list[str] = typer.Option([], "--option", help="Profile option passed to the engine (repeatable), as "
                                     "deid --option."),
    memory_limit: int = typer.Option(4096, "--memory-limit", min=0, help="Address space a worker may add to what "
                                     "it holds at start, in MB (0: no limit); a file that makes the engine "
                                     "allocate beyond it is a MemoryError."),
) -> None:
    """Fuzz the de-identification engine: mutated generated DICOM files through deid's per-file path.

    Exit 0: every case ok or clearly rejected. Exit 1: a case raised an unhandled exception, hung,
    crashed its worker, gave an output that does not parse, or leaked an injected PHI marker.
    """
    from phiphantom.core.progress import progress_bar

    from .runner import FuzzConfig, run_fuzz

    if policy not in ("strict", "balanced"):
        console.print("[red]error:[/red] --policy must be strict or balanced")
        raise typer.Exit(2)
    config = FuzzConfig(cases=cases, seed=seed, workers=workers, timeout_s=timeout, header_only=header_only,
                        policy=policy, options=tuple(o.strip() for o in option if o.strip()),
                        memory_limit_mb=memory_limit, only=tuple(case), out=out)
    try:
        with progress_bar() as bar:
            task = bar.add_task("fuzzing", total=len(config.indices()))
            report = run_fuzz(config, progress=lambda done, total: bar.update(task, completed=done, total=total))
    except (FileExistsError, ValueError) as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    print_report(report)
    if out is not None:
        console.print(f"report: {lit(Path(out) / 'fuzz.json')}")
    raise typer.Exit(report.exit_code)


