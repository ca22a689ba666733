"""Guards and spot checks for the packaged PS3.15 Annex E tables (profile, options, IOD Types)."""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import importlib.util
import io
import re
from collections import Counter
from pathlib import Path

import pydicom
import pytest
from pydicom.tag import Tag

from phiphantom.core.profile import (
    ACTIONS,
    OPTIONS,
    TABLE_EDITION,
    TABLE_SHA256,
    action_for_keyword,
    attribute_type,
    basic_action,
    choose_action,
    effective_action,
    load_table,
)
from phiphantom.core.profile.annex_e import (
    CSV_COLUMNS,
    IOD_MODULES_FILENAME,
    IOD_MODULES_SHA256,
    MODULE_ATTRIBUTES_FILENAME,
    MODULE_ATTRIBUTES_SHA256,
    OPTION_ACTIONS,
    OPTION_COLUMNS,
    OPTIONS_SOURCE,
    TABLE_FILENAME,
    format_tag_text,
    parse_tag_text,
    profile_row,
    read_table_bytes,
)

from .helpers import load_profile_regenerator

# SOURCE.md is documentation, not package data: read it from the source tree.
SOURCE_MD = Path(__file__).resolve().parents[1] / "core" / "profile" / "SOURCE.md"


def _source_md() -> str:
    return SOURCE_MD.read_text(encoding="utf-8")


# --- the file has not been edited by hand -------------------------------------------------


PACKAGED_CSVS = {
    TABLE_FILENAME: TABLE_SHA256,
    IOD_MODULES_FILENAME: IOD_MODULES_SHA256,
    MODULE_ATTRIBUTES_FILENAME: MODULE_ATTRIBUTES_SHA256,
}


@pytest.mark.parametrize(("filename", "sha256"), sorted(PACKAGED_CSVS.items()))
def test_csv_sha256_matches_constant(filename, sha256):
    assert hashlib.sha256(read_table_bytes(filename)).hexdigest() == sha256


@pytest.mark.parametrize(("filename", "sha256"), sorted(PACKAGED_CSVS.items()))
def test_csv_sha256_matches_source_md(filename, sha256):
    match = re.search(rf"sha256 of `{re.escape(filename)}`:\*\*\s*`([0-9a-f]{{64}})`", _source_md())
    assert match, f"SOURCE.md must state {filename}'s sha256"
    assert match.group(1) == sha256


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


def test_csv_header_and_option_columns():
    header = read_table_bytes().decode("utf-8").splitlines()[0]
    assert tuple(header.split(",")) == CSV_COLUMNS
    assert tuple(OPTION_COLUMNS) == OPTIONS
    assert OPTIONS == (
        "retain_safe_private",
        "retain_uids",
        "retain_device_identity",
        "retain_institution_identity",
        "retain_patient_characteristics",
        "retain_long_full_dates",
        "retain_long_modified_dates",
        "clean_descriptors",
        "clean_structured_content",
        "clean_graphics",
    )
    assert CSV_COLUMNS[5:] == (
        "rtn_safe_priv",
        "rtn_uids",
        "rtn_dev_id",
        "rtn_inst_id",
        "rtn_pat_chars",
        "rtn_long_full_dates",
        "rtn_long_modif_dates",
        "clean_desc",
        "clean_struct_cont",
        "clean_graph",
        "options_source",
    )


def test_option_values_and_source():
    table = load_table()
    for row in table:
        entries = [row.option_entry(option) for option in OPTIONS]
        assert set(entries) <= {"", *OPTION_ACTIONS}, row.tag_text
        assert row.options_source in ("", OPTIONS_SOURCE)
        if not row.options_source:
            assert not any(entries), f"{row.tag_text}: option entries without a source"
    found = [row for row in table if row.options_source]
    # Most of the 2026c table was already in the 2020 source; rows added later have none.
    assert 400 <= len(found) < len(table)


def _source_md_count(pattern: str) -> int:
    match = re.search(pattern, _source_md())
    assert match, pattern
    return int(match.group(1))


