"""The header engine's decisions pinned to the values their definitions imply (issue 17, mutation testing).

Each test writes a real DICOM file with pydicom, de-identifies its bytes with the bundled engine (header
only), writes the result and reads it back. Expected values follow docs/deid.md "Keys and pseudonyms":
everything is HMAC-SHA256 under the key, one domain per kind of value (the domains are part of the
stability promise: same key => the same pseudonyms across runs, machines and releases); PatientID ->
``DEID-`` + base32, PatientName the same pseudonym as a PN; UIDs -> ``2.25.`` + a 128-bit integer; one date
shift per patient in ``--date-shift-range``, times kept. Kills the mutants of ``deid/pseudonyms.py`` and of
the decision methods of ``HeaderDeidentifier`` (docs/mutation.md), the issue's "UID remapping keeping only
the first value of a multi-valued UI element" among them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import os
import stat
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from phiphantom.deid.api import FileDeid, deidentify_file
from phiphantom.deid.config import DeidConfig
from phiphantom.deid.header_deid import DeidOptions
from phiphantom.deid.keys import MIN_KEY_BYTES, DeidKeyError, load_key, write_private
from phiphantom.deid.pseudonyms import Pseudonymizer, shift_da, shift_dt

KEY = b"mutation-test-key-0123456789abcdef"
US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"
SOP = "1.2.3.4.100"
FAILED = ["1.2.3.4.7", "1.2.3.4.8", "1.2.3.4.9"]
EVENTS = ["1.2.3.4.11", "1.2.3.4.12"]
MODIFIED = frozenset({"retain_long_modified_dates"})


def _mac(domain: str, value: str) -> bytes:
    return hmac.new(KEY, f"{domain}\x1f{value}".encode(), hashlib.sha256).digest()


def _uid(original: str) -> str:
    return "2.25." + str(int.from_bytes(_mac("uid", original)[:16], "big"))


def _patient_id(key: str) -> str:
    return ("DEID-" + base64.b32encode(_mac("patient-id", key)).decode().rstrip("="))[:32]


def _shift(key: str, lo: int, hi: int) -> int:
    return lo + int.from_bytes(_mac("date-shift", key)[:8], "big") % (hi - lo + 1)


def _image(**values: object) -> Dataset:
    """A small ultrasound image header (no pixel data): the UIDs above, a patient, a study date."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = US_IMAGE
    ds.file_meta.MediaStorageSOPInstanceUID = SOP
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = US_IMAGE, SOP
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.3.4.1", "1.2.3.4.2"
    ds.PatientID, ds.PatientName, ds.PatientBirthDate = "PID-12345", "DOE^JANE", "19700102"
    ds.Modality, ds.StudyDate, ds.StudyTime = "US", "20200315", "101500"
    for keyword, value in values.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    return ds


def _deid(ds: Dataset, options: frozenset[str] = frozenset(), shift: tuple[int, int] = (-3650, -1)
          ) -> tuple[Dataset, FileDeid]:
    """De-identify ``ds`` written as a file; the output written and read back, and the engine's result."""
    src = io.BytesIO()
    dcmwrite(src, ds, enforce_file_format=True)
    result = deidentify_file(src.getvalue(), DeidConfig(key=KEY, options=DeidOptions(options, date_shift_range=shift)))
    out = io.BytesIO()
    dcmwrite(out, result.dataset, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(out.getvalue())), result


def test_every_value_of_a_multi_valued_uid_is_remapped_in_order() -> None:
    out, result = _deid(_image(FailedSOPInstanceUIDList=FAILED, IrradiationEventUID=EVENTS))
    assert list(out.FailedSOPInstanceUIDList) == [_uid(u) for u in FAILED]
    assert list(out.IrradiationEventUID) == [_uid(u) for u in EVENTS]
    assert result.header.mapping["UID"] == {u: _uid(u) for u in [SOP, *FAILED, *EVENTS, "1.2.3.4.1", "1.2.3.4.2"]}
    assert result.header.actions["(0008,0058)"] == result.header.actions["(0008,3010)"] == "U"
    # a single value stays one value, in memory too (the pseudonymized output path is built from it)
    assert isinstance(result.dataset.SOPInstanceUID, str) and out.SOPInstanceUID == _uid(SOP)
    path = [_patient_id("PID-12345"), _uid("1.2.3.4.1"), _uid("1.2.3.4.2"), _uid(SOP) + ".dcm"]
    assert result.pseudonymized_relpath() == "/".join(path)


