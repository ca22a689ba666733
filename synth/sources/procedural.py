"""Procedural lung point-of-care ultrasound (POCUS) frames, simulated from a seed.

``ProceduralSource`` needs no input data. ``plan`` draws a probe and a lung
scene (pleural line depth, A-lines, B-lines, rib shadows, gain, breathing ...)
and stores it in the ``SourceRef``; ``render`` turns that ref into a cine.

How a frame is made (all vectorised, no per-pixel Python):

1. The image is simulated in *probe coordinates*: rows are depth samples along
   a scan line, columns are scan lines (the "polar" image of a sector probe).
   In these coordinates acoustic shadows and B-lines run straight down the
   columns and the pleural line and its A-line reverberations are rows, exactly
   as they travel along the beams.
2. Echo power = echogenicity map x speckle. Speckle is Rayleigh: the magnitude
   of a low-pass filtered complex Gaussian field. A small pool of such fields is
   generated once per render; each frame mixes the pool with unit-norm weights
   that drift over time (speckle decorrelates) and shifts the result with
   sub-sample accuracy (lung sliding, breathing).
3. Log compression with depth gain (TGC residual, attenuation) gives grey
   levels; a grey-map / tint look-up table gives the vendor look.
4. ``cv2.remap`` scan-converts to the Cartesian image area with maps computed
   once per render. Pixels outside the fan are exactly 0.

This module holds the lung model (echogenicity, motion, ribs, B-lines, grey
levels), the display look-up table and the source; the scene is drawn in
``lung_scene.py``, the probe geometry and scan conversion are in
``fan_geometry.py``, the speckle and noise textures in ``random_textures.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import cv2
import numpy as np

from .base import Colour, Probe, SourceError, SourceFrames, SourceRef
from .fan_geometry import FanGeometry, ScanConverter, build_scan_converter
from .lung_scene import PROBES, LungScene, draw_scene, rib_centres_cm, scene_from_ref
from .random_textures import chest_wall_profile, mix_weights, smooth_noise, speckle_pool

_PROBE_CUMULATIVE: tuple[tuple[float, Probe], ...] = ((0.50, "convex"), (0.75, "linear"), (1.00, "phased"))
MIN_SIZE = 32                # smallest image area side we can draw a fan into
_STREAMS = ("motion", "pleura", "lung", "ribs", "b_lines", "speckle", "chest_wall", "display")
_REFERENCE_GREY = 110.0      # display level of echogenicity 1 (0 dB) before auto-gain
_TARGET_MEAN_GREY = 60.0     # auto-gain aims the mean image grey here ...
_GREY_PER_GAIN_DB = 4.0      # ... shifted by the scene's gain_db (+-3 dB -> 48..72)
_RIB_BLOCKING = 0.9999       # share of echo power a rib keeps from the tissue below it (-40 dB)


# ---------------------------------------------------------------------------
# The lung model in probe coordinates
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rib:
    """One rib in probe coordinates."""

    cols: slice               # scan lines it affects
    centre: float             # centre scan line
    half_width: float         # half width in scan lines
    top_cm: float             # depth of the rib surface at its centre
    curve_cm: float           # how much deeper the surface is at its edges
    brightness: float         # echogenicity of the rib surface


@lru_cache(maxsize=4)
def _scan_converter(geom: FanGeometry, width: int, height: int) -> ScanConverter:
    """:func:`build_scan_converter`, kept for the last few geometries: the views of a dual or quad file
    share one geometry and size. Its arrays are read-only (shared between renders)."""
    converter = build_scan_converter(geom, width, height)
    for array in (converter.map1, converter.map2, converter.mask):
        array.setflags(write=False)
    return converter


class LungModel:
    """Renders probe-coordinate frames (rows = depth, columns = scan lines) of one scene."""

    def __init__(self, scene: LungScene, geom: FanGeometry, n_rows: int, n_lines: int, seed: int):
        # One random stream per component, so overriding e.g. the B-line count
        # in the params leaves the speckle, chest wall and gains unchanged.
        streams = {name: np.random.default_rng([seed, 1, i]) for i, name in enumerate(_STREAMS)}
        self.scene, self.geom = scene, geom
        self.n_rows, self.n_lines = n_rows, n_lines
        self.row_cm = scene.depth_cm / (n_rows - 1)
        self.z = np.linspace(0.0, scene.depth_cm, n_rows, dtype=np.float32)
        self.zcol = self.z[:, None]
        self.lines = np.arange(n_lines, dtype=np.float32)
        self.line_cm = geom.lateral_cm_per_unit(scene.pleura_cm) / (n_lines - 1)  # at the pleura

        self.db_scale = np.float32(10.0 * 255.0 / scene.dynamic_range_db)
        self._speckle_cache: tuple[float, np.ndarray, np.ndarray] | None = None
        self.display_offset = self._display_offset(streams["display"])
        self._setup_motion(streams["motion"])
        self._setup_pleura(streams["pleura"])
        self._setup_lung(streams["lung"])
        self.ribs = self._place_ribs(streams["ribs"])
        self.b_lines = self._draw_b_lines(streams["b_lines"])
        self._setup_speckle(streams["speckle"], streams["chest_wall"])
        self._auto_gain(_TARGET_MEAN_GREY + _GREY_PER_GAIN_DB * scene.gain_db)

    # -- setup helpers -------------------------------------------------------

    def _setup_motion(self, rng: np.random.Generator) -> None:
        """Breathing moves tissue up/down; lung sliding moves the lung sideways (same rhythm)."""
        scene = self.scene
        self.breath_omega = 2.0 * math.pi * (scene.frame_time_ms / 1000.0) / scene.breath_period_s
        self.breath_phase = rng.uniform(0.0, 2.0 * math.pi)
        self.slide_lag = rng.uniform(-0.6, 0.6)
        self.breath_rows = 0.1 * scene.breath_mm / self.row_cm
        self.slide_lines = 0.1 * scene.sliding_mm / self.line_cm
        self.pad_rows = int(math.ceil(self.breath_rows)) + 2
        self.pad_lines = int(math.ceil(self.slide_lines)) + 2

    def _setup_pleura(self, rng: np.random.Generator) -> None:
        """Pleural line depth per scan line, thickness, brightness texture, and its A-line echoes."""
        scene, n_lines = self.scene, self.n_lines
        rel = self.lines / (n_lines - 1) - 0.5
        wave = 0.03 * smooth_noise(rng, (n_lines,), (0.0, n_lines / 8.0))
        self.pleura_z = (scene.pleura_cm + scene.pleura_tilt_cm * rel + wave).astype(np.float32)
        self.pleura_sigma = max(0.05, 0.9 * self.row_cm)
        # Echo power that shows the pleural line at a bright target grey level.
        pleura_row = min(int(round(scene.pleura_cm / self.row_cm)), self.n_rows - 1)
        level = rng.uniform(195.0, 235.0) - float(np.mean(self.display_offset[pleura_row]))
        self.pleura_amp = 10.0 ** (level / float(self.db_scale))
        self.reflector_gain = 1.0  # auto-gain compensation, see _auto_gain
        tex_len = n_lines + 2 * self.pad_lines  # slides with the lung
        self.pleura_tex = np.exp(0.5 * smooth_noise(rng, (tex_len,), (0.0, 1.2))).astype(np.float32)
        self.aline_tex = np.exp(0.25 * smooth_noise(rng, (n_lines,), (0.0, n_lines / 10.0))).astype(np.float32)
        # A-line k (k = 2, 3, ...) sits at k x the pleural depth; each fainter and more smeared.
        n_rep = int(math.ceil(scene.depth_cm / float(self.pleura_z.min()))) + 2
        first = self.pleura_amp * rng.uniform(0.01, 0.05) * scene.a_lines
        self.aline_amp = np.zeros(n_rep + 1, np.float32)
        self.aline_amp[2:] = first * rng.uniform(0.3, 0.6) ** np.arange(n_rep - 1)
        self.aline_inv_sigma = (1.0 / (self.pleura_sigma * (1.0 + 0.2 * np.arange(n_rep + 1)))).astype(np.float32)

    def _setup_lung(self, rng: np.random.Generator) -> None:
        """Lung below the pleura: subpleural haze fading to a dark floor, plus electronic noise."""
        self.haze_near = rng.uniform(0.3, 0.8)
        self.haze_len = rng.uniform(0.4, 1.2)
        self.haze_floor = rng.uniform(0.12, 0.3)
        self.noise_floor = rng.uniform(0.002, 0.006)
        self.b_depth_len = rng.uniform(1.0, 3.0) * self.scene.depth_cm  # slow fading of B-lines
        self.soft_cm = 1.5 * self.pleura_sigma  # chest wall / lung transition width

    def _setup_speckle(self, rng: np.random.Generator, wall_rng: np.random.Generator) -> None:
        """Speckle pools and their decorrelation rates.

        The lung pool moves with sliding and breathing. The chest-wall pool only
        covers the rows down to the deepest pleura and carries the chest-wall
        echogenicity (as amplitude), so one warp moves texture and speckle together.
        """
        scene, sig_row, sig_col = self.scene, 0.7, 0.9
        wall_bottom = float(self.pleura_z.max()) + 0.1 * scene.breath_mm + 4.0 * self.pleura_sigma
        self.wall_rows = int(min(self.n_rows, math.ceil(wall_bottom / self.row_cm) + 2))
        self.lung_pool = speckle_pool(rng, self.n_rows + 2 * self.pad_rows, self.n_lines + 2 * self.pad_lines,
                                      sig_row, sig_col)
        wall_pool = speckle_pool(rng, self.wall_rows + 2 * self.pad_rows, self.n_lines, sig_row, sig_col)
        wall_pool *= np.sqrt(self._chest_wall(wall_rng, wall_pool.shape[1]))[None, :, :, None]
        self.wall_pool = wall_pool
        per_frame = scene.frame_time_ms / 1000.0  # rates below are in rad/s
        self.lung_rates = np.array([rng.uniform(3.0, 6.0), rng.uniform(2.0, 5.0), rng.uniform(1.0, 2.0)]) * per_frame
        self.wall_rates = np.array([rng.uniform(0.15, 0.4), rng.uniform(0.1, 0.3), rng.uniform(0.1, 0.3)]) * per_frame
        self.lung_phases = rng.uniform(0.0, 2.0 * math.pi, 4)
        self.wall_phases = rng.uniform(0.0, 2.0 * math.pi, 4)

    def _draw_b_lines(self, rng: np.random.Generator) -> list[tuple[float, float, float]]:
        """B-lines as ``(centre line, half width in lines, brightness)``.

        They start at the visible pleura, so they are kept apart from each other and
        out of the rib shadows even at the extremes of lung sliding.
        """
        b_lines: list[tuple[float, float, float]] = []
        n = self.n_lines
        for _ in range(self.scene.n_b_lines):
            half = max(1.0, 0.5 * rng.uniform(0.15, 0.35) / self.line_cm)
            clear = half + self.slide_lines + 1.0
            for _attempt in range(40):
                centre = rng.uniform(0.1, 0.9) * (n - 1)
                apart = all(abs(centre - c) > 3.0 * (half + h) for c, h, _ in b_lines)
                unshadowed = all(abs(centre - rib.centre) > rib.half_width + clear for rib in self.ribs)
                if apart and unshadowed:
                    b_lines.append((centre, half, rng.uniform(8.0, 25.0)))
                    break
        return b_lines

    def _place_ribs(self, rng: np.random.Generator) -> list[_Rib]:
        """Ribs in scan-line coordinates from the scene's lateral rib layout (cm)."""
        scene, n = self.scene, self.n_lines
        ribs = []
        for centre_cm in rib_centres_cm(scene):
            top = float(scene.pleura_cm - scene.rib_gap_cm)
            span = self.geom.lateral_cm_per_unit(top)
            centre = (0.5 + centre_cm / span) * (n - 1)
            half = 0.5 * scene.rib_width_cm * rng.uniform(0.85, 1.15) / span * (n - 1)
            lo, hi = int(max(0, math.floor(centre - half - 2))), int(min(n, math.ceil(centre + half + 3)))
            if hi > lo:
                ribs.append(_Rib(slice(lo, hi), centre, half, top, rng.uniform(0.08, 0.2), rng.uniform(40.0, 120.0)))
        return ribs

    def _chest_wall(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        """Chest-wall echogenicity (rows x lines) for the padded wall pool, float32."""
        z = (np.arange(rows, dtype=np.float32) - self.pad_rows) * self.row_cm
        fine_z = np.linspace(-1.0, float(z[-1]) + 1.0, 2048, dtype=np.float32)
        profile = chest_wall_profile(rng, np.maximum(fine_z, 0.0), self.scene.pleura_cm, max(0.04, 0.8 * self.row_cm))
        undulation = 0.15 * smooth_noise(rng, (self.n_lines,), (0.0, self.n_lines / 6.0))
        warped_z = z[:, None] + undulation[None, :] * np.clip(z[:, None] / self.scene.pleura_cm, 0.0, 1.0)
        wall = np.interp(warped_z, fine_z, profile).astype(np.float32)
        blobs = smooth_noise(rng, wall.shape, (0.25 / self.row_cm, 4.0))
        fibres = smooth_noise(rng, wall.shape, (0.6, 6.0))  # muscle striation: long thin streaks
        wall *= np.exp(0.3 * blobs + 0.35 * fibres)
        return wall

    def _display_offset(self, rng: np.random.Generator) -> np.ndarray:
        """Per-sample grey offset: reference level, TGC residual and beam apodisation."""
        scene = self.scene
        rel_z = self.z / scene.depth_cm
        tgc = -rng.uniform(0.0, 5.0) * rel_z  # attenuation left over after TGC
        for _ in range(2):  # uneven TGC sliders / focal zone
            tgc += rng.uniform(-2.0, 2.0) * np.exp(-(((rel_z - rng.uniform(0.1, 0.9)) / 0.2) ** 2))
        edge = (2.0 * self.lines / (self.n_lines - 1) - 1.0) ** 4
        apod = -(2.5 if self.geom.is_sector else 1.0) * edge
        db = tgc[:, None] + apod[None, :]
        return (_REFERENCE_GREY + db * 255.0 / scene.dynamic_range_db).astype(np.float32)

    def _auto_gain(self, target_mean: float) -> None:
        """Shift the overall gain so the scan-converted image has about ``target_mean`` grey.

        Like a sonographer's gain knob (or a scanner's auto-gain), calibrated on
        frame 0. Rows are weighted by their on-screen width; the pleural line keeps
        its brightness (and A-lines and rib surfaces theirs, relative to it).
        """
        weights = np.asarray(self.geom.lateral_cm_per_unit(self.z), np.float64)
        weights /= weights.sum()
        total = 0.0
        power = self._power(0.0)  # the steps move only the display offset: the echo power stays the same
        for _ in range(2):  # clipping makes the response non-linear; two steps get close
            mean = float(weights @ self._to_grey(power).mean(axis=1))
            shift = float(np.clip(target_mean - mean, -60.0, 60.0))
            self.display_offset += np.float32(shift)
            total += shift
        self.reflector_gain = 10.0 ** (-total / float(self.db_scale))

    # -- per-frame rendering ---------------------------------------------------

    def _motion(self, t: float) -> tuple[float, float]:
        """Breathing displacement (rows, down positive) and sliding shift (lines) at frame ``t``."""
        phase = self.breath_omega * t + self.breath_phase
        return self.breath_rows * math.sin(phase), self.slide_lines * math.sin(phase + self.slide_lag)

    @staticmethod
    def _moved_power(pool: np.ndarray, weights: np.ndarray, shift_x: float, shift_y: float,
                     rows: int, cols: int, stretch: float = 0.0) -> np.ndarray:
        """Power of the pool mix moved by (shift_x, shift_y) samples, cropped to rows x cols.

        ``stretch`` adds a depth-proportional vertical move (``stretch * row``), so
        tissue touching the probe stays put while deeper tissue follows breathing.
        """
        mixed = pool[0] * weights[0]  # explicit sum: BLAS threads fight cv2's pool on small cores
        for k in range(1, len(weights)):
            mixed += pool[k] * weights[k]
        pad_y = (pool.shape[1] - rows) // 2
        pad_x = (pool.shape[2] - cols) // 2
        warp = np.array([[1, 0, pad_x - shift_x], [0, 1 - stretch, pad_y - shift_y]], dtype=np.float32)
        moved = cv2.warpAffine(mixed, warp, (cols, rows), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)
        return moved[..., 0] ** 2 + moved[..., 1] ** 2

    def _b_line_weight(self, slide: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-line B-line coverage (0..1) and brightness, following the lung sliding."""
        cover = np.zeros(self.n_lines, np.float32)
        bright = np.zeros(self.n_lines, np.float32)
        for centre, half, amp in self.b_lines:
            shape = np.exp(-(((self.lines - centre - slide) / half) ** 4))
            cover = np.maximum(cover, shape)
            bright = np.maximum(bright, amp * shape)
        return cover, bright

    def _speckle(self, t: float, breath: float, slide: float, breath_cm: float) -> tuple[np.ndarray, np.ndarray]:
        """Lung and chest-wall speckle power at frame ``t`` (read-only; the last ``t``'s is kept: auto-gain
        and the first frame both draw frame 0)."""
        if self._speckle_cache is not None and self._speckle_cache[0] == t:
            return self._speckle_cache[1], self._speckle_cache[2]
        lung_speckle = self._moved_power(self.lung_pool, mix_weights(t, self.lung_rates, self.lung_phases),
                                         slide, breath, self.n_rows, self.n_lines)
        wall_power = self._moved_power(self.wall_pool, mix_weights(t, self.wall_rates, self.wall_phases),
                                       0.0, 0.0, self.wall_rows, self.n_lines,
                                       stretch=breath_cm / self.scene.pleura_cm)
        lung_speckle.setflags(write=False)
        wall_power.setflags(write=False)
        self._speckle_cache = (t, lung_speckle, wall_power)
        return lung_speckle, wall_power

    def frame(self, t: float) -> np.ndarray:
        """One probe-coordinate frame (rows x lines) at time index ``t``, as uint8 grey levels."""
        return self._to_grey(self._power(t))

    def _power(self, t: float) -> np.ndarray:
        """Echo power of the frame at time index ``t`` (before log compression)."""
        breath, slide = self._motion(t)
        breath_cm = breath * self.row_cm
        lung_speckle, wall_power = self._speckle(t, breath, slide, breath_cm)
        pleura_z = self.pleura_z + np.float32(breath_cm)
        dz = self.zcol - pleura_z[None, :]
        lung_share = np.clip(dz * (1.0 / self.soft_cm) + 0.5, 0.0, 1.0)  # 0 in the chest wall, 1 in the lung
        diffuse, specular = self._lung_echoes(pleura_z, lung_share, slide)
        specular += self._pleural_line(dz, slide)

        # Specular echoes (pleura, A-/B-lines) are only partly speckled.
        power = lung_speckle * (diffuse + 0.5 * specular) + 0.5 * specular
        power[:self.wall_rows] += (1.0 - lung_share[:self.wall_rows]) * wall_power
        self._add_ribs(power, wall_power, breath_cm)
        power += self.noise_floor * lung_speckle
        return power

    def _lung_echoes(self, pleura_z: np.ndarray, lung_share: np.ndarray, slide: float) -> tuple[np.ndarray, np.ndarray]:
        """Diffuse and specular echo power of the lung: haze, A-lines and B-lines."""
        # 1-D depth profiles measured from the shallowest pleura; lung_share cuts each line at its own pleura.
        below = np.maximum(self.z - float(pleura_z.min()), 0.0)[:, None]
        haze = self.haze_near * np.exp(-below / self.haze_len) + self.haze_floor
        b_cover, b_bright = self._b_line_weight(slide)
        b_depth = np.clip(below / self.pleura_sigma, 0.0, 1.0) * (0.6 + 0.4 * np.exp(-below / self.b_depth_len))
        b_lines = b_depth * b_bright[None, :]
        keep = 1.0 - b_cover  # B-lines erase the A-lines and haze they cross

        # A-line k lies at k x the local pleural depth: find the nearest k per sample.
        ratio = self.zcol / pleura_z[None, :]
        rep = np.rint(ratio)
        rep_index = np.minimum(rep.astype(np.intp), self.aline_amp.size - 1)
        a_lines = self.aline_amp[rep_index]
        a_lines *= np.exp(-(((ratio - rep) * pleura_z[None, :] * self.aline_inv_sigma[rep_index]) ** 2))
        a_lines *= (self.aline_tex * keep * self.reflector_gain)[None, :]

        diffuse = lung_share * (haze * keep[None, :] + 0.5 * a_lines + 0.3 * b_lines)
        specular = lung_share * (0.5 * a_lines + 0.7 * b_lines)
        return diffuse, specular

    def _pleural_line(self, dz: np.ndarray, slide: float) -> np.ndarray:
        """Echo power of the pleural line; its brightness texture slides with the lung."""
        texture = np.interp(self.lines - slide + self.pad_lines, np.arange(self.pleura_tex.size), self.pleura_tex)
        gain = (self.pleura_amp * self.reflector_gain * texture).astype(np.float32)
        return np.exp(-((dz / self.pleura_sigma) ** 2)) * gain[None, :]

    def _to_grey(self, power: np.ndarray) -> np.ndarray:
        """Log-compress echo power to grey levels with gain, TGC and apodisation."""
        grey = np.log10(power)
        grey *= self.db_scale
        grey += self.display_offset
        np.clip(grey, 0.0, 255.0, out=grey)
        return grey.astype(np.uint8)

    def _add_ribs(self, power: np.ndarray, wall_power: np.ndarray, breath_cm: float) -> None:
        """Darken below each rib (acoustic shadow) and draw its bright curved surface."""
        wall_rows = wall_power.shape[0]
        for rib in self.ribs:
            offset = (self.lines[rib.cols] - rib.centre) / rib.half_width
            across = np.clip(offset, -1.0, 1.0)
            surface = rib.top_cm + rib.curve_cm * across ** 2 + breath_cm
            lateral = np.clip((1.0 - np.abs(offset)) * rib.half_width / 0.8 + 0.5, 0.0, 1.0)
            below = self.zcol - surface[None, :]
            shadow = 1.0 - _RIB_BLOCKING * lateral[None, :] * np.clip(below / 0.15, 0.0, 1.0)
            power[:, rib.cols] *= shadow
            arc = rib.brightness * self.reflector_gain * (lateral * (1.0 - 0.6 * across ** 2))[None, :]
            arc = arc * np.exp(-((below[:wall_rows] / 0.06) ** 2))
            power[:wall_rows, rib.cols] += arc * (0.6 + 0.4 * wall_power[:, rib.cols])


# ---------------------------------------------------------------------------
# Colour maps
# ---------------------------------------------------------------------------

_TINTS = {"neutral": (1.0, 1.0, 1.0), "warm": (1.0, 0.97, 0.9), "cool": (0.93, 0.97, 1.0)}


def display_lut(seed: int, tint: str, colour: Colour) -> np.ndarray:
    """Grey-map LUT (256,) uint8, or (1, 256, 3) RGB tint LUT; 0 always maps to 0."""
    gamma = np.random.default_rng([seed, 2]).uniform(0.85, 1.15)
    grey = 255.0 * (np.arange(256) / 255.0) ** gamma
    if colour == "grey":
        return np.round(grey).astype(np.uint8)
    gains = np.array(_TINTS.get(tint, _TINTS["neutral"]))
    return np.round(grey[None, :, None] * gains[None, None, :]).astype(np.uint8)


# ---------------------------------------------------------------------------
# The frame source
# ---------------------------------------------------------------------------


class ProceduralSource:
    """Simulated lung POCUS cines; spec ``procedural`` or ``procedural:convex|linear|phased``."""

    def __init__(self, arg: str = ""):
        arg = arg.strip().lower()
        if arg and arg not in PROBES:
            raise SourceError(f"procedural source takes no argument or a probe ({', '.join(PROBES)}), got {arg!r}")
        self.probe: Probe | None = cast(Probe, arg) or None
        self.spec = f"procedural:{arg}" if arg else "procedural"

    def plan(self, rng: np.random.Generator, cine: bool, n_frames: int) -> SourceRef:
        """Draw probe, seed and scene; one frame unless ``cine``."""
        if cine and n_frames < 1:
            raise SourceError(f"a cine needs at least one frame, got n_frames={n_frames}")
        draw = rng.random()  # always consumed, so forcing a probe keeps the seed stream
        probe = self.probe if self.probe else next(name for limit, name in _PROBE_CUMULATIVE if draw < limit)
        seed = int(rng.integers(2**63))
        scene = draw_scene(probe, seed)
        return SourceRef(
            source_id=f"procedural:{probe}:{seed}",
            relpath="",
            frame_indices=tuple(range(n_frames if cine else 1)),
            probe=probe,
            seed=seed,
            params=scene.to_params(),
        )

    def render(self, ref: SourceRef, width: int, height: int, colour: Colour) -> SourceFrames:
        """Simulate the frames of ``ref`` scan-converted into ``width`` x ``height``."""
        if colour not in ("grey", "rgb"):
            raise SourceError(f"colour must be 'grey' or 'rgb', got {colour!r}")
        if width < MIN_SIZE or height < MIN_SIZE:
            raise SourceError(f"image area {width}x{height} is too small (minimum {MIN_SIZE}x{MIN_SIZE})")
        if ref.n_frames < 1:
            raise SourceError("procedural ref has no frames")
        probe, scene = scene_from_ref(ref)
        geom = FanGeometry.from_scene(probe, scene)
        converter = _scan_converter(geom, int(width), int(height))
        model = LungModel(scene, geom, converter.n_rows, converter.n_lines, ref.seed)
        lut = display_lut(ref.seed, scene.tint, colour)
        shape = (ref.n_frames, int(height), int(width)) + ((3,) if colour == "rgb" else ())
        frames = np.empty(shape, np.uint8)
        for i, t in enumerate(ref.frame_indices):
            polar = model.frame(float(t))
            if colour == "rgb":
                polar = cv2.merge((polar, polar, polar))
            converter.convert(cv2.LUT(polar, lut), frames[i])
        return SourceFrames(
            frames=frames,
            image_mask=converter.mask,
            probe=probe,
            frame_time_ms=scene.frame_time_ms,
            depth_cm=scene.depth_cm,
            notes={
                "pleura_cm": scene.pleura_cm,
                "b_lines": len(model.b_lines),
                "a_lines": bool(scene.a_lines),
                "ribs": len(model.ribs),
                "lung_sliding": scene.sliding_mm > 0,
            },
        )


__all__ = ["PROBES", "FanGeometry", "LungScene", "ProceduralSource", "draw_scene", "scene_from_ref"]
