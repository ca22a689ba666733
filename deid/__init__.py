"""De-identification of DICOM files: PS3.15 Annex E headers with keyed pseudonyms, burned-in text in every frame.

Python API (``docs/api.md``)::

    from phiphantom.deid import Deidentifier, deidentify, save

    ds = deidentify(ds, key=key)                        # one Dataset, in memory (changed in place)
    engine = Deidentifier(key=key, policy="strict")     # reusable; loads OCR once
    result = engine.run(ds)                              # .dataset, .actions, .boxes
    save(result.dataset, "out.dcm")                      # the bytes `phiphantom deid` writes

    summary = deid_batch("in/", "out/", key_file="key.txt")   # a folder, like `phiphantom deid IN OUT`

Names are imported on first use, so ``import phiphantom.deid`` (and the command line) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phiphantom.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .api import DeidResult, Deidentifier, deidentify, encode, save
    from .batch import BatchSummary, BatchUsageError, RunAborted, deid_batch
    from .header_deid import DeidError, DeidOptions
    from .keys import DeidKeyError, load_key
    from .pipeline import DeidConfig, deidentify_file, read_dicom
    from .pixels.config import PixelConfig
    from .structure import FileRejected

#: Public name -> the module (relative to this package) that defines it.
_WHERE = {
    "Deidentifier": ".api", "DeidResult": ".api", "deidentify": ".api", "encode": ".api", "save": ".api",
    "DeidConfig": ".pipeline", "deidentify_file": ".pipeline", "read_dicom": ".pipeline",
    "DeidOptions": ".header_deid", "DeidError": ".header_deid",
    "PixelConfig": ".pixels.config",
    "DeidKeyError": ".keys", "load_key": ".keys",
    "FileRejected": ".structure",
    "deid_batch": ".batch", "BatchSummary": ".batch", "BatchUsageError": ".batch",
    "RunAborted": ".batch",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals(), __all__)
