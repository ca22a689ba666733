"""The words of the PHI grammar (:mod:`.phi_grammar`), folded (lower case, no accents): month names and
abbreviations, age units, sex words and letters, and PHI field labels in English, German, French,
Spanish, Italian, Portuguese and Dutch.

Sources (written out here by hand; nothing from this project's generator):

* Month names and abbreviations, format and stand-alone, wide and abbreviated: Unicode CLDR locale data
  for ``en``, ``de`` (and ``de_AT`` "Jänner", "Feber"), ``fr``, ``es``, ``it``, ``pt``, ``nl``
  (https://cldr.unicode.org, Unicode License v3), plus the 3-letter forms of DIN 5008 / common usage
  ("Mrz", "Sep").
* Age units: CLDR unit names (year/month/week/day in the seven languages, long and short) and the
  units of the DICOM Age String (PS3.5 6.2, ``nnnD/W/M/Y``).
* Sex: DICOM Patient's Sex (PS3.3 C.7.1.1: M, F, O) and the words for male and female of the seven
  languages (the single letters W weiblich, H hombre/homme, V vrouw).
* Field labels: the DICOM PS3.6 attributes that hold PHI (Patient's Name, Patient ID, Patient's Birth
  Date, Patient's Age and Sex, Accession Number, Referring Physician's Name, Operators' Name,
  Institution Name, Study Date) in the words and abbreviations of the seven languages that screens
  and worklists print for them.
"""

from __future__ import annotations

