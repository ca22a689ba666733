"""How much of each style pack's clinical wording the bundled engine already knows (issue 14 item 5).

The bundled engine keeps burned-in text as clinical when its own allowlist accepts it (a list of
words plus probe-name, number and value-with-unit patterns); it never reads the generator's packs
(``tests/test_import_direction.py``). A pack whose wording the engine does not know tests the
engine on words it was not written for. For each shipped pack (``phiphantom.synth.styles.registry``)
and each word of its clinical vocabulary (``StylePack.vocabulary()``: parameter labels and units,
presets, probes, modes, measurements, annotations, body markers, dense strings):

* ``listed_words``: the word, upper-cased without punctuation, is in the engine's word list;
* ``shared_words``: the engine's classifier keeps the word as clinical (list or patterns);
* ``share_of_pack``: ``shared_words / pack_words``.

It is measured only for a run that includes the bundled engine. The engine is reached only through
``engines/bundled.py``, the one module of the benchmark that
imports ``phiphantom.deid``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .engines.bundled import clinical_words, keeps_as_clinical


def _normal(word: str) -> str:
    return re.sub(r"[\W_]+", "", word).upper()


def pack_overlap(words: set[str]) -> dict[str, Any]:
    """The overlap of one pack's clinical ``words`` with the bundled engine's vocabulary."""
    listed = clinical_words()
    shared = sum(keeps_as_clinical(w) for w in sorted(words))
    return {"pack_words": len(words), "listed_words": sum(_normal(w) in listed for w in words),
            "shared_words": shared, "share_of_pack": round(shared / len(words), 6) if words else None}


def runs_bundled(specs: Iterable[str]) -> bool:
    """Whether engine ``specs`` (as ``bench --engine`` takes them) include the bundled engine."""
    return any(s == "bundled" or s.startswith("bundled:") for s in specs)


def vocabulary_overlap(engines: Iterable[str] = ("bundled",)) -> dict[str, Any] | None:
    """``results.json``'s ``vocabulary_overlap``: the engine's word count and one entry per shipped pack.

    ``None`` when ``engines`` (the run's engine specs) do not include the bundled engine (the overlap, one
    classifier call per pack word, about a second, describes that engine only) or when the style packs
    cannot be read (a checkout without them).
    """
    if not runs_bundled(engines):
        return None
    try:
        from phiphantom.synth.styles.registry import list_packs

        packs = list_packs()
    except Exception:  # noqa: BLE001 - packs missing or invalid: no overlap to report, the bench still runs
        return None
    return {"engine": "bundled", "engine_words": len(clinical_words()),
            "packs": {p.name: pack_overlap(p.vocabulary()) for p in sorted(packs, key=lambda p: p.name)}}
