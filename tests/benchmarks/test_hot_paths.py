"""pytest-benchmark micro-benchmarks of the hot paths; each also checks what it measured is right.

The plain ``pytest`` run (README, CI) runs every benchmark once as an ordinary test, benchmarking off
(``--benchmark-disable`` in pyproject's ``addopts``), on inputs shrunk to keep CI fast. Measure with::

    python -m pytest tests/benchmarks --benchmark-enable --benchmark-only

``test_scorer_frames_per_second`` is the scorer speed figure of docs/metrics.md: decoding
input and output (native 640x480 cines, half grey half RGB) and scoring every box and the image area,
one process).
"""

from __future__ import annotations

import numpy as np
import pytest

from phiphantom.benchmark.dataset import load_dataset
from phiphantom.benchmark.pixel_metrics import PixelFileScore, decode_luma, score_pixels
from phiphantom.synth import GenerateConfig, generate
from phiphantom.synth.file_job import compose_job
from phiphantom.synth.plan import plan_dataset
from phiphantom.synth.sources import open_source
from phiphantom.synth.sources.procedural import ProceduralSource
from phiphantom.synth.text_raster import rasterise

BLACKED_W, BLACKED_H = 200, 40  # the scorer benchmark's "engine" blacks out the top-left 200x40 pixels


@pytest.fixture(scope="module")
def cine_dataset(tmp_path_factory, benchmarking):
    out = tmp_path_factory.mktemp("bench-cines")
    patients, frames = (4, 40) if benchmarking else (1, 4)  # run once in CI: a small set
    config = GenerateConfig(out=out, patients=patients, files_per_study=(2, 2), cine_fraction=1.0,
                            frames=(frames, frames), sizes=((640, 480),), jpeg_fraction=0.0, rgb_fraction=0.5,
                            seed=1, workers=1, validate=False)
    generate(config)
    return load_dataset(out), config


def test_scorer_frames_per_second(benchmark, cine_dataset):
    ds, _ = cine_dataset
    files = [(f, ds.masks(f)) for f in ds.files]

    def score_all() -> list[PixelFileScore]:
        scores = []
        for truth, masks in files:
            inp = decode_luma(ds.root / truth.relpath)
            out = decode_luma(ds.root / truth.relpath)  # the output decode is part of the scorer's work
            out[:, :BLACKED_H, :BLACKED_W] = 0           # something to score
            scores.append(score_pixels(inp, out, truth.boxes, masks))
        return scores

    scores = benchmark.pedantic(score_all, rounds=3, iterations=1)
    untouched = 0
    for (truth, _), score in zip(files, scores, strict=True):
        assert not score.error and len(score.boxes) == len(truth.boxes), truth.label
        for row, box in zip(truth.boxes, score.boxes, strict=True):
            x, y, w, h = row.bbox
            assert box.frames == len(row.frames)
            if x + w <= BLACKED_W and y + h <= BLACKED_H and row.phi:
                assert box.frames_ok == box.frames, (truth.label, row.box_id)  # flat-filled: removed
            elif x >= BLACKED_W or y >= BLACKED_H:  # left as it was: PHI kept, clinical text preserved
                untouched += 1
                assert box.frames_ok == (0 if row.phi else box.frames), (truth.label, row.box_id)
    assert untouched > 0
    frames = sum(f.entry["frames"] for f, _ in files)
    if benchmark.enabled:
        fps = frames / benchmark.stats.stats.mean
        benchmark.extra_info["frames"] = frames
        benchmark.extra_info["frames_per_second"] = round(fps, 1)
        print(f"\nscorer: {frames} frames of 640x480 in {benchmark.stats.stats.mean:.3f} s = {fps:.0f} frames/s"
              " (one process)")


def test_compose_one_cine(benchmark, cine_dataset):
    _, config = cine_dataset
    _, jobs = plan_dataset(config, open_source(config.source))
    job = jobs[0]
    comp, failed = benchmark(lambda: compose_job(job))
    assert comp is not None and comp.ok and not failed
    assert comp.frames.shape[:3] == (job.source_ref.n_frames, job.height, job.width)
    assert comp.frames.dtype == np.uint8 and comp.boxes


def test_rasterise_uncached(benchmark):
    counter = iter(range(10**9))
    glyphs = benchmark(lambda: rasterise(f"DOE, JOHN {next(counter)}", "DejaVuSans", 14, True))
    assert glyphs.text.startswith("DOE, JOHN ") and glyphs.alpha.dtype == np.uint8
    assert 8 <= glyphs.height <= 24 and glyphs.width > 5 * glyphs.height
    ink = glyphs.alpha > 0  # cropped to its ink: every edge row and column holds some
    assert ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any()


def test_procedural_cine_render(benchmark, benchmarking):
    frames = 30 if benchmarking else 4
    source = ProceduralSource("")
    ref = source.plan(np.random.default_rng(9), True, frames)
    source.render(ref, 640, 480, "grey")  # warm-up (imports, cv2 thread pool)
    out = benchmark(source.render, ref, 640, 480, "grey")
    assert np.asarray(out.frames).shape == (frames, 480, 640) and out.image_mask.shape == (480, 640)
    assert 20 < np.asarray(out.frames)[:, out.image_mask].mean() < 100  # a lit scan, not a blank canvas


def test_decode_luma_rgb(benchmark, tmp_path, benchmarking):
    out = tmp_path / "rgb"
    frames = 20 if benchmarking else 3
    generate(GenerateConfig(out=out, patients=1, files_per_study=(1, 1), cine_fraction=1.0, frames=(frames, frames),
                            sizes=((640, 480),), jpeg_fraction=0.0, rgb_fraction=1.0, seed=2, workers=1,
                            validate=False))
    path = next((out / "dicom").rglob("*.dcm"))
    result = benchmark(decode_luma, path)
    assert result.shape == (frames, 480, 640) and result.dtype == np.uint8