def test_the_same_uid_anywhere_gets_the_same_new_uid_and_an_empty_one_stays_empty() -> None:
    item = Dataset()
    item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = US_IMAGE, FAILED[1]
    out, result = _deid(_image(FailedSOPInstanceUIDList=FAILED, ContentSequence=Sequence([item]),
                               FrameOfReferenceUID=""))
    assert out.ContentSequence[0].ReferencedSOPInstanceUID == out.FailedSOPInstanceUIDList[1] == _uid(FAILED[1])
    assert out.FrameOfReferenceUID == "" and "" not in result.header.mapping["UID"]


def test_media_storage_uid_follows_the_sop_instance_uid_or_is_kept_with_it() -> None:
    out, result = _deid(_image())
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID == _uid(SOP)
    assert result.header.actions["(0002,0003)"] == "U"
    kept, result = _deid(_image(), frozenset({"retain_uids"}))
    assert kept.file_meta.MediaStorageSOPInstanceUID == kept.SOPInstanceUID == SOP
    assert result.header.actions["(0002,0003)"] == "K"


def test_patient_id_and_name_get_the_keyed_pseudonym_of_the_patient_id() -> None:
    out, result = _deid(_image())
    pid = _patient_id("PID-12345")
    assert len(pid) == 32 and out.PatientID == pid
    assert str(out.PatientName) == pid.replace("-", "^", 1)
    assert result.header.mapping["PatientID"] == {"PID-12345": pid}
    assert result.header.mapping["PatientName"] == {"DOE^JANE": pid.replace("-", "^", 1)}
    assert result.header.actions["(0010,0020)"] == result.header.actions["(0010,0010)"] == "D"
    padded, _ = _deid(_image(PatientID="  PID-12345 "))
    assert padded.PatientID == pid  # surrounding spaces are not part of the ID


def test_patient_elements_with_a_wrong_vr_are_written_as_lo_and_pn() -> None:
    ds = _image(PatientID=None, PatientName=None)
    ds.add_new(0x00100010, "LO", "DOE^JANE")
    ds.add_new(0x00100020, "SH", "PID-12345")
    out, _ = _deid(ds)
    assert out["PatientID"].VR == "LO" and out["PatientName"].VR == "PN"
    pid = _patient_id("PID-12345")
    assert out.PatientID == pid and str(out.PatientName) == pid.replace("-", "^")


@pytest.mark.parametrize(("values", "key"), [
    ({"PatientID": ""}, "DOE^JANE|19700102"),                                  # no ID: name and birth date
    ({"PatientID": "", "PatientBirthDate": None}, "DOE^JANE"),               # name alone
    ({"PatientID": "", "PatientName": None}, "19700102"),                    # birth date alone
    ({"PatientID": "", "PatientName": None, "PatientBirthDate": None}, "1.2.3.4.1"),  # the study
    ({"PatientID": "", "PatientName": None, "PatientBirthDate": None, "StudyInstanceUID": None}, "unknown-patient"),
])
def test_without_a_patient_id_the_pseudonym_and_date_shift_follow_the_documented_fallback(values, key) -> None:
    out, result = _deid(_image(**values), MODIFIED)
    assert out.PatientID == _patient_id(key)
    assert result.header.date_shift_days == _shift(key, -3650, -1)
    shifted = dt.date(2020, 3, 15) + dt.timedelta(days=_shift(key, -3650, -1))
    assert out.StudyDate == shifted.strftime("%Y%m%d")


