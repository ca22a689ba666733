"""The dataset output folder: what may be replaced, what a failed run removes, and I/O errors.

``generate --out DIR`` never deletes a file it did not make:

* an empty (or new) ``DIR`` is used as is;
* a non-empty ``DIR`` needs ``--overwrite``, and then only a PHI Phantom dataset is replaced: its
  ``manifest.json`` must say ``"generator": "phiphantom.synth"`` and list its files under
  ``dicom/`` and ``gt/masks/`` with safe relative paths. Only those files, the ground-truth
  files the generator writes (and its ``.part`` files) and emptied folders are removed. If
  ``DIR`` holds anything else (a file the manifest does not list, a symbolic link, anywhere in
  the tree), nothing is deleted and the run is refused: the user's files are never mixed into a
  new dataset nor removed;
* a run that fails removes what it wrote (its planned files, their ``.part`` files, the ground
  truth, folders it emptied), so no half dataset is left behind.

Operating-system errors on the output are reported as :class:`OutputError`: which operation
failed, where (the output folder the user named, never a generated file name: with
``--phi-filenames`` those carry the fake patient's name) and ``errno``'s name.
"""

from __future__ import annotations

import contextlib
import errno as errno_names
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from .config import ConfigError

GENERATOR_NAME = "phiphantom.synth"
MANIFEST = "manifest.json"
SOURCE_SKIPPED = "source_skipped.csv"
#: Files every dataset may hold besides those its manifest lists (relative POSIX paths).
GROUND_TRUTH_FILES = (
    MANIFEST, "quarantine.csv", SOURCE_SKIPPED,
    "gt/boxes.csv", "gt/tags.csv", "gt/identities.csv", "gt/coco.json",
    "gt/.coco-images.part", "gt/.coco-annotations.part",
)
TOP_FOLDERS = ("dicom", "gt")


class OutputError(RuntimeError):
    """Writing the dataset failed: ``operation`` on ``where`` with an OS error (message safe to show)."""

    SAFE_TO_SHOW = True   # no file name, no value: executors may pass the message on

    def __init__(self, operation: str, where: str, errno: int | None) -> None:
        super().__init__(operation, where, errno)
        self.operation, self.where, self.errno = operation, where, errno

    def __str__(self) -> str:
        return f"cannot {self.operation} ({self.where}): {errno_label(self.errno)}"


def errno_label(code: int | None) -> str:
    """``ENOSPC (No space left on device)``; the name and text of an errno, no path, no value."""
    if code is None:
        return "unknown OS error"
    return f"{errno_names.errorcode.get(code, f'errno {code}')} ({os.strerror(code)})"


@contextlib.contextmanager
def io_step(operation: str, where: Path | str) -> Iterator[None]:
    """Turn an ``OSError`` inside the block into an :class:`OutputError` naming ``operation``."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(operation, str(where), exc.errno) from None


# --------------------------------------------------------------------------- before the run


def prepare_output(out: Path, overwrite: bool) -> bool:
    """Make ``out`` ready for a new dataset; returns True if this call created the folder.

    Refuses (``ConfigError``, nothing deleted) a non-empty folder without ``overwrite``, and with
    ``overwrite`` anything but a PHI Phantom dataset holding only its own files.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output path exists and is not a folder: {out}")
    created = not out.exists()
    with io_step("create the output folder", out):
        out.mkdir(parents=True, exist_ok=True)
        existing = sorted(os.listdir(out))
    if not existing:
        return created
    if not overwrite:
        raise ConfigError(f"output folder {out} is not empty ({len(existing)} entries); "
                          "use --overwrite to replace a dataset")
    ours = dataset_files(out)
    with io_step("remove the previous dataset", out):
        for rel in sorted(ours):
            (out / rel).unlink(missing_ok=True)
        remove_empty_folders(out)
    return created


