"""Compose one file from a style pack: the pack's layouts, faces, formats, wording, graphics and rendering.

``compose_from_pack(job, source, pack, attempt)`` returns the same :class:`~..compose.Composition` as the
classic ``compose``, so the DICOM build, the ground-truth rows and the ink masks work unchanged; the
non-text graphics it draws are in ``Composition.graphics`` (ground-truth rows of kind ``graphic``).
Ground truth stays exact: every text box is the tight box of the alpha that is blended into the frames,
after the pack's resampling and blur (the alpha is recomputed, then cropped to its ink). It is
deterministic in (job, pack, attempt). ``compose_sample(pack, seed, size)`` gives one frame for a
contact sheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
from PIL import Image, ImageFilter

from phiphantom.core.colour import luma

from ..compose import COLOURS, LOW_CONTRAST_RGB, MIN_FONT_PX, PLATES, Composition, acquisition_start
from ..graphics import (
    GRAPHIC_KINDS,
    RGB_ONLY_KINDS,
    Graphic,
    GraphicError,
    GraphicStyle,
    draw,
    image_rects,
    suggested_rect,
)
from ..layouts import COMPACT_LAYOUTS, Block, LayoutError, LayoutInput, LayoutPlan, PlacedBox, Style, block_size, place
from ..overlay_content import PHI_TAGS, ClinicalValues, TextLine, TextRun, TextState, static_run
from ..plan import FileJob
from ..safety import check_boxes, touches
from ..seeding import rng_for
from ..sources import FrameSource
from ..text_raster import EmptyInkError, Glyphs, composite, crop_to_ink
from .field_formats import format_age_sex, format_date, format_name, format_time
from .labels import LABELS, label_for
from .schema import StylePack

#: Layout names a pack may weigh (the classic layouts and the compact ``top_stack``).
PACK_LAYOUTS: tuple[str, ...] = tuple(COMPACT_LAYOUTS)
#: Clinical (non-PHI) categories only packs draw; ground truth and COCO gain them with the graphic kinds.
PACK_CATEGORIES: tuple[str, ...] = ("parameter", "measurement", "annotation")
#: Labelled patient fields: the field key of synth/styles/labels.py for each patient line.
_LABEL_FIELD = {"name": "name", "patient_id": "patient_id", "birth_date": "birth_date", "institution": "institution",
                "accession": "accession", "physician": "physician", "operator": "operator"}


def _weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
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
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


# --------------------------------------------------------------------------- styles and layout


def _style(pack: StylePack, rng: np.random.Generator, size: int, font: str, *, clinical: bool) -> Style:
    r = pack.rendering
    low = bool(rng.random() < r.low_contrast_p)
    antialias = bool(rng.random() < r.antialias_p)
    plate = PLATES[int(rng.integers(len(PLATES)))] if rng.random() < pack.layout.plate_p else None
    if low:
        name = str(rng.choice(tuple(LOW_CONTRAST_RGB)))
        return Style(font, max(MIN_FONT_PX, size), antialias, name, LOW_CONTRAST_RGB[name], None, True)
    colours = {k: v for k, v in r.colours.items() if k in COLOURS} or {"white": 1.0}
    if clinical and rng.random() < 0.5:
        colours = {k: v for k, v in colours.items() if k in ("white", "grey")} or colours
    name = _weighted(rng, colours)
    return Style(font, max(MIN_FONT_PX, size), antialias, name, COLOURS[name], plate)


def _cased_lines(lines: list[TextLine], case: str) -> list[TextLine]:
    return [TextLine([_cased(r, case) for r in ln.runs]) for ln in lines]


def _plan(job: FileJob, pack: StylePack, rng: np.random.Generator, patient: dict[str, TextLine],
          clinical: list[TextLine], extras: list[TextLine], sector: bool) -> tuple[LayoutPlan, Style, Style]:
    """The pack's layout (by weight, then the others it names), shrinking text until it fits."""
    t = pack.typography
    lo, hi = t.size_px
    size = int(round(int(rng.integers(lo, hi + 1)) * (job.height / 480.0) ** 0.5))
    size = min(max(size, lo, MIN_FONT_PX), 28)
    font = _weighted(rng, {f.face: f.weight for f in t.fonts})
    clin_size = int(rng.integers(8, 12)) if rng.random() < t.small_text_p else size - 2
    phi_style = _style(pack, rng, size, font, clinical=False)
    clin_style = _style(pack, rng, clin_size, font, clinical=True)
    weights = {k: v for k, v in pack.layout.layouts.items()
               if k in COMPACT_LAYOUTS and (sector or k != "region_corner")} or {"banner": 1.0}
    first = _weighted(rng, weights)
    for name in [first] + [n for n in weights if n != first]:
        s = size
        while s >= MIN_FONT_PX:
            ps, cs = replace(phi_style, size=s), replace(clin_style, size=max(MIN_FONT_PX, min(clin_size, s - 2)))
            try:
                return COMPACT_LAYOUTS[name](LayoutInput(job.width, job.height, patient, clinical, extras, ps, cs,
                                                         rng, sector)), ps, cs
            except LayoutError:
                s -= 2
    few = {k: v for k, v in patient.items() if k in ("name", "patient_id", "date_time")}
    ps, cs = replace(phi_style, size=MIN_FONT_PX), replace(clin_style, size=MIN_FONT_PX)
    for name in ("top_stack", "banner"):
        try:
            return COMPACT_LAYOUTS[name](LayoutInput(job.width, job.height, few, clinical[:2], [], ps, cs, rng,
                                                     sector)), ps, cs
        except LayoutError:
            pass
    raise LayoutError(f"no layout of the pack fits a {job.width}x{job.height} frame with {MIN_FONT_PX} px text")


