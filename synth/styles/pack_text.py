"""The text of a file drawn from a style pack: patient lines in the pack's formats and labels, clinical
lines in its wording.

Used by :mod:`.compose_pack`; runs are those of :mod:`..overlay_content` (one ground-truth box per run
state), so layouts place them as they place the classic text.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import replace

import numpy as np

from ..compose import acquisition_start
from ..overlay_content import PHI_TAGS, ClinicalValues, TextLine, TextRun, TextState, static_run
from ..plan import FileJob
from .field_formats import format_age_sex, format_date, format_name, format_time
from .labels import LABELS, label_for
from .schema import StylePack

#: Clinical (non-PHI) categories only packs draw; ground truth and COCO gain them with the graphic kinds.
PACK_CATEGORIES: tuple[str, ...] = ("parameter", "measurement", "annotation")
#: Labelled patient fields: the field key of synth/styles/labels.py for each patient line.
_LABEL_FIELD = {"name": "name", "patient_id": "patient_id", "birth_date": "birth_date", "institution": "institution",
                "accession": "accession", "physician": "physician", "operator": "operator"}


def weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """A name of ``weights`` drawn with probability proportional to its weight."""
    names = list(weights)
    p = np.asarray([weights[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _case(text: str, case: str) -> str:
    return {"upper": text.upper(), "lower": text.lower(), "title": text.title()}.get(case, text)


def _cased(run: TextRun, case: str) -> TextRun:
    """``run`` with its drawn text in ``case`` (the PHI value, in DICOM form, stays)."""
    states = [replace(s, text=_case(s.text, case)) for s in run.states]
    return TextRun(run.category, run.is_phi, states, run.dicom_tag)


# --------------------------------------------------------------------------- the text


def _label(pack: StylePack, rng: np.random.Generator, key: str, n_frames: int) -> list[TextRun]:
    lang = pack.layout.label_language
    field = _LABEL_FIELD.get(key)
    if field is None or lang not in LABELS or rng.random() >= pack.layout.label_p:
        return []
    text = label_for(lang, field, rng) + (":" if rng.random() < 0.7 else "")
    return [static_run("label", text, n_frames, is_phi=False)]


def _clock_run(start: dt.datetime, n_frames: int, frame_time_ms: float, fmt: str) -> TextRun:
    """The acquisition clock of a cine in format ``fmt``, one state per distinct text."""
    states: list[TextState] = []
    for t in range(n_frames):
        now = start + dt.timedelta(milliseconds=t * frame_time_ms)
        text = format_time(now, fmt)
        if states and states[-1].text == text:
            states[-1] = replace(states[-1], frame_end=t + 1)
        else:
            states.append(TextState(text, now.strftime("%H%M%S"), t, t + 1))
    return TextRun("acquisition_time", True, states, PHI_TAGS["acquisition_time"])


def patient_lines(job: FileJob, pack: StylePack, rng: np.random.Generator, n_frames: int) -> dict[str, TextLine]:
    """The PHI lines of one file in the pack's formats and labels, keyed like the classic lines."""
    identity, study, phi, n = job.identity, job.study, pack.phi, n_frames
    opt = pack.layout.optional_fields
    keys = [k for k in pack.layout.field_order() if k in pack.layout.patient_fields or rng.random() < opt.get(k, 0)]
    date_fmt = str(rng.choice(phi.date_formats))
    lines: dict[str, TextLine] = {}
    for key in keys:
        run: TextRun | None = None
        if key == "name":
            run = static_run("name", format_name(identity.name, str(rng.choice(phi.name_formats))), n,
                             identity.name.dicom)
        elif key == "patient_id":
            run = static_run("patient_id", identity.mrn, n, identity.mrn)
        elif key == "birth_date":
            run = static_run("birth_date", format_date(identity.birth_date, date_fmt), n, identity.birth_da)
        elif key == "age_sex":
            age = identity.dicom_age(study.date)
            text = format_age_sex(int(age[:3]), identity.sex, str(rng.choice(phi.age_sex_formats)),
                                  pack.layout.label_language)
            run = static_run("age_sex", text, n, age)
        elif key == "date_time":
            start = acquisition_start(job)
            date_run = static_run("study_date", format_date(study.date, date_fmt), n, study.da)
            if n > 1:
                clock = _clock_run(start, n, job.frame_time_ms, str(rng.choice(pack.clinical.clock_formats)))
            else:
                clock = static_run("study_time", format_time(start, str(rng.choice(phi.time_formats))), 1,
                                   start.strftime("%H%M%S"))
            lines[key] = TextLine([date_run, clock])
            continue
        elif key == "institution":
            run = static_run("institution", identity.institution_name, n, identity.institution_name)
        elif key == "accession":
            run = static_run("accession", study.accession, n, study.accession)
        elif key == "physician":
            doc = identity.referring_physician
            run = static_run("physician", format_name(doc, str(rng.choice(phi.name_formats))), n, doc.dicom)
        elif key == "operator":
            op = identity.operator
            run = static_run("operator", f"{op.given[:1]}{op.family[:1]}".upper() + f" {op.family}", n, op.dicom)
        if run is not None:
            lines[key] = TextLine(_label(pack, rng, key, n) + [run])
    return lines