#: month number -> its names and abbreviations in EN, DE (+AT), FR, ES, IT, PT, NL (CLDR; folded)
MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "janner", "janvier", "janv", "enero", "ene", "gennaio", "gen",
        "janeiro", "januari"),
    2: ("february", "feb", "februar", "feber", "fevrier", "fevr", "fev", "febrero", "febbraio", "fevereiro",
        "februari"),
    3: ("march", "mar", "marz", "mrz", "mars", "marzo", "marco", "maart", "mrt"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "mai", "mayo", "maggio", "mag", "maio", "mei"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho"),
    8: ("august", "aug", "aout", "agosto", "ago", "augustus"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "set", "settembre", "setembro"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro", "out"),
    11: ("november", "nov", "novembre", "noviembre", "novembro"),
    12: ("december", "dec", "dezember", "dez", "decembre", "diciembre", "dic", "dicembre", "dezembro"),
}
MONTH_OF = {name: number for number, names in MONTHS.items() for name in names}
#: abbreviations that are also common words: a day and month without a year is only suggestive with them
#: ("Sep" also the septum of echo read-outs, "Gen" a preset, "Dec" decrease, "Set", "Out", "Mar", "May", "Ago")
WORDLIKE_MONTHS = frozenset({"mar", "may", "set", "out", "gen", "ago", "dec", "sep"})

#: age units -> weight (years strong; months and weeks of children weaker; days weak: "12 d" may be a parameter)
AGE_UNITS: dict[str, float] = {
    **dict.fromkeys(("years", "year", "yrs", "yr", "y/o", "yo", "jahre", "jahr", "ans", "anos", "anni",
                     "anno", "jaar", "jr", "ev", "eves", "yas"), 0.9),  # ev/eves: Hungarian év/éves; yas: Turkish yaş
    **dict.fromkeys(("y", "j"), 0.8),
    **dict.fromkeys(("months", "month", "mo", "mos", "mth", "mths", "mon", "monat", "monate", "mois", "meses",
                     "mes", "mesi", "maanden", "mnd"), 0.6),
    **dict.fromkeys(("weeks", "week", "wk", "wks", "wo", "woche", "wochen", "sem", "semaine", "semaines",
                     "semana", "semanas", "settimana", "settimane", "weken"), 0.5),
    **dict.fromkeys(("days", "day", "d", "tage", "tag", "jours", "jour", "dias", "dia", "giorni", "gg",
                     "dagen", "dgn"), 0.4),
}
AGE_LABELS = ("age", "alter", "edad", "eta", "idade", "leeftijd", "lft")
SEX_LABELS = ("sex", "gender", "geschlecht", "geschl", "sexe", "sexo", "sesso", "geslacht", "genre")
#: sex words -> weight ("man" is also an English word; "femme"/"homme" also mean wife/man)
SEX_WORDS: dict[str, float] = {
    **dict.fromkeys(("male", "female", "mannlich", "weiblich", "masculin", "masculine", "feminin", "feminine",
                     "masculino", "femenino", "feminino", "maschile", "femminile", "maschio", "femmina",
                     "vrouwelijk", "mannelijk"), 0.8),
    **dict.fromkeys(("homme", "femme", "hombre", "mujer", "vrouw", "uomo", "donna"), 0.6),
    "man": 0.4,
}
SEX_LETTERS = "MFWHV"  # male / female, weiblich (de), hombre/homme (es/fr), vrouw (nl)
#: sex initials of other languages, taken only right beside an age with its unit ("83 év N", "N 071Y"): nő (hu),
#: kobieta / kvinna / kadın (pl, sv, tr), erkek (tr), žena (cs). Alone they are words, marks and modes
OTHER_SEX_LETTERS = "NKEŽ"
#: A sex letter and a two-digit age glued without a unit, either way round ("F45", "39M"); M only with an age
#: from 16 ("12M" may be a frequency in MHz); N and K (nő, kobieta/kvinna/kadın) only after such an age ("35N").
#: The PHI grammar finds it; the clinical grammar never explains it
GLUED_AGE_SEX = r"[MFW](?:1[6-9]|[2-9]\d)|(?:1[6-9]|[2-9]\d)[MFWNK]|[FW]1[0-5]|1[0-5][FW]"

#: PHI field labels; strong ones name a PHI field on their own, weak ones also head clinical text
STRONG_LABELS = (
    # name
    "patient name", "patient", "patientenname", "patiente", "nom du patient", "nom patient", "paziente",
    "nome paziente", "paciente", "nombre del paciente", "nome do paciente", "patientnaam", "pat name",
    "nome", "naam", "vorname", "nachname", "prenom", "cognome", "apellidos", "apellido",
    "achternaam", "voornaam", "sobrenome", "first name", "last name", "surname", "given name",
    # identifiers
    "mrn", "pid", "pat id", "patient id", "patienten id", "patientennr", "patientennummer", "pat nr",
    "fallnr", "fallnummer", "n° dossier", "no dossier", "dossier", "ipp", "nhc", "n h c", "cartella",
    "n cartella", "prontuario", "patientnummer", "medical record", "record no", "nhs no", "nhs number",
    # birth date
    "dob", "d o b", "born", "birth", "date of birth", "birth date", "birthdate", "geb", "geboren",
    "geburtsdatum", "geb datum", "geb dat", "ne le", "nee le", "ne e le", "date de naissance",
    "date naiss", "ddn", "fecha de nac", "fecha de nacimiento", "fecha nac", "f nac", "fec nac",
    "nacimiento", "data di nascita", "data nascita", "nato il", "nata il", "data de nascimento",
    "dt nasc", "nascimento", "geboortedatum", "geboren op",
    # accession and order
    "accession", "accession no", "acc no", "auftragsnr", "auftragsnummer", "n° examen", "accettazione",
    "aanvraagnummer", "study id", "exam id",
    # physicians, operators, institution
    "referring", "referring physician", "ref phys", "ref physician", "physician", "zuweiser", "uberweiser",
    "einweiser", "arzt", "medecin", "prescripteur", "medico", "medico solicitante", "medico richiedente",
    "verwijzer", "huisarts", "operator", "sonographer", "performed by", "untersucher", "operateur",
    "operador", "operatore", "echografist", "echoscopist", "ecografista", "sonografo", "technologist", "examiner",
    "scanned by", "exam by", "hospital",
    "institution", "klinik", "klinikum", "krankenhaus", "hopital", "ospedale", "ziekenhuis", "clinica",
    "clinique", "spital", "sjukhus", "sjukhuset", "sykehus", "sygehus", "sairaala", "szpital", "nemocnice",
    "korhaz", "hastane", "hastanesi", "poliklinik", "policlinico",
    # dates of the study, contact
    "study date", "exam date", "untersuchungsdatum", "date d examen", "date examen", "fecha del estudio",
    "data esame", "data do exame", "onderzoeksdatum", "telefon", "telephone", "telefono", "telefone",
    "telefoon", "phone", "tel", "fax", "e mail", "email",
    *AGE_LABELS[:-1], *SEX_LABELS,
)
#: Words for a hospital in 14 languages, as they end or begin compound names ("Universitätsklinikum",
#: "Kantonsspital", "Universitetssjukhuset", "Kreiskrankenhaus"): a longer word holding one names an institution
#: (``phi_grammar``). "clinic" is left out ("clinical" holds it)
INSTITUTION_STEMS = ("klinikum", "kliniken", "klinik", "krankenhaus", "spital", "sjukhus", "sykehus", "sygehus",
                     "sairaala", "szpital", "nemocnic", "korhaz", "hastane", "ziekenhuis", "hospital", "hopital",
                     "ospedal")
#: The first letters of university, Universität, universitetssjukhus, università, universitario, universitaire...
UNIVERSITY_HEAD = "universit"
WEAK_LABELS = ("name", "nom", "nombre", "id", "pat", "pt", "acc", "date", "datum", "fecha", "data", "arts", "inst",
                "ref", "tech", "lft", "op", "sono")  # op(erator), sono(grapher): "OP" is also occiput posterior
LABEL_WEIGHT = {"strong": (0.7, 0.8, 0.9), "weak": (0.4, 0.5, 0.8)}  # bare, then '.', then ':'
