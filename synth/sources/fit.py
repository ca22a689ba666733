"""Shared helpers for file-based frame sources: loading images/clips and fitting them.

Real source frames come in any size and colour. :func:`fit_to_area` places them
on the image area of a device canvas (keeping the aspect ratio, centred on
black), converts them to grey or RGB, estimates which pixels are ultrasound
image (:func:`estimate_image_mask`) and blanks everything else to exactly 0.

Arrays follow the project convention ``frames[t, y, x]`` (y = row), ``uint8``.
Error messages name files by the label the caller passes (a path relative to
the source root), never by pixel content.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .base import Colour, Probe, SourceError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mpeg", ".mpg", ".m4v")
# MPEG program/elementary streams have no frame index: OpenCV's CAP_PROP_FRAME_COUNT
# is estimated from the bit rate and is often a frame or two short (or long).
UNRELIABLE_COUNT_SUFFIXES = (".mpeg", ".mpg")

MASK_THRESHOLD = 4           # max-over-time value above which a pixel counts as image
TOP_BAND_FRACTION = 0.15     # skin-line band (fraction of the fan height) used to trim the hull
LINEAR_FILL_RATIO = 0.97     # mask area / bounding-box area above which a mask is "rectangular"


# --------------------------------------------------------------------------- loading


def load_image(path: str | Path, label: str | None = None) -> np.ndarray:
    """Load a PNG/JPEG as ``(h, w, 3)`` uint8 RGB, honouring the EXIF orientation tag."""
    return _open_image(path, label or Path(path).name)


def load_image_bytes(data: bytes, label: str) -> np.ndarray:
    """Like :func:`load_image` for an encoded image held in memory (e.g. a zip member)."""
    return _open_image(io.BytesIO(data), label)


def _open_image(source: str | Path | BinaryIO, name: str) -> np.ndarray:
    try:
        with Image.open(source) as opened:
            img = ImageOps.exif_transpose(opened)
            return _pil_to_rgb(img)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise SourceError(f"cannot read image {name}: {type(exc).__name__}") from None


def _pil_to_rgb(img: Image.Image) -> np.ndarray:
    """Convert any PIL image to ``(h, w, 3)`` uint8 RGB (16-bit greys are scaled, not clipped)."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        grey = np.asarray(img, dtype=np.float64)
        top = grey.max() if grey.size else 0.0
        grey8 = np.zeros(grey.shape, np.uint8) if top <= 0 else np.clip(grey * (255.0 / top), 0, 255).astype(np.uint8)
        return np.repeat(grey8[:, :, None], 3, axis=2)
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


@dataclass(frozen=True)
class VideoInfo:
    """What probing a clip tells us."""

    frame_count: int
    fps: float
    width: int
    height: int


