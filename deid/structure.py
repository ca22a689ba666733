"""Check the element stream of a Part 10 file before trusting pydicom with it (lengths only, no values).

pydicom reads leniently: a value cut short by the end of the file is kept short (truncated pixel data
would be written back truncated), an unterminated encapsulated pixel data element is dropped with a
warning, a declared length of 4 GB just ends at the end of the file. :func:`check_structure` walks the
element stream itself, so such files fail with a clear error instead of giving a damaged output.
Also here: refusing a DICOMDIR, and rebuilding the preamble and file meta before an output is written.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
_META_KEPT = frozenset({0x00020000, 0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012, 0x00020013})


class FileRejected(Exception):
    """A file the runner refuses, with a safe error class and message (never a value from the file)."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


# # pydicom reads leniently: a value cut short by the end of the file is kept short (truncated pixel data
# is written back truncated), an unterminated encapsulated pixel data element is dropped with a warning,
# a declared length of 4 GB just ends at the end of the file. check_structure() walks the element stream
# itself -- lengths only, values are never decoded -- so such files fail instead of giving a damaged output.

_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_SHORT_VRS = frozenset(b"AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US".split())
_FIXED_SIZE = {b"US": 2, b"SS": 2, b"UL": 4, b"SL": 4, b"FL": 4, b"FD": 8, b"AT": 4}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
MAX_NESTING = 64
_DEFLATED = "1.2.840.10008.1.2.1.99"


def _truncated(what: str) -> FileRejected:
    return FileRejected("TruncatedFile", f"{what} goes past the end of the file (truncated or damaged)")


def _malformed(what: str) -> FileRejected:
    return FileRejected("MalformedDicom", what)


@dataclass(frozen=True)
class _Encoding:
    little: bool = True
    explicit: bool = True

    def head(self, buf, pos: int) -> tuple[int, int]:
        """(tag, 32-bit value after the tag) at ``pos``: an item/delimiter header or an implicit VR element."""
        group, element, length = struct.unpack_from("<HHI" if self.little else ">HHI", buf, pos)
        return (group << 16) | element, length

    def short_length(self, buf, pos: int) -> int:
        return struct.unpack_from("<H" if self.little else ">H", buf, pos)[0]

    def long_length(self, buf, pos: int) -> int:
        return struct.unpack_from("<I" if self.little else ">I", buf, pos)[0]


_IMPLICIT_LE = _Encoding(little=True, explicit=False)


def _walk_items(buf, pos: int, end: int, enc: _Encoding, depth: int, undefined: bool, fragments: bool = False) -> int:
    """Items of a sequence (or fragments of encapsulated pixel data) from ``pos``; the position after them.

    The elements of every item are walked too, whatever its length encoding (a value that runs past the end
    of a defined-length item, or a wrong VR inside one, would otherwise reach pydicom, which reads it anyhow).
    """
    if depth > MAX_NESTING:
        raise _malformed(f"sequences nested deeper than {MAX_NESTING} levels")
    while True:
        if not undefined and pos == end:
            return pos
        if end - pos < 8:
            raise _truncated("a sequence")
        tag, length = enc.head(buf, pos)
        pos += 8
        if tag == _SEQ_END and undefined:
            return pos
        if tag != _ITEM:
            raise _malformed("a sequence holds something other than items")
        if length == _UNDEFINED:
            pos = _walk_dataset(buf, pos, end, enc, depth + 1, in_item=True)
        elif length > end - pos:
            raise _truncated("an item")
        else:
            if not fragments:
                _walk_defined_item(buf, pos, pos + length, enc, depth + 1)
            pos += length


def _walk_defined_item(buf, pos: int, end: int, enc: _Encoding, depth: int) -> None:
    """The elements of an item of defined length: each must end inside the item."""
    try:
        _walk_dataset(buf, pos, end, enc, depth)
    except FileRejected as exc:  # the item itself lies inside the file: "truncated" means past the item's end
        if exc.error_class != "TruncatedFile":
            raise
        raise _malformed("an element runs past the end of its sequence item") from None


