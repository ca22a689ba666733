"""The rotated (vertical) clinical word of a style pack gets the checks every other word gets (issue 14 review).

It is drawn in the file's case (``[typography] case``) and in a face that has its letters: a pack whose
heaviest face is an ASCII-only stroke face and whose wording holds an accented word draws that word in
another of its faces, never as tofu. Real frames are composed with the pack composer.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from phiphantom.synth.config import GenerateConfig
from phiphantom.synth.fonts import missing_glyphs
from phiphantom.synth.plan import pack_identity, plan_dataset
from phiphantom.synth.sources import open_source
from phiphantom.synth.styles import StylePack, get_pack
from phiphantom.synth.styles.compose_pack import compose_from_pack
from phiphantom.synth.styles.schema import FontChoice

ACCENTED = "Ödem"


def _pack() -> StylePack:
    """cart-general-a drawing a vertical word in every file, upper case, mostly in an ASCII-only stroke face,
    English names, and one accented word among its modes (the file's own mode only now and then)."""
    base = get_pack("cart-general-a")
    return replace(base, layout=replace(base.layout, vertical_text_p=1.0),
                   typography=replace(base.typography, case={"upper": 1.0},
                                      fonts=(FontChoice("stroke:timesr", 50.0), FontChoice("ttf:dejavu-serif", 1.0))),
                   phi=replace(base.phi, locales={"en_GB": 1.0}),
                   clinical=replace(base.clinical, annotations=("Liver", "Kidney"), presets=("Abd",),
                                    modes=("B", "M", "PW", "CW", ACCENTED)))


@pytest.fixture(scope="module")
def vertical_boxes() -> list[tuple[str, str, str]]:
    """(text, face, faces of the file's other clinical words) of every vertical word over 24 composed files."""
    pack, found = _pack(), []
    for seed in range(24):
        config = GenerateConfig(patients=1, files_per_study=(1, 1), cine_fraction=0.0, sizes=((480, 360),),
                                seed=seed, workers=1, validate=False)
        source = open_source(config.source)
        job = plan_dataset(config, source)[1][0]
        job = replace(job, identity=pack_identity(job.identity, pack, seed), style=pack.name)
        comp = compose_from_pack(job, source, pack, 0)
        others = {b.style.font for b in comp.boxes if not b.run.is_phi and b.region != "vertical"}
        found += [(b.state.text, b.style.font, ",".join(sorted(others))) for b in comp.boxes if b.region == "vertical"]
    return found


def test_the_vertical_word_is_in_the_file_s_case(vertical_boxes):
    assert len(vertical_boxes) >= 12
    assert all(text == text.upper() for text, _, _ in vertical_boxes)
    assert {text for text, _, _ in vertical_boxes} <= {"LIVER", "KIDNEY", "ABD", "B", "M", "PW", "CW", ACCENTED.upper()}


def test_the_vertical_word_is_drawn_in_a_face_that_has_its_letters(vertical_boxes):
    assert all(missing_glyphs(face, text) == "" for text, face, _ in vertical_boxes)
    # the accented word where the file's other words are in the ASCII-only stroke face: another face draws it
    swapped = [face for text, face, others in vertical_boxes if text == ACCENTED.upper() and others == "stroke:timesr"]
    assert swapped and set(swapped) == {"ttf:dejavu-serif"}
