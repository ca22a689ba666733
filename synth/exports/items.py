"""The exported frames of a dataset, one :class:`FrameItem` per (file, frame), with the boxes shown on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from phiphantom.core.ground_truth import BoxRow

from .frames import ExportError, FrameChoice, read_frames
from .source import Dataset, SourceFile


@dataclass(frozen=True)
class FrameBox:
    """One box on an exported frame: ``bbox`` ``(x, y, w, h)`` in the frame's pixels (x = column, y = row)."""

    bbox: tuple[int, int, int, int]
    category: int
    category_name: str
    is_phi: bool
    kind: str      # text | graphic
    style: str
    text: str      # what was drawn (empty for a graphic); synthetic values only


@dataclass(frozen=True)
class FrameItem:
    """One exported frame: where it comes from, its split and name, its pixels and boxes."""

    source: SourceFile
    frame: int
    split: str
    name: str              # file stem of the image: <patient>_<study>_<file>_f<frame>
    pixels: np.ndarray     # (rows, columns) grey or (rows, columns, 3) RGB, uint8
    boxes: list[FrameBox]


def image_stem(relpath: str, frame: int) -> str:
    """A unique, flat name for frame ``frame`` of the file at ``relpath``."""
    rel = relpath[len("dicom/"):] if relpath.startswith("dicom/") else relpath
    stem = rel[:-4] if rel.lower().endswith(".dcm") else rel
    return f"{stem.replace('/', '_')}_f{frame:04d}"


def frame_boxes(rows: list[BoxRow], frame: int, index: dict[str, int], style: str) -> list[FrameBox]:
    """The boxes of ``rows`` visible on ``frame`` (``frame_start <= frame < frame_end``)."""
    out: list[FrameBox] = []
    for row in rows:
        if frame not in row.frames:
            continue
        kind = row.kind or "text"
        out.append(FrameBox(row.bbox, index[row.phi_category], row.phi_category, row.phi, kind, row.style or style,
                            "" if kind == "graphic" else row.rendered_text))
    return out


def count_frames(dataset: Dataset, splits: dict[str, str], choice: FrameChoice) -> int:
    """How many frames the export writes."""
    return sum(len(choice.frames(f.frames)) for f in dataset.files if f.relpath in splits)


def iter_items(dataset: Dataset, splits: dict[str, str], choice: FrameChoice) -> Iterator[FrameItem]:
    """Every exported frame, file by file in manifest order (a file is decoded once)."""
    index = dataset.category_index()
    for source in dataset.files:
        split = splits.get(source.relpath)
        if split is None:
            continue
        chosen = choice.frames(source.frames)
        if not chosen:
            continue
        frames = read_frames(dataset.root / source.relpath)
        if frames.shape[0] < source.frames or frames.shape[1:3] != (source.rows, source.columns):
            raise ExportError(f"{source.relpath}: its pixels do not match the manifest (frames, rows, columns)")
        rows = dataset.boxes.get(source.relpath, [])
        for t in chosen:
            yield FrameItem(source, t, split, image_stem(source.relpath, t), frames[t],
                            frame_boxes(rows, t, index, source.style))
