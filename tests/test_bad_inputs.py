"""The batch runner over a corpus of broken, odd and hostile inputs mixed with good files, in ONE run.

Each entry must end as exactly one error row or one correct output (re-readable, no PHI from that
input left in it); the batch never stops, never leaves temporary files, and exits with status 1.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pydicom
import pytest

from phiphantom.deid.batch import AUDIT_FILENAME, ERRORS_FILENAME, RESERVED_NAMES, STAGING_DIRNAME, deid_batch, path_text
from phiphantom.deid.keys import KEY_ENV

from .bad_inputs import ERROR, OUTPUT, build_corpus

KEY_ENV_VALUE = {KEY_ENV: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """The corpus, built once, and one batch run over it (keep layout and input paths in the records, asked for
    explicitly since issue 12 item 4 made both opt-in; 2 workers)."""
    base = tmp_path_factory.mktemp("bad-inputs")
    cases = build_corpus(base / "in", base / "outside")
    summary = deid_batch(base / "in", base / "out", env=KEY_ENV_VALUE, workers=2, timeout_s=60, layout="keep",
                         show_paths=True)
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
