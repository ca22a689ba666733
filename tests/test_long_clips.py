"""Real clips are long (lung POCUS: 100-500 frames): nothing in the pixel engine may depend on clips being short."""

from __future__ import annotations

import time

import pytest

from phiphantom.benchmark.dataset import load_dataset
from phiphantom.benchmark.pixel_metrics import score_pixels
from phiphantom.deid.pixels.image_area import background_frames
from phiphantom.synth import generate

from .helpers import deid_pixels, display_luma, reread, small_config


def test_background_frames_are_spread_and_bounded():
    assert list(background_frames(5)) == [0, 1, 2, 3, 4]
    frames = background_frames(250)
    assert len(frames) == 16 and frames[0] == 0 and frames[-1] == 249
    assert all(b > a for a, b in zip(frames, frames[1:], strict=False))


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory):
    out = tmp_path_factory.mktemp("long-clips")
    # clips this long once lost their clock (all its states drawn over each other on a small plate did not
    # look plain) and had the fan's rim searched for text (the minimum of speckle over all frames is black)
    generate(small_config(out, patients=2, files_per_study=(1, 1), cine_fraction=1.0, frames=(150, 150),
                          sizes=((640, 480),), jpeg_fraction=0.0, seed=41))
    return load_dataset(out)


def test_every_phi_box_of_a_long_clip_is_removed_on_every_frame_and_damage_stays_under_0_1_percent(long_clips):
    ds = long_clips
    damaged = image = 0
    for truth in ds.files:
        assert truth.entry["frames"] == 150
        started = time.perf_counter()
        result = deid_pixels(ds.root / truth.relpath)
        assert time.perf_counter() - started < 120  # a hang guard (about 5 s a clip on a loaded 2-core machine)
        assert result.pixels.verified
        import pydicom

        inp = display_luma(pydicom.dcmread(ds.root / truth.relpath))
        score = score_pixels(inp, display_luma(reread(result.dataset)), truth.boxes, ds.masks(truth))
        missed = [(row["phi_category"], box.frames - box.frames_ok)
                  for row, box in zip(truth.boxes, score.boxes, strict=False) if row["is_phi"] == "1" and not box.ok]
        assert not missed, f"{truth.label}: PHI left on frames: {missed}"
        damaged += score.damaged_pixels
        image += score.image_pixels
    assert damaged / image < 0.001, f"image damage {damaged / image:.2%}"  # the goal: 0.1%


def test_a_frame_counter_of_this_clip_is_clinical_at_any_confidence():
    from phiphantom.deid.pixels.classify import Classifier, HeaderValues

    long_clip = Classifier(HeaderValues(), "strict", frames=150)
    for text in ("12/150", "Fr 12/150", "Frame 150 / 150"):
        decision = long_clip.decide(text, confidence=30.0)  # Tesseract is often unsure of "6/102"
        assert (decision.redact, decision.text_kind) == (False, "frame-counter"), text
    for text in ("151/150", "Smith 12/150"):
        assert long_clip.decide(text).redact, text  # not a counter of this clip, or not only a counter
    assert Classifier(HeaderValues(), "strict", frames=12).decide("5/12").redact  # may be a date


def test_a_small_patch_of_moving_speckle_beside_the_fan_is_image_but_static_text_is_not():
    import numpy as np
    from PIL import Image, ImageDraw

    from phiphantom.deid.pixels.image_area import estimate_image_mask
    from phiphantom.synth.fonts import load_font

    rng = np.random.default_rng(3)
    t, h, w = 40, 300, 400
    stack = np.zeros((t, h, w), dtype=np.uint8)
    stack[:, 40:260, 150:390] = np.clip(rng.gamma(2.0, 40.0, size=(t, 220, 240)), 0, 255)  # the main view
    stack[:, 60:140, 20:60] = np.clip(rng.gamma(2.0, 40.0, size=(t, 80, 40)), 0, 255)      # a 1.1% strip
    text = Image.new("L", (w, h), 0)
    ImageDraw.Draw(text).text((10, 200), "Ospedale di Verona 12/05/2019", fill=220, font=load_font("DejaVuSans", 14))
    stack[:] = np.maximum(stack, np.asarray(text))
    mask = estimate_image_mask(stack)
    assert mask[100, 40] and mask[150, 270], "both speckle patches are image"
    assert not mask[205:220, 10:140].any(), "static text is never image"


def test_a_changing_region_on_the_image_is_not_read_as_a_clock():
    import numpy as np

    from phiphantom.deid.pixels.detect import over_image

    image = np.zeros((100, 200), dtype=bool)
    image[40:, 60:] = True                            # the fan (its under-estimated far field)
    assert not over_image(image, (0, 0, 50, 20))     # a clock in the corner: off the image
    assert over_image(image, (40, 30, 90, 60))       # speckle moving at the fan's rim
    assert not over_image(None, (40, 30, 90, 60))    # no image mask: every region is looked at


def _counter_clip(frames: int, unreadable_frame: int):
    """A black screen whose frame counter "k/N" changes every frame; on one frame it is smeared (ink
    where text is, that OCR cannot read: unreadable)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    from phiphantom.synth.fonts import load_font

    font = load_font("DejaVuSans", 16)
    view = np.zeros((frames, 60, 220), dtype=np.uint8)
    for t in range(frames):
        canvas = Image.new("L", (220, 60), 0)
        if t == unreadable_frame:  # a long smear: wide enough that balanced does not keep it as a short mark
            ImageDraw.Draw(canvas).text((30, 20), f"88888888/{frames}", fill=230, font=font)
            canvas = canvas.filter(ImageFilter.GaussianBlur(2.5)).point(lambda v: min(255, 3 * v))
        else:
            ImageDraw.Draw(canvas).text((30, 20), f"{t + 1}/{frames}", fill=230, font=font)
        view[t] = np.asarray(canvas)
    return view


@pytest.mark.parametrize("policy", ["strict", "balanced"])
def test_one_odd_state_of_a_long_counter(policy):
    import numpy as np

    from phiphantom.core.ocr import CachingOCR, TesseractBackend
    from phiphantom.deid.pixels.classify import Classifier, HeaderValues
    from phiphantom.deid.pixels.detect import detect_text

    frames = 40
    view = _counter_clip(frames, unreadable_frame=7)
    search = np.ones(view.shape[1:], dtype=bool)
    boxes = detect_text(view, search, Classifier(HeaderValues(), policy, frames=frames), CachingOCR(TesseractBackend()))
    redacted = [b for b in boxes if b.decision.redact]
    covered = np.zeros(frames, dtype=bool)
    for b in redacted:
        covered[b.frame_start:b.frame_end] = True
    # the smear is redacted on its own frame under strict (unreadable) and may stay under balanced (a mark of
    # unknown meaning); it says nothing about the other 39 states, which stay under both policies
    assert covered[7] or policy == "balanced"
    assert not covered[np.arange(frames) != 7].any()
    kinds = {b.decision.text_kind for b in boxes if b.frame_start != 7}
    assert kinds == {"frame-counter"}, kinds
