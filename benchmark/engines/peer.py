"""``peer:NAME`` (or just ``NAME``): a peer tool installed by ``phiphantom peers install``.

Each benchmark worker starts the peer's adapter once (``--serve``, under the peer venv's Python)
and sends it one file at a time over its standard input; the tool's model loading is its start-up
cost, as for any engine. The adapter's standard error is discarded (it may quote PHI), and it runs
without ``$PHIPHANTOM_DEID_KEY``. A file the
tool cannot process raises :class:`PeerFileFailed` with the exception class the tool raised, so the
report shows *why* it has no output; a hang is the runner's per-file timeout, which kills the
worker's process group and with it the adapter.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from phiphantom.deid.keys import KEY_ENV

from ..peers.catalog import get_peer
from ..peers.install import Installed, find_installed, peer_env
from .base import BaseEngine, EngineContext, EngineError, FileResult

PEER_PREFIX = "peer:"


class PeerFileFailed(EngineError):
    """The peer tool raised on this file (message: the tool's exception class only)."""


@dataclass(kw_only=True)
class PeerEngine(BaseEngine):
    peer_name: str = ""
    home: Path | None = None
    _process: subprocess.Popen[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            self.peer = get_peer(self.peer_name)
        except KeyError as exc:
            raise EngineError(str(exc.args[0])) from None
        installed = find_installed(self.peer, self.home)
        if installed is None:
            raise EngineError(f"peer {self.peer_name!r} is not installed (or its pins changed): "
                              f"run `phiphantom peers install {self.peer_name}`")
        self.installed: Installed = installed
        if self.name in ("engine", ""):
            self.name = self.peer_name
        described = self.installed.info.get("describe", {})
        self.config = {"tool": described.get("tool", self.peer_name), "config": described.get("config", {}),
                       "requirements": list(self.peer.requirements), "cleans_pixels": self.peer.cleans_pixels}

    def describe(self) -> dict:
        description = super().describe()
        versions = self.installed.info.get("describe", {}).get("versions", {})
        description["version"] = ", ".join(f"{k} {v}" for k, v in versions.items()) or "unknown"
        description["python"] = self.installed.info.get("python", "")
        return description

    def start(self, context: EngineContext) -> None:
        self._process = subprocess.Popen(
            self.installed.command("--serve"), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=context.work_dir, text=True, bufsize=1,
            env={name: value for name, value in peer_env().items() if name != KEY_ENV})  # no tool sees the key
        answer = self._answer(self._process)
        if not answer.get("ready"):
            raise EngineError(f"peer {self.peer_name}: the adapter did not become ready")

    def _answer(self, process: subprocess.Popen[str]) -> dict:
        assert process.stdout is not None  # started with stdout=PIPE
        line = process.stdout.readline()
        if not line:
            code = process.poll()
            raise EngineError(f"peer {self.peer_name}: the adapter exited"
                              + (f" with status {code}" if code is not None else ""))
        return json.loads(line)

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        process = self._process
        if process is None:
            raise EngineError(f"peer {self.peer_name}: not started")
        assert process.stdin is not None  # started with stdin=PIPE
        try:
            process.stdin.write(json.dumps({"src": str(src), "dst": str(dst)}) + "\n")
            process.stdin.flush()
        except BrokenPipeError:
            raise EngineError(f"peer {self.peer_name}: the adapter is gone") from None
        answer = self._answer(process)
        if not answer.get("ok"):
            raise PeerFileFailed(f"{self.peer_name} failed on this file ({answer.get('error', 'unknown error')})")
        return None

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None  # started with stdin=PIPE
            self._process.stdin.close()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
