"""What every part of PHI Phantom shares: the version, executors and the supervised worker pool,
progress display and CLI text helpers, OCR backends, the PS3.15 Annex E table, one luma formula,
the no-values-in-messages helper, package names imported on first use (``lazy.py``),
the data contracts the generator writes and the benchmark reads (``ground_truth.py``: the gt/*.csv
rows; ``detections.py``: detected boxes and detections.csv rows) and the names more than one part uses.

``phiphantom.core`` imports none of the other parts (``synth``, ``deid``, ``benchmark``, ``cli``);
they all import it (``tests/test_import_direction.py`` checks it, ``docs/architecture.md`` explains it).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("phiphantom")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
