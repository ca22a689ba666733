"""``openpocus:PATH`` — cines from a local copy of the OpenPOCUS lung-ultrasound collection.

Expected layout (see ``data/README.md``)::

    PATH/
      <patient folder>/
        processed_<...>_images_batch<...>.zip    # frames inside, read without extracting
        image_NNN_<patient>_zNN_frame_NNNNNN.jpg  # and/or loose frames (sub-folders allowed)

One cine per (patient, lung zone), its frames ordered by frame number. The
catalog is built from file names and zip directories only; nothing is decoded
until :meth:`OpenPocusSource.render`.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from .base import Colour, SourceError, SourceFrames, SourceRef
from .fit import choose_frames, fit_to_area, guess_probe, is_hidden, load_image, load_image_bytes, relative_posix

FRAME_NAME = re.compile(
    r"^image_(?P<counter>\d+)_(?P<patient>.+?)_z(?P<zone>\d+)_frame_(?P<frame>\d+)\.jpe?g$", re.IGNORECASE
)
ARCHIVE_NAME = re.compile(r"^processed_.*_images_batch.*\.zip$", re.IGNORECASE)


@dataclass(frozen=True)
class FrameLocation:
    """Where one frame's JPEG lives: a loose file (``member == ""``) or a zip member."""

    file: str            # relpath (POSIX) of the JPEG or of the zip archive
    member: str = ""     # name inside the zip archive


@dataclass(frozen=True)
class Cine:
    """All frames of one (patient, zone), in frame-number order."""

    item_id: str                          # "openpocus:<patient>/z<NN>"
    patient_dir: str                      # relpath of the patient folder
    zone: str                             # "zNN" as written in the file names
    frames: tuple[FrameLocation, ...]


