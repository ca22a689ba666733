"""The consistency metrics at their edges (docs/metrics.md "Consistency", docs/mutation.md).

Each case is a small dataset of per-file header scores with hand-picked input and output views (the
values ``score_header_file`` reads from real files; ``header_view`` itself is checked on real datasets
written and read back) and the exact share, count or ``None`` the definitions imply: pseudonyms (one
non-empty PatientID and one PatientName per patient, no ID shared between patients), UID groups (one
non-empty output value per input group, used by no other group of the same attribute; groups whose
files all lost the attribute are not judged), date intervals (patients with >= 2 distinct input dates;
every interval unchanged), failed files (the worst case, 0 rather than ``None``), and multi-valued UIDs
(the whole value is the group key: an engine that remaps only the first value is caught).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from phiphantom.benchmark.consistency import (
    UID_KEYS,
    consistency,
    da_ordinal,
    date_interval_consistency,
    pseudonym_consistency,
    uid_consistency,
)
from phiphantom.benchmark.header_metrics import VIEW_KEYS, HeaderFileScore, header_view

View = dict[str, str | None]


def _view(**values: str | None) -> View:
    view: View = {key: None for key in VIEW_KEYS}
    view.update(values)
    return view


def _file(inp: View | None = None, out: View | None = None, *, error: str = "",
          unreadable: bool = False) -> HeaderFileScore:
    """One file's header score as the runner hands it to the consistency metrics."""
    return HeaderFileScore(rows_total=0, row_removed=[], leaks=[], conformance={}, required={}, valid=not error,
                           input_view=inp or _view(), output_view=out or _view(), error=error, unreadable=unreadable)


def _missing(inp: View | None = None) -> HeaderFileScore:
    """No output: the runner's view of the output is the unchanged input, but the file is failed."""
    return _file(inp, inp, error="no output")


def _ids(*patients: tuple[str, list[tuple[str | None, str | None]]]) -> list[tuple[str, HeaderFileScore]]:
    """(patient, [(output PatientID, output PatientName) per file]) -> pairs."""
    return [(p, _file(out=_view(PatientID=i, PatientName=n))) for p, files in patients for i, n in files]


# --------------------------------------------------------------------------- pseudonyms

def test_a_patient_is_consistent_with_one_id_and_one_name_of_its_own():
    pairs = _ids(("A", [("P1", "X^Y"), ("P1", "X^Y"), ("P1", "X^Y")]),   # consistent
                 ("B", [("P2", "B^B"), ("P3", "B^B")]),                  # two IDs
                 ("C", [("P4", "C^C"), ("P4", "C^D")]),                  # two names
                 ("D", [("P5", None), ("P5", None)]))                    # names removed consistently: fine
    assert pseudonym_consistency(pairs) == (pytest.approx(2 / 4), 4)


def test_an_id_shared_between_patients_breaks_both():
    pairs = _ids(("A", [("P1", "N")]), ("B", [("P1", "N"), ("P1", "N")]), ("C", [("P2", "N")]))
    assert pseudonym_consistency(pairs) == (pytest.approx(1 / 3), 3)


def test_an_empty_or_missing_output_id_is_not_a_pseudonym():
    assert pseudonym_consistency(_ids(("A", [(None, "N")]), ("B", [("P2", "M")]))) == (0.5, 2)
    assert pseudonym_consistency(_ids(("A", [(None, "N"), ("P1", "N")]), ("B", [("P2", "M")]))) == (0.5, 2)
    # two patients without an ID do not share "no ID" as a pseudonym either way
    assert pseudonym_consistency(_ids(("A", [(None, "N")]), ("B", [(None, "M")]), ("C", [("P3", "O")]))) \
        == (pytest.approx(1 / 3), 3)


def test_ids_removed_everywhere_is_not_judged():
    assert pseudonym_consistency(_ids(("A", [(None, "N"), (None, "N")]), ("B", [(None, None)]))) == (None, 2)
    assert pseudonym_consistency([]) == (None, 0)


