"""A contact sheet of one style pack: a PNG a person can look at to see what the pack draws.

With the pack composer (``synth.styles.compose_pack.compose_sample``) the sheet starts with a grid of
sample screens. Below (or alone, while the composer does not exist) a panel shows the pack's fonts, each
drawn through ``synth.text_raster`` with its face name, its PHI field formats applied to fixed fake
values, and sample lines of its clinical vocabulary.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from ..text_raster import EmptyInkError, Glyphs, composite, rasterise
from .schema import Parameter, StylePack

#: Sheet width in pixels; the height follows from the content.
SHEET_WIDTH = 1200
MARGIN = 16
CELL = (368, 276)  # one sample screen in the grid (width, height)
GRID_COLUMNS = 3
LABEL_FONT = "DejaVuSansMono"
TITLE_FONT = "DejaVuSans-Bold"
TEXT_RGB = (230, 230, 230)
DIM_RGB = (150, 170, 200)
SAMPLE_TEXT = "Name: DOE^JANE  ID 00473915  05.12.2026 14:32:07  Frq 5.0MHz  Gn 62  D 14cm  0123456789"
SAMPLE_DATE = dt.date(2026, 12, 5)
SAMPLE_TIME = dt.time(14, 32, 7, 450000)
_DRAW_ERRORS = (ValueError, LookupError, RuntimeError, OSError)


def _composer() -> Callable[..., np.ndarray] | None:
    try:
        module = importlib.import_module("phiphantom.synth.styles.compose_pack")
    except ImportError:
        return None
    return getattr(module, "compose_sample", None)


class _Sheet:
    """Text and images placed top to bottom; :meth:`render` makes the RGB array."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.y = MARGIN
        self.items: list[tuple[Glyphs | np.ndarray, int, int, tuple[int, int, int]]] = []

    def glyphs(self, text: str, font: str, size: int, antialias: bool = True) -> Glyphs | None:
        try:
            return rasterise(text, font, size, antialias)
        except (EmptyInkError, *_DRAW_ERRORS):
            return None

    def line(self, text: str, font: str = LABEL_FONT, size: int = 13, rgb: tuple[int, int, int] = TEXT_RGB,
             x: int = MARGIN) -> int:
        """Draw one line (cut to the sheet width) and move down; returns the line height."""
        g = self.glyphs(text, font, size)
        height = size + 6
        if g is not None:
            width = min(g.width, self.width - x - MARGIN)
            alpha = g.alpha[:, :width]
            self.items.append((alpha, x + max(0, g.dx), self.y + max(0, g.dy), rgb))
            height = max(height, g.dy + g.height + 4)
        self.y += height
        return height

    def wrapped(self, label: str, items: list[str], size: int = 13, sep: str = "  ") -> None:
        """``label`` then ``items`` ``sep`` apart, wrapped at the sheet width (by characters)."""
        per_line = max(20, (self.width - 2 * MARGIN) // max(1, int(size * 0.62)))
        current = f"{label}:"
        for item in items or ["(none)"]:
            if len(current) + len(sep) + len(item) > per_line and current.strip():
                self.line(current, size=size)
                current = "   "
            current += sep + item
        self.line(current[:per_line], size=size)

    def image(self, frame: np.ndarray, x: int) -> None:
        self.items.append((frame, x, self.y, (0, 0, 0)))

    def render(self) -> np.ndarray:
        canvas = np.zeros((1, self.y + MARGIN, self.width, 3), dtype=np.uint8)
        canvas[:] = (12, 14, 18)
        for item, x, y, rgb in self.items:
            if isinstance(item, Glyphs):
                continue
            if item.ndim == 3 and item.shape[2] == 3:
                h, w = item.shape[:2]
                canvas[0, y:y + h, x:x + w] = item[: canvas.shape[1] - y, : self.width - x]
            else:
                h, w = item.shape
                h, w = min(h, canvas.shape[1] - y), min(w, self.width - x)
                composite(canvas, np.ascontiguousarray(item[:h, :w]), x, y, rgb, 0, 1)
        return canvas[0]


def _as_rgb(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """One RGB uint8 frame of ``size`` (width, height) from a composer's output."""
    arr = np.asarray(frame)
    if arr.ndim == 4 or (arr.ndim == 3 and arr.shape[2] not in (1, 3)):
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    image = Image.fromarray(arr.astype(np.uint8))
    if image.size != size:
        image = image.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(image)


def _format_read_out(p: Parameter) -> str:
    value = f"{(p.values[0] + p.values[1]) / 2:.{p.decimals}f}"
    try:
        return p.format.format(label=p.label, value=value, unit=p.unit)
    except (KeyError, IndexError, ValueError):
        return f"{p.label} {value}{p.unit}"


def _phi_samples(pack: StylePack) -> list[tuple[str, list[str]]]:
    """Each PHI format applied to fixed fake values (through field_formats where it exists)."""
    try:
        ff = importlib.import_module("phiphantom.synth.styles.field_formats")
    except ImportError:
        ff = None
    rng = random.Random(0)

    def apply(kind: str, key: str, value: object) -> str:
        try:
            if ff is not None:
                return str(ff.format_field(kind, key, value, rng))
            if kind in ("date", "time") and isinstance(value, dt.date | dt.time):
                return value.strftime(key)
            if kind == "age_sex" and isinstance(value, tuple):
                return key.format(age=value[0], age3=f"{value[0]:03d}", sex=value[1], unit="Y")
        except _DRAW_ERRORS:
            pass
        return f"<{key}>"

    p = pack.phi
    return [
        ("Dates", [apply("date", k, SAMPLE_DATE) for k in p.date_formats]),
        ("Times", [apply("time", k, SAMPLE_TIME) for k in p.time_formats]),
        ("IDs", [apply("id", k, None) for k in p.id_shapes]),
        ("Name formats", list(p.name_formats)),
        ("Age/sex", [apply("age_sex", t, (47, "F")) for t in p.age_sex_formats]),
        ("Locales", [f"{k} ({w:g})" for k, w in p.locales.items()]),
    ]


def contact_sheet(pack: StylePack, seed: int = 0, samples: int = 6, width: int = SHEET_WIDTH) -> np.ndarray:
    """The sheet of ``pack`` as an RGB uint8 array ``(height, width, 3)``; deterministic in ``seed``."""
    sheet = _Sheet(width)
    sheet.line(f"{pack.name}  v{pack.version}  {pack.pack.title}", font=TITLE_FONT, size=18)
    sheet.wrapped("Modelled on", pack.pack.modelled_on.split(), size=12, sep=" ")
    compose = _composer()
    if compose is not None and samples > 0:
        columns = max(1, min(GRID_COLUMNS, (width - MARGIN) // (CELL[0] + MARGIN)))
        for i in range(samples):
            if i % columns == 0 and i:
                sheet.y += CELL[1] + MARGIN // 2
            sheet.image(_as_rgb(compose(pack, seed + i, CELL), CELL), MARGIN + (i % columns) * (CELL[0] + MARGIN))
        sheet.y += CELL[1] + MARGIN
    sheet.line("Fonts", font=TITLE_FONT, size=15, rgb=DIM_RGB)
    lo, hi = pack.typography.size_px
    size = max(10, min(22, (lo + hi) // 2))
    for font in pack.typography.fonts:
        sheet.line(f"{font.face}  (weight {font.weight:g}, {size} px)", size=11, rgb=DIM_RGB)
        if sheet.glyphs(SAMPLE_TEXT, font.face, size) is None:
            sheet.line("(this face cannot be drawn in this installation)", size=12)
        else:
            sheet.line(SAMPLE_TEXT, font=font.face, size=size)
    sheet.line("PHI field formats", font=TITLE_FONT, size=15, rgb=DIM_RGB)
    for label, values in _phi_samples(pack):
        sheet.wrapped(label, values)
    c = pack.clinical
    sheet.line(f"Clinical vocabulary ({len(pack.vocabulary())} tokens)", font=TITLE_FONT, size=15, rgb=DIM_RGB)
    for label, values in (
        ("Parameters", [_format_read_out(p) for p in c.parameters]), ("Presets", list(c.presets)),
        ("Probes", list(c.probes)), ("Modes", list(c.modes)),
        ("Measurements", [_format_read_out(m) for m in c.measurements]), ("Annotations", list(c.annotations)),
        ("Body markers", list(c.body_markers)), ("Dense strings", list(c.dense_strings)),
    ):
        sheet.wrapped(label, values)
    return sheet.render()


def write_contact_sheet(pack: StylePack, out: Path, seed: int = 0, samples: int = 6) -> tuple[int, int]:
    """Write the sheet of ``pack`` to ``out`` (PNG); returns its (width, height)."""
    image = Image.fromarray(contact_sheet(pack, seed, samples))
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, format="PNG")
    return image.size
