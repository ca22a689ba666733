"""Clinical words OCR misread by one character: "Fow" (Flow), "Adust Echo" (Adult), "14CHM" (14 CM).

Tesseract misreads small, low-contrast or pixel-font overlay text, and under ``strict`` a line with an
unexplained word is removed, so one wrong letter in "Flow" cost the whole line. A word that is one
edit (a letter dropped, added or changed) from a word of the clinical lexicon gets that term's
evidence at :data:`FUZZY_SHARE` of its weight; a number with a unit one edit away ("14CHM") gets unit
evidence. Only words of at least :data:`MIN_LETTERS` letters are looked up (short words are too close
to everything), and never given names or surnames of the commoner ranks (the name lists'
``RARE_RANK``) or titles: "Miller" is a name, not a misread "Filler"; "Prof" no "PRF".

The lookup is a deletion index (the "symmetric delete" idea of SymSpell): every lexicon word is stored
under itself and each of its one-letter deletions; a query matches when it, or one of its one-letter
deletions, hits the index. Built once from :func:`.clinical_terms.lexicon`, in well under a second.

Two slips in one long word (:func:`far_term`) and a word cut short with a dot (:func:`cut_term`) are looked
up too. For two slips, candidates come from a three-letter-piece index of the long terms: two edits touch
at most six of a word's pieces, so a term within two edits shares all the others (the q-gram count
filter); each candidate is then checked by the edit distance of :mod:`phiphantom.core.ocr`. Built in about 20 ms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from phiphantom.core.ocr import edit_distance

from .clinical_terms import TITLES, Term, fold, lexicon
from .name_lists import fold as name_fold
from .name_lists import name_lists
from .person_names import RARE_RANK

#: The shortest word (letters only) looked up with one edit
MIN_LETTERS = 4
#: A one-edit match gets this share of the term's weight
FUZZY_SHARE = 0.75
#: A number glued to letters: "14CHM", "4.5CHM", "29Cn"
_NUMBER_LETTERS = re.compile(r"(\d+(?:[.,]\d+)?)([A-Za-z/]{2,5})")


def _common_name(word: str) -> bool:
    """A given name or a surname of the commoner ranks: a name, not a misread clinical word ("Miller" is
    one edit from "Filler", "Hans" from "Hand")."""
    lists = name_lists()
    key = name_fold(word)
    rank = lists.surname_rank.get(key)
    return key in lists.given or (rank is not None and rank <= RARE_RANK)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, set[str]], frozenset[str]]:
    """Each single lexicon word (letters only, >= MIN_LETTERS - 1) and each of its deletions -> the words
    (a set: :func:`near_term` orders what it finds itself); the folded units."""
    lex = lexicon()
    index: dict[str, set[str]] = {}
    for key, term in lex.terms.items():
        if term.needs_value or not key.isalpha() or len(key) < MIN_LETTERS - 1:
            continue
        for variant in {key} | _deletions(key):
            index.setdefault(variant, set()).add(key)
    return index, frozenset(u for u in lex.units if len(u) >= 2)


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one substitution, insertion or deletion."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _strongest(keys: Iterable[str]) -> Term | None:
    """The lexicon term of ``keys`` with the strongest (most negative) weight, ties alphabetical; None for none."""
    found = sorted(keys)
    if not found:
        return None
    terms = lexicon().terms
    return terms[min(found, key=lambda k: terms[k].weight)]


@lru_cache(maxsize=8192)
def near_term(word: str) -> Term | None:
    """The lexicon term one edit from ``word`` (letters only, at least MIN_LETTERS), or None; when
    several are, the one with the strongest weight (ties: alphabetical)."""
    key = fold(word)
    if len(key) < MIN_LETTERS or not key.isalpha() or key.rstrip('.') in TITLES or _common_name(word):
        return None
    index, _ = _index()
    found: set[str] = set()
    for variant in {key} | _deletions(key):
        for candidate in index.get(variant, ()):
            if _one_edit(key, candidate):
                found.add(candidate)
    return _strongest(found)


#: A word at least this long (letters) may be two edits from its term, each at least this many letters apart
#: from the next (one slip per five letters, like the scorer's token rule): "CONSOLIDAGAQ" (CONSOLIDAÇÃO)
TWO_EDIT_LETTERS = 10
#: The shortest stem of a word cut short with a dot that is looked up as the start of a term ("MUSCULOESQ.")
MIN_STEM = 5


@lru_cache(maxsize=1)
def _by_length() -> dict[int, tuple[str, ...]]:
    """The lexicon's single words (letters only, not value labels) by length."""
    out: dict[int, list[str]] = {}
    for key, term in lexicon().terms.items():
        if not term.needs_value and key.isalpha():
            out.setdefault(len(key), []).append(key)
    return {n: tuple(sorted(keys)) for n, keys in out.items()}


