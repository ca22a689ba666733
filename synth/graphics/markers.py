"""Body-marker pictograms and caliper marks.

* body marker: a small outline drawing of the body region scanned (a torso, a pair of lungs, a breast
  circle) in a square, with the probe drawn as a short thick bar on it;
* calipers: two caliper crosses (``+``, an open ``+`` or an ``x``-shaped cross) joined by a dotted
  measurement line, sometimes a second pair of ``+`` (two measurements; never four ``x``, which OCR
  reads as a word).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

from .paint import GraphicStyle, Paint

PICTOGRAMS = ("torso", "lungs", "breast")


def _probe(d: ImageDraw.ImageDraw, cx: float, cy: float, angle: float, length: float) -> None:
    """The probe: a thick short bar centred at (cx, cy), at ``angle`` radians."""
    dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
    d.line((cx - dx, cy - dy, cx + dx, cy + dy), fill=255, width=max(2, int(length // 4)))


def body_marker_pictogram(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """A torso, lungs or breast outline in a square of 20-60 px with a probe bar on it."""
    side = int(min(paint.width, paint.height, int(rng.integers(20, 61))))
    x0 = int(rng.integers(0, paint.width - side + 1))
    y0 = int(rng.integers(0, paint.height - side + 1))
    kind = PICTOGRAMS[int(rng.integers(len(PICTOGRAMS)))]
    s = side - 1
    probe_at = float(rng.uniform(0.25, 0.75))
    probe_angle = float(rng.uniform(0, math.pi))
    framed = rng.random() < 0.4

    def outline(d: ImageDraw.ImageDraw) -> None:
        if framed:
            d.rectangle((x0, y0, x0 + s, y0 + s), outline=255)
        m = max(2, s // 8)  # margin inside the square
        if kind == "torso":
            head = s // 5
            hx = x0 + s // 2
            d.ellipse((hx - head // 2, y0 + m, hx + head // 2, y0 + m + head), outline=255)
            d.polygon([(x0 + m, y0 + m + head + 2), (x0 + s - m, y0 + m + head + 2),
                       (x0 + s - m - s // 8, y0 + s - m), (x0 + m + s // 8, y0 + s - m)], outline=255)
        elif kind == "lungs":
            half = (s - 2 * m) // 2
            d.ellipse((x0 + m, y0 + m, x0 + m + half - 1, y0 + s - m), outline=255)
            d.ellipse((x0 + m + half + 1, y0 + m, x0 + s - m, y0 + s - m), outline=255)
            d.line((x0 + s // 2, y0 + m - 1, x0 + s // 2, y0 + m + s // 4), fill=255)  # trachea
        else:
            d.ellipse((x0 + m, y0 + m, x0 + s - m, y0 + s - m), outline=255)
            d.ellipse((x0 + s // 2 - 1, y0 + s // 2 - 1, x0 + s // 2 + 1, y0 + s // 2 + 1), fill=255)

    paint.shape(style.rgb, outline)
    cx = x0 + s * probe_at
    cy = y0 + s * float(rng.uniform(0.3, 0.8))
    paint.shape(style.accent, lambda d: _probe(d, cx, cy, probe_angle, max(5.0, s / 4)))


def _cross(d: ImageDraw.ImageDraw, x: int, y: int, r: int, shape: str) -> None:
    """A caliper mark: ``plus`` (+), ``open`` (+ with a free centre) or ``x`` (a diagonal cross)."""
    if shape == "x":
        d.line((x - r, y - r, x + r, y + r), fill=255)
        d.line((x - r, y + r, x + r, y - r), fill=255)
        return
    inner = 1 if shape == "open" and r >= 3 else -1
    if inner < 0:
        d.line((x - r, y, x + r, y), fill=255)
        d.line((x, y - r, x, y + r), fill=255)
        return
    for sx, sy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        d.line((x + sx * (inner + 1), y + sy * (inner + 1), x + sx * r, y + sy * r), fill=255)


def _dotted(d: ImageDraw.ImageDraw, a: tuple[int, int], b: tuple[int, int], gap: int, clear: int) -> None:
    """Dots every ``gap`` px from a to b, leaving ``clear`` px free around both ends."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    steps = int(length // gap)
    for k in range(steps + 1):
        t = k * gap
        if t < clear or length - t < clear:
            continue
        x = a[0] + (b[0] - a[0]) * t / length
        y = a[1] + (b[1] - a[1]) * t / length
        d.point((int(round(x)), int(round(y))), fill=255)


def calipers(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """One or two caliper pairs (``+`` or diagonal crosses) with a dotted line between each pair."""
    r = int(rng.integers(2, 6))
    pad = r + 1
    if paint.width <= 2 * pad + 2 or paint.height <= 2 * pad + 2:
        r, pad = 1, 2
    shape = ("plus", "plus", "open", "x")[int(rng.integers(4))]
    gap = int(rng.integers(3, 6))
    # two pairs of diagonal crosses read as a word ("XXXX"): an "x" caliper measures once
    pairs = 1 if shape == "x" or rng.random() < 0.7 else 2
    ends = []
    for _ in range(pairs):
        for _tries in range(20):
            a = (int(rng.integers(pad, max(pad + 1, paint.width - pad))),
                 int(rng.integers(pad, max(pad + 1, paint.height - pad))))
            b = (int(rng.integers(pad, max(pad + 1, paint.width - pad))),
                 int(rng.integers(pad, max(pad + 1, paint.height - pad))))
            if math.hypot(b[0] - a[0], b[1] - a[1]) >= 4 * r + 2 * gap:
                break
        ends.append((a, b))

    def draw(d: ImageDraw.ImageDraw) -> None:
        for a, b in ends:
            _dotted(d, a, b, gap, r + 2)

    def crosses(d: ImageDraw.ImageDraw) -> None:
        for pair in ends:
            for x, y in pair:
                _cross(d, x, y, r, shape)

    paint.shape(style.rgb, draw)
    paint.shape(style.accent, crosses)
