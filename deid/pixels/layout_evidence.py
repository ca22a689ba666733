"""Layout evidence: PHI that only the place of a text box on the screen reveals.

The per-line recognisers (PHI grammar, person names, clinical grammar) read one OCR'd line at a time.
Some PHI is only visible from where a line stands: the value to the right of (or below) a field label
that OCR read as its own box ("Name:" | "DOE, JANE"), the first line of a top banner (usually the
patient's name), the lines beside a date of birth (name, age, sex), a line between two PHI lines of a
patient block, an unlabelled name next to a patient ID. :func:`layout_evidence` is pure geometry over
the frame's lines (no OCR, no pixels) and returns, per line, extra :class:`Evidence` of kind
``layout`` over the whole text, with ``source`` naming the rule.

Geometry (pixel coordinates of the stored frame, x = column, y = row, boxes ``[x0, y0, x1, y1)``;
``h`` is the height of the line a rule starts from):

- *same row*: vertical overlap >= 50% of the smaller height;
- *right of*: on the same row, starting after the line's right edge (an overlap of up to half a line
  height is tolerated, OCR boxes touch), x gap <= 3 h;
- *below* / *above*: the nearest line under (over) it among those that share some columns with it,
  vertical gap <= 1.5 h and left edges aligned within h;
- boxes taller than wide holding 3 or more characters (rotated or vertical text), empty or degenerate
  boxes and texts without a letter or digit (a stray ":" box) take no part, neither as a source nor
  as a target ("F" alone may be taller than wide).

Rules (weights are on the scale of :mod:`.evidence`: 1.0 decisive alone, 0.3-0.7 suggestive):

``after-label`` (0.9)
    A *bare label* is a line whose PHI kinds contain ``label``, whose own score is positive, and whose
    text is mostly the label: it ends with ``:`` (or ``=``), or it is short (at most 3 words and 20
    characters: "Date of Birth", "Fecha de nacimiento") with no other PHI kind (a line "ID 123456"
    carries its value itself). Its value is the nearest line right of it; when nothing stands to its
    right, the line below it. Reason: a form's value follows its label, and OCR often splits them into
    two boxes. After a label the recognisers are unsure of (own score < 0.6: an abbreviation such as
    "Acc" or a lone "ID") the weight is 0.6. In a column of labels with their values tab-aligned, the x
    gap is measured from the column's widest label (``ID:`` under ``Patient Name:``). A value that is
    itself a bare label gets nothing (an empty field), and the search never jumps over another line. The
    value's phrase goes with it: the word boxes right of it with x gaps <= 1.5 line heights ("DOE," |
    "JANE"), up to one that is a bare label, leans clinical or is a PHI line (own score >= 0.7) of its
    own; a value that is a PHI line is a whole field.
``beside-birth-date`` (0.7)
    A *birth-date line* is the file's own birth date (its header matched it: kind ``birth-date``), or
    has PHI kind ``date`` and either a birth word (DOB, Birth, Born, Geb.,
    Geburtsdatum, né(e), naissance, DDN, nacimiento, F.Nac, nascita, nascimento, geboren, geboortedatum;
    O/0 confusions tolerated) on the line or on the bare label just left of / above it, or an ``age``
    beside the date on the line ("12/03/1961 (63Y)"). The lines on its row (nearest left, past its own
    label, and right), above and below get this evidence; so do the rows just above and below the
    birth-date *field* (its bare label and value): the first line of that row that starts under the field
    (from the label's left edge, not only left-aligned with the date: OCR may find nothing usable where the
    row starts, "(F) 83" read "®" | "83") and the words of its phrase to the right. Reason: a patient
    block groups name, birth date, age and sex; the birth date is the one unambiguous member.
``name-beside-id`` (0.6)
    A line with PHI kind ``id`` (not a bare label) gives this evidence to its nearest neighbours on the
    row, above and below, when they are *name-shaped*: letters and name punctuation only (space, comma,
    period, hyphen, apostrophe, caret), at most 60 characters, 2 to 5 parts (split at spaces, commas and
    carets; one word beside an ID is as often an exam or a preset), no digits. Reason: a patient's ID is
    printed next to the name, often without any label.
``patient-block`` (0.6)
    A line whose line above and line below are both PHI lines (own score >= 0.7), not both only a date
    or a time (the exam date over the clock is no patient block). Reason: a line inside a left-aligned
    block of PHI lines is part of the block (a second name line, an address).
``banner-first-line`` (0.4)
    The banner is the set of lines in the top 12% of the frame (box ending within it, half a line height
    of tolerance); its first line is the leftmost box on the topmost row that is not already a PHI line
    (own score >= 0.7: a date or an ID printed before the name needs no help). Reason: the top banner of
    an ultrasound screen starts with the patient's name on most devices; at 0.4 (below balanced) it decides only with
    other evidence. The first line's word boxes go with it, as for ``after-label``.

Targets: never a line whose own score is strongly clinical (<= -0.8: the clinical grammar wins there);
the weaker rules (all but ``after-label``) also skip lines that lean clinical (<= -0.5) and bare labels
(a label is PHI evidence of its own). Each rule fires at most once per line; a line may get several.

Sources: the geometry rules follow the screen layouts described in vendor ultrasound manuals and
conformance statements (a patient banner along the top, label/value fields); the birth-date words are
the usual form labels for "date of birth" in English, German, French, Spanish, Italian, Portuguese and
Dutch (common knowledge of these languages; DICOM PS3.6 names the attribute "Patient's Birth Date").
No list or format of this project's generator was used.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .evidence import Evidence

#: The kind a line matching the header's birth date has among its decision's ``phi_kinds`` (set by
#: ``classify.Classifier``): a birth-date line without a birth word (see ``beside-birth-date``)
BIRTH_DATE_KIND = "birth-date"

AFTER_LABEL = 0.9
AFTER_WEAK_LABEL = 0.6      # after a label line its recognisers are unsure of (score < SURE_LABEL: "Acc", "ID")
SURE_LABEL = 0.6
BESIDE_BIRTH_DATE = 0.7
NAME_BESIDE_ID = 0.6
PATIENT_BLOCK = 0.6
BANNER_FIRST_LINE = 0.4

SAME_ROW_OVERLAP = 0.5      # vertical overlap, share of the smaller height
RIGHT_GAP = 3.0             # line heights of x gap to the value right of a label
WORD_GAP = 1.5              # line heights of x gap between the word boxes of one phrase
TOUCH = 0.5                 # line heights two boxes on a row may overlap and still be left / right
BELOW_GAP = 1.5             # line heights of vertical gap to the line below
ALIGN = 1.0                 # line heights the left edges of stacked lines may differ
BANNER_SHARE = 0.12         # the banner: the top 12% of the frame
CLINICAL = -0.8             # at or below: no layout evidence at all
LEANS_CLINICAL = -0.5       # at or below: no evidence of the weaker rules
PHI_LINE = 0.7              # own score of a PHI line (patient block; the banner's first line is not one)
CLOCK_KINDS = frozenset({"date", "time"})   # an exam date and a clock alone do not make a patient block
SHORT_LABEL_CHARS = 20
SHORT_LABEL_WORDS = 3
VERTICAL_CHARS = 3          # a box taller than wide with this many characters is rotated text

_BIRTH = re.compile(
    r"\bD\.?\s?[O0]\.?\s?B\b|BIRTH|\bB[O0]RN\b|\bGEB|NAISS|\bN[EÉ]{1,2}\b|\bDDN\b|NACIM|\bF\.?\s?NAC|NASC",
    re.IGNORECASE)
_NAME_SHAPED = re.compile(r"[^\W\d_](?:[^\W\d_]|[ ,.'’^-])*", re.UNICODE)


@dataclass(frozen=True)
class Line:
    """One OCR'd text box of a frame, in stored-frame pixels, with what the per-line recognisers found.

    ``phi_kinds``: kinds of PHI evidence on the line (``{"label"}``, ``{"date", "age"}``); ``phi_score``:
    the line's own score in [-1, 1] before layout (negative = clinical).
    """

    x0: int
    y0: int
    x1: int
    y1: int
    text: str
    phi_kinds: frozenset[str] = frozenset()
    phi_score: float = 0.0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0


#: Rule (the Evidence's ``source``) -> weight
RULES = {"after-label": AFTER_LABEL, "beside-birth-date": BESIDE_BIRTH_DATE, "name-beside-id": NAME_BESIDE_ID,
         "patient-block": PATIENT_BLOCK, "banner-first-line": BANNER_FIRST_LINE}


def _usable(line: Line, width: int, height: int) -> bool:
    """Horizontal, non-empty, inside the frame and with some text (one or two characters, "F", "45", may
    stand in a box taller than wide; three or more in such a box are rotated or vertical text)."""
    text = line.text.strip()
    vertical = line.height > line.width and len(text) >= VERTICAL_CHARS
    return (line.height > 0 and line.width > 0 and not vertical and any(ch.isalnum() for ch in text)
            and line.x1 > 0 and line.y1 > 0 and line.x0 < width and line.y0 < height)


def same_row(a: Line, b: Line) -> bool:
    """Vertical overlap of at least half the smaller height."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap >= SAME_ROW_OVERLAP * min(a.height, b.height)


