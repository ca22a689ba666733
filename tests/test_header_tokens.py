"""Header leaks are token-level (issue 17 item 1, docs/metrics.md "Header tokens").

An output element that holds only part of a PHI value -- the leading or trailing >= 4 digits of an
ID, a date's month+year or day+month, a time to the minute, one part of a hyphenated name -- is a
leak; the old whole-value definition (``leaks_whole_value``) misses each of them. Token boundaries
still stop false hits inside a UID, a longer digit run or a decimal number, and a part from the middle
of an ID is no token. Real DICOM files are written and read back; ``phiphantom.bench/3`` results are
read with their whole-value count moved. The last file-level tests pin edges of ``header_metrics`` that
its mutation sample, drawn anew after this change, found untested (docs/mutation.md).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.sequence import Sequence

from phiphantom.benchmark.compare import compare
from phiphantom.benchmark.header_metrics import HeaderFileScore, row_removed, score_header_file
from phiphantom.benchmark.phi_match import PhiMatcher, phi_forms
from phiphantom.benchmark.results_file import (
    COUNT_NAMES,
    ENGINE_KEYS,
    METRIC_NAMES,
    SCHEMA,
    SCHEMA_V3,
    V4_METRICS,
    EngineBlock,
    upgrade_v3,
)
from phiphantom.core.ground_truth import TagRow

from .helpers import image, save

PID, ACCESSION, BIRTH, STUDY_DATE, STUDY_TIME = "2965600", "2019138439", "19340626", "20240615", "143207.123"
NAME, REFERRER = "Novak-Svobodova^Jana", "Horvat^Ana"
#: (tag path, keyword, VR, category, value) of the input's PHI, as gt/tags.csv would list them.
PHI = (
    ("(0010,0010)", "PatientName", "PN", "name", NAME),
    ("(0010,0020)", "PatientID", "LO", "patient_id", PID),
    ("(0010,0030)", "PatientBirthDate", "DA", "birth_date", BIRTH),
    ("(0008,0020)", "StudyDate", "DA", "date", STUDY_DATE),
    ("(0008,0030)", "StudyTime", "TM", "time", STUDY_TIME),
    ("(0008,0050)", "AccessionNumber", "SH", "accession", ACCESSION),
    ("(0008,0090)", "ReferringPhysicianName", "PN", "physician", REFERRER),
)
ROWS = [TagRow.from_row({"tag_path": path, "keyword": keyword, "vr": vr, "location_kind": "standard",
                         "category": category, "injected_value": value, "match": "exact"}, lenient=True)
        for path, keyword, vr, category, value in PHI]
COMMENTS = "(0020,4000)"  # ImageComments (LT): where a partial value is typed into free text


def _row(value: str, vr: str = "LO", category: str = "other") -> TagRow:
    return TagRow.from_row({"injected_value": value, "vr": vr, "category": category}, lenient=True)


def _input() -> Dataset:
    ds = image(NAME, PID, 1)
    ds.PatientBirthDate, ds.StudyDate, ds.StudyTime = BIRTH, STUDY_DATE, STUDY_TIME
    ds.AccessionNumber, ds.ReferringPhysicianName = ACCESSION, REFERRER
    return ds


def _without_phi(tmp_path: Path) -> tuple[Path, Dataset]:
    """The input saved as in.dcm, and a copy of it with every PHI element removed (to write an output from)."""
    src = save(_input(), tmp_path / "in.dcm")
    out = _input()
    for _, keyword, *_ in PHI:
        delattr(out, keyword)
    return src, out


def _score(tmp_path: Path, **elements: str) -> HeaderFileScore:
    """Score an output with every PHI element removed, then ``elements`` (keyword -> value) set."""
    src, out = _without_phi(tmp_path)
    with warnings.catch_warnings():  # an engine may write a DA cut short ("202406"): pydicom warns, writes it
        warnings.simplefilter("ignore", UserWarning)
        for keyword, value in elements.items():
            setattr(out, keyword, value)
    return score_header_file(src, save(out, tmp_path / "out.dcm"), "out.dcm", ROWS)


# --------------------------------------------------------------------------- forms


def test_id_tokens_are_its_leading_and_trailing_digits_never_its_middle():
    assert phi_forms([_row(PID, category="patient_id")]) == {
        "2965600", "2965", "29656", "296560", "5600", "65600", "965600"}
    assert phi_forms([_row("872-14-5090", category="other_id")]) == {"872-14-5090", "5090"}
    assert phi_forms([_row("RP561741", category="study_id")]) >= {"RP561741", "5617", "1741", "561741"}
    assert "9656" not in phi_forms([_row(PID, category="accession")])
    assert phi_forms([_row("AB-123", category="patient_id")]) == {"AB-123"}       # no 4-digit run: whole only
    for category in ("other", "", "ab", "accessio"):                             # not an ID category
        assert phi_forms([_row(PID, category=category)]) == {PID}, category


def test_date_tokens_are_month_year_and_day_month():
    assert phi_forms([_row(STUDY_DATE, vr="DA", category="date")]) == {STUDY_DATE, "202406", "0615"}
    assert phi_forms([_row(BIRTH, vr="LO", category="birth_date")]) == {BIRTH, "193406", "0626"}
    assert phi_forms([_row("29.10.2019", vr="LT", category="date")]) == {"29.10.2019", "10.2019", "29.10."}
    assert phi_forms([_row("2019-10-29", vr="LT", category="date")]) == {"2019-10-29", "2019-10", "10-29"}
    assert phi_forms([_row("10/29/2019", vr="LT", category="date")]) == {"10/29/2019", "10/2019", "10/29"}
    assert phi_forms([_row("20241399", vr="DA", category="date")]) == {"20241399"}  # not a date: whole only


def test_time_tokens_are_the_time_to_the_minute_and_each_longer_cut():
    assert phi_forms([_row(STUDY_TIME, vr="TM", category="time")]) == {
        "143207.123", "143207.12", "143207.1", "143207", "1432", "14:32", "14:32:07"}
    assert phi_forms([_row("0915", vr="TM", category="acquisition_time")]) == {"0915", "09:15"}
    assert phi_forms([_row("99", vr="TM", category="time")]) == set()
    assert phi_forms([_row("20240615143207.5+0100", vr="DT", category="datetime")]) == {
        "20240615143207.5+0100", STUDY_DATE, "202406", "0615", "143207.5", "143207", "1432", "14:32", "14:32:07"}


def test_rows_are_dates_or_times_by_vr_or_by_category_and_only_valid_ones_give_tokens():
    da = "".join(["D", "A"])  # a VR read from a file is equal to "DA", not the same object
    assert phi_forms([_row(STUDY_DATE, vr=da, category="other")]) == {STUDY_DATE, "202406", "0615"}
    assert phi_forms([_row("143207", vr="LO", category="time")]) == {"143207", "1432", "14:32", "14:32:07"}
    for category in ("address", "uid", "zip"):                           # neither a date nor a time category
        assert phi_forms([_row("1432 07", vr="LO", category=category)]) == {"1432 07"}, category
    assert phi_forms([_row("2315", vr="TM", category="time")]) == {"2315", "23:15"}
    for bad in ("2415", "1260", "9912"):                                  # hour > 23 or minute > 59
        assert phi_forms([_row(bad, vr="TM", category="time")]) == {bad}, bad
    assert phi_forms([_row("2019-13-29", vr="LT", category="date")]) == {"2019-13-29"}
    assert phi_forms([_row("29-10-15", vr="LT", category="date")]) == {"29-10-15"}    # a 2-digit year: no order known
    assert phi_forms([_row("20240115", vr="DA", category="date")]) == {"20240115", "202401", "0115"}  # January
    for bad in ("20240600", "20240015", "20241301", "20240632"):          # day 0 or 32, month 0 or 13
        assert phi_forms([_row(bad, vr="DA", category="date")]) == {bad}, bad
    for vr in ("CS", "AS", "AE"):                                         # VRs sorting before DA are no dates
        assert phi_forms([_row(STUDY_DATE, vr=vr, category="other")]) == {STUDY_DATE}, vr
    assert phi_forms([_row("2019-10-45", vr="LT", category="date")]) == {"2019-10-45"}


def test_name_tokens_split_hyphens_spaces_and_commas_without_particles():
    assert phi_forms([_row("van der Mast^Jan-Piet", vr="PN", category="name")]) == {
        "van der Mast^Jan-Piet", "van der Mast", "Jan-Piet", "Mast", "Jan", "Piet"}
    assert phi_forms([_row("D'CUGIA, GIULIETTA", vr="OW", category="name")]) == {
        "D'CUGIA, GIULIETTA", "D'CUGIA", "GIULIETTA"}
    assert phi_forms([_row("Li^Bo", vr="PN", category="name")]) == {"Li^Bo"}     # no part of >= 3 letters


@pytest.mark.parametrize("value, vr, category, adds", [
    ("DOE-SMITH^JOHN", "PN", "name", True), ("DOE^JOHN", "PN", "name", False), (PID, "LO", "patient_id", True),
    (STUDY_DATE, "DA", "date", True), (STUDY_TIME, "TM", "time", True), ("29.10.2019", "LT", "date", True),
    ("Dr.^X", "PN", "physician", False), ("+1 555 0100", "SH", "phone", False)])
def test_whole_value_forms_are_the_old_ones_and_a_subset(value, vr, category, adds):
    row = _row(value, vr, category)
    old = {value} | ({p for p in value.split("^") if len(p) >= 3} if vr == "PN" else set())
    assert phi_forms([row], whole_value=True) == old
    assert old <= phi_forms([row]) and (old != phi_forms([row])) == adds


def test_tokens_are_bounded_like_whole_values():
    m = PhiMatcher(phi_forms([_row(PID, category="patient_id"), _row(STUDY_DATE, "DA", "date"),
                              _row(STUDY_TIME, "TM", "time"), _row("29.10.2019", "LT", "date")]))
    for hit in ("MRN 2965", "***5600", "5600-x", "month 202406", "on 0615", "at 14:32", "14:32:59", "143207",
                "born 29.10. in", "10.2019", "A-29656"):
        assert m.in_text(hit), hit
    for miss in ("1.2.840.2965.7", "1.2.2965", "2965.5", "0.5600", "29656001", "129656", "9656", "a2965",
                 "20240616", "202406151", "0.0615", "1432.5", "143207.1234", "29.10", "29.1022", "DS 14:321"):
        assert not m.in_text(miss), miss
    raw = b"\x00UID 1.2.2965.7\x00 129656\x00 9656 \x00ID 2965\x00"
    assert [raw[s:e] for s, e in m.byte_hits(raw, 0, len(raw))] == [b"2965"]


# --------------------------------------------------------------------------- leaks in a written file


def test_the_clean_output_leaks_nothing(tmp_path):
    score = _score(tmp_path)
    assert score.leaks == [] and score.leaks_whole_value == 0 and score.rows_removed == len(ROWS)


@pytest.mark.parametrize("keyword, value", [
    ("PatientID", "2965"),               # an ID cut to its first four digits
    ("PatientID", "***-5600"),           # ... or masked to its last four
    ("OtherPatientIDs", "965600"),
    ("StudyDate", "20240615"[:6]),       # month+year (a DA cut to month precision)
    ("ImageComments", "birthday 0626"),  # day+month of the birth date
    ("StudyTime", "1432"),               # a time to the minute
    ("ImageComments", "scanned 14:32"),
    ("StudyTime", "143207"),             # the fraction dropped
    ("PatientName", "Svobodova^J"),      # one part of a hyphenated family name
])
def test_part_of_a_value_is_a_leak_that_the_whole_value_rule_missed(tmp_path, keyword, value):
    score = _score(tmp_path, **{keyword: value})
    assert len(score.leaks) == 1, score.leaks
    assert score.leaks_whole_value == 0


@pytest.mark.parametrize("keyword, value", [
    ("StudyInstanceUID", "1.2.826.0.1.2965.600.20240615.1432"),  # tokens as UID components
    ("ImageComments", "ref 129656001 and 202406151 and 0.0615"),  # inside longer digit runs and a decimal
    ("ImageComments", "gain 2965.5 dB, depth 14.32 cm"),           # decimals
    ("ImageComments", "index 9656"),                                # the middle of the ID: no token
    ("StudyDate", "20240616"),                                      # another day of the month: not a token
    ("StudyTime", "143300"),                                        # another minute
])
def test_no_false_hit_inside_uids_digit_runs_or_decimals(tmp_path, keyword, value):
    score = _score(tmp_path, **{keyword: value})
    assert score.leaks == [] and score.leaks_whole_value == 0


def test_a_whole_value_left_counts_under_both_rules(tmp_path):
    score = _score(tmp_path, PatientID=PID, PatientName="Novak-Svobodova^Jana", StudyTime="101500")
    assert score.leaks == [("standard", "(0010,0010)"), ("standard", "(0010,0020)")]
    assert score.leaks_whole_value == 2


def test_the_output_file_name_is_searched_for_tokens(tmp_path):
    src, out = _without_phi(tmp_path)
    score = score_header_file(src, save(out, tmp_path / "out.dcm"), "study_2965_x.dcm", ROWS)
    assert score.leaks == [("filename", "filename")] and score.leaks_whole_value == 0


@pytest.mark.parametrize("preamble, leaks", [
    (b"ID 2965600 scan", [("raw-bytes", "raw@43")]),   # a whole value: counted, as before
    (b"\x1e(.1432/,%\x18", []),                          # a 4-digit token in bytes no element holds: by chance
    (b"x 2965 y", []),
    (b"ID 2965600 2965600", [("raw-bytes", "raw@43")]),                   # hits 1 byte apart: one location
    (b"ID 2965600" + b" " * 8 + b"2965600", [("raw-bytes", "raw@43")]),   # 8 bytes apart: one location
    (b"ID 2965600" + b" " * 9 + b"2965600", [("raw-bytes", "raw@43"), ("raw-bytes", "raw@59")])])
def test_bytes_no_element_holds_are_searched_for_whole_values_only(tmp_path, preamble, leaks):
    src, out = _without_phi(tmp_path)
    out.preamble = (b"\0" * 40 + preamble).ljust(128, b"\0")
    score = score_header_file(src, save(out, tmp_path / "out.dcm"), "out.dcm", ROWS)
    assert score.leaks == leaks and score.leaks_whole_value == len(leaks)


def test_a_whole_value_after_the_last_element_is_a_raw_leak_after_an_element_leak(tmp_path):
    src, out = _without_phi(tmp_path)
    del out.PixelData
    out.RequestedProcedureDescription = f"MRN {PID}"  # after the last binary value (0028,0103): one searched run
    path = save(out, tmp_path / "out.dcm")
    end = path.stat().st_size
    path.write_bytes(path.read_bytes() + b"\0\0 Horvat \0")
    score = score_header_file(src, path, "out.dcm", ROWS)
    assert score.leaks == [("free-text", "(0032,1060)"), ("raw-bytes", f"raw@{end + 3}")]
    assert score.leaks_whole_value == 2 and score.rows_removed == len(ROWS) and not score.unreadable


def test_an_empty_icon_sequence_shows_no_bitmap():
    ds = Dataset()
    ds.IconImageSequence = Sequence([])
    row = TagRow.from_row({"tag_path": "(0088,0200)", "vr": "SQ", "location_kind": "icon", "category": "name",
                           "injected_value": "DOE JOHN", "match": "rendered"}, lenient=True)
    assert row_removed(row, ds, "x.dcm")


def test_a_bare_dataset_with_bytes_it_cannot_hold_is_unreadable(tmp_path):
    src, out = _without_phi(tmp_path)
    del out.file_meta
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, out, enforce_file_format=False, implicit_vr=False, little_endian=True)
    bare = tmp_path / "bare.dcm"
    bare.write_bytes(buf.getvalue())
    assert not score_header_file(src, bare, "bare.dcm", ROWS).unreadable      # no preamble, parsed to its end
    bare.write_bytes(buf.getvalue() + b"\0\0 Horvat \0")
    assert score_header_file(src, bare, "bare.dcm", ROWS).unreadable          # bytes after it: not read as DICOM


def test_a_file_with_a_command_group_element_beside_its_file_meta_is_read(tmp_path):
    """Only a file of nothing but group 0002 is unreadable; group 0000 is another group (sorting before it)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, False
    fp.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(fp, meta, enforce_standard=True)
    command = Dataset()
    command.add_new(0x00000900, "US", 0)  # Status: dcmwrite refuses command elements, write_dataset writes them
    write_dataset(fp, command)
    path = tmp_path / "cmd.dcm"
    path.write_bytes(fp.getvalue())
    score = score_header_file(save(_input(), tmp_path / "in.dcm"), path, "cmd.dcm", ROWS)
    assert not score.unreadable and score.error == "no pixel data"


