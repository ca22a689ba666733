"""Shared fixtures: small generated datasets (built once per session, real files on disk)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from phiphantom.synth import GenerateConfig, generate

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pocus-ccby"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def small_config(out: Path, **overrides) -> GenerateConfig:
    """A quick dataset that still has cines, JPEG, RGB and grey files, non-square frames."""
    settings = dict(out=out, patients=4, files_per_study=(3, 3), cine_fraction=0.5, frames=(3, 6),
                    sizes=((640, 480), (800, 600)), jpeg_fraction=0.35, rgb_fraction=0.5, seed=11,
                    workers=1, validate=False)
    settings.update(overrides)
    return GenerateConfig(**settings)


def _made(tmp_path_factory, name: str, **overrides) -> tuple[Path, GenerateConfig]:
    out = tmp_path_factory.mktemp(name)
    config = small_config(out, **overrides)
    generate(config)
    return out, config


@pytest.fixture(scope="session")
def hard_dataset(tmp_path_factory) -> tuple[Path, GenerateConfig]:
    """Hard difficulty (every hidden PHI location kind) with PHI in some file names."""
    return _made(tmp_path_factory, "hard", difficulty="hard", phi_filename_fraction=0.5)


@pytest.fixture(scope="session")
def realistic_dataset(tmp_path_factory) -> tuple[Path, GenerateConfig]:
    return _made(tmp_path_factory, "realistic", difficulty="realistic", seed=5)


def manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def engine_dataset(tmp_path_factory) -> Path:
    """Hard difficulty, 6 files: grey and YBR JPEG, RGB and grey cines, PHI in some file names."""
    out = tmp_path_factory.mktemp("engines-ds")
    generate(GenerateConfig(out=out, patients=3, files_per_study=(2, 2), frames=(2, 4), cine_fraction=0.4,
                            jpeg_fraction=0.4, difficulty="hard", phi_filename_fraction=0.5, validate=False,
                            workers=1, seed=8, progress=False))
    return out
