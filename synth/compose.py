"""Compose one file's frames: device canvas + source image + burned-in text, with exact boxes.

``compose(job, source, attempt)`` is deterministic in (job, attempt). It returns the
burned frames, the background they were burned onto (canvas + plates + ticks,
no text), every placed box and the problems found by the safety checks. When
there are problems nothing has been burned and the caller tries the next
attempt or quarantines the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from phiphantom.core.colour import luma

from .layouts import (
    COMPACT_LAYOUTS,
    LAYOUTS,
    Block,
    LayoutError,
    LayoutInput,
    LayoutPlan,
    PlacedBox,
    Style,
    block_size,
    place,
)
from .overlay_content import (
    ClinicalValues,
    OverlayChoices,
    TextLine,
    clinical_lines,
    frame_counter_run,
    phi_lines,
    scale_runs,
    static_run,
)
from .plan import FileJob
from .safety import check_boxes, touches
from .seeding import rng_for
from .sources import FrameSource
from .text_raster import composite

if TYPE_CHECKING:
    from .graphics import Graphic

COLOURS = {
    "white": (255, 255, 255),
    "grey": (175, 175, 175),
    "yellow": (255, 255, 0),
    "green": (40, 230, 40),
    "cyan": (0, 255, 255),
}
LOW_CONTRAST_RGB = {"dim-grey": (72, 72, 72), "dim-blue": (60, 70, 120)}
PLATES = ((38, 38, 38), (20, 30, 70), (55, 55, 55))

#: Style knobs per difficulty.
DIFFICULTY: dict[str, dict[str, Any]] = {
    "easy": dict(sizes=(14, 22), size_skew=1.0, fonts=("DejaVuSans", "DejaVuSansMono", "DejaVuSans-Bold"),
                 colours=("white", "yellow", "cyan", "green"), no_aa=0.0, plate=0.2, low=0.0, edge=0.0,
                 layouts=("banner", "top_left_block", "split_top", "left_column", "bottom_bar", "mixed")),
    "realistic": dict(sizes=(10, 20), size_skew=1.0,
                      fonts=("DejaVuSans", "DejaVuSansMono", "DejaVuSans-Bold", "DejaVuSerif",
                             "DejaVuSansMono-Bold", "DejaVuSerif-Bold"),
                      colours=tuple(COLOURS), no_aa=0.3, plate=0.3, low=0.1, edge=0.0,
                      layouts=tuple(LAYOUTS)),
    "hard": dict(sizes=(8, 28), size_skew=2.5, fonts=("DejaVuSans", "DejaVuSansMono", "DejaVuSerif",
                                                        "DejaVuSerif-Bold", "DejaVuSansMono-Bold"),
                 colours=tuple(COLOURS), no_aa=0.6, plate=0.4, low=0.5, edge=0.8,
                 layouts=tuple(LAYOUTS)),
}


@dataclass
class Composition:
    """The result of composing one file."""

    frames: np.ndarray
    background: np.ndarray
    boxes: list[PlacedBox]
    image_mask: np.ndarray          # (H, W) bool: ultrasound image pixels on the full canvas
    image_rect: tuple[int, int, int, int]
    layout: str
    clinical: ClinicalValues
    probe: str
    problems: list[str] = field(default_factory=list)
    contrast: list[float] = field(default_factory=list)  # measured contrast, aligned with boxes
    graphics: list[Graphic] = field(default_factory=list)  # a style pack's graphics (ground truth kind=graphic)
    jpeg_quality: tuple[int, int] | None = None  # a style pack's JPEG quality range, inclusive (None: the difficulty's)
    chroma_subsampling: str | None = None        # a style pack's JPEG chroma (4:2:0 or 4:2:2; others: 4:2:2)

    @property
    def ok(self) -> bool:
        return not self.problems


def acquisition_start(job: FileJob) -> dt.datetime:
    study = job.study
    return dt.datetime.combine(study.date, study.time) + dt.timedelta(seconds=job.acquisition_offset_s)


def _style(rng: np.random.Generator, knobs: dict, size: int, font: str, *, clinical: bool) -> Style:
    low = bool(rng.random() < knobs["low"])
    antialias = not bool(rng.random() < knobs["no_aa"])
    plate = PLATES[int(rng.integers(len(PLATES)))] if rng.random() < knobs["plate"] else None
    if low:
        name = str(rng.choice(tuple(LOW_CONTRAST_RGB)))
        rgb = LOW_CONTRAST_RGB[name]
        plate = None
    else:
        name = str(rng.choice(("white", "grey")) if clinical else rng.choice(knobs["colours"]))
        rgb = COLOURS[name]
    return Style(font=font, size=max(8, size), antialias=antialias, colour_name=name, rgb=rgb,
                 plate_rgb=plate, low_contrast=low)


def _layout(job: FileJob, rng, knobs, patient, clinical, extras, sector) -> tuple[LayoutPlan, Style, Style]:
    """Try layouts (shrinking the text when it does not fit) until one fits."""
    lo, hi = knobs["sizes"]
    scale = (job.height / 480.0) ** 0.5
    # size_skew > 1 favours small text: lo + (hi - lo) * u**skew
    size = int(round((lo + (hi - lo) * float(rng.random()) ** knobs["size_skew"]) * scale))
    size = int(min(max(size, lo), 28))
    font = str(rng.choice(knobs["fonts"]))
    names = [n for n in knobs["layouts"] if sector or n != "region_corner"]
    order = [names[int(rng.integers(len(names)))]] + [n for n in names]
    phi_style = _style(rng, knobs, size, font, clinical=False)
    clin_style = _style(rng, knobs, size - 2, font, clinical=True)
    for name in order:
        s = size
        while s >= 8:
            ps = replace(phi_style, size=s)
            cs = replace(clin_style, size=max(8, s - 2))
            inp = LayoutInput(job.width, job.height, patient, clinical, extras, ps, cs, rng, sector)
            try:
                return LAYOUTS[name](inp), ps, cs
            except LayoutError:
                s -= 2
    # A frame too small for the full overlay at the legible minimum: show less, as a small vendor screen does.
    ps, cs = replace(phi_style, size=MIN_FONT_PX), replace(clin_style, size=MIN_FONT_PX)
    for few_patient, few_clinical, few_extras in _fewer_lines(patient, clinical, extras):
        inp = LayoutInput(job.width, job.height, few_patient, few_clinical, few_extras, ps, cs, rng, sector)
        for name, layout in COMPACT_LAYOUTS.items():
            if name not in names and name in LAYOUTS:
                continue  # this difficulty does not use it, or it needs a fan image
            try:
                return layout(inp), ps, cs
            except LayoutError:
                pass
    raise LayoutError(f"no layout fits a {job.width}x{job.height} frame with {MIN_FONT_PX} px text")


#: The smallest text the generator draws (its legibility floor).
MIN_FONT_PX = 8
#: Patient items left out first when a frame cannot hold them all (the name and the ID stay).
OPTIONAL_PATIENT_ITEMS = ("operator", "physician", "accession", "institution", "age_sex", "birth_date")


def _fewer_lines(patient: dict[str, TextLine], clinical: list[TextLine], extras: list[TextLine]):
    """Ever smaller overlays: clinical lines from the end (to two), optional patient items, then the rest."""
    patient, clinical, extras = dict(patient), list(clinical), list(extras)
    while len(clinical) > 2:
        clinical.pop()
        yield dict(patient), list(clinical), list(extras)
    for key in OPTIONAL_PATIENT_ITEMS:
        if patient.pop(key, None) is not None:
            yield dict(patient), list(clinical), list(extras)
    while clinical or extras:
        (clinical or extras).pop()
        yield dict(patient), list(clinical), list(extras)


def _scale_strip(plan: LayoutPlan, style: Style, depth_cm: float, n_frames: int) -> list[Block]:
    """Shrink the image rectangle from the right and put depth-scale numbers in the strip."""
    step = 1 if depth_cm <= 5 else 2 if depth_cm <= 12 else 5
    marks = scale_runs(depth_cm, n_frames, step)
    strip = block_size([TextLine([r]) for _, r in marks], style)[0] + 8
    x0, y0, x1, y1 = plan.image_rect
    plan.image_rect = (x0, y0, x1 - strip, y1)
    blocks = []
    top = y0 + 4
    span = (y1 - y0) - style.line_height - 8
    last_bottom = -10**9
    for frac, run in marks:
        y = top + int(frac * span)
        if y < last_bottom + 2:
            continue
        blocks.append(Block("scale", [TextLine([run])], x1 - strip + 6, y, style))
        last_bottom = y + style.line_height
    return blocks


def _fan_edge_block(line: TextLine, style: Style, mask: np.ndarray, rect, rng) -> Block | None:
    """A block straddling the fan's left edge (text touching/overlapping the image)."""
    x0, y0, x1, y1 = rect
    w, h = block_size([line], style)
    rows = np.arange(y0 + h, y0 + int(0.6 * (y1 - y0)))
    rng.shuffle(rows)
    for y in rows[:20]:
        cols = np.flatnonzero(mask[y])
        if cols.size == 0:
            continue
        edge = int(cols[0])
        left = edge - int(w * rng.uniform(0.5, 0.85))
        if left >= 2 and left + w < x1:
            return Block("fan_edge", [line], left, int(y) - h // 2, style, over_image=True)
    return None


def compose(job: FileJob, source: FrameSource, attempt: int = 0, keep_background: bool = False) -> Composition:
    """Build the frames and boxes of ``job`` (attempt ``attempt``).

    ``keep_background`` keeps a copy of the canvas before the text was burned
    (``Composition.background``; tests compare against it). Otherwise
    ``background`` is the burned frames themselves, to save the copy.
    """
    rng = rng_for(job.seed, "compose", attempt)
    knobs = DIFFICULTY[job.difficulty]
    ref = job.source_ref
    n_frames = ref.n_frames
    sector = ref.probe in ("convex", "phased")
    choices = OverlayChoices.draw(rng, n_frames > 1, job.difficulty)
    start = acquisition_start(job)
    patient = phi_lines(job.identity, job.study, choices, rng, n_frames, job.frame_time_ms, start)
    clinical_vals = ClinicalValues.draw(rng, ref.probe, job.depth_cm, job.frame_time_ms)
    clinical = clinical_lines(clinical_vals, rng, n_frames)
    marker = TextLine([static_run("body_marker", clinical_vals.body_marker, n_frames, is_phi=False)])
    if not sector:
        clinical.append(marker)
    extras = [TextLine([frame_counter_run(n_frames)])] if choices.show["frame_counter"] else []
    edge_line = None
    if rng.random() < knobs["edge"]:
        for key in ("institution", "operator", "accession", "birth_date", "physician"):
            if key in patient:
                edge_line = patient.pop(key)
                break
    plan, phi_style, clin_style = _layout(job, rng, knobs, patient, clinical, extras, sector)
    blocks = list(plan.blocks) + _scale_strip(plan, clin_style, job.depth_cm, n_frames)

    x0, y0, x1, y1 = plan.image_rect
    src = source.render(ref, x1 - x0, y1 - y0, job.colour)
    channels = (3,) if job.colour == "rgb" else ()
    canvas = np.zeros((n_frames, job.height, job.width) + channels, dtype=np.uint8)
    canvas[:, y0:y1, x0:x1] = src.frames[:n_frames]
    mask = np.zeros((job.height, job.width), dtype=bool)
    mask[y0:y1, x0:x1] = src.image_mask

    if sector:
        h = block_size([marker], clin_style)[1]
        marker_block = Block("body_marker", [marker], x0 + 4, y1 - h - 2, clin_style)
        if not any((mask[b.y0:b.y1, b.x0:b.x1] & (b.glyphs.alpha > 0)).any() for b in place(marker_block)):
            blocks.append(marker_block)  # a marker that would touch the fan is left out (small frames)
    if edge_line is not None:
        edge = _fan_edge_block(edge_line, phi_style, mask, plan.image_rect, rng)
        if edge is not None:
            blocks.append(edge)

    placed = [(block, place(block)) for block in blocks]
    placed = _drop_colliding_optional(placed)
    boxes: list[PlacedBox] = []
    for block, block_boxes in placed:
        if block.style.plate_rgb is not None and block_boxes and not block.over_image:
            _draw_plate(canvas, block_boxes, block.style.plate_rgb, mask)
        boxes.extend(block_boxes)
    _draw_ticks(canvas, [b for b in boxes if b.region == "scale"], clin_style)

    problems, contrasts = check_boxes(boxes, canvas, mask)
    comp = Composition(canvas, canvas, boxes, mask, plan.image_rect, plan.name, clinical_vals, ref.probe, problems,
                       contrasts)
    return comp if problems else ink_text(comp, canvas, job.colour == "rgb", keep_background)


def ink_text(comp: Composition, canvas: np.ndarray, rgb: bool, keep_background: bool) -> Composition:
    """Draw the ink of every box of ``comp`` onto ``canvas`` (its checks passed) and make it the frames;
    the background is a copy of the canvas without the text when ``keep_background``."""
    background = canvas.copy() if keep_background else canvas
    for b in comp.boxes:
        colour = b.style.rgb if rgb else (luma(b.style.rgb),)
        composite(canvas, b.glyphs.alpha, b.x0, b.y0, colour, b.state.frame_start, b.state.frame_end)
    comp.frames, comp.background = canvas, background
    return comp


#: Decorations that give way when they collide with patient or clinical text (a vendor hides them too).
OPTIONAL_CATEGORIES = frozenset({"scale", "body_marker"})


def _drop_colliding_optional(placed: list[tuple[Block, list[PlacedBox]]]) -> list[tuple[Block, list[PlacedBox]]]:
    """Remove depth-scale numbers and body markers that would touch other text."""
    fixed = [b for _, boxes in placed for b in boxes if b.run.category not in OPTIONAL_CATEGORIES]
    kept_optional: list[PlacedBox] = []
    result = []
    for block, boxes in placed:
        keep = []
        for b in boxes:
            if b.run.category in OPTIONAL_CATEGORIES:
                if any(touches(b, other) for other in fixed + kept_optional):
                    continue
                kept_optional.append(b)
            keep.append(b)
        result.append((block, keep))
    return result


def _draw_plate(canvas: np.ndarray, boxes: list[PlacedBox], rgb, mask: np.ndarray) -> None:
    """A filled background plate behind a block (never over image pixels)."""
    pad = 3
    h, w = canvas.shape[1:3]
    x0 = max(0, min(b.x0 for b in boxes) - pad)
    y0 = max(0, min(b.y0 for b in boxes) - pad)
    x1 = min(w, max(b.x1 for b in boxes) + pad)
    y1 = min(h, max(b.y1 for b in boxes) + pad)
    value = np.asarray(rgb if canvas.ndim == 4 else (luma(rgb),), dtype=np.uint8)
    region = canvas[:, y0:y1, x0:x1]
    keep = ~mask[y0:y1, x0:x1]
    if canvas.ndim == 4:
        region[:, keep] = value
    else:
        region[:, keep] = value[0]


def _draw_ticks(canvas: np.ndarray, scale_boxes: list[PlacedBox], style: Style) -> None:
    """Short tick marks to the left of each depth-scale number (graphics, not text)."""
    level = np.uint8(luma(style.rgb))
    for b in scale_boxes:
        y = (b.y0 + b.y1) // 2
        xa = max(0, b.x0 - 5)
        if b.x0 - 2 > xa:
            canvas[:, y, xa:b.x0 - 2] = level
