"""A changing region that shows the number of its frame is a frame counter, in any language (issue 15).

Counters were recognised by their label ("Fr", "IMG") or as "k/N" with N the clip's frame count; other
devices label them otherwise ("Imm. 5", "Bild 5", "#5") and OCR misreads small counters ("Frl0", "1MG 11",
"25728" for 25/28). The number is now checked against the frame it is shown on.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pydicom.dataset import Dataset

from phiphantom.core.ocr import CachingOCR, TesseractBackend
from phiphantom.deid.pixels.classify import Classifier, HeaderValues
from phiphantom.deid.pixels.detect import detect_text
from phiphantom.synth.fonts import load_font

COUNTERS = [("Imm. 5", 4), ("Bild 5", 4), ("Fr5", 4), ("#5", 4), ("5", 4), ("5", 5), ("Frl0", 9), ("Frl", 0),
            ("FrS", 4), ("25728", 24), ("25/28", 24), ("16/28", 9), ("1MG 11", 10), ("N° 12", 11),
            ("5/48", 4), ("5/%", 4), ("5748", 4), ("11146", 10), ("5428", 4),
            ("10s28", 9), ("10528", 9)]  # count misread
NOT_COUNTERS = [("Imm. 5", 7), ("Qxzv wrtl", 0), ("Frll", 10), ("Bol", 0),
                ("12:05", 11), ("12/05", 11), ("5/13", 4), ("Anna Maria 5", 4), ("Imagenes 5", 4),
                ("Vol", 0), ("3 x 5", 4), ("Fr 5.5", 4), ("Fr 5/12", 4), ("123/28", 9),
                ("5/30", 4), ("5730", 4), ("5/%%%", 4), ("57480", 4), ("16/48", 9),  # a day; too long; not the frame
                ("Fr Im S", 4)]  # a lone slip only after a one-word label


@pytest.mark.parametrize(("text", "frame"), COUNTERS)
def test_a_number_that_is_the_frame_is_a_counter(text, frame):
    classifier = Classifier(HeaderValues(), "strict", frames=28, changing=True)
    assert classifier.frame_number(text, frame)
    decision = classifier.decide(text, confidence=20.0, frame=frame)
    assert (decision.redact, decision.text_kind) == (False, "frame-counter")


@pytest.mark.parametrize(("text", "frame"), NOT_COUNTERS)
def test_other_numbers_labels_and_times_are_not(text, frame):
    assert not Classifier(HeaderValues(), "strict", frames=28, changing=True).frame_number(text, frame)


def test_static_text_and_the_patients_own_name_are_never_frame_numbers():
    ds = Dataset()
    ds.PatientName = "Li^Wei"
    classifier = Classifier(HeaderValues.from_dataset(ds), "strict", frames=28)
    assert classifier.frame_number("Imm. 5", 4)
    assert not classifier.frame_number("Li 5", 4)      # the patient's name beside a number
    assert classifier.decide("Imm. 5").redact           # static text: no frame, no counter (unexplained label)
    assert not Classifier(HeaderValues(), frames=1).frame_number("1", 0)  # a still has no frame counter


def _clip(texts: list[str]) -> np.ndarray:
    """A black (T, 50, 200) clip showing ``texts[t]`` on frame t."""
    font = load_font("DejaVuSans", 15)
    view = np.zeros((len(texts), 50, 200), dtype=np.uint8)
    for t, text in enumerate(texts):
        canvas = Image.new("L", (200, 50), 0)
        ImageDraw.Draw(canvas).text((20, 15), text, fill=230, font=font)
        view[t] = np.asarray(canvas)
    return view


def _covered(view: np.ndarray, policy: str) -> np.ndarray:
    """The frames on which the bundled detection redacts anything of ``view``."""
    search = np.ones(view.shape[1:], dtype=bool)
    classifier = Classifier(HeaderValues(), policy, frames=view.shape[0])
    covered = np.zeros(view.shape[0], dtype=bool)
    for box in detect_text(view, search, classifier, CachingOCR(TesseractBackend())):
        if box.decision.redact:
            covered[box.frame_start:box.frame_end] = True
    return covered


@pytest.mark.parametrize("label", ["Imm.", "Bild", "Kuva"])
def test_a_counter_with_an_unknown_label_stays_on_every_frame_under_strict(label):
    covered = _covered(_clip([f"{label} {t + 1}" for t in range(12)]), "strict")
    assert covered.sum() <= 1, f"{label}: redacted on frames {np.flatnonzero(covered).tolist()}"  # one misread at most


def test_under_strict_a_changing_region_with_unexplained_states_goes_whole_unless_it_counts_frames():
    """A small clock read now as a cine clock ("10:23.4": clinical), now as noise, must not keep the
    frames it was read as clinical on; a counter (states read as their frame number) keeps its frames."""
    view = _clip([f"10:23.{t}" if t % 2 else "Qxzv wrtl" for t in range(8)])
    for policy, whole in (("strict", True), ("balanced", False)):
        covered = _covered(view, policy)
        assert covered.all() == whole, (policy, covered.tolist())


def test_one_state_equal_to_its_frame_by_chance_does_not_make_a_counter():
    """A clock's last digit equals its frame number now and then (one state in ten): under strict the region
    with unexplained states still goes whole; only a region read as its frame number on half its states counts."""
    covered = _covered(_clip(["6" if t == 5 else "Qxzv wrtl" for t in range(8)]), "strict")
    assert covered.all(), covered.tolist()
