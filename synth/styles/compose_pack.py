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

from dataclasses import replace

import numpy as np
from PIL import Image, ImageFilter

from phiphantom.core.colour import luma

from ..compose import COLOURS, LOW_CONTRAST_RGB, MIN_FONT_PX, PLATES, Composition, ink_text
from ..fonts import missing_glyphs
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
from ..overlay_content import ClinicalValues, TextLine, TextRun, scale_runs, static_run
from ..plan import FileJob
from ..safety import check_boxes, touches
from ..seeding import rng_for
from ..sources import FrameSource
from ..text_raster import Glyphs, crop_to_ink, rasterise
from .pack_text import PACK_CATEGORIES, cased_lines, clinical_text, patient_lines, weighted
from .schema import StylePack

__all__ = ["PACK_CATEGORIES", "PACK_LAYOUTS", "STRIP_KINDS", "compose_from_pack", "compose_sample", "soften"]

#: Layout names a pack may weigh (the classic layouts and the compact ``top_stack``).
PACK_LAYOUTS: tuple[str, ...] = tuple(COMPACT_LAYOUTS)


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
    name = weighted(rng, colours)
    return Style(font, max(MIN_FONT_PX, size), antialias, name, COLOURS[name], plate)


def _covering_face(pack: StylePack, rng: np.random.Generator, drawn: str, lines: list[TextLine]) -> str:
    """``drawn`` when it can draw every text of ``lines``, else one of the pack's faces that can (by weight):
    an ASCII-only stroke or code-page bitmap face never gets a name with letters it lacks (the safety check
    would refuse the file and it would be drawn again). ``drawn`` when no face of the pack covers them."""
    text = "".join(s.text for line in lines for run in line.runs for s in run.states)
    if not missing_glyphs(drawn, text):
        return drawn
    covering = {f.face: f.weight for f in pack.typography.fonts if not missing_glyphs(f.face, text)}
    return weighted(rng, covering) if covering else drawn


def _plan(job: FileJob, pack: StylePack, rng: np.random.Generator, patient: dict[str, TextLine],
          clinical: list[TextLine], extras: list[TextLine], sector: bool) -> tuple[LayoutPlan, Style, Style]:
    """The pack's layout (by weight, then the others it names), shrinking text until it fits."""
    t = pack.typography
    lo, hi = t.size_px
    size = int(round(int(rng.integers(lo, hi + 1)) * (job.height / 480.0) ** 0.5))
    size = min(max(size, lo, MIN_FONT_PX), 28)
    font = _covering_face(pack, rng, weighted(rng, {f.face: f.weight for f in t.fonts}),
                          [*patient.values(), *clinical, *extras])
    clin_size = int(rng.integers(8, 12)) if rng.random() < t.small_text_p else size - 2
    phi_style = _style(pack, rng, size, font, clinical=False)
    clin_style = _style(pack, rng, clin_size, font, clinical=True)
    spacing = int(rng.integers(t.letter_spacing_px[0], t.letter_spacing_px[1] + 1))
    phi_style = replace(phi_style, letter_spacing_px=spacing)
    clin_style = replace(clin_style, letter_spacing_px=spacing)
    weights = {k: v for k, v in pack.layout.layouts.items()
               if k in COMPACT_LAYOUTS and (sector or k != "region_corner")} or {"banner": 1.0}
    first = weighted(rng, weights)
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
    alpha = np.zeros((g.height + 2 * pad, g.width + 2 * pad), dtype=g.alpha.dtype)  # np.pad, faster
    alpha[pad:pad + g.height, pad:pad + g.width] = g.alpha
    img = Image.fromarray(alpha)
    if scale is not None and scale != 1.0:
        w, h = img.size
        small = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
        img = small.resize((w, h), Image.Resampling.BILINEAR)
    if sigma > 0.05:
        img = img.filter(ImageFilter.GaussianBlur(sigma))
    out = np.asarray(img, dtype=np.float32)[pad:pad + g.height, pad:pad + g.width]  # within the old box:
    peak = float(out.max())                                                           # the layout's spacing holds
    if peak < 1:
        return g
    out = np.rint(out * (float(g.alpha.max()) / peak))  # the strokes' core keeps its full ink
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


