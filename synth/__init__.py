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

__all__ = ["ConfigError", "DatasetSummary", "GenerateConfig", "generate", "__version__"]


def __getattr__(name: str):
    """``generate`` and ``DatasetSummary`` load the rendering stack on first use (fast command start-up)."""
    if name in ("generate", "DatasetSummary"):
        import importlib

        module = importlib.import_module(f"{__name__}.generation")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
