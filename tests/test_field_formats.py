"""PHI field formats for style packs (issue 14 item 2): dates, times, ID shapes, names, age/sex, labels."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.synth.fonts import load_font, missing_glyphs
from phiphantom.synth.identity import PersonName
from phiphantom.synth.overlay_content import DATE_FORMATS as CLASSIC_DATE_FORMATS
from phiphantom.synth.overlay_content import NAME_FORMATS as CLASSIC_NAME_FORMATS
from phiphantom.synth.overlay_content import format_date as classic_format_date
from phiphantom.synth.overlay_content import format_name as classic_format_name
from phiphantom.synth.styles import field_formats as ff
from phiphantom.synth.styles.id_shapes import ID_SHAPES, luhn_valid, make_id
from phiphantom.synth.styles.labels import AGE_UNITS, FIELDS, LABELS, SEX_MARKERS, label_for
from phiphantom.synth.styles.names import NAME_LOCALES, draw_name, normalise_family

DAY = dt.date(2026, 12, 5)            # a Saturday
MOMENT = dt.time(14, 3, 12, 450000)

EXPECTED_DATES = {
    "YYYYMMDD": "20261205", "YYYY-MM-DD": "2026-12-05", "YYYY/MM/DD": "2026/12/05", "YYYY.MM.DD": "2026.12.05",
    "YY/MM/DD": "26/12/05", "MM/DD/YYYY": "12/05/2026", "MM/DD/YY": "12/05/26", "MM-DD-YYYY": "12-05-2026",
    "M/D/YYYY": "12/5/2026", "DD/MM/YYYY": "05/12/2026", "DD/MM/YY": "05/12/26", "DD.MM.YYYY": "05.12.2026",
    "DD.MM.YY": "05.12.26", "D.M.YYYY": "5.12.2026", "DD-MM-YYYY": "05-12-2026", "DD-MON-YYYY": "05-DEC-2026",
    "DD-MON-YY": "05-DEC-26", "DD MON YYYY": "05 DEC 2026", "MON DD YYYY": "DEC 05 2026",
    "Mon DD, YYYY": "Dec 05, 2026", "Mon. Dth, YYYY": "Dec. 5th, 2026", "D Month YYYY": "5 December 2026",
    "de:Dy DD.MM.YYYY": "Sa 05.12.2026", "de:D. Month YYYY": "5. Dezember 2026", "fr:D month YYYY": "5 décembre 2026",
    "es:DD-mon-YYYY": "05-dic-2026", "it:DD mon YYYY": "05 dic 2026", "nl:D mon YYYY": "5 dec 2026",
    "pt:DD/mon/YYYY": "05/dez/2026",
}
EXPECTED_TIMES = {
    "HH:MM:SS": "14:03:12", "HH:MM": "14:03", "hh:MM:SS AM": "02:03:12 PM", "hh:MM AM": "02:03 PM",
    "hh:MMAM": "02:03PM", "h:MM am": "2:03 pm", "HH:MM:SS.cc": "14:03:12.45", "HHMMSS": "140312",
    "HH.MM": "14.03", "HHhMM": "14h03",
}


def test_every_date_and_time_format_renders_a_known_value_exactly_and_they_are_distinct():
    assert {k: ff.format_date(DAY, k) for k in ff.DATE_FORMATS} == EXPECTED_DATES
    assert {k: ff.format_time(MOMENT, k) for k in ff.TIME_FORMATS} == EXPECTED_TIMES
    assert len(set(EXPECTED_DATES.values())) == len(EXPECTED_DATES) >= 15
    assert len(set(EXPECTED_TIMES.values())) == len(EXPECTED_TIMES) >= 8
    # a datetime is formatted by its time; other days move the right digits
    assert ff.format_time(dt.datetime(2026, 1, 2, 9, 5, 7), "hh:MM:SS AM") == "09:05:07 AM"
    assert ff.format_time(dt.time(0, 30), "h:MM am") == "12:30 am"
    assert ff.format_date(dt.date(2003, 2, 1), "Mon. Dth, YYYY") == "Feb. 1st, 2003"
    assert ff.format_date(dt.date(2003, 2, 22), "Mon. Dth, YYYY") == "Feb. 22nd, 2003"
    assert ff.format_date(dt.date(2003, 2, 13), "Mon. Dth, YYYY") == "Feb. 13th, 2003"
    assert ff.format_date(dt.date(2003, 3, 2), "de:D. Month YYYY") == "2. März 2003"


def test_raw_strftime_patterns_use_english_names_and_match_the_classic_generator():
    days = [dt.date(1961, m, d) for m, d in ((1, 9), (5, 31), (8, 1), (12, 25))]
    for pattern in CLASSIC_DATE_FORMATS:
        for day in days:
            assert ff.format_date(day, pattern) == classic_format_date(day, pattern)
    assert ff.format_date(DAY, "%a %d %B %Y") == "Sat 05 December 2026"
    assert ff.format_time(MOMENT, "%I:%M %p") == "02:03 PM"
    assert ff.format_field("date", "%d-%b-%Y", DAY) == "05-DEC-2026"
    with pytest.raises(KeyError, match="unknown date format"):
        ff.format_date(DAY, "DD/MM/YYYYY")
    with pytest.raises(KeyError, match="unknown time format"):
        ff.format_time(MOMENT, "HH:MM:SS:FF")


def test_every_format_renders_with_the_default_font_without_missing_glyphs():
    """Real text rendered: each example string has glyphs in DejaVuSans and puts ink on a canvas."""
    font = load_font("DejaVuSans", 14)
    for text in [*EXPECTED_DATES.values(), *EXPECTED_TIMES.values()]:
        assert missing_glyphs("DejaVuSans", text) == ""
        canvas = Image.new("L", (220, 24))
        ImageDraw.Draw(canvas).text((2, 2), text, fill=255, font=font)
        assert np.asarray(canvas).max() == 255, text


@pytest.mark.parametrize("rng_kind", ["numpy", "random"])
def test_id_shapes_match_their_regex_and_check_digits_validate(rng_kind):
    assert len(ID_SHAPES) >= 8
    assert sum(1 for s in ID_SHAPES.values() if s.check is not None) >= 5
    for key, shape in ID_SHAPES.items():
        rng = np.random.default_rng(11) if rng_kind == "numpy" else random.Random(11)
        values = [shape.make(rng) for _ in range(200)]
        for value in values:
            assert shape.matches(value), (key, value)
            assert shape.check is None or shape.check(value), (key, value)
        assert len(set(values)) > 150, key      # really drawn, not a constant
    # the shapes differ from each other: no value of one shape is a value of another's regex, mostly
    samples = {k: make_id(k, np.random.default_rng(3)) for k in ID_SHAPES}
    assert len(set(samples.values())) == len(samples)


def test_check_digit_shapes_refuse_a_changed_digit_and_accept_published_examples():
    rng = np.random.default_rng(5)
    for shape in (s for s in ID_SHAPES.values() if s.check is not None):
        check = shape.check
        assert check is not None
        for _ in range(50):
            value = shape.make(rng)
            last = value[-1]
            alphabet = "0123456789" if last.isdigit() else "ABCDEFHJKLMNPRSTUVWXY"
            for other in alphabet:
                if other != last:
                    assert not check(value[:-1] + other), (shape.key, value, other)
    # examples published with each algorithm (NHS Data Dictionary, Luhn's textbook case, the CPF and BSN
    # test numbers, the PESEL and HETU worked examples)
    assert ID_SHAPES["nhs-mod11"].check and ID_SHAPES["nhs-mod11"].check("943 476 5919")
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert ID_SHAPES["cpf"].check and ID_SHAPES["cpf"].check("529.982.247-25")
    assert ID_SHAPES["bsn-11"].check and ID_SHAPES["bsn-11"].check("111222333")
    assert ID_SHAPES["pesel"].check and ID_SHAPES["pesel"].check("44051401359")
    assert ID_SHAPES["hetu"].check and ID_SHAPES["hetu"].check("131052-308T")


def test_ids_are_deterministic_per_seed():
    a = [make_id(k, np.random.default_rng(9)) for k in ID_SHAPES]
    b = [make_id(k, np.random.default_rng(9)) for k in ID_SHAPES]
    c = [make_id(k, np.random.default_rng(10)) for k in ID_SHAPES]
    assert a == b != c
    assert ff.format_field("id", "cpf", None, np.random.default_rng(9)) == a[list(ID_SHAPES).index("cpf")]
    with pytest.raises(KeyError, match="unknown ID shape"):
        make_id("digits-99", np.random.default_rng(0))


NAMES = (
    PersonName("van der Berg", "Anna", "Sophie"),
    PersonName("O'Brien", "Siobhán"),
    PersonName("Müller-Lüdenscheidt", "Hans-Günther", "Peter"),
    PersonName("Łukasiewicz", "Małgorzata"),
    PersonName("de la Garza", "María José"),
    PersonName("Strauß", "Øyvind"),
)


def test_classic_name_formats_give_the_classic_generators_text():
    for key in CLASSIC_NAME_FORMATS:
        for name in NAMES:
            assert ff.format_name(name, key) == classic_format_name(name, key)


def test_name_formats_keep_particles_hyphens_apostrophes_and_diacritics():
    anna, siobhan, hans, _, maria, _ = NAMES
    assert ff.format_name(anna, "Family, Given particle") == "Berg, Anna van der"
    assert ff.format_name(maria, "Family, Given particle") == "Garza, María José de la"
    assert ff.format_name(anna, "PN") == "van der Berg^Anna^Sophie"
    assert ff.format_name(anna, "Given M. Family") == "Anna S. van der Berg"
    assert ff.format_name(siobhan, "FAMILY, Given") == "O'BRIEN, Siobhán"
    assert ff.format_name(siobhan, "Given M. Family") == "Siobhán O'Brien"
    assert ff.format_name(hans, "FAMILY Given") == "MÜLLER-LÜDENSCHEIDT Hans-Günther"
    assert ff.format_name(hans, "FAMILY^Given^Middle") == "MÜLLER-LÜDENSCHEIDT^Hans-Günther^Peter"
    assert ff.format_name(hans, "G. FAMILY") == "H. MÜLLER-LÜDENSCHEIDT"
    assert ff.split_particles("van 't Erve") == ("van 't", "Erve")
    assert ff.split_particles("Le Gall") == ("", "Le Gall")          # capitalised: part of the name
    ascii_names = [ff.format_name(n, "FAMILY GIVEN ascii") for n in NAMES]
    assert ascii_names == ["VAN DER BERG ANNA", "OBRIEN SIOBHAN", "MULLER LUDENSCHEIDT HANS GUNTHER",
                           "LUKASIEWICZ MALGORZATA", "DE LA GARZA MARIA JOSE", "STRAUSS OYVIND"]
    assert all(re.fullmatch(r"[A-Z .]+", n) for n in ascii_names)
    outputs = {k: ff.format_name(anna, k) for k in ff.NAME_FORMATS}
    assert len(set(outputs.values())) == len(outputs) >= 12
    with pytest.raises(KeyError, match="unknown name format"):
        ff.format_name(anna, "GIVEN^FAMILY^X")


def test_age_sex_markers_follow_the_language():
    assert ff.format_age_sex(45, "F", "{age}Y {sex}") == "45Y F"
    assert ff.format_age_sex(45, "F", "{age} {unit} {sex}", "de") == "45 J. W"
    assert ff.format_age_sex(7, "M", "{sex} {age3}Y", "tr") == "E 007Y"
    assert ff.format_age_sex(61, "F", "{sex}, {age} {unit}", "cs") == "Ž, 61 r."
    assert ff.format_age_sex(30, "F", "{age}{sex}", "nl") == "30V"
    assert ff.format_age_sex(30, "F", "{age}{sex}", "xx") == "30F"      # unknown language: English markers
    rendered = {ff.format_age_sex(45, "M", t, "fr") for t in ff.AGE_SEX_FORMATS}
    assert len(rendered) == len(ff.AGE_SEX_FORMATS)
    assert ff.format_field("age_sex", "{sex}/{age}", (52, "M"), language="sv") == "M/52"


def test_format_field_dispatches_and_refuses_mismatched_values():
    assert ff.format_field("date", "DD.MM.YYYY", DAY) == "05.12.2026"
    assert ff.format_field("time", "HHhMM", MOMENT) == "14h03"
    assert ff.format_field("name", "FAMILY^GIVEN", NAMES[1]) == "O'BRIEN^SIOBHÁN"
    with pytest.raises(TypeError):
        ff.format_field("date", "DD.MM.YYYY", "2026-12-05")
    with pytest.raises(TypeError):
        ff.format_field("id", "digits-8")                                # no rng


def _features(names: list[PersonName]) -> set[str]:
    text = [f"{n.family} {n.given} {n.middle}" for n in names]
    found = set()
    if any("-" in t for t in text):
        found.add("hyphen")
    if any("'" in t for t in text):
        found.add("apostrophe")
    if any(ff.split_particles(n.family)[0] for n in names):
        found.add("particle")
    if any(not t.isascii() for t in text):
        found.add("diacritic")
    return found


def test_locale_names_show_the_features_each_locale_should_have_and_the_font_covers_them():
    assert len(NAME_LOCALES) >= 10
    for feature in ("hyphen", "apostrophe", "particle", "diacritic"):
        assert sum(feature in f for f in NAME_LOCALES.values()) >= 3, feature
    for locale, expected in NAME_LOCALES.items():
        names = [draw_name(locale, seed, "MF"[seed % 2]) for seed in range(400)]
        assert _features(names) >= expected, locale
        assert len({n.dicom for n in names}) > 300, locale
        for n in names:
            assert n.family and n.given and n.family == n.family.strip()
            assert missing_glyphs("DejaVuSans", n.dicom) == "", (locale, n.dicom)
    assert {"particle"} <= _features([PersonName("van der Berg", "Anna")])


def test_names_are_deterministic_per_seed_in_any_process():
    code = ("from phiphantom.synth.styles.names import draw_name, NAME_LOCALES;"
            "print([draw_name(loc, 17, 'F').dicom for loc in NAME_LOCALES])")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout for h in (1, 2)}
    assert len(outputs) == 1
    assert outputs.pop().strip() == repr([draw_name(loc, 17, "F").dicom for loc in NAME_LOCALES])
    assert draw_name("de_DE", 3, "M") != draw_name("de_DE", 4, "M")
    with pytest.raises(KeyError, match="unknown name locale"):
        draw_name("xx_XX", 1)


def test_particles_written_after_the_name_move_in_front():
    assert normalise_family("Bourgondië, van") == "van Bourgondië"
    assert normalise_family("Dussen van") == "van Dussen"
    assert normalise_family("Erve, van 't") == "van 't Erve"
    assert normalise_family("de la Garza") == "de la Garza"
    assert normalise_family("Le Gall") == "Le Gall"


def test_labels_cover_every_field_in_at_least_five_languages_and_render():
    assert len(LABELS) >= 5
    font = load_font("DejaVuSans", 12)
    for language, table in LABELS.items():
        assert set(table) == set(FIELDS), language
        assert all(table[f] and all(v.strip() == v and v for v in table[f]) for f in FIELDS), language
        assert language in SEX_MARKERS and language in AGE_UNITS, language
        assert SEX_MARKERS[language]["M"] != SEX_MARKERS[language]["F"], language
        text = " ".join(v for f in FIELDS for v in table[f]) + AGE_UNITS[language] + "".join(
            SEX_MARKERS[language].values())
        assert missing_glyphs("DejaVuSans", text) == "", language
        canvas = Image.new("L", (160, 20))
        ImageDraw.Draw(canvas).text((1, 1), table["birth_date"][0], fill=255, font=font)
        assert np.asarray(canvas).max() == 255, language
    # the languages really differ: each non-English one has its own birth-date label
    own = {lang: set(t["birth_date"]) for lang, t in LABELS.items()}
    assert sum(1 for lang in own if lang != "en" and not own[lang] & own["en"]) >= 5


def test_label_for_is_seeded_and_names_unknown_keys():
    picks = [label_for("de", "birth_date", np.random.default_rng(s)) for s in range(30)]
    assert picks == [label_for("de", "birth_date", np.random.default_rng(s)) for s in range(30)]
    assert set(picks) == set(LABELS["de"]["birth_date"])
    assert label_for("fr", "sex", random.Random(1)) == "Sexe"
    with pytest.raises(KeyError, match="unknown label language"):
        label_for("xx", "name", random.Random(1))
    with pytest.raises(KeyError, match="no label for field"):
        label_for("en", "shoe_size", random.Random(1))