def test_source_md_option_counts_match_table():
    table = load_table()
    found = [row for row in table if row.options_source]
    assert _source_md_count(r"\*\*(\d+)\*\* of the 655 rows were found") == len(found)
    assert _source_md_count(r"\*\*(\d+)\*\* of them have at least one option entry") == sum(
        any(row.option_entry(option) for option in OPTIONS) for row in found
    )
    assert _source_md_count(r"\*\*(\d+)\*\* rows were \*\*not found\*\*") == len(table) - len(found)
    for column in OPTION_COLUMNS.values():
        line = re.search(rf"^\| {column}\s*\|\s*(\d+) \|\s*(\d+) \|\s*(\d+) \|$", _source_md(), re.MULTILINE)
        assert line, column
        counts = Counter(getattr(row, column) for row in table)
        assert tuple(int(n) for n in line.groups()) == (counts["K"], counts["C"], counts["X"]), column


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


# --- option columns: spot checks against the standard ------------------------------------

OPTION_SPOT_CHECKS = [
    # (tag, option, entry) as PS3.15 Table E.1-1 has them
    ((0x0010, 0x0040), "retain_patient_characteristics", "K"),  # Patient's Sex
    ((0x0010, 0x1010), "retain_patient_characteristics", "K"),  # Patient's Age
    ((0x0010, 0x1020), "retain_patient_characteristics", "K"),  # Patient's Size
    ((0x0010, 0x2110), "retain_patient_characteristics", "C"),  # Allergies
    ((0x0020, 0x000D), "retain_uids", "K"),  # Study Instance UID
    ((0x0020, 0x000E), "retain_uids", "K"),  # Series Instance UID
    ((0x0008, 0x0018), "retain_uids", "K"),  # SOP Instance UID
    ((0x0018, 0x1000), "retain_device_identity", "K"),  # Device Serial Number
    ((0x0008, 0x1010), "retain_device_identity", "K"),  # Station Name
    ((0x0008, 0x0080), "retain_institution_identity", "K"),  # Institution Name
    ((0x0008, 0x0020), "retain_long_full_dates", "K"),  # Study Date
    ((0x0008, 0x0020), "retain_long_modified_dates", "C"),
    ((0x0008, 0x1030), "clean_descriptors", "C"),  # Study Description
    ((0x0020, 0x4000), "clean_descriptors", "C"),  # Image Comments
    ((0x0040, 0xA730), "clean_structured_content", "C"),  # Content Sequence
    ((0x6000, 0x3000), "clean_graphics", "C"),  # Overlay Data, row (60xx,3000)
    ((0x6000, 0x4000), "clean_graphics", "C"),  # Overlay Comments
    ((0x0070, 0x0001), "clean_graphics", "C"),  # Graphic Annotation Sequence
    # and entries that must be absent
    ((0x0010, 0x0010), "retain_patient_characteristics", ""),  # Patient's Name
    ((0x0008, 0x0020), "retain_uids", ""),
    ((0x0020, 0x000D), "retain_device_identity", ""),
]


@pytest.mark.parametrize(("tag", "option", "entry"), OPTION_SPOT_CHECKS)
def test_option_spot_checks(tag, option, entry):
    row = profile_row(tag)
    assert row is not None and row.options_source == OPTIONS_SOURCE
    assert row.option_entry(option) == entry


def test_overlay_row_is_the_masked_one():
    row = profile_row(0x601E3000)
    assert row.tag_text == "(60xx,3000)" and row.clean_graph == "C"


def test_rows_added_after_2020_have_no_options():
    # Instance Creation Date and Gender Identity Sequence entered Table E.1-1 after 2020.
    for tag in (0x00080012, 0x00100041):
        row = profile_row(tag)
        assert row is not None and row.options_source == ""
        assert effective_action(tag, frozenset(OPTIONS)) == row.action


@pytest.mark.parametrize(
    ("tag", "options", "expected"),
    [
        (0x00100040, (), "Z"),  # Patient's Sex
        (0x00100040, ("retain_patient_characteristics",), "K"),
        (0x00100040, ("retain_uids", "clean_descriptors"), "Z"),  # options without an entry: basic
        (0x00080020, (), "Z"),  # Study Date
        (0x00080020, ("retain_long_modified_dates",), "C"),
        (0x00080020, ("retain_long_full_dates",), "K"),
        (0x00080020, ("retain_long_full_dates", "retain_long_modified_dates"), "K"),  # K wins over C
        (0x00102110, ("retain_patient_characteristics", "clean_descriptors"), "C"),  # Allergies: C and C
        (0x0020000D, ("retain_uids",), "K"),
        (0x00080018, (), "U"),
        (0x00080080, ("retain_institution_identity",), "K"),
        (0x00080080, ("retain_device_identity",), "X/Z/D"),
        (0x60023000, ("clean_graphics",), "C"),  # Overlay Data, any even 60xx group
        (0x60023000, (), "X"),
        (0x00091001, (), "X"),  # private
        (0x00091001, ("retain_safe_private",), "X"),  # the caller keeps its own safe private list
        (0x00280010, OPTIONS, None),  # Rows: not listed, kept
        (0x00080060, ("retain_uids",), None),
    ],
)
def test_effective_action(tag, options, expected):
    assert effective_action(tag, frozenset(options)) == expected


