"""Score one engine's outputs file by file (in worker processes): pixels, re-OCR, headers, detections."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from phiphantom.core.executors import Executor, ExecutorSession, TaskFailed
from phiphantom.core.ground_truth import BoxRow
from phiphantom.synth.external_validators import tier3_check
from phiphantom.synth.ground_truth import read_masks

from .dataset import BenchDataset, FileTruth
from .header_metrics import HeaderFileScore, score_header_file
from .pixel_metrics import PixelFileScore, decode_luma, score_pixels
from .residual_ocr import ResidualRead, residual_scores

IOU_MATCH = 0.5


@dataclass
class FileScore:
    index: int
    pixel: PixelFileScore
    header: HeaderFileScore
    residual: list[ResidualRead | None] | None  # per box (None: not PHI); None when re-OCR was not run
    detection: tuple[int, int, int] | None  # (true positives, false positives, false negatives) per frame
    new_dciodvfy_errors: int | None      # None when dciodvfy was not run

    @property
    def failed(self) -> bool:
        """No usable output: none written, not DICOM, cut short, pixels undecodable or of another geometry.

        Such a file is scored as the worst case on every metric it leaves unmeasurable.
        """
        return bool(self.pixel.error) or self.header.failed


@dataclass(frozen=True)
class ScoreTask:
    root: Path
    truth: FileTruth
    output: Path | None
    detections: tuple | None
    ocr: bool
    dciodvfy: bool


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def match_detections(detections, phi_rows: Sequence[BoxRow], frames: int) -> tuple[int, int, int]:
    """Per frame, greedy one-to-one matching of redacted detections to visible PHI boxes at IoU >= 0.5."""
    tp = fp = fn = 0
    dets = [d for d in detections if d.redacted]
    for t in range(frames):
        boxes = [(x, y, x + w, y + h) for x, y, w, h in (r.bbox for r in phi_rows if t in r.frames)]
        found = [(d.x0, d.y0, d.x1, d.y1) for d in dets if d.frame_start <= t < d.frame_end]
        pairs = sorted(((_iou(g, d), gi, di) for gi, g in enumerate(boxes) for di, d in enumerate(found)), reverse=True)
        used_g, used_d = set(), set()
        for iou, gi, di in pairs:
            if iou < IOU_MATCH:
                break
            if gi not in used_g and di not in used_d:
                used_g.add(gi)
                used_d.add(di)
        tp += len(used_g)
        fp += len(found) - len(used_d)
        fn += len(boxes) - len(used_g)
    return tp, fp, fn


def _new_dciodvfy_errors(inp: Path, out: Path | None) -> int | None:
    if out is None:
        return None
    before, after = tier3_check(inp), tier3_check(out)
    if not (before.ran and after.ran):
        return None
    return len(set(after.errors) - set(before.errors))


def score_file(task: ScoreTask) -> FileScore:
    """Score one output file against its input and ground truth."""
    truth = task.truth
    input_path = task.root / truth.relpath
    header = score_header_file(input_path, task.output, task.output.name if task.output else None, truth.tags)
    inp = decode_luma(input_path)
    out, error = None, ""
    if task.output is None:
        error = "no output"
    elif header.unreadable:  # not DICOM, or cut short (pydicom would decode what is left of it)
        error = "output not readable as DICOM"
    else:
        try:
            out = decode_luma(task.output)
        except Exception as exc:  # noqa: BLE001 - an undecodable output is a scored failure
            error = f"output not decodable ({type(exc).__name__})"
    masks = read_masks(task.root / truth.entry["mask_relpath"], truth.entry["columns"])
    pixel = score_pixels(inp, out, truth.boxes, masks, error)
    usable = out if not pixel.error else None
    residual = residual_scores(usable, truth.boxes, pixel.boxes) if task.ocr else None
    detection = None
    if task.detections is not None:
        detection = match_detections(task.detections, [r for r in truth.boxes if r["is_phi"] == "1"], pixel.frames)
    new_errors = _new_dciodvfy_errors(input_path, task.output) if task.dciodvfy else None
    return FileScore(truth.index, pixel, header, residual, detection, new_errors)


def score_outputs(dataset: BenchDataset, outputs: list[Path | None], detections: list, *, ocr: bool = True,
                  dciodvfy: bool = False, workers: int = 1,
                  progress: Callable[[int, int], None] | None = None,
                  session: ExecutorSession | None = None) -> list[FileScore]:
    """Score every file of ``dataset`` (``outputs[i]`` is the output of file i or None).

    ``session`` (an open executor) with Dask scores one file per Dask task instead of local processes.
    """
    tasks = [ScoreTask(dataset.root, truth, out, tuple(det) if det is not None else None, ocr, dciodvfy)
             for truth, out, det in zip(dataset.files, outputs, detections, strict=False)]

    def local(tasks: list[ScoreTask]) -> Iterator[tuple[int, FileScore]]:
        if workers > 1 and len(tasks) > 1:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
                yield from enumerate(pool.map(score_file, tasks, chunksize=2))
        else:
            yield from ((index, score_file(task)) for index, task in enumerate(tasks))

    ordered: list[FileScore | None] = [None] * len(tasks)
    for done, (index, score) in enumerate((session or ExecutorSession(Executor())).map(score_file, tasks,
                                                                                        local=local), 1):
        if isinstance(score, TaskFailed):  # only Dask answers so: a local exception propagates
            raise RuntimeError(f"scoring file {index} failed on the Dask cluster ({score.error_class})")
        ordered[index] = score
        if progress:
            progress(done, len(tasks))
    return [score for score in ordered if score is not None]
