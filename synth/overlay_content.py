"""What the burned-in overlay says: PHI lines and the clinical (non-PHI) text around them.

Content is expressed as :class:`TextRun` objects (one ground-truth box each,
or one box per state for text that changes during a cine), grouped in lines.
Where text is drawn is decided by :mod:`layouts`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .identity import Identity, PersonName, Study

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

DATE_FORMATS = ("%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%b-%Y", "%Y/%m/%d", "%d/%m/%Y")
NAME_FORMATS = ("FAMILY, GIVEN", "Family, Given", "Given Family", "FAMILY^GIVEN", "FAMILY GIVEN M")

#: Probe names by geometry (vendor-neutral but real-looking).
PROBES = {
    "convex": ("C5-2", "C1-6", "C5-1", "C6-2", "4C", "C60x"),
    "linear": ("L12-5", "L11-4", "L12-3", "ML6-15", "L38x", "12L"),
    "phased": ("P4-1", "S4-1", "P5-1", "M5Sc", "3Sc", "P21x"),
    "unknown": ("C5-2", "L12-5", "P4-1"),
}
PRESETS = ("Lung", "LUNG", "Lung/Pleura", "FAST", "Abd", "Thorax", "eFAST", "Pleura")
MODES = ("B", "2D", "B-Mode", "2D/B")
BODY_MARKERS = ("R1", "R2", "L1", "L2", "R-ANT", "L-ANT", "R-LAT", "L-LAT", "RUL", "LLL", "R-PLAPS")

#: Non-PHI categories (clinical and UI text) -- everything here must survive a good de-id.
CLINICAL_CATEGORIES = (
    "probe", "preset", "mode", "mi", "tis", "gain", "depth", "frequency", "frame_rate",
    "body_marker", "scale", "frame_counter", "label",
)
#: PHI categories with the header attribute the burned value mirrors.
PHI_TAGS = {
    "name": "(0010,0010)",
    "patient_id": "(0010,0020)",
    "birth_date": "(0010,0030)",
    "age_sex": "(0010,1010)",
    "study_date": "(0008,0020)",
    "study_time": "(0008,0030)",
    "acquisition_time": "(0008,0032)",
    "institution": "(0008,0080)",
    "accession": "(0008,0050)",
    "physician": "(0008,0090)",
    "operator": "(0008,1070)",
}


@dataclass(frozen=True)
class TextState:
    """One appearance of a run: the text drawn and the frames ``[frame_start, frame_end)`` it is shown on."""

    text: str
    phi_value: str
    frame_start: int
    frame_end: int


@dataclass
class TextRun:
    """A piece of text that gets its own ground-truth box (per state)."""

    category: str
    is_phi: bool
    states: list[TextState]
    dicom_tag: str = ""

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.states]


@dataclass
class TextLine:
    runs: list[TextRun] = field(default_factory=list)


def static_run(category: str, text: str, n_frames: int, phi_value: str = "", *, is_phi: bool | None = None) -> TextRun:
    """A run shown unchanged on every frame."""
    phi = category in PHI_TAGS if is_phi is None else is_phi
    return TextRun(category, phi, [TextState(text, phi_value if phi else "", 0, n_frames)], PHI_TAGS.get(category, ""))


def format_date(day: dt.date, fmt: str) -> str:
    """Format with English month abbreviations whatever the process locale."""
    return day.strftime(fmt.replace("%b", _MONTHS[day.month - 1]))


def format_name(name: PersonName, fmt: str) -> str:
    if fmt == "FAMILY, GIVEN":
        return f"{name.family.upper()}, {name.given.upper()}"
    if fmt == "Family, Given":
        return f"{name.family}, {name.given}"
    if fmt == "Given Family":
        return f"{name.given} {name.family}"
    if fmt == "FAMILY^GIVEN":
        return f"{name.family.upper()}^{name.given.upper()}"
    initial = f" {name.middle[0].upper()}" if name.middle else ""
    return f"{name.family.upper()} {name.given.upper()}{initial}"


def format_physician(name: PersonName, rng: np.random.Generator) -> str:
    style = int(rng.integers(3))
    if style == 0:
        return f"Dr. {name.given[0]}. {name.family}"
    if style == 1:
        return f"{name.family}, {name.given}"
    return f"{name.given} {name.family}"


def clock_states(start: dt.datetime, n_frames: int, frame_time_ms: float, decimals: int) -> list[TextState]:
    """Time-of-day text for each frame, merged into states while the shown text is unchanged."""
    states: list[TextState] = []
    for t in range(n_frames):
        now = start + dt.timedelta(milliseconds=t * frame_time_ms)
        frac = f"{now.microsecond // 10 ** (6 - decimals):0{decimals}d}" if decimals else ""
        text = now.strftime("%H:%M:%S") + (f".{frac}" if decimals else "")
        phi = now.strftime("%H%M%S") + (f".{frac}" if decimals else "")
        if states and states[-1].text == text:
            last = states[-1]
            states[-1] = TextState(last.text, last.phi_value, last.frame_start, t + 1)
        else:
            states.append(TextState(text, phi, t, t + 1))
    return states


@dataclass
class OverlayChoices:
    """Per-file style choices for the overlay text (drawn from the file's RNG)."""

    date_format: str
    name_format: str
    labels: bool
    clock_decimals: int
    show: dict[str, bool]

    @classmethod
    def draw(cls, rng: np.random.Generator, cine: bool, difficulty: str) -> OverlayChoices:
        p = {"easy": 0.5, "realistic": 0.6, "hard": 0.8}[difficulty]
        show = {
            "birth_date": rng.random() < 0.75,
            "age_sex": rng.random() < p,
            "institution": rng.random() < p,
            "accession": rng.random() < p * 0.7,
            "physician": rng.random() < p * 0.6,
            "operator": rng.random() < p * 0.6,
            "frame_counter": cine and rng.random() < 0.4,
        }
        return cls(
            date_format=str(rng.choice(DATE_FORMATS)),
            name_format=str(rng.choice(NAME_FORMATS)),
            labels=bool(rng.random() < 0.6),
            clock_decimals=int(rng.choice((1, 2))) if cine else 0,
            show=show,
        )


def _labelled(label: str | None, run: TextRun, n_frames: int) -> TextLine:
    runs = [static_run("label", label, n_frames, is_phi=False)] if label else []
    return TextLine(runs + [run])


def phi_lines(
    identity: Identity, study: Study, choices: OverlayChoices, rng: np.random.Generator,
    n_frames: int, frame_time_ms: float, acquisition_start: dt.datetime,
) -> dict[str, TextLine]:
    """The PHI lines of one file, keyed by what they carry (layouts pick and order them)."""
    lab = choices.labels
    pick = lambda *xs: str(rng.choice(xs))  # noqa: E731
    lines: dict[str, TextLine] = {}
    lines["name"] = _labelled(
        pick("Name:", "Patient:", "Pt:") if lab else None,
        static_run("name", format_name(identity.name, choices.name_format), n_frames, identity.name.dicom),
        n_frames,
    )
    lines["patient_id"] = _labelled(
        pick("ID:", "MRN:", "PID:", "Pat ID:"), static_run("patient_id", identity.mrn, n_frames, identity.mrn), n_frames
    )
    if choices.show["birth_date"]:
        lines["birth_date"] = _labelled(
            pick("DOB:", "Born:", "D.O.B."),
            static_run("birth_date", format_date(identity.birth_date, choices.date_format), n_frames,
                       identity.birth_da),
            n_frames,
        )
    if choices.show["age_sex"]:
        age = identity.dicom_age(study.date)
        text = pick(f"{int(age[:3])}Y {identity.sex}", f"{identity.sex} {int(age[:3])}y", f"Age {int(age[:3])}")
        lines["age_sex"] = TextLine([static_run("age_sex", text, n_frames, age)])
    date_run = static_run("study_date", format_date(study.date, choices.date_format), n_frames, study.da)
    if n_frames > 1:
        clock = TextRun(
            "acquisition_time", True,
            clock_states(acquisition_start, n_frames, frame_time_ms, choices.clock_decimals),
            PHI_TAGS["acquisition_time"],
        )
    else:
        clock = static_run("study_time", acquisition_start.strftime("%H:%M:%S"), 1,
                           acquisition_start.strftime("%H%M%S"))
    lines["date_time"] = TextLine([date_run, clock])
    if choices.show["institution"]:
        lines["institution"] = TextLine(
            [static_run("institution", identity.institution_name, n_frames, identity.institution_name)])
    if choices.show["accession"]:
        lines["accession"] = _labelled(
            pick("Acc:", "Acc#", "Accession:"), static_run("accession", study.accession, n_frames, study.accession),
            n_frames
        )
    if choices.show["physician"]:
        doc = identity.referring_physician
        lines["physician"] = _labelled(
            pick("Ref:", "Ref. Phys:", "Physician:") if lab else None,
            static_run("physician", format_physician(doc, rng), n_frames, doc.dicom),
            n_frames,
        )
    if choices.show["operator"]:
        op = identity.operator
        lines["operator"] = _labelled(
            pick("Op:", "Sono:", "Operator:"),
            static_run("operator",
                       pick(f"{op.given[0]}{op.family[0]}".upper() + f" {op.family}", f"{op.given} {op.family}"),
                       n_frames, op.dicom),
            n_frames,
        )
    return lines


@dataclass
class ClinicalValues:
    """Acquisition parameters shown on screen and written to the header consistently."""

    probe_name: str
    preset: str
    mode: str
    mi: float
    tis: float
    gain: int
    depth_cm: float
    frequency_mhz: float
    frame_rate: int
    body_marker: str

    @classmethod
    def draw(cls, rng: np.random.Generator, probe: str, depth_cm: float, frame_time_ms: float) -> ClinicalValues:
        return cls(
            probe_name=str(rng.choice(PROBES.get(probe, PROBES["unknown"]))),
            preset=str(rng.choice(PRESETS)),
            mode=str(rng.choice(MODES)),
            mi=round(float(rng.uniform(0.2, 1.4)), 1),
            tis=round(float(rng.uniform(0.1, 1.2)), 1),
            gain=int(rng.integers(30, 80)),
            depth_cm=round(float(depth_cm), 1),
            frequency_mhz=round(float(rng.choice((2.5, 3.5, 4.0, 5.0, 6.0, 7.5, 10.0, 12.0))), 1),
            frame_rate=max(1, int(round(1000.0 / frame_time_ms))),
            body_marker=str(rng.choice(BODY_MARKERS)),
        )


def clinical_lines(values: ClinicalValues, rng: np.random.Generator, n_frames: int) -> list[TextLine]:
    """Probe/preset/mode and the acoustic parameters, one short item per line."""
    v = values
    items = [
        ("probe", v.probe_name), ("preset", v.preset), ("mode", v.mode),
        ("mi", str(rng.choice((f"MI {v.mi:.1f}", f"MI:{v.mi:.1f}")))),
        ("tis", str(rng.choice((f"TIS {v.tis:.1f}", f"TIb {v.tis:.1f}")))),
        ("gain", str(rng.choice((f"G {v.gain}", f"Gain {v.gain}%", f"{v.gain}dB")))),
        ("depth", str(rng.choice((f"D {v.depth_cm:.1f}cm", f"{v.depth_cm:.1f} cm", f"Depth {v.depth_cm:g}")))),
        ("frequency",
         str(rng.choice((f"{v.frequency_mhz:.1f}MHz", f"Frq {v.frequency_mhz:g}", f"F {v.frequency_mhz:g}MHz")))),
        ("frame_rate", str(rng.choice((f"{v.frame_rate} Hz", f"FR {v.frame_rate}", f"{v.frame_rate}fps")))),
    ]
    return [TextLine([static_run(cat, text, n_frames, is_phi=False)]) for cat, text in items]


def frame_counter_run(n_frames: int) -> TextRun:
    """A non-PHI frame counter that changes on every frame (``12/40``)."""
    return TextRun("frame_counter", False, [TextState(f"{t + 1}/{n_frames}", "", t, t + 1) for t in range(n_frames)])


def scale_runs(depth_cm: float, n_frames: int, step: int) -> list[tuple[float, TextRun]]:
    """Depth-scale numbers as (fraction of depth, run) pairs: 0, step, 2*step, ... cm."""
    marks = np.arange(0, depth_cm + 1e-6, step)
    return [(m / depth_cm, static_run("scale", f"{int(m)}", n_frames, is_phi=False)) for m in marks]