def _vertical_box(pack: StylePack, rng: np.random.Generator, style: Style, mask: np.ndarray,
                  boxes: list[PlacedBox], n_frames: int, case: str) -> PlacedBox | None:
    """A clinical word drawn rotated (reading upwards) beside the image, where it touches nothing: in the
    file's ``case`` and in a face that has its letters, as the other words (none when no face has them)."""
    words = [*pack.clinical.annotations, *pack.clinical.presets, *pack.clinical.modes]
    if not words:
        return None
    line = cased_lines([TextLine([static_run("annotation", str(rng.choice(words)), n_frames, is_phi=False)])], case)
    run = line[0].runs[0]
    style = replace(style, font=_covering_face(pack, rng, style.font, line))
    if missing_glyphs(style.font, run.states[0].text):
        return None
    flat = rasterise(run.states[0].text, style.font, style.size, style.antialias)
    alpha = np.ascontiguousarray(np.rot90(flat.alpha))
    alpha.setflags(write=False)
    glyphs = Glyphs(flat.text, alpha, 0, 0)
    height, width = mask.shape
    if glyphs.height + 8 > height or glyphs.width + 4 > width:
        return None
    for _ in range(16):
        x = int(rng.integers(2, width - glyphs.width - 1))
        y = int(rng.integers(4, height - glyphs.height - 3))
        box = PlacedBox(run, run.states[0], glyphs, x, y, style, "vertical", False)
        if not mask[y:y + glyphs.height, x:x + glyphs.width].any() and not any(touches(box, b) for b in boxes):
            return box
    return None


#: Graphics drawn in a strip kept at the right edge of the image (as devices draw the depth ruler).
STRIP_KINDS = ("depth_scale", "focus_marker")
_STRIP_W = 11


def _strip(plan: LayoutPlan, kinds: list[str], numbers_w: int = 0) -> dict[str, tuple[int, int, int, int]]:
    """Narrow the image rectangle from the right by a strip for ``kinds`` (and ``numbers_w`` px for the depth
    numbers at its right); each kind's rectangle in it."""
    if not kinds:
        return {}
    x0, y0, x1, y1 = plan.image_rect
    width = _STRIP_W * len(kinds) + 2 + numbers_w
    if x1 - x0 < 4 * width:
        return {}
    plan.image_rect = (x0, y0, x1 - width, y1)
    return {k: (x1 - width + 1 + i * _STRIP_W, y0, x1 - width + (i + 1) * _STRIP_W, y1) for i, k in enumerate(kinds)}


