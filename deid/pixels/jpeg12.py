"""A pydicom decoder plugin for 12-bit *JPEG Extended* (Process 4), backed by imagecodecs.

With the default install, every compressed transfer syntax pydicom knows decodes through a
maintained pydicom plugin (GDCM, pylibjpeg-openjpeg, pyjpegls, pylibjpeg-rle, Pillow) except one
case: JPEG Extended with 12-bit samples (Pillow and the GDCM wheel are 8-bit only; the one
pydicom plugin that reads it, pylibjpeg-libjpeg, is GPLv3). imagecodecs (BSD-3; libjpeg-turbo 3
inside) reads it; this module plugs it into pydicom's :data:`JPEGExtended12BitDecoder` for samples
of 9-12 bits (8-bit data stays with the other plugins). :func:`register` is idempotent and is
called when :mod:`phiphantom.deid.pixels.frames` is imported.
"""

from __future__ import annotations

from pydicom import uid

try:
    import imagecodecs

    HAVE_IMAGECODECS = bool(getattr(imagecodecs, "JPEG8", None) and imagecodecs.JPEG8.available)
except ImportError:  # pragma: no cover - a dependency of the package
    HAVE_IMAGECODECS = False

LABEL = "phiphantom-imagecodecs"
DECODER_DEPENDENCIES = {uid.JPEGExtended12Bit: ("imagecodecs>=2024.1.1",)}


def is_available(transfer_syntax: str) -> bool:
    """pydicom's plugin protocol: whether this plugin can decode ``transfer_syntax`` here."""
    return HAVE_IMAGECODECS and transfer_syntax in DECODER_DEPENDENCIES


def _decode_frame(src: bytes, runner) -> bytes:
    """One encoded frame -> its samples as little-endian bytes (pydicom's plugin protocol)."""
    if runner.bits_stored <= 8:
        raise NotImplementedError("8-bit JPEG Extended is left to the other plugins")
    if runner.samples_per_pixel != 1:
        raise NotImplementedError("only single-sample 12-bit JPEG Extended is decoded here")
    frame = imagecodecs.jpeg8_decode(src)
    if frame.ndim != 2 or frame.shape != (runner.rows, runner.columns):
        raise ValueError("the JPEG frame does not match Rows and Columns")
    return frame.astype("<u2", copy=False).tobytes()


def register() -> None:
    """Add the plugin to pydicom's JPEG Extended decoder (once; a no-op without imagecodecs)."""
    if not HAVE_IMAGECODECS:
        return
    from pydicom.pixels.decoders import JPEGExtended12BitDecoder

    if LABEL not in JPEGExtended12BitDecoder._available and LABEL not in JPEGExtended12BitDecoder._unavailable:
        JPEGExtended12BitDecoder.add_plugin(LABEL, (__name__, "_decode_frame"))
