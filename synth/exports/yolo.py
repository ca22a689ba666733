"""The YOLO export: ``images/<split>/<name>.png``, ``labels/<split>/<name>.txt``, ``classes.txt``, ``data.yaml``.

One label file per image (empty when the frame has no box), one line per box:
``class cx cy w h``, the centre and size divided by the frame's width (x) and height (y), six
decimals. ``class`` is the 0-based index into ``classes.txt`` (= COCO category id - 1).
``data.yaml`` (Ultralytics layout) names the dataset root, the three image folders and the classes.
"""

from __future__ import annotations

import json
from pathlib import Path

from .items import FrameBox, FrameItem
from .source import Category


def label_line(box: FrameBox, width: int, height: int) -> str:
    """The YOLO line of ``box`` on a ``width`` x ``height`` frame."""
    x, y, w, h = box.bbox
    return f"{box.category} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} {w / width:.6f} {h / height:.6f}"


def parse_label_line(line: str, width: int, height: int) -> tuple[int, tuple[float, float, float, float]]:
    """``(class, (x0, y0, x1, y1))`` in pixels from a label line (the inverse of :func:`label_line`)."""
    cls, cx, cy, w, h = line.split()
    bw, bh = float(w) * width, float(h) * height
    x0, y0 = float(cx) * width - bw / 2, float(cy) * height - bh / 2
    return int(cls), (x0, y0, x0 + bw, y0 + bh)


def _yaml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


class YoloWriter:
    """Writes the YOLO layout under ``out`` (which exists and is empty)."""

    def __init__(self, out: Path, categories: list[Category]) -> None:
        self.out = out
        self.categories = categories
        self.splits: set[str] = set()

    def add(self, item: FrameItem, png: bytes) -> list[Path]:
        """Write the image and label file of ``item``; the paths written."""
        images = self.out / "images" / item.split
        labels = self.out / "labels" / item.split
        if item.split not in self.splits:
            images.mkdir(parents=True, exist_ok=True)
            labels.mkdir(parents=True, exist_ok=True)
            self.splits.add(item.split)
        height, width = item.pixels.shape[:2]
        image = images / f"{item.name}.png"
        image.write_bytes(png)
        label = labels / f"{item.name}.txt"
        label.write_text("".join(label_line(b, width, height) + "\n" for b in item.boxes), encoding="utf-8")
        return [image, label]

    def finish(self) -> list[Path]:
        """Write ``classes.txt`` and ``data.yaml``; the paths written."""
        classes = self.out / "classes.txt"
        classes.write_text("".join(c.name + "\n" for c in self.categories), encoding="utf-8")
        lines = [f"path: {_yaml_string(str(self.out.resolve()))}"]
        for split in ("train", "val", "test"):
            if split in self.splits:
                lines.append(f"{split}: images/{split}")
        lines.append(f"nc: {len(self.categories)}")
        lines.append("names:")
        lines += [f"  {c.index}: {_yaml_string(c.name)}" for c in self.categories]
        data = self.out / "data.yaml"
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [classes, data]
