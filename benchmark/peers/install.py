"""``phiphantom peers install``: one virtual environment per peer, from PyPI, with pinned versions.

Layout under the peers home (``--home``, else ``$PHIPHANTOM_PEERS_HOME``, else
``~/.cache/phiphantom/peers``)::

    <home>/<name>/venv/          the peer's venv
    <home>/<name>/peer.json      pins, the adapter's --describe output, install time
    <home>/<name>.install.log    pip's output of the last attempt

``peer.json`` is written only when pip succeeded and the adapter answered ``--describe``; a failed
install puts the previous one (or nothing) back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .catalog import Peer

HOME_ENV = "PHIPHANTOM_PEERS_HOME"
INFO_FILE = "peer.json"
#: Offline switches passed to every peer process: nothing may be fetched at run time.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PIP_NO_INDEX": "1", "TQDM_DISABLE": "1"}
#: Seed for peers with random pseudonyms (dicognito): every worker of a run, and every run, agrees,
#: as one process of the tool would within a run. A benchmark constant, not a secret.
SEED_ENV = "PHIPHANTOM_PEER_SEED"
BENCH_SEED = "phiphantom-benchmark"


class PeerInstallError(RuntimeError):
    """An install that did not complete (the message says which step, and where the log is)."""


def peers_home(home: Path | None = None) -> Path:
    if home is not None:
        return Path(home).expanduser()
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "phiphantom" / "peers"


@dataclass(frozen=True)
class Installed:
    peer: Peer
    root: Path
    info: dict

    @property
    def python(self) -> Path:
        return venv_python(self.root / "venv")

    def command(self, *args: str) -> list[str]:
        return [str(self.python), str(self.peer.adapter_path), *args]


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def peer_env() -> dict[str, str]:
    return {**os.environ, **OFFLINE_ENV, SEED_ENV: os.environ.get(SEED_ENV, BENCH_SEED)}


def find_installed(peer: Peer, home: Path | None = None) -> Installed | None:
    """The peer's install when it is complete and matches the current pins, else None."""
    root = peers_home(home) / peer.name
    try:
        info = json.loads((root / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if info.get("requirements") != list(peer.requirements) or info.get("constraints_sha256") != _constraints_sha(peer) \
            or not venv_python(root / "venv").exists():
        return None
    return Installed(peer, root, info)


def _constraints_sha(peer: Peer) -> str | None:
    path = peer.constraints_path
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else None


def missing_programs(peer: Peer) -> list[str]:
    return [p for p in peer.system_programs if shutil.which(p) is None]


def describe_peer(python: Path, peer: Peer, timeout_s: float = 120.0) -> dict:
    """Run the adapter's ``--describe`` under ``python``; its JSON answer."""
    done = subprocess.run([str(python), str(peer.adapter_path), "--describe"], capture_output=True, text=True,
                          timeout=timeout_s, env=peer_env(), stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise PeerInstallError(f"{peer.name}: the adapter did not start (exit {done.returncode}): "
                               f"{done.stderr.strip().splitlines()[-1:] or ''}")
    return json.loads(done.stdout)


def install(peer: Peer, home: Path | None = None, *, force: bool = False, python: str = sys.executable,
            say: Callable[[str], None] = lambda _: None) -> Installed:
    """Build (or keep, when complete and current) the peer's venv; raise :class:`PeerInstallError`."""
    missing = missing_programs(peer)
    if missing:
        raise PeerInstallError(f"{peer.name}: {', '.join(missing)} not found on PATH ({peer.system_hint})")
    current = find_installed(peer, home)
    if current is not None and not force:
        say(f"{peer.name}: already installed ({current.root})")
        return current
    root = peers_home(home) / peer.name
    root.parent.mkdir(parents=True, exist_ok=True)
    # venvs hold absolute paths, so the new one is built in its final place; the old one waits
    # aside and comes back if anything fails. peer.json is written last: it marks completion.
    old = root.parent / f".{peer.name}.old-{os.getpid()}"
    if root.exists():
        root.rename(old)
    log_path = root.parent / f"{peer.name}.install.log"
    try:
        root.mkdir()
        with log_path.open("w", encoding="utf-8") as log:
            say(f"{peer.name}: creating a virtual environment")
            _run([python, "-m", "venv", str(root / "venv")], log, peer, "venv", log_path)
            if peer.requirements:
                say(f"{peer.name}: pip install {' '.join(peer.requirements)}")
                constraints = ["-c", str(peer.constraints_path)] if peer.constraints_path is not None else []
                _run([str(venv_python(root / "venv")), "-m", "pip", "install", "--disable-pip-version-check",
                      "--no-input", *constraints, *peer.requirements], log, peer, "pip install", log_path)
        described = describe_peer(venv_python(root / "venv"), peer)
        info = {"name": peer.name, "requirements": list(peer.requirements), "describe": described,
                "constraints_sha256": _constraints_sha(peer),
                "installed_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "python": described.get("python", "")}
        (root / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        if old.exists():
            old.rename(root)
        raise
    shutil.rmtree(old, ignore_errors=True)
    installed = find_installed(peer, home)
    if installed is None:
        raise PeerInstallError(f"{peer.name}: the install at {root} did not verify")
    say(f"{peer.name}: installed ({root}; pip log {log_path})")
    return installed


def _run(argv: list[str], log, peer: Peer, step: str, log_path: Path) -> None:
    log.flush()
    done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise PeerInstallError(f"{peer.name}: {step} failed (exit {done.returncode}); see {log_path}")
