"""The seed corpus: small valid files made by the project's generator, carrying every PHI marker.

:func:`build_seeds` generates a few small patients (single frames and cines, grey and RGB,
uncompressed and JPEG Baseline with overlays, private blocks and icons: difficulty ``hard``), puts
the markers of :mod:`.markers` into each file (and an overlay plane and a curve where it has none),
and adds variants so that every path of the engine is reached: implicit VR little endian, explicit
VR big endian, deflated, RLE / JPEG-LS / JPEG 2000 lossless (where an encoder is installed),
16-bit grey, and JPEG files re-encapsulated with a Basic Offset Table, two fragments per frame or an
Extended Offset Table. Every seed is checked to read and decode before it is used. The corpus
depends only on ``seed``.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, encapsulate_extended, generate_frames
from pydicom.filewriter import dcmwrite
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from . import markers

#: small frames keep the engine fast (the generator's layouts need at least about this much room)
SIZES = ((240, 180), (320, 240))
NATIVE_VARIANTS = ("implicit-le", "big-endian", "deflated", "rle", "jpeg-ls", "j2k", "16-bit")
ENCAPSULATED_VARIANTS = ("bot", "two-fragments", "extended-offsets")


@dataclass(frozen=True)
class Seed:
    name: str            # what it is (photometric, frames, transfer syntax, variant); never PHI
    data: bytes
    encapsulated: bool
    frames: int


def _encode(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)  # in the encoding of ds.file_meta's transfer syntax
    return buffer.getvalue()


def _decodes(data: bytes) -> bool:
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
        ds.pixel_array  # noqa: B018 - decoding is the check
        return True
    except Exception:  # noqa: BLE001 - a variant whose codec is missing is simply left out
        return False


def _generate(workdir: Path, seed: int) -> list[Path]:
    from phiphantom.synth import GenerateConfig, generate
    from phiphantom.synth.layouts import LayoutError

    for attempt, sizes in enumerate((SIZES, SIZES[1:])):
        out = workdir / f"generated{attempt}"
        try:
            generate(GenerateConfig(out=out, patients=5, seed=seed, difficulty="hard", sizes=sizes, frames=(2, 3),
                                    cine_fraction=0.4, jpeg_fraction=0.4, rgb_fraction=0.5, workers=1,
                                    validate=False, progress=False))
        except LayoutError:  # the generator gives up on some 240x180 frames (no layout fits): 320x240 only
            continue
        return sorted((out / "dicom").rglob("*.dcm"))
    raise RuntimeError("the generator could not make the seed files")


def _name(ds: Dataset, variant: str) -> str:
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return f"{ds.PhotometricInterpretation.lower()}-{frames}f-{variant}"


def _native_variant(ds: Dataset, variant: str) -> Dataset | None:
    ds = pydicom.dcmread(io.BytesIO(_encode(ds)))  # a copy
    meta = ds.file_meta
    if variant == "implicit-le":
        meta.TransferSyntaxUID = ImplicitVRLittleEndian
    elif variant == "big-endian":
        meta.TransferSyntaxUID = ExplicitVRBigEndian
    elif variant == "deflated":
        meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    elif variant in ("rle", "jpeg-ls", "j2k"):
        uid = {"rle": RLELossless, "jpeg-ls": JPEGLSLossless, "j2k": JPEG2000Lossless}[variant]
        try:
            ds.compress(uid, generate_instance_uid=False)
        except Exception:  # noqa: BLE001 - no encoder installed for it
            return None
    elif variant == "16-bit":
        if ds.SamplesPerPixel != 1:
            return None
        arr = ds.pixel_array.astype(np.uint16) * 16
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.PixelData = arr.tobytes()
        ds["PixelData"].VR = "OW"
    return ds


def _encapsulated_variant(ds: Dataset, variant: str) -> Dataset:
    ds = pydicom.dcmread(io.BytesIO(_encode(ds)))
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    encoded = list(generate_frames(ds.PixelData, number_of_frames=frames))
    if variant == "bot":
        ds.PixelData = encapsulate(encoded, has_bot=True)
    elif variant == "two-fragments":
        ds.PixelData = encapsulate(encoded, fragments_per_frame=2, has_bot=frames > 1)
    else:
        data, offsets, lengths = encapsulate_extended(encoded)
        ds.PixelData = data
        ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = offsets, lengths
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def build_seeds(seed: int = 0, workdir: Path | None = None) -> list[Seed]:
    """The corpus for fuzz seed ``seed`` (the generator runs in ``workdir``, a temporary folder by default)."""
    with tempfile.TemporaryDirectory(prefix="phiphantom-fuzz-seeds-", dir=workdir) as tmp:
        paths = _generate(Path(tmp), seed)
        datasets = [pydicom.dcmread(p) for p in paths]
    seeds: list[Seed] = []
    native_turn = encapsulated_turn = 0
    for ds in datasets:
        markers.inject(ds)
        encapsulated = ds.file_meta.TransferSyntaxUID.is_compressed
        variants: list[tuple[str, Dataset | None]] = [(ds.file_meta.TransferSyntaxUID.keyword or "syntax", ds)]
        if encapsulated:
            name = ENCAPSULATED_VARIANTS[encapsulated_turn % len(ENCAPSULATED_VARIANTS)]
            encapsulated_turn += 1
            variants.append((name, _encapsulated_variant(ds, name)))
        else:
            for _ in range(2):  # two variants per uncompressed file, taking turns through the list
                name = NATIVE_VARIANTS[native_turn % len(NATIVE_VARIANTS)]
                native_turn += 1
                variants.append((name, _native_variant(ds, name)))
        for name, variant in variants:
            if variant is None:
                continue
            data = _encode(variant)
            if _decodes(data):
                syntax = variant.file_meta.TransferSyntaxUID
                seeds.append(Seed(_name(variant, name), data, syntax.is_compressed,
                                  int(variant.get("NumberOfFrames", 1) or 1)))
    if not seeds:
        raise RuntimeError("the generator made no usable seed files")
    return seeds
