"""One luma formula: ITU-R BT.601 weights of R, G, B (Y = 0.299 R + 0.587 G + 0.114 B).

The generator (grey frames, contrast checks), the engine (colour analysis) and OCR crops use these weights.
OpenCV's ``COLOR_RGB2GRAY`` (the same weights in fixed point) stays where frames are decoded by OpenCV
(``synth/sources/fit.py``, and the scorer's own decoder ``benchmark/pixel_metrics.py``).
"""

from __future__ import annotations

from typing import Final

#: BT.601 weights of R, G and B.
LUMA_WEIGHTS: Final = (0.299, 0.587, 0.114)


def luma(rgb: tuple[int, int, int]) -> int:
    """ITU-R BT.601 luma of an 8-bit RGB colour (what a grey frame can show of it)."""
    r, g, b = rgb
    wr, wg, wb = LUMA_WEIGHTS
    return int(round(wr * r + wg * g + wb * b))