def _scale_numbers(marks: list[tuple[float, TextRun]], strip: dict[str, tuple[int, int, int, int]],
                   style: Style) -> list[Block]:
    """Depth numbers right of the strip's graphics, at their fraction of the depth (skipped where they would
    crowd)."""
    x, y0, y1 = max(r[2] for r in strip.values()) + 2, strip["depth_scale"][1], strip["depth_scale"][3]
    span = (y1 - y0) - style.line_height - 8
    blocks, last_bottom = [], -10**9
    for frac, run in marks:
        y = y0 + 4 + int(frac * span)
        if y >= last_bottom + 2:
            blocks.append(Block("scale", [TextLine([run])], x, y, style))
            last_bottom = y + style.line_height
    return blocks


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
    case = weighted(rng, pack.typography.case)
    patient = {k: cased_lines([v], case)[0] for k, v in patient_lines(job, pack, rng, n_frames).items()}
    clinical, extras, marker = clinical_text(pack, rng, cv, n_frames)
    clinical, extras, marker = cased_lines(clinical, case), cased_lines(extras, case), cased_lines([marker], case)[0]
    over_line = clinical.pop() if len(clinical) > 4 and rng.random() < pack.rendering.over_image_p else None
    plan, phi_style, clin_style = _plan(job, pack, rng, patient, clinical, extras, sector)
    blocks = list(plan.blocks)
    outer_rect = plan.image_rect  # the image and its strip: other graphics go beside both
    kinds = [k for k in STRIP_KINDS if rng.random() < getattr(pack.graphics, k)]
    step = 1 if job.depth_cm <= 5 else 2 if job.depth_cm <= 12 else 5
    marks = scale_runs(job.depth_cm, n_frames, step) if "depth_scale" in kinds else []
    numbers_w = block_size([TextLine([r]) for _, r in marks], clin_style)[0] + 3 if marks else 0
    strip = _strip(plan, kinds, numbers_w)
    if marks and "depth_scale" in strip:
        blocks += _scale_numbers(marks, strip, clin_style)

    x0, y0, x1, y1 = plan.image_rect
    channels = (3,) if job.colour == "rgb" else ()
    canvas = np.zeros((n_frames, job.height, job.width) + channels, dtype=np.uint8)
    mask = np.zeros((job.height, job.width), dtype=bool)
    views = image_rects(plan.image_rect, weighted(rng, pack.layout.image_layout))
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
        if block.region in ("body_marker", "scale") and (
                any((mask[b.y0:b.y1, b.x0:b.x1] & (b.glyphs.alpha > 0)).any() for b in block_boxes)
                or any(touches(b, o) for b in block_boxes for o in boxes)):
            continue  # a marker or depth number that would touch the image or other text is left out
        if block.style.plate_rgb is not None and block_boxes and not block.over_image:
            _plate(canvas, block_boxes, block.style.plate_rgb, mask)
        boxes.extend(block_boxes)
    if rng.random() < pack.layout.vertical_text_p:
        vertical = _vertical_box(pack, rng, clin_style, mask, boxes, n_frames, case)
        boxes.extend([vertical] if vertical is not None else [])
    boxes = _rendered(boxes, pack, rng)
    graphics = _graphics(canvas, pack, rng, (job.width, job.height), outer_rect, boxes, job.colour == "rgb",
                         clin_style, strip)
    problems, contrasts = check_boxes(boxes, canvas, mask)
    r = pack.rendering
    comp = Composition(canvas, canvas, boxes, mask, plan.image_rect, plan.name, cv, ref.probe, problems, contrasts,
                       graphics=graphics, jpeg_quality=r.jpeg_quality,
                       chroma_subsampling=str(rng.choice(r.chroma_subsampling)) if r.chroma_subsampling else None)
    return comp if problems else ink_text(comp, canvas, job.colour == "rgb", keep_background)


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
    (``classic`` through the classic composer, as ``generate`` draws it), with ``generate``'s retries
    (``compose_job``), twice as many."""
    from ..config import GenerateConfig
    from ..file_job import MAX_ATTEMPTS, compose_job
    from ..plan import pack_identity, plan_dataset
    from ..sources import open_source
    from .registry import DEFAULT_PACK

    config = GenerateConfig(patients=1, files_per_study=(1, 1), cine_fraction=0.0, sizes=(size,), seed=seed,
                            rgb_fraction=1.0, jpeg_fraction=0.0, workers=1, validate=False)
    source = open_source(config.source)
    job = plan_dataset(config, source)[1][0]
    identity = job.identity if pack.name == DEFAULT_PACK else pack_identity(job.identity, pack, seed)
    job = replace(job, identity=identity, style=pack.name, style_version=pack.version)
    comp, _ = compose_job(job, source, pack=pack, attempts=MAX_ATTEMPTS * 2)
    if comp is None:
        raise LayoutError(f"no safe sample of pack {pack.name} at {size[0]}x{size[1]}")
    return comp.frames[0]
