"""``bundled:ocr=NAME`` (issue 16): the bundled engine's pixel OCR chosen in its bench spec, with the engine named
by ``NAME=SPEC`` (``--engine crnn=bundled:ocr=crnn:DIR``); bad values stop the run before any engine works."""

from __future__ import annotations

import pytest

from phiphantom.benchmark.bench import parse_engine
from phiphantom.benchmark.engines.base import EngineError
from phiphantom.benchmark.engines.bundled import BundledEngine, spec_settings


def test_the_ocr_setting_reaches_the_pixel_configuration():
    assert spec_settings("balanced,ocr=crnn:/models/m1") == {"policy": "balanced", "ocr": "crnn:/models/m1"}
    engine = BundledEngine(spec="ocr=crnn:/models/m1,balanced")
    assert engine.pixels is not None and engine.pixels.ocr == "crnn:/models/m1"
    assert engine.pixels.policy == "balanced"
    assert BundledEngine(spec="balanced").pixels.ocr == "tesseract"  # the default is unchanged
    assert BundledEngine(spec="ocr=rapidocr").pixels.ocr == "rapidocr"
    choice = parse_engine("crnn=bundled:ocr=crnn:/models/m1")
    assert (choice.name, choice.spec) == ("crnn", "bundled:ocr=crnn:/models/m1")


@pytest.mark.parametrize(("spec", "message"), [
    ("ocr=tesserakt", "the OCR is one of"),
    ("ocr=crnn:", "the OCR is one of"),
    ("ocr=", "the OCR is one of"),
    ("ocr=easyocr,ocr=tesseract", "given twice"),
    ("header-only,ocr=crnn:/m", "not with header-only"),
])
def test_a_bad_ocr_setting_is_refused_naming_it(spec, message):
    with pytest.raises(EngineError, match=message):
        BundledEngine(spec=spec)
