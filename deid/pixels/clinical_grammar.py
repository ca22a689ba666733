"""Clinical grammar of an ultrasound screen line: which characters are parameters, read-outs, probe,
preset and mode names, anatomy, annotations, device and software strings, counters and scales.

:func:`clinical_evidence` returns :class:`~.evidence.Evidence` with negative weights for one OCR line:

* ``parameter`` / ``measurement``: a name with its value and unit ("Gain 52", "DR 60 dB", "G52%",
  "PRF 3.5 kHz", "Persist Med", "D1 1.23 cm", "+ Dist 2.31 cm", "S/D 3.1", "E/e' 8.2") -1.0; a
  name alone by its list's weight (-0.6 to -0.9); names that are also PHI words ("DR", "Prof", "F")
  only with a value (a single-letter name needs a decimal or a unit: "F 3.5M", "D 12.0cm", not "F 35");
* ``unit``: a number with a unit ("5.0MHz", "16 cm", "60°", "1.5x", "23w4d") -0.9, a unit alone -0.85;
* ``probe``: transducer names by shape (C5-2, L12-4, 15L4, 9L-D, L38, HFL50x, rC60xi, PA230) -0.6..-0.85;
* ``device``: software versions ("V2.3.1", "SW 4.5.2", "Ver. 12.0", "Rev. B", "Build 1234": -1.0; a
  build number of 5+ digits only -0.3), vendor and product words and a model token after them;
* ``counter``: frame counters ("Fr 12/150", "F: 23" -1.0; a bare "12/150" -0.7 when it cannot be a day
  and month) and elapsed cine clocks with a decimal ("0:03.2") -0.7;
* ``scale``: a number alone of at most 4 digits -0.3 (not a year 1900-2099);
* ``annotation``: a line of 2+ words that are all clinical, at least one of them specific, -1.0 over
  the line; ``word`` and the list kinds for single known words.

Never clinical: dates (numeric, ISO 8601, with month names in EN/DE/FR/ES/IT/PT/NL), clock times HH:MM
and HH:MM:SS, numbers of 5+ digits, ages with a unit, e-mail addresses, phone numbers with "+" or
"(area)", everything after a PHI label or a title on the line ("Name:", "ID", "DOB", "Dr.", "Herr"), a
whole line naming an institution ("Hospital", "Klinikum", "Center"), name particles in lower or Title case
("van der", "de la") and "Surname, Given" pairs ("Lung, Anna").
OCR confusions O/0, l/I/1, S/5 are tried on words that miss, and hyphens and apostrophes are optional.
The vocabulary and its sources (DICOM PS3.16 context groups through pydicom, IEC 62359 output display
indices, ASE/EACVI abbreviations, lung-ultrasound consensus terms, vendor manuals) are in
:mod:`.clinical_terms` and ``data/clinical/README.md``; nothing comes from the generator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from .clinical_form import (
    ABBREVIATION_WEIGHT,
    CODE_WEIGHT,
    LABEL_WEIGHT,
    confused_unit,
    feature_name,
    measured_label,
    shape_weight,
    value_label,
)
from .clinical_fuzzy import FUZZY_SHARE, cut_term, far_term, near_term, near_unit
from .clinical_terms import (
    INSTITUTION_WORDS,
    METHOD_NOUNS,
    NAME_PARTICLES,
    PHI_LABELS,
    PHI_SHAPES,
    PROBE_SHAPES,
    TITLES,
    WEAK_WEIGHT,
    Term,
    clinical_words,
    fold,
    lexicon,
)
from .evidence import SHAPE_KIND, Evidence
from .phi_vocabulary import GLUED_AGE_SEX

__all__ = ["clinical_evidence", "clinical_words"]

_NUMBER = r"[-+±]?\d{1,4}(?:[.,]\d{1,3})?"
_NUM_RE = re.compile(rf"{_NUMBER}%?")
_GLUED_UNIT = re.compile(rf"({_NUMBER})([^\d\s]+\d?)")  # cm2, mm3, cm/s2: a unit may end in a digit
_GLUED_AGE_SEX = re.compile(GLUED_AGE_SEX)  # "F45", "39M": an age and a sex, no probe or frequency
#: two decimals for one setting: a harmonic's transmit/receive frequencies "1.7/3.4 MHz" (a date has no decimals)
_DECIMAL_PAIR = re.compile(r"\d{1,2}[.,]\d{1,2}/\d{1,2}[.,]\d{1,2}")
_PAIR_UNIT = re.compile(rf"({_DECIMAL_PAIR.pattern})([^\d\s]+\d?)")
_SHORT_UNITS = frozenset({"M", "X", "S", "G", "MS", "K"})  # units only glued to a number: 3.5M, 1.5x, 12s
_LONE_SHORT_UNITS = frozenset({"g", "x", "s"})  # ... or after it as written: "1250 g", "1.5 x" (not "45 M")
_GA = re.compile(r"\d{1,2}[wW]\d?[dD]?")
_COUNTER = re.compile(r"(\d{1,4})\s?/\s?(\d{1,4})")
#: a factor after a parameter's name ("Zoom x1.5", "Zoom ×2"): never a date, an age or an ID
_MULTIPLIER = re.compile(r"[xX×]\d{1,2}(?:[.,]\d{1,2})?")
_LETTER_VALUE = re.compile(r"[A-Z](?:\d{1,2}(?:[.,]\d{1,2})?|/\d)?")
_CLOCK = re.compile(r"\d{1,2}:\d{2}[.,]\d{1,3}")
_VERSION = re.compile(r"[vV]\d{1,3}(?:\.\d{1,4}){1,3}[a-zA-Z]?"
                      r"|(?i:SW|S/W|VER|VERS|FW|REV|BUILD)\.?\d{1,4}(?:\.\d{1,4}){0,3}[a-zA-Z]?")  # SW4.5.2
_VERSION_VALUE = re.compile(r"[vVrR]?\d{1,4}(?:\.\d{1,4}){0,3}[a-zA-Z]?|[A-Z]\d?")
_COUNTER_LABELS = frozenset({"FR", "FRAME", "FRM", "F", "IMG", "IMAGE", "IM", "BILD", "CLIP", "CINE", "#", "NO",
                             "FRAMES", "IMAGEN", "IMMAGINE"})
_DEVICE_LABELS = frozenset({"V", "VER", "VERS", "VERSION", "SW", "S/W", "SOFTWARE", "REV", "RELEASE", "BUILD",
                            "FW", "FIRMWARE", "HW", "R"})
_OF = frozenset({"OF", "VON", "DE", "DI", "VAN", "/"})
_ABBREVIATED = frozenset({"parameter", "measurement", "mode", "device"})  # kinds whose short names are capitals
#: a product model after a brand word: letters and at most 3 digits (e10, XR-7, S70, i800, 7G; not an ID)
_MODEL = re.compile(r"(?=[^\s]*\d)(?=[^\s]*[A-Za-z])[A-Za-z]{0,3}-?\d{1,3}[A-Za-z]{0,3}\+?")
_BRAND = re.compile(r"[A-Z][A-Za-z]{2,11}")
_SEX_LETTERS = frozenset({"M", "F", "W", "H", "V"})  # male, female, weiblich, hombre, varón: never relaxed
_CALIPERS = frozenset({"+", "X", "A", "B", "C", "D", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"})
_OCR_TO_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "|": "I"})
_OCR_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5"})
#: a cine clock ("0:12.35"); a word of two or more letters whose period OCR glued to the value after it ("PROF.20.5":
#: the space after an abbreviation's period is lost at small sizes), as its own token; any other run
_TOKEN = re.compile(r"\d{1,2}:\d{2}[.,]\d{1,3}|[^\W\d_]{2,}\.(?=\d)|[^\s:=;,()\[\]{}|]+")
_STRIP = ".*'\"`!?~<>"


@dataclass
class _Token:
    start: int
    end: int
    text: str
    blocked: bool = False
    particle: bool = False  # blocked as a name particle ("de", "van"): a known clinical phrase may hold it


def _tokens(text: str) -> list[_Token]:
    blocked = [(m.start(), m.end()) for m in PHI_SHAPES.finditer(text)]
    out: list[_Token] = []
    for m in _TOKEN.finditer(text):
        start, end = m.start(), m.end()
        word = m.group()
        lead = len(word) - len(word.lstrip(_STRIP))
        trail = len(word) - len(word.rstrip(_STRIP + "'’"))
        if lead + trail < len(word):
            start, end, word = start + lead, end - trail, word[lead:len(word) - trail]
        hit = any(s < end and start < e for s, e in blocked)
        out.append(_Token(start, end, word, hit))
    if any(fold(tok.text) in INSTITUTION_WORDS for tok in out):
        for tok in out:
            tok.blocked = True
    for i, tok in enumerate(out):
        if tok.text.lower() in NAME_PARTICLES and tok.text[1:].islower() and not tok.blocked:
            tok.blocked = tok.particle = True
        # "Surname, Given": a word, a comma (OCR: a dot), a capitalised word that is no clinical term ("Lung, Anna")
        between = text[tok.end:out[i + 1].start] if i + 1 < len(out) else ""
        if ("," in between or "." in between) and out[i + 1].text[:1].isupper() and (
                _lookup(out[i + 1].text) is None and any(ch.isalpha() for ch in tok.text)):
            tok.blocked = out[i + 1].blocked = True
    # everything after a PHI label, or a title before a capitalised word, is PHI context
    for i, tok in enumerate(out):
        key = fold(tok.text.rstrip("."))
        title = key in TITLES and i + 1 < len(out) and out[i + 1].text[:1].isupper()
        if key in PHI_LABELS or fold(tok.text) in PHI_LABELS or title:
            for later in out[i:]:
                later.blocked = True
            break
    return out


def _lookup(word: str) -> Term | None:
    lex = lexicon()
    key = fold(word)
    term = lex.get(key) or lex.get(key.strip("'’"))
    if term is not None or not any(ch.isalpha() for ch in word):
        return term
    variants = {key.translate(_OCR_TO_LETTER)}
    misfit = ("l" in word and word.replace("l", "").isupper()) or ("I" in word[1:] and word.replace("I", "").islower())
    if len(key) >= 4 or misfit:  # "THl", "GaIn"; not "Mai" (MAL), "Lui" (LUL), "Ira" (LRA), "Eli"
        variants |= {v.replace("L", "I") for v in list(variants)} | {v.replace("I", "L") for v in list(variants)}
    for variant in variants - {key}:
        if variant.isalpha() or "/" in variant or "-" in variant:
            term = lex.get(variant)
            if term is not None:
                return term
    return None


def _misread_term(word: str, after: str) -> tuple[Term, str] | None:
    """The clinical term ``word`` may be with its evidence source (``clinical_fuzzy``): one OCR slip from a term
    ("Fow"), cut short with the dot ``after`` it ("MUSCULOESQ."), or, a long word, two slips ("CONSOLIDAGAQ")."""
    bare = word.strip(".,:;")
    if (term := near_term(bare)) is not None:
        return term, "clinical:ocr-slip"
    if (term := cut_term(word + after)) is not None:
        return term, "clinical:cut-short"
    if (term := far_term(bare)) is not None:
        return term, "clinical:ocr-slips"
    return None


def _lower_short(word: str) -> bool:
    """A word of 1-2 lower-case letters: an abbreviation only with a value after it."""
    return len(word) <= 2 and word.isalpha() and word.islower()


def _number(word: str) -> bool:
    return bool(_NUM_RE.fullmatch(word) or _NUM_RE.fullmatch(_as_digits(word)))


def _as_digits(word: str) -> str:
    """OCR's O/l/I/S read as digits, in a word that starts with a digit ("5.OMHz"; not "Ok", "Sook")."""
    return word.translate(_OCR_TO_DIGIT) if word[:1].isdigit() or word[:2] in ("-0", "+0") else word


