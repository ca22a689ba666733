"""Names more than one part uses, as typed constants (one definition each)."""

from __future__ import annotations

from typing import Final

#: Environment variable holding the de-identification key (hex or base64): read by ``phiphantom deid``
#: (``phiphantom.deid.keys``) and the bundled engine, removed by the benchmark runner from what other engines see.
KEY_ENV: Final = "PHIPHANTOM_DEID_KEY"

#: Where a header PHI value sits (``tags.csv`` column ``location_kind``): written by the generator, read by the scorer.
LOCATION_KINDS: Final = ("standard", "nested", "private", "free-text", "overlay", "icon", "file-meta", "filename")
#: Where a leak can be found (``leaks_by_kind`` keys in ``results.json``): the location kinds, and the raw bytes.
LEAK_KINDS: Final = (*LOCATION_KINDS, "raw-bytes")
