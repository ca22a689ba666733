"""Shared fixtures: small generated datasets (built once per session, real files on disk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phiphantom.synth import GenerateConfig, generate

from .helpers import small_config


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


@pytest.fixture(scope="session")
def engine_dataset(tmp_path_factory) -> Path:
    """Hard difficulty, 6 files: grey and YBR JPEG, RGB and grey cines, PHI in some file names."""
    out = tmp_path_factory.mktemp("engines-ds")
    generate(GenerateConfig(out=out, patients=3, files_per_study=(2, 2), frames=(2, 4), cine_fraction=0.4,
                            jpeg_fraction=0.4, difficulty="hard", phi_filename_fraction=0.5, validate=False,
                            workers=1, seed=8, progress=False))
    return out
