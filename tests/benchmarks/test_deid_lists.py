"""pytest-benchmark benchmarks of the pixel engine's word lists; each also checks what it measured is right.

Loading the name lists, building the clinical lexicon, and reading name evidence in overlay lines not seen
before (the cache does not help). The unit tests (tests/test_person_names.py, tests/test_clinical_grammar.py)
keep only hang guards; the speed is measured here (issue 17 item 5). The plain ``pytest`` run runs each once,
benchmarking off (tests/benchmarks/test_hot_paths.py says how to measure).
"""

from __future__ import annotations

from phiphantom.deid.pixels import clinical_terms
from phiphantom.deid.pixels.person_names import AMBIGUOUS_WEIGHT, KNOWN_WEIGHT, fold, name_evidence, name_lists

OVERLAY_LINES = ("MÜLLER-LÜDENSCHEIDT, Hans-Jürgen 12.03.1961", "Gain 50 Depth 16 cm", "van der Berg, Pieter")


def test_name_lists_load(benchmark):
    lists = benchmark.pedantic(name_lists, setup=name_lists.cache_clear, rounds=5, iterations=1)
    assert lists.surname_rank["SMITH"] == 1  # the 1990 census's most frequent surname
    assert lists.known(fold("Müller")) and lists.known("JOHN") and lists.known(fold("Jürgen"))
    assert len(lists.surname_rank) > 80_000 and len(lists.given) > 5_000


def test_clinical_lexicon_build(benchmark):
    clinical_terms.dicom_concept_keywords([2])  # the DICOM table is imported before timing the build
    lexicon = benchmark.pedantic(clinical_terms.lexicon, setup=clinical_terms.lexicon.cache_clear, rounds=5,
                                 iterations=1)
    assert {"GAIN", "GALLBLADDER", "TAPSE"} <= lexicon.words and lexicon.get(fold("Gain")) is not None
    assert lexicon.longest >= 2 and lexicon.get("NOT-A-CLINICAL-WORD") is None


def test_name_evidence_of_new_lines(benchmark):
    name_lists()  # loaded before timing
    counter = iter(range(10**9))

    def read_new_lines() -> list[float]:
        n = next(counter)  # a new line each call: no cache
        return [max((ev.weight for ev in name_evidence(f"{line} {n}")), default=0.0) for line in OVERLAY_LINES]

    surname_first, clinical, particle_name = benchmark(read_new_lines)
    assert surname_first >= KNOWN_WEIGHT and particle_name >= KNOWN_WEIGHT
    assert clinical <= AMBIGUOUS_WEIGHT
