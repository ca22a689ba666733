"""Find and classify burned-in text on every frame of a file.

Single frames: segments on the frame. Cines: the *static* overlay is the
per-pixel temporal minimum of the grey view (bright ink present on every frame);
its segments are read once and apply to all frames. Pixels whose value changes
(max - min) outside the image area are *dynamic* regions (clocks, counters);
each region is cut into its distinct states (consecutive frames with the same
crop), and each state is read once (spelled from the region's glyphs already read
when it can be: :mod:`.glyph_memory`), until the region is known to hold PHI -- then
it is redacted on every frame, read or not. Nothing is sampled: every frame is
either covered by a decision that applies to it or read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from phiphantom.core.ocr import LineRead, OCRBackend

from .classify import FRAME_COUNTER, Classifier, Decision, counter_shaped
from .components import components
from .evidence import Evidence
from .glyph_memory import GlyphMemory
from .image_area import PLATE_FLAT_STD, background_frames, plain_pixels
from .layout_evidence import Line, layout_evidence
from .line_extend import carry_lines
from .line_score import UNEXPLAINED_WEIGHT
from .text_find import Segment, TextScale, find_segments, segments_in, stroke_mask, top_hat

OCR_MARGIN = 2
#: Decisions that say OCR made little of a line (not read, read but unexplained, kept as a mark): such a
#: line read with confidence below SECOND_OPINION_BELOW is read again, its crop prepared two other ways
#: (``read_again``), and the more confident read decides. Lines with evidence either way are not re-read.
SECOND_OPINION = ("unreadable", "strict", "kept")
SECOND_OPINION_BELOW = 60.0
DYNAMIC_CHANGE = 24  # grey levels: a pixel that changes more than this across frames is dynamic
MAX_DYNAMIC_HEIGHT = 64  # pixels: clocks and counters are one line of text
PLAIN_PAD = 4  # pixels of surroundings included when judging a changing region's background
#: Redaction reasons that say nothing about what the text is (unread, or read but unexplained): a changing
#: region's state redacted for one of these is redacted on its own frames only (see _dynamic)
NO_EVIDENCE = ("unreadable", "strict")
#: A changing region's state read as a year, an ID or a date that is only a frame counter's "k/N" misread
#: (``_misread_counter``): redacted on its own frames, like a state that could not be read
COUNTER_MISREAD = Decision(True, "unreadable", "counter-misread")
#: Boxes this many heights apart on one line still share evidence (detect.in_phrases: widely spaced
#: "11:" | "07:" | "23"); redaction spreads only over :func:`same_phrase`'s default two heights
PHRASE_EVIDENCE_GAP = 3.0
MAX_IMAGE_OVERLAP = 0.05  # share of a changing region's box on the image mask above which it is not text


@dataclass
class TextBox:
    """A detected text box on frames [frame_start, frame_end): pixels [x0, x1) x [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int
    frame_start: int
    frame_end: int
    decision: Decision
    text: str = field(default="", repr=False)  # OCR text: in memory only unless --include-text


def _crop(view: np.ndarray, seg: Segment) -> np.ndarray:
    h, w = view.shape
    x0, y0, x1, y1 = seg.expanded(OCR_MARGIN, w, h)
    return view[y0:y1, x0:x1]


def read_segment(ocr: OCRBackend, view: np.ndarray, seg: Segment) -> LineRead:
    """OCR's read of a segment's crop."""
    return ocr.read_line(_crop(view, seg))


def read_segment_again(ocr: OCRBackend, view: np.ndarray, seg: Segment) -> LineRead | None:
    """The backend's second opinion on a segment's crop (``read_again``), or None when it has none."""
    again = getattr(ocr, "read_again", None)
    return again(_crop(view, seg)) if again is not None else None


def _read_ahead(ocr, view: np.ndarray, segments: list[Segment], glyphs: GlyphMemory | None) -> None:
    """A backend that reads batches (the learned recognizer, ``CachingOCR.prefetch``) reads every segment of a
    static view at once; a changing region's states are left to the glyph memory and read one by one."""
    prefetch = getattr(ocr, "prefetch", None)
    if glyphs is None and prefetch is not None:
        prefetch([_crop(view, seg) for seg in segments])


def _classified(ocr, classifier: Classifier, view: np.ndarray, segments: list[Segment], fs: int, fe: int,
                dx: int = 0, dy: int = 0, glyphs: GlyphMemory | None = None,
                tophat: np.ndarray | None = None) -> list[TextBox]:
    """Read and decide each segment (``glyphs``: a changing region's memory, which spells what it can
    from ``tophat``, the top-hat of ``view`` the segments were found on)."""
    if glyphs is not None:
        assert tophat is not None, "a glyph memory spells from the top-hat its segments were found on"
    boxes = []
    confidences = []
    state = fs if glyphs is not None else None  # a changing region's state shows frame fs (frame counters)
    _read_ahead(ocr, view, segments, glyphs)
    for seg in segments:
        read = glyphs.spell(tophat, seg) if glyphs is not None and tophat is not None else None
        spelled = read is not None
        if read is None:
            read = read_segment(ocr, view, seg)
        decision = classifier.decide(read.text, seg.width, seg.height, read.confidence, frame=state)
        if (not spelled and not classifier.readable_only and decision.reason in SECOND_OPINION
                and read.confidence < SECOND_OPINION_BELOW):  # CT, MR: unread strokes are anatomy
            again = read_segment_again(ocr, view, seg)
            if again is not None and again.confidence > read.confidence:
                read = again
                decision = classifier.decide(read.text, seg.width, seg.height, read.confidence, frame=state)
        if not spelled and glyphs is not None and tophat is not None:
            glyphs.learn(tophat, seg, read)
        text = read.text
        boxes.append(TextBox(seg.x0 + dx, seg.y0 + dy, seg.x1 + dx, seg.y1 + dy, fs, fe, decision, text))
        confidences.append(read.confidence)
    boxes = in_phrases(boxes, confidences, classifier, state)  # a clock's "18:" | "23:" | "29" too
    if glyphs is not None:  # one changing region's state: too little of the screen for layout
        return boxes
    # after the layout evidence: a piece given PHI evidence would pass a banner's "first line" on to the next line
    return read_whole(ocr, classifier, view, with_layout(boxes, classifier, view.shape[-1], view.shape[-2]))


def _phrases(boxes: list[TextBox]) -> list[list[int]]:
    """Indices of ``boxes`` grouped into phrases (chains of :func:`same_phrase` neighbours), left to right."""
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(boxes)), key=lambda i: (boxes[i].y0, boxes[i].x0))
    for n, i in enumerate(order):
        for j in order[n + 1:]:
            if boxes[j].y0 >= boxes[i].y1:
                break
            if same_phrase(boxes[i], boxes[j], PHRASE_EVIDENCE_GAP):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(root(i), []).append(i)
    return [sorted(g, key=lambda i: boxes[i].x0) for g in groups.values()]