def _vertical(a: Line, b: Line, step: int) -> tuple[int, bool]:
    """The gap from ``a`` down to ``b`` (step 1) or up to it (-1), and whether ``b``'s centre lies that way."""
    if step > 0:
        return b.y0 - a.y1, (b.y0 + b.y1) > (a.y0 + a.y1)
    return a.y0 - b.y1, (b.y0 + b.y1) < (a.y0 + a.y1)


def is_bare_label(line: Line) -> bool:
    """A field label with no value of its own on the line (``Name:``, ``DOB``, ``Pat. ID``); a line the
    recognisers score clinical on balance (<= 0) is none, whatever word it shares with a label."""
    if "label" not in line.phi_kinds or line.phi_score <= 0:
        return False
    text = line.text.strip()
    if text.endswith((":", "=", "：")):
        return True
    return (len(text) <= SHORT_LABEL_CHARS and len(text.split()) <= SHORT_LABEL_WORDS
            and line.phi_kinds <= {"label"})


def _name_shaped(text: str) -> bool:
    """Letters and name punctuation only, 2 to 5 parts (family and given name: "DOE, JANE", "DOE^JANE")."""
    text = text.strip()
    parts = [part for part in re.split(r"[\s,^]+", text) if part]
    return (len(text) <= 60 and 2 <= len(parts) <= 5 and _NAME_SHAPED.fullmatch(text) is not None)


