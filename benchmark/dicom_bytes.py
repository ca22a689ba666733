"""The header scorer's own DICOM byte-layout parser: where each element value lies in a file's bytes.

The scorer keeps its own independent DICOM byte parser on purpose: the benchmark
must never share detection, parsing or matching code with the engines it scores,
or a bug shared by both would hide the leaks it causes. So this parser uses
neither pydicom's reader nor any code of ``deid``: it walks the raw bytes
(preamble, file meta, explicit/implicit VR, little/big endian, defined and
undefined lengths, sequences, encapsulated pixel data) and records the byte range
of every text value (with its tag path and VR) and every binary value
(:class:`RawLayout`). The leak scan searches the bytes outside binary values and
attributes a hit to the text element holding it; a file that runs past its end is
``truncated``. Only pydicom's data dictionary is used (through
:func:`.dicom_paths.implicit_vr`), for the VRs of implicit-VR files.
"""

from __future__ import annotations

import bisect
import functools
import struct
from dataclasses import dataclass

from .dicom_paths import BINARY_VRS, implicit_vr, tag_text

__all__ = ["RawLayout", "raw_layout"]

_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"})
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_IMPLICIT_LE, _EXPLICIT_BE, _DEFLATED = "1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"


class _Stop(Exception):
    """The raw walker cannot parse further; bytes from here on are unattributed."""


class _Truncated(_Stop):
    """A value, item or element header runs past the end of the file: the file is cut short."""


