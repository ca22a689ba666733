"""The frame-source interface: where the clean ultrasound pixels come from.

A source does two things, in two places:

* ``plan(rng, cine, n_frames)`` runs in the main process while the dataset is
  planned. It picks *what* to load and returns a small, picklable
  :class:`SourceRef`. It must be deterministic given ``rng``.
* ``render(ref, width, height, colour)`` runs in a worker. It loads or
  simulates the frames named by ``ref`` and returns them fitted to the image
  area of the device canvas (``width`` x ``height``), together with the mask of
  pixels that are ultrasound image (the fan / sector / rectangle).

Pixel arrays follow the project's convention: ``frames[t, y, x]`` (y = row,
x = column), shape ``(T, height, width)`` for grey or ``(T, height, width, 3)``
for RGB, ``uint8``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

Colour = Literal["grey", "rgb"]
Probe = Literal["convex", "linear", "phased", "unknown"]


class SourceError(ValueError):
    """A source spec or a source file that cannot be used (message is safe to show)."""


@dataclass(frozen=True)
class SourceRef:
    """What to load: small and picklable, created by ``FrameSource.plan``."""

    source_id: str                 # stable identifier, e.g. "procedural:convex:1234" or "folder:clip.mp4"
    relpath: str                   # path relative to the source root ("" for procedural)
    frame_indices: tuple[int, ...]  # which source frames, in order (len == frames wanted)
    probe: Probe = "unknown"
    seed: int = 0                  # for simulated sources
    params: tuple[tuple[str, object], ...] = ()  # extra source-specific settings (hashable)

    @property
    def n_frames(self) -> int:
        return len(self.frame_indices)

    def param(self, key: str, default: Any = None) -> Any:  # a JSON scalar of the source's metadata
        return dict(self.params).get(key, default)


@dataclass
class SourceFrames:
    """Frames fitted to the image area, plus the mask of real image pixels."""

    frames: np.ndarray             # (T, h, w) or (T, h, w, 3) uint8
    image_mask: np.ndarray         # (h, w) bool: True where ultrasound image (fan) is
    probe: Probe = "unknown"
    frame_time_ms: float = 33.3    # nominal time between frames
    depth_cm: float = 12.0         # imaging depth shown by the depth scale
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.dtype != np.uint8:
            raise TypeError("SourceFrames.frames must be uint8")
        if self.frames.ndim not in (3, 4):
            raise ValueError("SourceFrames.frames must be (T,h,w) or (T,h,w,3)")
        if self.image_mask.shape != self.frames.shape[1:3]:
            raise ValueError("image_mask must match the frame size")


class FrameSource(Protocol):
    """Anything that can plan and render clean ultrasound frames."""

    spec: str

    def plan(self, rng: np.random.Generator, cine: bool, n_frames: int) -> SourceRef:
        """Choose frames for one output file (``n_frames`` frames if ``cine``, else one)."""

    def render(self, ref: SourceRef, width: int, height: int, colour: Colour) -> SourceFrames:
        """Load/simulate ``ref`` fitted into ``width`` x ``height``."""
