"""Synthetic identities: instance-seeded Faker, realistic name shapes, consistent dates, valid DICOM values."""

from __future__ import annotations

import datetime as dt
import unicodedata

from faker.generator import random as shared_random

from phiphantom.synth.config import DEFAULT_LOCALES
from phiphantom.synth.identity import make_identity


def _identities(n=300, seed=0):
    return [make_identity(seed, i, DEFAULT_LOCALES, 2) for i in range(n)]


def test_deterministic_and_independent_of_order_and_the_shared_rng():
    a = make_identity(5, 7, DEFAULT_LOCALES, 2)
    make_identity(5, 3, DEFAULT_LOCALES, 2)  # other work in between must not matter
    for _ in range(17):                      # nor the state of Faker's shared, class-level RNG
        shared_random.random()
    b = make_identity(5, 7, DEFAULT_LOCALES, 2)
    assert a == b
    assert make_identity(6, 7, DEFAULT_LOCALES, 2) != a


def test_names_with_accents_hyphens_and_apostrophes_occur():
    names = [i.name for i in _identities()]
    full = [f"{n.family} {n.given}" for n in names]
    assert any(any(unicodedata.combining(c) or ord(c) > 127 for c in unicodedata.normalize("NFD", s)) for s in full)
    assert any("-" in n.family for n in names)
    assert any("'" in n.family for n in names)
    assert len({i.locale for i in _identities()}) == len(DEFAULT_LOCALES)


def test_fields_are_consistent_and_fit_their_vrs():
    mrn_formats = set()
    for ident in _identities(600):
        mrn_formats.add(ident.mrn_format)
        first, second = ident.studies
        assert second.date > first.date and first.study_uid != second.study_uid
        assert 17 <= ident.age_at(first.date) <= 97
        assert ident.dicom_age(first.date) == f"{ident.age_at(first.date):03d}Y"
        assert ident.birth_date < first.date
        size = lambda text: len(text.encode("utf-8"))  # noqa: E731 - dciodvfy counts bytes, not characters
        assert size(ident.phone) <= 16 and size(ident.address) <= 64          # SH, LO
        assert size(first.accession) <= 16 and size(ident.station_name) <= 16  # SH
        assert size(ident.institution_name) <= 64                             # LO
        assert all(size(part) <= 64 for part in ident.name.dicom.split("^"))
        assert ident.name.dicom.startswith(f"{ident.name.family}^{ident.name.given}")
        assert first.study_uid.startswith("2.25.") and len(first.study_uid) <= 64
        assert ident.deid_id.startswith("DEID-")
        assert isinstance(ident.birth_date, dt.date)
    assert len(mrn_formats) == 6


def test_identities_do_not_depend_on_the_interpreters_hash_seed():
    """Faker builds some word lists from sets (it_IT cities): their order follows PYTHONHASHSEED."""
    import json
    import os
    import subprocess
    import sys

    script = ("import json; from phiphantom.synth.config import DEFAULT_LOCALES; "
              "from phiphantom.synth.identity import make_identity, identity_row; "
              "print(json.dumps([identity_row(make_identity(7, i, DEFAULT_LOCALES, 2)) for i in range(150)]))")
    runs = [json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                      env={**os.environ, "PYTHONHASHSEED": seed}).stdout) for seed in ("1", "2")]
    assert {row["locale"] for row in runs[0]} >= {"it_IT"}
    assert runs[0] == runs[1]
