"""Font technologies (synth/faces): every face draws real ink with exact boxes, reports what it cannot
draw, bitmap faces stay binary, stroke faces scale, Tesseract reads each technology, and the DejaVu
names draw byte-identically to before the faces existed."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from phiphantom.core.ocr import TesseractBackend, edit_distance
from phiphantom.synth.faces import FACES, FaceError, faces_by_technology, get_face
from phiphantom.synth.faces.truetype import TrueTypeFace
from phiphantom.synth.fonts import LEGACY_FACES, missing_glyphs
from phiphantom.synth.layouts import Block, Style, place
from phiphantom.synth.overlay_content import TextLine, static_run
from phiphantom.synth.text_raster import EmptyInkError, Glyphs, composite, line_metrics, rasterise

SAMPLE = "Hamburg 12/05/2026 ID 123"

#: sha256 over the DejaVu path's output (text, size, antialias, offsets, alpha bytes, metrics), computed
#: at 145415a before synth/faces existed (the loop in test_dejavu_names_render_byte_identically).
DEJAVU_HASH = "eb3a3c29c3f1dbebbf5ce5541154df0201cde1ba7c8a7d600ecf20918c7904aa"


def on_frame(g: Glyphs, x: int = 20, y: int = 10) -> np.ndarray:
    """The glyphs composited white on a black frame with the text origin at (x, y)."""
    frame = np.zeros((1, g.height + 2 * y + 20, g.width + 2 * x + 20), dtype=np.uint8)
    composite(frame, g.alpha, x + g.dx, y + g.dy, (255,), 0, 1)
    return frame[0]


def ink_box(a: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(a.any(axis=1))
    cols = np.flatnonzero(a.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def test_registry_has_every_technology_and_design():
    designs = {d: [f for f in faces_by_technology("ttf") if f.info.design == d]
               for d in ("sans", "serif", "mono", "condensed")}
    families = {d: {f.family for f in fs} for d, fs in designs.items()}
    assert all(len(fams) >= 2 for fams in families.values()), families
    assert len({f.info.source for f in faces_by_technology("stroke")}) >= 1
    assert len({f.name for f in faces_by_technology("stroke")}) >= 2
    assert len({f.family for f in faces_by_technology("bitmap")}) >= 2
    for name, face in FACES.items():
        assert face.name == name and name.split(":")[0] == face.technology
        assert face.licence and face.source and face.family
        assert face.info.version  # the package is installed
    with pytest.raises(FaceError):
        get_face("ttf:no-such-face")


@pytest.mark.parametrize("name", list(FACES))
def test_every_face_draws_the_sample_with_exact_box(name):
    for antialias in (True, False):
        g = rasterise(SAMPLE, name, 16, antialias)
        assert g.text == SAMPLE and g.alpha.dtype == np.uint8
        # Tight: ink on every edge row and column of the mask.
        assert g.alpha[0].any() and g.alpha[-1].any() and g.alpha[:, 0].any() and g.alpha[:, -1].any()
        frame = on_frame(g)
        assert ink_box(frame) == (20 + g.dx, 10 + g.dy, 20 + g.dx + g.width, 10 + g.dy + g.height)
        assert 6 <= g.height <= 32 and g.width > 5 * g.height  # a line of text, not a dot or a block
        ascent, descent = line_metrics(name, 16)
        assert 8 <= ascent <= 20 and 0 <= descent <= 10


@pytest.mark.parametrize("name", [f.name for f in faces_by_technology("ttf")])
def test_truetype_faces_match_pillow_drawing_on_a_canvas(name):
    face = get_face(name)
    assert isinstance(face, TrueTypeFace)
    g = face.rasterise(SAMPLE, 16, True)
    canvas = Image.new("L", (g.width + 60, g.height + 40), 0)
    ImageDraw.Draw(canvas).text((20, 10), SAMPLE, font=face.font(16), fill=255, anchor="la")
    drawn = np.asarray(canvas)
    assert ink_box(drawn) == (20 + g.dx, 10 + g.dy, 20 + g.dx + g.width, 10 + g.dy + g.height)
    assert np.array_equal(drawn[10 + g.dy:10 + g.dy + g.height, 20 + g.dx:20 + g.dx + g.width], g.alpha)


def test_variable_fonts_are_set_to_their_named_weight():
    regular = rasterise(SAMPLE, "ttf:roboto", 16, True)
    bold = rasterise(SAMPLE, "ttf:roboto-bold", 16, True)
    assert int(bold.alpha.sum()) > 1.3 * int(regular.alpha.sum())


@pytest.mark.parametrize("name", [f.name for f in faces_by_technology("bitmap")])
def test_bitmap_faces_are_binary_and_scale_by_whole_pixels(name):
    small = rasterise(SAMPLE, name, 8, True)
    big = rasterise(SAMPLE, name, 16, True)
    for g in (small, big):
        assert set(np.unique(g.alpha).tolist()) == {0, 255}
    # 16 px is the 8 px drawing with every pixel doubled.
    assert np.array_equal(big.alpha, np.repeat(np.repeat(small.alpha, 2, axis=0), 2, axis=1))
    spaced = rasterise(SAMPLE, name, 8, False, 2)
    assert spaced.width == small.width + 2 * (len(SAMPLE) - 1)


@pytest.mark.parametrize("name", [f.name for f in faces_by_technology("stroke")])
def test_stroke_faces_ink_scales_with_size(name):
    g16 = rasterise(SAMPLE, name, 16, False)
    g32 = rasterise(SAMPLE, name, 32, False)
    assert set(np.unique(g16.alpha).tolist()) == {0, 255}
    assert 1.85 < g32.width / g16.width < 2.15 and 1.7 < g32.height / g16.height < 2.3
    ink16, ink32 = int((g16.alpha > 0).sum()), int((g32.alpha > 0).sum())
    assert 2.5 < ink32 / ink16 < 6  # twice as long strokes, about twice as wide a pen
    aa = rasterise(SAMPLE, name, 16, True)
    assert ((aa.alpha > 0) & (aa.alpha < 255)).any()  # anti-aliased edges


@pytest.mark.parametrize("name", list(FACES))
def test_coverage_reports_exactly_what_the_face_cannot_draw(name):
    face = get_face(name)
    reported = missing_glyphs(name, "Göteborg Łódź")
    assert reported == face.missing("Göteborg Łódź")
    assert set(reported) <= set("öŁóźd") and "G" not in reported
    for ch in "öŁ":
        if ch in reported:
            # A face that lacks it draws nothing for it (never a tofu box standing in for the letter).
            with pytest.raises(EmptyInkError):
                rasterise(ch, name, 16, True)
        else:
            # A face that has it draws the mark: not the base letter's pixels.
            base = rasterise({"ö": "o", "Ł": "L"}[ch], name, 16, True)
            marked = rasterise(ch, name, 16, True)
            assert marked.alpha.shape != base.alpha.shape or not np.array_equal(marked.alpha, base.alpha)
            if ch == "ö":
                assert marked.height > base.height  # the diaeresis above
    if face.technology == "stroke":
        assert reported == "óöŁź"  # ASCII only
    assert face.missing("Hamburg 12/05/2026 ID 123") == ""


@pytest.mark.parametrize("name", ["ttf:roboto", "ttf:arimo", "stroke:futural"])
def test_letter_spacing_widens_the_line(name):
    plain = rasterise(SAMPLE, name, 16, True)
    spaced = rasterise(SAMPLE, name, 16, True, 2)
    extra = spaced.width - plain.width
    assert 2 * (len(SAMPLE) - 1) - 3 <= extra <= 2 * (len(SAMPLE) - 1) + 3


def test_dejavu_names_render_byte_identically():
    h = hashlib.sha256()
    for name in LEGACY_FACES:
        for size in (9, 12, 16, 23):
            for aa in (True, False):
                for t in ("Hamburg 12/05/2026 ID 123", "Müller-Lüdenscheid, Zoë", "Frq 3.5MHz Gn 60 DR 72"):
                    g = rasterise(t, name, size, aa)
                    h.update(f"{name}|{size}|{aa}|{t}|{g.dx}|{g.dy}|{g.alpha.shape}|".encode())
                    h.update(g.alpha.tobytes())
            h.update(repr(line_metrics(name, 16)).encode())
    assert h.hexdigest() == DEJAVU_HASH
    # The same files as faces draw the same pixels.
    assert np.array_equal(rasterise(SAMPLE, "ttf:dejavu-sans", 16, True).alpha,
                          rasterise(SAMPLE, "DejaVuSans", 16, True).alpha)


def test_style_accepts_face_names():
    style = Style(font="stroke:futural", size=16, antialias=True, colour_name="white", rgb=(255, 255, 255))
    ascent, descent = line_metrics("stroke:futural", 16)
    assert style.line_height == ascent + descent + 3
    assert missing_glyphs("bitmap:cp437-8x8", "Zoë Øster") == "Ø"


@pytest.mark.parametrize("name", list(FACES))
def test_layouts_place_lines_of_every_face_without_overlap(name):
    """A block of three lines laid out with the face: boxes are the drawn ink and lines do not touch."""
    style = Style(font=name, size=14, antialias=True, colour_name="white", rgb=(255, 255, 255))
    texts = ["Hamburg ID 123", "12/05/2026 14:03:27", "Frq 3.5MHz Gn 60 jpqy"]
    lines = [TextLine([static_run("institution", t, 1)]) for t in texts]
    boxes = place(Block("top_left", lines, 10, 10, style))
    frame = np.zeros((1, 200, 400), dtype=np.uint8)
    expected = np.zeros((200, 400), dtype=bool)
    for b in boxes:
        composite(frame, b.glyphs.alpha, b.x0, b.y0, (255,), 0, 1)
        expected[b.y0:b.y1, b.x0:b.x1] |= b.glyphs.alpha > 0
    assert np.array_equal(frame[0] > 0, expected)
    for upper, lower in zip(boxes, boxes[1:], strict=False):
        assert upper.y1 <= lower.y0, (upper.state.text, lower.state.text)
    assert min(b.y0 for b in boxes) >= 10 - 1


@pytest.mark.parametrize("name, antialias, spacing", [
    ("ttf:roboto", True, 0), ("ttf:dejavu-sans", False, 0),
    ("stroke:futural", False, 0), ("stroke:timesr", True, 0),
    ("bitmap:pil-courb08", False, 1),
])
def test_tesseract_reads_a_16px_line_of_each_technology(name, antialias, spacing):
    g = rasterise(SAMPLE, name, 16, antialias, spacing)
    frame = on_frame(g, 4, 4)
    read = TesseractBackend().read_line(frame).text
    assert edit_distance(read, SAMPLE) <= 1, read


def test_a_glyph_of_another_shape_is_not_covered():
    """rowmand draws "^" as an up arrow: the face reports it missing (the ground truth would say "^")."""
    assert get_face("stroke:rowmand").missing("DOE^JANE") == "^"
    assert get_face("stroke:futural").missing("DOE^JANE") == ""
