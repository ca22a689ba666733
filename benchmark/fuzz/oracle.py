"""What makes a fuzz case fail: an output that does not parse, or one that still holds an injected marker.

:func:`parse_failure` reads an output the engine called ok with pydicom, independently of the engine's
own checks: strict Part 10 read, every element's value converted (sequences walked), the pixel data
decoded (every frame, by any installed plugin, GDCM last and in a child process) and, for uncompressed
pixel data, its length equal to what Rows, Columns, Samples per Pixel, Bits Allocated and Number of
Frames say (one pad byte allowed).

:func:`leaks` searches the output's bytes (the inflated data set too, for a deflated output) for the
markers of :mod:`.markers`. A marker that a mutation moved into an element the profile keeps (say a
bit flip that turned PatientName's tag into a kept public tag's) is no leak of the engine:
:func:`relocated` tells those apart by reading the mutated input the way the engine does and
asking the profile table what it does with each element that holds a marker -- for well-formed
inputs only (a malformed one is the engine's to refuse), and only where the element is what the
standard says it is (its dictionary VR, a value within its VR's length and characters and the
dictionary's multiplicity): PHI hidden in a kept element under a wrong VR, or in a value that breaks
its VR, is a leak.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import zlib

import pydicom
from pydicom.datadict import dictionary_has_tag, dictionary_VM, dictionary_VR
from pydicom.dataset import Dataset

from phiphantom.core.profile import effective_action

from .markers import find_leaks, holds_marker
from .stream import DEFLATED, meta_end, well_formed


def _expected_native_length(ds: Dataset) -> int:
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = 2 if str(ds.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422" else int(
        ds.get("SamplesPerPixel", 1) or 1)  # 4:2:2: Y Y Cb Cr for two pixels
    pixels = int(ds.Rows) * int(ds.Columns) * samples * frames
    bits = int(ds.BitsAllocated)
    return (pixels + 7) // 8 if bits == 1 else pixels * (bits // 8)


def parse_failure(data: bytes) -> str | None:
    """None when ``data`` reads, converts and decodes as a DICOM file; else ``stage:ExceptionClass``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=False)
        except Exception as exc:  # noqa: BLE001 - the class is the finding
            return f"read:{type(exc).__name__}"
        try:
            for element in ds.iterall():
                element.value  # noqa: B018 - converting every value is the check
        except Exception as exc:  # noqa: BLE001
            return f"element_value:{type(exc).__name__}"
        if "PixelData" not in ds:
            return None
        try:
            array = _decode(ds)
        except Exception as exc:  # noqa: BLE001
            return f"pixel_decode:{type(exc).__name__}"
        if array is None:
            return "pixel_decode:gdcm_aborted"
        try:
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            if not ds.file_meta.TransferSyntaxUID.is_encapsulated:
                expected, actual = _expected_native_length(ds), len(ds.PixelData)
                if actual not in (expected, expected + (expected % 2)):
                    return "pixel_length:mismatch"
            got = array.shape[0] if frames > 1 else 1
            if got != frames:
                return "pixel_frames:mismatch"
        except Exception as exc:  # noqa: BLE001
            return f"pixel_attributes:{type(exc).__name__}"
    return None


def _decode(ds: Dataset):
    """Every frame decoded by any installed plugin. GDCM (a C++ library that can abort the process on damaged
    data) is tried last, in a forked child; None when it aborted there, so the worker survives its own check."""
    from pydicom.pixels import get_decoder, pixel_array

    syntax = ds.file_meta.TransferSyntaxUID
    if not syntax.is_compressed:
        return pixel_array(ds)
    plugins = list(get_decoder(syntax).available_plugins)
    failure: Exception = RuntimeError("no decoder")
    for plugin in [p for p in plugins if p != "gdcm"]:
        try:
            return pixel_array(ds, decoding_plugin=plugin)
        except Exception as exc:  # noqa: BLE001 - the next plugin may read it
            failure = exc
    if "gdcm" not in plugins:
        raise failure
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only reports by its exit status
        try:
            pixel_array(ds, decoding_plugin="gdcm")
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        return None
    if os.WEXITSTATUS(status) != 0:
        raise failure
    return pixel_array(ds, decoding_plugin="gdcm")


