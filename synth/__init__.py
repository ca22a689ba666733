"""Synthetic ultrasound DICOM datasets with burned-in and hidden fake PHI, and exact ground truth.

Python API::

    from phiphantom.synth import GenerateConfig, generate
    summary = generate(GenerateConfig(out="data", patients=20, seed=7))
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("phiphantom")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from .config import ConfigError, GenerateConfig  # noqa: E402
from .generate import DatasetSummary, generate  # noqa: E402

__all__ = ["ConfigError", "DatasetSummary", "GenerateConfig", "generate", "__version__"]