def test_a_failed_file_breaks_its_patient_and_failed_files_alone_score_zero():
    ok = _ids(("A", [("P1", "N")]), ("B", [("P2", "M")]))
    assert pseudonym_consistency(ok + [("A", _missing(_view(PatientID="P1", PatientName="N")))]) == (0.5, 2)
    unreadable = _file(out=_view(), error="unreadable output", unreadable=True)
    assert pseudonym_consistency(ok + [("C", unreadable)]) == (pytest.approx(2 / 3), 3)
    # nothing but failed files: the worst case, not "nothing to judge"
    assert pseudonym_consistency([("A", _missing()), ("B", _missing())]) == (0.0, 2)
    # a failed patient beside patients whose IDs were all removed: nothing to judge
    assert pseudonym_consistency([("A", _missing())] + _ids(("B", [(None, "M")]))) == (None, 2)


# --------------------------------------------------------------------------- UID groups

def _uids(study: str | None, out_study: str | None, series: str | None = None, out_series: str | None = None,
          ref: str | None = None, out_ref: str | None = None) -> HeaderFileScore:
    return _file(_view(StudyInstanceUID=study, SeriesInstanceUID=series, ReferencedPatientUID=ref),
                 _view(StudyInstanceUID=out_study, SeriesInstanceUID=out_series, ReferencedPatientUID=out_ref))


def test_uid_keys_are_the_three_linked_attributes():
    assert UID_KEYS == ("StudyInstanceUID", "SeriesInstanceUID", "ReferencedPatientUID")


def test_a_group_is_preserved_with_one_output_value_no_other_group_uses():
    files = [
        _uids("1.7", None), _uids("1.7", None),             # removed from every file: not judged
        _uids("1.1", "9.1"), _uids("1.1", "9.1"),           # preserved
        _uids("1.2", "9.2"), _uids("1.2", "9.3"),           # split in two
        _uids("1.3", "9.4"),                                # preserved (one file)
        _uids("1.4", "9.5"), _uids("1.5", "9.5"),           # two groups merged: both broken
        _uids("1.6", "9.6"), _uids("1.6", None),            # one file lost it: broken
        _uids(None, "9.7"),                                 # no input value: no group
    ]
    assert uid_consistency([("P", f) for f in files]) == (pytest.approx(2 / 6), 6)


def test_each_attribute_is_grouped_on_its_own():
    # the same output value in two attributes is not a merge; the referenced UID counts as a third attribute
    files = [_uids("1.1", "9.1", "2.1", "9.1", "3.1", "9.1"), _uids("1.1", "9.1", "2.2", "9.2", "3.1", "9.1"),
             _uids("1.2", "9.3", "2.3", "9.3", "3.2", None)]
    assert uid_consistency([("P", f) for f in files]) == (1.0, 2 + 3 + 1)
    files[2] = _uids("1.2", "9.3", "2.3", "9.3", "3.2", "9.1")          # now merged with 3.1's group
    assert uid_consistency([("P", f) for f in files]) == (pytest.approx(5 / 7), 7)


def test_failed_files_break_their_groups_and_alone_score_zero():
    ok = [_uids("1.1", "9.1"), _uids("1.2", "9.2"), _uids("1.3", "9.3")]
    failed = _missing(_view(StudyInstanceUID="1.1"))
    assert uid_consistency([("P", f) for f in [*ok, failed]]) == (pytest.approx(2 / 3), 3)
    only = _missing(_view(StudyInstanceUID="1.4"))                      # its group has only a failed file
    assert uid_consistency([("P", f) for f in [*ok, only]]) == (pytest.approx(3 / 4), 4)
    assert uid_consistency([("P", only)]) == (0.0, 1)


def test_no_input_uid_or_every_group_removed_is_not_judged():
    assert uid_consistency([("P", _uids(None, "9.1"))]) == (None, 0)
    assert uid_consistency([("P", _uids("1.1", None)), ("P", _uids("1.1", ""))]) == (None, 0)
    assert uid_consistency([]) == (None, 0)


