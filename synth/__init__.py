"""Synthetic ultrasound DICOM datasets with burned-in and hidden fake PHI, and exact ground truth.

Python API::

    from phiphantom.synth import GenerateConfig, generate
    summary = generate(GenerateConfig(out="data", patients=20, seed=7))
"""

from __future__ import annotations

# `name as name`: an explicit re-export (the names are in the computed __all__ below).
from phiphantom.core import __version__ as __version__
from phiphantom.core.lazy import lazy_exports

from .config import ConfigError as ConfigError
from .config import GenerateConfig as GenerateConfig

#: Names loaded on first use (the rendering and validation stacks): name -> module in this package.
_LAZY = {
    "generate": ".generation", "DatasetSummary": ".generation",
    "validate_dataset": ".validate", "ValidationReport": ".validate", "ValidationError": ".validate",
}

__all__ = sorted(["ConfigError", "GenerateConfig", "__version__", *_LAZY])

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
