"""How hard to search a file's pixels for burned-in text: chosen per file from its SOP class and modality.

The text search was built for ultrasound *screens*: everything outside the estimated image that
looks like strokes is a candidate, and under ``strict`` a candidate OCR cannot read is removed. On a
CT, MR or radiograph the anatomy's own edges look like unreadable strokes (20.1% of a CT slice was
overwritten, an arm blanked in an MR), so the search is chosen per file:

``full``
    Screens: ultrasound, secondary captures (any modality), video endoscopy/microscopy/photography,
    ``OT``. Every candidate is judged by the policy (``strict`` removes unreadable text too).
``text``
    Every other image (CT, MR, CR, DX, MG, XA, NM, PT, ...): only text that OCR *reads with
    confidence* is judged by the policy and removed (names, IDs, dates burned in by a scanner or a
    workstation); unreadable strokes -- anatomy edges -- are left alone, and redactions are never
    carried on into the image.
``none``
    Objects whose pixels are not a picture anyone could burn text into: segmentations (label or
    probability masks), RT dose grids, parametric maps. Pixel data is left as it was (and no
    cleaning is claimed: BurnedInAnnotation stays as it was).

``PixelConfig.all_modalities`` (``--pixels-all-modalities``) gives every file the ``full`` search.
The choice and its reason go into each file's audit record (``pixel_mode``).
"""

from __future__ import annotations

from pydicom.dataset import Dataset

FULL, TEXT, NONE = "full", "text", "none"
MODES = (FULL, TEXT, NONE)

#: SOP classes whose pixels are a screen or a video frame: the full search.
SCREEN_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.6.1": "ultrasound",
    "1.2.840.10008.5.1.4.1.1.6": "ultrasound",          # retired
    "1.2.840.10008.5.1.4.1.1.3.1": "ultrasound",        # multi-frame
    "1.2.840.10008.5.1.4.1.1.3": "ultrasound",          # multi-frame, retired
    "1.2.840.10008.5.1.4.1.1.7": "secondary capture",
    "1.2.840.10008.5.1.4.1.1.7.1": "secondary capture",  # multi-frame single bit
    "1.2.840.10008.5.1.4.1.1.7.2": "secondary capture",  # multi-frame grayscale byte
    "1.2.840.10008.5.1.4.1.1.7.3": "secondary capture",  # multi-frame grayscale word
    "1.2.840.10008.5.1.4.1.1.7.4": "secondary capture",  # multi-frame true colour
    "1.2.840.10008.5.1.4.1.1.77.1.1.1": "video",         # video endoscopic
    "1.2.840.10008.5.1.4.1.1.77.1.2.1": "video",         # video microscopic
    "1.2.840.10008.5.1.4.1.1.77.1.4.1": "video",         # video photographic
    "1.2.840.10008.5.1.4.1.1.77.1.1": "video",           # VL endoscopic (a processor's screen)
}
#: Modalities of screens when the SOP class says nothing more.
SCREEN_MODALITIES = {"US": "ultrasound", "IVUS": "ultrasound", "OT": "other (screen)", "ES": "endoscopy"}
#: SOP classes and modalities whose pixel data is not a picture: left alone.
NOT_PICTURE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.66.4": "segmentation",
    "1.2.840.10008.5.1.4.1.1.66.7": "segmentation",       # label map
    "1.2.840.10008.5.1.4.1.1.66.8": "segmentation",       # height map
    "1.2.840.10008.5.1.4.1.1.481.2": "RT dose",
    "1.2.840.10008.5.1.4.1.1.30": "parametric map",
}
NOT_PICTURE_MODALITIES = {"SEG": "segmentation", "RTDOSE": "RT dose"}


def choose_mode(ds: Dataset, all_modalities: bool = False) -> tuple[str, str]:
    """``(mode, reason)`` for ``ds``: see the module docstring. The reason names a class, never a value."""
    sop = str(ds.get("SOPClassUID", "") or "")
    modality = str(ds.get("Modality", "") or "").strip().upper()
    if all_modalities:
        return FULL, "all modalities asked"
    if sop in SCREEN_SOP_CLASSES:
        return FULL, SCREEN_SOP_CLASSES[sop]
    if sop in NOT_PICTURE_SOP_CLASSES:
        return NONE, NOT_PICTURE_SOP_CLASSES[sop]
    if modality in NOT_PICTURE_MODALITIES:
        return NONE, NOT_PICTURE_MODALITIES[modality]
    if modality in SCREEN_MODALITIES:
        return FULL, SCREEN_MODALITIES[modality]
    return TEXT, f"modality {modality}" if modality.isalnum() and len(modality) <= 16 else "other modality"
