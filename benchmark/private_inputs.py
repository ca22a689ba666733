"""Engines never touch the dataset: private input copies and the dataset's fingerprints.

Every engine except the built-in in-process ones (which only read) gets a private copy of each
input: a per-file engine one file at a time in its worker (deleted after the file; in a memory-backed
folder when the machine has one with room, :func:`memory_scratch`), a per-folder engine a copy of the
dataset's ``dicom/`` tree. Copies are reflinks where the file system has them
(btrfs, XFS, bcachefs: no data is copied), else ``copy_file_range`` (an in-kernel copy; NFS and
some others copy server-side), else a plain copy. Hard links are no protection: the bench often
runs as root, and truncating through a hard link truncates the dataset's own file.

A file's :func:`fingerprint` is its inode, size, modification and change times. The kernel sets
the change time (ctime) on every write, truncation, chmod or link; user space cannot set it back.
So a fingerprint that differs after an engine ran means the file was written, replaced or
deleted, and checking the fingerprints costs one ``stat`` per file instead of hashing the dataset.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

FICLONE = 0x40049409  # linux/fs.h _IOW(0x94, 9, int)
_NO_CLONE = {errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EBADF, errno.EPERM}

Fingerprint = tuple[int, int, int, int]

#: Memory-backed folders for a per-file engine's copies, first usable first (tmpfs: a copy costs no disk
#: writes, no journal and no write-back; see :func:`memory_scratch`)
MEMORY_FOLDERS: tuple[str, ...] = ("/dev/shm",)
#: Free space a memory-backed folder keeps: copies take at most half of it, and this much stays free
MEMORY_HEADROOM = 256 * 1024 * 1024


def memory_scratch(need: int) -> Path | None:
    """A new private folder (mode 0700) for ``need`` bytes of copies in the first :data:`MEMORY_FOLDERS`
    folder that is writable and has room for them (at most half its free space, :data:`MEMORY_HEADROOM`
    left); None when there is none (not Linux, a small or full tmpfs). The caller deletes it.

    On ext4 a copy written and deleted per file costs far more than the copy: its pages are written back
    and the file system journals the blocks freed; 201 stills of 0.5 MB took 2.4-3 ms a file longer with
    copies under the results folder, 0.45 ms with them in /dev/shm (docs/benchmark.md)."""
    for folder in MEMORY_FOLDERS:
        try:
            if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
                continue
            stats = os.statvfs(folder)
            free = stats.f_bavail * stats.f_frsize
            if need > min(free // 2, free - MEMORY_HEADROOM):
                continue
            return Path(tempfile.mkdtemp(prefix="phiphantom-bench-", dir=folder))
        except OSError:
            continue
    return None


def fingerprint(path: Path) -> Fingerprint | None:
    """(inode, size, mtime_ns, ctime_ns) of ``path`` (not following a final symlink), or None if it is gone."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def fingerprints(root: Path, relpaths: list[str]) -> dict[str, Fingerprint | None]:
    return {relpath: fingerprint(Path(root) / relpath) for relpath in relpaths}


def changed(root: Path, before: dict[str, Fingerprint | None]) -> list[str]:
    """The relpaths whose fingerprint is no longer the one in ``before`` (written, replaced or removed)."""
    return [relpath for relpath, fp in before.items() if fingerprint(Path(root) / relpath) != fp]


def _clone(src_fd: int, dst_fd: int) -> bool:
    if fcntl is None:
        return False
    try:
        fcntl.ioctl(dst_fd, FICLONE, src_fd)
        return True
    except OSError as exc:
        if exc.errno in _NO_CLONE:
            return False
        raise


def _copy_range(src_fd: int, dst_fd: int, size: int) -> bool:
    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is None:
        return False
    done = 0
    try:
        while done < size:
            n = copy_file_range(src_fd, dst_fd, min(size - done, 1 << 30))
            if n == 0:
                break
            done += n
    except OSError as exc:
        if done == 0 and exc.errno in _NO_CLONE:
            return False
        raise
    return True


def private_copy(src: Path, dst: Path) -> Fingerprint:
    """Copy ``src`` to a new file ``dst`` (parents made): a reflink if possible; returns the copy's fingerprint."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        size = os.fstat(fin.fileno()).st_size
        if not _clone(fin.fileno(), fout.fileno()) and not _copy_range(fin.fileno(), fout.fileno(), size):
            shutil.copyfileobj(fin, fout, 1 << 20)
    fp = fingerprint(dst)
    assert fp is not None
    return fp


def copy_tree(root: Path, relpaths: list[str], dest: Path) -> dict[str, Fingerprint]:
    """Private copies of ``root/relpath`` at ``dest/relpath``; returns each copy's fingerprint."""
    return {relpath: private_copy(Path(root) / relpath, Path(dest) / relpath) for relpath in relpaths}