def _open_capture(path: str | Path, name: str) -> cv2.VideoCapture:
    """Open a clip with OpenCV or raise a :class:`SourceError` naming it."""
    if not Path(path).is_file():
        raise SourceError(f"video file not found: {name}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise SourceError(f"cannot open video {name} (unsupported or corrupt file)")
    return cap


def probe_video(path: str | Path, label: str | None = None, exact: bool | None = None) -> VideoInfo:
    """Frame count, frame rate and size of a clip.

    ``exact=None`` (default) trusts the container's frame count except for MPEG
    streams (``.mpeg``/``.mpg``) or when it is missing, where frames are counted
    by decoding (``grab``) the whole clip; ``exact=True`` always decodes.
    """
    name = label or Path(path).name
    cap = _open_capture(path, name)
    try:
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if exact is None:
            exact = count <= 0 or Path(path).suffix.lower() in UNRELIABLE_COUNT_SUFFIXES
        if exact:
            count = 0
            while cap.grab():
                count += 1
    finally:
        cap.release()
    if count <= 0:
        raise SourceError(f"video {name} has no decodable frames")
    return VideoInfo(frame_count=count, fps=fps if 0 < fps < 1000 else 0.0, width=width, height=height)


def video_frame_count(path: str | Path, label: str | None = None) -> int:
    """Number of frames in a clip (decoded count for MPEG streams, see :func:`probe_video`)."""
    return probe_video(path, label=label).frame_count


def read_video_frames(path: str | Path, indices: Sequence[int], label: str | None = None) -> np.ndarray:
    """Decode the frames ``indices`` (any order, repeats allowed) as ``(T, h, w, 3)`` uint8 RGB.

    The clip is read sequentially from the start (seeking is unreliable for many
    codecs); frames not wanted are skipped with ``grab`` and never converted.
    """
    name = label or Path(path).name
    wanted = sorted(set(int(i) for i in indices))
    if not wanted:
        raise SourceError(f"no frames requested from {name}")
    if wanted[0] < 0:
        raise SourceError(f"negative frame index requested from {name}")
    cap = _open_capture(path, name)
    decoded: dict[int, np.ndarray] = {}
    try:
        want = set(wanted)
        last = wanted[-1]
        index = 0
        while index <= last and cap.grab():
            if index in want:
                ok, bgr = cap.retrieve()
                if not ok or bgr is None:
                    raise SourceError(f"cannot decode frame {index} of {name}")
                decoded[index] = _bgr_to_rgb(bgr)
            index += 1
    finally:
        cap.release()
    missing = [i for i in wanted if i not in decoded]
    if missing:
        raise SourceError(f"video {name} ended after {index} frames; frame {missing[0]} was requested")
    return np.stack([decoded[int(i)] for i in indices])


def _bgr_to_rgb(frame: np.ndarray) -> np.ndarray:
    """OpenCV frame (BGR, or grey) to ``(h, w, 3)`` uint8 RGB."""
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


# --------------------------------------------------------------------------- fitting


def fit_to_area(frames: np.ndarray, width: int, height: int, colour: Colour) -> tuple[np.ndarray, np.ndarray]:
    """Place source frames on a ``width`` x ``height`` black area; return ``(frames, image_mask)``.

    ``frames`` is ``(T, h, w)`` grey or ``(T, h, w, 3)`` RGB uint8 of any size.
    They are resized keeping the aspect ratio (``INTER_AREA`` when shrinking,
    ``INTER_LINEAR`` when enlarging) to fit inside the area, centred, converted
    to grey (luma) or RGB per ``colour``. Pixels outside the estimated image
    mask are set to exactly 0.
    """
    if width < 1 or height < 1:
        raise ValueError("fit_to_area needs a positive width and height")
    if colour not in ("grey", "rgb"):
        raise ValueError(f"colour must be 'grey' or 'rgb', not {colour!r}")
    placed, rect = _place_centred(_as_uint8_frames(frames), width, height)
    fallback = np.zeros((height, width), bool)
    y0, x0, h, w = rect
    fallback[y0:y0 + h, x0:x0 + w] = True
    mask = estimate_image_mask(placed, fallback=fallback) & fallback   # same mask for grey and RGB
    out = _convert_colour(placed, colour)
    out[:, ~mask] = 0
    return out, mask


def _as_uint8_frames(frames: np.ndarray) -> np.ndarray:
    """Validate a frame stack: uint8, ``(T,h,w)`` or ``(T,h,w,3)``, at least one non-empty frame."""
    arr = np.asarray(frames)
    if arr.dtype != np.uint8:
        raise TypeError("source frames must be uint8")
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[3] != 3):
        raise ValueError(f"source frames must be (T,h,w) or (T,h,w,3), got shape {arr.shape}")
    if min(arr.shape[:3]) < 1:
        raise ValueError("source frames are empty")
    return arr


def _convert_colour(frames: np.ndarray, colour: Colour) -> np.ndarray:
    """Grey frames to RGB by replication, RGB frames to grey by ITU-R BT.601 luma."""
    if colour == "grey":
        if frames.ndim == 3:
            return frames
        return np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])
    if frames.ndim == 4:
        return frames
    return np.repeat(frames[..., None], 3, axis=3)


