"""The characters a line recognizer can write: one class per character, plus CTC's blank and a placeholder.

Pure Python (no torch): the training command builds a :class:`Charset` from its labels, the model folder
stores it as ``charset.json``, and the backend decodes class indices back to text with it."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Index 0 is CTC's blank (no character); index 1 the placeholder every unknown character maps to.
BLANK = 0
UNKNOWN = 1
PLACEHOLDER = "\ufffd"
#: What Latin-script European text needs beyond ASCII, whether the training labels hold it or not: the
#: Latin-1 Supplement letters and Latin Extended-A (Polish, Czech, Hungarian, Turkish, Nordic...), plus the
#: symbols ultrasound screens print (degree, micro, plus-minus, superscripts, middle dot).
EUROPEAN = "".join(chr(c) for c in range(0xC0, 0x180) if unicodedata.category(chr(c)).startswith("L")) \
    + "°µ±²³·×÷§ªº«»¿¡€£"
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))
FORMAT = "phiphantom.charset/1"


@dataclass(frozen=True)
class Charset:
    """Characters in class order (class ``i + 2`` is ``characters[i]``; 0 blank, 1 placeholder)."""

    characters: str

    @classmethod
    def from_labels(cls, labels: Iterable[str]) -> Charset:
        """Printable ASCII, the European letters and every other character of ``labels``, sorted."""
        seen = set(ASCII) | set(EUROPEAN)
        for label in labels:
            seen.update(label)
        seen.discard(PLACEHOLDER)
        return cls("".join(sorted(c for c in seen if c.isprintable())))

    @property
    def classes(self) -> int:
        """Output classes of the network: the characters, the blank and the placeholder."""
        return len(self.characters) + 2

    def encode(self, text: str) -> list[int]:
        """Class indices of ``text`` (characters outside the set become the placeholder)."""
        index = self._index()
        return [index.get(c, UNKNOWN) for c in text]

    def decode(self, classes: Iterable[int]) -> str:
        """Text of class indices already collapsed by CTC decoding (blanks are skipped)."""
        out = []
        for k in classes:
            if k == BLANK:
                continue
            out.append(PLACEHOLDER if k == UNKNOWN else self.characters[k - 2])
        return "".join(out)

    def _index(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_cached_index")
        if cached is None:
            cached = {c: i + 2 for i, c in enumerate(self.characters)}
            object.__setattr__(self, "_cached_index", cached)
        return cached

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"format": FORMAT, "blank": BLANK, "placeholder": PLACEHOLDER,
                                    "characters": self.characters}, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Charset:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or not isinstance(data.get("characters"), str):
            raise ValueError(f"{path.name} is not a {FORMAT} file")
        return cls(data["characters"])
