"""Detections: the text boxes an engine reports (:class:`Detection`) and the rows of ``phiphantom deid``'s
``detections.csv`` (:data:`DETECTION_COLUMNS`, :class:`DetectionRow`, read by :func:`read_detections`,
written by :class:`DetectionWriter`, the one writer ``deid``'s batch runner streams its rows through).

In ``core`` because both sides use them: the benchmark's engines return :class:`Detection` objects
(scored against ``gt/boxes.csv`` at IoU >= 0.5) and ``deid``'s batch runner writes one
``detections.csv`` row per box its pixel pass found, with the columns defined here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

DETECTION_COLUMNS = ("file", "frame_start", "frame_end", "x0", "y0", "x1", "y1", "decision", "reason", "text")
DECISIONS = ("redact", "keep")


@dataclass(frozen=True)
class Detection:
    """A text box an engine found: frames [frame_start, frame_end), pixels [x0, x1) x [y0, y1)."""

    frame_start: int
    frame_end: int
    x0: int
    y0: int
    x1: int
    y1: int
    redacted: bool = True
    reason: str = ""


@dataclass(frozen=True)
class DetectionRow:
    """One row of ``detections.csv``: which file (its shown name), the box, the decision and its reason.

    ``text`` is the OCR reading, empty unless the run was asked for it (it is PHI).
    """

    file: str
    frame_start: int
    frame_end: int
    x0: int
    y0: int
    x1: int
    y1: int
    decision: str   # redact | keep
    reason: str
    text: str = ""

    @classmethod
    def from_row(cls, row: dict[str, str]) -> DetectionRow:
        """The row of a ``csv.DictReader`` row of ``detections.csv`` (ValueError naming the column, never a value)."""
        numbers = {}
        for column in ("frame_start", "frame_end", "x0", "y0", "x1", "y1"):
            try:
                numbers[column] = int(row[column])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"detections.csv: {column} is missing or not an integer") from None
        if row.get("decision") not in DECISIONS:
            raise ValueError("detections.csv: decision is not redact or keep")
        return cls(file=row["file"], decision=row["decision"], reason=row.get("reason") or "",
                   text=row.get("text") or "", **numbers)

    def for_file(self, file: str) -> DetectionRow:
        """The same row naming ``file`` (a worker makes its rows unnamed; the run names them as it records them)."""
        return replace(self, file=file)

    def cells(self) -> list[object]:
        """The row's cells in :data:`DETECTION_COLUMNS` order (what ``csv.writer`` writes)."""
        return [getattr(self, column) for column in DETECTION_COLUMNS]

    @property
    def detection(self) -> Detection:
        """The box as a :class:`Detection` (redacted when the decision was ``redact``)."""
        return Detection(self.frame_start, self.frame_end, self.x0, self.y0, self.x1, self.y1,
                         self.decision == "redact", self.reason)


def read_detections(path: Path) -> list[DetectionRow]:
    """The rows of a ``detections.csv`` (ValueError when its header is not :data:`DETECTION_COLUMNS`)."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != DETECTION_COLUMNS:
            raise ValueError(f"{Path(path).name}: the header is not {', '.join(DETECTION_COLUMNS)}")
        return [DetectionRow.from_row(row) for row in reader]


class DetectionWriter:
    """``detections.csv`` rows streamed to a text file opened with ``newline=""``: :mod:`csv`'s default
    (excel) dialect, CRLF line ends, the cells of :meth:`DetectionRow.cells` in column order."""

    def __init__(self, fh: IO[str]) -> None:
        self._writer = csv.writer(fh)

    def write_header(self) -> None:
        """The header line, :data:`DETECTION_COLUMNS`."""
        self._writer.writerow(DETECTION_COLUMNS)

    def write(self, row: DetectionRow) -> None:
        """One row (TypeError for anything but a :class:`DetectionRow`)."""
        if not isinstance(row, DetectionRow):
            raise TypeError(f"a {type(row).__name__} written to detections.csv")
        self._writer.writerow(row.cells())


def write_detections(path: Path, rows: Iterable[DetectionRow]) -> None:
    """A whole ``detections.csv`` at ``path``: the header, then ``rows``."""
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        writer = DetectionWriter(fh)
        writer.write_header()
        for row in rows:
            writer.write(row)


__all__ = ["DECISIONS", "DETECTION_COLUMNS", "Detection", "DetectionRow", "DetectionWriter", "read_detections",
           "write_detections"]
