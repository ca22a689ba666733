"""Probe geometry and scan conversion: the shape of a probe's field of view and the remap onto an image area.

:class:`FanGeometry` is the imaged region in cm (annular sector for convex and
phased probes, rectangle or trapezoid for a linear one); :func:`build_scan_converter`
fits it into an image area and precomputes the ``cv2.remap`` maps that turn a
probe-coordinate frame (rows = depth, columns = scan lines) into the Cartesian
image. Pixels outside the fan are exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import cv2
import numpy as np

if TYPE_CHECKING:
    from .lung_scene import LungScene

__all__ = ["FanGeometry", "ScanConverter", "build_scan_converter"]

_OUTSIDE = -16.0             # remap coordinate for pixels outside the fan (-> border 0)


@dataclass(frozen=True)
class FanGeometry:
    """Shape of the imaged region in physical units (cm).

    Sector probes (convex, phased): beams fan out from an apex; the image is
    the annular sector ``radius <= r <= radius + depth``, ``|angle| <= half_angle``.
    Linear probe: parallel beams over ``width_cm``, optionally flaring out with
    depth (trapezoid). ``y`` points down, ``x`` right, the apex / probe centre at x = 0.
    """

    probe: str
    depth_cm: float
    radius_cm: float = 0.0
    half_angle: float = 0.0
    width_cm: float = 0.0
    flare: float = 0.0

    @classmethod
    def from_scene(cls, probe: str, scene: LungScene) -> FanGeometry:
        """The geometry of ``probe`` with the sizes stored in ``scene``."""
        if probe == "linear":
            return cls(probe, scene.depth_cm, width_cm=scene.width_cm, flare=scene.flare)
        return cls(probe, scene.depth_cm, radius_cm=scene.radius_cm, half_angle=math.radians(scene.fov_deg / 2.0))

    @property
    def is_sector(self) -> bool:
        return self.probe != "linear"

    def bounds_cm(self) -> tuple[float, float, float, float]:
        """Bounding box ``(xmin, xmax, ymin, ymax)`` of the image region."""
        if self.is_sector:
            outer = self.radius_cm + self.depth_cm
            half_width = outer * math.sin(self.half_angle)
            return -half_width, half_width, self.radius_cm * math.cos(self.half_angle), outer
        half_width = 0.5 * self.width_cm * (1.0 + self.flare * self.depth_cm)
        return -half_width, half_width, 0.0, self.depth_cm

    def probe_coords(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map Cartesian cm to ``(u, v)``: lateral and depth fractions, both 0..1 inside."""
        if self.is_sector:
            u = (np.arctan2(x, y) + self.half_angle) / (2.0 * self.half_angle)
            v = (np.hypot(x, y) - self.radius_cm) / self.depth_cm
            return u, v
        u = x / (self.width_cm * (1.0 + self.flare * y)) + 0.5
        return u, y / self.depth_cm

    @overload
    def lateral_cm_per_unit(self, depth_cm: float) -> float: ...
    @overload
    def lateral_cm_per_unit(self, depth_cm: np.ndarray) -> np.ndarray: ...

    def lateral_cm_per_unit(self, depth_cm: float | np.ndarray) -> float | np.ndarray:
        """Lateral extent (cm) of the whole field of view at ``depth_cm`` below the skin."""
        if self.is_sector:
            return (self.radius_cm + depth_cm) * 2.0 * self.half_angle
        return self.width_cm * (1.0 + self.flare * depth_cm)


@dataclass
class ScanConverter:
    """Precomputed remap from probe coordinates to an image area."""

    map1: np.ndarray      # cv2 fixed-point maps (CV_16SC2 + CV_16UC1)
    map2: np.ndarray
    mask: np.ndarray      # (height, width) bool, True inside the fan
    n_rows: int           # depth samples of the probe-coordinate image
    n_lines: int          # scan lines of the probe-coordinate image

    def convert(self, polar: np.ndarray, out: np.ndarray) -> None:
        """Scan-convert one probe-coordinate frame into ``out`` (same channels)."""
        cv2.remap(polar, self.map1, self.map2, cv2.INTER_LINEAR, dst=out,
                  borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def build_scan_converter(geom: FanGeometry, width: int, height: int) -> ScanConverter:
    """Fit ``geom`` into ``width`` x ``height`` (probe at the top centre) and build the maps."""
    xmin, xmax, ymin, ymax = geom.bounds_cm()
    margin_x = max(1.0, 0.02 * width)
    margin_top = max(1.0, 0.015 * height)
    margin_bottom = max(1.0, 0.02 * height)
    scale = min((width - 2.0 * margin_x) / (xmax - xmin), (height - margin_top - margin_bottom) / (ymax - ymin))
    x_cm = ((np.arange(width) - (width - 1) / 2.0) / scale).astype(np.float32)
    y_cm = ((np.arange(height) - margin_top) / scale + ymin).astype(np.float32)
    u, v = geom.probe_coords(x_cm[None, :], y_cm[:, None])
    inside = (u >= 0.0) & (u <= 1.0) & (v >= 0.0) & (v <= 1.0)
    # Sample the probe image about as finely as the display: ~1.5 px per depth
    # sample and ~3 px per scan line at the widest part of the fan.
    n_rows = int(np.clip(round((ymax - ymin) * scale / 1.5), 96, 512))
    n_lines = int(np.clip(round((xmax - xmin) * scale / 3.0), 48, 256))
    map_x = np.where(inside, u * np.float32(n_lines - 1), np.float32(_OUTSIDE))
    map_y = np.where(inside, v * np.float32(n_rows - 1), np.float32(_OUTSIDE))
    map1, map2 = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
    return ScanConverter(map1, map2, inside, n_rows, n_lines)