@dataclass
class RawLayout:
    """Where element values lie in a file: text values (start, end, path, vr), binary value ranges."""

    text: list[tuple[int, int, str, str]]
    binary: list[tuple[int, int]]
    parsed_to: int  # offset where parsing stopped (== len(buf) when the whole file parsed)
    truncated: bool = False  # an element, item or pixel fragment runs past the end of the file

    def gaps(self, size: int) -> list[tuple[int, int]]:
        """Byte ranges outside binary values (what the raw scan searches)."""
        out, pos = [], 0
        for start, end in sorted(self.binary):
            if start > pos:
                out.append((pos, start))
            pos = max(pos, end)
        if pos < size:
            out.append((pos, size))
        return out

    @functools.cached_property
    def _starts(self) -> list[int]:
        return [t[0] for t in self.text]

    def text_element_at(self, offset: int) -> tuple[str, str] | None:
        """(path, vr) of the text value holding ``offset``, if any."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.text[i][1]:
            return self.text[i][2], self.text[i][3]
        return None



class _RawWalker:
    """Finds the byte range of every element value (recursing into sequences) without pydicom."""

    def __init__(self, buf: bytes):
        self.buf = buf
        self.text: list[tuple[int, int, str, str]] = []
        self.binary: list[tuple[int, int]] = []
        self.transfer_syntax = ""

    def run(self) -> RawLayout:
        buf, pos = self.buf, 0
        truncated = False
        if buf[128:132] == b"DICM":
            pos = 132
        try:
            pos = self._dataset(pos, len(buf), "", True, True, meta=True)
            ts = self.transfer_syntax
            if ts == _DEFLATED:
                self.binary.append((pos, len(buf)))  # compressed body: not searchable as bytes
                pos = len(buf)
            else:
                explicit = ts != _IMPLICIT_LE if ts else self._looks_explicit(pos)
                pos = self._dataset(pos, len(buf), "", explicit, ts != _EXPLICIT_BE)
                truncated = 0 < len(buf) - pos < 8  # a cut element header
        except (_Truncated, struct.error):  # struct.error: a tag or length read past the end
            truncated = True
        except (_Stop, IndexError, ValueError):
            pass
        self.text.sort()
        return RawLayout(self.text, self.binary, pos if pos <= len(buf) else len(buf), truncated)

    def _looks_explicit(self, pos: int) -> bool:
        vr = self.buf[pos + 4:pos + 6]
        return len(vr) == 2 and vr.isalpha() and vr.isupper()

    def _dataset(self, pos: int, end: int, prefix: str, explicit: bool, little: bool, meta: bool = False) -> int:
        """Parse elements from ``pos`` to ``end`` (or an item delimiter); returns the position after."""
        buf, e = self.buf, "<" if little else ">"
        while pos + 8 <= end:
            group, element = struct.unpack_from(e + "HH", buf, pos)
            if meta and group != 0x0002:
                return pos
            tag = (group << 16) | element
            if tag == _ITEM_END:
                return pos + 8
            if group == 0xFFFE:
                raise _Stop
            if explicit or meta:
                vr_bytes = buf[pos + 4:pos + 6]
                if not (vr_bytes.isalpha() and vr_bytes.isupper()):
                    raise _Stop
                if vr_bytes in _LONG_VRS:
                    (length,) = struct.unpack_from(e + "L", buf, pos + 8)
                    vpos = pos + 12
                else:
                    (length,) = struct.unpack_from(e + "H", buf, pos + 6)
                    vpos = pos + 8
                vr = vr_bytes.decode("ascii")
            else:
                (length,) = struct.unpack_from(e + "L", buf, pos + 4)
                vpos, vr = pos + 8, implicit_vr(tag)
            path = f"{prefix}{tag_text(tag)}"
            if length == 0xFFFFFFFF:
                if vr == "SQ" or (vr == "UN" and tag != 0x7FE00010 and self._item_at(vpos, e)):
                    pos = self._sequence(vpos, None, path, explicit, little)
                else:
                    pos = self._encapsulated(vpos, e)
                continue
            vend = vpos + length
            if vend > len(buf):
                raise _Truncated
            if vr == "SQ":
                self._sequence(vpos, vend, path, explicit, little)
            elif vr in BINARY_VRS:
                self.binary.append((vpos, vend))
            else:
                self.text.append((vpos, vend, path, vr))
                if tag == 0x00020010:
                    self.transfer_syntax = buf[vpos:vend].decode("ascii", "replace").strip(" \x00")
            pos = vend
        return pos

    def _item_at(self, pos: int, e: str) -> bool:
        if pos + 4 > len(self.buf):
            return False
        group, element = struct.unpack_from(e + "HH", self.buf, pos)
        return ((group << 16) | element) == _ITEM

    def _sequence(self, pos: int, end: int | None, path: str, explicit: bool, little: bool) -> int:
        """Parse sequence items from ``pos``; ``end`` None = undefined length (up to the delimiter)."""
        buf, e = self.buf, "<" if little else ">"
        limit = len(buf) if end is None else end
        index = 0
        while True:
            if end is not None and pos >= end:
                return pos
            group, element, length = struct.unpack_from(e + "HHL", buf, pos)
            tag = (group << 16) | element
            if tag == _SEQ_END:
                return pos + 8
            if tag != _ITEM:
                raise _Stop
            prefix = f"{path}[{index}]."
            if length == 0xFFFFFFFF:
                pos = self._dataset(pos + 8, limit, prefix, explicit, little)
            else:
                if pos + 8 + length > limit:
                    raise _Truncated if end is None else _Stop
                self._dataset(pos + 8, pos + 8 + length, prefix, explicit, little)
                pos += 8 + length
            index += 1

    def _encapsulated(self, pos: int, e: str) -> int:
        """Skip an undefined-length binary value (encapsulated pixel data): items up to the delimiter."""
        start, buf = pos, self.buf
        while True:
            group, element, length = struct.unpack_from(e + "HHL", buf, pos)
            tag = (group << 16) | element
            if tag == _SEQ_END:
                self.binary.append((start, pos + 8))
                return pos + 8
            if tag != _ITEM or length == 0xFFFFFFFF or pos + 8 + length > len(buf):
                self.binary.append((start, len(buf)))  # runs to the end of the file
                raise _Truncated if tag == _ITEM and length != 0xFFFFFFFF else _Stop
            pos += 8 + length


def raw_layout(buf: bytes) -> RawLayout:
    """Byte ranges of the element values of a DICOM file (see :class:`RawLayout`)."""
    return _RawWalker(buf).run()