def test_modified_dates_shift_every_date_value_by_the_patients_days_and_keep_times() -> None:
    ds = _image(AcquisitionDateTime="20200315101530.123+0100", SelectorDAValue=["20200101", "20200310"],
                ContextGroupVersion="20200301")
    out, result = _deid(ds, MODIFIED, shift=(-10, -10))
    assert result.header.date_shift_days == -10
    assert out.StudyDate == "20200305" and out.StudyTime == "101500"
    assert out.AcquisitionDateTime == "20200305101530.123+0100"
    assert list(out.SelectorDAValue) == ["20191222", "20200229"]  # every value, across a leap day
    assert out.ContextGroupVersion == "20200220"
    assert result.header.actions["(0008,0020)"] == result.header.actions["(0008,0030)"] == "C"
    later, _ = _deid(ds, MODIFIED, shift=(7, 7))
    assert later.StudyDate == "20200322" and later.AcquisitionDateTime == "20200322101530.123+0100"


def test_without_modified_dates_dates_get_dummies_not_shifts() -> None:
    ds = _image(AcquisitionDateTime="20200315101530", SelectorDAValue=["20200101", "20200310"],
                ContextGroupVersion="20200301", ContentDate="20200315", ContentTime="101600")
    out, result = _deid(ds, shift=(-10, -10))
    assert result.header.date_shift_days is None
    assert out.StudyDate == "" and out.StudyTime == "" and out.ContentDate == ""
    assert out.AcquisitionDateTime == out.ContextGroupVersion == "19000101000000"
    assert out.SelectorDAValue == "19000101"


def test_date_shifts_are_drawn_per_patient_over_the_whole_range() -> None:
    shifts = []
    for n in range(16):
        pid = f"P{n:03d}"
        out, result = _deid(_image(PatientID=pid), MODIFIED, shift=(-3, -2))
        shifts.append(result.header.date_shift_days)
        assert shifts[-1] == _shift(pid, -3, -2)
        assert out.StudyDate == (dt.date(2020, 3, 15) + dt.timedelta(days=shifts[-1])).strftime("%Y%m%d")
    assert set(shifts) == {-3, -2}


def test_the_date_shift_range_must_be_ordered_and_may_be_one_day() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        Pseudonymizer(KEY, (-1, -2))
    assert Pseudonymizer(KEY, (-5, -5)).date_shift_days("PID-12345") == -5
    assert Pseudonymizer(KEY, (0, 0)).date_shift_days(" PID-12345 ") == 0
    default = [Pseudonymizer(KEY).date_shift_days(f"P{n}") for n in range(8)]  # the documented -3650..-1
    assert default == [_shift(f"P{n}", -3650, -1) for n in range(8)] and all(-3650 <= d <= -1 for d in default)


def test_shifting_a_value_that_is_not_a_date_empties_it() -> None:
    assert shift_da("20200315", -15) == "20200229" and shift_da(" 20200315 ", 1) == "20200316"
    assert shift_da("2020-03-15", -1) == "" and shift_da("", 3) == "" and shift_da("20201340", 1) == ""
    assert shift_dt("20200315101530.5-0500", 1) == "20200316101530.5-0500" and shift_dt("20200315", 0) == "20200315"
    assert shift_dt("2020031510", -1) == "2020031410" and shift_dt("garbage", 1) == ""


def test_pseudonyms_of_ids_names_and_tokens() -> None:
    pz = Pseudonymizer(KEY)
    assert pz.patient_id("PID-12345") == _patient_id("PID-12345")
    assert pz.patient_id("PID-12345", 16) == _patient_id("PID-12345")[:16]
    assert pz.patient_id(" PID-12345", 8) == _patient_id("PID-12345")[:13]  # never under DEID- + 8 characters
    assert pz.patient_id("PID-12345", 40) == _patient_id("PID-12345")  # at most 32 characters
    assert pz.patient_name("PID-12345") == _patient_id("PID-12345").replace("-", "^", 1)
    assert pz.uid(" 1.2.3 ") == _uid("1.2.3") and len(_uid("1.2.3")) <= 44
    token = "[" + base64.b32encode(_mac("token", "doe")).decode()[:8] + "]"
    assert pz.text_token(" Doe ") == pz.text_token("DOE") == token
    assert Pseudonymizer(b"another-key-0123456789").uid("1.2.3") != _uid("1.2.3")


