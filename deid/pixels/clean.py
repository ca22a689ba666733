"""Clean the pixels of one dataset: detect, classify, redact every frame, verify (fail-closed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from pydicom.dataset import Dataset

from phiphantom.core.ocr import CachingOCR, get_backend

from ..header_deid import DeidError
from .classify import Classifier, Decision, HeaderValues
from .config import PixelConfig
from .detect import Found, TextBox, detect_text, names_phi_evidence
from .frames import Frames, load_frames, store_frames
from .header_extent import extend_by_header
from .image_area import find_image_area
from .line_extend import extend_into_image
from .marks import with_marks
from .modality import FULL, TEXT

MAX_PASSES = 3
#: The settings :func:`clean_pixels` uses when given none (PixelConfig is frozen: one shared instance).
DEFAULT_CONFIG = PixelConfig()


@dataclass
class PixelResult:
    boxes: list[TextBox] = field(default_factory=list)   # every box found, redacted or kept
    verified: bool = False
    passes: int = 0
    image_source: str = ""
    mode: str = FULL          # how the pixels were searched (pixels.modality: full | text | none)
    mode_reason: str = ""     # why (a class of object, never a value)

    @property
    def redacted(self) -> list[TextBox]:
        return [b for b in self.boxes if b.decision.redact]


def _background(frames: Frames, t: int, x0: int, y0: int, x1: int, y1: int):
    """The colour around a box (median of the 1-pixel ring, per sample; the commonest index for palette
    data), so a redaction on a plate leaves a plain plate instead of a black hole with edges."""
    _, h, w = frames.shape
    ring = []
    frame = frames.stored[t]
    if y0 > 0:
        ring.append(frame[y0 - 1, x0:x1])
    if y1 < h:
        ring.append(frame[y1, x0:x1])
    if x0 > 0:
        ring.append(frame[y0:y1, x0 - 1])
    if x1 < w:
        ring.append(frame[y0:y1, x1])
    if not ring:
        return frames.fill
    values = np.concatenate(ring, axis=0)
    if frames.photometric == "PALETTE COLOR":
        uniq, counts = np.unique(values, return_counts=True)
        return uniq[np.argmax(counts)]
    return np.median(values, axis=0).astype(frames.stored.dtype)


@lru_cache(maxsize=2)
def cached_ner(path: str):
    """The NER model of ``path``, loaded once per process (the batch runner loads it before the workers fork)."""
    from .ner import load_ner

    return load_ner(path)


def redact(frames: Frames, boxes: list[TextBox], margin: int) -> list[tuple[int, int, int, int, int, int]]:
    """Fill each box (plus margin) with its surrounding background on every frame of its range.

    Returns the filled rectangles (x0, y0, x1, y1, frame_start, frame_end).
    """
    _, h, w = frames.shape
    filled = []
    for b in boxes:
        x0, y0 = max(0, b.x0 - margin), max(0, b.y0 - margin)
        x1, y1 = min(w, b.x1 + margin), min(h, b.y1 + margin)
        fill = _background(frames, b.frame_start, x0, y0, x1, y1)
        frames.stored[b.frame_start:b.frame_end, y0:y1, x0:x1] = fill
        view_fill = np.median(np.concatenate([frames.view[b.frame_start, max(0, y0 - 1), x0:x1],
                                              frames.view[b.frame_start, min(h - 1, y1), x0:x1]]))
        frames.view[b.frame_start:b.frame_end, y0:y1, x0:x1] = np.uint8(view_fill)
        filled.append((x0, y0, x1, y1, b.frame_start, b.frame_end))
    return filled


def _inside_filled(box: TextBox, filled: list[tuple[int, int, int, int, int, int]]) -> bool:
    """A segment that is only the rim of a filled rectangle (within 2 px of it) is not text."""
    for x0, y0, x1, y1, fs, fe in filled:
        if fs <= box.frame_start and box.frame_end <= fe and \
                x0 - 2 <= box.x0 and box.x1 <= x1 + 2 and y0 - 2 <= box.y0 and box.y1 <= y1 + 2:
            return True
    return False


def read_as_text(box: TextBox) -> bool:
    """A redacted box that OCR read as words (not a grain or a mark at the fan's rim): it may go on."""
    width, height = box.x1 - box.x0, box.y1 - box.y0
    return (box.decision.redact and not box.decision.reason.startswith("unreadable") and width >= 2 * height
            and len(re.findall(r"\w", box.text)) >= 3)


def carry_into_image(frames: Frames, image: np.ndarray, box: TextBox) -> TextBox:
    """``box`` extended along its line into the image when the text goes on there (see line_extend)."""
    height = box.y1 - box.y0
    top, bottom = max(0, box.y0 - height), min(frames.shape[1], box.y1 + height)
    strip = frames.view[box.frame_start:box.frame_end, top:bottom].min(axis=0)  # static ink only
    x0, x1 = extend_into_image(strip, image[top:bottom], box.x0, box.y0 - top, box.x1, box.y1 - top)
    if (x0, x1) == (box.x0, box.x1):
        return box
    return replace(box, x0=x0, x1=x1, decision=Decision(True, box.decision.reason + "+into-image",
                                                         box.decision.text_kind))


def has_phi_evidence(box: TextBox) -> bool:
    """Whether a box was redacted on PHI evidence (a header value, the grammar, a name...), not only
    because nothing explained it."""
    return names_phi_evidence(box.decision)


def _verify(frames: Frames, search: np.ndarray, classifier: Classifier, ocr, filled,
            image: np.ndarray | None = None, found: Found | None = None) -> list[TextBox]:
    """PHI still readable after redaction: detect again (OCR results of unchanged crops come from the cache),
    grouping glyphs by the height the first detection measured and finding again only what the redaction
    changed (``found``: the first detection's, see :class:`.detect.Found`)."""
    # layout evidence is not readable PHI: with lines filled, the next line would become "the banner's first"
    unlaid = classifier.variant(layout=False)
    return [b for b in detect_text(frames.view, search, unlaid, ocr, image, found)
            if b.decision.redact and not _inside_filled(b, filled)]


def clean_pixels(ds: Dataset, header: HeaderValues, config: PixelConfig = DEFAULT_CONFIG, mode: str = FULL,
                 mode_reason: str = "") -> PixelResult:
    """Redact burned-in PHI in ``ds`` (in place); raises :class:`DeidError` when verification fails.

    ``mode`` (:mod:`.modality`): ``full`` judges every candidate; ``text`` only what OCR reads with
    confidence, and never carries a redaction on into the image."""
    frames = load_frames(ds)
    area = find_image_area(ds, frames.view)
    classifier = Classifier(header, config.policy, ner=cached_ner(config.ner_model) if config.ner_model else None,
                            frames=frames.shape[0], readable_only=mode == TEXT, threshold=config.threshold)
    ocr = CachingOCR(get_backend(config.ocr))
    result = PixelResult(image_source=area.source, mode=mode, mode_reason=mode_reason)
    found = Found()  # the glyph height measured here is the one verification groups by (and what it found)
    boxes = detect_text(frames.view, area.search, classifier, ocr, area.mask, found)
    if area.mask.any():
        if mode != TEXT:
            boxes = [carry_into_image(frames, area.mask, b) if read_as_text(b) else b for b in boxes]
        if config.hard:
            boxes = extend_by_header(boxes, header, area.mask, frames.shape[2])
    # a redacted line's box takes in its accents and the marks below it (marks.py): what is reported is what is filled
    boxes = [with_marks(frames.view, area.search, b) if b.decision.redact else b for b in boxes]
    result.boxes.extend(boxes)
    to_redact = [b for b in boxes if b.decision.redact]
    filled: list[tuple[int, int, int, int, int, int]] = []
    for attempt in range(1, MAX_PASSES + 1):
        filled += redact(frames, to_redact, config.margin)
        result.passes = attempt
        if not config.verify:
            break
        to_redact = [with_marks(frames.view, area.search, b)
                     for b in _verify(frames, area.search, classifier, ocr, filled, area.mask, found)]
        if not to_redact:
            result.verified = True
            break
        result.boxes.extend(to_redact)
    else:
        if any(has_phi_evidence(b) for b in to_redact):
            raise DeidError("burned-in PHI is still readable after redaction (verification failed)")
        # what the last pass still found is only text no recogniser explained (fragments each fill leaves
        # readable beside it: "w1", "R-PLAPR"): removed too, and nothing with PHI evidence is left
        filled += redact(frames, to_redact, config.margin)
        result.verified = True
    if filled:  # nothing redacted: the pixel data is left exactly as it was (same bytes, same transfer syntax)
        store_frames(ds, frames)
    return result