def in_phrases(boxes: list[TextBox], confidences: list[float], classifier: Classifier,
               frame: int | None = None) -> list[TextBox]:
    """Decide each box again with the evidence found on its whole phrase: OCR boxes are often single
    words ("DR" | "73", "12" | "MAR" | "1961", "SMITH" | "JOHN"), and a word alone may say nothing that
    the phrase says (a parameter with its value, a date, a run of names). The phrase's evidence is cut
    to each box's characters and added to the box's own. ``frame``: the boxes are a changing region's
    state on that frame, and a phrase showing its frame number is a counter ("IMG" | "12")."""
    out = list(boxes)
    for group in _phrases(boxes):
        group = [i for i in group if any(ch.isalnum() for ch in boxes[i].text)]  # not "| |" read off a gap
        if len(group) < 2:
            continue
        texts = [" ".join(boxes[i].text.split()) for i in group]
        joined = " ".join(texts)
        if frame is not None and classifier.frame_number(joined, frame):
            for i in group:
                out[i] = replace(boxes[i], decision=FRAME_COUNTER)
            continue
        found = classifier.text_evidence(joined)
        start = 0
        for i, text in zip(group, texts, strict=True):
            end = start + len(text)
            context = [Evidence(e.kind, e.weight, max(e.start, start) - start, min(e.end, end) - start, e.source)
                       for e in found if e.start < end and e.end > start]
            start = end + 1
            if context:
                box = boxes[i]
                decision = classifier.decide(box.text, box.x1 - box.x0, box.y1 - box.y0, confidences[i], context)
                out[i] = replace(box, decision=decision)
    return out