def dataset_files(out: Path) -> set[str]:
    """The files of the PHI Phantom dataset in ``out`` (relative POSIX paths), if that is all it holds.

    Raises ``ConfigError`` when ``out`` is not a dataset (no readable manifest saying it is ours,
    or a listed path that is not a plain relative path inside ``dicom/`` or ``gt/masks/``) or
    holds anything its manifest does not account for.
    """
    listed = _listed_files(out)
    ours = set(GROUND_TRUTH_FILES) | listed
    allowed = ours | {rel + ".part" for rel in ours}   # .part: what a killed run may leave
    present, unknown = set(), []
    for folder, dirs, files in os.walk(out):
        base = Path(folder)
        for name in files + [d for d in dirs if (base / d).is_symlink()]:
            rel = (base / name).relative_to(out).as_posix()
            if rel in allowed and not (base / name).is_symlink():
                present.add(rel)
            else:
                unknown.append(rel)
    if unknown:
        where = sorted({rel.split("/", 1)[0] + ("/" if "/" in rel else "") for rel in unknown})
        raise ConfigError(
            f"output folder {out} holds {len(unknown)} file(s) its manifest.json does not list "
            f"(in: {', '.join(where)}); refusing to overwrite, nothing was deleted. "
            "Move them away or choose another --out")
    return present


def _listed_files(out: Path) -> set[str]:
    """The DICOM and mask paths ``out/manifest.json`` lists, after checking it is a dataset of ours."""
    not_ours = (f"output folder {out} is not a PHI Phantom dataset ({{why}}); refusing to overwrite, "
                "nothing was deleted")
    path = out / MANIFEST
    if not path.is_file() or path.is_symlink():
        raise ConfigError(not_ours.format(why="no manifest.json"))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise ConfigError(not_ours.format(why="manifest.json is not readable JSON")) from None
    if not isinstance(manifest, dict) or manifest.get("generator") != GENERATOR_NAME:
        raise ConfigError(not_ours.format(why=f"manifest.json does not name {GENERATOR_NAME} as its generator"))
    files = manifest.get("files")
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise ConfigError(not_ours.format(why="manifest.json has no list of files"))
    listed = set()
    for entry in files:
        listed.add(_safe_relpath(entry.get("relpath"), "dicom/", ".dcm", not_ours))
        if entry.get("mask_relpath") is not None:
            listed.add(_safe_relpath(entry.get("mask_relpath"), "gt/masks/", ".npz", not_ours))
    return listed


def _safe_relpath(rel: object, prefix: str, suffix: str, not_ours: str) -> str:
    """``rel`` if it is a plain relative POSIX path under ``prefix`` ending in ``suffix``."""
    if not isinstance(rel, str) or "\\" in rel or "\0" in rel:
        raise ConfigError(not_ours.format(why="manifest.json lists a path that is not a string"))
    parts = PurePosixPath(rel).parts
    if (rel.startswith("/") or not rel.startswith(prefix) or not rel.endswith(suffix)
            or any(p in ("", ".", "..") for p in parts) or PurePosixPath(*parts).as_posix() != rel):
        raise ConfigError(not_ours.format(why=f"manifest.json lists a path outside {prefix}"))
    return rel


def remove_empty_folders(out: Path) -> None:
    """Remove the empty folders under ``out/dicom`` and ``out/gt`` (deepest first), and those two if empty."""
    for top in TOP_FOLDERS:
        root = out / top
        if not root.is_dir() or root.is_symlink():
            continue
        for folder, _, _ in sorted(os.walk(root), key=lambda item: -len(Path(item[0]).parts)):
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only succeeds when empty


# --------------------------------------------------------------------------- after a failed run


def remove_partial_output(out: Path, written: Iterable[str], created: bool) -> None:
    """Best effort: remove what a failed run may have written (``written`` plus their ``.part`` files).

    Never raises: the run's own error is the one to report.
    """
    for rel in set(written) | set(GROUND_TRUTH_FILES):
        for name in (rel, rel + ".part"):
            with contextlib.suppress(OSError):
                (out / name).unlink(missing_ok=True)
    remove_empty_folders(out)
    if created:
        with contextlib.suppress(OSError):
            out.rmdir()
