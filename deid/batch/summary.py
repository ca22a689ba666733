"""The outcome of a ``phiphantom deid`` run: counts and paths, never a value from a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BatchSummary:
    """The outcome of :func:`deid_batch` (counts and paths only, no PHI)."""

    in_path: Path
    out_dir: Path
    files: int = 0                 # entries found in IN (each ends ok, failed or skipped)
    ok: int = 0
    failed: int = 0
    skipped: int = 0               # completed by an earlier run (--resume)
    dicom_files: int = 0           # entries recognised as DICOM Part 10 (the others are error rows)
    names_like_phi: int = 0        # --layout keep: outputs whose path holds a name, ID or date of their header
    errors_by_class: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 0
    layout: str = "pseudonymized"
    key_source: str = ""
    errors_csv: Path | None = None
    audit: Path | None = None
    mapping_out: Path | None = None
    ephemeral_key_out: Path | None = None
    pixel_policy: str | None = None   # None: header only (pixels not cleaned)
    pixels_verified: int = 0          # ok files whose pixel cleaning passed its re-OCR check

    @property
    def files_per_s(self) -> float:
        """Files (ok + failed + skipped) per second of wall time."""
        return self.files / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0 when every file is done, 1 when any failed."""
        return 1 if self.failed else 0


