"""Real Tesseract on real rendered text: the OCR backend, and legibility by difficulty."""

from __future__ import annotations

import numpy as np

from phiphantom.core.ocr import TesseractBackend, similarity
from phiphantom.synth import generate
from phiphantom.synth.ocr_check import ocr_check
from phiphantom.synth.text_raster import rasterise

from .helpers import small_config


def test_tesseract_reads_clean_overlay_text():
    glyphs = rasterise("MRN: 4827361", "DejaVuSans", 16, True)
    frame = np.zeros((glyphs.height + 8, glyphs.width + 8), dtype=np.uint8)
    frame[4:-4, 4:-4] = glyphs.alpha  # white on black, as on a scanner screen
    assert TesseractBackend().read_line(frame).text == "MRN: 4827361"


def test_similarity():
    assert similarity("DOE, JOHN", "DOE, JOHN") == 1.0
    assert similarity("DOE, JOHN", "D0E, JOHN") == 1 - 1 / 9
    assert similarity("", "x") == 0.0


def test_hard_text_is_measurably_harder_to_read_than_realistic(tmp_path):
    shares = {}
    for difficulty in ("realistic", "hard"):
        out = tmp_path / difficulty
        generate(small_config(out, patients=10, cine_fraction=0.0, jpeg_fraction=0.3, difficulty=difficulty, seed=4))
        report = ocr_check(out, frames=30)
        assert report.frames == 30 and report.boxes > 150
        shares[difficulty] = report.exact_share
    assert 0.6 < shares["realistic"] < 0.98, "legible, yet not trivial"
    assert shares["hard"] < shares["realistic"] - 0.08
