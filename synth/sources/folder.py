"""``folder:PATH`` — still images and clips from a folder tree.

Every PNG/JPG/JPEG image and MP4/AVI/MOV/MPEG/MPG/M4V clip under ``PATH``
(recursively, hidden files and folders ignored) is one catalog item, in sorted
order of its relative POSIX path. Files are checked once per source object,
lazily on the first :meth:`FolderSource.plan` call: every image is decoded and
every clip probed for its frame count (and a few frames decoded); a file that
cannot be read, is too small, blank or constant (see :mod:`.usable`) is
skipped and its reason kept in :attr:`FolderSource.skipped`. A folder with no
usable file at all is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import Colour, SourceError, SourceFrames, SourceRef
from .fit import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    choose_frames,
    fit_to_area,
    guess_probe,
    is_hidden,
    load_image,
    probe_video,
    read_video_frames,
    relative_posix,
    suffix_in,
)
from .usable import frame_problem, size_problem

CLIP_SAMPLE_FRAMES = 16   # a clip is usable if frame 0 or frame 15 (or its last, if shorter) is
MAX_LISTED_IN_ERROR = 10


@dataclass(frozen=True)
class FolderItem:
    """One usable file: a still image (1 frame) or a probed clip."""

    relpath: str
    is_clip: bool
    frame_count: int = 1
    fps: float = 0.0


class FolderSource:
    """Frames from the images and clips found under a folder."""

    def __init__(self, path: str) -> None:
        self.spec = f"folder:{path}"
        self.root = Path(path).expanduser()
        if not self.root.is_dir():
            raise SourceError(f"folder source: {path!r} is not a folder")
        self.image_paths, self.clip_paths = _scan_folder(self.root)
        if not self.image_paths and not self.clip_paths:
            raise SourceError(
                f"folder source: no images ({', '.join(IMAGE_SUFFIXES)}) or clips "
                f"({', '.join(VIDEO_SUFFIXES)}) under {path!r}"
            )
        self._items: list[FolderItem] | None = None
        self.skipped: dict[str, str] = {}   # relpath -> reason, for files that cannot be used

    # ------------------------------------------------------------------ catalog

    @property
    def items(self) -> list[FolderItem]:
        """The catalog (clips probed on first use): images plus readable clips, sorted by path."""
        if self._items is None:
            self._items = self._probe_catalog()
        return self._items

    def _probe_catalog(self) -> list[FolderItem]:
        """Check every image and clip once; unusable ones are recorded in ``skipped``, not fatal."""
        items = []
        for rel in self.image_paths:
            problem = _image_problem(self.root / rel, rel)
            if problem:
                self.skipped[rel] = problem
            else:
                items.append(FolderItem(rel, is_clip=False))
        for rel in self.clip_paths:
            try:
                info = probe_video(self.root / rel, label=rel)
                problem = _clip_problem(self.root / rel, rel, info)
            except SourceError as exc:
                problem = str(exc)
            if problem:
                self.skipped[rel] = problem
                continue
            items.append(FolderItem(rel, is_clip=True, frame_count=info.frame_count, fps=info.fps))
        items.sort(key=lambda item: item.relpath)
        if not items:
            raise SourceError(self._none_usable_message())
        return items

    def _none_usable_message(self) -> str:
        """The error for a folder where every image and clip was skipped: how many, and why each."""
        total = len(self.image_paths) + len(self.clip_paths)
        lines = [f"{self.spec}: none of the {total} images/clips is usable"]
        for rel, reason in list(sorted(self.skipped.items()))[:MAX_LISTED_IN_ERROR]:
            lines.append(f"  {rel}: {reason}")
        if len(self.skipped) > MAX_LISTED_IN_ERROR:
            lines.append(f"  ... and {len(self.skipped) - MAX_LISTED_IN_ERROR} more")
        return "\n".join(lines)

    # ------------------------------------------------------------------ plan / render

    def plan(self, rng: np.random.Generator, cine: bool, n_frames: int) -> SourceRef:
        """Pick a file and frames: a consecutive window of a clip for a cine, else one frame.

        A cine is taken from a clip whenever the folder has any; a folder of
        still images only yields single-frame refs. Shorter clips give all
        their frames (the ref may then hold fewer than ``n_frames``).
        """
        if n_frames < 1:
            raise ValueError("n_frames must be at least 1")
        items = self.items
        clips = [item for item in items if item.is_clip]
        pool = clips if cine and clips else items
        item = pool[int(rng.integers(len(pool)))]
        indices = choose_frames(rng, item.frame_count, cine, n_frames)
        params: tuple[tuple[str, object], ...] = (("fps", item.fps),) if item.is_clip else ()
        return SourceRef(
            source_id=f"folder:{item.relpath}",
            relpath=item.relpath,
            frame_indices=indices,
            params=params,
        )

    def render(self, ref: SourceRef, width: int, height: int, colour: Colour) -> SourceFrames:
        """Load exactly ``ref.frame_indices`` of ``ref.relpath`` and fit them to the image area."""
        path = self.root / ref.relpath
        if suffix_in(ref.relpath, VIDEO_SUFFIXES):
            raw = read_video_frames(path, ref.frame_indices, label=ref.relpath)
        elif suffix_in(ref.relpath, IMAGE_SUFFIXES):
            if any(i != 0 for i in ref.frame_indices):
                raise SourceError(f"{ref.relpath} is a still image; only frame 0 exists")
            if not path.is_file():
                raise SourceError(f"image file not found: {ref.relpath}")
            image = load_image(path, label=ref.relpath)
            raw = np.repeat(image[None], ref.n_frames, axis=0)
        else:
            raise SourceError(f"{ref.relpath} is not an image or clip this source reads")
        frames, mask = fit_to_area(raw, width, height, colour)
        fps = float(ref.param("fps", 0.0) or 0.0)
        return SourceFrames(
            frames=frames,
            image_mask=mask,
            probe=guess_probe(mask),
            frame_time_ms=round(1000.0 / fps, 3) if fps > 0 else 33.3,
            notes={"source_id": ref.source_id, "source_size": tuple(raw.shape[1:3])},
        )


def _scan_folder(root: Path) -> tuple[list[str], list[str]]:
    """Relative POSIX paths of the images and clips under ``root`` (sorted, no hidden files)."""
    images: list[str] = []
    clips: list[str] = []
    for path in root.rglob("*"):
        rel = relative_posix(path, root)
        if is_hidden(rel) or not path.is_file():
            continue
        if suffix_in(path.name, IMAGE_SUFFIXES):
            images.append(rel)
        elif suffix_in(path.name, VIDEO_SUFFIXES):
            clips.append(rel)
    return sorted(images), sorted(clips)


def _image_problem(path: Path, rel: str) -> str | None:
    """Why the image at ``path`` cannot be used (unreadable, too small, blank, constant), or None."""
    try:
        image = load_image(path, label=rel)
    except SourceError as exc:
        return str(exc)
    return frame_problem(image)


def _clip_problem(path: Path, rel: str, info) -> str | None:
    """Why a probed clip cannot be used: too small, or its first frames blank or constant."""
    if info.width and info.height:
        problem = size_problem(info.width, info.height)
        if problem:
            return problem
    sample = sorted({0, min(info.frame_count, CLIP_SAMPLE_FRAMES) - 1})
    frames = read_video_frames(path, sample, label=rel)
    problems = [frame_problem(frame) for frame in frames]
    if all(problems):
        return f"{problems[0]} (frames {', '.join(str(i) for i in sample)})"
    return None
