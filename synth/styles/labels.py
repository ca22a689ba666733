"""Field labels, sex markers and age units per language, for style packs (``[layout] label_language``).

``LABELS[language][field]`` lists the label variants a screen in that language may show before a field
("Geb.-Dat.: 12.03.1961"); ``label_for`` picks one with the rng. The words are the ordinary vocabulary
and usual abbreviations of each language (dictionary facts, collected in the issue-14 research notes);
which exact variant a given device prints is not claimed. Fields are the pack's ``patient_fields`` and
``optional_fields`` names. Sex markers follow each language's initials (de M/W/D, nl M/V, pl/sv M/K,
cs M/Ž, tr E/K, hu F/N); "O" is the marker for other/unknown.
"""

from __future__ import annotations

from .id_shapes import Rng, randint

#: The fields every language labels.
FIELDS = ("name", "patient_id", "birth_date", "sex", "age", "date", "time", "institution", "accession",
          "operator", "physician")

LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"name": ("Name", "Patient", "Pt", "PATIENT"), "patient_id": ("ID", "MRN", "Pat ID", "PID"),
           "birth_date": ("DOB", "D.O.B.", "Birth"), "sex": ("Sex", "Gender"), "age": ("Age",),
           "date": ("Date", "Exam date"), "time": ("Time",), "institution": ("Hospital", "Institution"),
           "accession": ("Acc#", "Accession", "ACC"), "operator": ("Operator", "Sonographer", "Sono"),
           "physician": ("Ref. Phys.", "Referring", "Physician")},
    "de": {"name": ("Name", "Patient"), "patient_id": ("Pat.-ID", "PID", "ID"),
           "birth_date": ("Geb.-Dat.", "Geburtsdatum", "Geb."), "sex": ("Geschlecht",), "age": ("Alter",),
           "date": ("Datum", "Unters.-Datum"), "time": ("Zeit", "Uhrzeit"),
           "institution": ("Klinik", "Krankenhaus", "Klinikum"), "accession": ("Auftragsnr.", "Acc.-Nr."),
           "operator": ("Untersucher", "Arzt"), "physician": ("Zuweiser", "Überw. Arzt")},
    "fr": {"name": ("Nom", "Patient"), "patient_id": ("ID", "N° patient", "IPP"),
           "birth_date": ("DDN", "Date de naiss.", "Né(e) le"), "sex": ("Sexe",), "age": ("Âge",),
           "date": ("Date", "Date d'examen"), "time": ("Heure",),
           "institution": ("Hôpital", "Établissement", "CHU"), "accession": ("N° d'accession", "N° examen"),
           "operator": ("Opérateur", "Échographiste"), "physician": ("Médecin prescr.", "Prescripteur")},
    "es": {"name": ("Nombre", "Paciente"), "patient_id": ("ID", "Nº historia", "NHC"),
           "birth_date": ("F. nac.", "Fecha nac."), "sex": ("Sexo",), "age": ("Edad",),
           "date": ("Fecha",), "time": ("Hora",), "institution": ("Hospital", "Centro"),
           "accession": ("Nº acceso", "Nº petición"), "operator": ("Operador", "Ecografista"),
           "physician": ("Médico solicitante", "Solicitante")},
    "it": {"name": ("Nome", "Paziente"), "patient_id": ("ID", "ID paziente"),
           "birth_date": ("Data di nascita", "D.N."), "sex": ("Sesso",), "age": ("Età",), "date": ("Data",),
           "time": ("Ora",), "institution": ("Ospedale", "Struttura"), "accession": ("N° accettazione",),
           "operator": ("Operatore", "Ecografista"), "physician": ("Medico richiedente",)},
    "pt": {"name": ("Nome", "Paciente"), "patient_id": ("ID", "Prontuário"), "birth_date": ("DN", "Data nasc."),
           "sex": ("Sexo",), "age": ("Idade",), "date": ("Data",), "time": ("Hora",),
           "institution": ("Hospital", "Instituição"), "accession": ("Nº acesso",), "operator": ("Operador",),
           "physician": ("Médico solicitante",)},
    "nl": {"name": ("Naam", "Patiënt"), "patient_id": ("Patiënt-ID", "ID"),
           "birth_date": ("Geb.datum", "Geboortedatum"), "sex": ("Geslacht",), "age": ("Leeftijd",),
           "date": ("Datum",), "time": ("Tijd",), "institution": ("Ziekenhuis", "Instelling"),
           "accession": ("Ordernummer",), "operator": ("Echografist", "Laborant"), "physician": ("Verwijzer",)},
    "pl": {"name": ("Nazwisko", "Pacjent"), "patient_id": ("ID pacjenta", "PESEL"), "birth_date": ("Data ur.",),
           "sex": ("Płeć",), "age": ("Wiek",), "date": ("Data",), "time": ("Godz.",),
           "institution": ("Szpital", "Placówka"), "accession": ("Nr zlecenia",), "operator": ("Operator", "Lekarz"),
           "physician": ("Lekarz kierujący",)},
    "sv": {"name": ("Namn", "Patient"), "patient_id": ("Pat-ID", "Personnr"), "birth_date": ("Födelsedatum", "Född"),
           "sex": ("Kön",), "age": ("Ålder",), "date": ("Datum",), "time": ("Tid",),
           "institution": ("Sjukhus", "Klinik"), "accession": ("Remissnr",), "operator": ("Operatör",),
           "physician": ("Remittent",)},
    "cs": {"name": ("Jméno", "Pacient"), "patient_id": ("ID pacienta", "RČ"), "birth_date": ("Datum nar.", "Nar."),
           "sex": ("Pohlaví",), "age": ("Věk",), "date": ("Datum",), "time": ("Čas",),
           "institution": ("Nemocnice", "Pracoviště"), "accession": ("Č. žádanky",), "operator": ("Vyšetřující",),
           "physician": ("Odesílající lékař",)},
    "tr": {"name": ("Ad Soyad", "Hasta"), "patient_id": ("Hasta No", "Protokol No"),
           "birth_date": ("Doğum Tarihi", "D.T."), "sex": ("Cinsiyet",), "age": ("Yaş",), "date": ("Tarih",),
           "time": ("Saat",), "institution": ("Hastane", "Kurum"), "accession": ("Kabul No",),
           "operator": ("Operatör", "Doktor"), "physician": ("İsteyen Dr.",)},
    "hu": {"name": ("Név", "Beteg"), "patient_id": ("Azonosító", "TAJ"), "birth_date": ("Szül. dátum",),
           "sex": ("Nem",), "age": ("Kor",), "date": ("Dátum",), "time": ("Idő",), "institution": ("Kórház",),
           "accession": ("Kérés szám",), "operator": ("Vizsgáló",), "physician": ("Beutaló orvos",)},
}

