"""Generator configuration: one dataclass, parsed from CLI flags or a TOML file.

Every field that changes the *content* of a dataset is part of
:meth:`GenerateConfig.content_dict` (recorded in ``manifest.json`` and hashed
into the run id). Execution settings (``workers``, ``progress``,
``validate``) are not, so the same seed gives the same bytes however many
workers ran.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from phiphantom.core.executors import Executor, ExecutorError
from phiphantom.core.ground_truth import DEFAULT_PACK

DIFFICULTIES = ("easy", "realistic", "hard")

#: Latin-script Faker locales used by default (accents, hyphens, apostrophes occur).
DEFAULT_LOCALES = (
    "en_US", "en_GB", "en_IE", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR",
    "pl_PL", "sv_SE", "cs_CZ", "hu_HU", "tr_TR",
)

DEFAULT_SIZES = ((640, 480), (800, 600), (1024, 768))

#: The style packs a dataset is drawn from when ``--styles`` is not given.
DEFAULT_STYLES: tuple[str, ...] = (DEFAULT_PACK,)

MIN_SIZE = (160, 120)
MAX_SIZE = (1024, 768)


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message says which and why."""


def parse_range(text: str, name: str) -> tuple[int, int]:
    """Parse ``"MIN:MAX"`` (or a single ``"N"``) into a pair of ints, MIN <= MAX."""
    parts = str(text).split(":")
    try:
        if len(parts) == 1:
            lo = hi = int(parts[0])
        elif len(parts) == 2:
            lo, hi = int(parts[0]), int(parts[1])
        else:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{name} must look like MIN:MAX (integers), got {text!r}") from None
    if lo < 1 or hi < lo:
        raise ConfigError(f"{name} needs 1 <= MIN <= MAX, got {text!r}")
    return lo, hi


def parse_sizes(text: str) -> tuple[tuple[int, int], ...]:
    """Parse ``"640x480,800x600"`` into ((width, height), ...)."""
    sizes = []
    for item in str(text).split(","):
        item = item.strip().lower()
        if not item:
            continue
        w, sep, h = item.partition("x")
        try:
            size = (int(w), int(h))
        except ValueError:
            raise ConfigError(f"size must look like WIDTHxHEIGHT, got {item!r}") from None
        if not sep or not (MIN_SIZE[0] <= size[0] <= MAX_SIZE[0] and MIN_SIZE[1] <= size[1] <= MAX_SIZE[1]):
            raise ConfigError(
                f"size {item!r} out of range: width {MIN_SIZE[0]}..{MAX_SIZE[0]}, height {MIN_SIZE[1]}..{MAX_SIZE[1]}"
            )
        if size[0] == size[1]:
            raise ConfigError(f"size {item!r} is square; ultrasound screens are not (and square frames hide axis bugs)")
        sizes.append(size)
    if not sizes:
        raise ConfigError("at least one size is needed, e.g. 640x480")
    return tuple(sizes)


class StyleRef(NamedTuple):
    """A style pack as the ground truth names it: its name and version."""

    name: str
    version: str


def select_styles(styles: tuple[str, ...], exclude: tuple[str, ...] = ()) -> tuple[StyleRef, ...]:
    """The packs named by ``styles`` (``all``: every pack) less ``exclude``, in the registry's order.

    No ``styles`` but some ``exclude``: every pack less those. Raises :class:`ConfigError` naming an
    unknown pack (and listing the known ones), a pack file that does not validate, or when none is left.
    """
    from .styles import PackError, select

    try:
        packs = select(",".join(styles) or None, ",".join(exclude) or None)
    except PackError as exc:
        raise ConfigError(f"{exc} (phiphantom styles list shows the packs)") from None
    return tuple(StyleRef(p.name, p.version) for p in packs)


def _name_list(value: str | tuple[str, ...] | list[str], name: str) -> tuple[str, ...]:
    """``"a,b"`` or a sequence of names as a tuple of stripped, non-empty names."""
    items = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(x, str) for x in items):
        raise ConfigError(f"--{name} must be pack names (text), comma separated")
    return tuple(x.strip() for x in items if x.strip())


