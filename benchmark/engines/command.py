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
the exception (``stderr_tail``) for ``--include-phi`` debugging only. The tool
runs without ``$PHIPHANTOM_DEID_KEY`` in its environment, and in its worker's
process group: a file's timeout kills the tool and every child it started.

The tool is never run for anything but files unless asked: ``cmd,version:TEMPLATE``
also runs ``PROGRAM --version`` once (``cmd,version=ARGS:TEMPLATE`` runs
``PROGRAM ARGS``) for the report, in a session of its own, for at most
:data:`VERSION_TIMEOUT_S` seconds; then its whole process group is killed.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from phiphantom.deid.keys import KEY_ENV

from .base import BaseEngine, EngineError, FileResult

CMD_PREFIXES = ("cmd:", "cmd,")
FILE_PLACEHOLDERS = ("{in}", "{out}")
FOLDER_PLACEHOLDERS = ("{in_dir}", "{out_dir}")
VERSION_TIMEOUT_S = 5.0
_STDERR_TAIL_BYTES = 4000
NOT_PROBED = "not asked (cmd,version:TEMPLATE asks the tool)"


def parse_cmd_options(head: str) -> dict:
    """``cmd`` -> ``{}``; ``cmd,version`` -> ``--version``; ``cmd,version=ARGS`` -> ARGS (split like a shell)."""
    options: dict = {}
    for word in head.split(",")[1:]:
        name, eq, value = word.strip().partition("=")
        if name != "version":
            raise EngineError(f"cmd: unknown option {name!r} (known: version, version=ARGS)")
        try:
            options["version_args"] = shlex.split(value) if eq else ["--version"]
        except ValueError as exc:
            raise EngineError(f"cmd: cannot split the version arguments ({exc})") from None
        if not options["version_args"]:
            raise EngineError("cmd: version= needs arguments (e.g. cmd,version=-V:TEMPLATE)")
    return options


def _tool_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != KEY_ENV}


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


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
    version_args: list[str] | None = None  # None: never ask the tool for its version
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
        if self.version_args is not None:
            self.config["version_args"] = list(self.version_args)

    @property
    def program(self) -> str:
        """The program's name (no folders)."""
        return os.path.basename(self.argv[0])

    def describe(self) -> dict:
        description = super().describe()
        description["version"] = self.tool_version()
        return description

    def tool_version(self) -> str:
        """First line of ``program VERSION_ARGS`` when the spec asked for it, else :data:`NOT_PROBED`.

        Best effort, at most :data:`VERSION_TIMEOUT_S` s, in a new session; the probe's whole process
        group is killed afterwards (a tool that hangs or leaves children behind leaves nothing running).
        """
        if self._version is None:
            self._version = NOT_PROBED if self.version_args is None else self._probe_version()
        return self._version

    def _probe_version(self) -> str:
        try:
            process = subprocess.Popen([self.argv[0], *(self.version_args or ())], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_tool_env(),
                                       start_new_session=True)
        except OSError:
            return "unknown"
        try:
            out, err = process.communicate(timeout=VERSION_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            process.wait()
            for pipe in (process.stdout, process.stderr):  # both PIPE, never None
                if pipe is not None:
                    pipe.close()  # not read to the end: a child that left the group may hold them open
            return "unknown (the version probe timed out)"
        finally:
            _kill_group(process.pid)  # children it left behind (the group outlives its leader)
        lines = (out or err).decode("utf-8", "replace").strip().splitlines()
        return lines[0][:200] if process.returncode == 0 and lines else "unknown"

    def _run(self, substitutions: dict[str, str]) -> None:
        argv = []
        for arg in self.argv:
            for placeholder, value in substitutions.items():
                arg = arg.replace(placeholder, value)
            argv.append(arg)
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, env=_tool_env())
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
