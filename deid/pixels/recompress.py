"""Lossless re-compression of written pixel data (``--recompress``), and the lossy-compression history.

An output whose Pixel Data is native (every output the pixel cleaning rewrote, and any native input)
can be written in a lossless compressed transfer syntax instead:

============  ==========================================  ==========================
name          transfer syntax                             encoder (pydicom plugin)
============  ==========================================  ==========================
``jpeg-ls``   JPEG-LS Lossless 1.2.840.10008.1.2.4.80     pyjpegls (CharLS)
``jpeg2000``  JPEG 2000 Lossless 1.2.840.10008.1.2.4.90   pylibjpeg-openjpeg
``rle``       RLE Lossless 1.2.840.10008.1.2.5            pylibjpeg-rle
============  ==========================================  ==========================

Every encoded file is decoded again and compared with the native samples; only a pixel-identical
encoding is kept. Data an encoder cannot take (1-bit, 32-bit, big-endian files) and encodings that
do not round-trip stay native (the audit says which syntax each output has). Lossless encoding never
marks an image lossy; an image that was lossy before keeps LossyImageCompression 01 with its
ratio/method history (:func:`note_lossy_history` adds that history when a lossy input is decoded).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import pixel_array
from pydicom.uid import (
    UID,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

RECOMPRESS = {"jpeg-ls": JPEGLSLossless, "jpeg2000": JPEG2000Lossless, "rle": RLELossless}
#: The encoder each name uses. Never GDCM's: its RLE encoder aborts the whole process (an uncaught C++
#: exception, "image_len % MaxNumSegments == 0") on some of pydicom's test images.
ENCODERS = {"jpeg-ls": "pyjpegls", "jpeg2000": "pylibjpeg", "rle": "pylibjpeg"}
#: Transfer syntaxes that are always lossy, with the PS3.3 C.7.6.1.1.5.1 method term.
LOSSY_METHODS = {JPEGBaseline8Bit: "ISO_10918_1", JPEGExtended12Bit: "ISO_10918_1", JPEGLSNearLossless: "ISO_14495_1"}


def note_lossy_history(ds: Dataset, source: UID, encoded_bytes: int, native_bytes: int) -> None:
    """A lossy input now written decoded: LossyImageCompression 01, and (when the file did not say
    so already) the method and ratio of that compression appended to their history."""
    method = LOSSY_METHODS.get(source)
    if method is None:
        return
    if str(ds.get("LossyImageCompression", "")) == "01" and "LossyImageCompressionMethod" in ds:
        return  # the file carries its own history: kept as it is
    ds.LossyImageCompression = "01"
    ratio = f"{native_bytes / max(1, encoded_bytes):.2f}"[:16]
    for keyword, value in (("LossyImageCompressionMethod", method), ("LossyImageCompressionRatio", ratio)):
        old = ds.get(keyword)
        values = [] if old is None else (list(old) if not isinstance(old, (str, float, int)) else [old])
        setattr(ds, keyword, [*values, value] if values else value)


def recompress(ds: Dataset, name: str) -> tuple[bool, str]:
    """Encode ``ds``'s native Pixel Data losslessly in place; ``(done, why not)``. Never raises for
    data an encoder refuses: the native data is kept."""
    syntax = RECOMPRESS[name]
    meta_syntax = ds.file_meta.TransferSyntaxUID
    if meta_syntax.is_compressed:
        return False, "kept as it was (already compressed)"
    if not meta_syntax.is_little_endian:
        return False, "big-endian input kept native"
    bits = int(ds.get("BitsAllocated", 0) or 0)
    if bits not in (8, 16):
        return False, f"{bits}-bit data kept native"
    if str(ds.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422":
        return False, "YBR_FULL_422 data kept native"
    before = (ds.file_meta.TransferSyntaxUID, ds.PixelData, ds["PixelData"].VR,
              {k: ds.get(k) for k in _ENCODING_KEYWORDS})
    try:
        from .frames import decode  # GDCM last (frames imports this module)

        native = pixel_array(ds, raw=True)
        if native.ndim >= 3 and int(ds.get("SamplesPerPixel", 1) or 1) == 3:
            ds.PlanarConfiguration = 0  # the decoded samples are interleaved (colour-by-pixel)
        rct = syntax == JPEG2000Lossless and str(ds.PhotometricInterpretation).strip() == "RGB"
        kwargs: dict[str, Any] = {"use_mct": rct} if syntax == JPEG2000Lossless else {}
        ds.compress(syntax, native, encoding_plugin=ENCODERS[name], generate_instance_uid=False,
                    **kwargs)  # lossless: the same instance
        if rct:  # RGB through the reversible colour transform is YBR_RCT (PS3.5 8.2.4; decodes to the same RGB)
            ds.PhotometricInterpretation = "YBR_RCT"
        same = np.array_equal(decode(ds), native)
    except Exception as exc:  # noqa: BLE001 - an encoder's refusal keeps the native data
        _restore(ds, before)
        return False, f"encoder refused the data ({type(exc).__name__})"
    if not same:
        _restore(ds, before)
        return False, "encoding did not round-trip exactly: kept native"
    return True, ""


_ENCODING_KEYWORDS = ("PhotometricInterpretation", "PlanarConfiguration", "LossyImageCompression")


def _restore(ds: Dataset, before) -> None:
    syntax, data, vr, values = before
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PixelData = data
    ds["PixelData"].is_undefined_length = False
    ds["PixelData"].VR = vr
    for keyword, value in values.items():
        if value is None:
            if keyword in ds:
                del ds[keyword]
        else:
            setattr(ds, keyword, value)