def _value_unit(word: str) -> bool:
    """A number with a unit glued on: 5.0MHz, 16cm, 52%, 60°, 1.5x, 3.5M, 23w4d, 2.6/2.6MHz."""
    if _GA.fullmatch(word):
        return True
    if _GLUED_AGE_SEX.fullmatch(word):
        return False  # "39M" is an age and a sex; a frequency glued to M is a decimal or at most 15 ("7M")
    units = lexicon().units
    return any(fold(unit) in units or fold(unit) in _SHORT_UNITS for unit in _glued_units(word, pairs=True))


def _misread_value_unit(word: str) -> bool:
    """A number with a unit OCR misread glued on: "7.7CH", "0.89M!S", "131MWS" (see ``confused_unit``)."""
    return any(confused_unit(unit, lexicon().units) for unit in _glued_units(word, pairs=False))


def _glued_units(word: str, pairs: bool) -> Iterator[str]:
    """What is glued after the number of ``word``, as written and with OCR's O/l/I/S read as digits;
    ``pairs``: a pair of decimals for one setting counts as the number ("2.6/2.6MHz")."""
    for candidate in (word, _as_digits(word)):
        m = _GLUED_UNIT.fullmatch(candidate) or (_PAIR_UNIT.fullmatch(candidate) if pairs else None)
        if m:
            yield m.group(2)


