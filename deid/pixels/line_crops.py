"""Labelled line crops for training and measuring a line recognizer: the crops the engine reads, with
the text the generator drew there.

A generated dataset (docs/dataset-format.md) is read as a folder: its DICOM files through pydicom and
its ``gt/boxes.csv`` through :mod:`phiphantom.core.ground_truth` (the engine never imports the
generator). Each file's first frame is segmented as the engine segments a still (:func:`.text_find.
find_segments` inside :func:`.image_area.find_image_area`'s search area) and each segment is cropped by
:func:`.detect.read_segment` itself. A segment is labelled with the ``rendered_text`` of the one text box
it matches: the whole box lies inside it (WHOLE_BOX of the box's area), no other box is more than touched
(MAX_OTHER) and the two overlap closely (MIN_IOU). A segment that covers several boxes (text or graphic),
none, or only part of one is left out and counted. The engine cuts many lines into words ("JOHN" | "DOE"
for one box "JOHN DOE"): when the segments lying inside one box (PIECE_INSIDE of their area, touching no
other box) run from its left edge to its right edge without overlapping and are as many as the words of
its text, each takes its word (left to right); otherwise they are counted as partial."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pydicom

from phiphantom.core.ground_truth import BoxRow, read_rows
from phiphantom.core.ocr import LineRead

from ..header_deid import DeidError
from .detect import read_segment
from .frames import load_frames
from .image_area import find_image_area
from .text_find import Segment, find_segments

MIN_BOX_COVER = 0.5  # share of a box's area inside a segment for the segment to cover it
WHOLE_BOX = 0.97     # share of the one covered box's area inside the segment for its label to be the crop's text
MAX_OTHER = 0.05     # share of any other box's area the segment may touch (a pixel or two of a neighbour)
MIN_IOU = 0.5        # intersection over union of a segment and the one box it covers, to take its label
PIECE_INSIDE = 0.9   # share of a segment's area inside one box for it to be a piece (a word) of that box
#: the box columns the crops use (older tables with more columns still load)
REQUIRED = ("output_dicom_relpath", "rendered_text", "bbox_x", "bbox_y", "bbox_w", "bbox_h", "frame_start",
            "frame_end", "is_phi", "phi_category", "font", "style", "kind")


@dataclass(frozen=True)
class LineCrop:
    """One segment's crop as the engine hands it to OCR, and what was drawn there."""

    image: np.ndarray = field(repr=False)  # (h, w) uint8 grey view, bright ink (read_segment's crop)
    text: str = field(repr=False)          # the box's rendered_text (PHI for PHI boxes: never logged)
    phi: bool
    category: str                          # phi_category: name, study_date, label, depth...
    font: str                              # the generator's font (ttf:..., stroke:..., bitmap:...)
    style: str                             # the style pack
    file: str                              # output_dicom_relpath
    dataset: str = ""                      # the dataset folder (relpaths repeat across datasets)

    @property
    def screen(self) -> str:
        """The file, named across datasets by the dataset folder's name (not its whole path, so that a
        seeded split of files does not depend on where the datasets lie)."""
        return f"{Path(self.dataset).name}/{self.file}" if self.dataset else self.file

    @property
    def font_kind(self) -> str:
        """``ttf``, ``stroke``, ``bitmap``... (the font column's prefix)."""
        return self.font.split(":", 1)[0] if ":" in self.font else "ttf"