def test_a_multi_valued_uid_is_one_group_key_with_all_its_values(tmp_path: Path):
    """The scorer side of "UID remapping keeping only the first value of a multi-valued UI element"."""
    def written(uids: list[str]) -> Dataset:
        ds = Dataset()
        ds.StudyInstanceUID = uids
        ds.SeriesInstanceUID = "1.2.3.9"
        path = tmp_path / "f.dcm"
        ds.save_as(path, implicit_vr=False, little_endian=True)
        return pydicom.dcmread(path, force=True)

    two = header_view(written(["1.2.3.4", "1.2.3.5"]))
    assert two["StudyInstanceUID"] == "1.2.3.4\\1.2.3.5" and two["SeriesInstanceUID"] == "1.2.3.9"
    # Two files of the input study "A\B". A remapping of every value is preserved; one that keeps the
    # second value as it was in one file and remaps it in the other splits the group.
    key = two["StudyInstanceUID"]
    every = [_uids(key, "2.25.1\\2.25.2"), _uids(key, "2.25.1\\2.25.2")]
    assert uid_consistency([("P", f) for f in every]) == (1.0, 1)
    partial = [_uids(key, "2.25.1\\1.2.3.5"), _uids(key, "2.25.1\\2.25.2")]
    assert uid_consistency([("P", f) for f in partial]) == (0.0, 1)
    # and a file of another study sharing only the first value is another group
    other = _uids("1.2.3.4\\1.2.3.6", "2.25.1\\2.25.3")
    assert uid_consistency([("P", f) for f in [*every, other]]) == (1.0, 2)


# --------------------------------------------------------------------------- dates

def test_da_ordinal_reads_exactly_yyyymmdd():
    assert da_ordinal("20240229") == date(2024, 2, 29).toordinal()
    assert da_ordinal(" 20241231 ") == date(2024, 12, 31).toordinal()
    assert da_ordinal("20240301") - da_ordinal("20240229") == 1        # type: ignore[operator]
    assert da_ordinal("19991231") == date(1999, 12, 31).toordinal()
    for bad in (None, "", "2024022", "202402290", "202402011",   # 9 digits: never a date, even with a valid day
                "2024-2-29", "2024022x", "20230229", "20241301", "20240100"):
        assert da_ordinal(bad) is None, bad


def _dates(patient: str, *days: tuple[str, str | None]) -> list[tuple[str, HeaderFileScore]]:
    return [(patient, _file(_view(StudyDate=d_in), _view(StudyDate=d_out))) for d_in, d_out in days]


def test_date_intervals_are_judged_per_patient_with_two_input_dates():
    pairs = [
        *_dates("A", ("20240101", "20230101"), ("20240111", "20230111")),                          # kept
        *_dates("B", ("20240101", "20230101"), ("20240111", "20230112")),                          # 10 -> 11 days
        *_dates("C", ("20240101", "20230101")),                                                    # one date
        *_dates("D", ("20240101", "20230101"), ("20240101", "20230105")),                          # one date, twice
        *_dates("E", ("20240301", "20250310"), ("20240101", "20250109"), ("20240229", "20250309")),  # kept
        *_dates("F", ("20240101", "20230101"), ("20240101", "20230102"), ("20240111", "20230111")),  # one date, two
        *_dates("G", ("20240101", "20230101"), ("20240111", None)),                                # one missing
        *_dates("H", ("20240101", "20230111"), ("20240111", "20230101")),                          # order swapped
    ]
    assert date_interval_consistency(pairs) == pytest.approx(2 / 6)
    # an interval as long as an output day number, the later date mapped before the earlier: broken
    far = date(2024, 6, 1).toordinal() - date(1, 1, 1).toordinal()
    late = date.fromordinal(far).strftime("%Y%m%d")
    assert date_interval_consistency(_dates("I", ("00010101", "99991231"), ("20240601", late))) == 0.0


