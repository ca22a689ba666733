"""PHI field formats for style packs: dates, times, ID shapes, name orders and age/sex markers.

A pack's ``[phi]`` table names formats by key (``date_formats = ["DD.MM.YYYY", "%Y-%m-%d"]``); a date or
time key is either a key of ``DATE_FORMATS``/``TIME_FORMATS`` or a raw strftime pattern. Month, weekday
and AM/PM names are substituted here (English unless a format says otherwise), never taken from the
process locale, so the same seed renders the same text everywhere. ``format_field(kind, key, value, rng)``
is the one entry point the composer needs. Nothing here draws a value except ``kind="id"`` (an ID is
made from the rng); the classic generator (synth/overlay_content.py) does not use this module.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable

from ..identity import PersonName
from .id_shapes import ID_SHAPES, Rng, make_id
from .labels import AGE_UNITS, SEX_MARKERS

__all__ = [
    "AGE_SEX_FORMATS", "DATE_FORMATS", "ID_SHAPES", "NAME_FORMATS", "TIME_FORMATS",
    "format_age_sex", "format_date", "format_field", "format_name", "format_time", "split_particles",
]

_EN_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_MONTH = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
_EN_DAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Month names (abbreviated, full) in the languages whose date formats spell the month.
MONTHS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (_EN_MON, _EN_MONTH),
    "de": (("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
           ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
            "November", "Dezember")),
    "fr": (("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
           ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre")),
    "es": (("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
           ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
            "noviembre", "diciembre")),
    "it": (("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
           ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
            "ottobre", "novembre", "dicembre")),
    "nl": (("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
           ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
            "november", "december")),
    "pt": (("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
           ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
            "novembro", "dezembro")),
}
_DE_DAY = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


def _english(pattern: str, when: dt.date | dt.time) -> str:
    """strftime with English names: %b upper-case (as the classic generator), %B, %a and %p substituted."""
    if isinstance(when, dt.date):
        pattern = (pattern.replace("%b", _EN_MON[when.month - 1].upper())
                   .replace("%B", _EN_MONTH[when.month - 1]).replace("%a", _EN_DAY[when.weekday()]))
    if isinstance(when, (dt.time, dt.datetime)):
        pattern = pattern.replace("%p", "AM" if when.hour < 12 else "PM")
    return when.strftime(pattern)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _mon(lang: str, d: dt.date) -> str:
    return MONTHS[lang][0][d.month - 1]


def _month(lang: str, d: dt.date) -> str:
    return MONTHS[lang][1][d.month - 1]


DateFormat = str | Callable[[dt.date], str]
#: Named date formats (key -> strftime pattern or function); every value differs on 2026-12-05.
DATE_FORMATS: dict[str, DateFormat] = {
    "YYYYMMDD": "%Y%m%d",                 # DICOM DA burned raw
    "YYYY-MM-DD": "%Y-%m-%d",             # ISO 8601
    "YYYY/MM/DD": "%Y/%m/%d",
    "YYYY.MM.DD": "%Y.%m.%d",
    "YY/MM/DD": "%y/%m/%d",
    "MM/DD/YYYY": "%m/%d/%Y",             # US
    "MM/DD/YY": "%m/%d/%y",
    "MM-DD-YYYY": "%m-%d-%Y",
    "M/D/YYYY": lambda d: f"{d.month}/{d.day}/{d.year}",
    "DD/MM/YYYY": "%d/%m/%Y",             # UK, FR, ES, IT
    "DD/MM/YY": "%d/%m/%y",
    "DD.MM.YYYY": "%d.%m.%Y",             # DE, AT, CH, PL, CZ
    "DD.MM.YY": "%d.%m.%y",
    "D.M.YYYY": lambda d: f"{d.day}.{d.month}.{d.year}",
    "DD-MM-YYYY": "%d-%m-%Y",             # NL, DK
    "DD-MON-YYYY": "%d-%b-%Y",            # 05-DEC-2026
    "DD-MON-YY": "%d-%b-%y",
    "DD MON YYYY": "%d %b %Y",
    "MON DD YYYY": "%b %d %Y",
    "Mon DD, YYYY": lambda d: f"{_mon('en', d)} {d.day:02d}, {d.year}",
    "Mon. Dth, YYYY": lambda d: f"{_mon('en', d)}. {_ordinal(d.day)}, {d.year}",
    "D Month YYYY": lambda d: f"{d.day} {_month('en', d)} {d.year}",
    "de:Dy DD.MM.YYYY": lambda d: f"{_DE_DAY[d.weekday()]} {d:%d.%m.%Y}",   # German weekday
    "de:D. Month YYYY": lambda d: f"{d.day}. {_month('de', d)} {d.year}",
    "fr:D month YYYY": lambda d: f"{d.day} {_month('fr', d)} {d.year}",
    "es:DD-mon-YYYY": lambda d: f"{d.day:02d}-{_mon('es', d)}-{d.year}",
    "it:DD mon YYYY": lambda d: f"{d.day:02d} {_mon('it', d)} {d.year}",
    "nl:D mon YYYY": lambda d: f"{d.day} {_mon('nl', d)} {d.year}",
    "pt:DD/mon/YYYY": lambda d: f"{d.day:02d}/{_mon('pt', d)}/{d.year}",
}

TimeFormat = str | Callable[[dt.time], str]
#: Named time formats (key -> strftime pattern or function); %p is AM/PM whatever the locale.
TIME_FORMATS: dict[str, TimeFormat] = {
    "HH:MM:SS": "%H:%M:%S",
    "HH:MM": "%H:%M",
    "hh:MM:SS AM": "%I:%M:%S %p",
    "hh:MM AM": "%I:%M %p",
    "hh:MMAM": "%I:%M%p",                 # no space, as one device's screen shows "02:56PM"
    "h:MM am": lambda t: f"{(t.hour % 12) or 12}:{t.minute:02d} {'am' if t.hour < 12 else 'pm'}",
    "HH:MM:SS.cc": lambda t: f"{t:%H:%M:%S}.{t.microsecond // 10000:02d}",   # cine clock
    "HHMMSS": "%H%M%S",                   # DICOM TM burned raw
    "HH.MM": "%H.%M",                     # FI, DK, NO
    "HHhMM": "%Hh%M",                     # FR
}


def format_date(day: dt.date, key: str) -> str:
    """A date in format ``key`` (a DATE_FORMATS key or a strftime pattern containing ``%``)."""
    fmt = DATE_FORMATS.get(key, key)
    if callable(fmt):
        return fmt(day)
    if "%" not in fmt:
        raise KeyError(f"unknown date format {key!r}; known: {', '.join(DATE_FORMATS)}, or a strftime pattern")
    return _english(fmt, day)


def format_time(when: dt.time | dt.datetime, key: str) -> str:
    """A time of day in format ``key`` (a TIME_FORMATS key or a strftime pattern containing ``%``)."""
    moment = when.time() if isinstance(when, dt.datetime) else when
    fmt = TIME_FORMATS.get(key, key)
    if callable(fmt):
        return fmt(moment)
    if "%" not in fmt:
        raise KeyError(f"unknown time format {key!r}; known: {', '.join(TIME_FORMATS)}, or a strftime pattern")
    return _english(fmt, moment)


# --- names -----------------------------------------------------------------------------------------

#: Lower-case name particles that sort after the family name in Dutch/German registries ("Vries, Anna de").
PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "do", "dos", "du", "la", "le",
    "zu", "und", "ten", "ter", "te", "'t", "in", "het", "y", "e", "af", "al", "el", "st.",
})
_ASCII = str.maketrans({"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D",
                        "đ": "d", "Þ": "TH", "þ": "th", "Œ": "OE", "œ": "oe", "ı": "i", "Ð": "D", "ð": "d",
                        "Ə": "E", "ə": "e"})


def split_particles(family: str) -> tuple[str, str]:
    """("van der", "Berg") from "van der Berg": leading lower-case particles, then the rest."""
    words = family.split(" ")
    i = 0
    while i < len(words) - 1 and words[i] in PARTICLES:
        i += 1
    return " ".join(words[:i]), " ".join(words[i:])


def ascii_upper(text: str) -> str:
    """Upper-case A-Z only, as devices that forbid non-ASCII name characters show it (diacritics dropped,
    ß -> SS, Ø -> O, hyphens -> spaces, apostrophes removed)."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).replace("'", "").replace("-", " ")
    return " ".join("".join(c for c in plain.upper() if c.isascii() and (c.isalnum() or c in " .")).split())


