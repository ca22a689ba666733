"""Mutations of a file's bytes: lengths, VRs, delimiters, pixel data, fragments, file meta, truncation.

Each mutation takes the file's :class:`~.stream.Parts` (or, for whole-file mutations, its joined
bytes) and a :class:`random.Random`, changes them in place and returns a short description made of
the variant, tags and numbers only (never a value). :class:`NotApplicable` says the file has nothing
the mutation works on (no encapsulated pixel data, no sequence...); the case then draws another.
"""

from __future__ import annotations

import random
import struct

from pydicom.uid import UID_dictionary

from .markers import PREFIX
from .stream import (
    ALL_VRS,
    ITEM,
    ITEM_END,
    PIXEL_DATA,
    SEQ_END,
    UNDEFINED,
    Encoding,
    Parts,
    Token,
    element_bytes,
    tokens,
)


class NotApplicable(Exception):
    """The file has nothing this mutation works on."""


def _pick(rng: random.Random, items: list):
    if not items:
        raise NotApplicable
    return items[rng.randrange(len(items))]


def _set_length(buf: bytearray, enc: Encoding, tok: Token, value: int) -> None:
    buf[tok.length_at:tok.length_at + tok.length_size] = enc.pack(tok.length_size, value & (
        0xFFFF if tok.length_size == 2 else 0xFFFFFFFF))


def _replace_value(buf: bytearray, enc: Encoding, tok: Token, value: bytes) -> None:
    """A new value with its length field in step (enclosing defined lengths are not updated)."""
    if tok.length_size == 2 and len(value) > 0xFFFF:
        value = value[:0xFFFE]
    buf[tok.value_at:tok.end] = value
    _set_length(buf, enc, tok, len(value))


def _body_tokens(parts: Parts) -> list[Token]:
    return tokens(parts.body, parts.encoding)


def _top(parts: Parts, tag: int) -> Token | None:
    for tok in _body_tokens(parts):
        if tok.depth == 0 and tok.kind == "element" and tok.tag == tag:
            return tok
    return None


# -- element lengths ------------------------------------------------------------------------------------------


def element_length(parts: Parts, rng: random.Random) -> str:
    """Declare another length for one element: off by one, zero, odd, 0xFFFF, undefined, past the end..."""
    tok = _pick(rng, [t for t in _body_tokens(parts) if t.kind == "element"])
    length = tok.length if tok.defined else 0
    rest = len(parts.body) - tok.value_at
    choices = [0, length + 1, length + 2, length + 4, max(0, length - 1), max(0, length - 2), length * 2,
               length ^ (1 << rng.randrange(8 * tok.length_size)), rng.randrange(1 << (8 * tok.length_size))]
    if tok.length_size == 2:
        choices += [0xFFFF, 0xFFFE]
    else:
        choices += [UNDEFINED, 0xFFFFFFFE, 0x7FFFFFFF, rest, rest + 1, rest - 1]
    new = rng.choice([c for c in choices if c != tok.length] or [0])
    _set_length(parts.body, parts.encoding, tok, new)
    return f"element_length:{tok.label()}:{tok.length}->{new & 0xFFFFFFFF}"


# -- value representations ------------------------------------------------------------------------------------


def vr(parts: Parts, rng: random.Random) -> str:
    """Write another VR over one element's (explicit VR files: any VR, UN, SQ, garbage, lower case)."""
    if not parts.encoding.explicit:
        raise NotApplicable
    toks = [t for t in _body_tokens(parts) if t.kind == "element" and t.vr is not None]
    tok = _pick(rng, toks)
    new = rng.choice([rng.choice(ALL_VRS), rng.choice(ALL_VRS), b"UN", b"SQ", b"OB", b"UT",
                      rng.randbytes(2), b"\0\0", tok.vr.lower(), b"  "])
    parts.body[tok.start + 4:tok.start + 6] = new
    return f"vr:{tok.label()}:{tok.vr.decode('ascii')}->{new.hex()}"


# -- sequences and items --------------------------------------------------------------------------------------


