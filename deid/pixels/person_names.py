"""Person-name evidence for one line of burned-in text, from name lists that do not come from the generator.

``name_evidence(text)`` returns :class:`~.evidence.Evidence` of kind ``name`` for the characters of an OCR'd
line that look like a person's name; ``known_name_words()`` is every name word of the lists (upper-cased,
accents kept) for the benchmark's overlap report.

Sources: the packaged lists of :mod:`.name_lists` (US Census 1990 names, hand lists with diacritics, words
that are also English, ultrasound or DICOM words), none from the generator.

Rules (weights in [-1, 1], towards PHI; the table in docs/deid.md, section Pixels, "Person names"):

* a known name word capitalised like a name (Title case or ALL CAPS; lower case is no evidence): 0.65
  (0.45 for a rare surname, rank > 20,000, below the balanced threshold; 0.25 for an ambiguous word; words
  of 1-2 letters none);
* a run of name words ("SURNAME, Given", "Given M. SURNAME", "Smith, J."): 0.9 with two known,
  non-ambiguous words or an initial, 0.85 with one and a name that is also a common word ("SMITH JOHN");
  a known common name beside a name-shaped word in no list (unknown surnames) 0.8 after a given name, 0.7
  after a surname; an initial beside a name-shaped word 0.7;
* structure, even for words in no list: a DICOM PN caret between letters 0.9 (read as a quote, 0.8); a
  title (Dr, Prof, Mr, Mrs, Ms, Hr., Fr., Mme, Sr., Sra., Sig., ...) before a name-shaped word 0.85 (without
  a dot, MR/MS/DR only before a known name: magnetic resonance, mitral, dynamic range); a particle (van,
  van der, de la, von, da, di, dos, du, le, bin, ibn, al-, ...) before a capitalised word, O'/D'
  apostrophes (not O'Clock), Mc/Mac prefixes 0.8; a hyphenated double name 0.8 when both parts are known,
  0.6 when one common part is, 0.5 when neither is.

OCR tolerance: accents are folded for lookups ("MULLER" finds "Müller"), digits 0/5/8 inside a word of
letters are read as O/S/B and 1 as I or L, a capital I read as "l" ("SMlTH") is undone, one misread of a
letter with a diacritic is undone ("Miiller", "Jirgen", "Matgorzata": weight 0.6), and two Title-case
names run together ("JohnSmith") are split. No name value is
ever logged or put in an exception; ``source`` names only the rule or list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .evidence import Evidence
from .name_lists import PARTICLES, NameLists, fold, name_lists
from .name_lists import known_name_words as known_name_words

KNOWN_WEIGHT = 0.65
RARE_WEIGHT = 0.45  # below the balanced threshold (line_score): a rare surname alone decides only with more
AMBIGUOUS_WEIGHT = 0.25
RUN_WEIGHT = 0.9
CARET_WEIGHT = 0.9
CARET_QUOTE_WEIGHT = 0.8
TITLE_WEIGHT = 0.85
PARTICLE_WEIGHT = 0.8
HYPHEN_KNOWN_WEIGHT = 0.8
HYPHEN_UNKNOWN_WEIGHT = 0.5
RARE_RANK = 20_000
INITIAL_WEIGHT = 0.7
RUN_GIVEN_UNKNOWN_WEIGHT = 0.8
RUN_SURNAME_UNKNOWN_WEIGHT = 0.7
HYPHEN_PARTIAL_WEIGHT = 0.6
VARIANT_WEIGHT = 0.6
#: "Ngozi OKONJO", "OKONJO, Ngozi": a Title-case word beside one in capitals (names in no list); just above balanced
MIXED_CASE_WEIGHT = 0.55
RUN_AMBIGUOUS_WEIGHT = 0.85

#: Honorifics and titles before a name (compared upper-cased, without the dot)
TITLES = frozenset({
    "DR", "DRS", "DOC", "PROF", "PR", "MR", "MRS", "MS", "MISS", "MX", "SIR", "DAME", "HR", "HRN", "FR", "FRAU",
    "HERR", "MME", "MLLE", "M", "SR", "SRA", "SRTA", "SRES", "DON", "DONA", "DOÑA", "SIG", "SIGRA", "SIGNOR",
    "SIGNORA", "DHR", "MEVR", "PAN", "PANI", "DIPL", "ING", "MAG", "MUDR", "MED",
})
#: Titles that need their dot to count (they are also words or letters)
DOTTED_ONLY = frozenset({"M", "FR", "PR", "MED", "ING", "MAG", "DON", "PAN", "SIR", "DOC", "MISS"})
#: Particles that open a name alone before a capitalised word (not "E", "Y", "O", "LA" ... on their own)
OPENING_PARTICLES = frozenset({
    "VAN", "VON", "DE", "DEL", "DELLA", "DA", "DOS", "DAS", "DI", "DU", "LE", "TER", "TEN", "BIN", "IBN", "BINT",
    "AL", "EL", "ABU", "ZU", "DES", "DEGLI", "LO", "NÍ", "NI", "Ó",
})

_WORD = re.compile(r"[^\W\d_](?:[\w'’`]*[^\W_])?(?:-[^\W\d_](?:[\w'’`]*[^\W_])?)*|\^", re.UNICODE)
_PREFIXED = re.compile(r"[OoDd]['’`][A-Z][^\W\d_]+|M[Aa]?[Cc][A-Z][a-z]+|(?:MAC|MC)[A-Z]{3,}")
_CARET_PN = re.compile(r"[^\W\d_][\w'’-]*(?:\^+[^\W\d_][\w'’.-]*)+\^*")
#: a caret that OCR read as a quote, between two capitalised words with no space: 'DOE"JOHN', 'DOE”JOHN'
#: (a "J" after it may come out as ")" or "]": 'DOE”)OHN')
_CARET_AS_QUOTE = re.compile(r"\b[A-Z][^\W\d_]+[\"”“]{1,2}[)\]]?[A-Z][^\W\d_]+\b")
_CAPS_MC = re.compile(r"(?:MAC|MC)[A-Z]{3,}")
_ARABIC_PREFIXED = re.compile(r"(?:[Aa]l|[Ee]l|AL|EL|[Bb]in|[Aa]bu|ABU)-[A-Z][^\W\d_]+")
_OCR_DIGITS = str.maketrans({"0": "O", "5": "S", "8": "B"})



# -- tokens --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def caret(self) -> bool:
        return self.text == "^"


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def name_shaped(word: str) -> bool:
    """Title case, ALL CAPS, or a name's inner capitals (McDonald, DeVries, O'Neil, Müller-Lüdenscheidt,
    al-Rashid): every part between hyphens and apostrophes starts upper-case, but for a particle before one."""
    if sum(ch.isalpha() for ch in word) < 2:
        return False
    parts = [p for p in re.split(r"[-'’`]", word) if p]
    if not parts or not parts[-1][0].isupper():
        return False
    return all(p[0].isupper() or fold(p) in PARTICLES for p in parts)


def ocr_keys(word: str) -> list[str]:
    """Folded lookup keys of a word, with OCR digit confusions read as letters (0->O, 5->S, 1->I or L)."""
    key = fold(word).replace("'", "")
    letters = [ch for ch in word if ch.isalpha()]
    if "l" in word and sum(ch.isupper() for ch in letters) >= len(letters) - word.count("l") >= 2:
        key = fold(word.replace("l", "I")).replace("'", "")  # "SMlTH": a capital I read as l
    elif "I" in word[1:] and word[:1].isupper() and word[1:].replace("I", "").islower():
        key = fold(word[0] + word[1:].replace("I", "l")).replace("'", "")  # "WiIliam": l read as I
    if not any(ch.isdigit() for ch in key):
        return [key]
    if sum(ch.isalpha() for ch in key) < 2 or not all(ch.isalpha() or ch in "0158" for ch in key):
        return []
    key = key.translate(_OCR_DIGITS)
    return [key.replace("1", "I"), key.replace("1", "L")]


def ocr_word(word: str) -> str:
    """``word`` with digits read as letters when it is otherwise letters (for the shape check)."""
    if any(ch.isdigit() for ch in word) and ocr_keys(word):
        return word.translate(_OCR_DIGITS).replace("1", "l" if word[1:2].islower() else "I")
    return word


#: How OCR misreads letters with diacritics (folded keys: "ü" read as "ii", "i" or "d"; "ł" read as "t")
ACCENT_MISREADS = (("II", "U"), ("I", "U"), ("T", "L"), ("D", "U"))


def accent_misreads(key: str) -> list[str]:
    """``key`` with one misread undone, at one place: "MIILLER" -> "MULLER", "MATGORZATA" -> "MALGORZATA"."""
    out = []
    for seen, meant in ACCENT_MISREADS:
        start = key.find(seen, 1)
        while start > 0:
            out.append(key[:start] + meant + key[start + len(seen):])
            start = key.find(seen, start + 1)
    return out


@dataclass(frozen=True)
class WordClass:
    known: bool
    ambiguous: bool
    weight: float
    source: str
    given: bool = False


def classify_word(word: str, lists: NameLists) -> WordClass:
    """How much a single word looks like a known name (0 when it does not)."""
    shaped = ocr_word(word)
    if not name_shaped(shaped):
        return WordClass(False, False, 0.0, "")
    keys = ocr_keys(word)
    if len(keys) == 1 and len(keys[0]) <= 2:
        return WordClass(False, False, 0.0, "")
    for key in keys:
        if key in lists.ambiguous:
            return WordClass(lists.known(key), True, AMBIGUOUS_WEIGHT if lists.known(key) else 0.0,
                             "names:ambiguous")
        if key in lists.given:
            return WordClass(True, False, KNOWN_WEIGHT, "names:given", given=True)
        rank = lists.surname_rank.get(key)
        if rank is not None:
            weight = KNOWN_WEIGHT if rank <= RARE_RANK else RARE_WEIGHT
            return WordClass(True, False, weight, "names:surname")
    # OCR misreading a letter with a diacritic ("Miiller", "Jirgen", "Matgorzata"): one confusion undone
    for key in keys if keys and len(keys[0]) >= 4 else []:
        for variant in accent_misreads(key):
            if variant in lists.ambiguous:
                continue
            rank = lists.surname_rank.get(variant)
            if variant in lists.given or (rank is not None and rank <= RARE_RANK):
                return WordClass(True, False, VARIANT_WEIGHT, "names:ocr-variant", given=variant in lists.given)
    # a double name: a part known
    if "-" in word:
        parts = [classify_word(p, lists) for p in word.split("-") if p]
        if all(p.known and not p.ambiguous for p in parts):
            return WordClass(True, False, HYPHEN_KNOWN_WEIGHT, "names:hyphenated")
        if any(p.known and not p.ambiguous and p.weight >= KNOWN_WEIGHT for p in parts) and not any(
                p.ambiguous for p in parts):
            return WordClass(True, False, HYPHEN_PARTIAL_WEIGHT, "names:hyphenated-part")
        if all(name_shaped(p) and len(p) >= 3 for p in word.split("-")):
            return WordClass(False, False, HYPHEN_UNKNOWN_WEIGHT, "names:hyphenated-shape")
    return WordClass(False, False, 0.0, "")


# -- rules -----------------------------------------------------------------------------------------------------


def _dotted(text: str, tok: Token) -> bool:
    """A token written with a dot right after it: an initial ("J."), a title ("Dr. Miller", "Prof. Long", after
    which a person follows even when the word is also a common noun; "DR 60" and "MR SIGNAL" have none)."""
    return text[tok.end:tok.end + 1] == "."


def _is_title(text: str, tok: Token, lists: NameLists) -> bool:
    key = fold(tok.text)
    if key not in TITLES:
        return False
    return _dotted(text, tok) or key not in DOTTED_ONLY


def _is_initial(text: str, tok: Token) -> bool:
    return len(tok.text) == 1 and tok.text.isupper() and _dotted(text, tok)


def _gap_ok(text: str, a: Token, b: Token) -> bool:
    """Only name separators between two tokens: spaces, one comma, a dot after an initial or title, carets."""
    gap = text[a.end:b.start]
    return len(gap) <= 3 and re.fullmatch(r"\.?,?\s*|\s*,\s*|\^*|\.\s*", gap) is not None


def _structure(text: str, toks: list[Token], lists: NameLists) -> list[Evidence]:
    out: list[Evidence] = []
    words = [t for t in toks if not t.caret]
    # DICOM PN carets between letters: DOE^JOHN, Doe^John^^Dr
    for m in _CARET_PN.finditer(text):
        if "^" in m.group() and sum(ch.isalpha() for ch in m.group()) >= 3:
            out.append(Evidence("name", CARET_WEIGHT, m.start(), m.end(), "names:dicom-pn"))
    for m in _CARET_AS_QUOTE.finditer(text):
        out.append(Evidence("name", CARET_QUOTE_WEIGHT, m.start(), m.end(), "names:dicom-pn-misread"))
    for i, tok in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        key = fold(tok.text)
        # a title before a name-shaped word
        # "MR SIGNAL", "Mr Signal", "MS" (magnetic resonance, mitral, musculoskeletal): without a dot, a title in
        # capitals or one of these needs a known name after it
        bare_caps = not _dotted(text, tok) and (tok.text.isupper() or key in ("MR", "MS", "MRS"))
        k = i + 1
        while k + 1 < len(words) and k < i + 3 and _is_initial(text, words[k]):  # "Dr. K. Weber"
            k += 1
        if k > i + 1 and _is_title(text, tok, lists):
            nxt = words[k]
        if nxt is not None and _is_title(text, tok, lists) and _gap_ok(text, words[k - 1], nxt) and name_shaped(
                ocr_word(nxt.text)) and (fold(nxt.text) not in lists.ambiguous or _dotted(text, tok)) and (
                not bare_caps or classify_word(nxt.text, lists).weight >= KNOWN_WEIGHT):
            out.append(Evidence("name", TITLE_WEIGHT, tok.start, nxt.end, "names:title"))
        # a particle (or two: van der, de la, van 't) before a capitalised word
        if key in OPENING_PARTICLES and (tok.text.islower() or tok.text.istitle() or tok.text.isupper()):
            j = i + 1
            while j < len(words) and fold(words[j].text) in PARTICLES and j < i + 3 and (
                    words[j].text[0].islower() or (tok.text.isupper() and words[j].text.isupper())):  # DE LA CRUZ
                j += 1
            if j < len(words) and _gap_ok(text, words[j - 1], words[j]):
                last = words[j]
                shaped = name_shaped(ocr_word(last.text)) and len(last.text) >= 3
                clean = fold(last.text) not in lists.ambiguous and fold(last.text) not in PARTICLES
                if shaped and clean and not (tok.text.isupper() and len(tok.text) <= 2 and not last.text.isupper()):
                    out.append(Evidence("name", PARTICLE_WEIGHT, tok.start, last.end, "names:particle"))
        # a name pair in the two cases devices print names in: "Ngozi OKONJO", "OKONJO, Ngozi" (given in Title
        # case, family in capitals), even when no list knows either word
        if (nxt is not None and nxt is words[i + 1] and _gap_ok(text, tok, nxt) and _mixed_case_pair(tok.text, nxt.text)
                and not _model_after(text[nxt.end:])):
            out.append(Evidence("name", MIXED_CASE_WEIGHT, tok.start, nxt.end, "names:mixed-case-pair"))
        # apostrophe and Mc/Mac prefixes: O'Neil, D'Angelo, McDonald, MacLeod
        if (_PREFIXED.fullmatch(tok.text) or _ARABIC_PREFIXED.fullmatch(tok.text)) and key != "O'CLOCK":
            if not _CAPS_MC.fullmatch(tok.text) or lists.known(fold(tok.text)):
                out.append(Evidence("name", PARTICLE_WEIGHT, tok.start, tok.end, "names:prefix"))
    return out


def _mixed_case_pair(a: str, b: str) -> bool:
    """One word in Title case (4+ letters) and the other in capitals (3+), letters only (hyphens and
    apostrophes inside): how devices print "Given SURNAME" and "SURNAME Given"."""
    def title(w: str) -> bool:  # 4+ letters: "THI Gen", "MI Pen", "CFM Res" are a mode and its setting
        return w[:1].isupper() and w[1:].replace("-", "").replace("'", "").islower() and _letters(w) >= 4

    def caps(w: str) -> bool:
        return w.replace("-", "").replace("'", "").isupper() and _letters(w) >= 3

    return (title(a) and caps(b)) or (caps(a) and title(b))


def _model_after(rest: str) -> bool:
    """A model number or code follows ("Philips EPIQ 7", "Canon APLIO i800"): a brand and a product, not a
    name; an age after a name ("45Y", "45 J") does not count."""
    if re.match(r"\s*\d{1,3}\s?(?:[YyJjAa]|yrs?|years?|ans?|años|anni|jaar|Jahre)\b", rest):
        return False
    return re.match(r"\s+[A-Za-z]{0,2}\d", rest) is not None


def _letters(word: str) -> int:
    return sum(ch.isalpha() for ch in word) if all(ch.isalpha() or ch in "-'" for ch in word) else 0


def _split_run_together(word: str, lists: NameLists) -> bool:
    """"JohnSmith": two Title-case known names run together (OCR lost the space)."""
    m = re.fullmatch(r"([A-Z][a-z]+)([A-Z][a-z]+)", word)
    if not m or word.startswith(("Mc", "Mac")):
        return False
    a, b = (classify_word(p, lists) for p in m.groups())
    return a.known and b.known and not (a.ambiguous and b.ambiguous)


def name_evidence(text: str) -> list[Evidence]:
    """Evidence of kind ``name`` for the person-name-like parts of one OCR'd line (empty for none)."""
    return list(_cached_evidence(text))


