"""Pixel metrics of one output file: PHI ink destroyed, clinical ink kept, image pixels untouched.

Definitions are in docs/metrics.md. In short, for a box on a frame, a strong-ink
pixel (alpha >= 128) with ink signal ``s = |in - bg|`` (``bg`` = median of the
input's 1-pixel ring around the box) is *destroyed* when ``|out - in| >=
max(6, s/2)`` or when the output over the whole box is flat (a fill). A PHI box
is removed on a frame when >= 98% of its strong ink is destroyed; a clinical box
is preserved on a frame when >= 90% of its strong ink is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pydicom

from phiphantom.core.ground_truth import BoxRow

STRONG_INK = 128
MIN_CHANGE = 6.0          # grey levels: below this a change is noise
REMOVED_SHARE = 0.98      # of strong ink destroyed => PHI box removed on that frame
PRESERVED_SHARE = 0.90    # of strong ink unchanged => clinical box preserved on that frame
FLAT_STD = 1.5            # output box std below this => a fill
DAMAGE_THRESHOLD = 10     # grey levels: an image pixel changed more than this is damaged


@dataclass
class BoxScore:
    """One ground-truth box on the frames of its range."""

    frames: int
    frames_ok: int                  # PHI: frames where removed; non-PHI: frames where preserved
    first_bad_frame: int | None     # PHI: first frame where not removed (for re-OCR); non-PHI: first not preserved

    @property
    def ok(self) -> bool:
        return self.frames_ok == self.frames


@dataclass
class PixelFileScore:
    boxes: list[BoxScore] = field(default_factory=list)   # aligned with the file's box rows
    damaged_pixels: int = 0
    image_pixels: int = 0
    frames: int = 0
    error: str = ""                                      # why the output could not be scored (no PHI)


def decode_luma(path: Path) -> np.ndarray:
    """Frames as (T, H, W) uint8 luma (colour: Y = 0.299 R + 0.587 G + 0.114 B)."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames == 1:
        arr = arr[None]
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 4:  # BT.601 luma, vectorised by OpenCV over all frames at once
        t, h, w, _ = arr.shape
        arr = cv2.cvtColor(np.ascontiguousarray(arr).reshape(t * h, w, 3), cv2.COLOR_RGB2GRAY).reshape(t, h, w)
    return arr


def _ring_median(frames: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """Median of the 1-pixel ring just outside the box, per frame (T,)."""
    _, height, width = frames.shape
    parts = []
    if y > 0:
        parts.append(frames[:, y - 1, max(0, x - 1):x + w + 1])
    if y + h < height:
        parts.append(frames[:, y + h, max(0, x - 1):x + w + 1])
    if x > 0:
        parts.append(frames[:, y:y + h, x - 1])
    if x + w < width:
        parts.append(frames[:, y:y + h, x + w])
    if not parts:
        return np.zeros(frames.shape[0], dtype=np.float32)
    return np.median(np.concatenate(parts, axis=1), axis=1).astype(np.float32)


def box_frames_ok(inp: np.ndarray, out: np.ndarray, row: BoxRow, alpha: np.ndarray, is_phi: bool) -> np.ndarray:
    """Per frame of the box's range: removed (PHI) or preserved (non-PHI), as a bool array."""
    x, y, w, h = row.bbox
    fs, fe = row.frames.start, row.frames.stop
    strong = alpha >= STRONG_INK
    if not strong.any():
        strong = alpha > 0
    a = inp[fs:fe, y:y + h, x:x + w].astype(np.int16)
    b = out[fs:fe, y:y + h, x:x + w].astype(np.int16)
    bg = _ring_median(inp[fs:fe], x, y, w, h)
    signal = np.abs(a[:, strong] - bg[:, None])                       # (T, n_ink)
    needed = np.maximum(MIN_CHANGE, signal / 2.0)
    changed = np.abs(b[:, strong] - a[:, strong]) >= needed            # (T, n_ink)
    if is_phi:
        flat = b.reshape(b.shape[0], -1).std(axis=1) < FLAT_STD
        destroyed = changed | flat[:, None]
        return destroyed.mean(axis=1) >= REMOVED_SHARE
    return (~changed).mean(axis=1) >= PRESERVED_SHARE


def _box_score(ok: np.ndarray, frame_start: int) -> BoxScore:
    bad = np.flatnonzero(~ok)
    return BoxScore(int(ok.size), int(ok.sum()), int(frame_start + bad[0]) if bad.size else None)


def worst_case(rows: Sequence[BoxRow]) -> list[BoxScore]:
    """Scores when there is no usable output: nothing removed, nothing preserved."""
    scores = []
    for r in rows:
        scores.append(BoxScore(len(r.frames), 0, r.frames.start))
    return scores


def score_pixels(inp: np.ndarray, out: np.ndarray | None, rows: Sequence[BoxRow], masks: dict[str, np.ndarray],
                 error: str = "") -> PixelFileScore:
    """Score one file from decoded luma frames. ``rows`` are its gt/boxes.csv rows, ``masks`` its npz.

    ``out=None`` (no output, undecodable) or an output of another geometry scores as the worst case
    (PHI kept, clinical text and image lost) with ``error`` set; a file is never dropped.
    """
    image_mask = masks["image_mask"].astype(bool)
    score = PixelFileScore(frames=int(inp.shape[0]), error=error)
    free = image_mask.copy()
    for r in rows:
        x, y, w, h = r.bbox
        free[y:y + h, x:x + w] = False
    score.image_pixels = int(free.sum()) * score.frames
    if out is not None and out.shape != inp.shape:
        score.error, out = "output frame geometry differs from the input", None
    if out is None:
        score.error = score.error or "no output"
        score.boxes = worst_case(rows)
        score.damaged_pixels = score.image_pixels
        return score
    for r in rows:
        ok = box_frames_ok(inp, out, r, masks[r.box_id], r.phi)
        score.boxes.append(_box_score(ok, r.frames.start))
    ys, xs = np.nonzero(free)
    if ys.size:
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        sub = free[y0:y1, x0:x1]
        diff = np.abs(out[:, y0:y1, x0:x1].astype(np.int16) - inp[:, y0:y1, x0:x1].astype(np.int16)) > DAMAGE_THRESHOLD
        score.damaged_pixels = int(diff[:, sub].sum())
    return score
