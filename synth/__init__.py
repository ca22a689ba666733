"""Synthetic ultrasound DICOM datasets with burned-in and hidden fake PHI, and exact ground truth.

Python API::

    from phiphantom.synth import GenerateConfig, generate
    summary = generate(GenerateConfig(out="data", patients=20, seed=7))
"""

from __future__ import annotations

from phiphantom.core import __version__

from .config import ConfigError, GenerateConfig

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
