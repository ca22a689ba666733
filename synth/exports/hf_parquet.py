"""The Hugging Face export: ``data/<split>-NNNNN-of-MMMMM.parquet`` shards and a ``README.md`` dataset card.

One row per exported frame. Columns (arrow types):

* ``image`` struct{bytes: binary, path: string}: the frame as PNG, as ``datasets``' ``Image`` feature stores it
* ``width``, ``height`` int32; ``file`` string (the DICOM path in the dataset); ``frame`` int32; ``style`` string
* ``objects`` struct of lists, one entry per box on the frame: ``bbox`` list<list<float32>> (``[x, y, w, h]``,
  COCO order, pixels), ``category`` list<int64> (the class index), ``category_name``, ``is_phi`` (bool),
  ``kind`` (text | graphic), ``style``, ``text`` (the synthetic text drawn; empty for a graphic)

A shard holds at most 1000 frames or 256 MiB of PNG. The schema carries the ``huggingface`` metadata
``datasets`` writes itself (``Image`` for ``image``,
``ClassLabel`` with the category names for ``objects.category``), so
``datasets.load_dataset("parquet", data_files={"train": "OUT/data/train-*.parquet"})`` (or
``load_dataset("OUT")``, through the card's ``configs``) gives decoded images and named classes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]  # no py.typed, no stubs installed
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from .items import FrameItem
from .source import Category

ROWS_PER_SHARD = 1000
BYTES_PER_SHARD = 256 << 20   # a shard is written once its PNGs reach this size (memory stays bounded)

OBJECT_FIELDS = ("bbox", "category", "category_name", "is_phi", "kind", "style", "text")


def arrow_schema(categories: list[Category]) -> pa.Schema:
    """The parquet schema, with ``datasets``' feature metadata."""
    objects = pa.struct([
        ("bbox", pa.list_(pa.list_(pa.float32()))), ("category", pa.list_(pa.int64())),
        ("category_name", pa.list_(pa.string())), ("is_phi", pa.list_(pa.bool_())),
        ("kind", pa.list_(pa.string())), ("style", pa.list_(pa.string())), ("text", pa.list_(pa.string())),
    ])
    schema = pa.schema([
        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        ("width", pa.int32()), ("height", pa.int32()), ("objects", objects),
        ("file", pa.string()), ("frame", pa.int32()), ("style", pa.string()),
    ])
    return schema.with_metadata({"huggingface": json.dumps({"info": {"features": hf_features(categories)}})})


def hf_features(categories: list[Category]) -> dict[str, Any]:
    """The ``datasets`` ``Features`` of the table in its ``to_dict`` form."""
    def value(dtype: str) -> dict[str, Any]:
        return {"dtype": dtype, "_type": "Value"}

    def seq(feature: dict[str, Any]) -> dict[str, Any]:
        return {"feature": feature, "_type": "Sequence"}

    return {
        "image": {"_type": "Image"}, "width": value("int32"), "height": value("int32"),
        "objects": seq({
            "bbox": seq(value("float32")),
            "category": {"names": [c.name for c in categories], "_type": "ClassLabel"},
            "category_name": value("string"), "is_phi": value("bool"), "kind": value("string"),
            "style": value("string"), "text": value("string"),
        }),
        "file": value("string"), "frame": value("int32"), "style": value("string"),
    }


def item_row(item: FrameItem, png: bytes) -> dict[str, Any]:
    """The table row of ``item``."""
    height, width = item.pixels.shape[:2]
    boxes = item.boxes
    return {
        "image": {"bytes": png, "path": f"{item.name}.png"}, "width": width, "height": height,
        "objects": {"bbox": [[float(v) for v in b.bbox] for b in boxes], "category": [b.category for b in boxes],
                    "category_name": [b.category_name for b in boxes], "is_phi": [b.is_phi for b in boxes],
                    "kind": [b.kind for b in boxes], "style": [b.style for b in boxes],
                    "text": [b.text for b in boxes]},
        "file": item.source.relpath, "frame": item.frame, "style": item.source.style,
    }


class ParquetWriter:
    """Writes the shards of each split under ``out/data`` and the dataset card."""

    def __init__(self, out: Path, categories: list[Category], rows_per_shard: int = ROWS_PER_SHARD) -> None:
        self.out = out
        self.categories = categories
        self.schema = arrow_schema(categories)
        self.rows_per_shard = rows_per_shard
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.shards: dict[str, list[Path]] = {}
        self.rows: dict[str, int] = {}
        self.pending_bytes: dict[str, int] = {}

    def add(self, item: FrameItem, png: bytes) -> list[Path]:
        """Buffer the row of ``item``; write a shard when the split has ``rows_per_shard`` rows."""
        rows = self.pending.setdefault(item.split, [])
        rows.append(item_row(item, png))
        self.rows[item.split] = self.rows.get(item.split, 0) + 1
        self.pending_bytes[item.split] = self.pending_bytes.get(item.split, 0) + len(png)
        full = len(rows) >= self.rows_per_shard or self.pending_bytes[item.split] >= BYTES_PER_SHARD
        return self._flush(item.split) if full else []

    def _flush(self, split: str) -> list[Path]:
        rows = self.pending.get(split) or []
        if not rows:
            return []
        data = self.out / "data"
        data.mkdir(exist_ok=True)
        path = data / f"{split}-part{len(self.shards.get(split, [])):05d}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=self.schema), path)
        self.shards.setdefault(split, []).append(path)
        self.pending[split] = []
        self.pending_bytes[split] = 0
        return [path]

    def finish(self, card: str) -> list[Path]:
        """Write the last shards, name them ``<split>-NNNNN-of-MMMMM.parquet``, write ``README.md``."""
        for split in list(self.pending):
            self._flush(split)
        written: list[Path] = []
        for split, paths in self.shards.items():
            for i, path in enumerate(paths):
                final = path.with_name(f"{split}-{i:05d}-of-{len(paths):05d}.parquet")
                path.rename(final)
                written.append(final)
        readme = self.out / "README.md"
        readme.write_text(card, encoding="utf-8")
        return [*written, readme]

    def splits(self) -> list[str]:
        """The splits with rows, in train, val, test order."""
        return [s for s in ("train", "val", "test") if self.rows.get(s)]