@lru_cache(maxsize=8192)
def _cached_evidence(text: str) -> tuple[Evidence, ...]:
    """The same overlay line repeats over frames and files: each distinct line is read once."""
    return tuple(_evidence(text))


def _evidence(text: str) -> list[Evidence]:
    lists = name_lists()
    toks = tokens(text)
    out = _structure(text, toks, lists)
    words = [t for t in toks if not t.caret]
    classes = [classify_word(t.text, lists) for t in words]
    # runs of name words: known ones, initials, particles and name-shaped unknown words between separators
    runs: list[list[int]] = []
    current: list[int] = []
    for i, tok in enumerate(words):
        joins = (classes[i].weight > 0 or _is_initial(text, tok)
                 or (name_shaped(ocr_word(tok.text)) and len(tok.text) >= 3 and fold(tok.text) != "O'CLOCK")
                 or (fold(tok.text) in PARTICLES and tok.text[0].islower()))
        if joins and current and _gap_ok(text, words[current[-1]], tok):
            current.append(i)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = [i] if joins else []
    if len(current) >= 2:
        runs.append(current)
    in_run: set[int] = set()
    for run in runs:
        known = [i for i in run if classes[i].known and not classes[i].ambiguous]
        # an anchor: a common name of 4+ letters, or any of two known words ("Res", "Gen" are not enough)
        anchors = known if len(known) >= 2 else [
            i for i in known if classes[i].weight >= VARIANT_WEIGHT and len(words[i].text) >= 4]
        names = [i for i in run if classes[i].weight > 0 or _is_initial(text, words[i])]
        initials = [i for i in run if _is_initial(text, words[i])]
        if not anchors and initials:
            # "Smith, J.", "J. Kowalczyk": an initial beside a name word, known (even ambiguous) or name-shaped
            side = [i for i in run if i not in initials and abs(i - initials[0]) == 1]
            if side:
                weight = RUN_WEIGHT if any(classes[i].known for i in side) else INITIAL_WEIGHT
                lo, hi = min(side + initials[:1]), max(side + initials[:1])
                end = words[hi].end + (1 if hi in initials else 0)  # the initial's dot
                out.append(Evidence("name", weight, words[lo].start, end, "names:initial"))
                in_run.update(range(lo, hi + 1))
            continue
        if not anchors:
            continue
        # the known words and initials between the outer anchors, plus one unknown name-shaped word at each end
        # (an unknown surname beside a known given name), not a whole sentence of capitalised words
        lo, hi = min(anchors), max(anchors)
        def stops(i: int) -> bool:  # an unknown word ends the run; initials and lower-case particles do not
            return classes[i].weight == 0 and not _is_initial(text, words[i]) and not (
                words[i].text[0].islower() and fold(words[i].text) in PARTICLES)

        while lo - 1 >= run[0]:
            lo -= 1
            if stops(lo):
                break
        while hi + 1 <= run[-1]:
            hi += 1
            if stops(hi):
                break
        while hi > lo and words[hi].text[0].islower() and fold(words[hi].text) in PARTICLES:  # nor end on one
            hi -= 1
        if hi - lo + 1 < 2 or not names:
            continue
        span = range(lo, hi + 1)
        n_known = sum(1 for i in span if classes[i].known and not classes[i].ambiguous)
        n_ambiguous = sum(1 for i in span if classes[i].known and classes[i].ambiguous)
        if n_known >= 2 or any(_is_initial(text, words[i]) for i in span):
            weight, source = RUN_WEIGHT, "names:run"  # two name words, or a name and an initial
        elif n_ambiguous:
            weight, source = RUN_AMBIGUOUS_WEIGHT, "names:run-ambiguous"  # "René Dupont", "SMITH JOHN"
        elif any(classes[i].given for i in anchors):
            weight, source = RUN_GIVEN_UNKNOWN_WEIGHT, "names:run-given"  # a given name and an unknown word
        else:
            weight, source = RUN_SURNAME_UNKNOWN_WEIGHT, "names:run-surname"  # a surname and an unknown word
        out.append(Evidence("name", weight, words[lo].start, words[hi].end, source))
        in_run.update(span)
    for i, tok in enumerate(words):
        if i in in_run:
            continue
        cls = classes[i]
        if cls.weight > 0:
            out.append(Evidence("name", cls.weight, tok.start, tok.end, cls.source))
        elif _split_run_together(tok.text, lists):
            out.append(Evidence("name", RUN_WEIGHT, tok.start, tok.end, "names:run-together"))
    return sorted(out, key=lambda ev: (ev.start, -ev.end))
