"""Patient-ID and accession-number shapes for style packs, each a seeded generator with its regex.

A pack names shapes by key (``[phi] id_shapes = ["digits-8", "nhs-mod11"]``); ``ID_SHAPES[key].make(rng)``
draws one value. Shapes with a check digit follow the published algorithm of the identifier they imitate
(NHS number mod 11, Luhn, Dutch BSN "11-proef", Belgian national number mod 97, Polish PESEL, Brazilian CPF,
Finnish HETU mod 31), and ``check`` verifies it, so a value is structurally valid but never a real
person's: every digit comes from the rng. Sources are listed in docs/style-packs.md ("PHI field formats").

``rng`` is a ``numpy.random.Generator`` or a ``random.Random`` (the generator's two kinds of rng).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Rng = np.random.Generator | random.Random

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q: registries avoid letters that read as digits
_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def randint(rng: Rng, low: int, high: int) -> int:
    """An integer in [low, high] (both ends included) from either kind of rng."""
    if isinstance(rng, random.Random):
        return rng.randint(low, high)
    return int(rng.integers(low, high + 1))


def _digits(rng: Rng, n: int) -> str:
    return "".join(str(randint(rng, 0, 9)) for _ in range(n))


def _letters(rng: Rng, n: int) -> str:
    return "".join(_LETTERS[randint(rng, 0, len(_LETTERS) - 1)] for _ in range(n))


def _only_digits(value: str) -> list[int]:
    return [int(c) for c in value if c.isdigit()]


def _birth_yymmdd(rng: Rng) -> str:
    """A day of a 20th-century year as YYMMDD (day <= 28, so every month has it)."""
    return f"{randint(rng, 20, 99):02d}{randint(rng, 1, 12):02d}{randint(rng, 1, 28):02d}"


# --- check-digit algorithms ------------------------------------------------------------------------

def nhs_check_digit(nine: str) -> int | None:
    """NHS number check digit (weights 10..2, mod 11); None where the remainder makes 10 (unused number)."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def luhn_check_digit(body: str) -> int:
    """The Luhn (mod 10) digit that makes ``body + digit`` valid."""
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


def luhn_valid(value: str) -> bool:
    digits = "".join(str(d) for d in _only_digits(value))
    return len(digits) > 1 and luhn_check_digit(digits[:-1]) == int(digits[-1])


def _bsn_valid(value: str) -> bool:
    d = _only_digits(value)
    return len(d) == 9 and (sum(x * w for x, w in zip(d[:8], range(9, 1, -1), strict=True)) - d[8]) % 11 == 0


def _pesel_check(ten: str) -> int:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return (10 - sum(int(d) * w for d, w in zip(ten, weights, strict=True)) % 10) % 10


def _cpf_digit(body: str) -> int:
    total = sum(int(d) * w for d, w in zip(body, range(len(body) + 1, 1, -1), strict=True))
    r = total * 10 % 11
    return 0 if r == 10 else r


# --- generators ------------------------------------------------------------------------------------

def _nhs(rng: Rng) -> str:
    while True:
        nine = str(randint(rng, 1, 9)) + _digits(rng, 8)
        check = nhs_check_digit(nine)
        if check is not None:
            ten = nine + str(check)
            return f"{ten[:3]} {ten[3:6]} {ten[6:]}"


def _nhs_valid(value: str) -> bool:
    d = "".join(str(x) for x in _only_digits(value))
    return len(d) == 10 and nhs_check_digit(d[:9]) == int(d[9])


def _luhn9_grouped(rng: Rng) -> str:
    body = str(randint(rng, 1, 7)) + _digits(rng, 7)
    nine = body + str(luhn_check_digit(body))
    return f"{nine[:3]} {nine[3:6]} {nine[6:]}"


def _luhn10(rng: Rng) -> str:
    body = str(randint(rng, 1, 9)) + _digits(rng, 8)
    return body + str(luhn_check_digit(body))


def _bsn(rng: Rng) -> str:
    while True:
        eight = str(randint(rng, 1, 6)) + _digits(rng, 7)
        last = sum(int(x) * w for x, w in zip(eight, range(9, 1, -1), strict=True)) % 11
        if last < 10:
            return eight + str(last)


def _be_mod97(rng: Rng) -> str:
    base = _birth_yymmdd(rng) + f"{randint(rng, 1, 997):03d}"
    cc = 97 - int(base) % 97
    return f"{base[:2]}.{base[2:4]}.{base[4:6]}-{base[6:]}.{cc:02d}"


def _be_valid(value: str) -> bool:
    d = "".join(str(x) for x in _only_digits(value))
    return len(d) == 11 and 97 - int(d[:9]) % 97 == int(d[9:])


def _pesel(rng: Rng) -> str:
    ten = _birth_yymmdd(rng) + _digits(rng, 4)
    return ten + str(_pesel_check(ten))


def _pesel_valid(value: str) -> bool:
    return len(value) == 11 and _pesel_check(value[:10]) == int(value[10])


def _cpf(rng: Rng) -> str:
    nine = _digits(rng, 9)
    ten = nine + str(_cpf_digit(nine))
    full = ten + str(_cpf_digit(ten))
    return f"{full[:3]}.{full[3:6]}.{full[6:9]}-{full[9:]}"


def _cpf_valid(value: str) -> bool:
    d = "".join(str(x) for x in _only_digits(value))
    return len(d) == 11 and _cpf_digit(d[:9]) == int(d[9]) and _cpf_digit(d[:10]) == int(d[10])


