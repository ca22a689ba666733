"""Names more than one part uses, as typed constants (one definition each)."""

from __future__ import annotations

from typing import Final

#: Environment variable holding the de-identification key (hex or base64): read by ``phiphantom deid``
#: (``phiphantom.deid.keys``) and the bundled engine, removed by the benchmark runner from what other engines see.
KEY_ENV: Final = "PHIPHANTOM_DEID_KEY"