# --------------------------------------------------------------------------- rendering


def soften(g: Glyphs, scale: float | None, sigma: float) -> Glyphs:
    """``g`` drawn at ``scale`` and resized back (a device that draws at another resolution), then blurred
    by ``sigma`` px, its peak scaled back to the old peak, kept inside its old box (faint alpha < 8 dropped)
    and cropped to its new ink; offsets stay relative to the text origin."""
    pad = 3
    alpha = np.pad(g.alpha, pad)
    img = Image.fromarray(alpha)
    if scale is not None and scale != 1.0:
        w, h = img.size
        small = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
        img = small.resize((w, h), Image.Resampling.BILINEAR)
    if sigma > 0.05:
        img = img.filter(ImageFilter.GaussianBlur(sigma))
    out = np.asarray(img, dtype=np.float32)[pad:pad + g.height, pad:pad + g.width]  # within the old box:
    if out.max() < 1:                                                                 # the layout's spacing holds
        return g
    out = np.rint(out * (float(g.alpha.max()) / float(out.max())))  # the strokes' core keeps its full ink
    out = np.where(out < 8, 0, out).astype(np.uint8)
    return crop_to_ink(g.text, out, g.dx, g.dy)


def _rendered(boxes: list[PlacedBox], pack: StylePack, rng: np.random.Generator) -> list[PlacedBox]:
    """Boxes after the pack's resampling and blur (one draw per file), each with its new tight box."""
    r = pack.rendering
    scale = float(rng.uniform(*r.resample_scale)) if rng.random() < r.resample_p else None
    sigma = float(rng.uniform(*r.blur_sigma))
    if scale is None and sigma <= 0.05:
        return boxes
    out = []
    for b in boxes:
        g = soften(b.glyphs, scale, sigma)
        style = replace(b.style, antialias=True) if g is not b.glyphs else b.style  # the mask has grey levels now
        out.append(replace(b, glyphs=g, x0=b.x0 + g.dx - b.glyphs.dx, y0=b.y0 + g.dy - b.glyphs.dy, style=style))
    return out


def _over_image_block(line: TextLine, style: Style, frames: np.ndarray, mask: np.ndarray,
                      rect: tuple[int, int, int, int], rng: np.random.Generator) -> Block | None:
    """A clinical line over the speckle inside the image, where the image is dark enough to read it."""
    x0, y0, x1, y1 = rect
    w, h = block_size([line], style)
    if x1 - x0 < w + 8 or y1 - y0 < h + 8:
        return None
    grey = frames[0].mean(axis=-1) if frames.ndim == 4 else frames[0]
    for _ in range(12):
        x = int(rng.integers(x0 + 4, x1 - w - 3))
        y = int(rng.integers(y0 + 4, y1 - h - 3))
        if mask[y:y + h, x:x + w].mean() > 0.6 and float(grey[y:y + h, x:x + w].mean()) < 70:
            return Block("over_image", [line], x, y, style, over_image=True)
    return None


