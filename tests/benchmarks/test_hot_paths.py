"""pytest-benchmark micro-benchmarks of the hot paths (not part of the CI pass/fail: skipped by default).

Run them with::

    python -m pytest tests/benchmarks -o addopts="" --benchmark-only

``test_scorer_frames_per_second`` is the scorer speed figure of docs/metrics.md: decoding
input and output (native 640x480 cines, half grey half RGB) and scoring every box and the image area,
one process).
"""

from __future__ import annotations

import numpy as np
import pytest

from phiphantom.benchmark.dataset import load_dataset
from phiphantom.benchmark.pixel_metrics import decode_luma, score_pixels
from phiphantom.synth import GenerateConfig, generate
from phiphantom.synth.file_job import compose_job
from phiphantom.synth.plan import plan_dataset
from phiphantom.synth.sources import open_source
from phiphantom.synth.text_raster import rasterise


@pytest.fixture(scope="module")
def cine_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-cines")
    config = GenerateConfig(out=out, patients=4, files_per_study=(2, 2), cine_fraction=1.0, frames=(40, 40),
                            sizes=((640, 480),), jpeg_fraction=0.0, rgb_fraction=0.5, seed=1, workers=1, validate=False)
    generate(config)
    return load_dataset(out), config


def test_scorer_frames_per_second(benchmark, cine_dataset):
    ds, _ = cine_dataset
    files = [(f, ds.masks(f)) for f in ds.files]

    def score_all():
        for truth, masks in files:
            inp = decode_luma(ds.root / truth.relpath)
            out = decode_luma(ds.root / truth.relpath)  # the output decode is part of the scorer's work
            out[:, :40, :200] = 0                        # something to score
            score_pixels(inp, out, truth.boxes, masks)

    benchmark.pedantic(score_all, rounds=3, iterations=1)
    frames = sum(f.entry["frames"] for f, _ in files)
    fps = frames / benchmark.stats.stats.mean
    benchmark.extra_info["frames"] = frames
    benchmark.extra_info["frames_per_second"] = round(fps, 1)
    print(f"\nscorer: {frames} frames of 640x480 in {benchmark.stats.stats.mean:.3f} s = {fps:.0f} frames/s"
          " (one process)")


def test_compose_one_cine(benchmark, cine_dataset):
    _, config = cine_dataset
    _, jobs = plan_dataset(config, open_source(config.source))
    benchmark(lambda: compose_job(jobs[0]))


def test_rasterise_uncached(benchmark):
    counter = iter(range(10**9))
    benchmark(lambda: rasterise(f"DOE, JOHN {next(counter)}", "DejaVuSans", 14, True))


def test_decode_luma_rgb(benchmark, tmp_path):
    out = tmp_path / "rgb"
    generate(GenerateConfig(out=out, patients=1, files_per_study=(1, 1), cine_fraction=1.0, frames=(20, 20),
                            sizes=((640, 480),), jpeg_fraction=0.0, rgb_fraction=1.0, seed=2, workers=1,
                            validate=False))
    path = next((out / "dicom").rglob("*.dcm"))
    result = benchmark(decode_luma, path)
    assert result.shape == (20, 480, 640) and result.dtype == np.uint8
