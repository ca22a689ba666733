"""An invented vendor-like logo: a geometric mark and an invented word drawn as strokes.

The word is made of syllables over 14 letters (no S, C, G, P, H or Y, which most imaging brand
names need) and checked against :data:`REAL_BRANDS` (names never produced, not even inside a word). The letters are
this module's own stroke drawings, not a font. The word is text-like (OCR may read it); ground truth
marks it kind ``logo``, never PHI.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

from .paint import GraphicStyle, Paint

#: Strokes of each letter on a 4 x 6 grid (x right, y down): polylines of grid points.
STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0, 6), (2, 0), (4, 6)], [(1, 3.5), (3, 3.5)]],
    "E": [[(4, 0), (0, 0), (0, 6), (4, 6)], [(0, 3), (3, 3)]],
    "I": [[(2, 0), (2, 6)], [(1, 0), (3, 0)], [(1, 6), (3, 6)]],
    "K": [[(0, 0), (0, 6)], [(4, 0), (0, 3.5)], [(1.3, 2.6), (4, 6)]],
    "L": [[(0, 0), (0, 6), (4, 6)]],
    "M": [[(0, 6), (0, 0), (2, 3), (4, 0), (4, 6)]],
    "N": [[(0, 6), (0, 0), (4, 6), (4, 0)]],
    "O": [[(1, 0), (3, 0), (4, 1), (4, 5), (3, 6), (1, 6), (0, 5), (0, 1), (1, 0)]],
    "R": [[(0, 6), (0, 0), (3, 0), (4, 1), (4, 2), (3, 3), (0, 3)], [(2, 3), (4, 6)]],
    "T": [[(0, 0), (4, 0)], [(2, 0), (2, 6)]],
    "U": [[(0, 0), (0, 5), (1, 6), (3, 6), (4, 5), (4, 0)]],
    "V": [[(0, 0), (2, 6), (4, 0)]],
    "X": [[(0, 0), (4, 6)], [(4, 0), (0, 6)]],
    "Z": [[(0, 0), (4, 0), (0, 6), (4, 6)]],
}
SYLLABLES = ("KA", "VE", "LO", "RI", "TA", "ZE", "MO", "NU", "XI", "VA", "RO", "TE", "LI", "KE", "MI", "ZO")
ENDINGS = ("", "", "N", "X", "R", "L")
#: Real imaging brands and product lines a generated word must never equal or contain.
REAL_BRANDS = frozenset({
    "ACUSON", "AFFINITI", "ALOKA", "APLIO", "ARIETTA", "BUTTERFLY", "CANON", "CHISON", "CLARIUS", "EDAN",
    "EPIQ", "ESAOTE", "FUJIFILM", "HITACHI", "KONTRON", "KOSMOS", "LOGIQ", "LUMIFY", "MINDRAY", "MYLAB",
    "NUEWA", "PHILIPS", "RESONA", "SAMSUNG", "SIEMENS", "SONOSCAPE", "SONOSITE", "TELEMED", "TERASON",
    "TOSHIBA", "VINNO", "VIVID", "VOLUSON", "VSCAN", "XARIO", "ZONARE", "VERSANA", "VENUE", "LEXI",
    # other well-known marks the syllables could spell
    "LINUX", "ROLEX", "TEVA", "MITEL", "MIRO", "RITALIN", "ZOLOFT", "LOTAX", "MOTOROLA", "KIA",
})
MARKS = ("ring", "bars", "hexagon", "diamond", "waves")


def invented_word(rng: np.random.Generator) -> str:
    """Two or three syllables and an optional ending, never a real brand (re-drawn if it would be)."""
    while True:
        count = int(rng.integers(2, 4))
        word = "".join(SYLLABLES[int(rng.integers(len(SYLLABLES)))] for _ in range(count))
        word += ENDINGS[int(rng.integers(len(ENDINGS)))]
        if not any(brand in word for brand in REAL_BRANDS):
            return word


def _mark(d: ImageDraw.ImageDraw, kind: str, x: int, y: int, s: int) -> None:
    """A geometric mark in the square (x, y, x + s, y + s), s = side - 1."""
    cx, cy = x + s / 2, y + s / 2
    if kind == "ring":
        d.ellipse((x, y, x + s, y + s), outline=255, width=max(1, s // 7))
        d.pieslice((x + s // 4, y + s // 4, x + s - s // 4, y + s - s // 4), -60, 60, fill=255)
    elif kind == "bars":
        bw = max(1, (s + 1) // 4)
        for i in range(3):
            top = y + s - int(round((i + 1) * s / 3))
            d.rectangle((x + i * (bw + max(1, bw // 2)), top, x + i * (bw + max(1, bw // 2)) + bw - 1, y + s),
                        fill=255)
    elif kind == "hexagon":
        pts = [(cx + s / 2 * math.cos(math.pi / 3 * k), cy + s / 2 * math.sin(math.pi / 3 * k)) for k in range(6)]
        d.polygon(pts, outline=255, width=max(1, s // 8))
    elif kind == "diamond":
        d.polygon([(cx, y), (x + s, cy), (cx, y + s), (x, cy)], fill=255)
        q = max(1, s // 6)
        d.rectangle((cx - q, cy - q, cx + q, cy + q), fill=0)
    else:  # waves: three concentric arcs from a corner point
        for k in range(1, 4):
            r = s * k / 3
            d.arc((x - r, y + s - r, x + r, y + s + r), -90, 0, fill=255, width=max(1, s // 10))
        d.rectangle((x, y + s - 1, x + 1, y + s), fill=255)


def _word(d: ImageDraw.ImageDraw, word: str, x: int, y: int, height: int, weight: int) -> None:
    unit = (height - 1) / 6.0
    advance = unit * 4 + max(2.0, unit * 1.6)
    for i, letter in enumerate(word):
        ox = x + i * advance
        for line in STROKES[letter]:
            pts = [(ox + px * unit, y + py * unit) for px, py in line]
            d.line(pts, fill=255, width=weight, joint="curve" if weight > 1 else None)


def word_width(word: str, height: int) -> int:
    """Pixels the stroke word takes at ``height``."""
    unit = (height - 1) / 6.0
    return int(math.ceil((len(word) - 1) * (unit * 4 + max(2.0, unit * 1.6)) + unit * 4)) + 1


def logo(paint: Paint, rng: np.random.Generator, style: GraphicStyle) -> None:
    """A mark (12-32 px) followed by an invented word in stroke letters (the word left out if it cannot fit)."""
    side = int(min(paint.height, paint.width, int(rng.integers(12, 33))))
    kind = MARKS[int(rng.integers(len(MARKS)))]
    word = invented_word(rng)
    letter_h = int(max(7, round(side * rng.uniform(0.55, 0.9))))
    weight = 1 if letter_h < 14 or rng.random() < 0.5 else 2
    gap = max(3, side // 4)
    while letter_h >= 7 and side + gap + word_width(word, letter_h) + weight > paint.width:
        letter_h -= 1
    with_word = 7 <= letter_h <= side
    total = side + (gap + word_width(word, letter_h) + weight if with_word else 0)
    x0 = int(rng.integers(0, max(1, paint.width - total + 1)))
    y0 = int(rng.integers(0, paint.height - side + 1))
    paint.shape(style.accent, lambda d: _mark(d, kind, x0, y0, side - 1))
    if with_word:
        paint.text = word
        wy = y0 + (side - letter_h) // 2
        paint.shape(style.rgb, lambda d: _word(d, word, x0 + side + gap, wy, letter_h, weight))
