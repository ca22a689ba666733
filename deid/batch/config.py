"""What a ``phiphantom deid`` run is asked to do, grouped by concept: what to de-identify and how
(:class:`DeidSettings`), where the key comes from (:class:`KeySettings`), what the run writes besides
the outputs (:class:`OutputSettings`), and how it runs (:class:`ExecutionSettings`).

:func:`phiphantom.deid.batch.deid_batch` takes one of each (every field has the command line's
default); ``phiphantom deid`` builds them from its flags. Values are checked by the runner, with
messages that name the command-line flag (:class:`phiphantom.deid.batch.BatchUsageError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from phiphantom.core.executors import Executor


@dataclass(frozen=True)
class DeidSettings:
    """What is done to every file: the profile and its options (header), and the pixel cleaning."""

    profile: str = "basic"
    options: Iterable[str] = ()                              # Annex E option names (and keep_unknown)
    safe_private: Path | str | frozenset | None = None       # a creator,offset CSV, or the pairs themselves
    date_shift_range: tuple[int, int] | None = None          # days; with retain_long_modified_dates
    header_only: bool = False                                # pixels NOT cleaned
    policy: str = "strict"                                   # pixel policy: strict | balanced
    threshold: float | None = None                           # line score in [-1, 1] to redact; None: the policy's
    hard: bool = False                                       # extend boxes of header values over the image
    pixels_all_modalities: bool = False                      # the full text search on every modality
    recompress: str | None = None                            # jpeg-ls | jpeg2000 | rle; None: native
    ocr: str = "tesseract"                                   # OCR backend
    ner_model: Path | str | None = None                      # local token-classification model folder


@dataclass(frozen=True)
class KeySettings:
    """Where the key comes from: ``key_file``, else ``$PHIPHANTOM_DEID_KEY`` (from ``env``, default the process
    environment), else -- only with ``ephemeral`` -- a random one (saved, mode 0600, to ``write_ephemeral_key``)."""

    key_file: Path | str | None = None
    ephemeral: bool = False
    write_ephemeral_key: Path | str | None = None
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class OutputSettings:
    """How OUT is written and what the run records besides the outputs."""

    layout: str = "pseudonymized"             # pseudonymized | keep (the input's relative path)
    resume: bool = False                      # continue an interrupted run in OUT
    mapping_out: Path | str | None = None     # original -> pseudonym table (secret; not inside IN or OUT)
    show_paths: bool = False                  # input paths in the records instead of file-NNNN
    redact_paths: bool = False                # file-NNNN: the default, accepted for compatibility
    include_text: bool = False                # OCR text in detections.csv (it is PHI)


@dataclass(frozen=True)
class ExecutionSettings:
    """How the files are run: local worker processes (or Dask), the per-file timeout, progress."""

    workers: int | None = None                # None: one per core
    timeout_s: float = 300.0                  # per file, local workers only
    executor: Executor = Executor()           # local, or dask (one task per file)
    progress: Callable[[int, int], None] | None = None   # called with (done, total)
