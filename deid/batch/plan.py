"""The request of a ``phiphantom deid`` run, checked, and its plan: everything the supervisor and (through
fork) the workers need, with the keyed hashes that tell runs of other keys or settings apart.

See "Resume" in the docstring of :mod:`phiphantom.deid.batch`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import DeidConfig
from ..header_deid import DeidOptions
from ..option_settings import CLI_SPELLING, option_settings
from ..pixels.config import PixelConfig
from .inputs import InputEntry, is_within, path_text, redacted_name
from .outputs import STAGING_DIRNAME

PROFILES = ("basic",)


class BatchUsageError(ValueError):
    """A problem with the request itself (paths, key, options): nothing was processed. CLI exit status 2."""


def _keyed_hash(key: bytes, domain: str, text: str) -> str:
    return hmac.new(key, f"{domain}\x1f{text}".encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


# -- the request ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything the supervisor and (through fork) the workers need for one run."""

    root: Path
    out_dir: Path
    config: DeidConfig
    version: str
    fingerprint: str            # keyed hash of key + settings: state records of other settings never match
    want_mapping: bool
    show_paths: bool            # relative input paths in the records (else file-NNNN)
    timeout_s: float
    include_text: bool = False
    key_check: str = ""         # keyed hash of a constant: tells another key apart on --resume
    settings: dict = field(default_factory=dict)   # the settings behind ``fingerprint``, in clear (no secrets)
    lock_fd: int = -1           # OUT's lock, held by the supervisor; forked workers close their copy
    run_id: str = ""            # this run's folder under the staging folder (see ``staging``)

    @property
    def staging(self) -> Path:
        """Where workers write: a folder of this run's own, so a worker left over from a killed run (it lives
        until it sees its supervisor gone) can never write into, or unlink from, the next run's files."""
        return self.out_dir / STAGING_DIRNAME / self.run_id if self.run_id else self.out_dir / STAGING_DIRNAME

    def input_id(self, relpath: str) -> str:
        """A keyed hash of an input path: what the state file stores instead of the path."""
        return _keyed_hash(self.config.key, "input-path", relpath)

    def shown(self, entry: InputEntry) -> str:
        """The input path as written to errors.csv, audit.jsonl and detections.csv (``file-NNNN`` unless asked)."""
        return path_text(entry.relpath) if self.show_paths else redacted_name(entry.index)


def parse_safe_private(path: Path) -> frozenset[tuple[str, int]]:
    """``creator,offset`` rows (offset: the element's low byte in hex, e.g. ``10`` or ``0x10``; header optional)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchUsageError(f"cannot read the safe-private list {path} ({type(exc).__name__})") from None
    pairs = set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not "".join(row).strip() or row[0].strip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() == "creator":
            continue
        try:
            creator, offset = row[0].strip(), int(row[1].strip(), 16)
        except (IndexError, ValueError):
            raise BatchUsageError(f"{path}, line {number}: expected 'creator,offset' with a hex offset") from None
        if not creator or not 0 <= offset <= 0xFF:
            raise BatchUsageError(f"{path}, line {number}: empty creator or offset outside 00-FF")
        pairs.add((creator, offset))
    return frozenset(pairs)


def check_paths(src: Path, out: Path, mapping_out: Path | None, key_out: Path | None, resume: bool) -> None:
    """Refuse OUT inside IN (or IN inside OUT) and secrets inside either (a non-empty OUT: :func:`_check_out`)."""
    if not src.exists():
        raise BatchUsageError(f"input not found: {src}")
    in_r, out_r = src.resolve(), out.resolve()
    if src.is_dir() and is_within(out_r, in_r):
        raise BatchUsageError("the output folder lies inside the input folder: choose an OUT outside IN")
    if is_within(in_r, out_r):
        raise BatchUsageError("the input lies inside the output folder: choose an OUT outside IN")
    if out.exists() and not out.is_dir():
        raise BatchUsageError(f"the output path exists and is not a folder: {out}")
    for flag, path in (("--mapping-out", mapping_out), ("--write-ephemeral-key", key_out)):
        if path is None:
            continue
        p = Path(path).resolve()
        if is_within(p, out_r) or (src.is_dir() and is_within(p, in_r)):
            raise BatchUsageError(f"{flag} must not be inside the input or the output folder (it holds secrets)")
        if p.is_dir():
            raise BatchUsageError(f"{flag} is a folder: {path}")
    if key_out is not None and Path(key_out).exists():
        raise BatchUsageError(f"--write-ephemeral-key will not overwrite an existing file: {key_out}")
    if mapping_out is not None and Path(mapping_out).exists() and not resume:
        raise BatchUsageError(f"--mapping-out exists already: {mapping_out} (with --resume it is merged)")


def checked_options(profile: str, options: Iterable[str], safe_private: Path | str | frozenset | None,
             date_shift_range: tuple[int, int] | None) -> DeidOptions:
    """Validated :class:`DeidOptions` (usage errors for unknown names and settings without their option)."""
    if profile not in PROFILES:
        raise BatchUsageError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    names, settings = option_settings(
        options, safe_private, date_shift_range, spelled=CLI_SPELLING, error=BatchUsageError,
        read_safe_private=lambda sp: (frozenset(sp) if isinstance(sp, (set, frozenset))
                                      else parse_safe_private(Path(sp))))
    try:
        return DeidOptions(options=names, **settings)
    except ValueError as exc:
        raise BatchUsageError(str(exc)) from None


def run_settings(options: DeidOptions, layout: str, profile: str, version: str, pixels: PixelConfig | None,
              recompress: str | None = None) -> dict:
    """The settings that change outputs (no secret among them)."""
    return {"options": sorted(options.options), "safe_private": sorted(options.safe_private),
            "date_shift_range": list(options.date_shift_range), "layout": layout, "profile": profile,
            "version": version, "pixels": None if pixels is None else repr(pixels), "recompress": recompress}


def settings_fingerprint(key: bytes, options: DeidOptions, layout: str, profile: str, version: str,
                 pixels: PixelConfig | None = None, recompress: str | None = None) -> str:
    """Keyed hash of the settings that change outputs (the state of another key or setting never matches)."""
    settings = run_settings(options, layout, profile, version, pixels, recompress)
    return _keyed_hash(key, "settings", json.dumps(settings, sort_keys=True))[:32]


def key_check_value(key: bytes) -> str:
    """A keyed hash of a constant: equal for equal keys, says nothing about the key."""
    return _keyed_hash(key, "key-check", "phiphantom-deid")[:16]
