"""Kitware's dicom-anonymizer as a peer engine, run in its own venv (header only).

``python peer_dicom_anonymizer.py --describe | --serve | IN_DIR OUT_DIR`` (see peer_protocol.py).
Each file goes through ``dicomanonymizer.anonymize_dicom_file`` with its default rules (its
PS3.15 basic profile table) and private tags deleted -- the same as its command line
``dicom-anonymizer IN OUT`` with no options. It does not clean pixels.
"""

from __future__ import annotations

import sys
from pathlib import Path

from peer_protocol import main

TOOL = "dicom-anonymizer"
VERSIONS = ("dicom-anonymizer", "pydicom")
CONFIG = {"rules": "default (its PS3.15 basic profile table), no extra rules",
          "delete_private_tags": True, "pixels": "not cleaned (the tool does not clean pixels)"}


def load():
    from dicomanonymizer.simpledicomanonymizer import anonymize_dicom_file

    return anonymize_dicom_file


def process(anonymize_dicom_file, src: Path, dst: Path) -> None:
    anonymize_dicom_file(str(src), str(dst), None, True)


if __name__ == "__main__":
    sys.exit(main(TOOL, VERSIONS, CONFIG, load, process))
