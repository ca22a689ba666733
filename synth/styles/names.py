"""Locale-aware person names for style packs: Faker per locale, seeded per draw, as ``PersonName``.

``draw_name(locale, seed, sex)`` gives the same name for the same arguments in every process (the Faker
instance of ``synth.identity.locale_faker``, which sorts the word lists some locales build from a set,
seeded with ``seed_instance``, never the shared class-level seed). Names keep what the locale's
registry holds: particles ("van der", "de la", "da"), hyphens ("Hans-Günther"), apostrophes ("O'Brien",
"D'Angelo") and diacritics ("Łukasiewicz"); Spanish names carry two family names, Portuguese ones often
do. ``NAME_LOCALES`` lists the locales a pack may weight (``[phi] locales``) and which of those features
each one's draws show (``tests/test_field_formats.py`` checks them on seeded draws).
"""

from __future__ import annotations

import random

from faker import Faker

from ..identity import PersonName, locale_faker
from .field_formats import PARTICLES

#: Locale -> the name features its draws include (hyphen, apostrophe, particle, diacritic).
NAME_LOCALES: dict[str, frozenset[str]] = {
    "en_IE": frozenset({"hyphen", "apostrophe", "particle"}),
    "en_GB": frozenset({"hyphen", "apostrophe"}),
    "de_DE": frozenset({"hyphen", "particle", "diacritic"}),
    "de_CH": frozenset({"hyphen", "diacritic"}),
    "fr_FR": frozenset({"hyphen", "apostrophe", "diacritic"}),
    "fr_BE": frozenset({"hyphen", "apostrophe", "diacritic"}),
    "nl_NL": frozenset({"hyphen", "apostrophe", "particle", "diacritic"}),
    "nl_BE": frozenset({"hyphen", "apostrophe", "diacritic"}),
    "es_MX": frozenset({"particle", "diacritic"}),
    "es_ES": frozenset({"diacritic"}),
    "pt_BR": frozenset({"particle", "diacritic"}),
    "it_IT": frozenset({"apostrophe", "diacritic"}),
    "sv_SE": frozenset({"hyphen", "diacritic"}),
    "pl_PL": frozenset({"diacritic"}),
    "cs_CZ": frozenset({"diacritic"}),
    "hu_HU": frozenset({"diacritic"}),
    "ro_RO": frozenset({"diacritic"}),
    "tr_TR": frozenset({"diacritic"}),
    "is_IS": frozenset({"diacritic"}),
    "ga_IE": frozenset({"particle", "diacritic"}),
}

#: Elided family-name prefixes, by language (D'Amico, Dell'Acqua, D'Aubigné), put before a surname that
#: starts with a vowel. Irish and British O' names come from Faker's own lists.
_APOSTROPHES = {"it": ("D'", "Dell'"), "fr": ("D'",)}
#: Languages whose registries often hold a double-barrelled (hyphenated) family name.
_HYPHEN_LANGS = frozenset({"en", "de", "fr", "nl", "sv"})
#: Probability of two family names (Spanish: always two apellidos in full; Portuguese: often).
_TWO_FAMILIES = {"es": 0.8, "pt": 0.5}


def normalise_family(family: str) -> str:
    """Particles written after the name ("Bourgondië, van", "Dussen van") moved in front ("van Bourgondië")."""
    name = family.strip()
    if ", " in name:
        core, _, tail = name.partition(", ")
        if all(w in PARTICLES for w in tail.split()):
            return f"{tail} {core}"
    words = name.split(" ")
    i = len(words)
    while i > 1 and words[i - 1] in PARTICLES:
        i -= 1
    return " ".join(words[i:] + words[:i]) if i < len(words) else name


def _given(fake: Faker, sex: str) -> str:
    if sex == "M":
        return str(fake.first_name_male())
    if sex == "F":
        return str(fake.first_name_female())
    return str(fake.first_name())


def _family(fake: Faker, sex: str) -> str:
    """A family name in the form for ``sex`` where the language inflects it (cs "Novák"/"Nováková")."""
    raw = fake.last_name_male() if sex == "M" else fake.last_name_female() if sex == "F" else fake.last_name()
    return normalise_family(str(raw))


def draw_name(locale: str, seed: int, sex: str = "F", *, middle_p: float = 0.2, styled_p: float = 0.15) -> PersonName:
    """A name from ``locale`` for ``seed`` ("M", "F" or "O" given names); ``styled_p`` is the probability
    of a hyphenated or apostrophe family name where the language has them, ``middle_p`` of a middle name."""
    if locale not in NAME_LOCALES:
        raise KeyError(f"unknown name locale {locale!r}; known: {', '.join(NAME_LOCALES)}")
    fake = locale_faker(locale)
    fake.seed_instance(seed)
    r: random.Random = fake.random
    lang = locale.split("_")[0]
    given = _given(fake, sex)
    family = _family(fake, sex)
    if r.random() < _TWO_FAMILIES.get(lang, 0.0):
        family = f"{family} {_family(fake, sex)}"
    roll = r.random()
    if roll < styled_p / 2 and lang in _HYPHEN_LANGS and " " not in family:
        family = f"{family}-{_family(fake, sex)}"
    elif roll < styled_p and lang in _APOSTROPHES and "'" not in family and " " not in family:
        for _ in range(8):  # a surname that starts with a vowel, as elided prefixes need
            candidate = _family(fake, sex)
            if candidate[:1] in "AEIOUÉ" and " " not in candidate:
                family = r.choice(_APOSTROPHES[lang]) + candidate
                break
    middle = _given(fake, sex) if r.random() < middle_p else ""
    if middle == given:
        middle = ""
    return PersonName(family=family, given=given.strip(), middle=middle.strip())
