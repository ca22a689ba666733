"""De-identification of DICOM files: PS3.15 Annex E headers with keyed pseudonyms, burned-in text in every frame.

Python API (``docs/api.md``)::

    from phiphantom.deid import Deidentifier, deidentify, save

    ds = deidentify(ds, key=key)                        # one Dataset, in memory (changed in place)
    engine = Deidentifier(key=key, policy="strict")     # reusable; loads OCR once
    result = engine.run(ds)                              # .dataset, .actions, .boxes
    save(result.dataset, "out.dcm")                      # the bytes `phiphantom deid` writes

    summary = deid_batch("in/", "out/", keys=KeySettings(key_file="key.txt"))   # like `phiphantom deid IN OUT`

Names are imported on first use, so ``import phiphantom.deid`` (and the command line) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phiphantom.core.lazy import lazy_exports

if TYPE_CHECKING:  # `name as name`: explicit re-exports (the names are in the computed __all__ below)
    from .api import Deidentifier as Deidentifier
    from .api import DeidResult as DeidResult
    from .api import deidentify as deidentify
    from .api import deidentify_file as deidentify_file
    from .api import encode as encode
    from .api import read_dicom as read_dicom
    from .api import save as save
    from .batch import BatchSummary as BatchSummary
    from .batch import BatchUsageError as BatchUsageError
    from .batch import DeidSettings as DeidSettings
    from .batch import ExecutionSettings as ExecutionSettings
    from .batch import KeySettings as KeySettings
    from .batch import OutputSettings as OutputSettings
    from .batch import RunAborted as RunAborted
    from .batch import deid_batch as deid_batch
    from .config import DeidConfig as DeidConfig
    from .header_deid import DeidError as DeidError
    from .header_deid import DeidOptions as DeidOptions
    from .keys import DeidKeyError as DeidKeyError
    from .keys import load_key as load_key
    from .pixels.config import PixelConfig as PixelConfig
    from .structure import FileRejected as FileRejected

#: Public name -> the module (relative to this package) that defines it.
_WHERE = {
    "Deidentifier": ".api", "DeidResult": ".api", "deidentify": ".api", "encode": ".api", "save": ".api",
    "DeidConfig": ".config", "deidentify_file": ".api", "read_dicom": ".api",
    "DeidOptions": ".header_deid", "DeidError": ".header_deid",
    "PixelConfig": ".pixels.config",
    "DeidKeyError": ".keys", "load_key": ".keys",
    "FileRejected": ".structure",
    "deid_batch": ".batch", "BatchSummary": ".batch", "BatchUsageError": ".batch",
    "DeidSettings": ".batch", "KeySettings": ".batch", "OutputSettings": ".batch", "ExecutionSettings": ".batch",
    "RunAborted": ".batch",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals(), __all__)