def test_effective_action_defaults_to_basic():
    for row in load_table():
        tag = (row.group << 16) | row.element
        assert effective_action(tag) == basic_action(tag) == row.action


def test_effective_action_rejects_unknown_options():
    with pytest.raises(ValueError, match="unknown profile option"):
        effective_action(0x00100010, frozenset({"retain_everything"}))
    with pytest.raises(TypeError):
        effective_action(0x00100010, "retain_uids")


# --- IOD knowledge: attribute Types -----------------------------------------------------

US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"  # Ultrasound Image Storage
US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"  # Ultrasound Multi-frame Image Storage


@pytest.mark.parametrize(
    ("sop_class", "keyword", "present", "expected"),
    [
        (US_IMAGE, "PatientName", None, "2"),
        (US_IMAGE, "SOPInstanceUID", None, "1"),
        (US_IMAGE, "Modality", None, "1"),
        (US_IMAGE, "InstitutionName", None, "3"),
        (US_IMAGE, "StudyDate", None, "2"),
        (US_IMAGE, "PatientID", None, "2"),
        (US_IMAGE, "AccessionNumber", None, "2"),
        (US_IMAGE, "ImageType", None, "2"),  # General Image 3, US Image 2: the strongest
        (US_MULTIFRAME, "NumberOfFrames", None, "1"),
        (US_IMAGE, "NumberOfFrames", None, None),  # no Multi-frame Module in the single-frame IOD
        (US_IMAGE, "ICCProfile", None, "3"),  # Image Pixel (M) only
        (US_IMAGE, "ICCProfile", {"ICCProfile"}, "1"),  # ICC Profile Module (U) in use
        (US_IMAGE, "ContrastBolusAgent", None, None),  # Contrast/Bolus Module (C) not in use
        (US_IMAGE, "ContrastBolusAgent", {"ContrastBolusRoute"}, "2"),
        (US_IMAGE, "ContrastBolusAgent", {"PatientName"}, None),  # present, but no attribute of that module
        (US_IMAGE, "PixelSpacing", None, None),  # not a top-level US attribute
        ("1.2.3.4", "PatientName", None, None),  # unknown SOP Class
    ],
)
def test_attribute_type(sop_class, keyword, present, expected):
    present_tags = None if present is None else {int(Tag(name)) for name in present}
    assert attribute_type(sop_class, Tag(keyword), present_tags) == expected


def test_attribute_type_repeating_overlay_groups():
    assert attribute_type(US_IMAGE, 0x60003000) is None  # Overlay Plane Module is U
    assert attribute_type(US_IMAGE, 0x60003000, {0x60003000}) == "1"
    assert attribute_type(US_IMAGE, 0x60023000, {0x60020010}) == "1"  # another overlay group
    assert attribute_type(US_IMAGE, (0x6002, 0x3000), {0x60023000}) == "1"
    assert attribute_type(US_IMAGE, 0x60013000, {0x60013000}) is None  # odd group: private, not an overlay


def test_attribute_type_tables_cover_every_sop_class():
    rows = list(csv.DictReader(io.StringIO(read_table_bytes(IOD_MODULES_FILENAME).decode("utf-8"))))
    sop_classes = {row["sop_class_uid"] for row in rows}
    assert len(sop_classes) >= 100 and US_IMAGE in sop_classes and US_MULTIFRAME in sop_classes
    assert {row["usage"] for row in rows} == {"M", "C", "U"}
    for uid in sop_classes:  # every IOD has the SOP Common Module's SOP Instance UID as Type 1
        assert attribute_type(uid, 0x00080018) == "1", uid
    types = {row["type"] for row in csv.DictReader(io.StringIO(read_table_bytes(MODULE_ATTRIBUTES_FILENAME).decode()))}
    assert types == {"1", "1C", "2", "2C", "3"}


