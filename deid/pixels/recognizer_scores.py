"""How well a line recognizer read labelled lines: character accuracy (1 - edit distance / label length,
over all lines together), exact line accuracy, and the same per group of lines (no text, only counts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from phiphantom.core.ocr import edit_distance


def normalise(text: str) -> str:
    """Runs of white space as one space, none at the ends (what every backend returns)."""
    return " ".join(text.split())


@dataclass
class Score:
    """Summed over lines: label characters, edits to reach them, lines read exactly."""

    lines: int = 0
    characters: int = 0
    edits: int = 0
    exact: int = 0

    def add(self, read: str, label: str) -> None:
        read, label = normalise(read), normalise(label)
        self.lines += 1
        self.characters += len(label)
        distance = edit_distance(read, label)
        self.edits += distance
        self.exact += distance == 0

    @property
    def char_accuracy(self) -> float:
        """1 - edits / label characters (can go below 0 when reads are much longer than labels)."""
        return 1.0 - self.edits / self.characters if self.characters else 0.0

    @property
    def line_accuracy(self) -> float:
        return self.exact / self.lines if self.lines else 0.0

    def to_json(self) -> dict[str, float | int]:
        return {"lines": self.lines, "characters": self.characters, "edits": self.edits, "exact": self.exact,
                "char_accuracy": round(self.char_accuracy, 4), "line_accuracy": round(self.line_accuracy, 4)}


def score(reads: Sequence[str], labels: Sequence[str]) -> Score:
    """One :class:`Score` over paired reads and labels."""
    total = Score()
    for read, label in zip(reads, labels, strict=True):
        total.add(read, label)
    return total


def grouped(reads: Sequence[str], labels: Sequence[str], groups: Iterable[str]) -> dict[str, Score]:
    """A :class:`Score` per group name (sorted by name)."""
    out: dict[str, Score] = {}
    for read, label, group in zip(reads, labels, groups, strict=True):
        out.setdefault(group, Score()).add(read, label)
    return dict(sorted(out.items()))