def _graphics(canvas: np.ndarray, pack: StylePack, rng: np.random.Generator, frame: tuple[int, int],
              image_rect: tuple[int, int, int, int], boxes: list[PlacedBox], rgb: bool,
              style: Style, strip: dict[str, tuple[int, int, int, int]]) -> list[Graphic]:
    """The pack's graphics, each with its probability, where they touch no text and no other graphic.

    ``strip``: the kinds already drawn for (the depth scale and focus marker) and their rectangles in the
    strip kept beside the image."""
    drawn: list[Graphic] = []
    busy = [(b.x0 - 2, b.y0 - 2, b.x1 + 2, b.y1 + 2) for b in boxes]
    gstyle = GraphicStyle(rgb=tuple(int(v * 0.8) for v in style.rgb), accent=COLOURS["yellow"])  # type: ignore[arg-type]
    for kind in GRAPHIC_KINDS:
        if kind in strip:
            rect: tuple[int, int, int, int] | None = strip[kind]
        elif kind in STRIP_KINDS or rng.random() >= getattr(pack.graphics, kind) or (
                kind in RGB_ONLY_KINDS and not rgb):
            continue
        else:
            rect = suggested_rect(kind, frame, image_rect, rng)
        if rect is None or any(_overlap(rect, o) for o in busy):
            continue
        try:
            g = draw(kind, canvas, rect, rng, gstyle)
        except GraphicError:
            continue
        if g.mask.any():
            drawn.append(g)
            busy.append(tuple(v + d for v, d in zip(g.box, (-1, -1, 1, 1), strict=True)))  # type: ignore[arg-type]
    return drawn


#: Graphics drawn in a strip kept at the right edge of the image (as devices draw the depth ruler).
STRIP_KINDS = ("depth_scale", "focus_marker")
_STRIP_W = 11


