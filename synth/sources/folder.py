"""``folder:PATH`` — still images and clips from a folder tree.

Every PNG/JPG/JPEG image and MP4/AVI/MOV/MPEG/MPG/M4V clip under ``PATH``
(recursively, hidden files and folders ignored) is one catalog item, in sorted
order of its relative POSIX path. Clips are probed for their frame count once
per source object, lazily on the first :meth:`FolderSource.plan` call.
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
        self.skipped: dict[str, str] = {}   # relpath -> reason, for clips that failed probing

    # ------------------------------------------------------------------ catalog

    @property
    def items(self) -> list[FolderItem]:
        """The catalog (clips probed on first use): images plus readable clips, sorted by path."""
        if self._items is None:
            self._items = self._probe_catalog()
        return self._items

    def _probe_catalog(self) -> list[FolderItem]:
        """Probe every clip once; unreadable clips are recorded in ``skipped``, not fatal."""
        items = [FolderItem(rel, is_clip=False) for rel in self.image_paths]
        for rel in self.clip_paths:
            try:
                info = probe_video(self.root / rel, label=rel)
            except SourceError as exc:
                self.skipped[rel] = str(exc)
                continue
            items.append(FolderItem(rel, is_clip=True, frame_count=info.frame_count, fps=info.fps))
        items.sort(key=lambda item: item.relpath)
        if not items:
            raise SourceError(f"{self.spec}: none of the {len(self.clip_paths)} clips could be read")
        return items

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
