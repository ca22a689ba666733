"""Command-line front end of the batch runner: ``phiphantom deid IN OUT``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from phiphantom.core.cli_text import err_console, help_text, lit, out_console
from phiphantom.core.executors import default_workers

if TYPE_CHECKING:  # the engine is imported when the command runs, so `phiphantom --help` stays light
    from .batch import BatchSummary

console = err_console()


def parse_shift_range(text: str | None) -> tuple[int, int] | None:
    """``"LO:HI"`` (days, may be negative) -> ``(lo, hi)``."""
    from .batch import BatchUsageError

    if text is None:
        return None
    try:
        lo, hi = (int(part) for part in text.split(":"))
    except ValueError:
        raise BatchUsageError("--date-shift-range must be LO:HI in days, e.g. -3650:-1") from None
    return lo, hi


def print_summary(summary: BatchSummary) -> None:
    """One screen: counts, failures by error class, where the records are (no paths from IN, no values)."""
    table = Table(title=f"phiphantom deid -> {lit(summary.out_dir)}", show_header=False, box=None)
    rows = [
        ("files", f"{summary.files} found: [green]{summary.ok} ok[/green], "
                  f"[red]{summary.failed} failed[/red], {summary.skipped} skipped (done by an earlier run)"),
        ("time", f"{summary.seconds:.1f} s, {summary.files_per_s:.1f} files/s with {summary.workers} worker(s)"),
        ("layout / key", f"{lit(summary.layout)} / {lit(summary.key_source)}"),
        ("pixels", "[yellow]NOT cleaned[/yellow] (header only; BurnedInAnnotation left as it was)"
         if summary.pixel_policy is None else
         f"cleaned ({lit(summary.pixel_policy)}); re-OCR verified in {summary.pixels_verified} of {summary.ok} "
         "ok files"),
        ("records", f"{lit(summary.errors_csv)}, {lit(summary.audit)}"),
    ]
    for error_class, count in summary.errors_by_class.items():
        rows.append((f"  {lit(error_class)}", str(count)))
    if summary.mapping_out is not None:
        rows.append(("mapping (secret)", lit(summary.mapping_out)))
    if summary.ephemeral_key_out is not None:
        rows.append(("key (secret)", lit(summary.ephemeral_key_out)))
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", value)
    out_console().print(table)
    if summary.dicom_files == 0:
        console.print(f"[red]no DICOM files found in {lit(summary.in_path)}[/red]: "
                      f"{summary.files} other entries, each with a row in errors.csv")
    if summary.names_like_phi:
        console.print(f"[yellow]warning:[/yellow] {summary.names_like_phi} of {summary.ok + summary.skipped} output "
                      "paths hold a patient name, ID or date of their own header: --layout keep copied those "
                      "input names into OUT. Use the default --layout pseudonymized to share this data.")


def deid_command(
    src: Path = typer.Argument(..., metavar="IN", help="A DICOM file or a folder (walked recursively; symlinks are "
                               "not followed, each gets an errors.csv row)."),
    out: Path = typer.Argument(..., metavar="OUT",
                               help="Output folder: empty or new (unless --resume), not inside IN."),
    profile: str = typer.Option("basic", help="Confidentiality profile: basic (PS3.15 Annex E)."),
    option: list[str] = typer.Option([], "--option", help="Profile option (repeatable): retain_safe_private, "
                                     "retain_uids, retain_device_identity, retain_institution_identity, "
                                     "retain_patient_characteristics, retain_long_full_dates, "
                                     "retain_long_modified_dates, clean_descriptors, clean_structured_content, "
                                     "clean_graphics; and keep_unknown (keep public elements the DICOM "
                                     "dictionary does not define: removed by default, counted in the audit)."),
    key_file: Path | None = typer.Option(None, "--key-file", help="Secret key file (hex, base64 or passphrase). "
                                            "Else $PHIPHANTOM_DEID_KEY. There is no default key."),
    ephemeral_key: bool = typer.Option(False, "--ephemeral-key", help="Use a random one-off key (pseudonyms are "
                                       "consistent within this run only; the key is not kept)."),
    write_ephemeral_key: Path | None = typer.Option(None, "--write-ephemeral-key", help="Save the ephemeral key "
                                                       "here (mode 0600; not inside IN or OUT)."),
    workers: int = typer.Option(default_workers(), help="Worker processes (at least 1)."),
    timeout: float = typer.Option(300.0, help="Seconds allowed per file (then Timeout)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in OUT: files whose input and "
                                "output are unchanged are skipped. Needs the key and settings of that run (others "
                                "are refused: start a new run into a new OUT)."),
    layout: str = typer.Option("pseudonymized", help="pseudonymized (default): PatientID/StudyUID/SeriesUID/"
                               "SOPUID.dcm from pseudonyms; keep: same relative paths as IN (file names may carry "
                               "PHI: the run warns when they hold a name, ID or date of the file's header)."),
    mapping_out: Path | None = typer.Option(None, "--mapping-out", help="Write the original -> pseudonym table "
                                               "here (CSV, mode 0600; PHI: not inside IN or OUT)."),
    safe_private: Path | None = typer.Option(None, "--safe-private", help="CSV of private elements to keep "
                                                "(creator,offset in hex); needs --option retain_safe_private."),
    date_shift_range: str | None = typer.Option(None, "--date-shift-range", metavar="LO:HI",
                                                   help="Date shift range in days (default -3650:-1); needs "
                                                   "--option retain_long_modified_dates."),
    show_paths: bool = typer.Option(False, "--show-paths", help="Write input paths relative to IN in errors.csv, "
                                    "audit.jsonl and detections.csv (they may carry PHI). Default: file-NNNN, the "
                                    "input's number in walk order (IN sorted by path bytes)."),
    redact_paths: bool = typer.Option(False, "--redact-paths", help="file-NNNN instead of input paths in the "
                                      "records: the default now, accepted for compatibility."),
    header_only: bool = typer.Option(False, "--header-only", help="De-identify the header only: burned-in text in "
                                     "the pixels is NOT cleaned and BurnedInAnnotation is left as it was."),
    policy: str = typer.Option("strict", help="Pixel policy: strict (redact all text outside the image except "
                               "ultrasound clinical vocabulary) or balanced (redact only text classified as PHI)."),
    threshold: float | None = typer.Option(None, "--threshold", metavar="T", help="Redact a line of burned-in "
                                              "text when its score reaches T, a number from -1 to 1 (the score "
                                              "rises with evidence of PHI and falls with clinical text: a lower T "
                                              "removes more). Overrides the default threshold of --policy; the "
                                              "audit records it. Default: the policy's."),
    hard: bool = typer.Option(False, "--hard", help="Also remove header values (institution, names, IDs) whose "
                              "line runs on over the image: the box is extended over the image by the part OCR "
                              "could not read (more image damage; see docs/deid.md)."),
    pixels_all_modalities: bool = typer.Option(False, "--pixels-all-modalities", help="Give every file the full "
                                               "(ultrasound screen) text search. Default: full for US, secondary "
                                               "capture, video and OT; only confidently read text on other images "
                                               "(CT, MR, CR...); none on segmentations and RT dose (docs/deid.md)."),
    recompress: str | None = typer.Option(None, "--recompress", metavar="jpeg-ls|jpeg2000|rle", help="Write "
                                             "native pixel data losslessly compressed (JPEG-LS, JPEG 2000 or RLE "
                                             "Lossless; checked to decode to the same pixels). Default: native."),
    include_text: bool = typer.Option(False, "--include-text", help="Write the OCR text of every box to "
                                      "OUT/detections.csv (it is PHI)."),
    ocr: str = typer.Option("tesseract", help="OCR backend: tesseract (default, from PyPI alone), rapidocr or "
                            "easyocr (optional extras), or crnn:DIR (a line recognizer model folder from "
                            "'phiphantom recognizer train', read by ONNX Runtime when it holds its ONNX graphs: extra "
                            "phiphantom[recognizer-runtime]; else by torch: extra phiphantom[recognizer])."),
    ner_model: Path | None = typer.Option(None, "--ner-model", help=help_text(
        "Local token-classification model folder for named-entity recognition of burned-in text "
        "(needs the ner extra: pip install 'phiphantom[ner]').")),
    executor: str = typer.Option("local", "--executor", help="local (supervised worker processes, default) | dask "
                                 "(one task per file on a Dask cluster; workers must see IN and OUT)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address for --executor dask "
                                            "(default: a LocalCluster of --workers)."),
) -> None:
    """De-identify a DICOM file or folder: PS3.15 basic profile headers and burned-in text in every frame.

    Fail-closed, resumable, audited: OUT/errors.csv, OUT/audit.jsonl, OUT/detections.csv.

    Exit status: 0 all files done, 1 some failed (see OUT/errors.csv) or the run stopped because a record could
    not be written, 2 bad usage or an unusable OUT (nothing processed).
    """
    from phiphantom.core.executors import Executor, ExecutorError
    from phiphantom.core.progress import progress_bar

    from .batch import (
        BatchUsageError,
        DeidSettings,
        ExecutionSettings,
        KeySettings,
        OutputSettings,
        RunAborted,
        deid_batch,
    )

    try:
        choice = Executor(executor, scheduler, workers)
        with progress_bar() as bar:
            task = bar.add_task("de-identifying", total=None)
            summary = deid_batch(
                src, out,
                deid=DeidSettings(
                    profile=profile, options=[o for item in option for o in item.split(",")],
                    safe_private=safe_private, date_shift_range=parse_shift_range(date_shift_range),
                    header_only=header_only, policy=policy, threshold=threshold, hard=hard,
                    pixels_all_modalities=pixels_all_modalities,
                    recompress=recompress, ocr=ocr, ner_model=ner_model),
                keys=KeySettings(key_file=key_file, ephemeral=ephemeral_key, write_ephemeral_key=write_ephemeral_key),
                output=OutputSettings(layout=layout, resume=resume, mapping_out=mapping_out, show_paths=show_paths,
                                      redact_paths=redact_paths, include_text=include_text),
                execution=ExecutionSettings(
                    workers=workers, timeout_s=timeout, executor=choice,
                    progress=lambda done, total: bar.update(task, completed=done, total=total)))
    except (BatchUsageError, ExecutorError) as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(2) from None
    except RunAborted as exc:
        console.print(f"[red]error:[/red] {lit(exc)}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("[yellow]interrupted:[/yellow] finished files are kept; run again with --resume to continue")
        raise typer.Exit(130) from None
    print_summary(summary)
    raise typer.Exit(summary.exit_code)
