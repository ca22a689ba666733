"""Plan a dataset: which files exist and what each one is made of (main process, cheap).

The plan is a deterministic list of :class:`FileJob` objects. Workers only ever
see one job at a time, so the result does not depend on how many there are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from phiphantom.core.ground_truth import DEFAULT_PACK

from .config import GenerateConfig, StyleRef
from .identity import Identity, make_identity
from .seeding import derive_seed, rng_for
from .sources import FrameSource, SourceRef
from .sources.base import Colour

if TYPE_CHECKING:
    from .styles import StylePack


@dataclass(frozen=True)
class FileJob:
    """Everything a worker needs to build one DICOM file."""

    index: int
    identity: Identity
    study_index: int
    instance_number: int
    relpath: str
    seed: int
    source_ref: SourceRef
    width: int
    height: int
    colour: Colour         # "grey" | "rgb"
    jpeg: bool
    frame_time_ms: float
    depth_cm: float
    difficulty: str
    phi_filename: bool
    acquisition_offset_s: int
    global_seed: int
    run_id: str
    source_spec: str
    style: str = DEFAULT_PACK  # the style pack the file is drawn from (all files of a study share it)
    style_version: str = "1"  # that pack's version

    @property
    def cine(self) -> bool:
        return self.source_ref.n_frames > 1

    @property
    def study(self):
        return self.identity.studies[self.study_index]


def filename_part(text: str) -> str:
    """``text`` as it appears in a PHI-carrying file name (non-word characters -> '_', upper case)."""
    return re.sub(r"[^\w]+", "_", text, flags=re.UNICODE).strip("_").upper()


def study_pack(seed: int, packs: tuple[StyleRef, ...], patient_key: str, study_index: int) -> StyleRef:
    """The style pack of one study (one device per study): drawn from ``packs`` by its own seed.

    With one pack nothing is drawn; the draw uses its own random stream, so the rest of the plan
    is the same whichever packs are selected.
    """
    if len(packs) == 1:
        return packs[0]
    return packs[int(rng_for(seed, "study-style", patient_key, study_index).integers(len(packs)))]


def pack_identity(identity: Identity, pack: StylePack, seed: int) -> Identity:
    """``identity`` as a site using ``pack`` records it: a name from one of the pack's locales (synth/styles/
    names.py: particles, hyphens, apostrophes, diacritics) and a patient ID in one of its ID shapes.

    Header and burned text both come from the identity, so they agree. Locales and shapes the modules do
    not know (the classic ones) leave the classic value.
    """
    from .styles.id_shapes import ID_SHAPES, make_id
    from .styles.names import NAME_LOCALES, draw_name

    r = rng_for(seed, "pack-identity", identity.patient_key)
    changes: dict[str, object] = {}
    locales = [loc for loc in pack.phi.locales if loc in NAME_LOCALES]
    if locales:
        weights = np.asarray([pack.phi.locales[loc] for loc in locales], dtype=float)
        locale = locales[int(r.choice(len(locales), p=weights / weights.sum()))]
        name_seed = derive_seed(seed, "pack-name", identity.patient_key)
        changes.update(locale=locale, name=draw_name(locale, name_seed, identity.sex))
    shapes = [shape for shape in pack.phi.id_shapes if shape in ID_SHAPES]
    if shapes:
        shape = shapes[int(r.integers(len(shapes)))]
        changes.update(mrn=make_id(shape, r), mrn_format=shape)
    return replace(identity, **changes)  # type: ignore[arg-type]


def plan_dataset(config: GenerateConfig, source: FrameSource) -> tuple[list[Identity], list[FileJob]]:
    """Identities and file jobs for ``config`` (pure function of the config and the source catalog)."""
    identities: list[Identity] = []
    jobs: list[FileJob] = []
    run_id = config.run_id()
    packs = config.style_packs()
    for p in range(config.patients):
        identity = make_identity(config.seed, p, config.locales, config.studies_per_patient)
        home = study_pack(config.seed, packs, identity.patient_key, 0)
        if home.name != DEFAULT_PACK:  # the site of the first study writes the patient's name and ID its way
            from .styles import get_pack

            identity = pack_identity(identity, get_pack(home.name), config.seed)
        identities.append(identity)
        for study in identity.studies:
            r = rng_for(config.seed, "study-plan", identity.patient_key, study.index)
            pack = study_pack(config.seed, packs, identity.patient_key, study.index)
            lo, hi = config.files_per_study
            n_files = int(r.integers(lo, hi + 1))
            offset = 0
            for inst in range(1, n_files + 1):
                seed = derive_seed(config.seed, "file", identity.patient_key, study.index, inst)
                fr = rng_for(seed, "file-plan")
                cine = bool(fr.random() < config.cine_fraction)
                n_frames = int(fr.integers(config.frames[0], config.frames[1] + 1)) if cine else 1
                ref: SourceRef = source.plan(fr, cine, n_frames)
                width, height = config.sizes[int(fr.integers(len(config.sizes)))]
                colour: Colour = "rgb" if fr.random() < config.rgb_fraction else "grey"
                jpeg = bool(fr.random() < config.jpeg_fraction)
                frame_time = float(fr.choice((20.0, 25.0, 33.3, 40.0, 50.0)))
                frame_time = float(ref.param("frame_time_ms", 0) or 0) or (
                    1000.0 / float(ref.param("fps")) if ref.param("fps") else frame_time)
                depth = float(ref.param("depth_cm", round(float(fr.uniform(6, 18)), 1)))
                phi_name = bool(fr.random() < config.phi_filename_fraction)
                stem = f"US_{inst:04d}"
                if phi_name:
                    stem = (f"{filename_part(identity.name.family)}_{filename_part(identity.name.given)}_"
                            f"{filename_part(identity.mrn)}_{inst:04d}")
                relpath = f"dicom/{identity.patient_key}/ST{study.index + 1:02d}/{stem}.dcm"
                jobs.append(FileJob(
                    index=len(jobs), identity=identity, study_index=study.index, instance_number=inst,
                    relpath=relpath, seed=seed, source_ref=ref, width=width, height=height, colour=colour,
                    jpeg=jpeg, frame_time_ms=frame_time, depth_cm=depth, difficulty=config.difficulty,
                    phi_filename=phi_name, acquisition_offset_s=offset, global_seed=config.seed, run_id=run_id,
                    source_spec=source.spec, style=pack.name, style_version=pack.version,
                ))
                offset += int(fr.integers(20, 120)) + int(n_frames * frame_time / 1000)
    return identities, jobs