def test_pixels_that_decode_are_valid_whatever_colour_space_they_claim(tmp_path):
    """Validity is decoding alone (raw): grey pixels labelled YBR_FULL decode, though no RGB conversion would."""
    score = _score(tmp_path, PhotometricInterpretation="YBR_FULL")
    assert score.valid and score.error == ""


def test_an_icon_of_fewer_than_8_bits_is_judged_byte_by_byte():
    ds, item = Dataset(), Dataset()
    item.BitsAllocated, item.PixelData = 4, bytes([1, 2, 1, 2])  # constant only when read as 16-bit words
    ds.IconImageSequence = Sequence([item])
    row = TagRow.from_row({"tag_path": "(0088,0200)", "vr": "SQ", "location_kind": "icon", "category": "name",
                           "injected_value": "DOE JOHN", "match": "rendered"}, lenient=True)
    assert not row_removed(row, ds, "x.dcm")


# --------------------------------------------------------------------------- results.json


def _v3_document(leaks: int) -> dict:
    metrics = {k: 0.5 for k in METRIC_NAMES if k not in V4_METRICS} | {"leaks": leaks, "files_with_leaks": 1}
    engine = {k: {} for k in ENGINE_KEYS} | {"name": "e", "spec": "e", "description": "", "metrics": metrics,
                                             "counts": dict.fromkeys(COUNT_NAMES, 1), "per_file": [], "errors": []}
    return {"schema": SCHEMA_V3, "engines": [engine]}


