"""Decide, for each piece of burned-in text, whether it is redacted -- and record why.

Every recogniser returns :class:`~.evidence.Evidence` about the line (a kind, a weight in [-1, 1] and
the characters it explains), and :mod:`.line_score` adds them up into one score; a line is redacted
when its score reaches the threshold. ``strict`` and ``balanced`` are two default thresholds on the
same score (``PixelConfig.threshold`` / ``--threshold`` sets any other), so the recall and the
clinical text kept trade off along one curve (docs/deid.md).

Recognisers, none of which reads the generator's data (tests/test_import_direction.py):

1. **header** (:class:`HeaderValues`) -- the text matches a value from the file's own header (name
   parts, IDs, accession, dates in every common format, times, institution, physicians, station,
   serial), with OCR-error tolerance (edit similarity >= 0.8); never discounted;
2. **PHI grammar** (:mod:`.phi_grammar`) -- dates and times in national formats and seven languages,
   ages, sex markers in context, ID shapes, phone numbers, e-mail addresses, field labels;
3. **person names** (:mod:`.person_names`) -- name words from lists independent of the generator,
   and name structure (particles, carets, hyphens, titles);
4. **ner** -- an optional token classifier from a local model folder says PERSON/LOCATION/...;
5. **clinical grammar** (:mod:`.clinical_grammar`) -- parameters with values and units, read-outs,
   probes, presets, modes, anatomy (DICOM context groups), device and software versions, counters;
6. **layout** (:mod:`.layout_evidence`, applied per frame by :mod:`.detect`) -- the value beside a
   field label, the first line of a banner, lines beside a birth date.

Text OCR cannot read scores by its shape (a glyph-sized mark below the ``balanced`` threshold, a
longer one above it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .clinical_form import AGE_SEX_LETTERS
from .clinical_grammar import clinical_evidence
from .config import POLICIES
from .cross_evidence import combined
from .evidence import Evidence, covered
from .header_values import HeaderValues
from .layout_evidence import BIRTH_DATE_KIND
from .line_score import UNEXPLAINED_WEIGHT, LineScore, score_line, threshold_for
from .person_names import name_evidence
from .phi_grammar import phi_evidence

MIN_CONFIDENCE = 40.0  # Tesseract mean word confidence below this: the text was not really read
#: ``readable_only`` (the ``text`` pixel mode of CT, MR, radiographs...): the least confidence and letters or
#: digits a read needs before it is judged at all; anything less is left alone as image (anatomy edges)
READ_CONFIDENCE = 50.0  # text without PHI evidence (PHI evidence counts at any confidence: see _decide_read)
READ_MIN_CHARS = 3      # names, IDs and dates; "AY" read off a CT's bone edge at confidence 75 is not text
#: The weight of an entity the optional NER model finds on a line
NER_WEIGHT = 0.9


@dataclass(frozen=True)
class Decision:
    redact: bool
    # header:<Keyword> | regex:<kind> | name | label | ner:<label> | layout:<rule> | allowlist | strict
    # | unreadable | kept | context (detect.propagate)
    reason: str
    text_kind: str = ""    # what it was recognised as (no value)
    score: float = 0.0     # the line's score (line_score); the threshold it was held against decided
    phi_kinds: frozenset[str] = frozenset()  # kinds of PHI evidence found on the line (for layout evidence)


#: Layout evidence at least this strong makes a bare number beside it PHI (``Classifier.with_layout``): the
#: rules of a label, a birth date and a patient block, not the banner's first line (0.4)
BARE_NUMBER_LAYOUT = 0.6
#: ... when the number's own score is no lower: a scale tick's reading (-0.18), not a counter's (-0.7, -1.0)
BARE_NUMBER_FLOOR = -0.3
#: A bare number: 1-3 digits, nothing else but punctuation and brackets ("94", "()94", "(94)")
_BARE_NUMBER = re.compile(r"[^\w]*\d{1,3}[^\w]*")


#: The decision about a frame counter of this clip (``Classifier._counter``, ``Classifier.frame_number``)
FRAME_COUNTER = Decision(False, "allowlist", "frame-counter", -1.0)


#: A frame counter: "12/150", "12 / 150", optionally after a label ("Fr 12/150" is two words).
_COUNTER = re.compile(r"^(\d{1,4})\s*/\s*(\d{1,4})$")
#: Letters OCR gives for digits in a small counter ("S/10" is 5/10 or 9/10: either is a counter state)
_DIGIT_SLIPS = str.maketrans("SOolIB|", "5001181")
#: Digits OCR gives for letters of a counter's label ("1MG" for IMG)
_LETTER_SLIPS = str.maketrans("1058", "IOSB")
#: Digits OCR reads for a small counter's slash ("5728", "14439", "10530" for 5/28, 14/39, 10/30; "10s30" too)
_SLASH_SLIPS = ("7", "1", "4", "5")
#: Counters out of at most this many frames look like day/month or month/day dates: left to the PHI rules.
DATE_LIKE_COUNT = 31
#: The most letters a frame number's label may have ("Imm.", "IMG", "Bild", "Frame", "Image")
COUNTER_LABEL_LETTERS = 7


#: Unreadable text (OCR found no letters or read garbage): a glyph-sized mark scores below both thresholds;
#: a line-sized one above them (removed by both)
UNREADABLE_SHORT = 0.04  # below strict too: a lone unread glyph (a scale digit) is kept; beside redacted text
#                          it goes with its line (detect.propagate)
UNREADABLE_LONG = 0.55
#: The weighted clinical share a low-confidence read needs to be judged as read (see _trusted)
TRUSTED_CLINICAL = 0.8
#: A read with fewer letters and digits than this share of its box's length in line heights is incomplete
UNDER_READ_SHARE = 0.5
#: Text with at most this width-to-height ratio is a mark, not a line (two or three glyphs)
SHORT_MARK_RATIO = 2.2
#: Reasons recorded for PHI evidence kinds of the grammar (kept from the regex classifier for audits)
_GRAMMAR_KINDS = frozenset({"date", "time", "age", "sex", "id", "phone", "email"})


#: PHI evidence of its phrase at least this strong, over the whole of a word, outweighs what the word alone
#: looks like ("Dec" of "Dec. 18th, 2018" is no deceleration time)
PHRASE_OVERRULES = 0.9


def _with_context(own: list[Evidence], context: Sequence[Evidence], length: int) -> list[Evidence]:
    """A word's own evidence and its phrase's (:func:`.detect.in_phrases`). When the phrase reads the whole word
    as strong PHI and finds nothing clinical on it, the word's own clinical reading is dropped: the phrase
    was read with more of the line, and its clinical grammar leaves the characters of a date or an ID alone."""
    if not context:
        return own
    whole = any(e.weight >= PHRASE_OVERRULES and e.start <= 0 and e.end >= length for e in context)
    if whole and not any(e.weight < 0 for e in context):
        own = [e for e in own if e.weight >= 0]
    return own + list(context)


def _trusted(line: LineScore) -> bool:
    """Whether a low-confidence read says enough to be judged: PHI evidence, or clinical wording that
    explains every character with near-certain evidence."""
    return line.top is not None or (line.unexplained == 0 and line.clinical >= TRUSTED_CLINICAL)


def _misread_count(read: str, count: str) -> bool:
    """Whether ``read`` may be the clip's frame ``count`` as OCR misread it and cannot be a date's day or
    month: the count itself, garbage of at most its length ("%"), or a number of its length above 31."""
    if read == count:
        return True
    if read.isdigit():
        return len(read) == len(count) and int(read) > DATE_LIKE_COUNT
    return 1 <= len(read) <= len(count) and not any(ch.isdigit() for ch in read)


def counter_shaped(text: str, frames: int) -> bool:
    """Whether ``text`` may be a state of a "k/N" frame counter of a clip of ``frames`` frames as OCR misread
    it, whatever it made of k and of the slash: digits (OCR's letter slips for digits included) and at most one
    slash, ending with the count N, at most as long as the longest "k/N" with one character more ("1915",
    "1/15" with its slash read as 9; "20038", "26/38" with 6 and the slash read as 0; "17736" for 1/36). Such a
    read says nothing about PHI when the region's other states count the frames (``detect._dynamic``)."""
    if frames < 2:
        return False
    count = str(frames)
    read = "".join(text.split()).translate(_DIGIT_SLIPS)
    return (re.fullmatch(r"\d+/?\d*", read) is not None and read.endswith(count)
            and len(count) < len(read) <= 2 * len(count) + 2)


def _lone_glyph(text: str) -> bool:
    """A read of one letter ("o", "U", "x": what OCR makes of a scale's digit or a mark) that is none of the
    letters of sex markers, age units and their misreads in either case ("F", "M" read as "N", "y" of "60y"
    read as "&y": judged by the grammar, so a lone sex or age glyph is never let go as a mark)."""
    chars = [ch for ch in text if ch.isalnum()]
    return len(chars) == 1 and chars[0].isalpha() and chars[0].upper() not in AGE_SEX_LETTERS


def _reason(top: Evidence) -> str:
    if top.kind == "header":
        return f"header:{top.source}"
    if top.kind in _GRAMMAR_KINDS:
        return f"regex:{top.kind}"
    if top.kind in ("ner", "layout"):
        return f"{top.kind}:{top.source}"
    return top.kind  # name | label


@lru_cache(maxsize=8192)
def _text_evidence(text: str) -> tuple[Evidence, ...]:
    """:meth:`Classifier.text_evidence`, kept for the process: it depends on the text alone (a phrase's joined
    text is judged again when its file is verified, and a device's clinical lines recur from file to file)."""
    return tuple(combined(text, phi_evidence(text) + name_evidence(text) + clinical_evidence(text)))


@dataclass
class Classifier:
    header: HeaderValues
    policy: str = "strict"
    ner: Callable[[str], list[str]] | None = None  # callable(text) -> list[str] of entity labels
    frames: int = 1            # the clip's frame count: a counter "k/frames" is clinical (see _counter)
    readable_only: bool = False  # judge only text OCR reads with confidence; keep the rest (pixels.modality TEXT)
    threshold: float | None = None  # the score a line must reach to be redacted (None: the policy's default)
    layout: bool = True        # take layout evidence (off when verifying a redaction: see clean._verify)
    changing: bool = False     # the text changes from frame to frame (a state of a changing region: detect)
    _seen: dict[str, tuple[Evidence, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _decided: dict[tuple, Decision] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
        self.cut = threshold_for(self.policy, self.threshold)

    def variant(self, **changes) -> Classifier:
        """This classifier with ``changes`` (``layout``, ``changing``), sharing its evidence cache: a line's
        evidence depends only on its text, the header and the NER model, which a variant keeps."""
        if {"header", "ner"} & set(changes):
            raise ValueError("a variant keeps the header and the NER model (its evidence cache depends on them)")
        other = replace(self, **changes)
        other._seen = self._seen
        other._decided = self._decided  # keyed by every setting decide reads: see decide
        return other

    def evidence(self, text: str) -> list[Evidence]:
        """Every recogniser's evidence about one line (PHI and clinical); a file's lines are judged more
        than once (phrases, verification), so each text's evidence is kept for this classifier's file."""
        cached = self._seen.get(text)
        if cached is not None:
            return list(cached)
        found: list[Evidence] = []
        keyword = self.header.match(text)
        if keyword:
            found.append(Evidence("header", 1.0, 0, len(text), keyword))
        if self.ner is not None:
            labels = self.ner(text)
            if labels:
                found.append(Evidence("ner", NER_WEIGHT, 0, len(text), labels[0]))
        found += self.text_evidence(text)
        self._seen[text] = tuple(found)
        return list(found)

    @staticmethod
    def text_evidence(text: str) -> list[Evidence]:
        """The evidence of the recognisers that place it on characters (grammar, names, clinical grammar)."""
        return list(_text_evidence(text))

    def decide(self, text: str, width: int = 0, height: int = 0, confidence: float = 100.0,
               context: Sequence[Evidence] = (), frame: int | None = None) -> Decision:
        """The decision about one line of text; ``context``: evidence its phrase gave these characters
        (:func:`.detect.in_phrases`), spans in ``text`` with its whitespace runs made single spaces;
        ``frame``: the first frame of the changing region's state the text was read in (None: static text).

        A file's lines are decided more than once (phrases, verification): each decision is kept for the
        file, keyed by the arguments and the settings it depends on (a variant shares the store)."""
        key = (text, width, height, confidence, tuple(context), frame, self.changing, self.readable_only, self.cut)
        decided = self._decided.get(key)
        if decided is None:
            decided = self._decided[key] = self._decide(text, width, height, confidence, context, frame)
        return decided

    def _decide(self, text: str, width: int, height: int, confidence: float, context: Sequence[Evidence],
                frame: int | None) -> Decision:
        text = " ".join(text.split())
        # exactly "k/N" with N this clip's frame count, or a changing region showing its own frame number:
        # evidence enough at any confidence
        if self._counter(text) or (frame is not None and self.frame_number(text, frame)):
            return FRAME_COUNTER
        if self.readable_only:
            return self._decide_read(text, width, height, confidence)
        if not context and _lone_glyph(text) and height and width <= SHORT_MARK_RATIO * height:
            # one glyph read as one letter ("o", "U" for a scale's 0): no more than an unread mark
            return self._unread_mark(True)
        evidence = _with_context(self.evidence(text), context, len(text)) if re.search(r"\w", text) else []
        line = score_line(text, evidence)
        # a read OCR is unsure of is still judged when it has PHI evidence or is wholly explained as clinical
        # text (a misread rarely spells a parameter with its value); short reads have low confidence anyway
        garbled = confidence < MIN_CONFIDENCE and len(text) > 4 and not _trusted(line)
        if not text or not re.search(r"\w", text) or garbled:
            return self._unread_mark(bool(height) and width <= SHORT_MARK_RATIO * height)
        decision = self._judge(line, evidence)
        under = self._under_read(text, width, height)
        if not decision.redact and under > 0 and under >= self.cut:  # a complete read is no evidence at any threshold
            return Decision(True, "unreadable", "under-read", under, decision.phi_kinds)
        return decision

    def _unread_mark(self, short: bool) -> Decision:
        """The decision about text OCR could not read: a glyph-sized mark (``short``) or a line."""
        score = UNREADABLE_SHORT if short else UNREADABLE_LONG
        if score >= self.cut:
            return Decision(True, "unreadable", "unreadable", score)
        return Decision(False, "kept", "unreadable-short", score)

    @staticmethod
    def _under_read(text: str, width: int, height: int) -> float:
        """A score for a read much shorter than its box (a smear read as "L ]", a name OCR dropped but a
        letter of): the box holds about one glyph per line height, and a read that explains less than
        half of that leaves the rest unexplained."""
        if not width or not height:
            return 0.0
        expected = width / height
        read = sum(ch.isalnum() for ch in text)
        if read >= UNDER_READ_SHARE * expected:
            return 0.0
        return UNEXPLAINED_WEIGHT * (1.0 - read / expected)

    def with_layout(self, decision: Decision, layout: Evidence, text: str = "") -> Decision:
        """``decision`` about the line ``text`` after layout evidence about it (a label beside it, its place
        in a banner).

        The two combine as independent evidence (``1 - (1 - s)(1 - w)`` for a line's positive score
        ``s``), so a banner's first line that is also an unknown word or a weak name tips over where
        neither alone would. A line explained as clinical text keeps its place whatever lies beside it,
        except a bare number of 1-3 digits (brackets allowed: "()94", OCR's reading of "(F) 94"), whose only
        clinical reading is a scale tick: beside a birth date, after a PHI label or inside a patient
        block (layout evidence of at least ``BARE_NUMBER_LAYOUT``) it is the age printed without its
        unit, and counts as a line without evidence (``s = 0``)."""
        if decision.redact or not self.layout:
            return decision
        own = decision.score
        if own <= 0:
            if not (layout.weight >= BARE_NUMBER_LAYOUT and own >= BARE_NUMBER_FLOOR
                    and _BARE_NUMBER.fullmatch(text)):
                return decision
            own = 0.0
        score = 1.0 - (1.0 - own) * (1.0 - layout.weight)
        if score < self.cut:
            return decision
        return Decision(True, _reason(layout), "layout", score, decision.phi_kinds | {"layout"})

    def _judge(self, line: LineScore, evidence: list[Evidence]) -> Decision:
        kinds = frozenset(e.kind for e in evidence if e.weight > 0)
        if any(e.kind == "header" and e.source == "PatientBirthDate" for e in evidence):
            kinds |= {BIRTH_DATE_KIND}  # the header names the date, even one the grammar cannot parse
        if line.score >= self.cut:
            if line.top is not None and line.score == line.phi:
                return Decision(True, _reason(line.top), line.top.kind, line.score, kinds)
            return Decision(True, "strict", "text", line.score, kinds)
        if line.unexplained == 0 and line.clinical > 0:
            return Decision(False, "allowlist", "clinical", line.score, kinds)
        return Decision(False, "kept", "text", line.score, kinds)

    def _decide_read(self, text: str, width: int, height: int, confidence: float) -> Decision:
        """``readable_only`` (CT, MR, radiographs...): only a read of a line is judged. PHI evidence (a header
        value, a date/ID pattern, a label) counts at any confidence -- Tesseract gives small, exactly read
        text low scores -- and other text only when read with confidence; everything else is image."""
        if len(re.findall(r"[^\W_]", text)) < READ_MIN_CHARS or (height and width < height):
            return Decision(False, "kept", "not-read")  # a glyph-sized or upright stroke: anatomy, not a line
        evidence = self.evidence(text)
        line = score_line(text, evidence)
        if confidence < READ_CONFIDENCE and not (line.top is not None and line.phi >= self.cut):
            return Decision(False, "kept", "not-read", line.score)
        return self._judge(line, evidence)

    def frame_number(self, text: str, frame: int) -> bool:
        """A changing region's state that shows the number of the frame it is on: "Imm. 5", "IMG 5",
        "Fr5", "#5", "5/28", "5" on the fifth frame (``frame`` 4: counters start at 0 or 1).

        The number is checked against the frame, not against a list of labels, so a counter in any
        language is recognised; a clock (a time of day changes once a second, not with every frame) or
        a date never matches. The label before it may be any short word (one or two words, at most
        :data:`COUNTER_LABEL_LETTERS` letters, not a value of the file's header): a name does not count
        the frames. OCR slips are allowed where they cannot make a counter of anything else: S, O, l, I,
        B for digits of the number and 1, 0, 5, 8 for letters of the label ("1MG 11"), a counter's slash
        read as 7, 1, l, 4, 5 or s ("5728", "14439", "10s30") when the count after it is this clip's frame count or
        misread with its length kept ("11746" for 11/40 on frame 10), any first number of the same length
        before ``/N`` ("16/13" for 10/13), and any count OCR misread after the frame's own number ("3/48",
        "2/%"); never a misread count that could be a day or a month (``_misread_count``)."""
        if self.frames < 2:
            return False
        # "10s30": the slash read as s; "7 /27", "7/ 27": OCR's space on one side of the slash (a phrase of boxes)
        text = re.sub(r"(?<=\d)s(?=\d)", "/", re.sub(r"\s*/\s*", "/", text))
        found = re.fullmatch(r"(.*?)[#\s]*([\dSOolIB|]{1,6}(?:/\S{1,5})?)", text)
        if not found:
            return False
        label, number = found.group(1).split(), found.group(2).translate(_DIGIT_SLIPS)
        if not any(ch.isdigit() for ch in found.group(2)) and not (
                len(found.group(2)) == 1 and len(label) == 1 and len(label[0]) <= 2):
            return False  # "Wrtl" is a word, not "Wrt" and 1; a lone slip only after a short label ("FrS")
        letters = sum(ch.isalpha() for word in label for ch in word)
        if len(label) > 2 or letters > COUNTER_LABEL_LETTERS or not all(
                re.fullmatch(r"[^\W\d_]+[.:#]?|#|N[°º]", word.translate(_LETTER_SLIPS))
                and (word == "#" or any(ch.isalpha() for ch in word)) for word in label):
            return False
        if label and self.header.match(" ".join(label)):
            return False  # the patient's own name is no counter's label
        shown = (str(frame), str(frame + 1))
        count = str(self.frames)
        if "/" in number:
            first, _, last = number.partition("/")
            if first in shown and _misread_count(last, count):
                return True  # the frame's own number before its count misread ("3/48", "2/%" for 3/40, 2/40)
            return last == count and first.isdigit() and len(first) in (len(shown[0]), len(shown[1]))
        if number in shown or any(number == k + count for k in shown):  # the slash not read: "528"
            return True
        # the slash read as a digit, the count as it is or misread with its length kept: "5728" for 5/28,
        # "11746" for 11/40 on frame 10
        return any(_misread_count(number[len(k) + 1:], count) for k in shown for sep in _SLASH_SLIPS
                   if number.startswith(k + sep))

    def _counter(self, text: str) -> bool:
        """A frame counter of this clip: "k/N" (k <= N) where N is the clip's own frame count.

        Three- and four-digit counts are not scale numbers, so long clips (100-500 frames) lost every
        counter state under ``strict``. N must equal the frame count, and counts up to 31 stay with the
        PHI rules ("5/12" may be a date) unless the text changes from frame to frame (``changing``: a
        date on screen does not change with every frame of a 12-frame clip)."""
        words = text.replace(" / ", "/").split()
        if not words:
            return False
        found = _COUNTER.match(words[-1].translate(_DIGIT_SLIPS))  # Tesseract reads a small 9 or 5 as S
        if not found:
            return False
        k, n = int(found.group(1)), int(found.group(2))
        if not (n == self.frames and (n > DATE_LIKE_COUNT or self.changing) and k <= n):
            return False
        prefix = " ".join(words[:-1])
        return not prefix or covered(prefix, [e for e in clinical_evidence(prefix) if e.weight < 0]) == 1.0


#: Lines whose judging builds every recogniser's tables: name lists, the clinical lexicon and its misread
#: and cut-short indexes, the date grammar (each built on first use and kept for the process)
_FIRST_LINES = ("Anna-Maria NOWAK F 34Y 12 MAR 1961", "CONSOLIDAGAQ MUSCULOSKELETEL MUSCULOESQ. MI 0.8")


def load_recognisers() -> None:
    """Build the recognisers' tables now (an engine's start), not while its first file is timed."""
    for line in _FIRST_LINES:
        Classifier.text_evidence(line)
