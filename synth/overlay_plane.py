"""The Overlay Plane module (group 6000): one graphic overlay bitmap the size of the image."""

from __future__ import annotations

from pydicom.dataset import Dataset


def add_overlay_plane(ds: Dataset, rows: int, columns: int, data: bytes) -> None:
    """Overlay Rows/Columns, Type G, Origin 1\\1, Bits Allocated 1, Bit Position 0 and Overlay Data ``data``
    (the bitmap packed 8 pixels a byte, padded here to an even length)."""
    ds.add_new(0x60000010, "US", rows)
    ds.add_new(0x60000011, "US", columns)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", data + b"\0" * (len(data) % 2))