def _strip(plan: LayoutPlan, kinds: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """Narrow the image rectangle from the right by a strip for ``kinds``; each kind's rectangle in it."""
    if not kinds:
        return {}
    x0, y0, x1, y1 = plan.image_rect
    width = _STRIP_W * len(kinds) + 2
    if x1 - x0 < 4 * width:
        return {}
    plan.image_rect = (x0, y0, x1 - width, y1)
    return {k: (x1 - width + 1 + i * _STRIP_W, y0, x1 - width + (i + 1) * _STRIP_W, y1) for i, k in enumerate(kinds)}


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# --------------------------------------------------------------------------- the composition


def compose_from_pack(job: FileJob, source: FrameSource, pack: StylePack, attempt: int = 0,
                      keep_background: bool = False) -> Composition:
    """Build the frames, text boxes and graphics of ``job`` in the style of ``pack`` (attempt ``attempt``)."""
    rng = rng_for(job.seed, "compose-pack", pack.name, attempt)
    ref = job.source_ref
    n_frames = ref.n_frames
    sector = ref.probe in ("convex", "phased")
    cv = ClinicalValues.draw(rng, ref.probe, job.depth_cm, job.frame_time_ms)
    c = pack.clinical
    cv = replace(cv, probe_name=str(rng.choice(c.probes)) if c.probes else cv.probe_name,
                 preset=str(rng.choice(c.presets)) if c.presets else cv.preset,
                 mode=str(rng.choice(c.modes)) if c.modes else cv.mode,
                 body_marker=str(rng.choice(c.body_markers)) if c.body_markers else cv.body_marker)
    case = _weighted(rng, pack.typography.case)
    patient = {k: _cased_lines([v], case)[0] for k, v in patient_lines(job, pack, rng, n_frames).items()}
    clinical, extras, marker = clinical_text(pack, rng, cv, n_frames)
    clinical, extras, marker = _cased_lines(clinical, case), _cased_lines(extras, case), _cased_lines([marker], case)[0]
    over_line = clinical.pop() if len(clinical) > 4 and rng.random() < pack.rendering.over_image_p else None
    plan, phi_style, clin_style = _plan(job, pack, rng, patient, clinical, extras, sector)
    blocks = list(plan.blocks)
    strip = _strip(plan, [k for k in STRIP_KINDS if rng.random() < getattr(pack.graphics, k)])

    x0, y0, x1, y1 = plan.image_rect
    channels = (3,) if job.colour == "rgb" else ()
    canvas = np.zeros((n_frames, job.height, job.width) + channels, dtype=np.uint8)
    mask = np.zeros((job.height, job.width), dtype=bool)
    views = image_rects(plan.image_rect, _weighted(rng, pack.layout.image_layout))
    for k, (vx0, vy0, vx1, vy1) in enumerate(views):
        view_ref = replace(ref, seed=ref.seed + k) if k else ref  # simulated sources: another view per area
        src = source.render(view_ref, vx1 - vx0, vy1 - vy0, job.colour)
        canvas[:, vy0:vy1, vx0:vx1] = src.frames[:n_frames]
        mask[vy0:vy1, vx0:vx1] = src.image_mask
    mh = block_size([marker], clin_style)[1]
    blocks.append(Block("body_marker", [marker], x0 + 4, y1 - mh - 2, clin_style))
    if over_line is not None:
        over = _over_image_block(over_line, clin_style, canvas, mask, plan.image_rect, rng)
        if over is not None:
            blocks.append(over)
    placed = [(block, place(block)) for block in blocks]
    boxes: list[PlacedBox] = []
    for block, block_boxes in placed:
        if block.region == "body_marker" and (
                any((mask[b.y0:b.y1, b.x0:b.x1] & (b.glyphs.alpha > 0)).any() for b in block_boxes)
                or any(touches(b, o) for b in block_boxes for o in boxes)):
            continue  # a marker that would touch the image or other text is left out
        if block.style.plate_rgb is not None and block_boxes and not block.over_image:
            _plate(canvas, block_boxes, block.style.plate_rgb, mask)
        boxes.extend(block_boxes)
    boxes = _rendered(boxes, pack, rng)
    graphics = _graphics(canvas, pack, rng, (job.width, job.height), plan.image_rect, boxes, job.colour == "rgb",
                         clin_style, strip)
    problems, contrasts = check_boxes(boxes, canvas, mask)
    comp = Composition(canvas, canvas, boxes, mask, plan.image_rect, plan.name, cv, ref.probe, problems, contrasts,
                       graphics=graphics)
    if problems:
        return comp
    background = canvas.copy() if keep_background else canvas
    for b in boxes:
        colour = b.style.rgb if job.colour == "rgb" else (luma(b.style.rgb),)
        composite(canvas, b.glyphs.alpha, b.x0, b.y0, colour, b.state.frame_start, b.state.frame_end)
    comp.frames, comp.background = canvas, background
    return comp


def _plate(canvas: np.ndarray, boxes: list[PlacedBox], rgb: tuple[int, int, int], mask: np.ndarray) -> None:
    """A filled plate behind a block's text, never over image pixels."""
    pad = 3
    h, w = canvas.shape[1:3]
    x0, y0 = max(0, min(b.x0 for b in boxes) - pad), max(0, min(b.y0 for b in boxes) - pad)
    x1, y1 = min(w, max(b.x1 for b in boxes) + pad), min(h, max(b.y1 for b in boxes) + pad)
    keep = ~mask[y0:y1, x0:x1]
    region = canvas[:, y0:y1, x0:x1]
    region[:, keep] = np.asarray(rgb if canvas.ndim == 4 else (luma(rgb),), dtype=np.uint8)


def compose_sample(pack: StylePack, seed: int, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """One composed frame (H, W, 3 uint8) of ``pack`` for a contact sheet: a still of a synthetic patient
    (``classic`` through the classic composer, as ``generate`` draws it)."""
    from ..compose import compose
    from ..config import GenerateConfig
    from ..file_job import MAX_ATTEMPTS
    from ..plan import plan_dataset
    from ..sources import open_source
    from .registry import DEFAULT_PACK

    config = GenerateConfig(patients=1, files_per_study=(1, 1), cine_fraction=0.0, sizes=(size,), seed=seed,
                            rgb_fraction=1.0, jpeg_fraction=0.0, workers=1, validate=False)
    source = open_source(config.source)
    job = replace(plan_dataset(config, source)[1][0], style=pack.name, style_version=pack.version)
    for attempt in range(MAX_ATTEMPTS * 2):
        try:
            comp = (compose(job, source, attempt) if pack.name == DEFAULT_PACK  # classic: the classic composer
                    else compose_from_pack(job, source, pack, attempt))
        except (LayoutError, EmptyInkError):
            continue
        if comp.ok:
            return comp.frames[0]
    raise LayoutError(f"no safe sample of pack {pack.name} at {size[0]}x{size[1]}")