class _Layout:
    """The usable lines of one frame and their neighbours (indices into the caller's list)."""

    def __init__(self, lines: Sequence[Line], width: int, height: int) -> None:
        self.lines = lines
        self.height = height
        self.usable = sorted((i for i, line in enumerate(lines) if _usable(line, width, height)),
                             key=lambda i: lines[i].y0)
        self._tops = [lines[i].y0 for i in self.usable]
        self._tallest = max((lines[i].height for i in self.usable), default=0)
        self._nearest: dict[tuple[int, int, bool], tuple[int, int] | None] = {}

    def _near(self, i: int) -> list[int]:
        """Usable lines other than ``i`` that may be on its row, just above or just below it."""
        a = self.lines[i]
        reach = BELOW_GAP * a.height
        lo = bisect.bisect_left(self._tops, a.y0 - reach - self._tallest)
        hi = bisect.bisect_right(self._tops, a.y1 + reach)
        return [j for j in self.usable[lo:hi] if j != i]

    def _nearest_on_row(self, i: int, step: int) -> tuple[int, int] | None:
        """(x gap, index) of the nearest usable line on ``i``'s row to its right (step 1) or left (-1)."""
        key = (i, step, True)
        if key not in self._nearest:
            a = self.lines[i]
            tolerance = TOUCH * a.height
            found = []
            for j in self._near(i):
                b = self.lines[j]
                if not same_row(a, b):
                    continue
                gap, beyond = (b.x0 - a.x1, b.x1 > a.x1) if step > 0 else (a.x0 - b.x1, b.x0 < a.x0)
                if beyond and gap >= -tolerance:
                    found.append(((gap, abs(b.y0 - a.y0), b.y0, b.x1, b.y1), j))
            first = min(found, default=None)
            self._nearest[key] = None if first is None else (first[0][0], first[1])
        return self._nearest[key]

    def _row_side(self, i: int, step: int, reach: float) -> int | None:
        """Nearest usable line on ``i``'s row to its right (step 1) or left (-1), x gap <= ``reach``."""
        best = self._nearest_on_row(i, step)
        if best is None or best[0] > reach:
            return None
        return best[1]

    def right(self, i: int, reach_from: int | None = None) -> int | None:
        """Nearest line right of ``i`` within 3 line heights (measured from ``reach_from``, an x >= x1)."""
        a = self.lines[i]
        extra = 0 if reach_from is None else max(0, reach_from - a.x1)
        return self._row_side(i, 1, RIGHT_GAP * a.height + extra)

    def phrase(self, i: int) -> list[int]:
        """``i`` and the word boxes that carry its phrase on to the right (x gap <= 1.5 line heights),
        up to the first one that is a bare label, leans clinical or is a PHI line of its own (OCR boxes
        may be single words; a date or an ID is a whole field, and what follows it is another)."""
        words = [i]
        if self.lines[i].phi_score >= PHI_LINE:
            return words
        j = self._row_side(i, 1, WORD_GAP * self.lines[i].height)
        while j is not None and j not in words and _weak_target(self.lines[j]) and self.lines[j].phi_score < PHI_LINE:
            words.append(j)
            j = self._row_side(j, 1, WORD_GAP * self.lines[j].height)
        return words

    def left(self, i: int) -> int | None:
        return self._row_side(i, -1, RIGHT_GAP * self.lines[i].height)

    def _stacked(self, i: int, step: int) -> int | None:
        """The next line below (step 1) or above (-1) ``i`` sharing columns with it, if aligned and close."""
        key = (i, step, False)
        if key not in self._nearest:
            a = self.lines[i]
            found = []
            for j in self._near(i):
                b = self.lines[j]
                if same_row(a, b) or min(a.x1, b.x1) <= max(a.x0, b.x0):
                    continue
                gap, centre_after = _vertical(a, b, step)
                if centre_after:
                    found.append(((gap, abs(b.x0 - a.x0), b.x0, b.x1, b.y1), j))
            first = min(found, default=None)
            self._nearest[key] = None if first is None else (first[0][0], first[1])
        best = self._nearest[key]
        if best is None:
            return None
        a, b = self.lines[i], self.lines[best[1]]
        if best[0] > BELOW_GAP * a.height or abs(b.x0 - a.x0) > ALIGN * a.height:
            return None
        return best[1]

    def below(self, i: int) -> int | None:
        return self._stacked(i, 1)

    def under_field(self, i: int, x0: int, step: int) -> int | None:
        """The first line of the row below (step 1) or above (-1) ``i`` that starts under the field
        [``x0``, ``i``'s right edge) (its own label included: the rows of a form start at the labels'
        column), within BELOW_GAP line heights; the leftmost such line when several are on that row.
        Unlike :meth:`below` it need not be left-aligned with ``i``: OCR may have found no usable text in
        the aligned place ("(F) 83" read "®" | "83")."""
        a = self.lines[i]
        found = []
        for j in self._near(i):
            b = self.lines[j]
            gap, centre_after = _vertical(a, b, step)
            if (not same_row(a, b) and centre_after and -TOUCH * a.height <= gap <= BELOW_GAP * a.height
                    and x0 - ALIGN * a.height <= b.x0 < a.x1):
                found.append((gap, b.x0, j))
        if not found:
            return None
        nearest = min(found)[0]
        return min((x, j) for gap, x, j in found if gap - nearest < TOUCH * a.height)[1]

    def above(self, i: int) -> int | None:
        return self._stacked(i, -1)

    def neighbours(self, i: int) -> list[int]:
        """Nearest line left, right, above and below (those that exist, without repeats). On the left, a
        bare label (the line's own label: "DOE, JANE" | "DOB:" | "01/02/1960") is stepped over once."""
        left = self.left(i)
        if left is not None and is_bare_label(self.lines[left]):
            left = self.left(left)
        found = [left, self.right(i), self.above(i), self.below(i)]
        return list(dict.fromkeys(j for j in found if j is not None))

    def label_column_right(self, i: int) -> int:
        """The right edge of the widest bare label in ``i``'s column of stacked, left-aligned bare labels."""
        right, seen = self.lines[i].x1, {i}
        for step in (1, -1):
            j: int | None = i
            while j is not None:
                j = self._stacked(j, step)
                if j is None or j in seen or not is_bare_label(self.lines[j]):
                    break
                seen.add(j)
                right = max(right, self.lines[j].x1)
        return right

    def banner_first(self) -> int | None:
        """The leftmost box on the topmost row of the lines in the top 12% of the frame that is neither
        clinical-leaning nor already a PHI line (a date before the name needs no help; the name does)."""
        limit = BANNER_SHARE * self.height
        banner = [i for i in self.usable if self.lines[i].y1 <= limit + TOUCH * self.lines[i].height]
        if not banner:
            return None
        top = min(banner, key=lambda i: (self.lines[i].y0, self.lines[i].x0))
        row = sorted((i for i in banner if same_row(self.lines[top], self.lines[i])), key=lambda i: self.lines[i].x0)
        for i in row:
            if _weak_target(self.lines[i]) and self.lines[i].phi_score < PHI_LINE:
                return i
        return None


