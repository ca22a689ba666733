"""The scene of a procedural lung cine: probe and the clinical and acquisition settings, drawn from a seed.

A :class:`LungScene` (pleural line depth, A-lines, B-lines, ribs, gain,
breathing ...) is drawn by :func:`draw_scene` as a pure function of a seed and
stored in ``SourceRef.params``; :func:`scene_from_ref` reads it back, the params
overriding the drawn values. Rendering is in ``procedural.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .base import Probe, SourceError, SourceRef
from .fan_geometry import FanGeometry

__all__ = ["PROBES", "LungScene", "draw_scene", "rib_centres_cm", "scene_from_ref"]

PROBES: tuple[Probe, ...] = ("convex", "linear", "phased")


@dataclass(frozen=True)
class LungScene:
    """The clinical and acquisition settings of one simulated lung cine.

    Stored in ``SourceRef.params`` as plain ``(name, value)`` pairs.
    """

    depth_cm: float          # imaging depth shown on screen
    radius_cm: float         # sector probes: apex-to-skin radius (convex curvature)
    fov_deg: float           # sector probes: full opening angle
    width_cm: float          # linear probe: aperture width
    flare: float             # linear probe: relative widening per cm (0 = rectangle)
    pleura_cm: float         # pleural line depth at the image centre
    pleura_tilt_cm: float    # pleural depth change from left to right edge
    n_b_lines: int           # vertical comet-tail artefacts (0-4)
    a_lines: int             # 1 = horizontal reverberations of the pleura visible
    n_ribs: int              # ribs (bright arc + acoustic shadow) in the field
    rib_pitch_cm: float      # centre-to-centre rib distance
    rib_offset_cm: float     # lateral offset of the rib pattern
    rib_width_cm: float      # rib width in the image plane
    rib_gap_cm: float        # rib surface height above the pleural line
    gain_db: float           # overall gain relative to auto-gain (brightness preference)
    dynamic_range_db: float  # log-compression range mapped onto 0..255
    frame_time_ms: float     # time between cine frames
    breath_period_s: float   # breathing cycle
    breath_mm: float         # vertical chest-wall excursion (amplitude)
    sliding_mm: float        # lung sliding amplitude (0 = absent, e.g. pneumothorax)
    tint: str                # "neutral", "warm" or "cool" RGB colour map

    def to_params(self) -> tuple[tuple[str, object], ...]:
        """The scene as hashable ``(name, value)`` pairs for ``SourceRef.params``."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self))

    def with_params(self, params: tuple[tuple[str, object], ...]) -> LungScene:
        """A copy with the known keys of ``params`` applied (unknown keys ignored)."""
        types = {f.name: type(getattr(self, f.name)) for f in fields(self)}
        updates = {}
        for key, value in params:
            if key in types:
                try:
                    updates[key] = types[key](value)
                except (TypeError, ValueError) as exc:
                    raise SourceError(f"procedural parameter {key}={value!r} is not a {types[key].__name__}") from exc
        return replace(self, **updates)


def _round(value: float) -> float:
    """Round a drawn value so params stay short and readable."""
    return round(float(value), 4)


def draw_scene(probe: str, seed: int) -> LungScene:
    """Draw a plausible lung scene for ``probe``; a pure function of ``seed``."""
    rng = np.random.default_rng(seed)
    if probe == "convex":
        depth, radius, fov = rng.uniform(8.0, 18.0), rng.uniform(3.0, 6.0), rng.uniform(55.0, 78.0)
        width, flare = 0.0, 0.0
    elif probe == "phased":
        depth, radius, fov = rng.uniform(10.0, 18.0), rng.uniform(0.25, 0.8), rng.uniform(70.0, 90.0)
        width, flare = 0.0, 0.0
    elif probe == "linear":
        depth, radius, fov = rng.uniform(6.0, 9.0), 0.0, 0.0
        width = rng.uniform(3.6, 5.2)
        flare = 0.0 if rng.random() < 0.6 else rng.uniform(0.008, 0.025)
    else:
        raise SourceError(f"unknown probe {probe!r}; use one of {', '.join(PROBES)}")
    pleura = depth * rng.uniform(0.24, 0.33)
    n_b = int(rng.choice(5, p=[0.35, 0.2, 0.2, 0.15, 0.1]))
    a_lines = int(rng.random() < (0.85 if n_b == 0 else 0.45))
    absent_sliding = n_b == 0 and rng.random() < 0.1
    scene = LungScene(
        depth_cm=_round(depth),
        radius_cm=_round(radius),
        fov_deg=_round(fov),
        width_cm=_round(width),
        flare=_round(flare),
        pleura_cm=_round(pleura),
        pleura_tilt_cm=_round(rng.uniform(-0.25, 0.25)),
        n_b_lines=n_b,
        a_lines=a_lines,
        n_ribs=int(rng.choice(4, p=[0.15, 0.3, 0.45, 0.1])),
        rib_pitch_cm=_round(rng.uniform(2.0, 3.0)),
        rib_offset_cm=_round(rng.uniform(-0.35, 0.35)),
        rib_width_cm=_round(rng.uniform(0.9, 1.5)),
        rib_gap_cm=_round(rng.uniform(0.3, 0.7)),
        gain_db=_round(rng.uniform(-3.0, 3.0)),
        dynamic_range_db=_round(rng.uniform(50.0, 62.0)),
        frame_time_ms=_round(rng.uniform(25.0, 50.0)),
        breath_period_s=_round(rng.uniform(3.0, 5.0)),
        breath_mm=_round(rng.uniform(0.3, 1.2)),
        sliding_mm=0.0 if absent_sliding else _round(rng.uniform(1.0, 4.0)),
        tint=str(rng.choice(["neutral", "neutral", "warm", "cool"])),
    )
    return _fit_ribs(scene, probe, rng)


def _fit_ribs(scene: LungScene, probe: str, rng: np.random.Generator) -> LungScene:
    """Place the ribs so that every rib centre lies inside the field of view."""
    geom = FanGeometry.from_scene(probe, scene)
    half_span = 0.5 * geom.lateral_cm_per_unit(scene.pleura_cm - scene.rib_gap_cm)
    if scene.n_ribs == 1:  # a single rib usually sits to one side of the window
        side = 1.0 if rng.random() < 0.5 else -1.0
        scene = replace(scene, rib_offset_cm=_round(side * rng.uniform(0.35, 0.7) * half_span))
    n = scene.n_ribs
    limit = half_span - 0.2 * scene.rib_width_cm
    while n > 0 and np.max(np.abs(rib_centres_cm(replace(scene, n_ribs=n)))) > limit:
        n -= 1
    return replace(scene, n_ribs=n)


def rib_centres_cm(scene: LungScene) -> np.ndarray:
    """Lateral rib centres (cm from the image centre line, at rib depth)."""
    i = np.arange(scene.n_ribs, dtype=np.float64)
    return scene.rib_offset_cm + scene.rib_pitch_cm * (i - (scene.n_ribs - 1) / 2.0)


def scene_from_ref(ref: SourceRef) -> tuple[Probe, LungScene]:
    """The probe and scene of ``ref``: drawn from its seed, overridden by its params."""
    probe = ref.probe if ref.probe in PROBES else str(ref.param("probe", "convex"))
    if probe not in PROBES:
        raise SourceError(f"procedural ref has unknown probe {probe!r}")
    return probe, draw_scene(probe, ref.seed).with_params(ref.params)