def sequence_bytes(parts: Parts, rng: random.Random) -> str:
    """Break the item structure: drop, double or rename a delimiter, make an item's length undefined or
    wrong, put a stray delimiter between top-level elements."""
    enc, buf = parts.encoding, parts.body
    toks = _body_tokens(parts)
    marks = [t for t in toks if t.kind in ("item", "item_end", "seq_end") and t.depth > 0 and t.tag != 0]
    delimiters = [t for t in marks if t.kind in ("item_end", "seq_end")] or [t for t in toks if t.kind == "seq_end"]
    variants = ["stray_delimiter"]
    variants += ["drop_delimiter", "double_delimiter", "delimiter_length"] if delimiters else []
    variants += ["rename_item", "item_length"] if any(t.kind == "item" for t in marks) else []
    variant = rng.choice(variants)
    if variant == "stray_delimiter":
        tok = _pick(rng, [t for t in toks if t.depth == 0 and t.kind == "element"])
        tag = rng.choice([ITEM, ITEM_END, SEQ_END])
        buf[tok.start:tok.start] = enc.tag_bytes(tag) + enc.pack(4, 0)
        return f"sequence_nesting:stray_delimiter:{tag:08X}@{tok.label()}"
    if variant in ("drop_delimiter", "double_delimiter", "delimiter_length"):
        tok = _pick(rng, delimiters)
        if variant == "drop_delimiter":
            del buf[tok.start:tok.start + 8]
        elif variant == "double_delimiter":
            buf[tok.start:tok.start] = bytes(buf[tok.start:tok.start + 8])
        else:
            _set_length(buf, enc, tok, rng.choice([1, 4, 0xFFFFFFFF, rng.randrange(1 << 32)]))
        return f"sequence_nesting:{variant}:{tok.kind}@{tok.start}"
    tok = _pick(rng, [t for t in marks if t.kind == "item"])
    if variant == "rename_item":
        tag = rng.choice([ITEM_END, SEQ_END, 0xFFFEE001, 0x00100010, 0xFFFFFFFF])
        buf[tok.start:tok.start + 4] = enc.tag_bytes(tag)
        return f"sequence_nesting:rename_item:{tag:08X}@{tok.start}"
    new = rng.choice([UNDEFINED, 0, tok.length + 2 if tok.defined else 8, max(0, tok.length - 2) if tok.defined
                      else 0, rng.randrange(1 << 32)])
    _set_length(buf, enc, tok, new)
    return f"sequence_nesting:item_length:{tok.length}->{new}"


#: sequences to nest: kept and walked by the profile, removed, private (block of the seeds' creator), undefined
_NEST_TAGS = (0x00082218, 0x0040A730, 0x00081140, 0x00091010, 0x00109998)


def deep_sequence(parts: Parts, rng: random.Random) -> str:
    """A chain of ``depth`` nested sequences, one item each, with a marker in PatientName (and PatientID) at the
    bottom; lengths all defined, all undefined or mixed level by level. Built from bytes (pydicom cannot write
    a few hundred levels: it runs out of recursion and its error messages grow without bound)."""
    enc, buf = parts.encoding, parts.body
    depth = rng.choice([1, 2, 3, 8, 32, 62, 63, 64, 65, 66, 90, 150, 300, 1000])
    tag = rng.choice(_NEST_TAGS)
    mode = rng.choice(["defined", "undefined", "mixed"])
    inner = element_bytes(enc, 0x00100010, "PN", (PREFIX + "FZ^NEST").encode("ascii"))
    if rng.random() < 0.5:
        inner += element_bytes(enc, 0x00100020, "LO", (PREFIX + "FZ").encode("ascii"))
    vr = b"SQ" if enc.explicit else b""
    for _ in range(depth):
        undefined = mode == "undefined" or (mode == "mixed" and rng.random() < 0.5)
        if undefined:
            item = enc.tag_bytes(ITEM) + enc.pack(4, UNDEFINED) + inner + enc.tag_bytes(ITEM_END) + enc.pack(4, 0)
            sequence = item + enc.tag_bytes(SEQ_END) + enc.pack(4, 0)
            length = UNDEFINED
        else:
            sequence = enc.tag_bytes(ITEM) + enc.pack(4, len(inner)) + inner
            length = len(sequence)
        inner = enc.tag_bytes(tag) + (vr + b"\0\0" if vr else b"") + enc.pack(4, length) + sequence
    top = [t for t in _body_tokens(parts) if t.depth == 0 and t.kind == "element"]
    same = next((t for t in top if t.tag == tag), None)
    if same is not None:  # replace an element of that tag (its extent: up to the next top-level element)
        nxt = next((t.start for t in top if t.start > same.start), len(buf))
        buf[same.start:nxt] = inner
    else:
        after = next((t for t in top if t.tag > tag), None)
        at = after.start if after is not None else len(buf)
        buf[at:at] = inner
    return f"sequence_nesting:deep:{depth}:{mode}:({tag >> 16:04X},{tag & 0xFFFF:04X})"