def test_v3_results_are_read_with_the_whole_value_leak_count_moved():
    v4 = upgrade_v3(_v3_document(leaks=3))
    block = EngineBlock.from_json(v4["engines"][0])
    assert v4["schema"] == SCHEMA == "phiphantom.bench/4" and tuple(block.metrics) == METRIC_NAMES
    assert block.metrics["leaks_whole_value"] == 3
    assert block.metrics["leaks"] is None and block.metrics["files_with_leaks"] is None


def test_compare_never_sets_a_whole_value_count_against_a_token_level_one():
    old = _v3_document(leaks=3)
    now_metrics = upgrade_v3(old)["engines"][0]["metrics"] | {"leaks": 5, "files_with_leaks": 1}
    now = {"schema": SCHEMA, "engines": [{**old["engines"][0], "metrics": now_metrics | {"leaks_whole_value": 3}}]}
    rows = {r.metric: r for r in compare(old, now)}
    assert not rows["leaks"].regression and rows["leaks"].note == "new"
    assert rows["leaks_whole_value"].baseline == 3 and not rows["leaks_whole_value"].regression
    worse = {**now, "engines": [{**now["engines"][0], "metrics": now_metrics | {"leaks_whole_value": 4}}]}
    assert {r.metric: r for r in compare(old, worse)}["leaks_whole_value"].regression
