"""Grey bar and colour bar: the vertical brightness and colour-map strips beside the image.

A grey bar runs black to white (the grey map in use); a colour bar is a colour-flow map, reds above a
dark middle and blues below (the velocity scale). Both have a thin outline in the style's colour.
"""

from __future__ import annotations

import numpy as np

from .paint import GraphicStyle, Paint


def _strip(paint: Paint, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A vertical strip inside the paint area: (x0, y0, x1, y1) local, outline included."""
    width = int(min(paint.width, int(rng.integers(6, 15))))
    height = int(min(paint.height, max(12, round(paint.height * rng.uniform(0.35, 0.8)))))
    x0 = int(rng.integers(0, paint.width - width + 1))
    y0 = int(rng.integers(0, paint.height - height + 1))
    return x0, y0, x0 + width, y0 + height


def _outline(paint: Paint, box: tuple[int, int, int, int], style: GraphicStyle) -> None:
    x0, y0, x1, y1 = box
    paint.shape(style.rgb, lambda d: d.rectangle((x0, y0, x1 - 1, y1 - 1), outline=255))


def grey_bar(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """A black-to-white gradient strip with an outline (white at the top or at the bottom)."""
    x0, y0, x1, y1 = _strip(paint, rng)
    inner = max(1, y1 - y0 - 2)
    ramp = np.linspace(255.0, 8.0, inner)
    if rng.random() < 0.3:
        ramp = ramp[::-1]
    levels = int(rng.choice([0, 8, 16, 64]))  # posterised like a device's map preview, or smooth
    if levels:
        ramp = np.floor(ramp / 256.0 * levels) * (255.0 / max(1, levels - 1))
    grey = np.clip(np.rint(ramp), 8, 255).astype(np.uint8)
    where = np.zeros(paint.mask.shape, dtype=bool)
    where[y0 + 1:y0 + 1 + inner, x0 + 1:max(x0 + 2, x1 - 1)] = True
    rows = np.nonzero(where)[0] - (y0 + 1)
    paint.pixels(where, np.repeat(grey[rows][:, None], 3, axis=1))
    _outline(paint, (x0, y0, x1, y1), style)


def colour_map(n: int) -> np.ndarray:
    """``(n, 3)`` colours of a colour-flow map, top to bottom: yellow, red, dark, blue, cyan."""
    t = np.linspace(-1.0, 1.0, n)
    up = np.clip(t, 0, 1)
    down = np.clip(-t, 0, 1)
    red = 40 + 215 * np.sqrt(up)
    green = np.where(t > 0, 255 * np.clip(up - 0.6, 0, 1) / 0.4, 230 * np.clip(down - 0.6, 0, 1) / 0.4)
    blue = 40 + 215 * np.sqrt(down)
    rgb = np.stack([np.where(t > 0, red, 40), green, np.where(t < 0, blue, 40)], axis=1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)[::-1]


def colour_bar(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """A colour-flow map strip (reds above, blues below a dark baseline) with an outline and baseline tick."""
    x0, y0, x1, y1 = _strip(paint, rng)
    inner = max(1, y1 - y0 - 2)
    colours = colour_map(inner)
    where = np.zeros(paint.mask.shape, dtype=bool)
    where[y0 + 1:y0 + 1 + inner, x0 + 1:max(x0 + 2, x1 - 1)] = True
    rows = np.nonzero(where)[0] - (y0 + 1)
    paint.pixels(where, colours[rows])
    _outline(paint, (x0, y0, x1, y1), style)
    mid = (y0 + y1) // 2
    if x1 + 3 <= paint.width:  # the baseline tick to the right of the bar
        paint.shape(style.rgb, lambda d: d.line((x1, mid, x1 + 2, mid), fill=255))
