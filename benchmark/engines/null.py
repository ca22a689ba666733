"""The ``null`` engine: copies every file unchanged (the floor of every metric)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .base import BaseEngine, FileResult


@dataclass
class NullEngine(BaseEngine):
    """Copies the input to the output byte for byte; de-identifies nothing."""

    name: str = "null"

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        shutil.copyfile(src, dst)
        return None
