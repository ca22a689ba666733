"""Where things sit in a Part 10 file, for the mutations: the file's parts and its element stream.

:func:`split` cuts a file into preamble, file meta and data set (inflated when the transfer syntax
is deflated) and :func:`join` puts them back. :func:`tokens` walks a data set's bytes and lists every
element, item, delimiter and pixel data fragment with the offsets of its tag, length field and value
(offsets and lengths only, values are never decoded). The walk is lenient: it stops quietly at the
first thing it cannot follow, since the bytes it walks may already have been mutated.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from pydicom.datadict import dictionary_VR

LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
SHORT_VRS = frozenset(b"AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US".split())
ALL_VRS = tuple(sorted(LONG_VRS | SHORT_VRS))
UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
DEFLATED = "1.2.840.10008.1.2.1.99"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"


@dataclass(frozen=True)
class Encoding:
    little: bool = True
    explicit: bool = True

    @classmethod
    def for_syntax(cls, uid: str) -> Encoding:
        return cls(little=uid != EXPLICIT_BE, explicit=uid != IMPLICIT_LE)

    def pack(self, size: int, value: int) -> bytes:
        return struct.pack(("<" if self.little else ">") + ("H" if size == 2 else "I"), value)

    def unpack(self, buf, pos: int, size: int) -> int:
        return struct.unpack_from(("<" if self.little else ">") + ("H" if size == 2 else "I"), buf, pos)[0]

    def tag_bytes(self, tag: int) -> bytes:
        return struct.pack("<HH" if self.little else ">HH", tag >> 16, tag & 0xFFFF)


@dataclass(frozen=True)
class Token:
    """One element, item, delimiter or fragment of a data set's byte stream."""

    kind: str          # element | item | item_end | seq_end | fragment
    start: int         # offset of the tag
    tag: int
    vr: bytes | None   # None: implicit VR, or an item/delimiter/fragment
    length: int        # as declared (UNDEFINED for undefined length)
    length_at: int     # offset of the length field
    length_size: int   # 2 or 4
    value_at: int
    depth: int         # 0: top level
    index: int = 0     # fragments: 0 is the Basic Offset Table

    @property
    def defined(self) -> bool:
        return self.length != UNDEFINED

    @property
    def end(self) -> int:
        """Offset after the value (for defined lengths)."""
        return self.value_at + (self.length if self.defined else 0)

    def label(self) -> str:
        return f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X})"


class _Stop(Exception):
    pass


# Like deid/structure.py's walk, on purpose not shared with it: the fuzzer tests the engine independently,
# and a bug in byte parsing both used would hide itself.
def _is_sequence(tag: int, vr: bytes | None) -> bool:
    if vr is not None:
        return vr == b"SQ"
    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


def tokens(buf, enc: Encoding, start: int = 0, end: int | None = None) -> list[Token]:
    """Every element, item, delimiter and fragment from ``start`` (lenient: stops at the first problem)."""
    return walk(buf, enc, start, end)[0]


def walk(buf, enc: Encoding, start: int = 0, end: int | None = None) -> tuple[list[Token], bool]:
    """:func:`tokens`, and whether the walk reached the end: every element, item and sequence, at every
    depth and whatever its length encoding, ends inside what holds it."""
    out: list[Token] = []
    try:
        _walk(buf, start, len(buf) if end is None else end, enc, 0, out, in_item=False)
    except (_Stop, struct.error, IndexError):
        return out, False
    return out, True


def well_formed(data: bytes) -> bool:
    """Whether a whole Part 10 file walks cleanly (file meta, then the data set in its transfer syntax)."""
    if len(data) < 132 or data[128:132] != b"DICM":
        return False
    try:
        parts = split(data)
    except (zlib.error, UnicodeDecodeError, struct.error):
        return False
    if not parts.syntax:
        return False
    return walk(parts.body, parts.encoding)[1]


def _walk(buf, pos: int, end: int, enc: Encoding, depth: int, out: list[Token], in_item: bool) -> int:
    while pos < end or in_item:
        if end - pos < 8 or depth > 300:
            raise _Stop
        group, element = struct.unpack_from("<HH" if enc.little else ">HH", buf, pos)
        tag = (group << 16) | element
        if group == 0xFFFE:
            length = enc.unpack(buf, pos + 4, 4)
            kind = {ITEM: "item", ITEM_END: "item_end", SEQ_END: "seq_end"}.get(tag, "item")
            out.append(Token(kind, pos, tag, None, length, pos + 4, 4, pos + 8, depth))
            if tag == ITEM_END and in_item:
                return pos + 8
            raise _Stop
        if enc.explicit:
            vr = bytes(buf[pos + 4:pos + 6])
            if vr in LONG_VRS:
                length, length_at, size, header = enc.unpack(buf, pos + 8, 4), pos + 8, 4, 12
            elif vr in SHORT_VRS:
                length, length_at, size, header = enc.unpack(buf, pos + 6, 2), pos + 6, 2, 8
            else:
                raise _Stop
        else:
            vr, length, length_at, size, header = None, enc.unpack(buf, pos + 4, 4), pos + 4, 4, 8
        out.append(Token("element", pos, tag, vr, length, length_at, size, pos + header, depth))
        pos += header
        if length == UNDEFINED:
            if tag == PIXEL_DATA and depth == 0:
                pos = _fragments(buf, pos, end, enc, out)
            else:
                pos = _items(buf, pos, end, Encoding(True, False) if vr == b"UN" else enc, depth + 1, out, True)
            continue
        if length > end - pos:
            raise _Stop
        if _is_sequence(tag, vr):
            _items(buf, pos, pos + length, enc, depth + 1, out, False)
        pos += length
    return pos


