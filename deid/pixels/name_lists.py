"""The person-name lists of the pixel classifier, loaded once from ``deid/pixels/data/names/``.

:func:`name_lists` gives the lookup tables of :mod:`.person_names` (keyed by the accent-folded upper-case form,
:func:`fold`); :func:`known_name_words` gives every name word upper-cased with its accents, for the
benchmark's report of how far the engine's names overlap the generator's.

Sources (``deid/pixels/data/names/``, loaded once, cached):

* ``census1990_surnames.txt.gz`` (88,799 surnames in rank order) and ``census1990_given.txt.gz`` (5,163 given
  names): the US Census Bureau's 1990 name frequency files, a work of the US Government (public domain),
  as shipped unchanged in the PyPI package ``names`` 0.3.0 (MIT, Trey Hunner) and derived from its sdist by
  ``.ci/derive_census_names.py`` (command in ``data/names/README.md``). Chosen because it is open, small
  (340 kB gzipped), multi-national through immigration (German, Italian, Spanish, Polish, Dutch, Portuguese,
  Irish ... surnames, without diacritics: lookups fold accents), and is not Faker's data. Rejected:
  ``names-dataset`` (55 MB, taken from a leaked Facebook dump), ``gender-guesser`` (GPL), ``nameparser``
  (LGPL; its title/particle lists are not used, ours below are written from general knowledge).
* ``europe_given.txt``, ``europe_surnames.txt``: common given names and surnames of European and other
  countries with their diacritics, written by hand for this project (CC0); ``ambiguous.txt``: name words
  that are also English or ultrasound words ("Long", "Gain", "Rose", "May", "Lung"), vendor and model names,
  console words of other languages' screens, months and weekdays ("Links", "Leber", "Mai"), weak alone;
  ``dicom_words.txt``: the words of these lists that DICOM's code meanings (PS3.16, as shipped by pydicom,
  MIT) use in lower case or as a formula's author ("second", "branch", "flow"; "Hadlock 1984"), derived by
  ``.ci/derive_dicom_name_words.py``, weak on their own too.

Licences and the commands that derive the generated files: ``data/names/README.md``.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

DATA_PACKAGE = "phiphantom.deid.pixels"
DATA_DIR = "data/names"

#: Name particles (compared upper-cased): Dutch, German, French, Spanish, Portuguese, Italian, Irish, Arabic
PARTICLES = frozenset({
    "VAN", "DER", "DEN", "TER", "TEN", "VON", "ZU", "ZUM", "ZUR", "DE", "DEL", "DELLA", "DELLE", "DEI", "DEGLI",
    "DES", "DU", "LA", "LE", "LES", "LOS", "LAS", "DA", "DAS", "DO", "DOS", "DI", "Y", "E", "BIN", "BEN", "IBN",
    "BINT", "AL", "EL", "ABU", "O", "MAC", "MC", "ST", "SAN", "SANTA", "NI", "Ó", "NÍ", "UA", "'T", "T", "LO", "LI",
    "D", "L",
})
_FOLD_EXTRA = str.maketrans({"ß": "SS", "ẞ": "SS", "Ł": "L", "ł": "L", "Ø": "O", "ø": "O", "Æ": "AE", "æ": "AE",
                             "Œ": "OE", "œ": "OE", "Đ": "D", "đ": "D", "Ð": "D", "Þ": "TH", "ı": "I", "’": "'",
                             "`": "'"})


@dataclass(frozen=True)
class NameLists:
    """The loaded lists, keyed by accent-folded upper-case form."""

    given: frozenset[str]
    surname_rank: dict[str, int]
    ambiguous: frozenset[str]
    words: frozenset[str]  # accent-kept upper-case, for overlap reports

    def known(self, key: str) -> bool:
        return key in self.given or key in self.surname_rank


def fold(word: str) -> str:
    """Upper-case, accents removed, apostrophes and hyphens kept ("Müller" -> "MULLER", "Łukasz" -> "LUKASZ")."""
    if word.isascii():  # nothing to decompose; of the replacements only the backquote is ASCII
        return word.replace("`", "'").upper()
    text = unicodedata.normalize("NFKD", word.translate(_FOLD_EXTRA))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).upper().translate(_FOLD_EXTRA)


def _read_text(name: str) -> str:
    data = resources.files(DATA_PACKAGE).joinpath(DATA_DIR, name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _entries(text: str) -> list[str]:
    """Whitespace-separated words of a hand list, comment lines skipped, particles and lower-case words out."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for word in line.split():
            if word[0].islower() or fold(word) in PARTICLES:
                continue
            out.append(word)
    return out


@lru_cache(maxsize=1)
def name_lists() -> NameLists:
    """Load the packaged lists once (about 0.1 s)."""
    surnames = _read_text("census1990_surnames.txt.gz").split()
    rank = dict(zip(surnames, range(1, len(surnames) + 1), strict=True))
    given = set(_read_text("census1990_given.txt.gz").split())
    words = set(surnames) | given
    for kind, target in (("europe_given.txt", given), ("europe_surnames.txt", None)):
        for word in _entries(_read_text(kind)):
            parts = [word, *re.split(r"[-'’]", word)] if re.search(r"[-'’]", word) else [word]
            for part in parts:
                if len(part) < 2:
                    continue
                words.add(part.upper())
                key = fold(part)
                if target is not None:
                    target.add(key)
                else:
                    rank.setdefault(key, 1)
    ambiguous = frozenset(fold(w) for name in ("ambiguous.txt", "dicom_words.txt")
                          for line in _read_text(name).splitlines() if not line.startswith("#") for w in line.split())
    return NameLists(frozenset(given), rank, ambiguous, frozenset(words))


def known_name_words() -> frozenset[str]:
    """Every name word of the packaged lists, upper-cased with its accents (Census names are ASCII)."""
    return name_lists().words
