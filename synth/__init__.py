"""Synthetic ultrasound DICOM datasets with burned-in and hidden fake PHI, and exact ground truth.

Python API::

    from phiphantom.synth import GenerateConfig, generate
    summary = generate(GenerateConfig(out="data", patients=20, seed=7))
"""

from __future__ import annotations

from phiphantom.core import __version__

from .config import ConfigError, GenerateConfig

#: Names loaded on first use (the rendering and validation stacks): name -> module in this package.
_LAZY = {
    "generate": ".generation", "DatasetSummary": ".generation",
    "validate_dataset": ".validate", "ValidationReport": ".validate", "ValidationError": ".validate",
}

__all__ = sorted(["ConfigError", "GenerateConfig", "__version__", *_LAZY])


def __getattr__(name: str):
    """``generate`` and validation load their stacks on first use (fast command start-up)."""
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name], __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