#: Pieces of one line at most this many heights apart are read again as one crop (:func:`read_whole`)
WHOLE_READ_GAP = 1.0
#: The score a whole read must reach to redact its pieces: strong evidence only (a header value, a date or a
#: time, a labelled field), not the weak sex, age or ID shapes that a garbled parameter line takes ("F 7.50MHsz",
#: "VEL 0_50W/S" read whole scored 0.3 and 0.6 on the tuning-dev set; the PHI read whole scored 0.9 and 1.0)
WHOLE_READ_MIN_SCORE = 0.85
#: Pieces all explained as clinical this firmly are not read again whole (a parameter and its value, each read
#: well and explained together by their phrase)
WHOLE_READ_EXPLAINED = -0.5
#: Reasons that name no PHI evidence: unexplained or unreadable text, or text beside such text
NO_PHI_EVIDENCE = ("strict", "unreadable", "context", "kept")


def names_phi_evidence(decision: Decision) -> bool:
    """Whether a decision rests on PHI evidence (a header value, the grammar, a name...), not only on
    nothing explaining the text."""
    return decision.reason.split("+")[0] not in NO_PHI_EVIDENCE


def read_whole(ocr, classifier: Classifier, view: np.ndarray, boxes: list[TextBox]) -> list[TextBox]:
    """Lines the segmentation cut into pieces, read again whole: small text's glyph gaps can exceed the
    grouping gap ("14:1" | "7:1" for 14:17:17, "Fa" | "Lun" | "S" for a hospital's name), and each piece alone
    says nothing. A run of pieces on one line, each at most :data:`WHOLE_READ_GAP` heights from the next (a
    chain left to right: not the transitive phrases of :func:`_phrases`, which a tall box would join across
    lines) and none of them redacted, is read as one crop; when that read names PHI evidence (not merely
    unexplained text), its pieces are redacted with its decision. It never keeps what the pieces redacted.

    Only strong evidence counts (:data:`WHOLE_READ_MIN_SCORE`), since the pieces' own clinical readings are
    set aside; runs with a redacted piece (:func:`propagate` takes the rest along) and runs whose pieces
    explain each other as clinical (:data:`WHOLE_READ_EXPLAINED`) are not read again: about one read in
    three stills."""
    out = list(boxes)
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i].x0, boxes[i].y0))
    runs: list[list[int]] = []
    for i in order:
        for run in runs:
            last = boxes[run[-1]]
            if same_phrase(last, boxes[i], WHOLE_READ_GAP) and boxes[i].x0 >= last.x0:
                run.append(i)
                break
        else:
            runs.append([i])
    for run in runs:
        if len(run) < 2 or any(boxes[i].decision.redact for i in run):
            continue  # a redacted piece takes the rest of its run along (propagate)
        if all(boxes[i].decision.score <= WHOLE_READ_EXPLAINED for i in run):
            continue  # read as a parameter and its value ("D" | "6.0cm"): the pieces explain each other
        x0, y0 = min(boxes[i].x0 for i in run), min(boxes[i].y0 for i in run)
        x1, y1 = max(boxes[i].x1 for i in run), max(boxes[i].y1 for i in run)
        whole = Segment(x0, y0, x1, y1, 0)
        read = read_segment(ocr, view, whole)
        decision = classifier.decide(read.text, whole.width, whole.height, read.confidence)
        if not decision.redact or decision.score < WHOLE_READ_MIN_SCORE or not names_phi_evidence(decision):
            continue
        for i in run:
            if not boxes[i].decision.redact:
                out[i] = replace(boxes[i], decision=decision)
    return out