def _items(buf, pos: int, end: int, enc: Encoding, depth: int, out: list[Token], undefined: bool) -> int:
    while True:
        if not undefined and pos == end:
            return pos
        if end - pos < 8:
            raise _Stop
        group, element = struct.unpack_from("<HH" if enc.little else ">HH", buf, pos)
        tag = (group << 16) | element
        length = enc.unpack(buf, pos + 4, 4)
        kind = {ITEM: "item", ITEM_END: "item_end", SEQ_END: "seq_end"}.get(tag, "element")
        if kind == "element":
            raise _Stop
        out.append(Token(kind, pos, tag, None, length, pos + 4, 4, pos + 8, depth))
        pos += 8
        if tag == SEQ_END:
            if undefined:
                return pos
            raise _Stop
        if tag != ITEM:
            raise _Stop
        if length == UNDEFINED:
            pos = _walk(buf, pos, end, enc, depth, out, in_item=True)
        elif length > end - pos:
            raise _Stop
        else:
            _walk(buf, pos, pos + length, enc, depth, out, in_item=False)
            pos += length


def _fragments(buf, pos: int, end: int, enc: Encoding, out: list[Token]) -> int:
    index = 0
    while True:
        if end - pos < 8:
            raise _Stop
        group, element = struct.unpack_from("<HH" if enc.little else ">HH", buf, pos)
        tag = (group << 16) | element
        length = enc.unpack(buf, pos + 4, 4)
        if tag == SEQ_END:
            out.append(Token("seq_end", pos, tag, None, length, pos + 4, 4, pos + 8, 1))
            return pos + 8
        if tag != ITEM or length > end - pos - 8:
            raise _Stop
        out.append(Token("fragment", pos, tag, None, length, pos + 4, 4, pos + 8, 1, index))
        index += 1
        pos += 8 + length


# -- the file's parts ----------------------------------------------------------------------------------------


@dataclass
class Parts:
    """A Part 10 file cut in three: mutate ``meta`` or ``body`` (the data set, inflated), then :func:`join`."""

    preamble: bytes
    meta: bytearray          # the file meta group's elements (explicit VR little endian), without 'DICM'
    body: bytearray          # the data set as encoded (inflated when ``deflate``)
    syntax: str              # the transfer syntax the seed was written with (decides the body's encoding)
    deflate: bool = False    # compress the body again when joining

    @property
    def encoding(self) -> Encoding:
        return Encoding.for_syntax(self.syntax)


def meta_end(data: bytes, pos: int = 132) -> int:
    """Where the file meta group ends (the walk stops at the first non-0002 element)."""
    while len(data) - pos >= 8 and struct.unpack_from("<H", data, pos)[0] == 0x0002:
        vr = bytes(data[pos + 4:pos + 6])
        if vr in LONG_VRS:
            pos += 12 + struct.unpack_from("<I", data, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", data, pos + 6)[0]
    return min(pos, len(data))


def split(data: bytes) -> Parts:
    """Cut a well-formed seed file (written by pydicom) into its parts."""
    end = meta_end(data)
    meta = bytearray(data[132:end])
    syntax = ""
    for tok in tokens(meta, Encoding()):
        if tok.tag == 0x00020010:
            syntax = bytes(meta[tok.value_at:tok.end]).rstrip(b"\0 ").decode("ascii")
    body = data[end:]
    deflate = syntax == DEFLATED
    if deflate:
        body = zlib.decompress(body, -zlib.MAX_WBITS)
    return Parts(bytes(data[:128]), meta, bytearray(body), syntax, deflate)


def join(parts: Parts) -> bytes:
    body = bytes(parts.body)
    if parts.deflate:
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = packer.compress(body) + packer.flush()
    return parts.preamble + b"DICM" + bytes(parts.meta) + body


def element_bytes(enc: Encoding, tag: int, vr: str, value: bytes) -> bytes:
    """One element encoded (value padded to even length; long header where the VR needs one)."""
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB", "UN") else b" "
    head = enc.tag_bytes(tag)
    if not enc.explicit:
        return head + enc.pack(4, len(value)) + value
    if vr.encode("ascii") in LONG_VRS:
        return head + vr.encode("ascii") + b"\0\0" + enc.pack(4, len(value)) + value
    return head + vr.encode("ascii") + enc.pack(2, len(value)) + value
