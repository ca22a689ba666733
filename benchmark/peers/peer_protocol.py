"""The line protocol between the benchmark and a peer adapter running in the peer's own venv.

Standard library only: adapters run under the peer's Python, where phiphantom is not installed;
they import this file as a sibling module (the adapter's folder is first on ``sys.path``).

An adapter script calls :func:`main` with a *loader* (called once, returns the tool state, e.g. a
loaded OCR model) and a *processor* ``process(state, src: Path, dst: Path)``. Then:

* ``python ADAPTER --describe`` prints one JSON object: tool, versions of the packages named in
  ``versions``, and the adapter's configuration (the report shows it verbatim);
* ``python ADAPTER --serve`` loads the tool, prints ``{"ready": true}``, then answers one JSON
  request per line (``{"src": PATH, "dst": PATH}``) with ``{"ok": true}`` or
  ``{"ok": false, "error": CLASSNAME}``. Nothing else is ever written to standard output (the
  tools' own prints are sent to standard error, which the benchmark discards: it may hold PHI);
* ``python ADAPTER IN_DIR OUT_DIR`` processes a folder tree into the same relative paths (for
  use by hand, without the benchmark).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _reply(channel, message: dict) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def serve(load: Callable[[], object], process: Callable[[object, Path, Path], None]) -> int:
    """Answer requests on stdin; the tool's own output goes to stderr, never into the protocol."""
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints (even from C code) go to stderr
    with contextlib.redirect_stdout(sys.stderr):
        state = load()
        _reply(channel, {"ready": True})
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            dst = Path(request["dst"])
            try:
                dst.parent.mkdir(parents=True, exist_ok=True)
                process(state, Path(request["src"]), dst)
                _reply(channel, {"ok": dst.is_file(), **({} if dst.is_file() else {"error": "NoOutput"})})
            except Exception as exc:  # noqa: BLE001 - the class name only: messages may quote values
                with contextlib.suppress(OSError):
                    dst.unlink()
                _reply(channel, {"ok": False, "error": type(exc).__name__})
    return 0


def run_folder(load, process, src: Path, dst: Path) -> int:
    state = load()
    failed = 0
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        out = dst / path.relative_to(src)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            process(state, path, out)
        except Exception as exc:  # noqa: BLE001 - report the class and go on
            failed += 1
            print(f"failed: {type(exc).__name__}", file=sys.stderr)
    return 1 if failed else 0


def main(tool: str, versions: tuple[str, ...], config: dict, load, process, argv: list[str] | None = None,
         program_versions: Callable[[], dict[str, str]] | None = None) -> int:
    """``versions`` names Python packages; ``program_versions`` reports system programs the tool runs."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--describe"]:
        found = {**package_versions(versions), **(program_versions() if program_versions else {})}
        print(json.dumps({"tool": tool, "versions": found, "config": config, "python": sys.version.split()[0]}))
        return 0
    if argv == ["--serve"]:
        return serve(load, process)
    if len(argv) == 2:
        return run_folder(load, process, Path(argv[0]), Path(argv[1]))
    print(f"usage: {Path(sys.argv[0]).name} --describe | --serve | IN_DIR OUT_DIR", file=sys.stderr)
    return 2
