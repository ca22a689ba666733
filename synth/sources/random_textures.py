"""Random textures of the procedural lung simulator: speckle fields, smooth noise, the chest-wall profile.

Speckle is Rayleigh: the magnitude of a low-pass filtered complex Gaussian field.
A small pool of such fields (:func:`speckle_pool`) is generated once per render;
each frame mixes the pool with unit-norm weights (:func:`mix_weights`) that drift
over time, so the speckle decorrelates smoothly.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["chest_wall_profile", "mix_weights", "smooth_noise", "speckle_pool"]

_POOL = 4                    # independent speckle fields mixed per frame


def speckle_pool(rng: np.random.Generator, rows: int, cols: int, sigma_row: float, sigma_col: float) -> np.ndarray:
    """``_POOL`` independent complex Gaussian fields, low-pass filtered, unit mean power.

    Shape ``(_POOL, rows, cols, 2)`` float32 (real, imaginary). The magnitude of
    any unit-norm mix of them is Rayleigh distributed.
    """
    pool = rng.standard_normal((_POOL, rows, cols, 2), dtype=np.float32)
    for field_ in pool:
        cv2.GaussianBlur(field_, (0, 0), sigmaX=sigma_col, sigmaY=sigma_row, dst=field_,
                         borderType=cv2.BORDER_REFLECT)
    sample = pool[0, ::3, ::3]  # a subsample estimates the power well enough, at a fraction of the cost
    pool *= 1.0 / math.sqrt(2.0 * float(np.mean(sample * sample)))
    return pool


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: tuple[float, float]) -> np.ndarray:
    """Gaussian noise blurred by ``sigma`` = (rows, cols), rescaled to unit std (float32)."""
    noise = rng.standard_normal(shape, dtype=np.float32)
    if noise.ndim == 1:
        noise = noise[None, :]
        blurred = cv2.GaussianBlur(noise, (0, 0), sigmaX=sigma[1], sigmaY=0.1, borderType=cv2.BORDER_REFLECT)[0]
    else:
        blurred = cv2.GaussianBlur(noise, (0, 0), sigmaX=sigma[1], sigmaY=sigma[0], borderType=cv2.BORDER_REFLECT)
    return (blurred - blurred.mean()) / max(float(blurred.std()), 1e-6)


def chest_wall_profile(rng: np.random.Generator, z: np.ndarray, pleura_cm: float, line_cm: float) -> np.ndarray:
    """Echogenicity versus depth of the chest wall: skin, fat with septa, muscle and fasciae.

    ``line_cm`` is the thickness (Gaussian sigma) of the fasciae, at least the depth sampling.
    """
    fat_end = pleura_cm * rng.uniform(0.2, 0.45)
    skin = 2.5 * np.exp(-((z / 0.12) ** 2))
    base = np.where(z < fat_end, rng.uniform(0.25, 0.45), rng.uniform(0.75, 1.1))
    lines = np.zeros_like(z)
    fasciae = [fat_end] + list(rng.uniform(fat_end + 0.3, max(fat_end + 0.4, pleura_cm - 0.3), rng.integers(1, 4)))
    for depth in fasciae:
        lines += rng.uniform(2.5, 6.0) * np.exp(-(((z - depth) / line_cm) ** 2))
    for depth in rng.uniform(0.2, fat_end, rng.integers(0, 4)):  # thin septa in the fat
        lines += rng.uniform(0.8, 2.0) * np.exp(-(((z - depth) / (0.75 * line_cm)) ** 2))
    return (skin + base + lines).astype(np.float32)


def mix_weights(t: float, rates: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """Unit-norm weights for the speckle pool; a smooth, quasi-periodic path in time."""
    th1 = rates[0] * t + phases[0]
    th2 = rates[1] * t + phases[1]
    psi = phases[2] + 0.6 * math.sin(rates[2] * t + phases[3])
    c, s = math.cos(psi), math.sin(psi)
    return np.array([math.cos(th1) * c, math.sin(th1) * c, math.cos(th2) * s, math.sin(th2) * s], np.float32)
