"""Issue 16: labelled line crops from a generated dataset (the engine's segments, the generator's drawn
text), the recognizer's charset and its scores. No torch needed."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from phiphantom.core.crnn_model import CRNNConfig, greedy_decode, line_array
from phiphantom.core.ground_truth import BOX_COLUMNS, BoxRow, read_rows
from phiphantom.core.line_charset import PLACEHOLDER, UNKNOWN, Charset
from phiphantom.core.ocr import TesseractBackend
from phiphantom.deid.pixels.line_crops import CropCounts, dataset_crops, label_segments
from phiphantom.deid.pixels.recognizer_scores import score
from phiphantom.deid.pixels.text_find import Segment
from phiphantom.synth import generate
from tests.helpers import small_config


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("recognizer-data") / "set"
    generate(small_config(out, patients=3, seed=1601, progress=False))
    return out


def test_crops_carry_the_text_drawn_where_the_engine_reads(dataset: Path) -> None:
    rows = read_rows(dataset / "gt" / "boxes.csv", BoxRow)
    texts: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if not row.graphic and 0 in row.frames:
            texts[row.output_dicom_relpath].add(row.rendered_text)
    crops, counts = [], CropCounts()
    for file_crops, file_counts in dataset_crops(dataset):
        crops.extend(file_crops)
        counts.add(file_counts)
    assert counts.files == len({r.output_dicom_relpath for r in rows}) and counts.unreadable_files == 0
    assert counts.segments == (counts.labelled + counts.no_box + counts.several_boxes + counts.partial
                               + counts.graphic)
    assert len(crops) == counts.labelled >= 40
    words = {(file, word) for file, drawn in texts.items() for text in drawn for word in text.split()}
    assert 0 < counts.words < counts.labelled
    for crop in crops:
        assert crop.text in texts[crop.file] or (crop.file, crop.text) in words
        assert crop.image.dtype == np.uint8 and crop.image.ndim == 2 and min(crop.image.shape) > 0
    # the labels belong to their crops: Tesseract reads most of them exactly (a shuffled label would not be)
    ocr = TesseractBackend()
    reads = [ocr.read_line(c.image).text for c in crops]
    assert score(reads, [c.text for c in crops]).line_accuracy >= 0.5
    shuffled = [c.text for c in crops[1:]] + [crops[0].text]
    assert score(reads, shuffled).line_accuracy < 0.2


def _box(x: int, y: int, w: int, h: int, text: str = "", kind: str = "text") -> BoxRow:
    cells = dict.fromkeys(BOX_COLUMNS, "")
    cells.update(bbox_x=str(x), bbox_y=str(y), bbox_w=str(w), bbox_h=str(h), rendered_text=text, kind=kind,
                 frame_start="0", frame_end="1", is_phi="1", phi_category="name", font="ttf:Arimo",
                 style="classic", output_dicom_relpath="f.dcm")
    return BoxRow.from_row(cells)


def test_a_segment_takes_the_label_of_the_one_box_it_matches() -> None:
    view = np.zeros((100, 200), np.uint8)
    view[10:20, 10:60] = 200
    boxes = [_box(10, 10, 50, 10, "DOE JOHN"), _box(70, 10, 30, 10, "M/45Y"), _box(105, 10, 30, 10, "1/2/3"),
             _box(10, 60, 40, 10, "", kind="graphic")]
    segments = [Segment(10, 10, 60, 20, 1),    # the first box exactly
                Segment(68, 8, 140, 22, 1),    # two boxes
                Segment(150, 40, 190, 50, 1),  # nothing there
                Segment(10, 60, 50, 70, 1),    # a graphic
                Segment(12, 9, 30, 21, 1),     # a piece of the first box
                Segment(0, 0, 200, 40, 1)]     # wider than three boxes
    crops, counts = label_segments(view, segments, boxes)
    assert [c.text for c in crops] == ["DOE JOHN"]
    assert crops[0].image.shape == (14, 54)  # read_segment's crop: the segment and a 2-pixel margin
    assert (counts.labelled, counts.several_boxes, counts.no_box, counts.graphic, counts.partial) == (1, 2, 1, 1, 1)
    loose = label_segments(view, [Segment(0, 0, 120, 40, 1)], boxes[:1])[1]
    assert loose.partial == 1 and loose.labelled == 0  # covers the box but is far bigger than it
    touching = label_segments(view, [Segment(10, 10, 76, 20, 1)], boxes)[1]  # box 1 and a fifth of box 2
    assert touching.several_boxes == 1 and touching.labelled == 0


def test_a_box_cut_into_its_words_gives_each_piece_its_word() -> None:
    view = np.zeros((40, 200), np.uint8)
    box = _box(10, 10, 100, 10, "DOE,  JOHN Q")
    crops, counts = label_segments(view, [Segment(50, 10, 90, 20, 1), Segment(10, 10, 40, 20, 1),
                                          Segment(100, 10, 110, 20, 1)], [box])
    assert [c.text for c in crops] == ["DOE,", "JOHN", "Q"] and counts.words == counts.labelled == 3
    assert [c.image.shape[1] for c in crops] == [34, 44, 14]  # left to right, each its own crop
    # two pieces for three words, or pieces that do not reach the box's right edge: no labels
    assert label_segments(view, [Segment(10, 10, 40, 20, 1), Segment(50, 10, 110, 20, 1)], [box])[1].partial == 2
    short = label_segments(view, [Segment(10, 10, 40, 20, 1), Segment(50, 10, 70, 20, 1),
                                  Segment(80, 10, 95, 20, 1)], [box])[1]
    assert short.partial == 3 and short.labelled == 0


def test_charset_round_trip_and_placeholder() -> None:
    charset = Charset.from_labels(["DOE, JOHN", "ŁÓDŹ 12.03.1956", "日"])
    assert all(c in charset.characters for c in "éèçñøåäöüßłąęśźżćńőűşğ")  # European text without labels
    text = "Łódź, 12/03 Göteborg"
    assert charset.decode(charset.encode(text)) == text
    unknown = Charset("AB")
    assert unknown.encode("AXB") == [2, UNKNOWN, 3] and unknown.decode([2, UNKNOWN, 3]) == f"A{PLACEHOLDER}B"
    assert charset.classes == len(charset.characters) + 2


def test_charset_saves_and_loads(tmp_path: Path) -> None:
    charset = Charset.from_labels(["Ærø 3,5 MHz"])
    charset.save(tmp_path / "charset.json")
    assert Charset.load(tmp_path / "charset.json") == charset
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError):
        Charset.load(tmp_path / "bad.json")


def test_scores() -> None:
    s = score(["ABC", "12:00", "x"], ["ABD", "12:00", ""])
    assert (s.lines, s.characters, s.edits, s.exact) == (3, 8, 2, 1)
    assert s.char_accuracy == pytest.approx(1 - 2 / 8) and s.line_accuracy == pytest.approx(1 / 3)
    assert score(["a  b "], ["a b"]).exact == 1  # white space normalised as every backend does


def test_greedy_decoding_collapses_repeats_and_reports_the_least_sure_character() -> None:
    charset = Charset("AB ")  # classes: 0 blank, 1 placeholder, 2 A, 3 B, 4 space
    probs = np.array([[0.1, 0, 0.9, 0, 0], [0.2, 0, 0.8, 0, 0],  # A (best step 0.9)
                      [0.9, 0, 0.1, 0, 0],                        # blank: a repeat after it is a new A
                      [0.3, 0, 0.7, 0, 0],                        # A (0.7)
                      [0.1, 0, 0, 0.6, 0.3],                      # B (0.6)
                      [1.0, 0, 0, 0, 0], [0, 0, 0, 1.0, 0]])      # beyond the line's steps: ignored
    text, confidence = greedy_decode(np.log(probs + 1e-12), 6, charset)
    assert text == "AAB" and confidence == pytest.approx(60.0)
    assert greedy_decode(np.log(np.array([[1.0, 0, 0, 0, 0]]) + 1e-12), 1, charset) == ("", 0.0)


def test_line_array_is_dark_on_light_at_the_model_height() -> None:
    config = CRNNConfig()
    crop = np.zeros((12, 30), np.uint8)
    crop[3:9, 5:25] = 220  # light text on black
    line = line_array(crop, config)
    assert line.shape == (config.height, round(30 * config.height / 12) + 2 * config.pad)
    assert line.dtype == np.float32 and line.min() == 0.0 and line.max() == 1.0
    assert line[0, 0] == 1.0 and line[config.height // 2, 30] < 0.5  # background light, the text dark
    rgb = np.repeat(crop[:, :, None], 3, axis=2)
    assert np.allclose(line_array(rgb, config), line)


@pytest.mark.parametrize("middle", [(127, 128), (126, 129), (127, 129), (128, 128), (127, 127), (0, 255)])
@pytest.mark.parametrize("odd", [False, True])
def test_a_grey_crop_is_prepared_as_its_grey_levels_in_float_are(middle: tuple[int, int], odd: bool) -> None:
    """A uint8 crop takes its side (median below 128: light text on dark) and its range from a count and
    its grey levels; a float crop goes the general way (a percentile). Both give the same array, also where
    the median is the mean of two middle levels either side of 128."""
    config = CRNNConfig()
    rng = np.random.default_rng(sum(middle) + odd)
    low, high = middle  # the middle level (odd: low), or the two middle levels, of the sorted crop
    side = 30 if odd else 29
    values = np.concatenate([rng.integers(0, min(low, 127) + 1, side), [low] if odd else [low, high],
                             rng.integers(max(high, 128), 256, side)]).astype(np.uint8)  # the rest on their sides
    crop = rng.permutation(values).reshape(1, -1)
    assert crop.size % 2 == odd
    for stretch in (1.0, 0.9):
        want = line_array(crop.astype(np.float32), config, stretch)
        assert np.array_equal(line_array(crop, config, stretch), want)
