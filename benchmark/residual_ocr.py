"""Residual PHI by re-OCR: the leak a human reviewer would see in the output pixels.

For every PHI box that is not removed on all of its frames, the output region (box plus a
2-pixel margin) on the first frame where it is not removed is read once, through the scorer's own
reading path (:mod:`.scorer_ocr`, never the engine's OCR). The read is matched against the box's
PHI tokens (:mod:`.phi_tokens`: name components, ID digit runs, a date's day+month and
month+year, a time to the minute): the box is residual when *any* token is read. The old
whole-box rule (the read matches the whole rendered line at edit similarity >= 0.8) is kept beside
it on the same read (``residual_phi_boxes_whole``). Boxes removed on every frame are not read
(nothing is left, no token counts as read). Without a usable output every PHI box is residual and
every token read (the engine delivered nothing safe).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from phiphantom.core.ground_truth import BoxRow

from .phi_tokens import box_tokens, whole_read
from .pixel_metrics import BoxScore
from .scorer_ocr import read_crop

__all__ = ["MARGIN", "ResidualRead", "residual_reads", "residual_scores"]

MARGIN = 2


@dataclass(frozen=True)
class ResidualRead:
    """One PHI box's re-OCR result: token-level ``residual``, the old ``whole`` rule, tokens read / total."""

    residual: bool
    whole: bool
    tokens_read: int
    tokens: int


_NOT_PHI = ResidualRead(False, False, 0, 0)


def residual_scores(out: np.ndarray | None, rows: Sequence[BoxRow],
                    boxes: list[BoxScore]) -> list[ResidualRead | None]:
    """Aligned with ``rows``: a PHI box's :class:`ResidualRead` (``None`` for a box that is not PHI)."""
    result: list[ResidualRead | None] = []
    for row, box in zip(rows, boxes, strict=False):
        if row["is_phi"] != "1":
            result.append(None)
            continue
        tokens = box_tokens(row)
        if box.ok:
            result.append(ResidualRead(False, False, 0, len(tokens)))
            continue
        if out is None:
            result.append(ResidualRead(True, True, len(tokens), len(tokens)))
            continue
        x, y, w, h = int(row["bbox_x"]), int(row["bbox_y"]), int(row["bbox_w"]), int(row["bbox_h"])
        t = box.first_bad_frame if box.first_bad_frame is not None else int(row["frame_start"])
        text = read_crop(out[t, max(0, y - MARGIN):y + h + MARGIN, max(0, x - MARGIN):x + w + MARGIN])
        read = sum(token.read_in(text) for token in tokens)
        result.append(ResidualRead(read > 0, whole_read(text, row["rendered_text"]), read, len(tokens)))
    return result


def residual_reads(out: np.ndarray | None, rows: Sequence[BoxRow], boxes: list[BoxScore]) -> list[bool]:
    """Aligned with ``rows``: True where a PHI box still shows a PHI token in ``out`` (T, H, W luma)."""
    return [(score or _NOT_PHI).residual for score in residual_scores(out, rows, boxes)]
