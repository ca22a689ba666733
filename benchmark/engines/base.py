"""The one Engine protocol: the bundled engine, baselines and external tools all look like this.

An engine de-identifies one DICOM file at a time: ``process_file(src, dst)``
reads ``src`` and writes the de-identified file to ``dst`` (or to another
path it returns, e.g. when it renames files whose names carry PHI), or
raises. A tool that only works on whole folders sets ``per_folder = True`` and
implements ``process_folder(src_dir, dst_dir)`` instead; its outputs are then
expected at the same relative paths.

The harness (``phiphantom.benchmark.runner``) builds engines from a spec string
inside worker processes, calls ``start`` once per worker (timed as start-up /
model load), then ``process_file`` per file with a timeout. Exceptions and
timeouts become error rows; the run continues. ``src`` is a private copy of the dataset's
file (except for the built-in engines that only read): an engine that writes to, replaces
or deletes it gets an ``InputModified`` error row. An engine may also define
``worker_env() -> dict``: environment variables its own workers (forked or Dask) must have,
e.g. a run's ephemeral key; they are set in those workers only. ``$PHIPHANTOM_DEID_KEY`` is
removed from every other engine's forked workers and from every tool ``cmd:`` and peer engines run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from phiphantom.core.detections import Detection  # defined in core: deid writes the same boxes


class EngineError(RuntimeError):
    """An engine spec that cannot be built, or an engine that cannot start (message is safe to show)."""


@dataclass(frozen=True)
class EngineContext:
    """What an engine may know about the run."""

    data_dir: Path   # the oracle: the dataset root (gt/ is its point); any other engine: a folder without gt/
    work_dir: Path   # scratch space private to this engine


@dataclass
class FileResult:
    """What ``process_file`` may return (returning None means: output written at ``dst``)."""

    output_path: Path | None = None          # where the output was written, if not ``dst``
    detections: list[Detection] | None = None


@runtime_checkable
class Engine(Protocol):
    name: str
    per_folder: bool

    def describe(self) -> dict:
        """Name, version and configuration, for the report (no secrets, no PHI)."""

    def start(self, context: EngineContext) -> None:
        """Load models / open resources. Called once per worker before any file."""

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        """De-identify ``src`` into ``dst`` (parent folders exist). Raise on failure."""


@dataclass
class BaseEngine:
    """Convenience base: no-op start, per-file processing."""

    name: str = "engine"
    per_folder: bool = False
    config: dict = field(default_factory=dict)

    def describe(self) -> dict:
        from phiphantom.core import __version__

        return {"name": self.name, "version": __version__, "config": dict(self.config)}

    def start(self, context: EngineContext) -> None:
        self.context = context

    def process_file(self, src: Path, dst: Path) -> FileResult | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def process_folder(self, src_dir: Path, dst_dir: Path) -> None:  # pragma: no cover - per-folder engines only
        raise NotImplementedError
