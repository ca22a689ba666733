"""A token of a PHI value is excused only where the input held the same whole value at the same non-PHI path.

The leave-out set (issue 17 follow-up) showed the false leak: a transducer model ``8838`` kept in
TransducerData, where the input held ``8838`` too, is the leading four digits of the file's accession
number ``A8838...``. An engine keeping the model (rightly) was charged a leak. The rule
(``phi_match.inherited``, docs/metrics.md "Header tokens") must not hide a real partial leak: the
same token written into a non-PHI element that held something else, into a PHI row's element, or
beside a whole value is still counted. Real DICOM files are written and read back.
"""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from phiphantom.benchmark.header_metrics import HeaderFileScore, score_header_file
from phiphantom.benchmark.phi_match import PhiMatcher, inherited, phi_forms
from phiphantom.core.ground_truth import TagRow

from .helpers import image, save

PID, ACCESSION, MODEL = "2965600", "A88381234", "8838"
TRANSDUCER = "(0018,5010)"
ROWS = [TagRow.from_row({"tag_path": path, "keyword": keyword, "vr": vr, "location_kind": "standard",
                         "category": category, "injected_value": value, "match": "exact"}, lenient=True)
        for path, keyword, vr, category, value in (
            ("(0010,0020)", "PatientID", "LO", "patient_id", PID),
            ("(0008,0050)", "AccessionNumber", "SH", "accession", ACCESSION))]


def _input(transducer: str = MODEL) -> Dataset:
    ds = image("Doe^Jane", PID, 1)
    ds.AccessionNumber, ds.TransducerData = ACCESSION, transducer
    return ds


def _score(tmp_path: Path, source: Dataset, **elements: str) -> HeaderFileScore:
    """Score an output of ``source`` with the PHI rows' elements removed, then ``elements`` set."""
    src = save(source, tmp_path / "in.dcm")
    out = _input(source.TransducerData)
    del out.PatientID, out.AccessionNumber
    for keyword, value in elements.items():
        setattr(out, keyword, value)
    return score_header_file(src, save(out, tmp_path / "out.dcm"), "out.dcm", ROWS)


def test_the_model_number_the_input_held_is_no_leak_of_the_accession_number(tmp_path):
    assert MODEL in phi_forms(ROWS)  # the collision: 8838 is a token of A88381234
    score = _score(tmp_path, _input())
    assert score.leaks == [] and score.leaks_whole_value == 0


def test_the_same_token_where_the_input_held_something_else_is_a_leak(tmp_path):
    score = _score(tmp_path, _input("L38"), TransducerData=MODEL)
    assert score.leaks == [("standard", TRANSDUCER)] and score.leaks_whole_value == 0


def test_an_element_changed_around_the_token_is_a_leak(tmp_path):
    score = _score(tmp_path, _input(), TransducerData=f"{MODEL}-X")
    assert score.leaks == [("standard", TRANSDUCER)] and score.leaks_whole_value == 0


def test_a_token_in_another_element_than_the_one_the_input_held_it_in_is_a_leak(tmp_path):
    score = _score(tmp_path, _input(), ImageComments=f"acc {MODEL}")
    assert score.leaks == [("free-text", "(0020,4000)")] and score.leaks_whole_value == 0


def test_a_whole_value_the_input_held_outside_its_rows_is_still_a_leak(tmp_path):
    source = _input()
    source.RequestedProcedureDescription = f"MRN {PID}"  # PHI the ground truth does not list: kept unchanged
    score = _score(tmp_path, source, RequestedProcedureDescription=f"MRN {PID}")
    assert score.leaks == [("free-text", "(0032,1060)")] and score.leaks_whole_value == 1