class OpenPocusSource:
    """Frames from an OpenPOCUS-style tree of patient folders."""

    def __init__(self, path: str) -> None:
        self.spec = f"openpocus:{path}"
        self.root = Path(path).expanduser()
        if not self.root.is_dir():
            raise SourceError(f"openpocus source: {path!r} is not a folder")
        self.duplicate_frames = 0      # frames whose (patient, zone, frame number) was already seen
        self.cines = self._build_catalog(path)
        self._by_id = {cine.item_id: cine for cine in self.cines}

    # ------------------------------------------------------------------ catalog

    def _build_catalog(self, path: str) -> list[Cine]:
        """Group every frame found in the patient folders into (patient, zone) cines."""
        patient_dirs = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not patient_dirs:
            raise SourceError(
                f"openpocus source: {path!r} has no patient folders; expected "
                "PATH/<patient>/processed_*_images_batch*.zip or "
                "PATH/<patient>/image_NNN_<patient>_zNN_frame_NNNNNN.jpg"
            )
        groups: dict[tuple[str, str], dict[int, tuple[int, FrameLocation]]] = {}
        patient_of: dict[tuple[str, str], str] = {}
        for patient_dir in patient_dirs:
            dir_rel = relative_posix(patient_dir, self.root)
            for name, location in self._frames_in(patient_dir):
                match = FRAME_NAME.match(name)
                if match is None:
                    continue
                key = (match["patient"], match["zone"])
                patient_of.setdefault(key, dir_rel)
                frames = groups.setdefault(key, {})
                number, counter = int(match["frame"]), int(match["counter"])
                if number in frames:
                    self.duplicate_frames += 1
                    if frames[number][0] <= counter:
                        continue
                frames[number] = (counter, location)
        if not groups:
            raise SourceError(
                f"openpocus source: no frames named image_NNN_<patient>_zNN_frame_NNNNNN.jpg "
                f"in the patient folders under {path!r} (loose or in processed_*_images_batch*.zip)"
            )
        cines = [
            Cine(
                item_id=f"openpocus:{patient}/z{zone}",
                patient_dir=patient_of[(patient, zone)],
                zone=f"z{zone}",
                frames=tuple(loc for _, (_, loc) in sorted(frames.items())),
            )
            for (patient, zone), frames in groups.items()
        ]
        return sorted(cines, key=lambda cine: cine.item_id)

    def _frames_in(self, patient_dir: Path):
        """Yield ``(file name, location)`` for loose JPEGs and zip members under a patient folder."""
        for path in sorted(patient_dir.rglob("*")):
            rel = relative_posix(path, self.root)
            if is_hidden(rel) or not path.is_file():
                continue
            if ARCHIVE_NAME.match(path.name):
                yield from self._zip_members(path, rel)
            elif FRAME_NAME.match(path.name):
                yield path.name, FrameLocation(rel)

    @staticmethod
    def _zip_members(archive: Path, rel: str):
        """Yield ``(file name, location)`` for the frame JPEGs listed in one zip archive."""
        try:
            with zipfile.ZipFile(archive) as zf:
                names = zf.namelist()
        except (OSError, zipfile.BadZipFile) as exc:
            raise SourceError(f"cannot read zip archive {rel}: {type(exc).__name__}") from None
        for member in sorted(names):
            name = PurePosixPath(member).name
            if member.endswith("/") or member.startswith("__MACOSX/") or name.startswith("."):
                continue
            yield name, FrameLocation(rel, member)

    # ------------------------------------------------------------------ plan / render

    def plan(self, rng: np.random.Generator, cine: bool, n_frames: int) -> SourceRef:
        """Pick a (patient, zone) cine, then consecutive frames (cine) or one frame."""
        if n_frames < 1:
            raise ValueError("n_frames must be at least 1")
        chosen = self.cines[int(rng.integers(len(self.cines)))]
        indices = choose_frames(rng, len(chosen.frames), cine, n_frames)
        return SourceRef(
            source_id=chosen.item_id,
            relpath=chosen.patient_dir,
            frame_indices=indices,
            params=(("zone", chosen.zone),),
        )

    def render(self, ref: SourceRef, width: int, height: int, colour: Colour) -> SourceFrames:
        """Decode the ref's frames (from zips or loose files) and fit them to the image area."""
        cine = self._by_id.get(ref.source_id)
        if cine is None:
            raise SourceError(f"{ref.source_id} is not in {self.spec}")
        if any(not 0 <= i < len(cine.frames) for i in ref.frame_indices):
            raise SourceError(f"{ref.source_id} has {len(cine.frames)} frames; index out of range")
        raw = self._load_frames([cine.frames[i] for i in ref.frame_indices])
        frames, mask = fit_to_area(raw, width, height, colour)
        return SourceFrames(
            frames=frames,
            image_mask=mask,
            probe=guess_probe(mask),
            notes={"source_id": ref.source_id, "source_size": tuple(raw.shape[1:3])},
        )

    def _load_frames(self, locations: list[FrameLocation]) -> np.ndarray:
        """Decode frames in order, opening each zip archive once; all must share one size."""
        archives: dict[str, zipfile.ZipFile] = {}
        images: list[np.ndarray] = []
        try:
            for loc in locations:
                if not loc.member:
                    images.append(load_image(self.root / loc.file, label=loc.file))
                    continue
                if loc.file not in archives:
                    archives[loc.file] = _open_zip(self.root / loc.file, loc.file)
                label = f"{loc.file}:{loc.member}"
                try:
                    data = archives[loc.file].read(loc.member)
                except (KeyError, OSError, zipfile.BadZipFile) as exc:
                    raise SourceError(f"cannot read {label}: {type(exc).__name__}") from None
                images.append(load_image_bytes(data, label=label))
        finally:
            for zf in archives.values():
                zf.close()
        return np.stack(_same_size(images))


def _same_size(images: list[np.ndarray]) -> list[np.ndarray]:
    """Resize any frame whose size differs from the first one's (rare, but keeps stacking safe)."""
    h, w = images[0].shape[:2]
    return [img if img.shape[:2] == (h, w) else cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
            for img in images]


def _open_zip(path: Path, rel: str) -> zipfile.ZipFile:
    """Open a zip archive for reading or raise a :class:`SourceError` naming it."""
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceError(f"cannot read zip archive {rel}: {type(exc).__name__}") from None
