"""The clinical vocabulary of the pixel classifier: packaged term lists plus DICOM context-group words.

Two sources, neither taken from the generator (``synth/``):

* the term lists in ``deid/pixels/data/clinical/*.txt``, written for this project from public knowledge
  of ultrasound screens (their sources are named in ``data/clinical/README.md`` and ``docs/deid.md``):
  parameter names in English, German, French, Spanish, Italian, Portuguese and Dutch, word values,
  units, measurement labels (ASE/EACVI echocardiography abbreviations, Doppler indices, OB biometry),
  modes, presets, anatomy abbreviations, sides and orientations, lung and POCUS annotations, device and
  software words (vendor names are trademarks of their owners, recognised only);
* the concepts of DICOM PS3.16 context groups (NEMA; shipped in pydicom, MIT licence, which names each
  concept by its code meaning in CamelCase) split into words of 3+ letters: CID 2 Anatomic Modifier,
  4 Anatomic Region, 5 Transducer Approach, 6 Transducer Orientation, 7 Ultrasound Beam Path, 27 Basic
  Cardiac View, 244/245 Laterality, 3010 Cardiovascular Anatomic Structure, 4031 Common Anatomic Region
  and every ultrasound group CID 12000-12310 (OB-GYN biometry and sites, transducer geometry and
  application, vascular locations and measurements, echocardiography measurements, views, image modes
  12224, shear wave). Eponyms, contrast-agent brands, PHI label words (age, date, sex, weight) and
  function words are dropped (``dicom_exclude.txt``).

Clinical words that are also common surnames or given names (``weak.txt``: René, Ling, Hart, Long, Power,
Stone ...) are weak evidence alone (-0.6) whichever list holds them. Eponyms (``eponyms.txt``: Simpson,
Hadlock, Teichholz, Bruce, Glenn, Morison ...) are never clinical alone; the grammar counts them only
beside a measurement or before a method noun.

pydicom keeps the context groups in a private module (``pydicom.sr._cid_dict``); it is read in one
place, :func:`context_groups` (for :func:`dicom_concept_keywords` and :func:`selected_cids`), which
raises :class:`ClinicalVocabularyError` with a clear message if pydicom changes it. Everything is built
once and cached (0.15 s to build, measured on a loaded 2-core machine).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import ModuleType

#: DICOM context groups whose code meanings are clinical words on ultrasound screens
DICOM_CIDS: tuple[int, ...] = (2, 4, 5, 6, 7, 27, 244, 245, 3010, 4031)
DICOM_CID_RANGES: tuple[tuple[int, int], ...] = ((12000, 12310),)

#: list file -> (kind, weight of a term alone); a term marked `` ~`` gets WEAK_WEIGHT
LIST_FILES: dict[str, tuple[str, float]] = {
    "parameters.txt": ("parameter", -0.9),
    "measurements.txt": ("measurement", -0.85),
    "modes.txt": ("mode", -0.85),
    "presets.txt": ("preset", -0.8),
    "anatomy.txt": ("anatomy", -0.8),
    "annotations.txt": ("annotation", -0.8),
    "devices.txt": ("device", -0.7),
    "units.txt": ("unit", -0.85),
    "values.txt": ("parameter", -0.6),
}
WEAK_WEIGHT = -0.6
#: kinds in order of precedence when a term is in several lists
KIND_ORDER = ("parameter", "measurement", "mode", "preset", "device", "unit", "anatomy", "annotation")
DATA_PACKAGE = "phiphantom.deid.pixels"
DATA_DIR = "data/clinical"


class ClinicalVocabularyError(RuntimeError):
    """The packaged lists or pydicom's DICOM context groups could not be read."""


@dataclass(frozen=True)
class Term:
    """A known clinical term: ``kind`` and ``weight`` alone; ``needs_value``: evidence only with a value
    after it ("DR 60", not "Dr")."""

    kind: str
    weight: float
    needs_value: bool = False
    source: str = ""
    weak: bool = False


