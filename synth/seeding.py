"""Deterministic seeds and UIDs derived from the global seed and stable keys.

Every random choice in the generator is drawn from a generator seeded by
``derive_seed(global_seed, *keys)``: the result depends only on the keys, never
on the order in which work runs or on which process runs it.
"""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(*keys: object) -> int:
    """A 63-bit seed from any sequence of keys (stable across runs and machines)."""
    blob = "\x1f".join(repr(k) for k in keys).encode("utf-8")
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big") >> 1


def rng_for(*keys: object) -> np.random.Generator:
    """A numpy Generator seeded from ``keys``."""
    return np.random.default_rng(derive_seed(*keys))


def uid_for(*keys: object) -> str:
    """A DICOM UID ``2.25.<int>`` from a 128-bit hash of ``keys`` (UUID-shaped, version 4 bits set).

    ``2.25.`` is the ISO/ITU-T arc for UUID-derived UIDs (PS3.5 B.2), so the UIDs
    never claim pydicom's or anybody else's organisational root.
    """
    digest = bytearray(hashlib.sha256("\x1f".join(repr(k) for k in keys).encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x40  # version 4
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return "2.25." + str(int.from_bytes(bytes(digest), "big"))