def _fraction(value: float, name: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1, got {value}")
    return value


@dataclass
class GenerateConfig:
    """Everything ``phiphantom generate`` needs. Defaults make a small realistic dataset."""

    out: Path = Path("phiphantom-data")
    patients: int = 10
    studies_per_patient: int = 1
    files_per_study: tuple[int, int] = (2, 4)
    cine_fraction: float = 0.3
    frames: tuple[int, int] = (10, 40)
    sizes: tuple[tuple[int, int], ...] = DEFAULT_SIZES
    source: str = "procedural"
    locales: tuple[str, ...] = DEFAULT_LOCALES
    difficulty: str = "realistic"
    jpeg_fraction: float = 0.2
    rgb_fraction: float = 0.5
    phi_filename_fraction: float = 0.0
    seed: int = 0
    styles: tuple[str, ...] = ()          # packs to draw from ("all": every pack; empty: DEFAULT_STYLES, or
    #                                       every pack when exclude_styles is set)
    exclude_styles: tuple[str, ...] = ()  # style packs left out
    # execution settings (do not change content)
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    validate: bool = True
    progress: bool = True
    executor: str = "local"          # local | dask (see executors.py)
    scheduler: str | None = None     # Dask scheduler address (None: a LocalCluster of `workers`)

    EXECUTION_FIELDS = ("out", "workers", "validate", "progress", "executor", "scheduler")

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if isinstance(self.files_per_study, str):
            self.files_per_study = parse_range(self.files_per_study, "files-per-study")
        if isinstance(self.frames, str):
            self.frames = parse_range(self.frames, "frames")
        if isinstance(self.sizes, str):
            self.sizes = parse_sizes(self.sizes)
        if isinstance(self.locales, str):
            self.locales = tuple(x.strip() for x in self.locales.split(",") if x.strip())
        self.files_per_study = tuple(int(x) for x in self.files_per_study)  # type: ignore[assignment]
        self.frames = tuple(int(x) for x in self.frames)  # type: ignore[assignment]
        self.sizes = tuple((int(w), int(h)) for w, h in self.sizes)
        self.locales = tuple(self.locales)
        self.styles = _name_list(self.styles, "styles")
        self.exclude_styles = _name_list(self.exclude_styles, "exclude-styles")
        self.validate_values()

    def validate_values(self) -> None:
        """Raise :class:`ConfigError` for any unusable value."""
        for name in ("patients", "studies_per_patient", "workers"):
            value = getattr(self, name)
            try:
                if isinstance(value, bool):
                    raise TypeError
                value = operator.index(value)   # ints (numpy's too); not "4", 2.5 or true from a TOML file
            except TypeError:
                raise ConfigError(f"--{name.replace('_', '-')} must be a whole number, got {value!r}") from None
            setattr(self, name, value)
            if value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
        if self.patients > 99999:
            raise ConfigError("patients must be <= 99999")
        parse_range(f"{self.files_per_study[0]}:{self.files_per_study[1]}", "files-per-study")
        lo, hi = parse_range(f"{self.frames[0]}:{self.frames[1]}", "frames")
        try:
            self.execution()
        except ExecutorError as exc:
            raise ConfigError(str(exc)) from None
        if lo < 2:
            raise ConfigError("a cine needs at least 2 frames: use --frames 2:N or more")
        if hi > 1000:
            raise ConfigError("frames MAX must be <= 1000")
        parse_sizes(",".join(f"{w}x{h}" for w, h in self.sizes))
        for name in ("cine_fraction", "jpeg_fraction", "rgb_fraction", "phi_filename_fraction"):
            setattr(self, name, _fraction(getattr(self, name), name.replace("_", "-")))
        if self.difficulty not in DIFFICULTIES:
            raise ConfigError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {self.difficulty!r}")
        if not self.locales:
            raise ConfigError("at least one Faker locale is needed")
        from faker.config import AVAILABLE_LOCALES

        unknown = [loc for loc in self.locales if loc not in AVAILABLE_LOCALES]
        if unknown:
            raise ConfigError(f"unknown Faker locale(s): {', '.join(unknown)}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError("seed must be a non-negative integer")
        self.style_packs()  # unknown or no packs: a clear error now, not in a worker

    def style_packs(self) -> tuple[StyleRef, ...]:
        """The style packs (name, version) the dataset is drawn from, in name order.

        Raises :class:`ConfigError` for an unknown pack name or when ``exclude_styles`` leaves none.
        """
        default = () if self.exclude_styles else DEFAULT_STYLES
        return select_styles(self.styles or default, self.exclude_styles)

    # -- serialisation ---------------------------------------------------
    def execution(self) -> Executor:
        return Executor(self.executor, self.scheduler, int(self.workers))

    def content_dict(self) -> dict[str, Any]:
        """The settings that determine the dataset's content (JSON-ready)."""
        data = asdict(self)
        for key in self.EXECUTION_FIELDS:
            data.pop(key, None)
        data["files_per_study"] = list(self.files_per_study)
        data["frames"] = list(self.frames)
        data["sizes"] = [f"{w}x{h}" for w, h in self.sizes]
        data["locales"] = list(self.locales)
        for key in ("styles", "exclude_styles"):  # absent when not set: an older dataset keeps its run id
            if data[key]:
                data[key] = list(data[key])
            else:
                del data[key]
        return data

    def run_id(self) -> str:
        """Deterministic id of this content configuration (same config => same id)."""
        blob = json.dumps(self.content_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> GenerateConfig:
        """Load a TOML file (keys as the CLI flags, ``-`` or ``_``), then apply overrides."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        raw = raw.get("generate", raw)
        known = {f.name for f in fields(cls)}
        aliases = {"size": "sizes", "jpeg": "jpeg_fraction", "phi_filenames": "phi_filename_fraction"}
        data: dict[str, Any] = {}
        for key, value in raw.items():
            name = aliases.get(key.replace("-", "_"), key.replace("-", "_"))
            if name not in known or name == "EXECUTION_FIELDS":
                raise ConfigError(f"unknown key {key!r} in {path}")
            data[name] = value
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**data)
        except ConfigError:
            raise
        except (TypeError, ValueError) as exc:  # e.g. patients = "ten": a clear error, not a traceback
            raise ConfigError(f"config file {path}: a value has the wrong type ({exc})") from None