def _initial(part: str) -> str:
    return f"{part[0].upper()}." if part else ""


def _classic_fm(n: PersonName) -> str:
    initial = f" {n.middle[0].upper()}" if n.middle else ""
    return f"{n.family.upper()} {n.given.upper()}{initial}"


def _particle_last(n: PersonName) -> str:
    particle, core = split_particles(n.family)
    return f"{core}, {n.given} {particle}".rstrip()


NAME_FORMATS: dict[str, Callable[[PersonName], str]] = {
    # the classic generator's five (same output as synth/overlay_content.format_name)
    "FAMILY, GIVEN": lambda n: f"{n.family.upper()}, {n.given.upper()}",
    "Family, Given": lambda n: f"{n.family}, {n.given}",
    "Given Family": lambda n: f"{n.given} {n.family}",
    "FAMILY^GIVEN": lambda n: f"{n.family.upper()}^{n.given.upper()}",
    "FAMILY GIVEN M": _classic_fm,
    # more orders and separators
    "PN": lambda n: n.dicom,                                               # raw DICOM PN value
    "FAMILY^Given^Middle": lambda n: "^".join([n.family.upper(), n.given, n.middle]).rstrip("^"),
    "FAMILY, Given": lambda n: f"{n.family.upper()}, {n.given}",
    "FAMILY Given": lambda n: f"{n.family.upper()} {n.given}",             # French "NOM Prénom"
    "Given FAMILY": lambda n: f"{n.given} {n.family.upper()}",
    "Family Given": lambda n: f"{n.family} {n.given}",                     # native family-first (hu, vi)
    "Family, Given Middle": lambda n: f"{n.family}, {n.given} {n.middle}".rstrip(),
    "Given M. Family": lambda n: " ".join(p for p in (n.given, _initial(n.middle), n.family) if p),
    "G. FAMILY": lambda n: f"{_initial(n.given)} {n.family.upper()}",
    "FAMILY G.": lambda n: f"{n.family.upper()} {_initial(n.given)}",
    "Family, Given particle": _particle_last,                              # Dutch sort: "Vries, Anna de"
    "FAMILY GIVEN ascii": lambda n: ascii_upper(f"{n.family} {n.given}"),  # A-Z-only devices
}


