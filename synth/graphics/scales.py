"""Depth scale with ticks, focus marker and TGC curve: the line graphics along the side of the image.

* depth scale: a vertical ruler, major ticks at a regular pitch and minor ticks between them, or a
  column of dots (no numbers: the numbers are text and the composer draws them);
* focus marker: one to three small triangles (or an hourglass) pointing at the focal depths;
* TGC curve: the time-gain curve, a wavy vertical polyline with a knob per slider position.
"""

from __future__ import annotations

import numpy as np
from PIL import ImageDraw

from .paint import GraphicStyle, Paint


def depth_scale(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """A vertical ruler (line + ticks, ticks on the left or right) or a column of dots."""
    w, h = paint.width, paint.height
    top = int(rng.integers(0, max(1, h // 10)))
    bottom = h - 1 - int(rng.integers(0, max(1, h // 10)))
    pitch = int(rng.integers(max(6, h // 24), max(7, h // 6)))
    major_len = min(w, int(rng.integers(4, 9)))
    minor_len = max(2, major_len // 2)
    minors = int(rng.choice([0, 1, 4]))
    dots = rng.random() < 0.25
    right = rng.random() < 0.5
    x_line = w - 1 if right else 0
    direction = -1 if right else 1

    def ruler(d: ImageDraw.ImageDraw) -> None:
        if dots:
            for y in range(top, bottom + 1, pitch):
                d.rectangle((x_line - (1 if right else 0), y, x_line + (0 if right else 1), y + 1), fill=255)
            return
        d.line((x_line, top, x_line, bottom), fill=255)
        step = pitch / (minors + 1)
        k = 0
        while top + k * step <= bottom:
            y = int(round(top + k * step))
            length = major_len if k % (minors + 1) == 0 else minor_len
            d.line((x_line, y, x_line + direction * (length - 1), y), fill=255)
            k += 1

    paint.shape(style.rgb, ruler)


def focus_marker(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """One to three small solid triangles pointing sideways (or hourglass marks) at focal depths."""
    w, h = paint.width, paint.height
    size = int(max(2, min(w, h, int(rng.integers(4, 9)))))
    count = int(rng.choice([1, 1, 1, 2, 3]))
    hourglass = rng.random() < 0.2
    left = rng.random() < 0.5
    x0 = int(rng.integers(0, w - size + 1))
    ys = sorted(int(y) for y in rng.choice(np.arange(0, max(1, h - size)), size=min(count, max(1, h - size)),
                                          replace=False))

    def marks(d: ImageDraw.ImageDraw) -> None:
        s = size - 1
        for y in ys:
            if hourglass:
                d.polygon([(x0, y), (x0 + s, y), (x0, y + s), (x0 + s, y + s)], fill=255)
            elif left:  # pointing left, at the image on the left
                d.polygon([(x0 + s, y), (x0 + s, y + s), (x0, y + s // 2)], fill=255)
            else:
                d.polygon([(x0, y), (x0, y + s), (x0 + s, y + s // 2)], fill=255)

    paint.shape(style.accent, marks)


def tgc_curve(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """A smooth wavy vertical polyline through 5-10 slider positions, with small knobs on them."""
    w, h = paint.width, paint.height
    strip = min(w, int(rng.integers(10, 41)))  # the curve's own column inside the area
    left = int(rng.integers(0, w - strip + 1))
    n = int(rng.integers(5, 11))
    ys = np.linspace(0, h - 1, n)
    offsets = np.convolve(rng.uniform(-1.0, 1.0, n + 2), np.ones(3) / 3.0, mode="valid")
    xs = np.clip(left + (strip - 1) / 2.0 + offsets * (strip - 1) / 2.0, left + 1, left + strip - 2)
    fine_y = np.arange(h)
    fine_x = np.rint(np.interp(fine_y, ys, xs)).astype(int)
    knobs = rng.random() < 0.6
    points = list(zip(fine_x.tolist(), fine_y.tolist(), strict=True))

    def curve(d: ImageDraw.ImageDraw) -> None:
        d.line(points, fill=255)
        if knobs:
            for x, y in zip(xs, ys, strict=True):
                xi, yi = int(round(x)), int(round(y))
                d.rectangle((xi - 1, yi - 1, xi + 1, yi + 1), fill=255)

    paint.shape(style.rgb, curve)