def _hetu(rng: Rng) -> str:
    ymd = _birth_yymmdd(rng)
    ddmmyy = ymd[4:6] + ymd[2:4] + ymd[0:2]
    zzz = f"{randint(rng, 2, 899):03d}"
    return f"{ddmmyy}-{zzz}{_HETU_CHECK[int(ddmmyy + zzz) % 31]}"


def _hetu_valid(value: str) -> bool:
    return _HETU_CHECK[int(value[:6] + value[7:10]) % 31] == value[10]


def _timestamp(rng: Rng) -> str:
    return (f"{randint(rng, 2016, 2026)}{randint(rng, 1, 12):02d}{randint(rng, 1, 28):02d}-"
            f"{randint(rng, 0, 23):02d}{randint(rng, 0, 59):02d}{randint(rng, 0, 59):02d}")


@dataclass(frozen=True)
class IdShape:
    """One identifier shape: its full-match regex, a generator and (for check-digit shapes) a validator."""

    key: str
    pattern: str
    make: Callable[[Rng], str]
    check: Callable[[str], bool] | None = None
    note: str = ""

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None


_SHAPES = (
    IdShape("digits-7", r"[1-9]\d{6}", lambda r: str(randint(r, 1, 9)) + _digits(r, 6), None, "hospital MRN"),
    IdShape("digits-8", r"[1-9]\d{7}", lambda r: str(randint(r, 1, 9)) + _digits(r, 7), None, "hospital MRN"),
    IdShape("digits-10", r"[1-9]\d{9}", lambda r: str(randint(r, 1, 9)) + _digits(r, 9), None, "national-ID length"),
    IdShape("zero-padded-8", r"00[1-9]\d{5}", lambda r: "00" + str(randint(r, 1, 9)) + _digits(r, 5), None,
            "MRN zero-padded to a fixed width"),
    IdShape("alpha1-digits7", r"[A-Z]\d{7}", lambda r: _letters(r, 1) + _digits(r, 7), None, "site letter + MRN"),
    IdShape("alpha2-digits6", r"[A-Z]{2}\d{6}", lambda r: _letters(r, 2) + _digits(r, 6), None, "two-letter prefix"),
    IdShape("hyphen-3-2-4", r"\d{3}-\d{2}-\d{4}", lambda r: f"{_digits(r, 3)}-{_digits(r, 2)}-{_digits(r, 4)}",
            None, "SSN-like grouping"),
    IdShape("hyphen-3-2-3", r"\d{3}-\d{2}-\d{3}", lambda r: f"{_digits(r, 3)}-{_digits(r, 2)}-{_digits(r, 3)}",
            None, "dashed MRN"),
    IdShape("year-seq", r"(19|20)\d{2}-\d{6}", lambda r: f"{randint(r, 1995, 2026)}-{_digits(r, 6)}", None,
            "year-prefixed sequence"),
    IdShape("site-prefix", r"H\d{2}-\d{4}-\d", lambda r: f"H{_digits(r, 2)}-{_digits(r, 4)}-{_digits(r, 1)}", None,
            "site code + number"),
    IdShape("timestamp", r"20\d{6}-\d{6}", _timestamp, None, "device auto-ID from the clock (YYYYMMDD-HHMMSS)"),
    IdShape("accession-a8", r"A\d{8}", lambda r: "A" + _digits(r, 8), None, "accession number"),
    IdShape("accession-acc7", r"ACC\d{7}", lambda r: "ACC" + _digits(r, 7), None, "accession number"),
    IdShape("accession-us-year", r"US\d{2}-\d{6}", lambda r: f"US{randint(r, 16, 26)}-{_digits(r, 6)}", None,
            "modality + year accession"),
    IdShape("nhs-mod11", r"\d{3} \d{3} \d{4}", _nhs, _nhs_valid, "NHS number shape, mod-11 check digit"),
    IdShape("luhn-9-grouped", r"[1-7]\d{2} \d{3} \d{3}", _luhn9_grouped, luhn_valid, "SIN-like, Luhn check digit"),
    IdShape("luhn-10", r"[1-9]\d{9}", _luhn10, luhn_valid, "10 digits, Luhn check digit"),
    IdShape("bsn-11", r"[1-6]\d{8}", _bsn, _bsn_valid, "Dutch BSN shape, 11-proef"),
    IdShape("be-mod97", r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}", _be_mod97, _be_valid,
            "Belgian national-number shape, mod 97"),
    IdShape("pesel", r"\d{11}", _pesel, _pesel_valid, "Polish PESEL shape, weighted mod 10"),
    IdShape("cpf", r"\d{3}\.\d{3}\.\d{3}-\d{2}", _cpf, _cpf_valid, "Brazilian CPF shape, two mod-11 digits"),
    IdShape("hetu", r"\d{6}-\d{3}[0-9A-Y]", _hetu, _hetu_valid, "Finnish HETU shape, mod-31 check character"),
)

#: Every ID shape by key.
ID_SHAPES: dict[str, IdShape] = {s.key: s for s in _SHAPES}


def make_id(key: str, rng: Rng) -> str:
    """A value of shape ``key`` drawn from ``rng``; an unknown key is a KeyError naming the known ones."""
    try:
        shape = ID_SHAPES[key]
    except KeyError:
        raise KeyError(f"unknown ID shape {key!r}; known: {', '.join(ID_SHAPES)}") from None
    return shape.make(rng)