def test_a_kept_phi_row_is_never_excused():
    source, output = _input(), _input()
    whole = PhiMatcher(phi_forms(ROWS, whole_value=True))
    assert inherited(TRANSDUCER, output, source, set(), whole)
    assert not inherited(TRANSDUCER, output, source, {TRANSDUCER}, whole)   # a gt/tags.csv path
    assert not inherited(TRANSDUCER, output, None, set(), whole)            # no input to compare with
    assert not inherited(TRANSDUCER, None, source, set(), whole)            # no output dataset (unreadable)
    assert not inherited("(0018,1000)", output, source, set(), whole)       # absent from both
    output.TransducerData = ""
    assert not inherited(TRANSDUCER, output, source, set(), whole)          # emptied: nothing held


def test_an_item_of_a_sequence_is_compared_at_the_same_index(tmp_path):
    def with_items(*models: str) -> Dataset:
        ds = _input("C5-1")
        item_ds = []
        for model in models:
            item = Dataset()
            item.TransducerData = model
            item_ds.append(item)
        ds.ReferencedImageSequence = Sequence(item_ds)
        return ds

    src = save(with_items("L38", MODEL), tmp_path / "in.dcm")
    kept, swapped = with_items("L38", MODEL), with_items(MODEL, "L38")
    for out in (kept, swapped):
        del out.PatientID, out.AccessionNumber
    assert score_header_file(src, save(kept, tmp_path / "kept.dcm"), "kept.dcm", ROWS).leaks == []
    score = score_header_file(src, save(swapped, tmp_path / "swapped.dcm"), "swapped.dcm", ROWS)
    assert score.leaks == [("nested", "(0008,1140)[0].(0018,5010)")] and score.leaks_whole_value == 0


def test_an_unreadable_output_gets_no_excuse_for_its_own_bytes(tmp_path):
    src = save(_input(), tmp_path / "in.dcm")
    data = src.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:-10])  # the pixel data runs past the end: unreadable
    score = score_header_file(src, cut, "cut.dcm", ROWS)
    assert score.unreadable
    assert score.leaks == [("standard", "(0008,0050)"), ("standard", "(0010,0020)"), ("standard", TRANSDUCER)]
    assert score.leaks_whole_value == 2


def test_no_output_scores_the_input_with_the_same_excuse(tmp_path):
    score = score_header_file(save(_input(), tmp_path / "in.dcm"), None, None, ROWS)
    assert score.leaks == [("standard", "(0008,0050)"), ("standard", "(0010,0020)")]
    assert score.leaks_whole_value == 2


def test_a_whole_value_in_the_bytes_of_an_unchanged_element_is_still_a_leak(tmp_path):
    """Bytes pydicom mis-decodes (latin-1 under a UTF-8 charset) hide the name from the decoded text only."""
    rows = [*ROWS, TagRow.from_row({"tag_path": "(0010,0010)", "vr": "PN", "location_kind": "standard",
                                    "category": "name", "injected_value": "Müller^Leoš", "match": "exact"},
                                   lenient=True)]

    def with_station() -> Dataset:
        ds = _input()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = "Müller^Leoš"
        ds.add_new(0x00081010, "SH", "Müller 8838".encode("latin-1"))  # StationName, not a row: kept unchanged
        return ds

    src = save(with_station(), tmp_path / "in.dcm")
    out = with_station()
    del out.PatientID, out.AccessionNumber, out.PatientName
    score = score_header_file(src, save(out, tmp_path / "out.dcm"), "out.dcm", rows)
    assert score.leaks == [("standard", "(0008,1010)")] and score.leaks_whole_value == 1


def test_leaks_are_listed_by_kind_then_by_location_text(tmp_path):
    """Not in the order they were found: ``raw@43`` (found first) sorts after ``raw@100``."""
    src = save(_input(), tmp_path / "in.dcm")
    out = _input()
    del out.PatientID, out.AccessionNumber
    out.preamble = (b"\0" * 40 + b"ID " + PID.encode()).ljust(100, b"\0") + ACCESSION.encode().ljust(28, b"\0")
    score = score_header_file(src, save(out, tmp_path / "out.dcm"), "out.dcm", ROWS)
    assert score.leaks == [("raw-bytes", "raw@100"), ("raw-bytes", "raw@43")]