def _measure_after(tokens: list[_Token], i: int) -> bool:
    """Whether token ``i`` is a number with a unit of measure of the list (glued, misread or the next
    token: "8.4CM", "7 3CN", "40 dB", "61%"); the one-letter units of ``_SHORT_UNITS`` do not count
    ("45 M" may be an age and a sex)."""
    if i >= len(tokens) or tokens[i].blocked:
        return False
    word, units = tokens[i].text, lexicon().units
    if any(fold(unit) in units for unit in _glued_units(word, pairs=True)) or _misread_value_unit(word):
        return not _GLUED_AGE_SEX.fullmatch(word)
    return _number(word) and i + 1 < len(tokens) and not tokens[i + 1].blocked and (
        _unit(tokens[i + 1].text) or confused_unit(tokens[i + 1].text, units))


def _unit(word: str) -> bool:
    return fold(word) in lexicon().units


def _year(word: str) -> bool:
    return bool(re.fullmatch(r"[-+]?(?:19|20)\d{2}", word))


def _probe(word: str) -> float:
    if _GLUED_AGE_SEX.fullmatch(word):
        return 0.0  # "F45", "M67": a sex and an age, printed as devices print them
    for pattern, weight in PROBE_SHAPES:
        if pattern.fullmatch(word):
            return weight
    return 0.0


