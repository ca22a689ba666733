"""GDCM's ``gdcmanon`` (Debian package libgdcm-tools) as a peer engine (header only).

``python peer_gdcmanon.py --describe | --serve | IN_DIR OUT_DIR`` (see peer_protocol.py); the venv
holds no packages, the tool is the system binary. Each file is de-identified with
``gdcmanon --de-identify`` (its PS3.15 E.1.1 Basic Application Level Confidentiality Profile), the
original attributes encrypted (AES-256) into the Encrypted Attributes Sequence with a random
passphrase made for this run and never written anywhere. gdcmanon does not clean pixels.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from peer_protocol import main

TOOL = "gdcmanon"
VERSIONS = ()
CONFIG = {"command": "gdcmanon --de-identify --password <random per run> -i IN -o OUT",
          "profile": "PS3.15 E.1.1 basic profile as implemented by GDCM (originals encrypted, AES-256)",
          "pixels": "not cleaned (gdcmanon does not clean pixels)"}


class GdcmanonFailed(RuntimeError):
    """gdcmanon exited non-zero (its messages are not kept: they may quote values)."""


def _binary() -> str:
    path = shutil.which("gdcmanon")
    if path is None:
        raise FileNotFoundError("gdcmanon is not on PATH: install the Debian package libgdcm-tools")
    return path


def tool_version() -> str:
    try:
        done = subprocess.run([_binary(), "--version"], capture_output=True, text=True, timeout=10)
        first = (done.stdout or done.stderr).strip().splitlines()[0]  # "gdcmanon: gdcm 3.0.21 $Date$"
        return first.split(": ", 1)[-1].replace("$Date$", "").strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        return "not installed"


def load() -> tuple[str, str]:
    return _binary(), secrets.token_hex(16)


def process(state: tuple[str, str], src: Path, dst: Path) -> None:
    binary, password = state
    done = subprocess.run([binary, "--de-identify", "--password", password, "-i", str(src), "-o", str(dst)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode != 0:
        raise GdcmanonFailed(f"exit status {done.returncode}")


if __name__ == "__main__":
    sys.exit(main(TOOL, VERSIONS, CONFIG, load, process, program_versions=lambda: {"gdcmanon": tool_version()}))
