"""A patient block on a lossy JPEG plate is split into its lines (deid/pixels/text_find.py ``refine``).

Codec noise on a grey plate can reach 40% of the text's top-hat contrast: the block's lines are bridged into
one segment, which a single-line OCR reads as "-" and the engine then kept as a mark, the whole block
(name, ID, birth date, age and sex) on screen under both policies (hard set, own data). A tall segment is
now thresholded again at rising shares of its contrast, and a harder level's split is taken only when it
gives lines of a text block (``stacked_lines``); a depth scale, a graphic or speckle is left whole.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.core.ocr import TesseractBackend
from phiphantom.deid.pixels.text_find import (
    MIN_LINE_SPLIT,
    Segment,
    find_segments,
    group_segments,
    ink_channel,
    stacked_lines,
    stroke_components,
    stroke_mask,
    top_hat,
)

from .helpers import deid_pixels, display_luma, image, load_font, reread, save

BLOCK = ["ABRIL, HERMINIA", "PID: H74-7708-4", "D.O.B. 20.03.1934", "F 90y"]
PLATE = (4, 4, 125, 77)  # x0, y0, x1, y1 of the grey plate


def _jpeg_screen(lines: list[str] = BLOCK, font_name: str = "DejaVuSerif", size: int = 11,
                 plate: tuple[int, int, int, int] = PLATE) -> np.ndarray:
    """Green lines 16 px apart on a grey plate in a 320x120 screen, saved as a JPEG at quality 50 and
    decoded: (H, W, 3) RGB."""
    screen = Image.new("RGB", (320, 120), (0, 0, 0))
    draw = ImageDraw.Draw(screen)
    draw.rectangle((plate[0], plate[1], plate[2] - 1, plate[3] - 1), fill=(72, 72, 72))
    font = load_font(font_name, size)
    for i, text in enumerate(lines):
        draw.text((8, 8 + 16 * i), text, fill=(0, 200, 0), font=font)
    encoded = io.BytesIO()
    screen.save(encoded, "JPEG", quality=50, subsampling=2)
    encoded.seek(0)
    return np.asarray(Image.open(encoded).convert("RGB")).copy()


def _on_plate(segments: list[Segment]) -> list[Segment]:
    return [s for s in segments if s.x0 < PLATE[2] and s.y0 < PLATE[3]]


def test_the_plate_noise_bridges_the_block_into_one_segment():
    """What the split is for: grouped by glyph height, the block is one segment five lines tall."""
    grey = ink_channel(_jpeg_screen())
    strokes = stroke_mask(top_hat(grey), np.ones(grey.shape, dtype=bool))
    grouped = _on_plate(group_segments(strokes, stroke_components(strokes)))
    assert max(s.height for s in grouped) > 3 * MIN_LINE_SPLIT


def test_a_jpeg_plate_block_splits_into_its_lines():
    grey = ink_channel(_jpeg_screen())
    segments = _on_plate(find_segments(grey, np.ones(grey.shape, dtype=bool)))
    assert all(s.height < 2 * MIN_LINE_SPLIT for s in segments), segments
    rows = {round((s.y0 + s.y1) / 2 / 16) for s in segments}
    assert len(rows) == len(BLOCK), segments


def test_a_part_still_two_lines_tall_is_split_again():
    """Five monospaced lines: the first split leaves a part two lines tall, which is split in its turn."""
    lines = ["PALTRINIERI, CORRADO", "MRN: 2948172", "M 31y", "2023/03/27 18:46:48", "Dr. L. Alfieri"]
    grey = ink_channel(_jpeg_screen(lines, "DejaVuSansMono", 13, (4, 4, 171, 89)))
    segments = [s for s in find_segments(grey, np.ones(grey.shape, dtype=bool)) if s.x0 < 171 and s.y0 < 89]
    assert all(s.height < 2 * MIN_LINE_SPLIT for s in segments), segments
    assert len({round((s.y0 + s.y1) / 2 / 16) for s in segments}) == len(lines), segments


def test_each_line_of_the_block_is_read():
    grey = ink_channel(_jpeg_screen())
    ocr = TesseractBackend()
    reads = " ".join(ocr.read_line(grey[max(0, s.y0 - 2):s.y1 + 2, max(0, s.x0 - 2):s.x1 + 2]).text
                     for s in _on_plate(find_segments(grey, np.ones(grey.shape, dtype=bool))))
    assert "ABRIL" in reads.upper() and "PID" in reads.upper(), reads  # a line each, where "-" was read


def _line(x0: int, y0: int, width: int, height: int = 11) -> Segment:
    return Segment(x0, y0, x0 + width, y0 + height, width * height // 3)


@pytest.mark.parametrize(("parts", "lines"), [
    ([_line(3, 2, 109), _line(2, 19, 100), _line(3, 35, 111), _line(3, 51, 35)], True),   # a left-aligned block
    ([_line(40, 2, 80), _line(70, 19, 50)], True),                                        # right-aligned
    ([_line(3, 2, 50), _line(60, 2, 50)], False),                                         # side by side: one line
    ([_line(3, 2, 8, 40), _line(3, 50, 8, 40)], False),                                   # tall ticks of a scale
    ([_line(3, 2, 109), _line(40, 19, 100)], False),                                      # rows not aligned
    ([_line(3, 2, 109), _line(3, 19, 20)], False),                                        # a row too narrow
    ([_line(3, 2, 109)] + [_line(3 + 12 * k, 19, 10, 6) for k in range(6)], False),      # a row of grains
    ([_line(3 + 15 * k, y, 12, 20) for k in range(4) for y in (2, 30)], False),            # upright blobs
    ([_line(3, 2, 109), _line(3, 19, 100), Segment(0, 0, 4, 40, 400)], False),            # most ink in a blob
])
def test_stacked_lines(parts, lines):
    assert stacked_lines(parts) is lines


@pytest.mark.parametrize("policy", ["strict", "balanced"])
def test_the_block_is_removed_end_to_end(tmp_path, policy):
    ds = image("ABRIL^HERMINIA", "H74-7708-4", 1)
    ds.Modality, ds.PatientBirthDate = "US", "19340320"
    rgb = np.zeros((480, 640, 3), dtype=np.uint8)
    rgb[:120, :320] = _jpeg_screen()
    rng = np.random.default_rng(5)
    rgb[140:460, 200:600] = np.clip(rng.gamma(2.0, 40.0, size=(320, 400, 1)), 0, 255).astype(np.uint8)
    ds.Rows, ds.Columns = rgb.shape[:2]
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.PixelData = rgb.tobytes()
    after = display_luma(reread(deid_pixels(save(ds, tmp_path / "in.dcm"), policy=policy).dataset))[0]
    before = display_luma(ds)[0]
    for i in range(len(BLOCK)):
        line = (slice(8 + 16 * i, 20 + 16 * i), slice(8, 120))
        assert (before[line] > 110).any()
        assert not (after[line] > 110).any(), f"line {i + 1} of the block is left on screen"