#: A glued name's last letter OCR read for the value's first digit, and back ("Areal7.87cm2": Area 17.87cm2;
#: "VT120.2cm": VTI 20.2cm)
_GLUE_SLIPS = {"l": "1", "I": "1", "O": "0", "o": "0"}
_GLUE_SLIPS_BACK = {"1": "I", "0": "O"}


def _glued_name_value(word: str) -> bool:
    """A parameter or measurement name with its value glued on: G52%, DR60dB, D12.0cm, FR28Hz, Gain52; the
    letter and digit OCR confuses at the seam read either way ("Areal7.87cm2", "VT120.2cm")."""
    word = re.sub(r"(?<=[A-Za-z])[Oo](?=[.,]\d)", "0", word)  # OCR's O for 0: TICO.1
    m = re.fullmatch(rf"([^\W\d_][^\W\d_/']*?)[:=]?({_NUMBER})(.*)", word)
    if not m:
        return False
    name, number = m.group(1), m.group(2)
    seams = [(name, number)]
    if len(name) >= 3 and name[-1] in _GLUE_SLIPS:
        seams.append((name[:-1], _GLUE_SLIPS[name[-1]] + number))
    if len(name) >= 2 and len(number) >= 2 and number[0] in _GLUE_SLIPS_BACK and number[1] != ".":
        seams.append((name + _GLUE_SLIPS_BACK[number[0]], number[1:]))
    return any(_glued_term_value(n, v, m.group(3)) for n, v in seams)