def format_name(name: PersonName, key: str) -> str:
    try:
        return NAME_FORMATS[key](name)
    except KeyError:
        raise KeyError(f"unknown name format {key!r}; known: {', '.join(NAME_FORMATS)}") from None


# --- age and sex -----------------------------------------------------------------------------------

#: Age/sex templates: {age} years, {age3} zero-padded (DICOM AS), {unit} the language's age unit,
#: {sex} the language's one-letter marker.
AGE_SEX_FORMATS: tuple[str, ...] = (
    "{age}Y {sex}", "{sex}/{age}", "{age}y/{sex}", "{age} yrs, {sex}", "{age3}Y", "{sex} {age3}Y",
    "{age} {unit} {sex}", "{sex}, {age} {unit}", "({sex}) {age}", "{age}{sex}",
)


def format_age_sex(age: int, sex: str, template: str, language: str = "en") -> str:
    """``template`` filled for ``age`` (years) and ``sex`` ("M", "F" or "O") in ``language``'s markers."""
    markers = SEX_MARKERS.get(language, SEX_MARKERS["en"])
    return template.format(age=age, age3=f"{age:03d}", sex=markers.get(sex, markers["O"]),
                           unit=AGE_UNITS.get(language, AGE_UNITS["en"]))


# --- one entry point -------------------------------------------------------------------------------

def format_field(kind: str, key: str, value: object = None, rng: Rng | None = None, *, language: str = "en") -> str:
    """Format one PHI field: ``kind`` is date (value: date), time (value: time/datetime), name (value:
    PersonName), age_sex (value: (age, sex)) or id (drawn from ``rng``; value unused)."""
    if kind == "date" and isinstance(value, dt.date):
        return format_date(value, key)
    if kind == "time" and isinstance(value, (dt.time, dt.datetime)):
        return format_time(value, key)
    if kind == "name" and isinstance(value, PersonName):
        return format_name(value, key)
    if kind == "age_sex" and isinstance(value, tuple) and len(value) == 2:
        return format_age_sex(int(value[0]), str(value[1]), key, language)
    if kind == "id" and rng is not None:
        return make_id(key, rng)
    raise TypeError(f"format_field: kind {kind!r} with a {type(value).__name__} value (rng given: {rng is not None})")