# -- truncation -----------------------------------------------------------------------------------------------


def truncate(data: bytearray, rng: random.Random) -> str:
    """Cut the file: anywhere, at an element boundary, inside an element header, in the file meta, one byte short."""
    size = len(data)
    variant = rng.choice(["anywhere", "boundary", "in_header", "in_meta", "last_byte", "tail"])
    if variant == "anywhere":
        at = rng.randrange(size)
    elif variant in ("boundary", "in_header"):
        from .stream import meta_end

        start = meta_end(bytes(data))
        toks = tokens(data, Encoding(), start)  # explicit LE is what most seeds are; others cut anywhere
        at = rng.choice([t.start for t in toks] or [rng.randrange(size)])
        if variant == "in_header":
            at += rng.randrange(1, 12)
    elif variant == "in_meta":
        at = rng.randrange(128, min(size, 400))
    elif variant == "last_byte":
        at = size - 1
    else:
        at = size - rng.randrange(1, min(size, 4096))
    at = max(0, min(at, size - 1))
    del data[at:]
    return f"truncation:{variant}:{at}/{size}"


# -- pixel data length ----------------------------------------------------------------------------------------


def pixel_data_length(parts: Parts, rng: random.Random) -> str:
    """Native pixel data a few bytes, a frame or all of it short or long (length in step), or declared wrong."""
    tok = _top(parts, PIXEL_DATA)
    if tok is None or not tok.defined:
        raise NotApplicable
    buf, enc, length = parts.body, parts.encoding, tok.length
    variant = rng.choice(["shorter", "longer", "declared", "empty", "odd"])
    if variant == "shorter":
        cut = rng.choice([1, 2, 3, length // 2, length // max(1, rng.randrange(1, 4)), length - 1])
        cut = max(1, min(cut, length))
        _replace_value(buf, enc, tok, bytes(buf[tok.value_at:tok.end - cut]))
        return f"pixel_data_length:shorter:{length}->{length - cut}"
    if variant == "longer":
        extra = rng.choice([1, 2, 4, 1000, length // 2, length])
        _replace_value(buf, enc, tok, bytes(buf[tok.value_at:tok.end]) + rng.randbytes(extra))
        return f"pixel_data_length:longer:{length}->+{extra}"
    if variant == "empty":
        _replace_value(buf, enc, tok, b"")
        return "pixel_data_length:empty"
    if variant == "odd":
        _replace_value(buf, enc, tok, bytes(buf[tok.value_at:tok.end - 1]))
        _set_length(buf, enc, tok, length - 1)
        return f"pixel_data_length:odd:{length - 1}"
    new = rng.choice([length - 1, length + 1, length + 2, length * 2, UNDEFINED])
    _set_length(buf, enc, tok, new)
    return f"pixel_data_length:declared:{length}->{new}"


_US_ATTRS = {0x00280010: "Rows", 0x00280011: "Columns", 0x00280100: "BitsAllocated", 0x00280101: "BitsStored",
             0x00280102: "HighBit", 0x00280103: "PixelRepresentation", 0x00280002: "SamplesPerPixel",
             0x00280006: "PlanarConfiguration"}
_TEXT_ATTRS = {0x00280008: ("NumberOfFrames", [b"0", b"1", b"2", b"3", b"4", b"100", b"-1", b"2147483647", b"abc",
                                               b"", b"1.5", b"99999999999"]),
               0x00280004: ("PhotometricInterpretation", [b"RGB", b"MONOCHROME1", b"MONOCHROME2", b"YBR_FULL",
                                                          b"YBR_FULL_422", b"PALETTE COLOR", b"YBR_RCT", b"XYZ",
                                                          b""])}


def pixel_attributes(parts: Parts, rng: random.Random) -> str:
    """Image Pixel attributes that disagree with the pixel data: Rows, Columns, frames, bits, samples,
    photometric interpretation (values in step with their lengths), or the attribute removed."""
    buf, enc = parts.body, parts.encoding
    toks = [t for t in _body_tokens(parts) if t.depth == 0 and t.kind == "element"
            and (t.tag in _US_ATTRS or t.tag in _TEXT_ATTRS)]
    tok = _pick(rng, toks)
    if rng.random() < 0.15:
        del buf[tok.start:tok.end]
        return f"pixel_attributes:remove:{tok.label()}"
    if tok.tag in _US_ATTRS:
        old = enc.unpack(buf, tok.value_at, 2) if tok.length >= 2 else 0
        new = rng.choice([0, 1, 2, 3, 7, 8, 12, 16, 17, 32, 64, old + 1, max(0, old - 1), old * 2, 65535,
                          rng.randrange(65536)])
        _replace_value(buf, enc, tok, enc.pack(2, new))
        return f"pixel_attributes:{_US_ATTRS[tok.tag]}:{old}->{new}"
    name, values = _TEXT_ATTRS[tok.tag]
    text = rng.choice(values)
    _replace_value(buf, enc, tok, text + b" " * (len(text) % 2))
    return f"pixel_attributes:{name}:{text.decode('ascii')!r}"


# -- transfer syntax and file meta ----------------------------------------------------------------------------

_SYNTAXES = sorted(uid for uid, entry in UID_dictionary.items() if entry[1] == "Transfer Syntax")
_ODD_SYNTAXES = ["", "1.2.3.4.5", "1.2.840.10008.1.2.1.", "1.2.840.10008.1.2.4.50 ", "1.2.840.10008.1.2.4.9999",
                 "1." + "2" * 70, "1.2.840.10008.1.2\x001", "nonsense"]


def transfer_syntax(parts: Parts, rng: random.Random) -> str:
    """Another Transfer Syntax UID in the file meta (the data set keeps its encoding), or the meta damaged:
    syntax removed, group length wrong, media storage class made a DICOMDIR's."""
    meta, enc = parts.meta, Encoding()
    toks = [t for t in tokens(meta, enc) if t.kind == "element"]
    variant = rng.choice(["syntax"] * 6 + ["odd_syntax", "remove_syntax", "group_length", "dicomdir"])
    if variant in ("syntax", "odd_syntax"):
        uid = rng.choice(_SYNTAXES if variant == "syntax" else _ODD_SYNTAXES)
        new = _rebuild_meta(toks, meta, {0x00020010: uid.encode("ascii", "replace")}, fix_length=rng.random() < 0.8)
        parts.meta[:] = new
        return f"transfer_syntax:{uid.encode('ascii', 'replace').decode('ascii')!r}"
    if variant == "remove_syntax":
        parts.meta[:] = _rebuild_meta(toks, meta, {0x00020010: None}, fix_length=True)
        return "transfer_syntax:removed"
    if variant == "dicomdir":
        parts.meta[:] = _rebuild_meta(toks, meta, {0x00020002: b"1.2.840.10008.1.3.10"}, fix_length=True)
        return "transfer_syntax:media_storage_dicomdir"
    tok = next((t for t in toks if t.tag == 0x00020000), None)
    if tok is None:
        raise NotApplicable
    group_length = rng.choice([0, 1, 4, 1000, 0xFFFFFFFF])
    meta[tok.value_at:tok.value_at + 4] = struct.pack("<I", group_length)
    return f"transfer_syntax:group_length:{group_length}"


def _rebuild_meta(toks: list[Token], meta: bytearray, changes: dict[int, bytes | None], fix_length: bool) -> bytes:
    enc = Encoding()
    elements = []
    for tok in toks:
        if tok.tag == 0x00020000 or tok.tag >> 16 != 0x0002:
            continue
        value = bytes(meta[tok.value_at:tok.end])
        if tok.tag in changes:
            change = changes[tok.tag]
            if change is None:
                continue
            value = change
        elements.append(element_bytes(enc, tok.tag, (tok.vr or b"UN").decode("ascii"), value))
    group = b"".join(elements)
    length = len(group) if fix_length else len(group) + 2
    return element_bytes(enc, 0x00020000, "UL", struct.pack("<I", length)) + group


# -- fragments of encapsulated pixel data ---------------------------------------------------------------------


def fragment_table(parts: Parts, rng: random.Random) -> str:
    """Damage the fragments of encapsulated pixel data: Basic Offset Table offsets wrong, unsorted or of a
    length that is no multiple of 4, fragments dropped, doubled, swapped, split, merged, emptied or cut,
    codestream bytes broken, the sequence delimiter removed, a defined length, a wrong Extended Offset Table."""
    buf, enc = parts.body, parts.encoding
    toks = _body_tokens(parts)
    pixel = next((t for t in toks if t.kind == "element" and t.tag == PIXEL_DATA and t.depth == 0), None)
    frags = [t for t in toks if t.kind == "fragment"]
    if pixel is None or pixel.defined or not frags:
        raise NotApplicable
    bot, data = frags[0], frags[1:]
    end = next((t for t in toks if t.kind == "seq_end" and t.start >= pixel.start), None)
    variants = ["bot_offsets", "bot_odd_length", "bot_empty", "drop", "double", "split", "empty_fragment", "cut",
                "corrupt", "fragment_length", "defined_length", "extended_offsets"]
    variants += ["swap", "merge"] if len(data) > 1 else []
    variants += ["no_delimiter"] if end is not None else []
    variant = rng.choice(variants)

    def item(value: bytes) -> bytes:
        return enc.tag_bytes(ITEM) + enc.pack(4, len(value)) + value

    if variant == "bot_offsets":
        count = rng.choice([len(data), len(data) + 1, 1, 2])
        offsets = [rng.choice([0, 1, 3, 8, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 32)]) for _ in range(count)]
        if rng.random() < 0.5:
            offsets.sort(reverse=True)
        buf[bot.start:bot.end] = item(struct.pack(("<" if enc.little else ">") + "I" * count, *offsets))
        return f"fragment_table:bot_offsets:{count}"
    if variant == "bot_odd_length":
        buf[bot.start:bot.end] = item(bytes(buf[bot.value_at:bot.end]) + b"\x01" * rng.choice([1, 2, 3]))
        return "fragment_table:bot_odd_length"
    if variant == "bot_empty":
        buf[bot.start:bot.end] = item(b"")
        return "fragment_table:bot_empty"
    if variant == "no_delimiter":
        if end is None:
            raise NotApplicable
        del buf[end.start:end.start + 8]
        return "fragment_table:no_delimiter"
    if variant == "defined_length":
        stop = end.start + 8 if end is not None else len(buf)
        _set_length(buf, enc, pixel, stop - pixel.value_at)
        return "fragment_table:defined_length"
    if variant == "extended_offsets":
        count = rng.choice([len(data), len(data) + 2, 1])
        pack = ("<" if enc.little else ">") + "Q" * count
        offset_table = struct.pack(pack, *[rng.choice([0, 8, 1 << 40, rng.randrange(1 << 20)]) for _ in range(count)])
        lengths = struct.pack(pack, *[rng.choice([0, 1, 1 << 40, rng.randrange(1 << 20)]) for _ in range(count)])
        for tag in (0x7FE00001, 0x7FE00002):  # drop an existing table first, then put the new one before (7FE0,0010)
            old = next((t for t in tokens(buf, enc) if t.depth == 0 and t.tag == tag), None)
            if old is not None:
                del buf[old.start:old.end]
        pixel = next(t for t in tokens(buf, enc) if t.depth == 0 and t.tag == PIXEL_DATA)
        new = element_bytes(enc, 0x7FE00001, "OV", offset_table) + element_bytes(enc, 0x7FE00002, "OV", lengths)
        buf[pixel.start:pixel.start] = new
        return f"fragment_table:extended_offsets:{count}"
    frag = _pick(rng, data)
    value = bytes(buf[frag.value_at:frag.end])
    if variant == "drop":
        del buf[frag.start:frag.end]
    elif variant == "double":
        buf[frag.end:frag.end] = item(value)
    elif variant == "swap":
        if len(data) < 2:
            raise NotApplicable
        other = _pick(rng, [t for t in data if t is not frag])
        first, second = sorted((frag, other), key=lambda t: t.start)
        a, b = bytes(buf[first.start:first.end]), bytes(buf[second.start:second.end])
        buf[second.start:second.end] = a
        buf[first.start:first.end] = b
    elif variant == "split":
        at = rng.randrange(0, len(value) + 1) & ~1
        buf[frag.start:frag.end] = item(value[:at]) + item(value[at:])
    elif variant == "merge":
        nxt = next((t for t in data if t.index == frag.index + 1), None)
        if nxt is None:
            raise NotApplicable
        buf[frag.start:nxt.end] = item(value + bytes(buf[nxt.value_at:nxt.end]))
    elif variant == "empty_fragment":
        buf[frag.start:frag.start] = item(b"")
    elif variant == "cut":
        keep = rng.choice([0, 2, 4, len(value) // 2, len(value) - 2]) & ~1
        buf[frag.start:frag.end] = item(value[:max(0, keep)])
    elif variant == "corrupt":
        damaged = bytearray(value)
        for _ in range(rng.randrange(1, 16)):
            if damaged:
                damaged[rng.randrange(len(damaged))] = rng.choice([0x00, 0xFF, 0xD8, 0xD9, rng.randrange(256)])
        buf[frag.value_at:frag.end] = damaged
    else:  # fragment_length: declared only
        _set_length(buf, enc, frag, rng.choice([0, 1, len(value) + 1, len(value) + 8, 0xFFFFFFFF,
                                                rng.randrange(1 << 32)]))
    return f"fragment_table:{variant}:fragment{frag.index}"


# -- overlay data length --------------------------------------------------------------------------------------


def overlay_bytes(parts: Parts, rng: random.Random) -> str:
    """Overlay Data (60xx,3000) shorter or longer than Overlay Rows x Columns (length in step) or declared wrong."""
    buf, enc = parts.body, parts.encoding
    tok = _pick(rng, [t for t in _body_tokens(parts) if t.kind == "element" and 0x6000 <= t.tag >> 16 <= 0x601E
                      and t.tag & 0xFFFF == 0x3000 and t.defined])
    value = bytes(buf[tok.value_at:tok.end])
    variant = rng.choice(["shorter", "longer", "empty", "declared"])
    if variant == "shorter":
        _replace_value(buf, enc, tok, value[:rng.choice([0, 1, 2, len(value) // 2, len(value) - 2])])
    elif variant == "longer":
        _replace_value(buf, enc, tok, value + bytes(rng.choice([1, 2, len(value), 4096])))
    elif variant == "empty":
        _replace_value(buf, enc, tok, b"")
    else:
        _set_length(buf, enc, tok, rng.choice([len(value) + 2, len(value) - 1, 0xFFFFFFFF, 1 << 30]))
    return f"overlay:data_{variant}:{tok.label()}"


# -- values and order -----------------------------------------------------------------------------------------


def value_bytes(parts: Parts, rng: random.Random) -> str:
    """Overwrite a few bytes inside one element's value (NUL, 0xFF, backslash, ESC, CR LF, high bytes)."""
    buf = parts.body
    tok = _pick(rng, [t for t in _body_tokens(parts) if t.kind == "element" and t.defined and t.length > 0
                      and t.tag != PIXEL_DATA])
    count = rng.randrange(1, 9)
    for _ in range(count):
        at = tok.value_at + rng.randrange(tok.length)
        byte = rng.choice([0x00, 0xFF, 0x5C, 0x1B, 0x0D, 0x0A, 0x80, 0xC3, 0xE9, rng.randrange(256)])
        if at < len(buf):  # an earlier mutation may have given the element a length past the end of the file
            buf[at] = byte
    return f"value_bytes:{tok.label()}:{count}"


def bit_flips(data: bytearray, rng: random.Random) -> str:
    """Flip a few random bits anywhere in the file (havoc)."""
    count = rng.randrange(1, 17)
    for _ in range(count):
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
    return f"value_bytes:bit_flips:{count}"


def element_order(parts: Parts, rng: random.Random) -> str:
    """Top-level elements out of order or twice: swap two neighbours, double one, move one after the pixel data."""
    buf = parts.body
    toks = [t for t in _body_tokens(parts) if t.depth == 0 and t.kind == "element"]
    ends = _extents(parts, toks)
    if len(toks) < 2:
        raise NotApplicable
    i = rng.randrange(len(toks) - 1)
    variant = rng.choice(["swap", "double", "to_end"])
    a = bytes(buf[toks[i].start:ends[i]])
    if variant == "swap":
        b = bytes(buf[toks[i + 1].start:ends[i + 1]])
        buf[toks[i].start:ends[i + 1]] = b + a
    elif variant == "double":
        buf[ends[i]:ends[i]] = a
    else:
        del buf[toks[i].start:ends[i]]
        buf.extend(a)
    return f"element_order:{variant}:{toks[i].label()}"


def _extents(parts: Parts, top: list[Token]) -> list[int]:
    """Where each top-level element ends (the next one's start; the end of the data for the last)."""
    return [t.start for t in top[1:]] + [len(parts.body)]


# -- character sets -------------------------------------------------------------------------------------------

_CHARSETS = [b"ISO_IR 192", b"ISO_IR 100", b"ISO 2022 IR 87", b"\\ISO 2022 IR 87", b"ISO 2022 IR 6\\ISO 2022 IR 87",
             b"GB18030", b"ISO_IR 13", b"ISO_IR 100\\ISO_IR 144", b"NOT A CHARSET", b"", b"ISO_IR 6"]
_ODD_TEXT = [b"\xc3\xa9", b"\xe9", b"\xff\xfe", b"\x1b$B", b"\x1b(B", b"\x1b-A", b"\x00", b"\\", b"\xe6\x97\xa5"]


def charset(parts: Parts, rng: random.Random) -> str:
    """Another Specific Character Set (valid, multi-valued, unknown, empty) and top-level text values with
    bytes it may not decode (Latin-1, UTF-8, invalid UTF-8, ISO 2022 escapes, NUL, backslash)."""
    buf, enc = parts.body, parts.encoding
    toks = [t for t in _body_tokens(parts) if t.depth == 0 and t.kind == "element"]
    value = rng.choice(_CHARSETS)
    value += b" " * (len(value) % 2)
    current = next((t for t in toks if t.tag == 0x00080005), None)
    if current is not None:
        _replace_value(buf, enc, current, value)
    else:
        after = next((t for t in toks if t.tag > 0x00080005), None)
        at = after.start if after is not None else len(buf)
        buf[at:at] = element_bytes(enc, 0x00080005, "CS", value)
    texts = [t for t in _body_tokens(parts) if t.depth == 0 and t.kind == "element" and t.defined and t.length
             and (t.vr in (b"PN", b"LO", b"SH", b"LT", b"ST", b"UT") or
                  (t.vr is None and t.tag in (0x00100010, 0x00080080, 0x00200004, 0x00204000)))]
    if texts:
        tok = rng.choice(texts)
        old = bytes(buf[tok.value_at:tok.end])
        odd = rng.choice(_ODD_TEXT)
        new = rng.choice([odd + old, old + odd, old[: len(old) // 2] + odd + old[len(old) // 2:]])
        _replace_value(buf, enc, tok, new + b" " * (len(new) % 2))
        return f"charset:{value.decode('ascii').strip()!r}:{tok.label()}+{odd.hex()}"
    return f"charset:{value.decode('ascii').strip()!r}"
