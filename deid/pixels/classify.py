"""Decide, for each piece of burned-in text, whether it is redacted -- and record why.

Evidence, in order:

1. **header** -- the text matches a value from the file's own header (name parts,
   IDs, accession, dates in every common format, times, institution, physicians,
   station, serial), with OCR-error tolerance (edit similarity >= 0.8);
2. **regex** -- it looks like a date, a time, an identifier or a phone number;
3. **ner** -- an optional token classifier from a local model folder says PERSON/LOCATION/...;
4. **allowlist** -- every token is ultrasound clinical vocabulary (probes, presets,
   modes, MI/TIS, gain, depth, frequency, frame rate, body markers, units, scale
   numbers, frame counters).

Policies: ``strict`` (default) redacts everything that is not allowlisted,
including text OCR cannot read; ``balanced`` redacts only text classified as PHI
(and unreadable text longer than a couple of characters).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from phiphantom.core.ocr import similarity

from ..text_clean import date_forms
from .config import POLICIES  # noqa: E402,F401 - the policy names live with the settings

MIN_CONFIDENCE = 40.0  # Tesseract mean word confidence below this: the text was not really read
#: ``readable_only`` (the ``text`` pixel mode of CT, MR, radiographs...): the least confidence and letters or
#: digits a read needs before it is judged at all; anything less is left alone as image (anatomy edges)
READ_CONFIDENCE = 50.0  # text without PHI evidence (PHI evidence counts at any confidence: see _decide_read)
READ_MIN_CHARS = 3      # names, IDs and dates; "AY" read off a CT's bone edge at confidence 75 is not text

#: Transducer names: C5-2, L12-5, P4-1, ML6-15, C60x, M5Sc, 4C, 12L, 3Sc (case matters: "7oy" is an OCR'd age).
_PROBE = re.compile(r"^(?:[A-Z]{1,3}\d{1,2}(?:-\d{1,2})?[A-Z]?(?:x|Sc)?|\d{1,2}(?:[A-Z]{1,2}|Sc))$")
#: Scale numbers and parameter values: at most two integer digits (a bare 3-digit number may be an age).
_NUMBER = re.compile(r"^\d{1,2}([.,]\d{1,2})?$")
#: A value with its unit: 100%, 60dB, 12.0cm, 5.0MHz, 35Hz, 30fps.
_VALUE_UNIT = re.compile(r"^\d{1,3}([.,]\d{1,2})?(%|dB|cm|mm|MHz|kHz|Hz|fps)$", re.I)
CLINICAL_WORDS = frozenset("""
LUNG LUNGS PLEURA PLEURAL THORAX CHEST FAST EFAST ABD ABDOMEN CARDIAC HEART VASC VASCULAR MSK OB GYN RENAL KIDNEY
BLADDER BREAST THYROID SMALL PARTS GEN GENERAL PRESET
B M 2D 3D 4D MODE BMODE MMODE CFM CF CD PW CW PD PDI THI HAR HARM TISSUE COLOR COLOUR DOPPLER SPLIT DUAL
MI TI TIS TIB TIC G GAIN DB D DEPTH CM MM FRQ FREQ F MHZ KHZ HZ FR FPS FRAME DR DYN PWR POWER AO FOCUS ZOOM PERSIST SRI
CRI XBEAM PEN RES GEN
R L RT LT ANT LAT POST SUP INF MED MID RUL RML RLL LUL LLL LING PLAPS BLUE ZONE APEX BASE TRV TRANS SAG LONG
""".split())
PHI_LABELS = frozenset("""
NAME PATIENT PT ID MRN PID PAT DOB BORN BIRTH AGE SEX ACC ACCESSION REF PHYS PHYSICIAN DR OP OPERATOR SONO
SONOGRAPHER HOSP HOSPITAL INST DATE TIME STUDY EXAM
""".split())
PHI_REGEXES = (
    ("date", re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b")),
    ("date", re.compile(r"\b\d{1,2}[- ]?(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*[- ]?\d{2,4}\b", re.I)),
    ("date", re.compile(r"\b(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\b")),
    ("time", re.compile(r"\d{1,3}:\d{2}")),
    ("id", re.compile(r"\b[A-Z]{0,4}\d{5,}\b", re.I)),
    ("id", re.compile(r"\b\d{2,}-\d{2,}(-\d+)*\b")),
    ("phone", re.compile(r"\+?\d[\d ()./-]{7,}\d")),
    ("date", re.compile(r"^\d{1,2}[/-](0?[1-9]|1[0-2])[/-]?$")),          # "25/07" (a date cut in two; not "8.7")
    ("date", re.compile(r"^[./-]?(19|20)\d{2}$")),                       # "/1938", "2019"
    ("age", re.compile(r"\b\d{1,3} ?(Y|YR|YRS|YEARS|J|JAHRE|ANS|A)\b(?![.:/])", re.I)),
)


def tokens(text: str) -> list[str]:
    """Letters and numbers as separate tokens: ``5.0MHz`` -> ``5.0``, ``MHz``; ``R-ANT`` -> ``R``, ``ANT``."""
    return re.findall(r"\d+(?:[.,]\d+)?|[^\W\d_]+|%", text)


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).upper()


@dataclass(frozen=True)
class Decision:
    redact: bool
    # header:<Keyword> | regex:<kind> | ner:<label> | label | allowlist | strict | unreadable | kept
    reason: str
    text_kind: str = ""    # what it was recognised as (no value)


@dataclass
class HeaderValues:
    """Normalised PHI values from the file's own header (in memory only)."""

    words: dict[str, str] = field(default_factory=dict)    # normalised token -> keyword
    digits: dict[str, str] = field(default_factory=dict)   # digit strings (dates, times, IDs) -> keyword
    full: dict[str, list[str]] = field(default_factory=dict)  # keyword -> whole values (names, IDs, places)

    PERSON = ("PatientName", "ReferringPhysicianName", "PerformingPhysicianName", "OperatorsName",
              "NameOfPhysiciansReadingStudy", "RequestingPhysician", "PhysiciansOfRecord")
    IDS = ("PatientID", "AccessionNumber", "StudyID", "DeviceSerialNumber", "StationName", "IssuerOfPatientID")
    PLACES = ("InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "PatientAddress")
    DATES = ("PatientBirthDate", "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "InstanceCreationDate")
    TIMES = ("StudyTime", "SeriesTime", "AcquisitionTime", "ContentTime")

    @classmethod
    def from_dataset(cls, ds: Dataset) -> HeaderValues:
        hv = cls()

        def values(item: Dataset, keyword: str) -> list[str]:
            element = item.data_element(keyword) if keyword in item else None
            if element is None:
                return []
            value = element.value
            seq = list(value) if isinstance(value, (list, MultiValue)) else [value]
            return [str(v) for v in seq if v not in (None, "")]

        for kw in cls.PERSON + cls.IDS + cls.PLACES:
            for value in values(ds, kw):
                hv.full.setdefault(kw, []).append(value)
        for kw in cls.PERSON:
            for value in values(ds, kw):
                for part in re.split(r"[\^=,\s]+", value):
                    if len(_norm(part)) >= 2 and not _norm(part).isdigit():
                        hv.words[_norm(part)] = kw
        for kw in cls.IDS:
            for value in values(ds, kw):
                n = _norm(value)
                if len(n) >= 3:
                    hv.words[n] = kw
                    digits = re.sub(r"\D", "", value)
                    if len(digits) >= 4:
                        hv.digits[digits] = kw
        for item in ds.get("OtherPatientIDsSequence", []) or []:
            if not isinstance(item, Dataset):  # not a sequence (a wrong VR; found by the fuzzer)
                continue
            for value in values(item, "PatientID"):
                hv.words[_norm(value)] = "OtherPatientIDs"
                digits = re.sub(r"\D", "", value)
                if len(digits) >= 4:
                    hv.digits[digits] = "OtherPatientIDs"
        for kw in cls.PLACES:
            for value in values(ds, kw):
                for part in re.split(r"[\s,]+", value):
                    if len(_norm(part)) >= 4:
                        hv.words[_norm(part)] = kw
        for kw in cls.DATES:
            for value in values(ds, kw):
                for form in date_forms(value):
                    digits = re.sub(r"\D", "", form)
                    if digits:
                        hv.digits[digits] = kw
                    hv.words[_norm(form)] = kw
        for kw in cls.TIMES:
            for value in values(ds, kw):
                digits = re.sub(r"\D", "", value)[:6]
                if len(digits) >= 4:
                    hv.digits[digits] = kw
                    hv.digits[digits[:4]] = kw
        return hv

    def match(self, text: str) -> str | None:
        """The header keyword a text matches (OCR-tolerant), or None."""
        for token in tokens(text):
            n = _norm(token)
            if len(n) < 2:
                continue
            if n in self.words:
                return self.words[n]
            if len(n) >= 4:
                for word, kw in self.words.items():
                    if len(word) >= 4 and abs(len(word) - len(n)) <= 2 and similarity(n, word) >= 0.8:
                        return kw
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 4:
            for value, kw in self.digits.items():
                if value in digits or (len(digits) >= 6 and similarity(digits, value) >= 0.8):
                    return kw
        whole = _norm(text)
        for word, kw in self.words.items():
            if len(word) >= 6 and word in whole:
                return kw
        return None


#: A frame counter: "12/150", "12 / 150", optionally after a label ("Fr 12/150" is two words).
_COUNTER = re.compile(r"^(\d{1,4})\s*/\s*(\d{1,4})$")
#: Counters out of at most this many frames look like day/month or month/day dates: left to the PHI rules.
DATE_LIKE_COUNT = 31


@dataclass
class Classifier:
    header: HeaderValues
    policy: str = "strict"
    ner: Callable[[str], list[str]] | None = None  # callable(text) -> list[str] of entity labels
    frames: int = 1            # the clip's frame count: a counter "k/frames" is clinical (see _counter)
    readable_only: bool = False  # judge only text OCR reads with confidence; keep the rest (pixels.modality TEXT)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")

    def decide(self, text: str, width: int = 0, height: int = 0, confidence: float = 100.0) -> Decision:
        text = " ".join(text.split())
        if self._counter(text):  # exactly "k/N" with N this clip's frame count: evidence enough at any confidence
            return Decision(False, "allowlist", "frame-counter")
        if self.readable_only:
            return self._decide_read(text, width, height, confidence)
        garbled = confidence < MIN_CONFIDENCE and len(text) > 4  # short reads have low confidence anyway
        if not text or not re.search(r"\w", text) or garbled:
            if self.policy == "balanced" and height and width <= 2.2 * height:
                return Decision(False, "kept", "unreadable-short")
            return Decision(True, "unreadable", "unreadable")
        return self._phi_evidence(text) or self._by_vocabulary(text)

    def _decide_read(self, text: str, width: int, height: int, confidence: float) -> Decision:
        """``readable_only`` (CT, MR, radiographs...): only a read of a line is judged. PHI evidence (a header
        value, a date/ID pattern, a label) counts at any confidence -- Tesseract gives small, exactly read
        text low scores -- and other text only when read with confidence; everything else is image."""
        if len(re.findall(r"[^\W_]", text)) < READ_MIN_CHARS or (height and width < height):
            return Decision(False, "kept", "not-read")  # a glyph-sized or upright stroke: anatomy, not a line
        evidence = self._phi_evidence(text)
        if evidence is not None:
            return evidence
        if confidence < READ_CONFIDENCE:
            return Decision(False, "kept", "not-read")
        return self._by_vocabulary(text)

    def _phi_evidence(self, text: str) -> Decision | None:
        """A redaction with its evidence (header value, pattern, NER, a PHI label), or None."""
        keyword = self.header.match(text)
        if keyword:
            return Decision(True, f"header:{keyword}", "phi")
        for kind, pattern in PHI_REGEXES:
            if pattern.search(text):
                return Decision(True, f"regex:{kind}", kind)
        if self.ner is not None:
            labels = self.ner(text)
            if labels:
                return Decision(True, f"ner:{labels[0]}", "ner")
        if any(_norm(t) in PHI_LABELS for t in tokens(text)):
            return Decision(True, "label", "label")
        return None

    def _by_vocabulary(self, text: str) -> Decision:
        """Text without PHI evidence: clinical vocabulary is kept; the rest goes under ``strict``."""
        toks = tokens(text)
        if toks and all(self._clinical_word(w) for w in text.split()):
            return Decision(False, "allowlist", "clinical")
        if self.policy == "strict":
            return Decision(True, "strict", "text")
        return Decision(False, "kept", "text")

    def _counter(self, text: str) -> bool:
        """A frame counter of this clip: "k/N" (k <= N) where N is the clip's own frame count.

        Three- and four-digit counts are not scale numbers, so long clips (100-500 frames) lost every
        counter state under ``strict``. N must equal the frame count, and counts up to 31 stay with the
        PHI rules ("5/12" may be a date)."""
        words = text.replace(" / ", "/").split()
        if not words or not all(self._clinical_word(w) for w in words[:-1]):
            return False
        found = _COUNTER.match(words[-1])
        if not found:
            return False
        k, n = int(found.group(1)), int(found.group(2))
        return n == self.frames and n > DATE_LIKE_COUNT and k <= n

    @staticmethod
    def _clinical_token(token: str) -> bool:
        # OCR reads a capital I as a small l ("Ml", "TlB"): accept either
        return (_norm(token) in CLINICAL_WORDS or _norm(token.replace("l", "I")) in CLINICAL_WORDS
                or bool(_NUMBER.match(token)) or token == "%")

    @classmethod
    def _clinical_word(cls, word: str) -> bool:
        """A whitespace-separated word: a probe name, or made only of clinical tokens."""
        word = word.strip(":;,")
        if re.search(r"\d\s*:\s*\d", word):
            return False  # digits around a colon read like a time, not a parameter
        if _PROBE.match(word) or _PROBE.match(re.sub(r"(?<=[A-Z])[lI]", "1", word)) or _VALUE_UNIT.match(word):
            return True
        toks = tokens(word)
        return bool(toks) and all(cls._clinical_token(t) for t in toks)
