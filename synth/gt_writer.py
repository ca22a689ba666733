"""Streaming ground-truth writer: rows go to disk as file results arrive, so memory stays flat.

``generate`` hands each file's :class:`~.file_job.JobResult` to :meth:`GroundTruthWriter.add` as soon
as it is back (in any order); results are written in file order, so the output is the same
whichever worker finished first. ``gt/boxes.csv`` and ``gt/tags.csv`` are appended row by row;
COCO images and annotations (one per box *per frame*: the bulk of the ground truth for cines) are
spooled to part files and stitched into ``gt/coco.json`` at the end, byte for byte what
``json.dumps(coco, indent=2, sort_keys=True)`` of the whole document would give. What stays in
memory is small per file: its manifest entry, its quarantine rows and counters.
"""

from __future__ import annotations

import contextlib
import json
import textwrap
from pathlib import Path
from typing import IO

from phiphantom.core.ground_truth import BoxRow, RowWriter, TagRow

from .file_job import JobResult
from .ground_truth import COCO_INFO, QUARANTINE_COLUMNS, coco_annotation, coco_categories, coco_image, write_csv
from .output_dir import io_step

_PLACEHOLDER = "@@phiphantom-stream-{}@@"


class _JsonListSpool:
    """Items of a JSON list, each as it would appear inside ``json.dumps(doc, indent=2)`` at depth 2."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8")
        self.count = 0

    def add(self, item: dict) -> None:
        if self.count:
            self.fh.write(",\n")
        self.fh.write(textwrap.indent(json.dumps(item, indent=2, sort_keys=True, ensure_ascii=False), "    "))
        self.count += 1

    def copy_list_into(self, out) -> None:
        """Write ``[...]`` (or ``[]``) as json.dumps would inside the document."""
        self.fh.close()
        if not self.count:
            out.write("[]")
            return
        out.write("[\n")
        with self.path.open(encoding="utf-8") as fh:
            while chunk := fh.read(1 << 20):
                out.write(chunk)
        out.write("\n  ]")

    def discard(self) -> None:
        with contextlib.suppress(OSError):  # closing flushes: on a full disk that fails again
            self.fh.close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


class GroundTruthWriter:
    """gt/boxes.csv, gt/tags.csv and gt/coco.json, written while the files are being generated."""

    def __init__(self, out: Path, categories: list[str], total: int) -> None:
        gt = out / "gt"
        self.out = out
        self.categories = categories
        self.cat_ids = {name: i + 1 for i, name in enumerate(categories)}
        self._files: dict[str, IO[str]] = {}
        with io_step("create the ground-truth files", gt):
            gt.mkdir(parents=True, exist_ok=True)
            for name in ("boxes.csv", "tags.csv"):
                self._files[name] = (gt / name).open("w", encoding="utf-8", newline="")
        self._boxes = RowWriter(self._files["boxes.csv"], BoxRow)
        self._tags = RowWriter(self._files["tags.csv"], TagRow)
        self._images: _JsonListSpool | None = None
        self._annotations: _JsonListSpool | None = None
        with io_step("create the ground-truth files", gt):
            self._boxes.write_header()
            self._tags.write_header()
            self._images = _JsonListSpool(gt / ".coco-images.part")
            self._annotations = _JsonListSpool(gt / ".coco-annotations.part")
        self._waiting: dict[int, JobResult] = {}
        self._next = 0
        self.total = total
        self.file_entries: list[dict] = []
        self.quarantine: list[dict] = []
        self.quarantined_files = 0
        self.boxes = self.phi_boxes = self.tags = 0

    def add(self, result: JobResult) -> None:
        """Take one file's result (any order); write every result that is next in file order."""
        self._waiting[result.index] = result
        while self._next in self._waiting:
            with io_step("write the ground-truth tables", self.out / "gt"):
                self._write(self._waiting.pop(self._next))
            self._next += 1

    def _write(self, result: JobResult) -> None:
        self.quarantine.extend(result.quarantine)
        if not result.written:
            self.quarantined_files += 1
            return
        images, annotations = self._spools()
        entry = result.file_entry
        self.file_entries.append(entry)
        first_image = images.count + 1
        for t in range(entry["frames"]):
            images.add(coco_image(first_image + t, entry, t))
        for values in result.boxes:
            box = BoxRow.from_row(values)
            self._boxes.write(box)
            self.boxes += 1
            self.phi_boxes += int(box.phi)
            for t in box.frames:
                annotations.add(coco_annotation(annotations.count + 1, first_image + t,
                                                self.cat_ids[box.phi_category], box))
        for values in result.tags:
            self._tags.write(TagRow.from_row(values))
            self.tags += 1

    def _spools(self) -> tuple[_JsonListSpool, _JsonListSpool]:
        """The COCO images and annotations spools (made in ``__init__``)."""
        if self._images is None or self._annotations is None:
            raise RuntimeError("the ground-truth part files were not created")
        return self._images, self._annotations

    def finish(self) -> None:
        """Close the CSVs, write quarantine.csv and stitch gt/coco.json; every file must have been added."""
        if self._waiting or self._next != self.total:
            raise RuntimeError(f"ground truth incomplete: {self._next} of {self.total} files written")
        with io_step("write the ground-truth tables", self.out / "gt"):
            for fh in self._files.values():
                fh.close()
        with io_step("write quarantine.csv", self.out):
            write_csv(self.out / "quarantine.csv", QUARANTINE_COLUMNS, self.quarantine)
        with io_step("write gt/coco.json", self.out / "gt"):
            self._write_coco()
        self.discard()

    def _write_coco(self) -> None:
        skeleton = {"info": COCO_INFO,
                    "categories": coco_categories(self.categories),
                    "images": _PLACEHOLDER.format("images"), "annotations": _PLACEHOLDER.format("annotations")}
        text = json.dumps(skeleton, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        with (self.out / "gt" / "coco.json").open("w", encoding="utf-8") as out:
            rest = text
            images, annotations = self._spools()
            for name, spool in (("annotations", annotations), ("images", images)):
                head, rest = rest.split(f'"{_PLACEHOLDER.format(name)}"', 1)
                out.write(head)
                spool.copy_list_into(out)
            out.write(rest)

    def discard(self) -> None:
        """Remove the part files (after finish, or when the run fails); never raises."""
        for fh in self._files.values():
            with contextlib.suppress(OSError):  # closing flushes: on a full disk that fails again
                fh.close()
        for spool in (self._images, self._annotations):
            if spool is not None:
                spool.discard()
