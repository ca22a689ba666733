"""Synthetic patients: one Faker identity per patient, with K longitudinal studies.

Each identity is drawn from a Faker *instance* seeded with
``derive_seed(global_seed, "identity", patient_key)`` (``seed_instance``; never the
class-level ``Faker.seed``, which is shared by every instance and would make
parallel generation depend on scheduling).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache

from faker import Faker

from .seeding import derive_seed, uid_for

#: Hospital name templates by language; {city} and {family} are filled in.
_HOSPITAL_TEMPLATES = {
    "en": ("{city} General Hospital", "St. {family}'s Hospital", "{city} Medical Center",
           "{city} University Hospital", "Royal {city} Infirmary"),
    "de": ("Klinikum {city}", "St.-{family}-Krankenhaus", "Universitätsklinikum {city}"),
    "fr": ("Hôpital de {city}", "CHU de {city}", "Clinique Saint-{family}"),
    "es": ("Hospital de {city}", "Hospital Universitario {city}", "Clínica {family}"),
    "it": ("Ospedale di {city}", "Policlinico {city}", "Ospedale San {family}"),
    "nl": ("Ziekenhuis {city}", "{city} Medisch Centrum"),
    "pt": ("Hospital de {city}", "Santa Casa de {city}"),
    "pl": ("Szpital Miejski {city}", "Szpital Wojewódzki {city}"),
    "sv": ("{city} sjukhus", "Universitetssjukhuset {city}"),
    "cs": ("Nemocnice {city}", "Fakultní nemocnice {city}"),
    "hu": ("{city} Kórház", "{city} Megyei Kórház"),
    "tr": ("{city} Devlet Hastanesi", "{city} Eğitim ve Araştırma Hastanesi"),
}
_DEPARTMENTS = (
    ("Emergency Department", "ED"), ("Intensive Care Unit", "ICU"), ("Pulmonology", "PULM"),
    ("Internal Medicine", "IM"), ("Anaesthesiology", "ANES"), ("Paediatrics", "PED"),
    ("Critical Care", "CCU"), ("Acute Medicine", "AMU"),
)
_ID_ISSUERS = ("NATIONAL-ID", "INSURANCE", "EHR-LEGACY", "REGIONAL-MPI")
_APOSTROPHE_PREFIXES = {"en": ("O'", "D'", "Mc"), "it": ("D'", "Dell'"), "fr": ("D'", "L'"), "ga": ("O'",)}

STUDY_DATE_MIN = dt.date(2016, 1, 1)
STUDY_DATE_MAX = dt.date(2025, 6, 30)


@dataclass(frozen=True)
class PersonName:
    """A DICOM PN split into its components (family^given^middle^prefix^suffix)."""

    family: str
    given: str
    middle: str = ""
    prefix: str = ""
    suffix: str = ""

    @property
    def dicom(self) -> str:
        """The PN value, trailing empty components removed."""
        return "^".join([self.family, self.given, self.middle, self.prefix, self.suffix]).rstrip("^")

    @property
    def components(self) -> tuple[str, ...]:
        """The non-empty name parts (what a leak scan searches for)."""
        return tuple(p for p in (self.family, self.given, self.middle) if p)


@dataclass(frozen=True)
class Study:
    """One study of a patient: date/time, identifiers and UIDs."""

    index: int
    date: dt.date
    time: dt.time
    accession: str
    study_id: str
    study_uid: str
    series_uid: str

    @property
    def da(self) -> str:
        return self.date.strftime("%Y%m%d")

    @property
    def tm(self) -> str:
        return self.time.strftime("%H%M%S")


@dataclass(frozen=True)
class Identity:
    """Every synthetic field of one patient (all fake, all seeded)."""

    patient_key: str
    deid_id: str
    locale: str
    name: PersonName
    sex: str
    birth_date: dt.date
    mrn: str
    mrn_format: str
    issuer_of_patient_id: str
    other_ids: tuple[tuple[str, str], ...]  # (id, issuer)
    address: str
    phone: str
    referring_physician: PersonName
    performing_physician: PersonName
    operator: PersonName
    institution_name: str
    institution_address: str
    department: str
    department_code: str
    station_name: str
    device_serial: str
    studies: tuple[Study, ...] = field(default_factory=tuple)

    def age_at(self, when: dt.date) -> int:
        years = when.year - self.birth_date.year
        if (when.month, when.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def dicom_age(self, when: dt.date) -> str:
        """PatientAge (AS) at a date, e.g. ``045Y``."""
        return f"{self.age_at(when):03d}Y"

    @property
    def birth_da(self) -> str:
        return self.birth_date.strftime("%Y%m%d")


@lru_cache(maxsize=64)
def locale_faker(locale: str) -> Faker:
    """One Faker instance per locale and process, shared by every caller (identities here, the style
    packs' names in ``synth.styles.names``); callers always ``seed_instance`` before a draw.

    Some providers build word lists from a ``set`` (it_IT ``cities``), whose order changes with the
    interpreter's string hash seed: such lists are sorted here, or the same seed would give another
    city in another process.
    """
    fake = Faker(locale)
    for provider in fake.providers:
        cities = getattr(provider, "cities", None)
        if isinstance(cities, (list, tuple)) and all(isinstance(c, str) for c in cities):
            provider.cities = sorted(cities)
    return fake


def _lang(locale: str) -> str:
    return locale.split("_")[0]


def _person(fake: Faker, r: random.Random, sex: str, locale: str, *, styled: bool) -> PersonName:
    """A person name; ``styled`` adds the hyphens/apostrophes/middle names real registries hold."""
    given = fake.first_name_male() if sex == "M" else fake.first_name_female()
    family = fake.last_name()
    middle = ""
    if styled:
        roll = r.random()
        if roll < 0.12:
            family = f"{family}-{fake.last_name()}"
        elif roll < 0.20:
            prefixes = _APOSTROPHE_PREFIXES.get(_lang(locale), ("O'", "D'"))
            family = r.choice(prefixes) + family
        if r.random() < 0.25:
            middle = fake.first_name_male() if sex == "M" else fake.first_name_female()
    return PersonName(family=family.strip(), given=given.strip(), middle=middle.strip())


def _mrn(r: random.Random) -> tuple[str, str]:
    """A medical record number in one of several real-world formats."""
    fmt = r.choice(("digits7", "zero_padded8", "alpha_digits", "dashed", "year_seq", "site_prefix"))
    d = lambda n: "".join(r.choice("0123456789") for _ in range(n))  # noqa: E731
    if fmt == "digits7":
        value = str(r.randint(1, 9)) + d(6)
    elif fmt == "zero_padded8":
        value = "00" + str(r.randint(1, 9)) + d(5)
    elif fmt == "alpha_digits":
        value = r.choice("ABCDEFGHJKMNPRSTUVWXYZ") + d(7)
    elif fmt == "dashed":
        value = f"{d(3)}-{d(2)}-{d(3)}"
    elif fmt == "year_seq":
        value = f"{r.randint(1995, 2024)}-{d(6)}"
    else:
        value = f"H{d(2)}-{d(4)}-{d(1)}"
    return value, fmt


def _accession(r: random.Random, year: int) -> str:
    d = lambda n: "".join(r.choice("0123456789") for _ in range(n))  # noqa: E731
    return r.choice((f"A{d(8)}", f"ACC{d(7)}", f"{year}{d(6)}", f"US{d(9)}"))


def _fits(text: str, limit: int) -> str:
    """Cut at the last ', ' so the value fits its VR (LO = 64) in UTF-8 bytes, as dciodvfy counts it."""
    while len(text.encode("utf-8")) > limit and ", " in text:
        text = text.rsplit(", ", 1)[0]
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text


def _phone(fake: Faker) -> str:
    """A phone number that fits PatientTelephoneNumbers (SH, 16 characters)."""
    for _ in range(20):
        number = fake.phone_number()
        if len(number) <= 16:
            return number
    return number.split("x")[0][:16]


def _institution(fake: Faker, r: random.Random, locale: str) -> str:
    templates = _HOSPITAL_TEMPLATES.get(_lang(locale), _HOSPITAL_TEMPLATES["en"])
    return r.choice(templates).format(city=fake.city(), family=fake.last_name())


def make_identity(global_seed: int, patient_index: int, locales: tuple[str, ...], studies: int) -> Identity:
    """The identity of patient ``patient_index`` (0-based) with ``studies`` longitudinal studies."""
    patient_key = f"P{patient_index + 1:05d}"
    seed = derive_seed(global_seed, "identity", patient_key)
    locale = locales[seed % len(locales)]
    fake = locale_faker(locale)
    fake.seed_instance(seed)
    r = fake.random
    sex = r.choice("MF")
    name = _person(fake, r, sex, locale, styled=True)
    mrn, mrn_format = _mrn(r)
    span = (STUDY_DATE_MAX - STUDY_DATE_MIN).days
    first = STUDY_DATE_MIN + dt.timedelta(days=r.randrange(span))
    age = r.randint(18, 96)
    birth = first - dt.timedelta(days=round(age * 365.25) + r.randrange(365))
    dept, dept_code = r.choice(_DEPARTMENTS)
    other_ids = tuple(
        (_mrn(r)[0] if i else (fake.ssn() if hasattr(fake, "ssn") else _mrn(r)[0]), r.choice(_ID_ISSUERS))
        for i in range(r.randint(1, 2))
    )
    study_list = []
    day = first
    for k in range(studies):
        if k:
            day = day + dt.timedelta(days=r.randint(1, 400))
        when = dt.time(r.randint(7, 21), r.randint(0, 59), r.randint(0, 59))
        study_list.append(
            Study(
                index=k,
                date=day,
                time=when,
                accession=_accession(r, day.year),
                study_id=str(r.randint(1000, 999999)),
                study_uid=uid_for(global_seed, patient_key, k, "study"),
                series_uid=uid_for(global_seed, patient_key, k, "series"),
            )
        )
    institution = _institution(fake, r, locale)
    return Identity(
        patient_key=patient_key,
        deid_id=f"DEID-{patient_index + 1:04d}",
        locale=locale,
        name=name,
        sex=sex,
        birth_date=birth,
        mrn=mrn,
        mrn_format=mrn_format,
        issuer_of_patient_id=institution.upper()[:20].strip(),
        other_ids=other_ids,
        address=_fits(", ".join(x.strip() for x in fake.address().splitlines() if x.strip()), 64),
        phone=_phone(fake),
        referring_physician=_person(fake, r, r.choice("MF"), locale, styled=False),
        performing_physician=_person(fake, r, r.choice("MF"), locale, styled=False),
        operator=_person(fake, r, r.choice("MF"), locale, styled=False),
        institution_name=institution,
        institution_address=", ".join(x.strip() for x in fake.address().splitlines() if x.strip()),
        department=dept,
        department_code=dept_code,
        station_name=f"{dept_code}-US{r.randint(1, 12):02d}",
        device_serial="".join(r.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(10)),
        studies=tuple(study_list),
    )


def identity_row(identity: Identity) -> dict[str, str]:
    """The identity as one ``gt/identities.csv`` row (lists joined with ``;``)."""
    s = identity.studies
    return {
        "patient_key": identity.patient_key,
        "deid_id": identity.deid_id,
        "locale": identity.locale,
        "patient_name": identity.name.dicom,
        "family_name": identity.name.family,
        "given_name": identity.name.given,
        "middle_name": identity.name.middle,
        "sex": identity.sex,
        "birth_date": identity.birth_da,
        "mrn": identity.mrn,
        "mrn_format": identity.mrn_format,
        "issuer_of_patient_id": identity.issuer_of_patient_id,
        "other_patient_ids": ";".join(f"{i}@{iss}" for i, iss in identity.other_ids),
        "address": identity.address,
        "phone": identity.phone,
        "referring_physician": identity.referring_physician.dicom,
        "performing_physician": identity.performing_physician.dicom,
        "operator": identity.operator.dicom,
        "institution_name": identity.institution_name,
        "institution_address": identity.institution_address,
        "department": identity.department,
        "station_name": identity.station_name,
        "device_serial_number": identity.device_serial,
        "study_dates": ";".join(x.da for x in s),
        "study_times": ";".join(x.tm for x in s),
        "accession_numbers": ";".join(x.accession for x in s),
        "study_ids": ";".join(x.study_id for x in s),
        "study_uids": ";".join(x.study_uid for x in s),
        "series_uids": ";".join(x.series_uid for x in s),
    }
