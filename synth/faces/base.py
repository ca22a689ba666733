"""What every face (font technology) offers: the :class:`Face` interface and helpers they share.

A face draws text into a :class:`~phiphantom.synth.text_raster.Glyphs` (tight ink alpha and its
offset from the text origin, the top-left of the line: ``anchor="la"`` as for TrueType), reports
its line metrics and the characters it cannot draw (so the generator never draws tofu).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from ..text_raster import EmptyInkError, Glyphs, crop_to_ink

#: Face name prefixes, one per technology: "ttf:arimo", "stroke:futural", "bitmap:cp437-8x8".
TECHNOLOGIES = ("ttf", "stroke", "bitmap")


class FaceError(ValueError):
    """An unknown face name."""


@dataclass(frozen=True)
class FaceInfo:
    """Where a face comes from: its registry name, design and the package and licence of its data."""

    name: str        # "ttf:arimo-bold"
    family: str      # "Arimo"
    design: str      # sans | serif | mono | condensed | pixel
    package: str     # the pip distribution that ships the font data
    licence: str     # SPDX id or licence name of the font data
    source: str      # where the font data comes from, in words (upstream project / URL)

    @property
    def technology(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def version(self) -> str:
        """Installed version of :attr:`package`."""
        return metadata.version(self.package)


class Face(ABC):
    """A font of one technology at any pixel size."""

    def __init__(self, info: FaceInfo) -> None:
        self.info = info

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def technology(self) -> str:
        return self.info.technology

    @property
    def family(self) -> str:
        return self.info.family

    @property
    def licence(self) -> str:
        return self.info.licence

    @property
    def source(self) -> str:
        return self.info.source

    @abstractmethod
    def rasterise(self, text: str, size_px: int, antialias: bool, letter_spacing_px: int = 0) -> Glyphs:
        """Draw ``text`` at ``size_px`` (em size) and crop to its ink."""

    @abstractmethod
    def line_metrics(self, size_px: int) -> tuple[int, int]:
        """(ascent, descent) in pixels from the text origin's line top to the baseline and below."""

    @abstractmethod
    def covers(self, ch: str) -> bool:
        """Whether the face has a glyph for ``ch``."""

    def missing(self, text: str) -> str:
        """Characters of ``text`` (not whitespace) this face cannot draw, sorted, each once."""
        return "".join(sorted({ch for ch in text if not ch.isspace() and not self.covers(ch)}))


def combine(text: str, pieces: list[tuple[np.ndarray, int, int]]) -> Glyphs:
    """Union of alpha ``pieces`` (alpha, x, y: top-left relative to the text origin), cropped to ink."""
    pieces = [p for p in pieces if p[0].size]
    if not pieces:
        raise EmptyInkError("text rendered no ink")
    x0 = min(x for _, x, _ in pieces)
    y0 = min(y for _, _, y in pieces)
    x1 = max(x + a.shape[1] for a, x, _ in pieces)
    y1 = max(y + a.shape[0] for a, _, y in pieces)
    canvas = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    for a, x, y in pieces:
        region = canvas[y - y0:y - y0 + a.shape[0], x - x0:x - x0 + a.shape[1]]
        np.maximum(region, a, out=region)
    return crop_to_ink(text, canvas, x0, y0)