def fold(text: str) -> str:
    """Upper case without accents (``Profondità`` -> ``PROFONDITA``), ``µ`` kept; for lookups."""
    if text.isascii():  # nothing to decompose or replace (most of the lists and of what OCR reads)
        return text.upper()
    decomposed = unicodedata.normalize("NFKD", text.replace("µ", "u").replace("œ", "oe").replace("Œ", "OE"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def loose(key: str) -> str:
    """A folded key without hyphens, apostrophes and dots ("B-LINES" -> "BLINES"; OCR drops them)."""
    return re.sub(r"[-'’.]", "", key)


# -- what is never clinical context (the grammar gives no evidence there) ------------------------------------

MONTHS = (r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|MRZ|MÄR|MAE|MAI|OKT|DEZ|JANV|FÉV|FEV|AVR|JUIN|JUIL"
          r"|AOÛ|AOU|DÉC|ENE|ABR|AGO|DIC|GEN|MAG|GIU|LUG|SET|OTT|OUT|MRT|MEI)[A-ZÀ-Ü]*\.?")
PHI_SHAPES = re.compile("|".join((
    r"\b\d{1,4}([./-])\d{1,2}\1(?:\d{4}|\d{2})\b|\b\d{1,2} ?/ ?\d{1,2} ?/ ?\d{2,4}\b",  # numeric dates, ISO 8601
    rf"\b\d{{1,2}}(?:\s?(?:st|nd|rd|th))?\.?[\s./-]?{MONTHS}\.?[\s./-]?\d{{2,4}}\b",   # 12 Mar 2021, 12-MAR-21
    rf"\b{MONTHS}\.?\s?\d{{1,2}}(?:\s?(?:st|nd|rd|th))?,?\s\d{{2,4}}\b",   # March 12, 2021; Dec. 18th, 2018
    r"\b\d{1,2}\s?[:h]\s?\d{2}\s?:\s?\d{2}\b",                                # 14:35:12
    r"\b\d{1,2}\s?:\s?\d{2}(?![.,]\d)\b",                                     # 14:35 (not 0:03.2)
    r"\d{5,}",                                                                # IDs, compact dates
    r"\S+@\S+",                                                               # e-mail
    r"\+\d[\d ()./-]{6,}\d|\(\d{2,5}\)\s?\d[\d -]{4,}\d",                    # phone numbers
    r"\b\d{1,3}\s?(?:y|yr|yrs|yo|years?|j|jr|jahre|ans?|años|anos|anni|jaar)\b(?![./])",  # ages
)), re.IGNORECASE)
#: words after which the rest of the line is PHI context (labels), folded
PHI_LABELS = frozenset(fold(w) for w in """
NAME NAMES PATIENT PATIENTNAME PAT PATIENTEN PATIENTE PACIENTE PAZIENTE ID PID MRN DOB BORN BIRTH GEB GEBOREN
AGE ALTER ÂGE EDAD ETÀ IDADE LEEFTIJD SEX GESCHLECHT SEXE SEXO SESSO GESLACHT ACC ACCESSION REF REFERRING PHYS
PHYSICIAN OPERATOR SONO SONOGRAPHER HOSP HOSPITAL INST INSTITUTION KLINIK KLINIKUM HÔPITAL OSPEDALE ZIEKENHUIS
NOM PRÉNOM NOMBRE APELLIDO APELLIDOS NOME COGNOME NAAM VORNAME NACHNAME TEL PHONE FAX EMAIL E-MAIL DOCTOR ARZT
MÉDECIN MÉDICO MEDICO DATE DATUM FECHA DATA DATO
""".split())
#: words of institution names: the whole line is PHI context ("General Hospital", "Heart Center Hamburg")
INSTITUTION_WORDS = frozenset(fold(w) for w in """HOSPITAL HOSPITALS KLINIK KLINIKUM KLINIKEN CLINIC CLINICA CLÍNICA
CLINIQUE KRANKENHAUS SPITAL HÔPITAL OSPEDALE OSPEDALIERA ZIEKENHUIS CENTER CENTRE CENTRO ZENTRUM MEDICAL UNIVERSITY
UNIVERSITÄT UNIVERSITÉ UNIVERSIDAD UNIVERSITÀ UNIVERSITARIO UNIVERSITAIRE INSTITUTE INSTITUT INSTITUTO ISTITUTO
PRAXIS INFIRMARY TRUST FOUNDATION POLICLINICO POLIKLINIK""".split())
#: name particles in lower or Title case ("van der Berg", "de la Cruz"); "LA" in capitals stays the left atrium
NAME_PARTICLES = frozenset("""van von der den de la le da di del della du dos das el al bin ibn ten ter""".split())
#: titles: the rest of the line is PHI context when a capitalised word follows ("Dr. Long", not "DR 60", "12 ms")
TITLES = frozenset(fold(w) for w in "DR PROF MR MRS MS MISS HERR FRAU MME MLLE SR SRA SIG DHR MEVR".split())
#: nouns after an eponym that make it a method's name ("Glenn shunt", "Bruce protocol")
METHOD_NOUNS = frozenset(fold(w) for w in """SHUNT PROTOCOL METHOD FORMULA INDEX PROCEDURE REPAIR OPERATION
EQUATION TABLE POUCH SIGN LINE LINES POINT SPACE MANEUVER MANOEUVRE TEST RATIO CURVE""".split())

#: transducer names by shape, with their weight (the vendors' naming: array letters and frequency range)
PROBE_SHAPES = (
    (re.compile(r"[a-zA-Z]{1,4}\d{1,2}(?:[.,]\d)?-\d{1,2}[a-zA-Z]{0,3}(?:-[A-Z]{1,3})?"), -0.85),  # C5-2, ML6-15-D
    (re.compile(r"[A-Z]{1,2}\d{1,2}[A-Z]\d{1,2}[a-z]?|[a-z]\d{1,2}[A-Z]{1,3}\d{1,2}"), -0.75),   # C6F3, i18LX5
    (re.compile(r"[A-Z]{2,4}-[A-Z]?\d{2,4}[A-Z]{0,3}"), -0.6),                                   # PVT-375BT, EUP-L75
    (re.compile(r"\d{1,2}[A-Z]{1,2}\d{1,2}[a-zA-Z]?"), -0.8),                        # 15L4, 4C1, 9L4
    (re.compile(r"\d{1,2}[A-Z]{1,2}-[A-Z]{1,2}"), -0.8),                              # 9L-D, 6C-D
    (re.compile(r"[a-z]?[A-Z]{1,3}\d{2}[a-z]{1,2}"), -0.75),                          # C60x, HFL50x, rC60xi
    (re.compile(r"[A-Z]{1,3}\d{2}"), -0.6),                                           # L38, P21
    (re.compile(r"[A-Z]{1,3}\d{3}[A-Z]?"), -0.6),                                     # PA230, LA523
    (re.compile(r"[A-Z]{1,2}\d{1,2}[A-Z][a-z]?-[A-Z]{1,2}"), -0.8),                   # E8C-RS, M5Sc-D, E8Cs-RS
    (re.compile(r"[A-Z]{2,4}x[pi]|[a-z]?[A-Z]{1,3}\d{2}[xX][pPiI]"), -0.75),          # ICTxp, HFL50XP, L25XP
)


CID_MODULE = "pydicom.sr._cid_dict"


@lru_cache(maxsize=1)
def context_groups() -> ModuleType:
    """pydicom's table of DICOM context groups (``pydicom.sr._cid_dict``, data only: it imports nothing),
    loaded from its own file when pydicom ships it as one: importing it as ``pydicom.sr._cid_dict`` runs
    ``pydicom.sr``'s package first, which loads pydicom's much larger concept tables (``codedict``) that the
    vocabulary does not use: 38 -> 9 ms of every engine's start. Already imported, or not a plain file
    (a zipped pydicom), it is imported the usual way. ImportError or AttributeError when pydicom has none."""
    module = sys.modules.get(CID_MODULE)
    if module is not None:
        return module
    found = importlib.util.find_spec("pydicom")
    folders = list(found.submodule_search_locations or []) if found is not None else []
    path = Path(folders[0]) / "sr" / "_cid_dict.py" if folders else None
    if path is None or not path.is_file():
        return importlib.import_module(CID_MODULE)
    spec = importlib.util.spec_from_file_location("phiphantom_pydicom_context_groups", path)
    if spec is None or spec.loader is None:
        return importlib.import_module(CID_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dicom_concept_keywords(cids: Iterable[int]) -> list[str]:
    """The concept keywords of the given DICOM context groups (pydicom's private table, one access point).

    pydicom names each concept by its code meaning in CamelCase (``LeftHypochondriacRegion``), so the
    keywords carry the meanings' words without loading pydicom's large concept table."""
    try:
        cid_concepts = context_groups().cid_concepts
    except (ImportError, AttributeError) as exc:
        raise ClinicalVocabularyError(
            "pydicom's DICOM context groups (pydicom.sr._cid_dict.cid_concepts) are not available in this "
            "pydicom version; the clinical vocabulary needs them") from exc
    keywords: list[str] = []
    try:
        for cid in cids:
            for names in cid_concepts.get(cid, {}).values():
                keywords.extend(str(name) for name in names)
    except (AttributeError, TypeError) as exc:
        raise ClinicalVocabularyError(
            "pydicom's DICOM context-group table changed shape; the clinical vocabulary cannot read it") from exc
    return keywords


def selected_cids() -> list[int]:
    """DICOM_CIDS plus every defined group in DICOM_CID_RANGES."""
    try:
        names = context_groups().name_for_cid
    except (ImportError, AttributeError) as exc:
        raise ClinicalVocabularyError("pydicom.sr._cid_dict.name_for_cid is not available in this pydicom") from exc
    ranged = [cid for cid in names for lo, hi in DICOM_CID_RANGES if lo <= cid <= hi]
    return list(DICOM_CIDS) + sorted(ranged)


def read_list(name: str) -> list[tuple[str, set[str]]]:
    """The terms of one packaged list with their markers (``~`` weak, ``!`` needs a value)."""
    try:
        text = resources.files(DATA_PACKAGE).joinpath(f"{DATA_DIR}/{name}").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ClinicalVocabularyError(f"the packaged clinical list {name} is missing") from exc
    entries: list[tuple[str, set[str]]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        marks: set[str] = set()
        while line[-2:] in (" ~", " !"):
            marks.add(line[-1])
            line = line[:-2].rstrip()
        entries.append((" ".join(line.split()), marks))
    return entries


def dicom_words() -> dict[str, float]:
    """Words of 3+ letters of the selected context groups' concepts -> weight by specificity."""
    excluded = {fold(term) for name in ("dicom_exclude.txt", "eponyms.txt") for term, _ in read_list(name)}
    words: dict[str, float] = {}
    for keyword in dicom_concept_keywords(selected_cids()):
        for word in re.findall(r"[A-Z]?[a-z]{2,}", keyword):  # words; acronym runs are left to the lists
            key = fold(word)
            if key not in excluded:
                words[key] = -0.8 if len(key) >= 6 else -0.7 if len(key) >= 4 else WEAK_WEIGHT
    return words


@dataclass(frozen=True)
class Lexicon:
    """Folded single words and phrases -> :class:`Term`; ``longest``: the most words in a phrase."""

    terms: dict[str, Term]
    longest: int
    words: frozenset[str]
    units: frozenset[str]
    eponyms: frozenset[str]
    values: frozenset[str]

    def get(self, key: str) -> Term | None:
        return self.terms.get(key) or self.terms.get(loose(key))


def _merge(old: Term | None, new: Term) -> Term:
    if old is None:
        return new
    if old.needs_value != new.needs_value:  # the entry that stands alone decides ("cm" unit, "CM !" measurement)
        return old if new.needs_value else new
    kind = min((old.kind, new.kind), key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER))
    weak = old.weak or new.weak
    weight = WEAK_WEIGHT if weak else min(old.weight, new.weight)
    source = old.source if old.source != "dicom" else new.source
    return Term(kind, weight, old.needs_value and new.needs_value, source, weak)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Every packaged term and DICOM word, folded (built once)."""
    terms: dict[str, Term] = {}
    shown: set[str] = set()
    units = {fold(term) for term, _ in read_list("units.txt")}
    longest = 1
    for name, (kind, weight) in LIST_FILES.items():
        for term, marks in read_list(name):
            entry = Term(kind, WEAK_WEIGHT if "~" in marks else weight, "!" in marks, name.removesuffix(".txt"),
                         "~" in marks)
            key = fold(term)
            for k in {key, loose(key)}:
                terms[k] = _merge(terms.get(k), entry)
            longest = max(longest, len(term.split()))
            if "!" not in marks and " " not in term and len(term) >= 2:  # words of phrases count only together
                shown.add(term.upper())
    for key, weight in dicom_words().items():
        terms[key] = _merge(terms.get(key), Term("anatomy", weight, False, "dicom"))
        shown.add(key)
    for term, _ in read_list("weak.txt"):  # also surnames or given names: weak alone, whatever list
        key = fold(term)
        if key in terms:
            terms[key] = replace(terms[key], weight=WEAK_WEIGHT, weak=True)
    eponyms = frozenset(fold(term) for term, _ in read_list("eponyms.txt"))
    values = frozenset(fold(term) for term, _ in read_list("values.txt"))
    return Lexicon(terms, longest, frozenset(shown), frozenset(units | {loose(u) for u in units}), eponyms, values)


def clinical_words() -> frozenset[str]:
    """Upper-cased clinical words that give evidence on their own (for overlap reports with name lists);
    words that count only inside a phrase ("Douglas" of "Pouch of Douglas") are not among them."""
    return lexicon().words
