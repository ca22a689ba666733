"""Read the states of a changing region (a clock, a frame counter) from glyphs already read.

A 300-frame clip's counter has 300 states, and every state used to be one OCR call. Its glyphs,
though, are a dozen shapes drawn again and again at a few places. After OCR has read a state, each
glyph (a connected piece of ink, with the pieces sharing its columns) is remembered with the
character(s) OCR gave it, when the read accounts for the glyphs (below). A later state whose
glyphs have all been read the same way at least twice is spelled from them, without OCR.
Anything else is read by OCR:

* a glyph seen in fewer than two reads (one misread of a "5" as "3" must not spell every later
  "5"), or read as two different characters (a misread shows up as a conflict);
* a read that does not account for its glyphs: one character each, or, where glyphs touch ("02"
  drawn as one piece of ink), as many as the glyph's width holds at the line's mean advance;
* a gap between glyphs that is neither clearly inside a word nor clearly between words.

A glyph's identity is its ink at 16 grey levels (the top-hat that finds the text, outside the
glyph's own pieces zeroed). A binary mask is not enough: at 8 px a "6" and an "8" can share one,
and a counter was spelled "80/102" on the frame that showed "60/102". Codec noise in a JPEG clip
changes the key, and the state is then read by OCR.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from phiphantom.core.ocr import LineRead

from .components import components
from .text_find import MIN_STROKE, Segment

MIN_LEARN_CONFIDENCE = 60.0  # a read below this teaches nothing
GREY_SHIFT = 4  # glyphs are told apart by their top-hat levels in 16 steps, not by a binary mask
CONFIRMATIONS = 2  # reads that must agree on a glyph before it spells anything: one misread teaches nothing


@dataclass
class Glyphs:
    """The glyphs of one segment, left to right: their keys, widths and the gaps between them."""

    keys: list[bytes]
    widths: list[int]
    gaps: list[int]  # pixels between consecutive glyphs


@dataclass
class GlyphMemory:
    """Glyph-to-character memory of one changing region (its states are crops of the same place)."""

    chars: dict[bytes, str | None] = field(default_factory=dict)   # None: two reads disagreed
    reads: dict[bytes, int] = field(default_factory=dict)           # reads that agreed on the glyph
    confidence: dict[bytes, float] = field(default_factory=dict)
    word_gap: int | None = None    # smallest gap seen between words
    letter_gap: int | None = None  # largest gap seen inside a word

    def spell(self, tophat: np.ndarray, seg: Segment) -> LineRead | None:
        """The text of ``seg`` from remembered glyphs, or None when OCR must read it."""
        glyphs = _glyphs(tophat, seg)
        letters = [self.chars.get(k) for k in glyphs.keys]
        if not glyphs.keys or any(c is None or self.reads[k] < CONFIRMATIONS
                                  for k, c in zip(glyphs.keys, letters, strict=False)):
            return None
        known = [c for c in letters if c is not None]  # all of them (checked above)
        text = [known[0]]
        for char, gap in zip(known[1:], glyphs.gaps, strict=False):
            if self.letter_gap is not None and gap <= self.letter_gap:
                text.append(char)
            elif self.word_gap is not None and gap >= self.word_gap:
                text.append(" " + char)
            else:
                return None  # a gap no read has explained
        return LineRead("".join(text), min(self.confidence[k] for k in glyphs.keys))

    def learn(self, tophat: np.ndarray, seg: Segment, read: LineRead) -> None:
        """Remember the glyphs of ``seg`` when OCR's ``read`` of it accounts for them (see chars_per_glyph)."""
        if read.confidence < MIN_LEARN_CONFIDENCE:
            return
        glyphs = _glyphs(tophat, seg)
        words = read.text.split()
        parts = chars_per_glyph("".join(words), glyphs)
        if parts is None:
            return
        ends = set(np.cumsum([len(w) for w in words[:-1]]))   # character offsets where a word ends
        bounds = list(np.cumsum([len(p) for p in parts[:-1]]))  # character offsets between glyphs
        if not ends <= set(bounds):
            return  # a space inside a glyph: the read and the ink disagree
        letter = [g for b, g in zip(bounds, glyphs.gaps, strict=False) if b not in ends]
        word = [g for b, g in zip(bounds, glyphs.gaps, strict=False) if b in ends]
        if letter and word and max(letter) >= min(word):
            return  # this read's spaces do not follow its gaps
        new_letter = max([*letter, self.letter_gap if self.letter_gap is not None else -1])
        new_word = min([*word, self.word_gap if self.word_gap is not None else 1 << 30])
        if new_letter >= new_word:
            return  # inconsistent with earlier reads: learn nothing from it
        self.letter_gap = new_letter if new_letter >= 0 else None
        self.word_gap = new_word if new_word < 1 << 30 else None
        for key, part in zip(glyphs.keys, parts, strict=False):
            known = self.chars.get(key, part)
            self.chars[key] = part if known == part else None
            self.reads[key] = self.reads.get(key, 0) + 1
            self.confidence[key] = min(self.confidence.get(key, 100.0), read.confidence)


def chars_per_glyph(chars: str, glyphs: Glyphs) -> list[str] | None:
    """The characters of each glyph: one each when the counts match; else glyphs that touch ("02" as
    one piece of ink) take as many characters as their width holds, at the line's mean advance. None
    when the widths do not add up to the read."""
    if not glyphs.keys or len(chars) < len(glyphs.keys):
        return None
    if len(chars) == len(glyphs.keys):
        return list(chars)
    advance = (sum(glyphs.widths) + sum(max(0, g) for g in glyphs.gaps)) / len(chars)
    counts = [max(1, round(w / advance)) for w in glyphs.widths]
    if sum(counts) != len(chars):
        return None
    offsets = np.cumsum([0, *counts])
    return [chars[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=False)]


def _glyphs(tophat: np.ndarray, seg: Segment) -> Glyphs:
    """The glyphs of ``seg`` left to right, keyed by their stroke levels over the segment's rows.

    A glyph is a connected piece of ink, joined with the pieces that share most of its columns (the
    dots of ":" or "i"); pieces that only lean into each other ("/3" in a serif font) stay apart."""
    patch = tophat[seg.y0:seg.y1, seg.x0:seg.x1]
    ink = (patch >= MIN_STROKE).astype(np.uint8)
    n, labels, stats = components(ink)
    pieces = sorted((int(x), int(x + w), [i]) for i, (x, _, w, _, _) in enumerate(stats[1:], start=1))
    merged: list[tuple[int, int, list[int]]] = []
    for a, b, ids in pieces:
        if merged:
            pa, pb, pids = merged[-1]
            if min(b, pb) - max(a, pa) >= 0.5 * min(b - a, pb - pa):
                merged[-1] = (min(a, pa), max(b, pb), pids + ids)
                continue
        merged.append((a, b, ids))
    strokes = patch >> GREY_SHIFT
    keys = []
    for a, b, ids in merged:
        glyph = np.where(np.isin(labels[:, a:b], ids), strokes[:, a:b], 0)
        keys.append(hashlib.blake2b(glyph.tobytes() + repr(glyph.shape).encode(), digest_size=12).digest())
    gaps = [a - pb for (a, _, _), (_, pb, _) in zip(merged[1:], merged[:-1], strict=False)]
    return Glyphs(keys, [b - a for a, b, _ in merged], gaps)