CHOOSE = [
    # action,  Type 1, 1C,   2,   2C,   3,   None
    ("X/Z", ("D", "D", "Z", "Z", "X", "X")),
    ("X/D", ("D", "D", "D", "D", "X", "X")),
    ("X/Z/D", ("D", "D", "Z", "Z", "X", "X")),
    ("Z/D", ("D", "D", "Z", "Z", "Z", "Z")),
    ("X/Z/U*", ("U*", "U*", "Z", "Z", "X", "X")),
    ("X", ("X",) * 6),
    ("Z", ("Z",) * 6),
    ("D", ("D",) * 6),
    ("U", ("U",) * 6),
    ("K", ("K",) * 6),
    ("C", ("C",) * 6),
]


@pytest.mark.parametrize(("action", "expected"), CHOOSE)
def test_choose_action(action, expected):
    got = tuple(choose_action(action, attr_type) for attr_type in ("1", "1C", "2", "2C", "3", None))
    assert got == expected


def test_choose_action_rejects_unknowns():
    with pytest.raises(ValueError):
        choose_action("Q", "1")
    with pytest.raises(ValueError):
        choose_action("X/Z", "4")


def test_every_table_action_resolves():
    for row in load_table():
        for attr_type in ("1", "1C", "2", "2C", "3", None):
            assert choose_action(row.action, attr_type) in {"D", "Z", "X", "U", "U*"}


def test_end_to_end_us_institution_name():
    # Institution Name is X/Z/D and Type 3 in US Image: removed; kept with Retain Institution Identity.
    tag = 0x00080080
    assert choose_action(effective_action(tag), attribute_type(US_IMAGE, tag)) == "X"
    assert effective_action(tag, frozenset({"retain_institution_identity"})) == "K"
    # Patient ID is Z/D (2026c) and Type 2: zero length.
    assert choose_action(effective_action(0x00100020), attribute_type(US_IMAGE, 0x00100020)) == "Z"


# --- regeneration is reproducible -------------------------------------------------------


def _recorded_pydicom_version() -> str:
    match = re.search(r"pydicom (\d+\.\d+\.\d+) data dictionary", _source_md())
    assert match, "SOURCE.md must name the pydicom version used for keyword/retired"
    return match.group(1)


def _require_sources():
    """Skip (with the reason) unless both sources and the recorded pydicom are installed."""
    if importlib.util.find_spec("dicomanonymizer") is None:
        pytest.skip("dicom-anonymizer not installed (pip install dicom-anonymizer==2.1.0, the `test` extra)")
    installed = importlib.metadata.version("dicom-anonymizer")
    if installed != "2.1.0":
        pytest.skip(f"table was generated from dicom-anonymizer 2.1.0; {installed} is installed")
    try:
        standard = importlib.metadata.version("dicom-standard")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("dicom-standard not installed (pip install --no-deps dicom-standard==0.1.0, the `test` extra)")
    if standard != "0.1.0":
        pytest.skip(f"option columns and IOD tables come from dicom-standard 0.1.0; {standard} is installed")
    recorded = _recorded_pydicom_version()
    if pydicom.__version__ != recorded:
        pytest.skip(f"keyword/retired columns come from pydicom {recorded}'s dictionary;"
                    f" {pydicom.__version__} is installed")


def test_regeneration_is_byte_identical(tmp_path):
    _require_sources()
    regenerate = load_profile_regenerator()

    assert regenerate.main(["--edition", TABLE_EDITION, "--out-dir", str(tmp_path)]) == 0
    for filename in PACKAGED_CSVS:
        assert (tmp_path / filename).read_bytes() == read_table_bytes(filename), filename


def test_standard_json_found_through_distribution_files():
    _require_sources()
    regenerate = load_profile_regenerator()

    folder = regenerate.find_standard_dir()
    assert all((folder / name).is_file() for name in regenerate.STANDARD_FILES)