def _glued_term_value(name: str, number: str, rest: str) -> bool:
    """Whether ``name`` is a known parameter or measurement and ``number`` + ``rest`` its value."""
    if not _NUM_RE.fullmatch(number):
        return False
    term = _lookup(name)
    if term is None or term.kind not in ("parameter", "measurement"):
        return False
    if rest and not (rest == "%" or _unit(rest) or fold(rest) in _SHORT_UNITS):
        return False
    if len(name) == 1:
        return bool(rest) or "." in number or "," in number
    return True


def _compound(word: str) -> Term | None:
    """A word of known parts joined by '-' or '/' ("MSK-Soft", "Lung/Pleura"): the weakest part's term."""
    parts = [p for p in re.split(r"[-/]", word) if p]
    if len(parts) < 2:
        return None
    terms = [_lookup(p) for p in parts]
    if any(t is None or t.needs_value for t in terms):
        return None
    return max((t for t in terms if t is not None), key=lambda t: t.weight)


def _indexed_label(word: str) -> Term | None:
    """A caliper or zone label with its index: D1, Dist2, R1, L3, Vel1."""
    m = re.fullmatch(r"([^\W\d_]{1,6})(\d)", word)
    if not m:
        return None
    term = _lookup(m.group(1))
    if term is not None and term.kind in ("measurement", "parameter", "anatomy"):
        return term
    return None


def _is_value(tokens: list[_Token], i: int, single_letter: bool, parameter: bool = True) -> int:
    """How many tokens from ``i`` make a value (with its unit) after a name; 0 if none. A single-letter
    name needs a decimal or a unit ("F 3.5", "D 12cm"), or a word value ("P Med")."""
    if i >= len(tokens) or tokens[i].blocked:
        return 0
    word = tokens[i].text
    has_unit = i + 1 < len(tokens) and not tokens[i + 1].blocked and (
        _unit(tokens[i + 1].text) or tokens[i + 1].text in _LONE_SHORT_UNITS)
    if _value_unit(word) or _misread_value_unit(word):
        return 1 + (has_unit and fold(tokens[i + 1].text) not in _SHORT_UNITS)
    if _number(word) or re.fullmatch(r"\d{1,3}/\d{1,3}", word) or (has_unit and _DECIMAL_PAIR.fullmatch(word)):
        if single_letter and not ("." in word or "," in word or has_unit or word.endswith("%")):
            return 0
        return 1 + has_unit
    if parameter and _LETTER_VALUE.fullmatch(word) and (not single_letter or "." in word or "," in word):
        return 1  # Map C, Map G/0, Tint C3, F H5.5
    if parameter and not single_letter and _MULTIPLIER.fullmatch(word):
        return 1  # Zoom x1.5, Zoom ×2
    return 1 if fold(word) in lexicon().values else 0


def _words(tokens: list[_Token]) -> list[tuple[int, int, Term]]:
    """Known terms, longest phrase first: (first token, token count, term)."""
    lex = lexicon()
    found: list[tuple[int, int, Term]] = []
    i = 0
    while i < len(tokens):
        hit = None
        for n in range(min(lex.longest + 1, len(tokens) - i), 0, -1):
            # a name particle inside a known phrase is the phrase's ("Mapa de grises", "Ligne de base")
            if any(t.blocked and not (t.particle and 0 < k < n - 1) for k, t in enumerate(tokens[i:i + n])):
                continue
            parts = [fold(t.text) for t in tokens[i:i + n]]
            term = lex.get(" ".join(parts)) if n > 1 else _lookup(tokens[i].text)
            if term is None and n > 1:
                term = lex.get("".join(parts))
            if term is not None:
                hit = (i, n, term)
                break
        if hit:
            for t in tokens[hit[0]:hit[0] + hit[1]]:
                if t.particle:
                    t.blocked = t.particle = False
            found.append(hit)
            i += hit[1]
        else:
            i += 1
    return found