def _token(word: str) -> str:
    return "[" + base64.b32encode(_mac("token", word.lower())).decode()[:8] + "]"


def _content_item() -> Dataset:
    """An SR-like content item: free text, a date, a time, a date-time, a person, a UID and a concept code."""
    item = Dataset()
    item.ValueType, item.TextValue, item.PersonName = "TEXT", "Seen with Jane Doe", "DOE^JANE"
    item.Date, item.Time, item.DateTime, item.UID = "20200315", "101500", "20200315101500", "1.2.3.4.50"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "121071", "DCM", "Finding"
    item.ConceptNameCodeSequence = Sequence([code])
    return item


def test_a_dummy_sequence_keeps_its_items_with_dummies_for_what_could_identify() -> None:
    out, result = _deid(_image(ContentSequence=Sequence([_content_item()])))
    item = out.ContentSequence[0]
    assert (item.TextValue, str(item.PersonName)) == ("ANONYMIZED", "ANONYMIZED")
    assert (item.Date, item.Time, item.DateTime) == ("19000101", "000000", "19000101000000")
    assert item.UID == _uid("1.2.3.4.50") and item.ValueType == "TEXT"
    assert item.ConceptNameCodeSequence[0].CodeMeaning == "Finding"  # a code is kept
    assert result.header.actions["(0040,A730)"] == "D" and result.header.actions["(0040,A730)[0].(0040,A160)"] == "D"
    shifted, _ = _deid(_image(ContentSequence=Sequence([_content_item()])), MODIFIED, shift=(-10, -10))
    item = shifted.ContentSequence[0]
    assert (item.Date, item.Time, item.DateTime) == ("20200305", "000000", "20200305101500")


def test_cleaned_text_keeps_the_words_and_replaces_the_patients_name() -> None:
    out, result = _deid(_image(ContentSequence=Sequence([_content_item()])), frozenset({"clean_structured_content"}))
    assert out.ContentSequence[0].TextValue == f"Seen with {_token('Jane')} {_token('Doe')}"
    assert result.header.actions["(0040,A730)"] == "C"
    out, result = _deid(_image(StudyDescription="Lung scan of Jane Doe"), frozenset({"clean_descriptors"}))
    assert out.StudyDescription == f"Lung scan of {_token('Jane')} {_token('Doe')}"
    assert result.header.actions["(0008,1030)"] == "C"
    removed, _ = _deid(_image(StudyDescription="Lung scan of Jane Doe"))
    assert "StudyDescription" not in removed


def test_a_shifted_single_date_stays_one_value_in_memory() -> None:
    out, result = _deid(_image(), MODIFIED, shift=(-10, -10))
    assert isinstance(result.dataset.StudyDate, str) and result.dataset.StudyDate == out.StudyDate == "20200305"


@pytest.mark.parametrize("options", [frozenset(), MODIFIED])
def test_dummies_of_names_ages_and_codes_do_not_depend_on_the_date_shift(options: frozenset[str]) -> None:
    ds = _image(SelectorASValue="045Y", SelectorAEValue="SCANNER1", ReasonForTheAttributeModification="CORRECT")
    out, result = _deid(ds, options, shift=(-10, -10))
    assert (out.SelectorASValue, out.SelectorAEValue) == ("000Y", "ANONYMIZED")
    assert out.ReasonForTheAttributeModification == "ANONYMIZED"
    assert result.header.actions["(0072,005F)"] == result.header.actions["(0072,005E)"] == "D"


# -- keys (deid/keys.py): where the key comes from and how its text is read ----------------------------------------


