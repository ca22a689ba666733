"""Residual PHI by re-OCR: the leak a human reviewer would see in the output pixels.

For every PHI box that is not removed on all of its frames, the output region
(box plus a 2-pixel margin) on the first frame where it is not removed is read
with Tesseract and compared with the text that was burned in; the box is
residual when the normalised edit similarity is >= 0.8. Boxes removed on every
frame are not read (nothing is left). Without a usable output every PHI box is
residual (the engine delivered nothing safe).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from phiphantom.core.ground_truth import BoxRow
from phiphantom.core.ocr import TesseractBackend, similarity

from .pixel_metrics import BoxScore

SIMILARITY = 0.8
MARGIN = 2


def residual_reads(out: np.ndarray | None, rows: Sequence[BoxRow], boxes: list[BoxScore]) -> list[bool]:
    """Aligned with ``rows``: True where a PHI box's text is still readable in ``out`` (T, H, W luma)."""
    result = []
    ocr = None
    for row, box in zip(rows, boxes, strict=False):
        if row["is_phi"] != "1" or box.ok:
            result.append(False)
            continue
        if out is None:
            result.append(True)
            continue
        ocr = ocr or TesseractBackend()
        x, y, w, h = int(row["bbox_x"]), int(row["bbox_y"]), int(row["bbox_w"]), int(row["bbox_h"])
        t = box.first_bad_frame if box.first_bad_frame is not None else int(row["frame_start"])
        crop = out[t, max(0, y - MARGIN):y + h + MARGIN, max(0, x - MARGIN):x + w + MARGIN]
        text = ocr.read_line(crop).text
        result.append(similarity(text, " ".join(row["rendered_text"].split())) >= SIMILARITY)
    return result
