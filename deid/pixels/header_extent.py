"""``hard`` mode: finish a header value whose line runs on over the image, where OCR cannot follow it.

Some screens draw text across the edge of the fan ("Ospedale di Verona" starting on the black
screen and ending over speckle). OCR reads the part on black ("Ospedale di") and the classifier
matches it to the header (InstitutionName); the rest, dim text over bright speckle, is not found as
text at all, and :mod:`line_extend` only follows ink that stands out from the speckle. But the
header says what the whole value is, so its length is known: the box is extended on the side where
it meets the image by the characters not yet read (at the width per character of the part read,
plus a fifth and one character of slack). Nothing is extended without a header match, and nothing
away from the image (text on the screen is found and read there).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from .classify import Decision, HeaderValues
from .detect import TextBox, same_phrase

SLACK = 1.2        # the unread characters may be wider than the ones read (capitals, "W")
EXTRA_CHARS = 1    # and one more character for where the read part's box ends
NEAR = 1.5         # the image must start within this many line heights of the box's end


def _unread_chars(text: str, values: list[str]) -> int:
    """Characters of the best-matching header value that ``text`` does not account for."""
    read = re.sub(r"\s+", " ", text).strip()
    words = {w.casefold() for w in re.findall(r"\w+", read)}
    best = None
    for value in values:
        shown = " ".join(part for part in re.split(r"[\^=\s]+", value) if part)  # PN components as shown
        overlap = sum(len(w) for w in re.findall(r"\w+", shown) if w.casefold() in words)
        if overlap and (best is None or overlap > best[0]):
            best = (overlap, len(shown))
    if best is None:
        return 0
    return max(0, best[1] - len(read))


def _image_side(image: np.ndarray, box: TextBox) -> int | None:
    """Where the image starts along the box's rows, within reach: +1 to the right, -1 to the left (nearer wins)."""
    rows = image[box.y0:box.y1]
    height = box.y1 - box.y0
    reach = int(NEAR * height) + 1
    right = np.nonzero(rows[:, box.x1:box.x1 + reach].any(axis=0))[0]
    left = np.nonzero(np.asarray(rows[:, max(0, box.x0 - reach):box.x0].any(axis=0))[::-1])[0]
    sides = [(int(d[0]), s) for d, s in ((right, 1), (left, -1)) if d.size]
    if not sides:
        return None
    return min(sides)[1]


def _line_groups(boxes: list[TextBox]) -> list[list[int]]:
    """Indices of redacted boxes that form one line of text (same frames, same phrase), left to right."""
    groups: list[list[int]] = []
    for i in sorted((i for i, b in enumerate(boxes) if b.decision.redact), key=lambda i: boxes[i].x0):
        for group in groups:
            if any(same_phrase(boxes[i], boxes[j]) for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def extend_by_header(boxes: list[TextBox], header: HeaderValues, image: np.ndarray, width: int) -> list[TextBox]:
    """``boxes`` with each header-matched line grown over the image by the unread rest of its value."""
    out = list(boxes)
    for group in _line_groups(boxes):
        keywords = [boxes[i].decision.reason.split(":", 1)[1].split("+", 1)[0]
                    for i in group if boxes[i].decision.reason.startswith("header:")]
        if not keywords:
            continue
        text = " ".join(boxes[i].text.strip() for i in group if boxes[i].text.strip())
        line = TextBox(min(boxes[i].x0 for i in group), min(boxes[i].y0 for i in group),
                       max(boxes[i].x1 for i in group), max(boxes[i].y1 for i in group),
                       boxes[group[0]].frame_start, boxes[group[0]].frame_end, boxes[group[0]].decision, text)
        unread = max(_unread_chars(text, header.full.get(k, [])) for k in keywords)
        direction = _image_side(image, line) if unread and text else None
        if direction is None:
            continue
        per_char = (line.x1 - line.x0) / max(1, len(text))
        grow = int(np.ceil((unread * SLACK + EXTRA_CHARS) * per_char))
        end = max(group, key=lambda i: boxes[i].x1) if direction > 0 else min(group, key=lambda i: boxes[i].x0)
        box = boxes[end]
        x0, x1 = (box.x0, min(width, box.x1 + grow)) if direction > 0 else (max(0, box.x0 - grow), box.x1)
        decision = Decision(True, box.decision.reason + "+header-extent", box.decision.text_kind)
        out[end] = replace(box, x0=x0, x1=x1, y0=line.y0, y1=line.y1, decision=decision)  # the line's full height
    return out