def test_a_key_file_is_read_as_hex_then_base64_of_16_bytes_or_more_then_a_passphrase(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text(" " + "0f" * 16 + "\n")
    assert load_key(key, env={}) == (bytes([15]) * 16, "file")
    key.write_text(base64.b64encode(bytes(range(16))).decode())
    assert load_key(key, env={}) == (bytes(range(16)), "file")
    key.write_text(base64.b64encode(bytes(range(32))).decode())
    assert load_key(key, env={}) == (bytes(range(32)), "file")
    short_b64 = base64.b64encode(bytes(range(15))).decode()  # 15 bytes: not a base64 key, a 20-byte passphrase
    key.write_text(short_b64)
    assert load_key(key, env={}) == (short_b64.encode(), "file")
    key.write_text("correct horse battery")
    assert load_key(key, env={}) == (b"correct horse battery", "file")
    key.write_text("abcd efgh ijkl mnop qrst uvwx")  # base64 letters with spaces: a passphrase, not 18 bytes
    assert load_key(key, env={}) == (b"abcd efgh ijkl mnop qrst uvwx", "file")
    key.write_bytes(b"\xff\xfe" + bytes(range(20)))  # not UTF-8: the bytes themselves
    assert load_key(key, env={}) == (b"\xff\xfe" + bytes(range(20)), "file")


def test_a_key_needs_16_bytes(tmp_path: Path) -> None:
    assert MIN_KEY_BYTES == 16
    key = tmp_path / "key"
    key.write_text("p" * 16)
    assert load_key(key, env={}) == (b"p" * 16, "file")
    key.write_text("p" * 15)
    with pytest.raises(DeidKeyError, match="at least 16 bytes"):
        load_key(key, env={})
    with pytest.raises(DeidKeyError, match="at least 16 bytes"):
        load_key(None, env={"PHIPHANTOM_DEID_KEY": "p" * 15})


def test_the_key_file_wins_over_the_environment_which_wins_over_ephemeral(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("k" * 16)  # not hex: a passphrase
    env = {"PHIPHANTOM_DEID_KEY": "m" * 16}
    assert load_key(key, ephemeral=True, env=env) == (b"k" * 16, "file")
    assert load_key(None, ephemeral=True, env=env) == (b"m" * 16, "env")
    assert load_key(None, env={"PHIPHANTOM_DEID_KEY": "ab" * 16}) == (bytes([0xAB]) * 16, "env")
    first, source = load_key(None, ephemeral=True, env={"PHIPHANTOM_DEID_KEY": ""})
    second, _ = load_key(None, ephemeral=True, env={})
    assert source == "ephemeral" and len(first) == 32 and first != second
    with pytest.raises(DeidKeyError, match="cannot read the key file"):
        load_key(tmp_path / "missing", env=env)


def test_a_private_file_is_written_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "secret"  # missing folders are made
    write_private(path, b"abc")
    path.chmod(0o644)
    write_private(path, b"xy")  # an existing file is truncated and made owner-only again
    assert path.read_bytes() == b"xy" and stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_date_element_holding_a_date_and_time_is_shifted_as_a_date() -> None:
    """Some devices write a date and time into a DA element: the shifted value is a date again (valid DA), as
    ``shift_da`` gives it; ``shift_dt`` (the DT shifter) would keep the time and leave the element invalid."""
    with pytest.warns(UserWarning):
        ds = _image(StudyDate="20200315101500")
    out, _ = _deid(ds, MODIFIED, shift=(-10, -10))
    assert out.StudyDate == shift_da("20200315101500", -10) == "20200305"


def test_the_key_never_shows_in_the_pseudonymizers_repr():
    """A Pseudonymizer printed in a log, a traceback or a debugger shows no key, in any form."""
    key = bytes(range(1, 33))
    text = repr(Pseudonymizer(key)) + str(Pseudonymizer(key))
    assert "key" not in text and key.hex() not in text and repr(key) not in text
    assert "date_shift_range=(-3650, -1)" in text  # the rest is shown