#: One-letter sex markers per language ("M", "F", "O" = other/unknown).
SEX_MARKERS: dict[str, dict[str, str]] = {
    "en": {"M": "M", "F": "F", "O": "O"}, "de": {"M": "M", "F": "W", "O": "D"},
    "fr": {"M": "M", "F": "F", "O": "I"}, "es": {"M": "M", "F": "F", "O": "O"},
    "it": {"M": "M", "F": "F", "O": "O"}, "pt": {"M": "M", "F": "F", "O": "O"},
    "nl": {"M": "M", "F": "V", "O": "O"}, "pl": {"M": "M", "F": "K", "O": "N"},
    "sv": {"M": "M", "F": "K", "O": "O"}, "cs": {"M": "M", "F": "Ž", "O": "N"},
    "tr": {"M": "E", "F": "K", "O": "B"}, "hu": {"M": "F", "F": "N", "O": "E"},
}

#: The unit after an age in years ("45 J.", "45 ans").
AGE_UNITS: dict[str, str] = {
    "en": "y", "de": "J.", "fr": "ans", "es": "años", "it": "a", "pt": "a", "nl": "j", "pl": "l.", "sv": "år",
    "cs": "r.", "tr": "yaş", "hu": "év",
}


def label_for(language: str, field: str, rng: Rng) -> str:
    """One label variant for ``field`` in ``language`` (KeyError naming what is known otherwise)."""
    if language not in LABELS:
        raise KeyError(f"unknown label language {language!r}; known: {', '.join(LABELS)}")
    if field not in LABELS[language]:
        raise KeyError(f"no label for field {field!r}; known: {', '.join(FIELDS)}")
    variants = LABELS[language][field]
    return variants[randint(rng, 0, len(variants) - 1)]
