"""The batch runner over a corpus of broken, odd and hostile inputs mixed with good files, in ONE run.

Each entry must end as exactly one error row or one correct output (re-readable, no PHI from that
input left in it); the batch never stops, never leaves temporary files, and exits with status 1.

The corpus is built at the end of this module with pydicom and raw bytes: :func:`build_corpus` writes
every case under one root and returns the :class:`Case` list: what each entry is, whether it must end
as an output, an error row, or may end as either (malformed data that pydicom may or may not accept;
the runner must then produce a clean output or one error row), and which PHI strings it carries (they
must not survive in an output or in errors.csv).
"""

from __future__ import annotations

import csv
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    MediaStorageDirectoryStorage,
)

from phiphantom.deid.batch import (
    AUDIT_FILENAME,
    ERRORS_FILENAME,
    RESERVED_NAMES,
    STAGING_DIRNAME,
    ExecutionSettings,
    KeySettings,
    OutputSettings,
    deid_batch,
    path_text,
)
from phiphantom.deid.keys import KEY_ENV

from .helpers import image, instance_uid, save

KEY_ENV_VALUE = {KEY_ENV: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """The corpus, built once, and one batch run over it (keep layout and input paths in the records, asked for
    explicitly since issue 12 item 4 made both opt-in; 2 workers)."""
    base = tmp_path_factory.mktemp("bad-inputs")
    cases = build_corpus(base / "in", base / "outside")
    summary = deid_batch(base / "in", base / "out", keys=KeySettings(env=KEY_ENV_VALUE),
                         output=OutputSettings(layout="keep", show_paths=True),
                         execution=ExecutionSettings(workers=2, timeout_s=60))
    with open(base / "out" / ERRORS_FILENAME, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return base, cases, summary, rows


def _outputs(out: Path) -> set[str]:
    """Relative paths of the DICOM outputs (the runner's own records excluded)."""
    own = RESERVED_NAMES
    return {p.relative_to(out).as_posix() for p in out.rglob("*")
            if p.is_file() and not p.name.startswith(".") and p.name not in own}


def test_corpus_is_varied_enough(corpus_run):
    _, cases, _, _ = corpus_run
    assert len({case.kind for case in cases}) >= 20


def test_every_entry_ends_as_one_row_or_one_output(corpus_run):
    base, cases, summary, rows = corpus_run
    by_path: dict[str, list[dict]] = {}
    for row in rows:
        by_path.setdefault(row["path"], []).append(row)
    outputs = _outputs(base / "out")
    assert summary.files == len(cases)
    assert summary.ok + summary.failed == len(cases) and summary.skipped == 0
    assert len(rows) == summary.failed and len(outputs) == summary.ok
    for case in cases:
        shown = path_text(case.relpath)
        has_row, has_output = shown in by_path, case.relpath in outputs
        assert has_row != has_output, f"{case.kind}: row={has_row} output={has_output}"
        assert len(by_path.get(shown, [])) <= 1, case.kind
        if case.expect == OUTPUT:
            assert has_output, f"{case.kind} failed: {by_path.get(shown)}"
        elif case.expect == ERROR:
            assert has_row, f"{case.kind} gave an output"
            if case.error_class:
                assert by_path[shown][0]["error_class"] == case.error_class, case.kind


def test_exit_status_and_no_leftovers(corpus_run):
    base, _, summary, _ = corpus_run
    out = base / "out"
    assert summary.exit_code == 1
    assert not list(out.rglob("*.part*")) and not (out / STAGING_DIRNAME).exists()
    assert "NotDicom" in summary.errors_by_class and "TruncatedFile" in summary.errors_by_class


def test_outputs_are_valid_and_free_of_their_phi(corpus_run):
    base, cases, _, _ = corpus_run
    out = base / "out"
    for case in cases:
        target = out / case.relpath
        if case.expect == ERROR or not target.is_file():
            continue
        data = target.read_bytes()
        assert data[:128] == bytes(128), f"{case.kind}: preamble not zeroed"
        ds = pydicom.dcmread(target)
        for _ in ds.iterall():
            pass
        assert ds.PatientIdentityRemoved == "YES"
        for value in case.phi:
            assert value.encode("utf-8") not in data and value.encode("latin-1", "ignore") not in data, \
                f"{case.kind}: {value!r} left in the output"


def test_valid_variants_keep_their_encoding(corpus_run):
    base, _, _, _ = corpus_run
    out = base / "out" / "valid"
    deflated = pydicom.dcmread(out / "deflated.dcm")
    assert deflated.file_meta.TransferSyntaxUID == pydicom.uid.DeflatedExplicitVRLittleEndian
    big = pydicom.dcmread(out / "big_endian.dcm")
    assert big.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRBigEndian
    assert big.pixel_array.ravel().tolist() == list(range(64))
    assert pydicom.dcmread(out / "implicit.dcm").file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert not any(elem.tag.is_private for elem in pydicom.dcmread(out / "unknown_private.dcm").iterall())
    meta = pydicom.dcmread(out / "meta_phi.dcm").file_meta
    assert "SourceApplicationEntityTitle" not in meta and "PrivateInformation" not in meta
    assert "PixelData" not in pydicom.dcmread(out / "no_pixels.dcm")


def test_errors_csv_and_audit_hold_no_phi(corpus_run):
    base, cases, _, _ = corpus_run
    errors_text = (base / "out" / ERRORS_FILENAME).read_text(encoding="utf-8")
    audit_text = (base / "out" / AUDIT_FILENAME).read_text(encoding="utf-8")
    for case in cases:
        for value in case.phi:
            assert value not in errors_text, f"{case.kind}: {value!r} in errors.csv"
            if case.kind != "non-ASCII file name":  # its name is its path, shown under --show-paths
                assert value not in audit_text, f"{case.kind}: {value!r} in audit.jsonl"
    records = [json.loads(line) for line in audit_text.splitlines()]
    assert len(records) == len(cases)


# -- the corpus --------------------------------------------------------------------------------------------

OUTPUT, ERROR, EITHER = "output", "error", "either"


@dataclass(frozen=True)
class Case:
    """One entry of the corpus (``relpath`` relative to the corpus root, as errors.csv reports it)."""

    kind: str
    relpath: str
    expect: str                      # OUTPUT | ERROR | EITHER
    error_class: str | None = None   # the expected class when ``expect`` is ERROR (None: any)
    phi: tuple[str, ...] = ()        # strings that must not appear in an output or in errors.csv


def _patch(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) == 1, f"patch target not unique in {path.name}"
    path.write_bytes(data.replace(old, new))


def _elem(group: int, element: int, vr: bytes, value: bytes, long_length: int | None = None) -> bytes:
    """One explicit VR little endian element (``long_length`` overrides the 4-byte length of OB/SQ/UT/UN...)."""
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT", b"UC", b"UR", b"OF", b"OD", b"OL", b"OV"):
        length = len(value) if long_length is None else long_length
        return struct.pack("<HH", group, element) + vr + b"\0\0" + struct.pack("<I", length) + value
    return struct.pack("<HH", group, element) + vr + struct.pack("<H", len(value)) + value


_ITEM, _ITEM_END, _SEQ_END = (0xFFFE, 0xE000), (0xFFFE, 0xE00D), (0xFFFE, 0xE0DD)
_UNDEFINED = 0xFFFFFFFF


def _tag_len(tag: tuple[int, int], length: int) -> bytes:
    return struct.pack("<HHI", *tag, length)


def _raw_file(path: Path, body: bytes, n: int) -> Path:
    """A Part 10 file from a valid header (patient ``Raw^Person<n>``) followed by raw ``body`` bytes."""
    ds = image(f"Raw^Person{n}", f"RAW{n}", n, pixels=False)
    save(ds, path)
    path.write_bytes(path.read_bytes() + body)
    return path


def _sq_open(group: int, element: int) -> bytes:
    return struct.pack("<HH", group, element) + b"SQ\0\0" + struct.pack("<I", _UNDEFINED)


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _not_dicom_cases(root: Path) -> list[Case]:
    _write(root / "notes.txt", "Patient Textfile^Tom, MRN 555123, seen 2023-01-15\n")
    _write(root / "empty.dcm", b"")
    ds = image("Nopreamble^Nina", "NOPRE1", 1)
    ds.file_meta = FileMetaDataset()
    (root / "raw_dataset.dcm").parent.mkdir(parents=True, exist_ok=True)
    dcmwrite(root / "raw_dataset.dcm", ds, implicit_vr=True, little_endian=True)  # no preamble, no meta
    _write(root / "instance.json", '{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Json^Jane"}]},'
                                   ' "00100020": {"vr": "LO", "Value": ["JSON42"]}}')
    _write(root / "instance.xml", '<?xml version="1.0"?><NativeDicomModel><DicomAttribute tag="00100010" vr="PN">'
                                  '<PersonName number="1"><Alphabetic><FamilyName>Xml</FamilyName>'
                                  '<GivenName>Xavier</GivenName></Alphabetic></PersonName></DicomAttribute></NativeDicomModel>')
    return [
        Case("text file", "notes.txt", ERROR, "NotDicom", ("Textfile",)),
        Case("0-byte file", "empty.dcm", ERROR, "NotDicom"),
        Case("no preamble (raw dataset)", "raw_dataset.dcm", ERROR, "NotDicom", ("Nopreamble", "NOPRE1")),
        Case("DICOM JSON", "instance.json", ERROR, "NotDicom", ("Json^Jane",)),
        Case("DICOM XML", "instance.xml", ERROR, "NotDicom", ("Xavier",)),
    ]


def _truncated_cases(root: Path) -> list[Case]:
    full = save(image("Truncpix^Tina", "TRUNC1", 2), root / "trunc" / "pixels.dcm").read_bytes()
    _write(root / "trunc" / "pixels.dcm", full[:-30])  # 64 pixel bytes at the end: cut in their middle
    header = save(image("Trunchead^Theo", "TRUNC2", 3), root / "trunc" / "header.dcm").read_bytes()
    cut = header.index(b"Trunchead") + 4
    _write(root / "trunc" / "header.dcm", header[:cut])
    return [
        Case("truncated in the pixel data", "trunc/pixels.dcm", ERROR, None, ("Truncpix", "TRUNC1")),
        Case("truncated in the header", "trunc/header.dcm", ERROR, None, ("Trunchead", "TRUNC2")),
    ]


def _valid_variant_cases(root: Path) -> list[Case]:
    save(image("Nopixels^Nora", "NOPIX1", 4, pixels=False), root / "valid" / "no_pixels.dcm")
    save(image("Deflate^Dora", "DEFL1", 5), root / "valid" / "deflated.dcm", DeflatedExplicitVRLittleEndian)
    save(image("Bigend^Bert", "BIGE1", 6), root / "valid" / "big_endian.dcm", ExplicitVRBigEndian)
    save(image("Implicit^Ida", "IMPL1", 7), root / "valid" / "implicit.dcm", ImplicitVRLittleEndian)
    ds = image("Private^Paul", "PRIV1", 8)
    block = ds.private_block(0x0011, "ACME SECRET TAGS 1.0", create=True)
    block.add_new(0x01, "LO", "Private^Paul hidden")
    block.add_new(0x02, "LO", "PRIV1")
    save(ds, root / "valid" / "unknown_private.dcm")
    ds = image("Preamble^Pia", "PREAM1", 9)
    ds.preamble = b"II*\0" + b"Preamble^Pia PREAM1".ljust(124, b" ")
    save(ds, root / "valid" / "preamble_phi.dcm")
    ds = image("Meta^Mona", "META1", 10)
    ds.file_meta.SourceApplicationEntityTitle = "MONA_META1"
    ds.file_meta.PrivateInformationCreatorUID = instance_uid(777)
    ds.file_meta.PrivateInformation = b"Meta^Mona META1 "
    save(ds, root / "valid" / "meta_phi.dcm")
    save(image("Folder^Fritz", "FOLD1", 11), root / "folder.dcm" / "inside.dcm")
    save(image("Müller^Jürgen", "UMLAUT1", 12), root / "valid" / "Müller_Jürgen.dcm")
    bytes_name = os.fsdecode(b"valid/caf\xe9_latin1.dcm")
    save(image("Latin^Lola", "LATIN1", 13), root / bytes_name)
    ds = image("Mxller^Hans", "UTF8BAD", 14, charset="ISO_IR 192")
    path = save(ds, root / "valid" / "invalid_utf8.dcm")
    _patch(path, b"Mxller^Hans", b"M\xfcller^Hans")  # Latin-1 byte in a UTF-8 file
    return [
        Case("missing pixel data", "valid/no_pixels.dcm", OUTPUT, None, ("Nopixels", "NOPIX1")),
        Case("deflated transfer syntax", "valid/deflated.dcm", OUTPUT, None, ("Deflate^Dora", "DEFL1")),
        Case("explicit VR big endian", "valid/big_endian.dcm", OUTPUT, None, ("Bigend", "BIGE1")),
        Case("implicit VR little endian", "valid/implicit.dcm", OUTPUT, None, ("Implicit^Ida", "IMPL1")),
        Case("unknown private creator", "valid/unknown_private.dcm", OUTPUT, None, ("Private^Paul", "PRIV1", "ACME")),
        Case("PHI in the preamble", "valid/preamble_phi.dcm", OUTPUT, None, ("Preamble^Pia", "PREAM1")),
        Case("PHI in file meta", "valid/meta_phi.dcm", OUTPUT, None, ("Meta^Mona", "MONA_META1", "META1")),
        Case("folder named *.dcm", "folder.dcm/inside.dcm", OUTPUT, None, ("Folder^Fritz", "FOLD1")),
        Case("non-ASCII file name", "valid/Müller_Jürgen.dcm", OUTPUT, None, ("Jürgen", "UMLAUT1")),
        Case("non-UTF-8 file name", bytes_name, OUTPUT, None, ("Latin^Lola", "LATIN1")),
        Case("invalid UTF-8 with ISO_IR 192", "valid/invalid_utf8.dcm", OUTPUT, None, ("ller^Hans", "UTF8BAD")),
    ]


def _malformed_cases(root: Path) -> list[Case]:
    path = save(image("Baddate^Bea", "BADDA1", 15), root / "malformed" / "da_7_bytes.dcm")
    _patch(path, b"DA\x08\x0020230115", b"DA\x07\x002023011")
    path = save(image("Badus^Udo", "BADUS1", 16), root / "malformed" / "us_3_bytes.dcm")
    _patch(path, b"\x28\x00\x10\x00US\x02\x00\x08\x00", b"\x28\x00\x10\x00US\x03\x00\x08\x00\x00")
    text = _elem(0x0008, 0x0104, b"LO", b"meaning ")
    _raw_file(root / "malformed" / "item_no_delimiter.dcm",
              _sq_open(0x0040, 0xA730) + _tag_len(_ITEM, _UNDEFINED) + text + _tag_len(_SEQ_END, 0), 17)
    _raw_file(root / "malformed" / "sequence_not_closed.dcm",
              _sq_open(0x0040, 0xA730) + _tag_len(_ITEM, len(text)) + text, 18)  # then the end of the file
    _raw_file(root / "malformed" / "huge_length.dcm", _elem(0x0040, 0xA160, b"UT", b"short text", 0xFFFFFFF0), 19)
    depth = 2000
    nested = (_sq_open(0x0040, 0xA730) + _tag_len(_ITEM, _UNDEFINED)) * depth + \
             (_tag_len(_ITEM_END, 0) + _tag_len(_SEQ_END, 0)) * depth
    _raw_file(root / "malformed" / "deep_nesting.dcm", nested, 20)
    ds = image("Nosop^Nils", "NOSOP1", 21)
    del ds.SOPInstanceUID
    save(ds, root / "malformed" / "no_sop_uid.dcm")
    return [
        Case("DA with 7 bytes", "malformed/da_7_bytes.dcm", EITHER, None, ("Baddate", "BADDA1")),
        Case("US with 3 bytes", "malformed/us_3_bytes.dcm", EITHER, None, ("Badus", "BADUS1")),
        Case("item without delimiter", "malformed/item_no_delimiter.dcm", EITHER, None, ("Person17", "RAW17")),
        Case("sequence never closed", "malformed/sequence_not_closed.dcm", EITHER, None, ("Person18", "RAW18")),
        Case("huge declared length", "malformed/huge_length.dcm", ERROR, None, ("Person19", "RAW19")),
        Case(f"sequences nested {depth} deep", "malformed/deep_nesting.dcm", EITHER, None, ("Person20", "RAW20")),
        Case("no SOP Instance UID", "malformed/no_sop_uid.dcm", ERROR, "DeidError", ("Nosop", "NOSOP1")),
    ]


def _dicomdir_case(root: Path) -> list[Case]:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = MediaStorageDirectoryStorage
    ds.file_meta.MediaStorageSOPInstanceUID = instance_uid(30)
    ds.FileSetID = "ARCHIVE"
    ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    ds.FileSetConsistencyFlag = 0
    record = Dataset()
    record.OffsetOfTheNextDirectoryRecord, record.RecordInUseFlag = 0, 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = "PATIENT"
    record.PatientName, record.PatientID = "Dicomdir^Dan", "DIRPAT1"
    ds.DirectoryRecordSequence = Sequence([record])
    save(ds, root / "media" / "DICOMDIR")
    return [Case("DICOMDIR", "media/DICOMDIR", ERROR, "DicomDir", ("Dicomdir^Dan", "DIRPAT1"))]


def _filesystem_cases(root: Path, outside: Path) -> list[Case]:
    links = root / "links"
    links.mkdir(parents=True, exist_ok=True)
    os.symlink("..", links / "loop")
    os.symlink("does-not-exist.dcm", links / "dangling.dcm")
    save(image("Target^Tara", "TARGET1", 22), links / "target.dcm")
    os.symlink("target.dcm", links / "alias.dcm")
    save(image("Outside^Otto", "OUTSIDE1", 23), outside / "outside.dcm")
    os.symlink(outside / "outside.dcm", links / "to_outside.dcm")
    cases = [
        Case("symlink loop to a parent folder", "links/loop", ERROR, "SymlinkNotFollowed"),
        Case("dangling symlink", "links/dangling.dcm", ERROR, "SymlinkNotFollowed"),
        Case("symlink target inside IN", "links/target.dcm", OUTPUT, None, ("Target^Tara", "TARGET1")),
        Case("symlink to a file inside IN", "links/alias.dcm", ERROR, "SymlinkNotFollowed"),
        Case("symlink to a file outside IN", "links/to_outside.dcm", ERROR, "SymlinkNotFollowed", ("Outside^Otto",)),
    ]
    special = root / "special"
    special.mkdir(parents=True, exist_ok=True)
    os.mkfifo(special / "fifo.dcm")  # opening it would block: it must never be opened
    cases.append(Case("FIFO named *.dcm", "special/fifo.dcm", ERROR, "NotARegularFile"))
    if os.geteuid() != 0:  # root reads mode-000 files anyway; the FIFO above covers "cannot be read" there
        save(image("Locked^Lars", "LOCK1", 24), special / "no_permission.dcm").chmod(0)
        cases.append(Case("no read permission", "special/no_permission.dcm", ERROR, "PermissionError", ("Locked",)))
    return cases


def _collision_cases(root: Path) -> list[Case]:
    first = image("Dupfirst^Dave", "DUP1", 25)
    second = image("Dupsecond^Dina", "DUP2", 26)
    second.SOPInstanceUID = second.file_meta.MediaStorageSOPInstanceUID = first.SOPInstanceUID
    save(first, root / "dup" / "a.dcm")
    save(second, root / "dup" / "b.dcm")
    save(image("Reserved^Rosa", "RESV1", 27), root / "audit.jsonl")  # keep layout: would overwrite the audit log
    return [
        Case("duplicate SOP UID (first)", "dup/a.dcm", OUTPUT, None, ("Dupfirst", "DUP1")),
        Case("duplicate SOP UID (second)", "dup/b.dcm", ERROR, "DuplicateSOPInstanceUID", ("Dupsecond", "DUP2")),
        Case("DICOM named like a runner file", "audit.jsonl", ERROR, "OutputPathCollision", ("Reserved^Rosa",)),
    ]


def build_corpus(root: Path, outside: Path) -> list[Case]:
    """Write every case under ``root`` (``outside``: a folder beside it, for a symlink leading out)."""
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    for build in (_not_dicom_cases, _truncated_cases, _valid_variant_cases, _malformed_cases, _dicomdir_case,
                  _collision_cases):
        cases += build(root)
    cases += _filesystem_cases(root, outside)
    for n in range(3):
        save(image(f"Good^Gina{n}", f"GOOD{n}", 40 + n), root / "good" / f"good_{n}.dcm")
        cases.append(Case("good file", f"good/good_{n}.dcm", OUTPUT, None, (f"Gina{n}", f"GOOD{n}")))
    return cases