def _value(rng: np.random.Generator, lo: float, hi: float, decimals: int) -> str:
    return f"{float(rng.uniform(lo, hi)):.{decimals}f}"


def clinical_text(pack: StylePack, rng: np.random.Generator, cv: ClinicalValues, n_frames: int,
                  ) -> tuple[list[TextLine], list[TextLine], TextLine]:
    """(clinical lines, extras such as the frame counter, the body-marker line) in the pack's wording."""
    c = pack.clinical
    fixed = {"MI": cv.mi, "TIS": cv.tis, "D": cv.depth_cm, "Depth": cv.depth_cm}  # as written to the header
    readouts: dict[str, str] = {}
    for p in c.parameters:
        value = f"{fixed[p.label]:.{p.decimals}f}" if p.label in fixed else _value(rng, *p.values, p.decimals)
        readouts.setdefault(p.label, p.format.format(label=p.label, value=value, unit=p.unit))

    def run(category: str, text: str) -> TextLine:
        if category in ("annotation", "parameter") and len(text) > 6 and rng.random() < c.ellipsis_p:
            text = text[: int(rng.integers(3, len(text) - 2))].rstrip() + "..."
        return TextLine([static_run(category, text, n_frames, is_phi=False)])

    lines = [run("probe", cv.probe_name), run("preset", cv.preset), run("mode", cv.mode)]
    labels = list(readouts)
    if c.dense_strings and rng.random() < 0.5:
        dense = str(rng.choice(c.dense_strings))
        used = [k for k in labels if "{" + k + "}" in dense]
        lines.append(run("parameter", dense.format_map({k: readouts.get(k, k) for k in _fields(dense)})))
        labels = [k for k in labels if k not in used]
    for i in rng.permutation(len(labels))[: int(rng.integers(2, 6))]:
        lines.append(run("parameter", readouts[labels[int(i)]]))
    for m in [c.measurements[int(i)] for i in rng.permutation(len(c.measurements))[: int(rng.integers(0, 3))]]:
        lines.append(run("measurement", m.format.format(label=m.label, value=_value(rng, *m.values, m.decimals),
                                                        unit=m.unit)))
    for i in rng.permutation(len(c.annotations))[: int(rng.integers(0, 3))]:
        lines.append(run("annotation", c.annotations[int(i)]))
    extras: list[TextLine] = []
    if n_frames > 1 and c.frame_counter and rng.random() < 0.5:
        fmt = str(rng.choice(c.frame_counter))
        states = [TextState(fmt.format(i=t + 1, n=n_frames), "", t, t + 1) for t in range(n_frames)]
        merged: list[TextState] = []
        for s in states:  # a format without {i} shows the same text on every frame: one state
            if merged and merged[-1].text == s.text:
                merged[-1] = replace(merged[-1], frame_end=s.frame_end)
            else:
                merged.append(s)
        extras.append(TextLine([TextRun("frame_counter", False, merged)]))
    marker = TextLine([static_run("body_marker", cv.body_marker, n_frames, is_phi=False)])
    return lines, extras, marker


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def cased_lines(lines: list[TextLine], case: str) -> list[TextLine]:
    """``lines`` with every run's drawn text in ``case`` (``as_is``, ``upper``, ``lower``, ``title``)."""
    return [TextLine([_cased(r, case) for r in ln.runs]) for ln in lines]
