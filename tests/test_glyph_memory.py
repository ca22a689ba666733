"""A changing region's later states are spelled from glyphs OCR already read, and only when that is safe."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.core.ocr import CachingOCR, LineRead, TesseractBackend
from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.detect import detect_text
from phiphantom.deid.pixels.glyph_memory import GlyphMemory
from phiphantom.deid.pixels.text_find import Segment, find_segments, top_hat
from phiphantom.synth.fonts import load_font


class CountingOCR:
    """The real Tesseract backend, counting what it is asked to read."""

    name = "tesseract"

    def __init__(self) -> None:
        self.backend = TesseractBackend()
        self.calls = 0

    def read_line(self, image: np.ndarray) -> LineRead:
        self.calls += 1
        return self.backend.read_line(image)


def _text(text: str, font: str = "DejaVuSans", size: int = 18, width: int = 240, word_gap: int = 3) -> np.ndarray:
    """White-ish text on black; words are set ``word_gap`` pixels apart (close enough to be one segment)."""
    canvas = Image.new("L", (width, 50), 0)
    draw, face, x = ImageDraw.Draw(canvas), load_font(font, size), 20
    for word in text.split(" "):
        draw.text((x, 15), word, fill=230, font=face)
        x += int(draw.textlength(word, font=face)) + word_gap
    return np.asarray(canvas)


def _counter(frames: int, font: str) -> np.ndarray:
    return np.stack([_text(f"{t + 1}/{frames}", font) for t in range(frames)])


def _per_frame(boxes, frames: int) -> list[tuple[str, bool]]:
    """Each frame's text (left to right) and whether anything on it is redacted."""
    out = []
    for t in range(frames):
        on = sorted((b for b in boxes if b.frame_start <= t < b.frame_end), key=lambda b: b.x0)
        out.append((" ".join(b.text for b in on), any(b.decision.redact for b in on)))
    return out


@pytest.mark.parametrize("font", ["DejaVuSans", "DejaVuSerif"])  # serif: "/" leans into its neighbours
def test_a_long_counter_is_read_by_ocr_a_few_times_and_every_frame_gets_its_own_text(font, monkeypatch):
    frames = 120
    view = _counter(frames, font)
    search = np.ones(view.shape[1:], dtype=bool)
    classifier = Classifier(HeaderValues(), "strict", frames=frames)

    ocr = CountingOCR()
    boxes = detect_text(view, search, classifier, CachingOCR(ocr))
    assert ocr.calls <= 30, f"{ocr.calls} OCR reads for {frames} states"
    got = _per_frame(boxes, frames)
    assert got == [(f"{t + 1}/{frames}", False) for t in range(frames)]

    # the same clip with OCR on every state gives the same decisions on every frame
    monkeypatch.setattr(GlyphMemory, "spell", lambda self, tophat, seg: None)
    every = CountingOCR()
    reference = detect_text(view, search, classifier, CachingOCR(every))
    assert every.calls >= frames
    assert [redact for _, redact in _per_frame(reference, frames)] == [redact for _, redact in got]


def _learned(*texts: str) -> tuple[GlyphMemory, dict[str, tuple[np.ndarray, Segment]]]:
    memory, seen = GlyphMemory(), {}
    for text in texts:
        grey = _text(text)
        tophat = top_hat(grey)
        (seg,) = find_segments(grey, np.ones(grey.shape, dtype=bool))
        memory.learn(tophat, seg, LineRead(text, 90.0))
        seen[text] = (tophat, seg)
    return memory, seen


def _spell(memory: GlyphMemory, text: str) -> LineRead | None:
    grey = _text(text)
    (seg,) = find_segments(grey, np.ones(grey.shape, dtype=bool))
    return memory.spell(top_hat(grey), seg)


def test_spells_new_states_from_learned_glyphs():
    memory, _ = _learned("12:34", "56:78", "90:12", "34:56", "78:90")  # every glyph read twice
    read = _spell(memory, "87:65")
    assert read is not None and read.text == "87:65" and read.confidence == 90.0
    assert _spell(memory, "87:6A") is None  # a glyph never seen: OCR reads it


def test_one_read_is_not_enough_to_spell_a_glyph():
    memory, seen = _learned("12:34")
    assert _spell(memory, "12:34") is None  # that one read may have been a misread "5" taken as "3"
    memory.learn(*seen["12:34"], LineRead("12:34", 90.0))
    assert _spell(memory, "43:21").text == "43:21"


def test_a_glyph_read_two_ways_is_never_spelled():
    memory, seen = _learned("12:34", "34:12")
    tophat, seg = seen["12:34"]
    memory.learn(tophat, seg, LineRead("1Z:34", 90.0))  # OCR disagreed with itself on the "2"
    assert _spell(memory, "12:34") is None
    assert _spell(memory, "34:31").text == "34:31"     # the other glyphs are still known


def test_nothing_is_learned_from_unsure_or_miscounted_reads():
    memory = GlyphMemory()
    grey = _text("12:34")
    tophat = top_hat(grey)
    (seg,) = find_segments(grey, np.ones(grey.shape, dtype=bool))
    memory.learn(tophat, seg, LineRead("12:34", 40.0))   # unsure
    memory.learn(tophat, seg, LineRead("12:3", 95.0))    # one character short of the glyphs
    memory.learn(tophat, seg, LineRead("12::34", 95.0))  # one too many
    assert memory.chars == {} and _spell(memory, "12:34") is None


def test_spaces_come_only_from_gaps_that_reads_explained():
    memory, _ = _learned("10 20", "10 20")  # inside words the glyphs are 2 px apart, between them 4 px
    assert (memory.letter_gap, memory.word_gap) == (2, 4)
    assert _spell(memory, "20 10").text == "20 10"
    assert _spell(memory, "2010") is None  # a 3 px gap: neither, so OCR reads it
    only_words, _ = _learned("1020", "1020")  # no read has shown a word gap yet
    assert _spell(only_words, "20 10") is None
    assert _spell(only_words, "2121") is None and _spell(only_words, "2002").text == "2002"


def test_touching_glyphs_take_the_characters_their_width_holds():
    from phiphantom.deid.pixels.glyph_memory import Glyphs, chars_per_glyph

    # "1/102" where "02" is one piece of ink: 5 characters, 4 glyphs, advance (5+5+5+14+3)/5 = 6.4 px
    glyphs = Glyphs([b"1", b"/", b"1", b"02"], widths=[5, 5, 5, 14], gaps=[1, 1, 1])
    assert chars_per_glyph("1/102", glyphs) == ["1", "/", "1", "02"]
    assert chars_per_glyph("1/10", glyphs) == ["1", "/", "1", "0"]  # as many as glyphs: one each (a misread
    # like this needs a second identical one before it spells, and a right read of "02" then conflicts)
    assert chars_per_glyph("1/10222", glyphs) is None  # the widths do not hold seven characters
    assert chars_per_glyph("1/1", glyphs) is None      # fewer characters than glyphs