def _place_centred(frames: np.ndarray, width: int, height: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Resize to fit inside the area and centre on black; return frames and ``(y0, x0, h, w)``."""
    src_h, src_w = frames.shape[1:3]
    scale = min(width / src_w, height / src_h)
    new_w = min(width, max(1, round(src_w * scale)))
    new_h = min(height, max(1, round(src_h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    out = np.zeros((frames.shape[0], height, width) + frames.shape[3:], np.uint8)
    y0, x0 = (height - new_h) // 2, (width - new_w) // 2
    for t, frame in enumerate(frames):
        if (new_w, new_h) == (src_w, src_h):
            resized = frame
        else:
            resized = cv2.resize(frame, (new_w, new_h), interpolation=interp)
        out[t, y0:y0 + new_h, x0:x0 + new_w] = resized
    return out, (y0, x0, new_h, new_w)


# --------------------------------------------------------------------------- masks


def estimate_image_mask(frames: np.ndarray, fallback: np.ndarray | None = None,
                        threshold: int = MASK_THRESHOLD) -> np.ndarray:
    """Boolean ``(h, w)`` mask of the ultrasound image (fan / sector / rectangle) in ``frames``.

    Pixels whose maximum over time (and channels) exceeds ``threshold`` are kept,
    cleaned with a morphological closing then opening and reduced to the largest
    connected component, which is then filled: holes are closed and, because
    fans, sectors and rectangles are convex, the component's convex hull is
    taken below its top edge (so dark parts inside the fan and dark notches at
    its edges still count, while the black arc above a convex probe's skin line
    does not). If nothing is found, ``fallback`` (or the whole area) is returned.
    """
    arr = np.asarray(frames)
    peak = arr.max(axis=0)
    if peak.ndim == 3:
        peak = peak.max(axis=2)
    h, w = peak.shape
    raw = (peak > threshold).astype(np.uint8)
    size = max(3, (min(h, w) // 60) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    cleaned = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, kernel)
    cleaned = cv2.morphologyEx(cleaned, cv2.MORPH_OPEN, kernel)
    component = _largest_component(cleaned)
    if component is None:
        return fallback.copy() if fallback is not None else np.ones((h, w), bool)
    return _fill_fan(component)


def _largest_component(binary: np.ndarray) -> np.ndarray | None:
    """The largest 8-connected foreground component of a 0/1 image, or None if empty."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == biggest


def _fill_fan(component: np.ndarray) -> np.ndarray:
    """Fill a fan-shaped component: its convex hull, minus the gap above a curved top edge.

    The hull alone would also cover the black lens above a convex probe's skin
    line, so in columns whose first image pixel lies in the top band of the
    component (the skin line, not a dark notch lower down) rows above it are
    removed again.
    """
    points = cv2.findNonZero(component.astype(np.uint8))
    hull = np.zeros(component.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
    filled = hull.astype(bool) | component
    rows_with_pixels = np.flatnonzero(component.any(axis=1))
    y_min, y_max = int(rows_with_pixels[0]), int(rows_with_pixels[-1])
    band_end = y_min + max(2.0, TOP_BAND_FRACTION * (y_max - y_min + 1))
    top = component.argmax(axis=0)
    top = np.where(component.any(axis=0) & (top <= band_end), top, 0)
    rows = np.arange(component.shape[0])[:, None]
    return filled & (rows >= top[None, :])


def guess_probe(mask: np.ndarray) -> Probe:
    """``"linear"`` when the image mask is (nearly) a filled rectangle, ``"convex"`` otherwise."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return "unknown"
    box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    return "linear" if ys.size / box >= LINEAR_FILL_RATIO else "convex"


# --------------------------------------------------------------------------- sampling


def consecutive_window(rng: np.random.Generator, total: int, wanted: int) -> tuple[int, ...]:
    """``wanted`` consecutive indices in ``range(total)`` (all of them if the clip is shorter)."""
    if total < 1:
        raise SourceError("cannot choose frames from an empty clip")
    count = max(1, min(int(wanted), total))
    start = int(rng.integers(0, total - count + 1))
    return tuple(range(start, start + count))


def choose_frames(rng: np.random.Generator, total: int, cine: bool, n_frames: int) -> tuple[int, ...]:
    """Frame indices for one output: a consecutive window for a cine, else one random frame."""
    if cine:
        return consecutive_window(rng, total, n_frames)
    if total < 1:
        raise SourceError("cannot choose frames from an empty clip")
    return (int(rng.integers(0, total)),)


def relative_posix(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX string (the form used in ids and messages)."""
    return path.relative_to(root).as_posix()


def is_hidden(relpath: str) -> bool:
    """True if any component of a relative path starts with a dot (``.git``, ``._x.jpg``)."""
    return any(part.startswith(".") for part in relpath.split("/"))


def suffix_in(name: str, suffixes: Iterable[str]) -> bool:
    """Case-insensitive suffix test."""
    return name.lower().endswith(tuple(suffixes))
