"""A colour-Doppler box: the colour-flow region of interest over the image, with colour speckle inside.

The box is an outline (a rectangle, or a parallelogram steered left or right as on linear probes) in
the style's colour; inside it, blobs of flow in reds (towards the probe) and blues (away), made from
smoothed noise thresholded so that most of the box stays the image underneath. RGB canvases only: a
grey file shows no colour flow.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .bars import colour_map
from .paint import GraphicStyle, Paint


def _flow(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise in [-1, 1] over (height, width): coarse random values upsampled bicubically."""
    coarse = rng.uniform(-1.0, 1.0, size=(max(2, height // 10), max(2, width // 10))).astype(np.float32)
    field = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(field, dtype=np.float32), -1.0, 1.0)


def doppler_box(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """A box of 30-70 % of the area's width and height, outlined, with red/blue flow inside."""
    w, h = paint.width, paint.height
    bw = int(max(4, min(w, round(w * rng.uniform(0.3, 0.7)))))
    bh = int(max(4, min(h, round(h * rng.uniform(0.3, 0.7)))))
    steer = int(round(bh * rng.uniform(0.15, 0.35))) if rng.random() < 0.3 and w - bw > 4 else 0
    steer = min(steer, w - bw)
    if rng.random() < 0.5:
        steer = -steer
    x0 = int(rng.integers(max(0, -steer), w - bw - max(0, steer) + 1))
    y0 = int(rng.integers(0, h - bh + 1))
    # the four corners: the bottom edge shifted by ``steer`` (a steered colour box)
    corners = [(x0, y0), (x0 + bw - 1, y0), (x0 + bw - 1 + steer, y0 + bh - 1), (x0 + steer, y0 + bh - 1)]
    inside = Image.new("L", (w, h), 0)
    ImageDraw.Draw(inside).polygon(corners, fill=255)
    region = np.asarray(inside) > 0
    flow = _flow(w, h, rng)
    threshold = float(rng.uniform(0.4, 0.65))
    speckle = rng.random((h, w)) < 0.85  # colour flow is grainy, not a solid blob
    colour_where = region & (np.abs(flow) > threshold) & speckle
    colours = colour_map(257)
    index = np.rint((1.0 - (flow[colour_where] + 1.0) / 2.0) * 256).astype(int)
    paint.pixels(colour_where, colours[np.clip(index, 0, 256)])
    paint.shape(style.rgb, lambda d: d.polygon(corners, outline=255))