def _is_sequence(tag: int, vr: bytes | None) -> bool:
    """Explicit VR: the VR says so. Implicit VR: pydicom reads a defined-length element as a sequence when
    the dictionary says SQ, so the walk does too."""
    if vr is not None:
        return vr == b"SQ"
    from pydicom.datadict import dictionary_VR

    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


def _element_header(buf, pos: int, end: int, enc: _Encoding) -> tuple[int, bytes | None, int, int]:
    """(tag, VR or None for implicit VR, value length, header size) of the element at ``pos``."""
    if end - pos < 8:
        raise _truncated("an element header")
    tag, implicit_length = enc.head(buf, pos)
    if not enc.explicit or tag >> 16 == 0xFFFE:
        return tag, None, implicit_length, 8
    vr = bytes(buf[pos + 4:pos + 6])
    if vr in _LONG_VRS:
        if end - pos < 12:
            raise _truncated("an element header")
        return tag, vr, enc.long_length(buf, pos + 8), 12
    if vr in _SHORT_VRS:
        return tag, vr, enc.short_length(buf, pos + 6), 8
    raise _malformed(f"unknown value representation at element ({tag >> 16:04X},{tag & 0xFFFF:04X})")


def _walk_dataset(buf, pos: int, end: int, enc: _Encoding, depth: int, in_item: bool = False,
                  found: dict[int, bytes | None] | None = None) -> int:
    """Elements from ``pos`` to ``end`` (or to the item delimiter when ``in_item``); the position after them.

    ``found`` (top level only): the raw values of the tags that are its keys are stored in it.
    """
    while pos < end or in_item:
        tag, vr, length, header = _element_header(buf, pos, end, enc)
        pos += header
        if found is not None and tag in found and length != _UNDEFINED and length <= end - pos:
            found[tag] = bytes(buf[pos:pos + length])
        if tag == _ITEM_END and in_item:
            return pos
        if tag >> 16 == 0xFFFE:
            raise _malformed("an item or delimiter where an element was expected")
        if length == _UNDEFINED:
            if vr not in (None, b"SQ", b"UN", b"OB", b"OW"):
                raise _malformed(f"undefined length for a {vr.decode('ascii')} element")
            pos = _walk_items(buf, pos, end, _IMPLICIT_LE if vr == b"UN" else enc, depth + 1, undefined=True,
                              fragments=vr in (b"OB", b"OW") or tag == _PIXEL_DATA)
            continue
        if length > end - pos:
            raise _truncated(f"element ({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if vr in _FIXED_SIZE and length % _FIXED_SIZE[vr]:
            raise _malformed(f"a {vr.decode('ascii')} value of {length} bytes at ({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if _is_sequence(tag, vr):
            _walk_items(buf, pos, pos + length, enc, depth + 1, undefined=False)
        pos += length
    return pos


def _meta_syntax(buf, pos: int) -> tuple[str, int]:
    """The transfer syntax from the file meta group (explicit VR LE) and where the data set starts."""
    syntax, end = "", len(buf)
    while end - pos >= 8 and struct.unpack_from("<H", buf, pos)[0] == 0x0002:
        tag, _, length, header = _element_header(buf, pos, end, _Encoding())
        if length == _UNDEFINED or length > end - pos - header:
            raise _truncated("the file meta information")
        if tag == 0x00020010:
            syntax = bytes(buf[pos + header:pos + header + length]).rstrip(b"\0 ").decode("ascii", "replace")
        pos += header + length
    if not syntax:
        raise FileRejected("NoTransferSyntax", "the file meta information has no Transfer Syntax UID")
    return syntax, pos


def _as_read(buf, pos: int, enc: _Encoding) -> _Encoding:
    """The encoding pydicom reads with: like pydicom, trust the first element over the transfer syntax
    when it is explicit VR in an implicit VR file or the other way round (a common writer defect)."""
    if len(buf) - pos < 8:
        return enc
    looks_explicit = bytes(buf[pos + 4:pos + 6]) in _LONG_VRS | _SHORT_VRS
    return enc if looks_explicit == enc.explicit else _Encoding(little=enc.little, explicit=looks_explicit)


def check_structure(source: Path | bytes) -> None:
    """Raise :class:`FileRejected` unless every element, item and sequence of the file ends inside it.

    ``source`` is a path (mapped, not read) or the file's bytes already in memory.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        _check_buffer(source)
        return
    with open(source, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        _check_buffer(buf)


def top_level_values(data: bytes, tags: tuple[int, ...]) -> dict[int, str | None]:
    """Check the structure of a file in memory (as :func:`check_structure`) and return the values of
    some top-level text elements (``None`` when absent), stripped of padding. A cheap way to re-read
    what was just written."""
    found: dict[int, bytes | None] = dict.fromkeys(tags)
    _check_buffer(data, found)
    return {tag: None if raw is None else raw.rstrip(b"\0 ").decode("ascii", "replace") for tag, raw in found.items()}


def _check_buffer(buf, found: dict[int, bytes | None] | None = None) -> None:
    syntax, pos = _meta_syntax(buf, 132)
    if not _known_syntax(syntax):  # pydicom would guess the encoding, and fail later on the UID
        raise FileRejected("UnknownTransferSyntax", "the Transfer Syntax UID is not a DICOM transfer syntax")
    if syntax == _DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            data = inflater.decompress(buf[pos:])
        except zlib.error:
            raise _malformed("the deflated data set cannot be inflated") from None
        if not inflater.eof:
            raise _truncated("the deflated data set")
        _walk_dataset(data, 0, len(data), _as_read(data, 0, _Encoding()), 0, found=found)
    else:
        enc = _Encoding(little=syntax != "1.2.840.10008.1.2.2", explicit=syntax != "1.2.840.10008.1.2")
        _walk_dataset(buf, pos, len(buf), _as_read(buf, pos, enc), 0, found=found)


def _known_syntax(syntax: str) -> bool:
    from pydicom.uid import UID

    return UID(syntax).is_transfer_syntax


def reject_dicomdir(meta) -> None:
    """A DICOMDIR holds patient records and indexes original file names: refuse it (``meta``: file meta)."""
    if str(meta.get("MediaStorageSOPClassUID", "")) == MEDIA_STORAGE_DIRECTORY:
        raise FileRejected("DicomDir", "DICOMDIR (Media Storage Directory) is not de-identified: it holds "
                                       "patient records and original file names; build a new one over the "
                                       "outputs (e.g. dcmmkdir)")


def prepare_for_writing(ds) -> list[str]:
    """Zero the preamble and rebuild the File Meta Information; return the paths of dropped meta elements.

    The preamble can carry anything (dual-personality TIFF files carry a whole image header), and file
    meta elements such as the source/sending AE titles or private information name sites and systems.
    """
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID

    old = getattr(ds, "file_meta", None) or FileMetaDataset()
    syntax = old.get("TransferSyntaxUID")
    if not syntax:
        raise FileRejected("NoTransferSyntax", "the file meta information has no Transfer Syntax UID")
    if not UID(str(syntax)).is_implicit_VR and any(ds.get_item(t).VR is None for t in ds.keys()):
        _resolve_vrs(ds)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = syntax
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128
    return [f"({t.group:04X},{t.element:04X})" for t in old.keys() if int(t) not in _META_KEPT]


def _resolve_vrs(ds) -> None:
    """Give every element a VR, at every depth: a data set stored in implicit VR under an explicit VR
    transfer syntax (a writer defect pydicom reads around, e.g. pydicom's SC_rgb_jpeg.dcm) is written in
    the explicit VR its transfer syntax names, with the VRs of the data dictionary (UN if unknown)."""
    for tag in list(ds.keys()):
        elem = ds[tag]  # converts a raw element, taking its VR from the dictionary
        if elem.VR == "SQ":
            for item in elem.value or []:
                _resolve_vrs(item)