def test_source_md_lists_the_basic_differences():
    _require_sources()
    regenerate = load_profile_regenerator()

    _, report = regenerate.generate(TABLE_EDITION)
    row = r"^\| (\([0-9A-F]{4},[0-9A-F]{4}\)) \| [^|]+ \| ([^|]+?) \| ([^|]+?) \|$"
    table = re.findall(row, _source_md(), re.MULTILINE)
    documented = {(tag, new) for tag, _, new in table}
    assert documented == {(tag, new) for tag, _, _, new in report.basic_differences}
    assert report.found == sum(1 for row in load_table() if row.options_source)
    assert not report.only_in_standard


def test_parse_standard_tag_masks():
    regenerate = load_profile_regenerator()

    assert regenerate.parse_standard_tag("(0010,0040)") == (0x0010, 0x0040, 0xFFFF, 0xFFFF)
    assert regenerate.parse_standard_tag("(60XX,3000)") == (0x6000, 0x3000, 0xFF00, 0xFFFF)
    assert regenerate.parse_standard_tag("(60xx,3000)") == (0x6000, 0x3000, 0xFF00, 0xFFFF)
    assert regenerate.parse_standard_tag("(50XX,XXXX)") == (0x5000, 0x0000, 0xFF00, 0x0000)
    assert regenerate.parse_standard_tag("(GGGG,EEEE) WHERE GGGG IS ODD") is None


def test_option_merge_rejects_conflicts():
    regenerate = load_profile_regenerator()

    rows = [{"tag": "(0010,0040)", "name": "Patient's Sex", "action": "Z"}]
    record = {"tag": "(0010,0040)", "name": "Patient's Sex", "basicProfile": "Z", "id": "00100040"}
    report = regenerate.add_options(rows, [dict(record, rtnPatCharsOpt="K")])
    assert rows[0]["rtn_pat_chars"] == "K" and rows[0]["options_source"] == OPTIONS_SOURCE
    assert report.found == 1 and not report.basic_differences
    with pytest.raises(ValueError, match="conflicting option entries"):
        regenerate.add_options(rows, [dict(record, rtnPatCharsOpt="K"), dict(record, rtnPatCharsOpt="C")])
    with pytest.raises(ValueError, match="unexpected"):
        regenerate.add_options(rows, [dict(record, rtnPatCharsOpt="Q")])


def test_module_attributes_top_level_only_and_deduplicated():
    regenerate = load_profile_regenerator()

    records = [
        {"moduleId": "m", "path": "m:00100010", "tag": "(0010,0010)", "type": "2"},
        {"moduleId": "m", "path": "m:00100010", "tag": "(0010,0010)", "type": "2"},
        {"moduleId": "m", "path": "m:00081110:00081150", "tag": "(0008,1150)", "type": "1"},
        {"moduleId": "m", "path": "m:60xx3000", "tag": "(60xx,3000)", "type": "1"},
        {"moduleId": "n", "path": "n:00100010", "tag": "(0010,0010)", "type": "None"},
    ]
    rows, report = regenerate.build_module_attributes(records)
    assert rows == [
        {"module": "m", "tag": "(0010,0010)", "type": "2"},
        {"module": "m", "tag": "(60xx,3000)", "type": "1"},
    ]
    assert (report.duplicates, report.untyped) == (1, 1)
    with pytest.raises(ValueError, match="listed as Type"):
        regenerate.build_module_attributes(records[:1] + [dict(records[0], type="3")])


def test_regenerate_rejects_conflicting_duplicates():
    regenerate = load_profile_regenerator()

    same = [regenerate.SourceEntry((0x0010, 0x0010), "Z", "Patient's Name")] * 2
    assert len(regenerate.build_rows(same)) == 1
    with pytest.raises(ValueError, match="two actions"):
        entry = regenerate.SourceEntry
        regenerate.build_rows([entry((0x0010, 0x0010), "Z", "a"), entry((0x0010, 0x0010), "X", "a")])


def test_parse_source_handles_multiline_tuples():
    regenerate = load_profile_regenerator()

    source = ("U_TAGS = [\n    (\n        0x0040,\n        0x4023,\n    ),  # Long Name UID\n"
              "    (0x0008, 0x0018),  # SOP Instance UID\n]\n")
    entries = regenerate.parse_source_entries(source)
    assert [(e.tag, e.action, e.comment) for e in entries] == [
        ((0x0040, 0x4023), "U", "Long Name UID"),
        ((0x0008, 0x0018), "U", "SOP Instance UID"),
    ]
