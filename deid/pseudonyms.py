"""Keyed pseudonyms: HMAC-SHA256 of the original value under the secret key.

Same key => same outputs across files, runs and machines; without the key the
pseudonyms cannot be linked back or recomputed. Each kind of value uses its
own HMAC domain, so a PatientID and a UID with equal text never collide.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

PSEUDONYM_PREFIX = "DEID-"


@dataclass
class Pseudonymizer:
    """Derives pseudonyms, UIDs and per-patient date shifts from one key."""

    key: bytes = field(repr=False)
    date_shift_range: tuple[int, int] = (-3650, -1)  # days; a shift is drawn per patient in [lo, hi]

    def __post_init__(self) -> None:
        lo, hi = self.date_shift_range
        if lo > hi:
            raise ValueError("date shift range must be (low, high) with low <= high")

    def _mac(self, domain: str, value: str) -> bytes:
        return hmac.new(self.key, f"{domain}\x1f{value}".encode(), hashlib.sha256).digest()

    def patient_id(self, original: str, max_len: int = 64) -> str:
        """``DEID-`` + base32 of the HMAC (upper case letters and digits), at most ``max_len`` characters."""
        code = base64.b32encode(self._mac("patient-id", original.strip())).decode("ascii").rstrip("=")
        return (PSEUDONYM_PREFIX + code)[:max(len(PSEUDONYM_PREFIX) + 8, min(max_len, 32))]

    def patient_name(self, original_patient_id: str) -> str:
        """A PN pseudonym derived from the patient's ID (so name and ID stay paired)."""
        return self.patient_id(original_patient_id, 32).replace("-", "^", 1)

    def uid(self, original: str) -> str:
        """``2.25.`` + a 128-bit integer from the HMAC: a valid UID of at most 44 characters."""
        return "2.25." + str(int.from_bytes(self._mac("uid", original.strip())[:16], "big"))

    def date_shift_days(self, original_patient_id: str) -> int:
        lo, hi = self.date_shift_range
        span = hi - lo + 1
        return lo + int.from_bytes(self._mac("date-shift", original_patient_id.strip())[:8], "big") % span

    def text_token(self, original: str) -> str:
        """A short stable replacement for a PHI token found in free text."""
        return "[" + base64.b32encode(self._mac("token", original.strip().lower())).decode("ascii")[:8] + "]"


def shift_da(value: str, days: int) -> str:
    """Shift a DA value (YYYYMMDD); values that are not plain dates become empty (never kept unshifted)."""
    value = value.strip()
    try:
        day = dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError:
        return ""
    return (day + dt.timedelta(days=days)).strftime("%Y%m%d")


def shift_dt(value: str, days: int) -> str:
    """Shift the date part of a DT value, keeping time and offset (times stay consistent)."""
    value = value.strip()
    shifted = shift_da(value[:8], days)
    return shifted + value[8:] if shifted else ""
