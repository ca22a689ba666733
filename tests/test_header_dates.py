"""The file's own dates found in its pixels in the forms screens write them (issue 15).

The header holds a date once (DA, YYYYMMDD); a screen writes it without zero padding ("6/22/2016"), with
a two-digit year ("22.06.16"), year first ("16/06/22"), or beside a time with the year misread by OCR
("6/22/3016 09.00 AM"). Real DICOM is written and read back.
"""

from __future__ import annotations

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from phiphantom.deid.pixels.classify import Classifier
from phiphantom.deid.pixels.header_values import HeaderValues, date_digit_forms


@pytest.fixture(scope="module")
def header(tmp_path_factory) -> HeaderValues:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyDate, ds.PatientBirthDate, ds.PatientID, ds.StudyTime = "20160622", "19671020", "3953712403", "090022"
    path = tmp_path_factory.mktemp("hdr") / "f.dcm"
    ds.save_as(path, enforce_file_format=True)
    return HeaderValues.from_dataset(pydicom.dcmread(path))


@pytest.mark.parametrize(("text", "keyword"), [
    ("6/22/2016", "StudyDate"), ("22.6.2016", "StudyDate"), ("2016/6/22", "StudyDate"), ("22.06.16", "StudyDate"),
    ("16/06/22", "StudyDate"), ("06-22-16", "StudyDate"), ("6/22/3016 00.00 22 AN", "StudyDate"),
    ("20.10.67", "PatientBirthDate"), ("10/20/1967", "PatientBirthDate"),
])
def test_the_headers_dates_are_found_in_the_forms_screens_write(header, text, keyword):
    assert header.match(text) == keyword
    assert Classifier(header, "balanced").decide(text).reason == f"header:{keyword}"


@pytest.mark.parametrize("text", ["MI 0.6 22 06", "MI 0.6 22 06 16", "12.5 cm 16.06", "2.6/2.2/16", "6/22/1916"])
def test_numbers_that_only_resemble_a_header_date_do_not_match_it(header, text):
    assert header.match(text) is None


def test_short_forms_are_left_out_and_impossible_dates_give_none():
    assert date_digit_forms("20160606") == {"662016", "201666", "060616", "160606"}
    assert date_digit_forms("2016") == set() and date_digit_forms("20161341") == set()
