"""Walking IN for ``phiphantom deid``: which entries are DICOM files, and a reason for every other.

Also how an input is named in the records (``file-NNNN``, or its path as printable text).

See "Walking IN" in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .outputs import describe_os_error


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both resolved)."""
    return path == folder or path.is_relative_to(folder)


def path_text(relpath: str) -> str:
    """A relative path as printable text (undecodable bytes in names become ``\\xNN``)."""
    return os.fsencode(relpath).decode("utf-8", "backslashreplace")


def redacted_name(index: int) -> str:
    """The stand-in for an input path in the records (unless ``--show-paths``): ``file-NNNN`` (1-based walk order)."""
    return f"file-{index + 1:04d}"


@dataclass
class InputEntry:
    """One thing found in IN: a DICOM file to process, or a row for errors.csv (``error`` set)."""

    index: int                              # position in walk order (file-NNNN is index + 1)
    relpath: str                            # relative to IN, "/"-separated
    error: tuple[str, str] | None = None    # (error_class, safe message) decided while walking


def sniff_part10(path: Path) -> str | None:
    """None when ``path`` starts with a 128-byte preamble and ``DICM``, else why it is not DICOM Part 10."""
    with open(path, "rb") as fh:
        head = fh.read(132)
    if not head:
        return "empty file"
    if len(head) < 132 or head[128:132] != b"DICM":
        return "not a DICOM Part 10 file (no 128-byte preamble followed by 'DICM')"
    return None


def _symlink_message(path: Path, root: Path) -> str:
    """Why a symlink is not followed, without its target's name."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "symbolic link not followed (dangling or looping)"
    if not is_within(target, root):
        return "symbolic link not followed (it points outside the input folder)"
    if target.is_dir():
        return ("symbolic link to a folder not followed (no loops; files inside the input folder are processed "
                "at their own path)")
    return "symbolic link not followed (a target inside the input folder is processed at its own path)"


def _classify(path: Path, relpath: str, root: Path) -> InputEntry:
    """An entry for a non-directory: symlink, special file, non-DICOM or DICOM."""
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            return InputEntry(0, relpath, ("SymlinkNotFollowed", _symlink_message(path, root)))
        if not stat.S_ISREG(mode):
            return InputEntry(0, relpath, ("NotARegularFile", "not a regular file (FIFO, socket, device): not opened"))
        why = sniff_part10(path)
    except OSError as exc:
        return InputEntry(0, relpath, (type(exc).__name__, f"cannot be read ({describe_os_error(exc)})"))
    return InputEntry(0, relpath, ("NotDicom", why) if why else None)


def collect_inputs(src: Path) -> tuple[Path, list[InputEntry]]:
    """The walk root and every entry under ``src`` (a file or a folder), sorted by the bytes of their paths.

    Folders are listed without following symlinks; an unlistable folder becomes an entry of its
    own (so it is reported, not silently missed). ``InputEntry.index`` is the position in this order.
    """
    src = Path(src)
    if not src.is_dir():
        target = src.resolve()  # named on the command line: a link given as IN is followed
        return target.parent, [_classify(target, target.name, target.parent)]
    root = src.resolve()
    entries: list[InputEntry] = []
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                children = list(it)
        except OSError as exc:
            entries.append(InputEntry(0, prefix.rstrip("/") or ".",
                                      (type(exc).__name__, f"folder cannot be listed ({describe_os_error(exc)})")))
            continue
        subfolders = []
        for child in children:
            relpath = prefix + child.name
            if child.is_dir(follow_symlinks=False):
                subfolders.append((Path(child.path), relpath + "/"))
            else:
                entries.append(_classify(Path(child.path), relpath, root))
        stack.extend(subfolders)
    entries.sort(key=lambda entry: os.fsencode(entry.relpath))
    for index, entry in enumerate(entries):
        entry.index = index
    return root, entries
