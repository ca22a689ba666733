"""One fuzz case from ``(seed, index)``: which seed file, which mutations, the mutated bytes.

A case draws one to three mutation kinds (weighted, no kind twice), a seed file that has what they
work on (encapsulated pixel data for ``fragment_table``, uncompressed for ``pixel_data_length``), and
applies them in order: data set mutations (parsed and written back by pydicom), then byte mutations
of the file meta and the data set (the inflated data set of a deflated file, compressed again after),
then whole-file mutations (truncation, bit flips). One case in fifty is a control: the seed unchanged.
Everything is drawn from ``random.Random(f"phiphantom-fuzz:{seed}:{index}")``, so any case can be made
again from its two numbers (``phiphantom fuzz --seed S --case N --out DIR`` writes it).
"""

from __future__ import annotations

import contextlib
import io
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import pydicom
import pydicom.config
from pydicom.filewriter import dcmwrite

from . import mutate_bytes as mb
from . import mutate_dataset as md
from .seeds import Seed
from .stream import join, split

#: kind -> (weight, [(scope, mutation), ...]); scope: dataset | body | meta | file
KINDS: dict[str, tuple[int, list[tuple[str, Callable]]]] = {
    "element_length": (12, [("body", mb.element_length)]),
    "vr": (10, [("body", mb.vr), ("dataset", md.vr_reencode)]),
    "sequence_nesting": (10, [("body", mb.deep_sequence), ("body", mb.sequence_bytes)]),
    "truncation": (8, [("file", mb.truncate)]),
    "pixel_data_length": (8, [("body", mb.pixel_data_length)]),
    "pixel_attributes": (8, [("body", mb.pixel_attributes)]),
    "transfer_syntax": (8, [("meta", mb.transfer_syntax)]),
    "fragment_table": (10, [("body", mb.fragment_table)]),
    "overlay": (8, [("dataset", md.overlay_attributes), ("body", mb.overlay_bytes)]),
    "value_bytes": (7, [("body", mb.value_bytes), ("file", mb.bit_flips)]),
    "element_order": (4, [("body", mb.element_order)]),
    "private": (5, [("dataset", md.private_tricks)]),
    "charset": (4, [("body", mb.charset)]),
}
_SCOPE_ORDER = {"dataset": 0, "meta": 1, "body": 1, "file": 2}
CONTROL_SHARE = 0.02


@dataclass
class Case:
    index: int
    seed_name: str
    data: bytes
    mutations: list[str] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return [m.split(":", 1)[0] for m in self.mutations]


def case_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"phiphantom-fuzz:{seed}:{index}")


def _draw_kinds(rng: random.Random) -> list[str]:
    count = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
    names, weights = list(KINDS), [KINDS[k][0] for k in KINDS]
    chosen: list[str] = []
    while len(chosen) < count:
        kind = rng.choices(names, weights=weights)[0]
        if kind not in chosen:
            chosen.append(kind)
    if "fragment_table" in chosen and "pixel_data_length" in chosen:
        chosen.remove("pixel_data_length")
    return chosen


def _encode(ds) -> bytes:
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def make_case(seeds: list[Seed], seed: int, index: int) -> Case:
    """The mutated file of case ``index`` of a run with seed ``seed`` over the corpus ``seeds``."""
    rng = case_rng(seed, index)
    if rng.random() < CONTROL_SHARE:
        chosen = seeds[rng.randrange(len(seeds))]
        return Case(index, chosen.name, chosen.data, ["none"])
    kinds = _draw_kinds(rng)
    pool = seeds
    if "fragment_table" in kinds:
        pool = [s for s in seeds if s.encapsulated] or seeds
    elif "pixel_data_length" in kinds:
        pool = [s for s in seeds if not s.encapsulated] or seeds
    chosen = pool[rng.randrange(len(pool))]
    steps = [(kind, *rng.choice(KINDS[kind][1])) for kind in kinds]
    steps.sort(key=lambda step: _SCOPE_ORDER[step[1]])
    case = Case(index, chosen.name, chosen.data)
    with warnings.catch_warnings(), _un_kept():
        warnings.simplefilter("ignore")
        data = chosen.data
        dataset_steps = [s for s in steps if s[1] == "dataset"]
        if dataset_steps:
            ds = pydicom.dcmread(io.BytesIO(data))
            for kind, _, mutation in dataset_steps:
                case.mutations.append(_apply(kind, mutation, ds, rng))
            try:
                data = _encode(ds)
            except Exception as exc:  # noqa: BLE001 - pydicom would not write it: keep the seed's bytes
                case.mutations.append(f"write_failed:{type(exc).__name__}")
        parts = split(data)
        for kind, scope, mutation in steps:
            if scope in ("meta", "body"):
                case.mutations.append(_apply(kind, mutation, parts, rng))
        buffer = bytearray(join(parts))
        for kind, scope, mutation in steps:
            if scope == "file":
                case.mutations.append(_apply(kind, mutation, buffer, rng))
    case.data = bytes(buffer)
    return case


@contextlib.contextmanager
def _un_kept():
    """pydicom turns a UN element of a known tag back into its dictionary VR; while a case is made it must
    not (a UN-encoded PatientName is a mutation). The engine, in the same process, gets the setting back."""
    before = pydicom.config.replace_un_with_known_vr
    pydicom.config.replace_un_with_known_vr = False
    try:
        yield
    finally:
        pydicom.config.replace_un_with_known_vr = before


def _apply(kind: str, mutation: Callable, target, rng: random.Random) -> str:
    try:
        return mutation(target, rng)
    except mb.NotApplicable:
        return f"{kind}:not_applicable"
    except RecursionError:
        return f"{kind}:too_deep_to_write"
