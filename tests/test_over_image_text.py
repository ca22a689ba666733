"""Text over the image and small text: a redacted line is carried on over the speckle to its end.

Real text is rendered with Pillow (anti-aliased, alpha-blended) over Rayleigh-like speckle, dimmer
than the speckle as well as brighter, at 9-14 px, and as a cine whose speckle moves under static
text. The old walk (bright strokes only, one box at a time) stopped at the fan's edge for dim ink:
every "carried to its end" test below failed on it (the box kept its on-screen end, 60+ px short).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.deid.pixels.classify import Decision
from phiphantom.deid.pixels.detect import TextBox
from phiphantom.deid.pixels.line_extend import carry_lines, close_gaps, extend_into_image, ink_colours

from .helpers import FAN_X, found_part, load_font

HEIGHT, WIDTH = 120, 460


def speckle(rng: np.random.Generator, mean: float = 100.0) -> np.ndarray:
    """Screen black left of FAN_X, gamma-distributed speckle (shape 2: Rayleigh-like) right of it."""
    frame = np.zeros((HEIGHT, WIDTH), dtype=np.float32)
    frame[:, FAN_X:] = rng.gamma(2.0, mean / 2.0, size=(HEIGHT, WIDTH - FAN_X))
    return frame


def render(frame: np.ndarray, text: str, x: int, y: int, size: int, ink: int) -> tuple[np.ndarray, np.ndarray]:
    """``text`` alpha-blended in grey ``ink`` onto ``frame``: the uint8 frame and the alpha (0-1)."""
    canvas = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(canvas).text((x, y), text, fill=255, font=load_font("DejaVuSans", size))
    alpha = np.asarray(canvas).astype(np.float32) / 255.0
    out = alpha * ink + (1.0 - alpha) * frame
    return np.clip(out.round(), 0, 255).astype(np.uint8), alpha


def scene(text: str, x: int, y: int, size: int, ink: int, seed: int = 0, mean: float = 100.0):
    frame, alpha = render(speckle(np.random.default_rng(seed), mean), text, x, y, size, ink)
    image = np.zeros((HEIGHT, WIDTH), dtype=bool)
    image[:, FAN_X:] = True
    return frame, image, alpha


def ink_end(alpha: np.ndarray) -> int:
    return int(np.nonzero((alpha >= 0.5).any(axis=0))[0].max()) + 1


@pytest.mark.parametrize(("size", "ink", "seed"),
                         [(14, 72, 0), (14, 72, 1), (11, 72, 2), (9, 60, 0), (10, 80, 3), (9, 150, 1)])
def test_dim_text_over_brighter_speckle_is_carried_to_its_end(size, ink, seed):
    frame, image, alpha = scene("Szpital Wojewodzki Zgorzelec", 100, 50, size, ink, seed)
    x0, y0, x1, y1 = found_part(alpha >= 0.5)
    end = ink_end(alpha)
    assert end > FAN_X + 25, "a good part of the line (3+ letters) must lie over the speckle"
    _, new_x1 = extend_into_image(frame, image, x0, y0, x1, y1)
    assert end - 3 <= new_x1 <= end + 2 * (y1 - y0), (new_x1, end)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_small_bright_text_is_carried_too(seed):
    frame, image, alpha = scene("Hospital Universitario Jaen", 120, 40, 9, 200, seed)
    x0, y0, x1, y1 = found_part(alpha >= 0.5)
    end = ink_end(alpha)
    _, new_x1 = extend_into_image(frame, image, x0, y0, x1, y1)
    assert end - 3 <= new_x1 <= end + 2 * (y1 - y0), (new_x1, end)


@pytest.mark.parametrize(("ink", "seed"), [(72, 8), (100, 9), (200, 10), (60, 11)])
def test_speckle_alone_is_not_taken_for_the_rest_of_a_line(ink, seed):
    frame, image, alpha = scene("Szpital", 120, 50, 12, ink, seed)  # ends well before the fan
    x0, y0, x1, y1 = found_part(alpha >= 0.5)
    assert x1 < FAN_X - 10
    shifted = FAN_X - 6  # pretend the word ended right at the fan's edge
    assert extend_into_image(frame, image, x0, y0, shifted, y1) == (x0, shifted)


def test_the_ink_colour_is_the_drawing_colour_not_the_anti_aliased_edge():
    frame, _, alpha = scene("Ospedale San Micheletti", 60, 50, 10, 72, 12)
    colours = ink_colours(frame[:, :FAN_X][alpha[:, :FAN_X] > 0.2])
    assert any(abs(level - 72) <= 2 for level, _ in colours) and all(3 <= tol <= 8 for _, tol in colours)
    aliased = np.full(400, 150, dtype=np.uint8)
    aliased[:80] = 160  # codec ringing above the drawing colour (a fifth of the strokes)
    assert [level for level, _ in ink_colours(aliased)][-1] == 150


def box(x0, y0, x1, y1, text, reason="strict", redact=True, frames=(0, 1)) -> TextBox:
    return TextBox(x0, y0, x1, y1, frames[0], frames[1], Decision(redact, reason, "text"), text)


def test_a_line_of_redacted_parts_is_carried_from_its_last_part_even_a_fragment():
    frame, image, alpha = scene("Policlinico Isera Mele", 80, 50, 13, 72, 13)
    x0, y0, x1, y1 = found_part(alpha >= 0.5)
    middle = (x0 + x1) // 2
    parts = [box(x0, y0, middle, y1, "Policlinico", "header:InstitutionName"), box(middle + 3, y0, x1, y1, "Is")]
    out = carry_lines(frame[None], image, parts)
    end = ink_end(alpha)
    assert out[0].decision == parts[0].decision and out[0].x0 == parts[0].x0, "the part away from the image stays"
    assert out[0].x1 == parts[1].x0, "... widened over the gap to the next part"
    carried = out[1]  # last: filled after the other parts, so the whole line is one fill
    assert (carried.x0, carried.y0) == (x0, y0) and carried.y1 >= y1, "the carried box spans the whole line"
    assert end - 3 <= carried.x1 <= end + 2 * (y1 - y0)
    assert carried.decision.redact and carried.decision.reason == "strict+into-image"


def test_kept_lines_and_lines_with_nothing_read_are_not_carried():
    frame, image, alpha = scene("Lung Sliding Present", 100, 50, 13, 72, 14)
    x0, y0, x1, y1 = found_part(alpha >= 0.5)
    kept = [box(x0, y0, x1, y1, "Lung Sliding", "allowlist", redact=False)]
    assert carry_lines(frame[None], image, kept) == kept
    grain = [box(x0, y0, x1, y1, "|", "unreadable")]
    assert carry_lines(frame[None], image, grain)[0].x1 <= FAN_X, "not carried over the image"
    assert carry_lines(frame[None], None, kept) == kept


def test_a_cine_line_is_carried_over_moving_speckle():
    rng = np.random.default_rng(15)
    frames, alpha = [], None
    for _ in range(6):  # the speckle changes every frame, the text does not
        f, alpha = render(speckle(rng), "Universitetssjukhuset Lidkoping", 40, 60, 11, 72)
        frames.append(f)
    view = np.stack(frames)
    image = np.zeros((HEIGHT, WIDTH), dtype=bool)
    image[:, FAN_X:] = True
    assert alpha is not None
    x0, y0, x1, y1 = found_part(alpha >= 0.5)
    out = carry_lines(view, image, [box(x0, y0, x1, y1, "Universitetssjuk", "header:InstitutionName", frames=(0, 6))])
    end = ink_end(alpha)
    assert end - 3 <= out[0].x1 <= end + 2 * (y1 - y0), (out[0].x1, end)



@pytest.mark.parametrize(("font", "frames"), [("DejaVuSans-Bold", 12), ("DejaVuSans-Bold", 22)])
def test_a_large_dim_clock_is_redacted_whole_on_every_frame(font, frames):
    """A 28 px dim, aliased clock whose hundredths change on every frame (as on a generated hard file):
    all its states at once make solid blobs wider than the top-hat, and the old code ended the region's
    box before the last digit (16 px short), leaving it on every frame."""
    from phiphantom.core.ocr import CachingOCR, TesseractBackend
    from phiphantom.deid.pixels.classify import Classifier, HeaderValues
    from phiphantom.deid.pixels.detect import detect_text

    face = load_font(font, 28)
    stack, inks = [], []
    for t in range(frames):
        canvas = Image.new("L", (520, 60), 0)
        draw = ImageDraw.Draw(canvas)
        draw.fontmode = "1"  # aliased, as many consoles draw
        draw.text((10, 12), f"2025-06-25 13:37:13.{(t * 7) % 100:02d}", fill=255, font=face)
        ink = np.asarray(canvas) >= 128
        stack.append((ink * 73).astype(np.uint8))
        inks.append(ink)
    view = np.stack(stack)
    boxes = detect_text(view, np.ones(view.shape[1:], dtype=bool), Classifier(HeaderValues(), "strict", frames=frames),
                        CachingOCR(TesseractBackend()))
    for t, ink in enumerate(inks):
        covered = np.zeros_like(ink)
        for b in boxes:
            if b.decision.redact and b.frame_start <= t < b.frame_end:
                covered[max(0, b.y0 - 2):b.y1 + 2, max(0, b.x0 - 2):b.x1 + 2] = True  # the 2 px margin
        assert covered[ink].all(), f"frame {t}: {int((ink & ~covered).sum())} ink pixels left"


def _ink_left(ink: np.ndarray, boxes: list[TextBox], margin: int = 2) -> int:
    """Ink pixels outside every redacted box (plus the redaction margin)."""
    covered = np.zeros_like(ink)
    for b in boxes:
        if b.decision.redact:
            covered[max(0, b.y0 - margin):b.y1 + margin, max(0, b.x0 - margin):b.x1 + margin] = True
    return int((ink & ~covered).sum())


@pytest.mark.parametrize(("text", "parts"), [("1981-10-17", ("1981", "10-", "17")),
                                             ("Clemente, Dominga", ("Clemente,", "Do", "inga"))])
def test_punctuation_between_redacted_parts_of_a_line_is_covered(text, parts):
    """Parts of one value redacted apart, as the segmenter split them on a generated hard file (dim, blurred):
    the '-' or a dim letter between them ('m') was no segment of its own and stayed on the screen."""
    face = load_font("DejaVuSans", 16)
    canvas = Image.new("L", (260, 40), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((10, 12), text, fill=255, font=face)
    ink = np.asarray(canvas) >= 128
    ys = np.nonzero(ink.any(axis=1))[0]
    boxes, start = [], 0
    for part in parts:
        start = text.index(part, start)
        x0 = 10 + int(round(draw.textlength(text[:start], font=face)))
        x1 = 10 + int(round(draw.textlength(text[:start + len(part)], font=face)))
        cols = np.nonzero(ink[:, x0:x1 + 1].any(axis=0))[0]
        boxes.append(box(x0 + int(cols.min()), int(ys.min()), x0 + int(cols.max()) + 1, int(ys.max()) + 1, part,
                         "regex:date"))
        start += len(part)
    assert _ink_left(ink, boxes) > 0, "the parts alone leave the punctuation between them"
    assert _ink_left(ink, carry_lines(ink[None].astype(np.uint8), None, boxes)) == 0


def test_a_gap_holding_kept_text_is_not_covered():
    left, right = box(10, 10, 40, 20, "Name"), box(56, 10, 110, 20, "Smith")
    kept = box(43, 10, 53, 20, "L1", "clinical", redact=False)
    out = close_gaps([left, kept, right])
    assert out[0].x1 == 40 and out[1] == kept and out[2] == right
    assert close_gaps([left, right])[0].x1 == 56
    far = box(100, 10, 140, 20, "Smith")  # 6 line heights away: another item
    assert close_gaps([left, far])[0].x1 == 40


@pytest.mark.parametrize(("text", "found"), [("H78-1630-7", "H78-1630-"), ("1062931", "106293")])
def test_a_last_small_glyph_beside_a_redacted_line_is_taken_in(text, found):
    """At 9 px a last '7' or '1' has fewer stroke pixels than a segment needs (as on a generated hard file):
    the value was redacted without it."""
    face = load_font("DejaVuSans", 9)
    canvas = Image.new("L", (200, 30), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((10, 8), text, fill=255, font=face)
    frame = (np.asarray(canvas).astype(np.float32) / 255.0 * 80).round().astype(np.uint8)
    ink = np.asarray(canvas) >= 128
    ys = np.nonzero(ink.any(axis=1))[0]
    end = 10 + int(round(draw.textlength(found, font=face)))
    cols = np.nonzero(ink[:, :end].any(axis=0))[0]
    part = box(int(cols.min()), int(ys.min()), int(cols.max()) + 1, int(ys.max()) + 1, found, "regex:id")
    assert _ink_left(ink, [part]) > 0, "the part alone (and the 2 px margin) leaves the last glyph"
    (out,) = carry_lines(frame[None], None, [part])
    assert _ink_left(ink, [out], margin=0) == 0
    assert out.x1 <= int(np.nonzero(ink.any(axis=0))[0].max()) + 3, "and nothing past it"
