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

#: Font size bands of burned-in text (``font_px`` strata of ``results.json``, ``ocr-check``'s ``by_font_px``), in order.
FONT_PX_BANDS: Final = ("08-11", "12-15", "16-19", "20-28")
#: Contrast bands of burned-in text (``contrast`` strata of ``results.json``), in order. ASCII, as results.json
#: has always written them (the report once ordered a "≥0.6" that no results file held).
CONTRAST_BANDS: Final = ("<0.3", "0.3-0.6", ">=0.6")


def font_band(px: str | int) -> str:
    """The :data:`FONT_PX_BANDS` label of a text height in pixels."""
    px = int(px)
    return FONT_PX_BANDS[0 if px < 12 else 1 if px < 16 else 2 if px < 20 else 3]


def contrast_band(value: str | float) -> str:
    """The :data:`CONTRAST_BANDS` label of a text contrast (0..1)."""
    c = float(value)
    return CONTRAST_BANDS[0 if c < 0.3 else 1 if c < 0.6 else 2]
