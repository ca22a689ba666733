"""Read the states of a changing region (a clock, a frame counter) from glyphs already read.

A 300-frame clip's counter has 300 states, and every state used to be one OCR call. Its glyphs,
though, are a dozen shapes drawn again and again at a few places. After OCR has read a state, each
glyph (a connected piece of ink, with the pieces sharing its columns) is remembered with the
character OCR gave it, when the read accounts for the glyphs one to one. A later state whose
glyphs have all been read the same way at least twice is spelled from them, without OCR.
Anything else is read by OCR:

* a glyph seen in fewer than two reads (one misread of a "5" as "3" must not spell every later
  "5"), or read as two different characters (a misread shows up as a conflict);
* a read whose character count does not match its glyphs (touching glyphs, a "%" in three pieces);
* a gap between glyphs that is neither clearly inside a word nor clearly between words.

A glyph's identity is its binary ink mask (the same stroke threshold that finds the text), so the
codec noise of a JPEG clip mostly maps to the same key; when it does not, the state is read by OCR.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..ocr import LineRead
from .text_find import MIN_STROKE, Segment

MIN_LEARN_CONFIDENCE = 60.0  # a read below this teaches nothing
CONFIRMATIONS = 2  # reads that must agree on a glyph before it spells anything: one misread teaches nothing


@dataclass
class _Glyphs:
    keys: list[bytes]
    gaps: list[int]  # pixels between consecutive glyphs


@dataclass
class GlyphMemory:
    """Glyph-to-character memory of one changing region (its states are crops of the same place)."""

    chars: dict[bytes, str | None] = field(default_factory=dict)   # None: two reads disagreed
    reads: dict[bytes, int] = field(default_factory=dict)           # reads that agreed on the glyph
    confidence: dict[bytes, float] = field(default_factory=dict)
    word_gap: int | None = None    # smallest gap seen between words
    letter_gap: int | None = None  # largest gap seen inside a word
    spelled: int = 0               # states' segments spelled without OCR (for tests and profiling)

    def spell(self, tophat: np.ndarray, seg: Segment) -> LineRead | None:
        """The text of ``seg`` from remembered glyphs, or None when OCR must read it."""
        glyphs = _glyphs(tophat, seg)
        if not glyphs.keys or any(self.chars.get(k) is None or self.reads[k] < CONFIRMATIONS for k in glyphs.keys):
            return None
        text = [self.chars[glyphs.keys[0]]]
        for key, gap in zip(glyphs.keys[1:], glyphs.gaps):
            if self.letter_gap is not None and gap <= self.letter_gap:
                text.append(self.chars[key])
            elif self.word_gap is not None and gap >= self.word_gap:
                text.append(" " + self.chars[key])
            else:
                return None  # a gap no read has explained
        self.spelled += 1
        return LineRead("".join(text), min(self.confidence[k] for k in glyphs.keys))

    def learn(self, tophat: np.ndarray, seg: Segment, read: LineRead) -> None:
        """Remember the glyphs of ``seg`` when OCR's ``read`` of it spells them one to one."""
        if read.confidence < MIN_LEARN_CONFIDENCE:
            return
        glyphs = _glyphs(tophat, seg)
        words = read.text.split()
        if not glyphs.keys or sum(len(w) for w in words) != len(glyphs.keys):
            return
        breaks = set(np.cumsum([len(w) for w in words[:-1]]) - 1) if len(words) > 1 else set()
        letter = [g for i, g in enumerate(glyphs.gaps) if i not in breaks]
        word = [g for i, g in enumerate(glyphs.gaps) if i in breaks]
        if letter and word and max(letter) >= min(word):
            return  # this read's spaces do not follow its gaps
        new_letter = max([*letter, self.letter_gap if self.letter_gap is not None else -1])
        new_word = min([*word, self.word_gap if self.word_gap is not None else 1 << 30])
        if new_letter >= new_word:
            return  # inconsistent with earlier reads: learn nothing from it
        self.letter_gap = new_letter if new_letter >= 0 else None
        self.word_gap = new_word if new_word < 1 << 30 else None
        for key, char in zip(glyphs.keys, "".join(words)):
            known = self.chars.get(key, char)
            self.chars[key] = char if known == char else None
            self.reads[key] = self.reads.get(key, 0) + 1
            self.confidence[key] = min(self.confidence.get(key, 100.0), read.confidence)


def _glyphs(tophat: np.ndarray, seg: Segment) -> _Glyphs:
    """The glyphs of ``seg`` left to right, keyed by their ink mask over the segment's rows.

    A glyph is a connected piece of ink, joined with the pieces that share most of its columns (the
    dots of ":" or "i"); pieces that only lean into each other ("/3" in a serif font) stay apart."""
    ink = (tophat[seg.y0:seg.y1, seg.x0:seg.x1] >= MIN_STROKE).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    pieces = sorted((int(x), int(x + w), [i]) for i, (x, _, w, _, _) in enumerate(stats[1:], start=1))
    merged: list[tuple[int, int, list[int]]] = []
    for a, b, ids in pieces:
        if merged:
            pa, pb, pids = merged[-1]
            if min(b, pb) - max(a, pa) >= 0.5 * min(b - a, pb - pa):
                merged[-1] = (min(a, pa), max(b, pb), pids + ids)
                continue
        merged.append((a, b, ids))
    keys = []
    for a, b, ids in merged:
        mask = np.isin(labels[:, a:b], ids)
        keys.append(hashlib.blake2b(np.packbits(mask).tobytes() + repr(mask.shape).encode(), digest_size=12).digest())
    return _Glyphs(keys, [a - pb for (a, _, _), (_, pb, _) in zip(merged[1:], merged[:-1])])