def with_layout(boxes: list[TextBox], classifier: Classifier, width: int, height: int) -> list[TextBox]:
    """``boxes`` (read together on one view) after layout evidence: a value beside a field label, the
    first line of a banner... (:mod:`.layout_evidence`) may tip a line the recognisers left below the
    threshold."""
    if len(boxes) < 2:
        return boxes
    if not classifier.layout:  # verification's variant: no layout evidence changes a decision there
        return boxes
    lines = [Line(b.x0, b.y0, b.x1, b.y1, b.text, b.decision.phi_kinds, b.decision.score) for b in boxes]
    out = []
    for box, found in zip(boxes, layout_evidence(lines, width, height), strict=True):
        decision = box.decision
        for ev in found:
            decision = classifier.with_layout(decision, ev, box.text)
        out.append(box if decision is box.decision else replace(box, decision=decision))
    return out


def dynamic_regions(view: np.ndarray, search: np.ndarray,
                    static: np.ndarray | None = None) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of pixels that change across frames outside the image area (grown to whole glyphs);
    ``static``: ``view.min(axis=0)`` when the caller has it (one pass over the clip fewer)."""
    low = view.min(axis=0) if static is None else static
    change = (view.max(axis=0).astype(np.int16) - low) > DYNAMIC_CHANGE
    change &= search
    if not change.any():
        return []
    grown = cv2.dilate(change.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (15, 7)))
    _, _, stats = components(grown)
    h, w = search.shape
    return [(max(0, x - 2), max(0, y - 2), min(w, x + bw + 2), min(h, y + bh + 2)) for x, y, bw, bh, _ in stats[1:]]


def _states(view: np.ndarray, region: tuple[int, int, int, int]) -> list[tuple[int, int, bytes]]:
    """Runs of consecutive frames whose crop is the same (coarsely quantised against codec noise)."""
    x0, y0, x1, y1 = region
    runs: list[tuple[int, int, bytes]] = []
    for t in range(view.shape[0]):
        key = hashlib.blake2b((view[t, y0:y1, x0:x1] >> 5).tobytes(), digest_size=16).digest()
        if runs and runs[-1][2] == key:
            runs[-1] = (runs[-1][0], t + 1, key)
        else:
            runs.append((t, t + 1, key))
    return runs


@dataclass
class Found:
    """What :func:`detect_text` found on a view, kept so that finding text again on it after a redaction
    (verification) redoes only what the redaction changed: ``scale``, the glyph height the text was grouped
    by and what each grouped segment became (:class:`.text_find.TextScale`), and ``regions``, each changing
    region's pixels on every frame, its search area and its boxes. A changing region's boxes depend on
    nothing else (its states are read, spelled and decided on their own; layout evidence is never asked), so
    a region found again with the same pixels and search area gets the same boxes without reading them."""

    scale: TextScale = field(default_factory=TextScale)
    regions: dict[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray, list[TextBox]]] = field(
        default_factory=dict)


def detect_text(view: np.ndarray, search: np.ndarray, classifier: Classifier, ocr: OCRBackend,
                image: np.ndarray | None = None, found: Found | None = None) -> list[TextBox]:
    """Every text box of a (T, H, W) grey view, with its decision and frame range (``image``: the image mask).

    ``found``: what a first detection on this view found (:class:`Found`), filled in when empty; verification
    after a redaction passes the first detection's: the glyph height it measured is the one the text is
    grouped by again, and what the redaction left unchanged is not found again."""
    scale = found.scale if found is not None else None
    t_count = view.shape[0]
    if t_count == 1:
        return _carried(view, image, classifier,
                        propagate(_classified(ocr, classifier, view[0], find_segments(view[0], search, scale), 0, 1)))
    static = view.min(axis=0)
    static_segments = find_segments(static, search, scale)
    regions = _whole_lines([r for r in dynamic_regions(view, search, static)
                            if not over_image(image, r) and has_text(view, search, r, static_segments)],
                           static_segments)
    static_segments = [s for s in static_segments if not any(_contains(r, s) for r in regions)]
    boxes = _classified(ocr, classifier, static, static_segments, 0, t_count)
    known = found.regions if found is not None else {}
    kept: dict[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray, list[TextBox]]] = {}
    for region in regions:
        x0, y0, x1, y1 = region
        pixels, area = view[:, y0:y1, x0:x1], search[y0:y1, x0:x1]
        before = known.get(region)
        if before is None or not (np.array_equal(before[0], pixels) and np.array_equal(before[1], area)):
            before = (pixels.copy(), area.copy(), _dynamic(view, search, region, classifier, ocr))
        kept[region] = before
        boxes.extend(before[2])
    if found is not None:
        found.regions = kept
    return _carried(view, image, classifier, propagate(boxes))


def _carried(view: np.ndarray, image: np.ndarray | None, classifier: Classifier, boxes: list[TextBox]) -> list[TextBox]:
    """Redacted lines that run on over the image carried there (:mod:`.line_extend`), except in the ``text``
    mode (CT, MR...: a redaction never goes into the anatomy)."""
    return boxes if classifier.readable_only else carry_lines(view, image, boxes)


def over_image(image: np.ndarray | None, region: tuple[int, int, int, int]) -> bool:
    """A changing region whose box lies partly on the image is speckle at the fan's rim, not a clock.

    Measured on the cines of four generated sets (realistic, hard, 20-frame and 100-250-frame clips):
    all 477 changing regions that held a clock or counter overlap the image mask by 0.0; the changing
    regions that held no text overlap it by 0.2-0.4 (the fan's dim far field, under-estimated, moves)."""
    if image is None:
        return False
    x0, y0, x1, y1 = region
    return bool(image[y0:y1, x0:x1].mean() >= MAX_IMAGE_OVERLAP)


def has_text(view: np.ndarray, search: np.ndarray, region: tuple[int, int, int, int],
              static: Sequence[Segment] = ()) -> bool:
    """A changing region is text only if it is line-sized, sits on a plain background (screen black or a
    plate) or right beside static text of its line (a clock's changing tenths after its "10:50:49.": the
    minimum over frames of the changing digits and the JPEG ringing of the static ones make the few pixels
    around them anything but plain), and text-like segments appear in it. Speckle left outside an
    underestimated fan changes too, but it is neither plain nor line-sized nor on a line of text."""
    x0, y0, x1, y1 = region
    if y1 - y0 > MAX_DYNAMIC_HEIGHT:
        return False
    # the background is judged with some surroundings (a small clock is mostly strokes and plate edge)
    # and over a bounded set of frames (background_frames: long clips would make speckle look black)
    _, h, w = view.shape
    px0, py0, px1, py1 = max(0, x0 - PLAIN_PAD), max(0, y0 - PLAIN_PAD), min(w, x1 + PLAIN_PAD), min(h, y1 + PLAIN_PAD)
    background = view[background_frames(len(view)), py0:py1, px0:px1].min(axis=0)
    if plain_pixels(background, flat_std=PLATE_FLAT_STD).mean() < 0.5 and not beside_text(region, static):
        return False
    crop = view[:, y0:y1, x0:x1].max(axis=0)
    return bool(find_segments(crop, search[y0:y1, x0:x1]))


def beside_text(region: tuple[int, int, int, int], static: Sequence[Segment]) -> bool:
    """Whether a static text segment lies on the region's line and touches it (overlaps it, or at most
    half its own height away): the fixed part of a clock or counter whose other digits change."""
    return any(_on_its_line(region, s, 0.5) for s in static)


def _on_its_line(region: tuple[int, int, int, int], seg: Segment, gap_heights: float) -> bool:
    """Whether ``seg`` is on the region's line (vertical overlap >= half the smaller height) and at most
    ``gap_heights`` of its own heights away from it (overlapping counts)."""
    x0, y0, x1, y1 = region
    overlap = min(y1, seg.y1) - max(y0, seg.y0)
    gap = max(x0, seg.x0) - min(x1, seg.x1)
    return overlap >= 0.5 * min(y1 - y0, seg.height) and gap <= gap_heights * max(seg.height, 1)


def _contains(region: tuple[int, int, int, int], seg: Segment) -> bool:
    x0, y0, x1, y1 = region
    return x0 <= seg.x0 and seg.x1 <= x1 and y0 <= seg.y0 and seg.y1 <= y1


def _whole_lines(regions: list[tuple[int, int, int, int]], static: list[Segment]) -> list[tuple[int, int, int, int]]:
    """Grow each changing region over the static text of its line (a clock's fixed digits, a counter's
    "/40"), so every state is read as a whole ("12:03:15.47", "12/40"), then merge overlapping regions."""
    grown = []
    for x0, y0, x1, y1 in regions:
        changed = True
        while changed:
            changed = False
            for s in static:
                if _contains((x0, y0, x1, y1), s):
                    continue
                if _on_its_line((x0, y0, x1, y1), s, 2):
                    x0, y0, x1, y1 = min(x0, s.x0), min(y0, s.y0), max(x1, s.x1), max(y1, s.y1)
                    changed = True
        grown.append((x0, y0, x1, y1))
    merged: list[tuple[int, int, int, int]] = []
    for r in sorted(grown):
        last = merged[-1] if merged else None
        if last and not (last[2] <= r[0] or r[2] <= last[0] or last[3] <= r[1] or r[3] <= last[1]):
            m = merged.pop()
            r = (min(m[0], r[0]), min(m[1], r[1]), max(m[2], r[2]), max(m[3], r[3]))
        merged.append(r)
    return merged


def same_phrase(a: TextBox, b: TextBox, gap_heights: float = 2.0) -> bool:
    """On one line (vertical overlap >= half the smaller height), at most ``gap_heights`` heights apart,
    same frames."""
    if a.frame_end <= b.frame_start or b.frame_end <= a.frame_start:
        return False
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    if overlap < 0.5 * min(a.y1 - a.y0, b.y1 - b.y0):
        return False
    gap = max(a.x0, b.x0) - min(a.x1, b.x1)
    return gap <= gap_heights * max(a.y1 - a.y0, b.y1 - b.y0)


def _same_line_of_text(a: TextBox, b: TextBox) -> bool:
    """:func:`same_phrase`, and of about the same height with tops and bottoms aligned (a part of a
    misread word, not an edge of the anatomy that happens to lie beside a burned-in name)."""
    ha, hb = a.y1 - a.y0, b.y1 - b.y0
    return (same_phrase(a, b) and 0.7 * hb <= ha <= 1.4 * hb
            and min(a.y1, b.y1) - max(a.y0, b.y0) >= 0.7 * max(ha, hb))


def propagate(boxes: list[TextBox]) -> list[TextBox]:
    """Text next to redacted text on the same line is part of the same item ("46Y M", "Age 61",
    a clock's changing digits next to its static part): redact it too, with the reason ``context``."""
    redacted = [box for box in boxes if box.decision.redact]  # those a box may join, kept up to date
    changed = True
    while changed:
        changed = False
        for i, box in enumerate(boxes):
            if box.decision.redact:
                continue
            # a stroke the text mode left as image goes with its line only when it has the line's height
            same = _same_line_of_text if box.decision.text_kind == "not-read" else same_phrase
            if any(same(box, o) for o in redacted):
                boxes[i] = TextBox(box.x0, box.y0, box.x1, box.y1, box.frame_start, box.frame_end,
                                   Decision(True, "context", box.decision.text_kind), box.text)
                redacted.append(boxes[i])
                changed = True
    return boxes


def _dynamic(view, search, region, classifier, ocr) -> list[TextBox]:
    """Read each distinct state of a changing region; once PHI is seen, redact the region on every frame
    (under ``balanced``, a state that is only unreadable is redacted on its own frames)."""
    x0, y0, x1, y1 = region
    sub_search = search[y0:y1, x0:x1]
    classifier = classifier.variant(changing=True)  # its states change with the frames (frame counters)
    seen: dict[bytes, list[TextBox]] = {}
    glyphs = GlyphMemory()  # states after the first few are mostly spelled from glyphs already read
    boxes: list[TextBox] = []
    first: TextBox | None = None  # the first state box redacted on its own frames (unread or unexplained)
    deferred: Decision | None = None  # the first evidence only a misread count could give (_misread_counter)
    states = _states(view, region)
    strict = classifier.cut <= UNEXPLAINED_WEIGHT
    for done, (fs, fe, key) in enumerate(states, start=1):
        if key not in seen:
            crop = view[fs, y0:y1, x0:x1]
            tophat = top_hat(crop)  # once: for the segments and for the glyphs
            seen[key] = _classified(ocr, classifier, crop, segments_in(tophat, sub_search), fs, fe, x0, y0,
                                    glyphs, tophat)
        state_boxes = seen[key]
        # PHI evidence in one state takes the whole region on every frame. A state redacted only because it was
        # not read or not explained is redacted on its own frames, so one misread state of a 150-frame counter
        # does not take the counter off all 150 frames (every state is then read; most are spelled from glyphs)
        evidence = [b for b in state_boxes if b.decision.redact and b.decision.reason not in NO_EVIDENCE]
        if evidence and not all(_misread_counter(b, classifier.frames) for b in evidence):
            return [_whole_region(view, search, region, evidence[0].decision)]
        if evidence:  # a counter's state misread as a year or an ID: its own frames, unless the region counts nothing
            deferred = deferred or evidence[0].decision
            state_boxes = [replace(b, decision=COUNTER_MISREAD) if b in evidence else b for b in state_boxes]
        boxes.extend(TextBox(b.x0, b.y0, b.x1, b.y1, fs, fe, b.decision, b.text) for b in state_boxes)
        # a threshold that removes unexplained text (strict): a region with an unread or unexplained state goes
        # whole, on every frame, unless it counts the frames (states read as their frame numbers): a small
        # ticking clock whose states OCR reads now as a time, now as noise, now as a cine clock ("10:23.45")
        # must not keep the states it misread as clinical. Decided as soon as the states not yet read could
        # not make it a counter any more (at the last state at the latest)
        if first is None:
            first = next((b for b in state_boxes if b.decision.redact), None)
        if strict and first is not None and not _may_count_frames(boxes, len(states) - done):
            return [_whole_region(view, search, region, deferred or first.decision)]
    if deferred is not None and not _may_count_frames(boxes, 0):
        return [_whole_region(view, search, region, deferred)]
    return boxes


def _misread_counter(box: TextBox, frames: int) -> bool:
    """Whether a state box's PHI evidence is only the grammar's (a year, an ID, a date: not the header, a name
    or the layout) on a read :func:`.classify.counter_shaped` finds may be a misread "k/N" of this clip. Such a
    state is redacted on its own frames, and the region whole only if its states do not count the frames."""
    return box.decision.reason.startswith("regex:") and counter_shaped(box.text, frames)


def _may_count_frames(boxes: list[TextBox], unread: int) -> bool:
    """Whether a changing region is (``unread`` = 0), or may still prove to be, a frame counter: at least half
    its states, and two or more, read as their frame number (one state's last digit equal to its frame is
    chance: a clock's hundredths). ``unread``: states not read yet; at best each of them is read as its frame
    number, so a region that cannot reach the share even then is decided without reading them (strict)."""
    states = {(b.frame_start, b.frame_end) for b in boxes if any(ch.isalnum() for ch in b.text)}
    counted = {(b.frame_start, b.frame_end) for b in boxes if b.decision == FRAME_COUNTER}
    return len(counted) + unread >= max(2, (len(states) + unread) / 2)


def _whole_region(view, search, region, decision: Decision) -> TextBox:
    """The ink extent of a region over all frames (the union of every state), redacted on every frame."""
    x0, y0, x1, y1 = region
    # each state's own strokes: all states at once (a clock's hundredths) make a blob wider than the top-hat,
    # which would end the box before the last digits
    ink = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for fs, _, _ in _states(view, region):
        ink |= stroke_mask(top_hat(view[fs, y0:y1, x0:x1]), search[y0:y1, x0:x1]).astype(bool)
    ys, xs = np.nonzero(ink)
    if ys.size:
        return TextBox(x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1,
                       0, view.shape[0], decision, "")
    return TextBox(x0, y0, x1, y1, 0, view.shape[0], decision, "")
