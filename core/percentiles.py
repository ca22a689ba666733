"""Percentiles of small pixel samples, equal to :func:`numpy.percentile`'s default (``linear``) method.

``np.percentile`` costs ~50-90 us a call whatever the sample's size (argument handling, a full sort
machinery); the pixel engine takes thousands of percentiles of a few hundred values a file (the strokes of
one text segment, its background; the OCR line preparation's median). :func:`percentile` partitions at the
two ranks it needs and interpolates with numpy's own formula, so the value is bit-for-bit the same
(``tests/test_percentiles.py``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["median_below", "percentile"]


def percentile(values: np.ndarray, q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` (any shape, not empty), as ``np.percentile`` gives it."""
    flat = np.ravel(values)
    n = flat.size
    if n == 0:
        raise ValueError("percentile of an empty sample")
    index = (q / 100.0) * (n - 1)
    lo = math.floor(index)
    hi = min(lo + 1, n - 1)
    part = np.partition(flat, (lo, hi)) if hi != lo else np.partition(flat, lo)
    below, above = float(part[lo]), float(part[hi])
    t = index - lo
    diff = above - below
    # numpy's _lerp: from the lower neighbour below the midpoint, from the upper one at and above it
    return above - diff * (1.0 - t) if t >= 0.5 else below + diff * t


def median_below(values: np.ndarray, level: int) -> bool:
    """``percentile(values, 50) < level`` for uint8 ``values`` (any shape, not empty), from a count instead of a
    partition: of n sorted levels the median is the middle one, or the mean of the two middle ones (exact in
    floating point for whole numbers below 256)."""
    if values.dtype != np.uint8:
        raise TypeError("median_below counts uint8 levels")
    n = values.size
    if n == 0:
        raise ValueError("median of an empty sample")
    below = int(np.count_nonzero(values < level))
    middle = (n - 1) // 2
    if n % 2 or below != middle + 1:  # one middle level, or both middle levels on the same side of ``level``
        return below > middle
    under, over = values[values < level], values[values >= level]
    return int(under.max()) + int(over.min()) < 2 * level  # one each side: their mean decides
