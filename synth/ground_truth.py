"""Ground-truth files: per-file ink masks, COCO detections, manifest, quarantine and other plain CSVs.

The rows and the one reader/writer of ``gt/boxes.csv``, ``gt/tags.csv`` and ``gt/identities.csv``
are in :mod:`phiphantom.core.ground_truth` (the benchmark reads what the generator writes).

Everything here is written deterministically (sorted rows, fixed zip
timestamps, sorted JSON keys) so the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from phiphantom.core.ground_truth import BoxRow

QUARANTINE_COLUMNS = ("output_dicom_relpath", "attempt", "reason")
IMAGE_MASK_KEY = "image_mask"  # in each file's .npz: the ultrasound image area, 1 bit per pixel (packed by row)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[dict]) -> None:
    """UTF-8 CSV with ``\\n`` line ends and a header, columns in the given order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n", extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def write_masks(path: Path, masks: dict[str, np.ndarray]) -> None:
    """An ``.npz`` (readable by ``np.load``) of uint8 alpha masks, byte-identical for equal input.

    ``np.savez_compressed`` stamps the current time into the zip entries; this
    writer uses a fixed timestamp instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for key in sorted(masks):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(masks[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=1)  # masks are tiny and sparse: fast level suffices
    tmp.replace(path)


def pack_image_mask(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool -> (H, ceil(W/8)) uint8, bits packed along each row (np.packbits, big-endian bit order)."""
    return np.packbits(mask.astype(bool), axis=1)


def read_masks(path: Path, columns: int) -> dict[str, np.ndarray]:
    """A file's masks: box alphas by box id, and ``image_mask`` unpacked to (H, W) bool."""
    with np.load(path) as npz:
        masks = {k: npz[k] for k in npz.files}
    if IMAGE_MASK_KEY in masks:
        masks[IMAGE_MASK_KEY] = unpack_image_mask(masks[IMAGE_MASK_KEY], columns, path)
    return masks


def unpack_image_mask(stored: np.ndarray, columns: int, path: Path) -> np.ndarray:
    """The stored image mask as (H, W) bool; datasets from before packing stored it unpacked.

    A mask of any other width is refused: unpacking it would silently score against garbage.
    """
    if stored.ndim == 2 and stored.shape[1] == (columns + 7) // 8 and columns > 1:
        return np.unpackbits(stored, axis=1, count=columns).astype(bool)
    if stored.ndim == 2 and stored.shape[1] == columns and stored.max(initial=0) <= 1:
        return stored.astype(bool)
    raise ValueError(f"{path.name}: image_mask of shape {stored.shape} fits neither {columns} columns "
                     f"nor their packed width {(columns + 7) // 8}")


def write_json(path: Path, data: object) -> None:
    """Sorted, indented UTF-8 JSON, written to ``NAME.part`` and renamed: never a half file at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


COCO_INFO = {"description": "PHI Phantom burned-in text boxes", "version": "1"}


def coco_image(image_id: int, entry: dict, frame: int) -> dict:
    """The COCO image of frame ``frame`` of the file described by its manifest ``entry``."""
    return {"id": image_id, "file_name": entry["relpath"], "frame": frame,
            "width": entry["columns"], "height": entry["rows"]}


def coco_annotation(annotation_id: int, image_id: int, category_id: int, box: BoxRow) -> dict:
    """The COCO annotation of ``box`` (as written or as read back) on one image."""
    x, y, w, h = box.bbox
    return {"id": annotation_id, "image_id": image_id, "category_id": category_id,
            "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0, "box_id": box.box_id, "is_phi": box.phi}


def coco_from_boxes(file_entries: list[dict], box_rows: Iterable[BoxRow | Mapping[str, object]],
                    categories: list[str]) -> dict:
    """COCO detection JSON: one image per (file, frame), one annotation per box visible on that frame.

    ``box_rows``: :class:`BoxRow` or the ``dict`` rows they are made of. The whole document in
    memory: ``generate`` streams the same bytes with :mod:`.gt_writer`.
    """
    cat_ids = {name: i + 1 for i, name in enumerate(categories)}
    images: list[dict] = []
    annotations: list[dict] = []
    image_ids: dict[tuple[str, int], int] = {}
    for entry in file_entries:
        for t in range(entry["frames"]):
            image_ids[(entry["relpath"], t)] = len(images) + 1
            images.append(coco_image(len(images) + 1, entry, t))
    for row in box_rows:
        box = row if isinstance(row, BoxRow) else BoxRow.from_row(row)
        for t in box.frames:
            annotations.append(coco_annotation(len(annotations) + 1, image_ids[(box.output_dicom_relpath, t)],
                                               cat_ids[box.phi_category], box))
    return {"info": dict(COCO_INFO), "categories": coco_categories(categories), "images": images,
            "annotations": annotations}


def coco_categories(categories: list[str]) -> list[dict]:
    return [{"id": i + 1, "name": n, "supercategory": "phi" if not _is_clinical(n) else "non-phi"}
            for i, n in enumerate(categories)]


def _is_clinical(category: str) -> bool:
    from .overlay_content import PHI_TAGS

    return category not in PHI_TAGS  # clinical text, labels, a style pack's wording and graphics
