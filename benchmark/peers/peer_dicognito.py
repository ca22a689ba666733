"""dicognito as a peer engine: its default anonymizer, run in its own venv (header only).

``python peer_dicognito.py --describe | --serve | IN_DIR OUT_DIR`` (see peer_protocol.py).
Each file is read with pydicom, passed to ``dicognito.anonymizer.Anonymizer(seed=...).anonymize``
and saved. The seed comes from ``$PHIPHANTOM_PEER_SEED`` (the benchmark sets one for the run), so
every worker of a run gives the same pseudonyms, as one dicognito process does for a folder. dicognito
has no pixel cleaning: with ``--assume-burned-in-annotation never`` (what this adapter does) it leaves pixels alone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from peer_protocol import main

TOOL = "dicognito"
VERSIONS = ("dicognito", "pydicom")
CONFIG = {"anonymizer": "dicognito.anonymizer.Anonymizer(seed=$PHIPHANTOM_PEER_SEED), other settings default",
          "pixels": "not cleaned (dicognito does not clean pixels; burned-in annotation assumed 'never')"}


def load():
    from dicognito.anonymizer import Anonymizer

    return Anonymizer(seed=os.environ.get("PHIPHANTOM_PEER_SEED") or None)


def process(anonymizer, src: Path, dst: Path) -> None:
    import pydicom

    ds = pydicom.dcmread(src)
    anonymizer.anonymize(ds)
    ds.save_as(dst)


if __name__ == "__main__":
    sys.exit(main(TOOL, VERSIONS, CONFIG, load, process))
