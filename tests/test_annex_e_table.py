"""Guards and spot checks for the packaged PS3.15 Annex E Basic Profile table."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import re
from collections import Counter
from pathlib import Path

import pydicom
import pytest
from pydicom.tag import Tag

from phiphantom.deid.profile import (
    ACTIONS,
    TABLE_EDITION,
    TABLE_SHA256,
    action_for_keyword,
    basic_action,
    load_table,
)
from phiphantom.deid.profile.annex_e import format_tag_text, parse_tag_text, read_table_bytes

# SOURCE.md is documentation, not package data: read it from the source tree.
SOURCE_MD = Path(__file__).resolve().parents[1] / "deid" / "profile" / "SOURCE.md"


def _source_md() -> str:
    return SOURCE_MD.read_text(encoding="utf-8")


# --- the file has not been edited by hand -------------------------------------------------


def test_csv_sha256_matches_constant():
    assert hashlib.sha256(read_table_bytes()).hexdigest() == TABLE_SHA256


def test_csv_sha256_matches_source_md():
    match = re.search(r"sha256 of `annex_e_basic\.csv`:\*\*\s*`([0-9a-f]{64})`", _source_md())
    assert match, "SOURCE.md must state the CSV's sha256"
    assert match.group(1) == TABLE_SHA256


def test_source_md_names_edition():
    assert TABLE_EDITION == "2026c"
    assert f"dicomfields_{TABLE_EDITION}.py" in _source_md()


def test_source_md_row_counts_match_table():
    counts = Counter(row.action for row in load_table())
    for action in ACTIONS:
        line = re.search(rf"^\| {re.escape(action)}\s*\|\s*(\d+) \|$", _source_md(), re.MULTILINE)
        assert line and int(line.group(1)) == counts[action], action


# --- table shape ------------------------------------------------------------------------


def test_table_size_and_actions():
    table = load_table()
    assert 500 <= len(table) <= 1000
    assert {row.action for row in table} <= set(ACTIONS)


def test_no_duplicate_tags_and_sorted():
    keys = [(row.group, row.element, row.group_mask, row.element_mask) for row in load_table()]
    assert len(keys) == len(set(keys))
    assert keys == sorted(keys)


def test_no_duplicate_keywords():
    keywords = [row.keyword for row in load_table() if row.keyword]
    assert len(keywords) == len(set(keywords))


def test_every_row_has_a_name_and_tag_text_round_trips():
    for row in load_table():
        assert row.name.strip() == row.name and row.name
        assert parse_tag_text(row.tag_text) == (row.group, row.element, row.group_mask, row.element_mask)
        assert format_tag_text(row.group, row.element, row.group_mask, row.element_mask) == row.tag_text


def test_masked_rows():
    masked = {row.tag_text: row.action for row in load_table() if row.is_masked}
    assert masked == {"(50xx,xxxx)": "X", "(60xx,3000)": "X", "(60xx,4000)": "X"}


def test_load_table_is_cached():
    assert load_table() is load_table()


# --- spot checks against the standard (values as in the 2026c source) ---------------------

EXPECTED_BY_KEYWORD = {
    "PatientName": "Z",
    "PatientID": "Z/D",  # 2024b/2026c source: Z/D (older editions: Z)
    "PatientBirthDate": "Z",
    "AccessionNumber": "Z",
    "StudyInstanceUID": "U",
    "SeriesInstanceUID": "U",
    "SOPInstanceUID": "U",
    "InstitutionName": "X/Z/D",
    "StationName": "X/Z/D",
    "DeviceSerialNumber": "X/Z/D",
    "OperatorsName": "X/Z/D",
    "ReferringPhysicianName": "Z",
    "OtherPatientIDsSequence": "X",
    "RequestAttributesSequence": "X",
    "IconImageSequence": "X",
    "ImageComments": "X",
    "StudyDescription": "X",
    "PatientComments": "X",
    "AdditionalPatientHistory": "X",
    "MediaStorageSOPInstanceUID": "U",
    "Rows": None,
    "Modality": None,
}


@pytest.mark.parametrize(("keyword", "expected"), sorted(EXPECTED_BY_KEYWORD.items()))
def test_spot_checks_by_keyword_and_tag(keyword, expected):
    assert action_for_keyword(keyword) == expected
    assert basic_action(Tag(keyword)) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (0x00100010, "Z"),
        ((0x0010, 0x0010), "Z"),
        (0x60003000, "X"),  # Overlay Data, via (60xx,3000)
        (0x60023000, "X"),
        (0x601E4000, "X"),  # Overlay Comments, via (60xx,4000)
        (0x60000010, None),  # Overlay Rows: not listed
        (0x50000000, "X"),  # Curve Data, via (50xx,xxxx)
        (0x50023000, "X"),
        (0x00091001, "X"),  # private data element
        (0x00290010, "X"),  # private creator
        (0x7FE10010, "X"),
        (0x00020010, None),  # Transfer Syntax UID: file meta, not listed
        (0x00280010, None),  # Rows
        (0x00080060, None),  # Modality
        (0x7FE00010, None),  # Pixel Data
    ],
)
def test_basic_action_by_tag(tag, expected):
    assert basic_action(tag) == expected


def test_repeating_group_keywords():
    assert action_for_keyword("OverlayData") == "X"
    assert action_for_keyword("OverlayComments") == "X"
    assert action_for_keyword("CurveData") == "X"
    assert action_for_keyword("OverlayRows") is None
    assert action_for_keyword("NoSuchKeyword") is None


def test_out_of_range_tag_rejected():
    with pytest.raises(ValueError):
        basic_action(1 << 32)


# --- regeneration is reproducible -------------------------------------------------------


def _recorded_pydicom_version() -> str:
    match = re.search(r"pydicom (\d+\.\d+\.\d+) data dictionary", _source_md())
    assert match, "SOURCE.md must name the pydicom version used for keyword/retired"
    return match.group(1)


def test_regeneration_is_byte_identical(tmp_path):
    if importlib.util.find_spec("dicomanonymizer") is None:
        pytest.skip("dicom-anonymizer not installed (pip install dicom-anonymizer==2.1.0, the `dev` extra)")
    installed = importlib.metadata.version("dicom-anonymizer")
    if installed != "2.1.0":
        pytest.skip(f"table was generated from dicom-anonymizer 2.1.0; {installed} is installed")
    recorded = _recorded_pydicom_version()
    if pydicom.__version__ != recorded:
        pytest.skip(f"keyword/retired columns come from pydicom {recorded}'s dictionary; {pydicom.__version__} is installed")

    from phiphantom.deid.profile import regenerate

    out = tmp_path / "annex_e_basic.csv"
    assert regenerate.main(["--edition", TABLE_EDITION, "--out", str(out)]) == 0
    assert out.read_bytes() == read_table_bytes()


def test_regenerate_rejects_conflicting_duplicates():
    from phiphantom.deid.profile.regenerate import SourceEntry, build_rows

    same = [SourceEntry((0x0010, 0x0010), "Z", "Patient's Name")] * 2
    assert len(build_rows(same)) == 1
    with pytest.raises(ValueError, match="two actions"):
        build_rows([SourceEntry((0x0010, 0x0010), "Z", "a"), SourceEntry((0x0010, 0x0010), "X", "a")])


def test_parse_source_handles_multiline_tuples():
    from phiphantom.deid.profile.regenerate import parse_source_entries

    source = "U_TAGS = [\n    (\n        0x0040,\n        0x4023,\n    ),  # Long Name UID\n    (0x0008, 0x0018),  # SOP Instance UID\n]\n"
    entries = parse_source_entries(source)
    assert [(e.tag, e.action, e.comment) for e in entries] == [
        ((0x0040, 0x4023), "U", "Long Name UID"),
        ((0x0008, 0x0018), "U", "SOP Instance UID"),
    ]
