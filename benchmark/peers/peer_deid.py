"""pydicom's ``deid`` with its default ``dicom`` recipe, as a standalone peer tool.

Run with a Python that has deid in its own virtual environment (it imports nothing from
phiphantom); a reproducible install::

    python -m venv VENV && VENV/bin/pip install deid==0.4.13 pydicom==3.0.2 numpy==2.4.6 \
        matplotlib==3.11.2 pillow==13.0.0 python-dateutil==4.0.0 tzdata==2026.6 contourpy==1.3.3 \
        cycler==0.12.1 fonttools==4.68.0 kiwisolver==1.5.1 packaging==26.3 pyparsing==3.3.3
    VENV/bin/python peer_deid.py --describe | --serve | IN_DIR OUT_DIR

Per file, deid's own two steps, as documented (https://pydicom.github.io/deid/), nothing added:

1. pixels: ``deid.dicom.DicomCleaner`` (default recipe, whose ``%filter`` whitelist / graylist /
   blacklist list known vendors and models with the coordinates of their burned-in text) runs
   ``detect(src)``; if the file is flagged, ``clean()`` masks the coordinates of the matching rules
   (none for a rule without coordinates) and ``save_dicom()`` writes the cleaned, uncompressed file.
   A file no rule flags keeps its pixel data exactly as it was (deid detects no text by itself).
2. header: ``deid.dicom.replace_identifiers`` with the default recipe's ``%header`` actions (no
   ``ids`` lookup, so the ``ADD ... var:`` actions have no value and are skipped) on that file; the
   resulting dataset is written to the destination with pydicom's ``save_as``, as deid saves it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from peer_protocol import main

TOOL = "deid"
VERSIONS = ("deid", "pydicom", "numpy", "matplotlib", "pillow")
CONFIG = {
    "recipe": "deid default 'dicom' recipe (deid/data/deid.dicom) as shipped, no custom rules",
    "header": "deid.dicom.replace_identifiers(deid=DeidRecipe(), save=False): the default recipe's "
              "%header actions; no ids lookup (var: ADDs skipped); "
              "strip_sequences=False, remove_private=False",
    "pixels": "deid.dicom.DicomCleaner() with the default recipe's %filter sections (known vendor/model "
              "coordinates): detect(); if flagged, clean() + save_dicom() (uncompressed); "
              "unflagged files keep their original pixel data",
    "output": "pydicom Dataset.save_as of deid's dataset",
}


def load():
    from deid.config import DeidRecipe

    return DeidRecipe()  # no argument: the default 'dicom' recipe


def process(recipe, src: Path, dst: Path) -> None:
    from deid.dicom import DicomCleaner, replace_identifiers

    with tempfile.TemporaryDirectory(prefix="peer-deid-") as scratch:
        cleaner = DicomCleaner(output_folder=scratch)  # one cleaner per file, as the class intends
        source = str(src)
        if cleaner.detect(source)["flagged"]:
            if cleaner.clean() is None:
                raise RuntimeError("DicomCleaner.clean returned no pixels")
            source = cleaner.save_dicom(output_folder=scratch)
        dataset = replace_identifiers([source], deid=recipe, save=False)[0]
        dataset.save_as(dst)


if __name__ == "__main__":
    sys.exit(main(TOOL, VERSIONS, CONFIG, load, process))