def _searchable(data: bytes) -> bytes:
    """The output's bytes, plus its inflated data set when it is deflated."""
    if b"1.2.840.10008.1.2.1.99" not in data[:1024]:
        return data
    try:
        start = meta_end(data)
        syntax_at = data.find(DEFLATED.encode("ascii"), 0, start)
        if syntax_at < 0:
            return data
        return data + zlib.decompressobj(-zlib.MAX_WBITS).decompress(data[start:])
    except (zlib.error, ValueError):
        return data


def leaks(data: bytes) -> list[str]:
    """Marker codes found in an output (see :func:`.markers.find_leaks`)."""
    return find_leaks(_searchable(data))


def _kept_by_profile(tag: int) -> bool:
    """Whether the Basic Profile keeps this element as it is: a public tag of the dictionary that the
    profile does not list (or lists as K), outside the overlay, curve and private groups."""
    group = tag >> 16
    if group & 1 or 0x5000 <= group <= 0x60FF or not dictionary_has_tag(tag):
        return False
    return effective_action(tag) in (None, "K")


#: longest value of a text VR (characters); PN: three component groups of 64
_MAX_CHARS = {"AE": 16, "AS": 4, "CS": 16, "DA": 8, "DS": 16, "DT": 26, "IS": 12, "LO": 64, "LT": 10240,
              "PN": 194, "SH": 16, "ST": 1024, "TM": 16, "UI": 64}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _vm_fits(vm: str, count: int) -> bool:
    low, _, high = vm.partition("-")
    if not low.isdigit():
        return True
    if not high:
        return count == int(low)
    return count >= int(low) and (not high.isdigit() or count <= int(high))


def _plausible(element) -> bool:
    """Whether a kept element is what the standard says it is: its dictionary VR, a value within its VR's
    length and characters, a value multiplicity within the dictionary's. A sequence written as OB or UT,
    a LO of half a megabyte or a US of 100,000 values is no place a de-identifier may trust."""
    try:
        allowed = dictionary_VR(element.tag).split(" or ")
        vm = dictionary_VM(element.tag)
    except KeyError:
        return False
    vr = str(element.VR)
    if vr not in allowed or vr in ("OB", "OW", "OD", "OF", "OL", "OV", "UN", "UC", "UR", "UT", "SQ"):
        return False
    value = element.value
    values = list(value) if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else [value]
    if not _vm_fits(vm, len(values)):
        return False
    if vr in _MAX_CHARS:
        return all(len(str(v)) <= _MAX_CHARS[vr] and not _CONTROL.search(str(v)) for v in values)
    return True


def marker_elements(data: bytes) -> list[tuple[str, bool]]:
    """(path, kept by the profile) of every element of a file that holds a marker, as pydicom reads it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
        except Exception:  # noqa: BLE001
            return []
        found: list[tuple[str, bool]] = []

        def walk(item: Dataset, prefix: str, kept: bool) -> None:
            for tag in list(item.keys()):
                try:
                    element = item[tag]
                    path = f"{prefix}({tag.group:04X},{tag.element:04X})"
                    if element.VR == "SQ":
                        for i, child in enumerate(element.value or []):
                            walk(child, f"{path}[{i}].", kept and _kept_by_profile(int(tag)))
                    elif holds_marker(element.value):
                        found.append((path, kept and _kept_by_profile(int(tag)) and _plausible(element)))
                except Exception:  # noqa: BLE001 - an element pydicom cannot convert: its raw bytes
                    raw = item.get_item(tag)
                    if raw is not None and holds_marker(getattr(raw, "value", b"") or b""):
                        found.append((f"{prefix}({tag.group:04X},{tag.element:04X})", False))

        walk(ds, "", True)
    return found


def relocated(mutated_input: bytes, output: bytes) -> bool:
    """True when every marker element of the output sits, in the mutated input, in an element the profile
    keeps: the mutation moved PHI where a de-identifier is told it is safe (not an engine fault). Only for a
    well-formed input (:func:`.stream.well_formed`): PHI that a lenient reader finds in a kept element of a
    malformed file (say a value that runs past the end of its item) is a leak, the file should be refused."""
    if not well_formed(mutated_input):  # a malformed input is the engine's to refuse, whatever a reader makes of it
        return False
    out_paths = marker_elements(output)
    if not out_paths:
        return False
    kept_in_input = {path for path, kept in marker_elements(mutated_input) if kept}
    return all(path in kept_in_input for path, _ in out_paths)
