"""The ``cmd:TEMPLATE`` engine: any command-line de-identification tool.

The template is split with :func:`shlex.split` and run without a shell.
Placeholders choose the mode:

* ``{in}`` / ``{out}`` -- per file: the tool runs once per file (the output's
  parent folder exists), e.g. ``cmd:mytool --input {in} --output {out}``;
* ``{in_dir}`` / ``{out_dir}`` -- per folder (``per_folder = True``): the tool
  runs once over the dataset's ``dicom/`` folder into the output's ``dicom/``
  folder and must keep relative paths, e.g. ``cmd:cp -r {in_dir}/. {out_dir}``.

The tool's standard output and error are discarded (they may hold PHI). A
non-zero exit raises :class:`CommandFailed`, whose message gives only the exit
status and the program name; the last lines of standard error are kept on
the exception (``stderr_tail``) for ``--include-phi`` debugging only.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .base import BaseEngine, EngineError, FileResult

FILE_PLACEHOLDERS = ("{in}", "{out}")
FOLDER_PLACEHOLDERS = ("{in_dir}", "{out_dir}")
VERSION_TIMEOUT_S = 5.0
_STDERR_TAIL_BYTES = 4000


class CommandFailed(EngineError):
    """The tool exited with a non-zero status (message: status and program name only)."""

    def __init__(self, program: str, returncode: int, stderr_tail: str = "") -> None:
        if returncode < 0:
            what = f"was killed by signal {-returncode}"
        else:
            what = f"exited with status {returncode}"
        super().__init__(f"{program} {what}")
        self.returncode = returncode
        self.stderr_tail = stderr_tail


def _uses(argv: list[str], placeholders: tuple[str, ...]) -> bool:
    return any(p in arg for arg in argv for p in placeholders)


@dataclass(kw_only=True)
class CommandEngine(BaseEngine):
    """Runs ``template`` (see the module docstring) per file or per folder."""

    template: str = ""
    name: str = "cmd"
    argv: list[str] = field(default_factory=list, init=False)
    _version: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            self.argv = shlex.split(self.template)
        except ValueError as exc:
            raise EngineError(f"cmd: cannot split the command template ({exc})") from None
        if not self.argv:
            raise EngineError("cmd: empty command template (expected e.g. 'cmd:mytool {in} {out}')")
        per_file, per_folder = _uses(self.argv, FILE_PLACEHOLDERS), _uses(self.argv, FOLDER_PLACEHOLDERS)
        if per_file == per_folder:
            raise EngineError("cmd: the template must use either {in} and {out} (per file) "
                              "or {in_dir} and {out_dir} (per folder)")
        self.per_folder = per_folder
        self.config = {"template": self.template, "mode": "per-folder" if per_folder else "per-file"}

    @property
    def program(self) -> str:
        """The program's name (no folders)."""
        return os.path.basename(self.argv[0])

    def describe(self) -> dict:
        description = super().describe()
        description["version"] = self.tool_version()
        return description

    def tool_version(self) -> str:
        """First line of ``program --version`` (best effort, 5 s), or ``"unknown"``."""
        if self._version is None:
            self._version = "unknown"
            try:
                done = subprocess.run([self.argv[0], "--version"], stdin=subprocess.DEVNULL,
                                      capture_output=True, text=True, timeout=VERSION_TIMEOUT_S)
                lines = (done.stdout or done.stderr).strip().splitlines()
                if done.returncode == 0 and lines:
                    self._version = lines[0][:200]
            except (OSError, subprocess.SubprocessError, UnicodeError):
                pass
        return self._version

    def _run(self, substitutions: dict[str, str]) -> None:
        argv = []
        for arg in self.argv:
            for placeholder, value in substitutions.items():
                arg = arg.replace(placeholder, value)
            argv.append(arg)
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        except OSError as exc:
            raise EngineError(f"cmd: cannot run {self.program} ({type(exc).__name__})") from None
        if done.returncode != 0:
            tail = done.stderr[-_STDERR_TAIL_BYTES:].decode("utf-8", "replace")
            raise CommandFailed(self.program, done.returncode, tail)

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        self._run({"{in}": str(src), "{out}": str(dst)})
        return None

    def process_folder(self, src_dir: Path, dst_dir: Path) -> None:
        self._run({"{in_dir}": str(src_dir), "{out_dir}": str(dst_dir)})
