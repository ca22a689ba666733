"""The settings of the bundled engine for one file, resolved: :class:`DeidConfig` (key, profile options,
output layout, pixel cleaning, recompression), as the one-call API (:mod:`.api`), the batch runner
(:mod:`phiphantom.deid.batch`) and the benchmark adapter (:mod:`phiphantom.benchmark.engines.bundled`)
hand it to :func:`phiphantom.deid.api.deidentify_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .header_deid import DeidOptions
from .pixels.config import PixelConfig
from .pseudonyms import Pseudonymizer

LAYOUTS = ("keep", "pseudonymized")
RECOMPRESS_NAMES = ("jpeg-ls", "jpeg2000", "rle")  # pixels.recompress.RECOMPRESS (kept light: no pixel stack here)


@dataclass(frozen=True)
class DeidConfig:
    """Everything a worker needs; the key never appears in repr()."""

    key: bytes = field(repr=False)
    options: DeidOptions = DeidOptions()
    layout: str = "keep"
    key_source: str = ""
    pixels: PixelConfig | None = None   # None: header only (BurnedInAnnotation left as it was)
    recompress: str | None = None       # jpeg-ls | jpeg2000 | rle: native pixel data written losslessly compressed

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
        if self.recompress is not None and self.recompress not in RECOMPRESS_NAMES:
            raise ValueError(f"recompress must be one of {', '.join(RECOMPRESS_NAMES)}")

    @property
    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(self.key, self.options.date_shift_range)