def _parameter_line(tokens: list[_Token], named: dict[int, tuple[int, Term]]) -> bool:
    """Whether a name of 2+ letters with a value stands on the line (then "C 50" is a parameter too)."""
    for i, (n, term) in named.items():
        key = fold(" ".join(t.text for t in tokens[i:i + n]))
        if term.kind in ("parameter", "measurement", "mode") and len(key) > 1 and _is_value(tokens, i + n, False):
            return True
    return False


def clinical_evidence(text: str) -> list[Evidence]:
    """Clinical evidence (negative weights) for one OCR line; spans are character offsets in ``text``.

    Cached per line (8192 lines: the same overlay repeats over frames and files)."""
    return list(_clinical_evidence(text))


@lru_cache(maxsize=8192)
def _clinical_evidence(text: str) -> tuple[Evidence, ...]:
    tokens = _tokens(text)
    evidence: list[Evidence] = []
    explained: set[int] = set()

    def add(kind: str, weight: float, first: int, last: int, source: str) -> None:
        evidence.append(Evidence(kind, weight, tokens[first].start, tokens[last].end, source))
        explained.update(range(first, last + 1))

    words = _words(tokens)
    named = {i: (n, term) for i, n, term in words}
    # a line of parameters ("D 18.0 DR 72 FR 35", "2D 59% C 50 P Off") takes single-letter names with integers
    relaxed = _parameter_line(tokens, named)
    # names followed by values: parameters, measurements, counters, versions
    for i, (n, term) in sorted(named.items()):
        if i in explained:
            continue
        nxt = i + n
        key = fold(" ".join(t.text for t in tokens[i:nxt]))
        if term.kind in ("parameter", "measurement"):
            # only a sex letter needs a decimal or a unit to be a parameter ("F 35" may be female, 35 years;
            # "G 76" is gain, "D 12" depth); on a line of parameters it takes integers too ("F 5 G 60")
            single = key.strip("'") in _SEX_LETTERS and not relaxed
            width = _is_value(tokens, nxt, single, term.kind == "parameter")
            if width:
                first = i - 1 if i > 0 and not tokens[i - 1].blocked and fold(tokens[i - 1].text) in _CALIPERS else i
                add(term.kind, -1.0, first, nxt + width - 1, f"clinical:{term.kind}")
                continue
        if key in _COUNTER_LABELS and nxt < len(tokens) and not tokens[nxt].blocked and re.fullmatch(
                r"\d{1,4}(?:\s?/\s?\d{1,4})?", tokens[nxt].text):
            if key != "F" or ":" in text[tokens[i].end:tokens[nxt].start]:  # "F: 23", not "F 35"
                last = nxt + 2 if nxt + 2 < len(tokens) and fold(tokens[nxt + 1].text) in _OF and re.fullmatch(
                    r"\d{1,4}", tokens[nxt + 2].text) else nxt  # "Image 3 of 12"
                add("counter", -0.7 if key == "F" else -1.0, i, last, "clinical:counter")
                continue
        if key.rstrip(".") in _DEVICE_LABELS and nxt < len(tokens) and not tokens[nxt].blocked:
            value = tokens[nxt].text.rstrip(".")
            if _VERSION_VALUE.fullmatch(value):
                add("device", -1.0, i, nxt, "clinical:version")
                continue
        if term.kind == "anatomy" and nxt < len(tokens) and not tokens[nxt].blocked and re.fullmatch(
                r"\d{1,2}", tokens[nxt].text) and not term.needs_value:
            add("anatomy", -0.85, i, nxt, "clinical:anatomy")
            continue
        if term.needs_value or (n == 1 and term.kind in _ABBREVIATED and _lower_short(tokens[i].text)):
            continue  # "ao" of "ao(t" is no acoustic output; "AO 100%" and "ao 100" are
        add(term.kind, term.weight, i, nxt - 1, f"clinical:{term.source or term.kind}")
    # single tokens by shape
    for i, tok in enumerate(tokens):
        if i in explained or tok.blocked:
            continue
        word = tok.text
        if not any(ch.isalnum() for ch in word):
            continue
        prev = fold(tokens[i - 1].text.rstrip(".")) if i > 0 else ""
        if (m := _COUNTER.fullmatch(word)) and int(m.group(1)) <= int(m.group(2)):
            # "3/2016" unlabelled is a month and a year before it is frame 3 of 2016
            month_year = int(m.group(1)) <= 12 and 1900 <= int(m.group(2)) <= 2099
            if prev in _COUNTER_LABELS or (int(m.group(2)) > 31 and not month_year):
                add("counter", -0.7, i, i, "clinical:counter")
            continue
        if word[:1].isalpha() and (weight := _probe(word)):
            add("probe", weight, i, i, "clinical:probe")  # before numbers: "S70" is no OCR'd 570
        elif _CLOCK.fullmatch(word):
            add("counter", -0.7, i, i, "clinical:cine-clock")
        elif _VERSION.fullmatch(word):
            add("device", -0.9, i, i, "clinical:version")
        elif _value_unit(word) or (_is_value(tokens, i, False) == 2 and (
                _number(word) or _DECIMAL_PAIR.fullmatch(word))):
            last = i if _value_unit(word) else i + 1
            first = i - 1 if i > 0 and (i - 1) not in explained and fold(tokens[i - 1].text) in _CALIPERS else i
            add("unit", -0.9 if not _GA.fullmatch(word) else -0.8, first, last, "clinical:value-unit")
        elif _number(word):
            if not _year(word):
                add("scale", -0.3, i, i, "clinical:scale")
        elif _glued_name_value(word):
            add("parameter", -1.0, i, i, "clinical:parameter")
        elif (label := _indexed_label(word)) is not None:
            width = _is_value(tokens, i + 1, False)
            add("measurement", -1.0 if width else -0.8, i, i + width, f"clinical:{label.kind}")
        elif weight := _probe(word):
            add("probe", weight, i, i, "clinical:probe")
        elif (parts := _compound(word)) is not None:
            add(parts.kind, parts.weight, i, i, f"clinical:{parts.source or parts.kind}")
        elif i > 0 and tokens[i - 1].blocked is False and (i - 1) in explained and any(
                e.kind == "device" and e.end == tokens[i - 1].end for e in evidence) and re.fullmatch(
                r"[A-Za-z]{0,3}-?\d{1,4}[A-Za-z]{0,3}", word):
            add("device", -0.8, i, i, "clinical:model")
    # one OCR slip from a clinical word ("Fow", "Adust", "14CHM"): its evidence, weakened (clinical_fuzzy)
    for i, tok in enumerate(tokens):
        if i in explained or tok.blocked:
            continue
        if (found := _misread_term(tok.text, text[tok.end:tok.end + 1])) is not None:
            term, source = found
            add(term.kind, max(-1.0, term.weight * FUZZY_SHARE), i, i, source)
        elif near_unit(tok.text) or _misread_value_unit(tok.text):
            add("unit", -0.9 * FUZZY_SHARE, i, i, "clinical:ocr-slip")
        elif i > 0 and not tokens[i - 1].blocked and _number(tokens[i - 1].text) and confused_unit(
                tok.text, lexicon().units):  # "14.3 om", "30 MMWS"
            add("unit", -0.9 * FUZZY_SHARE, i - 1, i, "clinical:ocr-slip")
    # an abbreviation no list holds, right before a value: "PS 103.4cm/s", "Nyq 0.51m/s", "Cmp 71"
    for i, tok in enumerate(tokens[:-1]):
        after = tokens[i + 1].text
        if (i not in explained and not tok.blocked and not tokens[i + 1].blocked and value_label(tok.text, after)
                and (_number(after) or _value_unit(after) or near_unit(after) or _misread_value_unit(after))):
            add(SHAPE_KIND, LABEL_WEIGHT, i, i, "clinical:value-label")
        elif (i not in explained and not tok.blocked and measured_label(tok.text)
              and _measure_after(tokens, i + 1)):  # "MÉLYSÉG 8.4CM", "Erősítés 40dB": another language's label
            add(SHAPE_KIND, LABEL_WEIGHT, i, i, "clinical:measured-label")
    # an unknown brand word before a model token: "Sonix XR-7", "Nova S70" (the brand weakly)
    for i in range(len(tokens) - 1):
        brand, model = tokens[i], tokens[i + 1]
        if (i not in explained and not brand.blocked and not model.blocked and _BRAND.fullmatch(brand.text)
                and _MODEL.fullmatch(model.text) and not _value_unit(model.text)
                and not _GLUED_AGE_SEX.fullmatch(model.text)  # "NOWAK 39M" is a name and an age and sex
                and (i + 1 not in explained or any(e.kind == "probe" and e.start == model.start for e in evidence))):
            add("device", -0.4, i, i, "clinical:brand")
            if i + 1 not in explained:
                add("device", -0.7, i + 1, i + 1, "clinical:model")
    # an eponym beside a measurement or parameter ("EFW Hadlock", "EF(Simpson)") or before a method noun
    lex = lexicon()
    for i, tok in enumerate(tokens):
        if i in explained or tok.blocked or fold(tok.text.rstrip("'’S")) not in lex.eponyms and fold(
                tok.text) not in lex.eponyms:
            continue
        beside = [j for j in (i - 1, i + 1) if 0 <= j < len(tokens) and not tokens[j].blocked
                  and (near := _lookup(tokens[j].text)) is not None and near.kind in ("measurement", "parameter")]
        method = i + 1 < len(tokens) and fold(tokens[i + 1].text) in METHOD_NOUNS
        if beside or method:
            add("measurement", -0.8, min([i, *beside]), max([i + method, *beside]), "clinical:eponym")
    # a token whose form alone says it is no name, date or ID: a short code, or an abbreviation in capitals
    # when it is the line's only word nothing else explains (names come in pairs: "JIA WEN", "DOE JOHN")
    unknown = [i for i, tok in enumerate(tokens) if i not in explained and not tok.blocked
               and any(ch.isalpha() for ch in tok.text)]
    for i in unknown:
        weight = shape_weight(tokens[i].text) or (CODE_WEIGHT if feature_name(tokens[i].text) else 0.0)
        if weight and (weight != ABBREVIATION_WEIGHT or len(unknown) == 1):
            add(SHAPE_KIND, weight, i, i, "clinical:shape")
    # a line whose every word is clinical is an annotation
    spoken = [i for i, t in enumerate(tokens) if any(ch.isalnum() for ch in t.text)]
    lexical = sum(n for _, n, term in words if not term.needs_value and term.kind != "unit")
    strong = any(e.weight <= -0.75 for e in evidence)
    weak = [e for e in evidence if e.weight >= WEAK_WEIGHT and e.kind not in ("scale", "unit")]
    if (len(spoken) >= 2 and all(i in explained for i in spoken) and lexical >= 2 and strong and not weak
            and not any(t.blocked for t in tokens)):  # "Lung Max" is no annotation: Max may be a name
        evidence.append(Evidence("annotation", -1.0, tokens[spoken[0]].start, tokens[spoken[-1]].end,
                                 "clinical:annotation"))
    return tuple(evidence)
