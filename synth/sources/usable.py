"""Is a source image usable as clean ultrasound frames? (too small, blank, constant: skipped, not drawn on).

A file-based source checks every image (and a few frames of every clip) once, when its catalog
is built, and skips what fails here, recording the reason. The checks are deliberately loose:
they catch files that cannot hold an ultrasound image at all, not poor images.

* **too small**: under :data:`MIN_SOURCE_SIDE` pixels on a side (the image area of the
  smallest output frame, 160x120, would be blown up more than 5x).
* **blank**: under :data:`MIN_BRIGHT_SHARE` of the pixels brighter than black (the grey
  level the image mask treats as image, ``MASK_THRESHOLD``): nothing to fit or mask.
* **constant**: the 1st and 99th percentiles of the grey levels less than
  :data:`MIN_CONTRAST` apart (a flat grey or white picture holds no image).
"""

from __future__ import annotations

import numpy as np

MIN_SOURCE_SIDE = 32        # pixels, both rows and columns
MIN_BRIGHT_SHARE = 0.01     # share of pixels above the mask threshold
MIN_CONTRAST = 16           # grey levels between the 1st and 99th percentile
_SAMPLE_SIDE = 256          # the content checks look at every k-th pixel, at most this many per side


def size_problem(width: int, height: int) -> str | None:
    """Why a ``width`` x ``height`` picture is too small to use, or None."""
    if min(width, height) < MIN_SOURCE_SIDE:
        return f"too small: {width}x{height} pixels (needs at least {MIN_SOURCE_SIDE}x{MIN_SOURCE_SIDE})"
    return None


def frame_problem(frame: np.ndarray) -> str | None:
    """Why one ``(h, w)`` or ``(h, w, 3)`` uint8 frame cannot serve as ultrasound, or None if it can."""
    from .fit import MASK_THRESHOLD

    height, width = frame.shape[:2]
    problem = size_problem(width, height)
    if problem:
        return problem
    step = max(1, max(height, width) // _SAMPLE_SIDE)
    sample = np.asarray(frame[::step, ::step])
    grey = sample.max(axis=2) if sample.ndim == 3 else sample
    bright = float(np.count_nonzero(grey > MASK_THRESHOLD)) / grey.size
    if bright < MIN_BRIGHT_SHARE:
        return f"blank: {bright:.1%} of pixels brighter than black (needs {MIN_BRIGHT_SHARE:.0%})"
    low, high = np.percentile(grey, [1, 99])
    if high - low < MIN_CONTRAST:
        return f"constant: grey levels vary by {high - low:.0f} (needs {MIN_CONTRAST})"
    return None