@dataclass
class CropCounts:
    """What the extraction found and why segments were left out (counts only, no values)."""

    files: int = 0
    unreadable_files: int = 0
    segments: int = 0
    labelled: int = 0
    words: int = 0        # of the labelled: words of a box the engine cut into as many segments as it has words
    no_box: int = 0
    several_boxes: int = 0
    partial: int = 0      # covers one box but overlaps it loosely (part of it, or much more than it)
    graphic: int = 0      # covers one graphic box (a bar, a marker): not a line of text

    def add(self, other: CropCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Capture:
    """An OCR backend that keeps the crop it is handed: read_segment's crop, exactly."""

    name = "capture"

    def __init__(self) -> None:
        self.image: np.ndarray | None = None

    def read_line(self, image: np.ndarray) -> LineRead:
        self.image = image
        return LineRead("", 0.0)


def segment_crop(view: np.ndarray, seg: Segment) -> np.ndarray:
    """The crop the engine reads for ``seg`` on a (H, W) grey view (a copy)."""
    capture = _Capture()
    read_segment(capture, view, seg)
    assert capture.image is not None
    return capture.image.copy()


def _overlap(seg: Segment, box: tuple[int, int, int, int]) -> int:
    x, y, w, h = box
    return max(0, min(seg.x1, x + w) - max(seg.x0, x)) * max(0, min(seg.y1, y + h) - max(seg.y0, y))


def label_segments(view: np.ndarray, segments: list[Segment], boxes: list[BoxRow]) -> tuple[list[LineCrop], CropCounts]:
    """Crops of ``segments`` (on the grey ``view``) labelled from ``boxes`` (the rows of the same frame)."""
    counts = CropCounts(segments=len(segments))
    crops = []
    pieces: dict[int, list[Segment]] = {}  # box index -> segments lying inside it and touching no other box
    for seg in segments:
        inside = [_overlap(seg, row.bbox) / max(1, row.bbox[2] * row.bbox[3]) for row in boxes]
        touched = sorted(((share, i) for i, share in enumerate(inside) if share > 0), reverse=True)
        if not touched:
            counts.no_box += 1
            continue
        share, best = touched[0]
        if (len(touched) > 1 and touched[1][0] >= MIN_BOX_COVER) or (share >= MIN_BOX_COVER and len(touched) > 1
                                                                      and touched[1][0] > MAX_OTHER):
            counts.several_boxes += 1  # another box inside, or a real part of another box's ink in the crop
            continue
        row = boxes[best]
        if row.graphic:
            counts.graphic += 1
            continue
        if share < WHOLE_BOX:
            alone = len(touched) == 1 or touched[1][0] <= MAX_OTHER
            if alone and _overlap(seg, row.bbox) >= PIECE_INSIDE * seg.width * seg.height:
                pieces.setdefault(best, []).append(seg)
            else:
                counts.partial += 1
            continue
        _, _, w, h = row.bbox
        inter = _overlap(seg, row.bbox)
        if inter < MIN_IOU * (seg.width * seg.height + w * h - inter):
            counts.partial += 1  # the box and far more (strokes of something else)
            continue
        counts.labelled += 1
        crops.append(_crop_of(view, seg, row, row.rendered_text))
    for best, found in pieces.items():
        row = boxes[best]
        words = row.rendered_text.split()
        found.sort(key=lambda seg: seg.x0)
        x, _, w, _ = row.bbox
        ordered = all(a.x1 <= b.x0 for a, b in zip(found, found[1:], strict=False))
        if len(words) == len(found) >= 2 and ordered and found[0].x0 <= x + 1 and found[-1].x1 >= x + w - 1:
            counts.labelled += len(found)
            counts.words += len(found)
            crops.extend(_crop_of(view, seg, row, word) for seg, word in zip(found, words, strict=True))
        else:
            counts.partial += len(found)
    return crops, counts


def _crop_of(view: np.ndarray, seg: Segment, row: BoxRow, text: str) -> LineCrop:
    return LineCrop(segment_crop(view, seg), text, row.phi, row.phi_category, row.font, row.style,
                    row.output_dicom_relpath)


def file_crops(path: Path, boxes: list[BoxRow]) -> tuple[list[LineCrop], CropCounts]:
    """Labelled crops of one DICOM file's first frame (``boxes``: the file's rows of gt/boxes.csv)."""
    ds = pydicom.dcmread(path)
    frames = load_frames(ds)
    area = find_image_area(ds, frames.view)
    view = frames.view[0]
    on_first = [row for row in boxes if 0 in row.frames]
    crops, counts = label_segments(view, find_segments(view, area.search), on_first)
    counts.files = 1
    return crops, counts


def dataset_crops(folder: Path, tick: Callable[[], None] | None = None) -> Iterator[tuple[list[LineCrop], CropCounts]]:
    """Each file's labelled crops, file by file in the order of gt/boxes.csv (``tick`` after each file).
    A file that cannot be read or decoded is counted (``unreadable_files``), not raised."""
    rows = read_rows(folder / "gt" / "boxes.csv", BoxRow, required=REQUIRED)
    by_file: dict[str, list[BoxRow]] = {}
    for row in rows:
        by_file.setdefault(row.output_dicom_relpath, []).append(row)
    for relpath, boxes in by_file.items():
        try:
            crops, counts = file_crops(folder / relpath, boxes)
            yield [replace(c, dataset=str(folder)) for c in crops], counts
        except (OSError, ValueError, DeidError, pydicom.errors.InvalidDicomError):
            yield [], CropCounts(files=1, unreadable_files=1)
        if tick is not None:
            tick()


def dataset_files(folder: Path) -> int:
    """How many DICOM files gt/boxes.csv names (for a progress bar's total)."""
    rows = read_rows(folder / "gt" / "boxes.csv", BoxRow, required=REQUIRED)
    return len({row.output_dicom_relpath for row in rows})