def _strong_target(line: Line) -> bool:
    return line.phi_score > CLINICAL and not is_bare_label(line)


def _weak_target(line: Line) -> bool:
    return line.phi_score > LEANS_CLINICAL and not is_bare_label(line)


def _is_birth_date(layout: _Layout, i: int) -> bool:
    line = layout.lines[i]
    if BIRTH_DATE_KIND in line.phi_kinds:
        return True  # the file's own birth date (the header matched it)
    if "date" not in line.phi_kinds:
        return False
    if "age" in line.phi_kinds or _BIRTH.search(line.text):
        return True
    for j in (layout.left(i), layout.above(i)):
        if j is not None and is_bare_label(layout.lines[j]) and _BIRTH.search(layout.lines[j].text):
            return True
    return False


def _in_patient_block(layout: _Layout, i: int) -> bool:
    """Between two PHI lines, stacked and aligned, that are not both only dates and times."""
    up, down = layout.above(i), layout.below(i)
    if up is None or down is None:
        return False
    ends = (layout.lines[up], layout.lines[down])
    return (min(end.phi_score for end in ends) >= PHI_LINE
            and not all(end.phi_kinds <= CLOCK_KINDS for end in ends))


def layout_evidence(lines: Sequence[Line], width: int, height: int) -> list[list[Evidence]]:
    """Per line of ``lines`` (same order), the layout :class:`Evidence` over its whole text (maybe none).

    ``width`` and ``height`` are the frame's size in pixels (the banner is its top 12%; boxes wholly
    outside it are ignored).
    """
    layout = _Layout(lines, width, height)
    found: list[dict[str, float]] = [{} for _ in lines]

    def give(j: int | None, rule: str, weight: float, strong: bool = False) -> None:
        if j is None:
            return
        line = lines[j]
        if (_strong_target(line) if strong else _weak_target(line)):
            found[j][rule] = max(weight, found[j].get(rule, weight))

    for i in layout.usable:
        line = lines[i]
        if is_bare_label(line):
            value = layout.right(i, layout.label_column_right(i))
            if value is None:
                value = layout.below(i)
            if value is not None and _strong_target(lines[value]):
                weight = AFTER_LABEL if line.phi_score >= SURE_LABEL else AFTER_WEAK_LABEL
                for j in layout.phrase(value):
                    give(j, "after-label", weight, strong=True)
        if _is_birth_date(layout, i):
            label = layout.left(i)
            x0 = lines[label].x0 if label is not None and is_bare_label(lines[label]) else line.x0
            rows = [layout.under_field(i, x0, 1), layout.under_field(i, x0, -1)]  # the rows of the field
            for j in layout.neighbours(i):
                give(j, "beside-birth-date", BESIDE_BIRTH_DATE)
            for first in rows:  # ... and their words on to the right ("(F)" | "83", "24" | "ÉV F")
                for k in layout.phrase(first) if first is not None else []:
                    give(k, "beside-birth-date", BESIDE_BIRTH_DATE)
        if "id" in line.phi_kinds and not is_bare_label(line):
            for j in layout.neighbours(i):
                if _name_shaped(lines[j].text):
                    give(j, "name-beside-id", NAME_BESIDE_ID)
        if _in_patient_block(layout, i):
            give(i, "patient-block", PATIENT_BLOCK)
    first = layout.banner_first()
    for j in layout.phrase(first) if first is not None else []:
        give(j, "banner-first-line", BANNER_FIRST_LINE)
    return [[Evidence("layout", rules[rule], 0, len(lines[i].text), rule) for rule in RULES if rule in rules]
            for i, rules in enumerate(found)]
