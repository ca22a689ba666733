"""The ``header-basic`` engine: a naive pydicom baseline.

It deletes a fixed list of obvious top-level patient attributes and does
nothing else: no sequences, no private blocks, no UIDs, no dates, no free
text, no pixels. It shows what a typical quick script leaves behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pydicom

from .base import BaseEngine, FileResult

#: The attributes ``header-basic`` deletes (top level only), in this order.
HEADER_BASIC_KEYWORDS: tuple[str, ...] = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "OtherPatientIDsSequence",
    "ReferringPhysicianName",
    "InstitutionName",
    "AccessionNumber",
)


@dataclass
class HeaderBasicEngine(BaseEngine):
    """Deletes :data:`HEADER_BASIC_KEYWORDS` from the top-level data set; pixels untouched."""

    name: str = "header-basic"

    def __post_init__(self) -> None:
        self.config = {"deletes": list(HEADER_BASIC_KEYWORDS)}

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        ds = pydicom.dcmread(src)
        for keyword in HEADER_BASIC_KEYWORDS:
            if keyword in ds:
                delattr(ds, keyword)
        ds.save_as(dst)
        return None
