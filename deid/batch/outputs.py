"""The output folder of a ``phiphantom deid`` run: the names of the runner's files in it, creating and
locking it for the run, removing a temporary file, and saying what an operating-system error was
without quoting anything from a file.

See "Writing OUT" in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

LOCK_FILENAME = ".phiphantom-deid.lock"
ERRORS_FILENAME = "errors.csv"
AUDIT_FILENAME = "audit.jsonl"
DETECTIONS_FILENAME = "detections.csv"
STATE_FILENAME = ".phiphantom-deid-state.jsonl"
STAGING_DIRNAME = ".phiphantom-deid-tmp"
#: Names an output may not start with: the runner's own files in OUT.
RESERVED_NAMES = frozenset({ERRORS_FILENAME, AUDIT_FILENAME, DETECTIONS_FILENAME, STATE_FILENAME, STAGING_DIRNAME,
                            LOCK_FILENAME})


class OutUnavailable(Exception):
    """OUT cannot be used for this run (cannot be created or written, or another run holds it)."""


class RunAborted(Exception):
    """The run stopped part way because a record in OUT could not be written (message safe to show)."""


def describe_os_error(exc: OSError) -> str:
    """``ENOSPC: No space left on device``: the errno name and the system's text, never a path or value."""
    code = getattr(exc, "errno", None)
    if not code:
        return type(exc).__name__
    return f"{errno.errorcode.get(code, f'errno {code}')}: {os.strerror(code)}"


def unlink_quietly(path: Path | str | None) -> None:
    """Remove a (temporary) file if there is one; a file already gone or not removable is left to the run's cleanup."""
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


@contextlib.contextmanager
def records_step(what: str):
    """Turn an OSError while writing a run record into :class:`RunAborted` naming the operation."""
    try:
        yield
    except OSError as exc:
        raise RunAborted(f"could not {what} ({describe_os_error(exc)}); the run stopped. Outputs moved into "
                         "place so far are kept; fix the cause and run again with --resume") from None


class OutLock:
    """An advisory lock on OUT, held for a whole run: ``flock`` on ``OUT/.phiphantom-deid.lock``.

    A second run into the same OUT fails at once instead of interleaving its records with the first
    one's. The kernel drops the lock when the holding process ends, however it ends (a SIGKILLed
    run does not block the next one); worker processes close their inherited descriptor so that
    only the supervisor holds it. The lock file stays in OUT after a run (it holds the pid of the
    run that last held it); a run refused before writing anything removes it again if it made it.
    After locking, a run checks that the file it locked is still the one in OUT (else retries).
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.fd = -1
        self.created = False        # OUT was made by this run
        self.made_file = False      # the lock file was made by this run

    @property
    def path(self) -> Path:
        return self.out / LOCK_FILENAME

    def acquire(self) -> None:
        """Create OUT if needed and lock it; :class:`OutUnavailable` when that fails or another run holds it."""
        self.created = not self.out.exists()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutUnavailable(f"cannot create the output folder {self.out} ({describe_os_error(exc)})") from None
        for _ in range(10):
            fd = self._open()
            self._lock(fd)
            try:  # the file may have been removed (a refused run cleaning up) between our open and our lock
                same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
            except OSError:
                same = False
            if same:
                break
            os.close(fd)
        else:
            raise OutUnavailable(f"cannot lock the output folder {self.out}: its lock file keeps being replaced")
        self.fd = fd
        try:  # the pid is only for the message of a run that finds OUT locked
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError:
            pass

    def _open(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            self.made_file = True
            return fd
        except FileExistsError:
            pass
        except OSError as exc:
            self._undo()
            raise OutUnavailable(f"cannot write in the output folder {self.out}: creating its lock file failed "
                                 f"({describe_os_error(exc)})") from None
        try:
            return os.open(self.path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise OutUnavailable(f"cannot open the lock file of the output folder {self.out} "
                                 f"({describe_os_error(exc)})") from None

    def _lock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                who = f" (process {holder})" if holder else ""
                raise OutUnavailable(f"another phiphantom deid run{who} is writing to {self.out}: wait until it "
                                     "has finished (then --resume continues there), or choose another OUT") from None
            raise OutUnavailable(f"cannot lock the output folder {self.out} ({describe_os_error(exc)})") from None

    def _undo(self) -> None:
        """Remove what :meth:`acquire` made: the lock file if this run made it, OUT if this run made it."""
        if self.made_file:
            with contextlib.suppress(OSError):
                self.path.unlink()
        if self.created:
            with contextlib.suppress(OSError):
                self.out.rmdir()

    def abandon(self) -> None:
        """Release the lock of a run refused before it wrote anything; remove the lock file and OUT if this run
        made them (unlinked while still held, so a run waiting on the old file finds it replaced and retries)."""
        self._undo()
        self.release()

    def release(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    def close_inherited(self) -> None:
        """In a forked worker: close the copy of the descriptor (the supervisor's lock stays held)."""
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