def test_dates_removed_or_no_patient_with_two_dates_is_not_judged():
    removed = _dates("A", ("20240101", None), ("20240111", None))
    assert date_interval_consistency(removed) is None
    assert date_interval_consistency(_dates("A", ("20240101", "20230101"), ("20240101", "20230101"))) is None
    assert date_interval_consistency([]) is None
    # dates removed for the judged patient, kept for a patient with one date only: still nothing to judge
    assert date_interval_consistency(removed + _dates("B", ("20240101", "20230101"))) is None
    # invalid input dates do not count as dates
    assert date_interval_consistency(_dates("A", ("20240101", "20230101"), ("2024011", "20230111"))) is None


def test_a_failed_file_breaks_its_patients_dates_and_failed_alone_score_zero():
    kept = _dates("A", ("20240101", "20230101"), ("20240111", "20230111"))
    assert date_interval_consistency(kept) == 1.0
    broken = [*kept, ("A", _missing(_view(StudyDate="20240121")))]
    assert date_interval_consistency(broken) == 0.0
    assert date_interval_consistency([*kept, *_dates("B", ("20240101", "20230101")),
                                      ("B", _missing(_view(StudyDate="20240105")))]) == 0.5
    only_failed = [("A", _missing(_view(StudyDate="20240101"))), ("A", _missing(_view(StudyDate="20240111")))]
    assert date_interval_consistency(only_failed) == 0.0
    # a failed file of a patient with dates removed elsewhere: judged, and broken
    assert date_interval_consistency(_dates("A", ("20240101", None)) + [("A", _missing(_view(StudyDate="20240111")))]) \
        == 0.0


# --------------------------------------------------------------------------- all three, and the view

def test_consistency_reports_the_three_metrics_and_the_counts():
    pairs = [("A", _file(_view(StudyInstanceUID="1.1", StudyDate="20240101"),
                         _view(PatientID="P1", StudyInstanceUID="9.1", StudyDate="20230101"))),
             ("A", _file(_view(StudyInstanceUID="1.2", StudyDate="20240111"),
                         _view(PatientID="P1", StudyInstanceUID="9.2", StudyDate="20230112"))),
             ("B", _file(_view(StudyInstanceUID="1.3"), _view(PatientID="P1", StudyInstanceUID="9.2")))]
    assert consistency(pairs) == {"pseudonym_consistency": 0.0, "uid_consistency": pytest.approx(1 / 3),
                                  "date_interval_consistency": 0.0, "patients": 2, "uid_groups": 3}


def test_header_view_reads_the_linked_values_of_a_real_file(tmp_path: Path):
    ds = Dataset()
    ds.PatientID, ds.PatientName, ds.StudyDate = "ID7", "Doe^Jane", "20240105"
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = "1.2.1", "1.2.2", "1.2.3"
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = "1.2.840.10008.3.1.2.1.1", "1.2.9"
    second = Dataset()
    second.ReferencedSOPInstanceUID = "1.2.10"
    ds.ReferencedPatientSequence = [ref, second]
    ds.save_as(tmp_path / "v.dcm", implicit_vr=False, little_endian=True)
    view = header_view(pydicom.dcmread(tmp_path / "v.dcm", force=True))
    assert view == {"PatientID": "ID7", "PatientName": "Doe^Jane", "StudyInstanceUID": "1.2.1",
                    "SeriesInstanceUID": "1.2.2", "SOPInstanceUID": "1.2.3", "ReferencedPatientUID": "1.2.9",
                    "StudyDate": "20240105"}
    ds.PatientName = ""
    del ds.ReferencedPatientSequence
    del ds.StudyDate
    ds.save_as(tmp_path / "v.dcm", implicit_vr=False, little_endian=True)
    view = header_view(pydicom.dcmread(tmp_path / "v.dcm", force=True))
    assert view["PatientName"] is None and view["ReferencedPatientUID"] is None and view["StudyDate"] is None
    assert view["PatientID"] == "ID7"
    assert header_view(None) == {key: None for key in VIEW_KEYS}
