"""Issue 12, benchmark validity: undecodable outputs score as failures (item 13)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from phiphantom.benchmark.bench import run_bench
from phiphantom.synth import GenerateConfig, generate

HIGHER_BETTER = ("box_recall", "frame_recall", "clinical_preservation", "tag_coverage", "conformance",
                 "required_retained", "midi_b_score", "valid_files", "pseudonym_consistency", "uid_consistency")
LOWER_BETTER = ("image_damage", "leaks", "files_with_leaks", "files_failed")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """4 small files (cine and single frame, some JPEG), every hidden PHI location kind, PHI in some names."""
    out = tmp_path_factory.mktemp("i12-bench-data")
    generate(GenerateConfig(out=out, patients=2, files_per_study=(2, 2), frames=(2, 3), cine_fraction=0.5,
                            sizes=((320, 240),), jpeg_fraction=0.3, difficulty="hard", phi_filename_fraction=0.5,
                            validate=False, workers=1, seed=3, progress=False))
    return out


def _script(folder: Path, name: str, body: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture(scope="module")
def damaged_outputs(tiny, tmp_path_factory):
    """One bench run: engines writing random bytes, nothing, a truncated copy, and a plain copy (null)."""
    tools = tmp_path_factory.mktemp("i12-tools")
    random_bytes = _script(tools, "random.sh", 'head -c 6000 /dev/urandom > "$2"')
    nothing = _script(tools, "nothing.sh", "exit 0")
    truncated = _script(tools, "truncated.sh", 'n=$(wc -c < "$1"); head -c $((n / 2)) "$1" > "$2"')
    head_only = _script(tools, "head.sh", 'head -c 1500 "$1" > "$2"')  # cut inside the header
    engines = [f"random=cmd:{random_bytes} {{in}} {{out}}", f"nothing=cmd:{nothing} {{in}} {{out}}",
               f"truncated=cmd:{truncated} {{in}} {{out}}", f"head=cmd:{head_only} {{in}} {{out}}", "null"]
    results = run_bench(tiny, engines, tmp_path_factory.mktemp("i12-results") / "r", workers=1, ocr=False)
    return {e["name"]: e for e in results["engines"]}


@pytest.mark.parametrize("name", ["random", "truncated", "head"])
def test_an_undecodable_output_is_a_failed_file_scored_no_better_than_no_output(damaged_outputs, name):
    """Issue 12 item 13: random bytes / a cut copy count as failed files and score at least as badly as no output."""
    files = damaged_outputs["null"]["counts"]["files"]
    bad, missing = damaged_outputs[name]["metrics"], damaged_outputs["nothing"]["metrics"]
    assert missing["files_failed"] == files
    assert bad["files_failed"] == files, f"{name}: undecodable outputs must count as failed files"
    assert bad["valid_files"] == 0.0 and bad["tag_coverage"] == 0.0 and bad["box_recall"] == 0.0
    assert bad["leaks"] >= missing["leaks"] > 0, f"{name}: fewer leaks than an engine that wrote nothing"
    assert bad["files_with_leaks"] == files
    for metric in HIGHER_BETTER:
        if missing[metric] is not None:
            assert bad[metric] is not None and bad[metric] <= missing[metric], (name, metric)
    for metric in LOWER_BETTER:
        assert bad[metric] >= missing[metric], (name, metric)
    assert len(damaged_outputs[name]["errors"]) == files


def test_a_plain_copy_is_not_a_failure_but_leaks_as_much_as_no_output(damaged_outputs):
    """Issue 12 item 13: the control: a readable copy is no failed file; writing nothing is no better than it."""
    copy, missing = damaged_outputs["null"]["metrics"], damaged_outputs["nothing"]["metrics"]
    assert copy["files_failed"] == 0 and copy["valid_files"] == 1.0
    assert missing["leaks"] == copy["leaks"] and missing["tag_coverage"] == copy["tag_coverage"] == 0.0
    assert missing["required_retained"] == 0.0 < copy["required_retained"]  # writing nothing retains nothing