@lru_cache(maxsize=1)
def _trigrams() -> dict[str, tuple[str, ...]]:
    """Each three-letter piece of the long lexicon words (TWO_EDIT_LETTERS - 2 letters or more) -> the words."""
    index: dict[str, set[str]] = {}
    for n, keys in _by_length().items():
        if n >= TWO_EDIT_LETTERS - 2:
            for key in keys:
                for gram in {key[i:i + 3] for i in range(n - 2)}:
                    index.setdefault(gram, set()).add(key)
    return {gram: tuple(sorted(words)) for gram, words in index.items()}


def _any_name(word: str) -> bool:
    """A given name or a surname of any rank in the name lists."""
    lists = name_lists()
    key = name_fold(word)
    return key in lists.given or key in lists.surname_rank


@lru_cache(maxsize=8192)
def far_term(word: str) -> Term | None:
    """The lexicon term two edits from a long ``word`` (at least TWO_EDIT_LETTERS letters, no given name or
    surname of the name lists at any rank), or None; several: the strongest weight (ties: alphabetical).
    Two OCR slips in one long word are common at 8-10 px ("CONSOLIDAGAQ": Ç read G, O read Q). Of the name
    lists' 6,768 names of ten letters or more, 20 are two edits from a clinical word ("Wallenstein",
    "Ellenbogen"): those are names, so no name is looked up."""
    key = fold(word)
    if len(key) < TWO_EDIT_LETTERS or not key.isalpha() or _any_name(word):
        return None
    # two edits touch at most six of the word's three-letter pieces: a term within two edits holds the rest
    grams = {key[i:i + 3] for i in range(len(key) - 2)}
    shared = Counter(c for gram in grams for c in _trigrams().get(gram, ()))
    need = max(1, len(grams) - 6)
    found = [c for c, n in shared.items() if n >= need and edit_distance(key, c, limit=2) <= 2]
    return _strongest(found)


@lru_cache(maxsize=8192)
def cut_term(word: str) -> Term | None:
    """The term a word cut short with a dot or an ellipsis begins ("MUSCULOESQ.", "Smoot...", "Abdom."): its
    stem (at least MIN_STEM letters, no title or name of the commoner ranks) starts a longer single-word term
    of the lexicon; several: the strongest weight (ties: alphabetical). A screen abbreviates a long term
    where its field is narrow; names are not cut so."""
    if not re.search(r"(?:\.|…)$", word):
        return None
    stem = fold(word.rstrip(".…"))
    if len(stem) < MIN_STEM or not stem.isalpha() or stem in TITLES or _common_name(word.rstrip(".…")):
        return None
    found = [k for n, keys in _by_length().items() if n > len(stem) for k in keys if k.startswith(stem)]
    return _strongest(found)


def near_unit(word: str) -> bool:
    """A number glued to three or more letters one edit from a unit of two or more ("14CHM", "4.5CHM")."""
    m = _NUMBER_LETTERS.fullmatch(word)
    if not m:
        return False
    letters = fold(m.group(2))
    if len(letters) < 3:  # "80AM" is an age and a sex, not a misread "80CM"
        return False
    _, units = _index()
    return any(_one_edit(letters, unit) for unit in units if abs(len(unit) - len(letters)) <= 1)
