"""``generate(config)``: plan, build every file in worker processes, write the ground truth, validate.

Output layout (documented in docs/dataset-format.md)::

    DIR/manifest.json
    DIR/quarantine.csv
    DIR/source_skipped.csv      (only when the frame source skipped files it cannot use)
    DIR/dicom/<patient>/<study>/<file>.dcm
    DIR/gt/boxes.csv  gt/tags.csv  gt/identities.csv  gt/coco.json
    DIR/gt/masks/<patient>/<study>/<file>.npz
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from phiphantom.core import __version__
from phiphantom.core.executors import ExecutorError, TaskFailed
from phiphantom.core.ground_truth import DEFAULT_PACK, IdentityRow, write_rows

from .config import GenerateConfig
from .file_job import JobResult, mask_relpath_for, run_job
from .ground_truth import sha256_file, write_csv, write_json
from .gt_writer import GroundTruthWriter
from .identity import identity_row
from .output_dir import SOURCE_SKIPPED, io_step, prepare_output, remove_partial_output
from .overlay_content import CLINICAL_CATEGORIES, PHI_TAGS
from .plan import FileJob, plan_dataset
from .sources import open_source

MANIFEST_FORMAT = 1
SOURCE_SKIPPED_COLUMNS = ("source_relpath", "reason")


@dataclass
class DatasetSummary:
    """What ``generate`` made (the one-screen summary at the end of a run)."""

    out: Path
    patients: int
    studies: int
    files: int
    cines: int
    frames: int
    jpeg_files: int
    rgb_files: int
    boxes: int
    phi_boxes: int
    tags: int
    quarantined_files: int
    quarantined_attempts: int
    source_skipped: int = 0
    layouts: dict[str, int] = field(default_factory=dict)
    validation: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def categories(config: GenerateConfig) -> list[str]:
    """The COCO categories: PHI, then clinical; with packs other than classic their own and the graphic kinds."""
    names = sorted(PHI_TAGS) + sorted(CLINICAL_CATEGORIES)
    if any(ref.name != DEFAULT_PACK for ref in config.style_packs()):
        from .graphics import GRAPHIC_KINDS
        from .styles.compose_pack import PACK_CATEGORIES

        names += sorted(PACK_CATEGORIES) + list(GRAPHIC_KINDS)
    return names


def _run_jobs(jobs: list[FileJob], out: Path, config: GenerateConfig, take: Callable[[JobResult], None]) -> None:
    """Run every file job (local processes or Dask), handing each result to ``take`` as it comes back.

    At most a few jobs per worker are in flight locally, and nothing keeps results: memory does
    not grow with the dataset.
    """
    with config.execution().open() as session:
        for index, res in session.map(run_job, jobs, out_dir=out):
            if isinstance(res, TaskFailed):  # only Dask answers so: a local job's exception propagates
                raise ExecutorError(f"file job {jobs[index].index} failed on the Dask cluster "
                                    f"({res.detail or res.error_class})")
            take(res)


def generate(config: GenerateConfig, *, overwrite: bool = False,
             progress: Callable[[int, int], None] | None = None) -> DatasetSummary:
    """Generate the dataset described by ``config``; returns its summary.

    ``progress(done, total)`` is called after each file (the CLI passes a rich bar).
    """
    started = time.perf_counter()
    out = Path(config.out).resolve()  # Dask workers need the path as every worker sees it
    source = open_source(config.source)
    identities, jobs = plan_dataset(config, source)
    skipped = dict(sorted((getattr(source, "skipped", None) or {}).items()))  # source files it cannot use
    created = prepare_output(out, overwrite)
    writer: GroundTruthWriter | None = None
    done = 0

    def take(result: JobResult) -> None:
        nonlocal done
        assert writer is not None  # made before the first job runs
        writer.add(result)
        done += 1
        if progress:
            progress(done, len(jobs))

    try:
        writer = GroundTruthWriter(out, categories(config), len(jobs))
        _run_jobs(jobs, out, config, take)
        writer.finish()
        if skipped:
            with io_step(f"write {SOURCE_SKIPPED}", out):
                write_csv(out / SOURCE_SKIPPED, SOURCE_SKIPPED_COLUMNS,
                          ({"source_relpath": rel, "reason": why} for rel, why in skipped.items()))
        summary = write_manifest(out, config, identities, writer, skipped)
    except BaseException:
        # no half dataset: remove every file this run planned, its part files and the ground truth
        if writer is not None:
            writer.discard()
        remove_partial_output(out, [rel for job in jobs for rel in (job.relpath, mask_relpath_for(job.relpath))],
                              created)
        raise
    if config.validate:
        from .validate import validate_dataset

        report = validate_dataset(out, workers=config.workers)
        summary.validation = report.as_dict()
        _record_validation(out, summary.validation)
    summary.seconds = time.perf_counter() - started
    return summary


def write_manifest(out: Path, config: GenerateConfig, identities, writer: GroundTruthWriter,
                   skipped: dict[str, str] | None = None) -> DatasetSummary:
    """Write gt/identities.csv and manifest.json (after the streamed ground truth is complete)."""
    with io_step("write gt/identities.csv", out):
        write_rows(out / "gt" / "identities.csv", IdentityRow,
                   (IdentityRow.from_row(identity_row(i)) for i in identities))
    files = writer.file_entries
    layouts: dict[str, int] = {}
    for f in files:
        layouts[f["layout"]] = layouts.get(f["layout"], 0) + 1
    summary = DatasetSummary(
        out=out, patients=len(identities), studies=sum(len(i.studies) for i in identities), files=len(files),
        cines=sum(1 for f in files if f["frames"] > 1), frames=sum(f["frames"] for f in files),
        jpeg_files=sum(1 for f in files if not f["lossless"]), rgb_files=sum(1 for f in files if f["colour"] == "rgb"),
        boxes=writer.boxes, phi_boxes=writer.phi_boxes, tags=writer.tags,
        quarantined_files=writer.quarantined_files,
        quarantined_attempts=len(writer.quarantine), source_skipped=len(skipped or {}),
        layouts=dict(sorted(layouts.items())),
    )
    gt_names = ["gt/boxes.csv", "gt/tags.csv", "gt/identities.csv", "gt/coco.json", "quarantine.csv"]
    gt_names += [SOURCE_SKIPPED] if skipped else []
    gt_files = {name: sha256_file(out / name) for name in gt_names}
    manifest = {
        "format": MANIFEST_FORMAT,
        "generator": "phiphantom.synth",
        "generator_version": __version__,
        "seed": config.seed,
        "run_id": config.run_id(),
        "config": config.content_dict(),
        "counts": {k: v for k, v in summary.__dict__.items() if isinstance(v, int)},
        "layouts": summary.layouts,
        "styles": manifest_styles(config, files),
        "diversity": style_diversity(config),
        "files": files,
        "ground_truth": gt_files,
        "validation": {"tiers_run": [], "note": "validation not run"},
    }
    with io_step("write manifest.json", out):
        write_json(out / "manifest.json", manifest)
    return summary


def manifest_styles(config: GenerateConfig, files: list[dict]) -> list[dict]:
    """The manifest's ``styles``: each selected pack's name, version and number of files drawn from it."""
    counts: dict[str, int] = {}
    for f in files:
        counts[f["style"]] = counts.get(f["style"], 0) + 1
    return [{"name": ref.name, "version": ref.version, "files": counts.get(ref.name, 0)}
            for ref in config.style_packs()]


def style_diversity(config: GenerateConfig) -> dict:
    """The diversity figures of the selected packs (fonts by technology, formats, ID shapes, locales, label
    languages, clinical vocabulary; synth/styles/diversity.py): what the dataset's packs can vary."""
    from .styles import get_pack
    from .styles.diversity import diversity

    return diversity(get_pack(ref.name) for ref in config.style_packs())


def _record_validation(out: Path, validation: dict) -> None:
    import json

    path = out / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["validation"] = validation
    with io_step("record the validation in manifest.json", out):
        write_json(path, manifest)
