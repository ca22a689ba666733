"""gt/tags.csv is exact: every row is found at its path, and no PHI in a header is left unlisted."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from phiphantom.core.profile import basic_action
from phiphantom.core.vocabulary import LOCATION_KINDS

from .helpers import manifest, read_csv

_STEP = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)(?:\[(\d+)\])?")

#: Attributes with an Annex E action that the generator fills with constant, non-identifying values.
NON_PHI_WITH_ACTION = {
    "SeriesDescription", "RequestedProcedureDescription", "StudyDescription", "IssuerOfPatientID",
    "TypeOfPatientID", "ReferencedSOPClassUID", "SoftwareVersions", "TransducerData",
}


def resolve(ds: Dataset, path: str):
    """The element at a ``(gggg,eeee)[i].(gggg,eeee)`` path (file meta for group 0002)."""
    steps = path.split(".")
    current = ds
    for n, step in enumerate(steps):
        g, e, index = _STEP.fullmatch(step).groups()
        tag = Tag(int(g, 16), int(e, 16))
        holder = current.file_meta if tag.group == 2 else current
        element = holder[tag]
        if n == len(steps) - 1:
            return element
        current = element.value[int(index)]
    raise AssertionError("unreachable")


def walk(ds: Dataset, prefix: str = ""):
    """(path, element) for every element, recursively, file meta included."""
    if prefix == "" and hasattr(ds, "file_meta"):
        for el in ds.file_meta:
            yield f"({el.tag.group:04X},{el.tag.element:04X})", el
    for el in ds:
        path = f"{prefix}({el.tag.group:04X},{el.tag.element:04X})"
        yield path, el
        if el.VR == "SQ":
            for i, item in enumerate(el.value):
                yield from walk(item, f"{path}[{i}].")


def phi_strings(identity: dict) -> set[str]:
    """The identity values a leak would show (name parts, ids, dates, contact, site)."""
    values = set()
    for key in ("family_name", "given_name", "middle_name", "mrn", "birth_date", "address", "phone",
                "institution_name", "institution_address", "station_name", "device_serial_number"):
        if identity[key]:
            values.add(identity[key])
    for key in ("study_dates", "accession_numbers", "study_uids", "series_uids"):
        values.update(v for v in identity[key].split(";") if v)
    values.update(v.split("@")[0] for v in identity["other_patient_ids"].split(";") if v)
    for key in ("referring_physician", "performing_physician", "operator"):
        values.update(p for p in identity[key].split("^") if len(p) >= 3)
    return {v for v in values if len(v) >= 3}


def test_every_tag_row_is_found_at_its_path(hard_dataset):
    root, _ = hard_dataset
    rows = read_csv(root / "gt" / "tags.csv")
    kinds = {r["location_kind"] for r in rows}
    assert kinds == set(LOCATION_KINDS), f"hard datasets carry every location kind, got {sorted(kinds)}"
    for row in rows:
        if row["location_kind"] == "filename":
            assert row["injected_value"] in Path(row["file"]).name
            continue
        ds = pydicom.dcmread(root / row["file"])
        element = resolve(ds, row["tag_path"])
        if row["match"] == "exact":
            value = element.value
            assert str(value) == row["injected_value"], row["tag_path"]
        elif row["match"] == "contains":
            assert row["injected_value"] in str(element.value), row["tag_path"]
        else:  # rendered into a bitmap: the element must hold pixels
            if row["location_kind"] == "overlay":
                bits = np.unpackbits(np.frombuffer(element.value, dtype=np.uint8))
                assert bits.any()
            else:
                assert element.value[0].PixelData
        assert row["expected_action"], f"{row['tag_path']} has no PS3.15 action"


def test_no_untracked_phi_in_any_header(hard_dataset, realistic_dataset):
    for root, _ in (hard_dataset, realistic_dataset):
        rows = read_csv(root / "gt" / "tags.csv")
        identities = {r["patient_key"]: r for r in read_csv(root / "gt" / "identities.csv")}
        listed: dict[str, set[str]] = {}
        for r in rows:
            listed.setdefault(r["file"], set()).add(r["tag_path"])
        for entry in manifest(root)["files"]:
            ds = pydicom.dcmread(root / entry["relpath"])
            values = phi_strings(identities[entry["patient_key"]])
            tracked = listed[entry["relpath"]]
            for path, el in walk(ds):
                if el.VR in ("SQ", "OB", "OW", "UN") or el.value in (None, ""):
                    continue
                text = str(el.value)
                leaked = [v for v in values if v.lower() in text.lower()]
                assert not leaked or path in tracked, f"untracked PHI at {path} ({el.keyword})"
                action = basic_action(el.tag)
                if action and path not in tracked and el.tag.group != 0x0002 and not el.tag.is_private_creator:
                    assert el.keyword in NON_PHI_WITH_ACTION, f"{path} {el.keyword} has action {action} but no row"


def test_tag_rows_carry_annex_e_actions(realistic_dataset):
    root, _ = realistic_dataset
    rows = {(r["tag_path"], r["keyword"]): r for r in read_csv(root / "gt" / "tags.csv")}
    by_keyword = {k: r for (_, k), r in rows.items()}
    assert by_keyword["PatientName"]["expected_action"] == "Z"
    assert by_keyword["SOPInstanceUID"]["expected_action"] == "U"
    nested = [r for r in rows.values() if r["tag_path"].startswith("(0040,0275)[0].")]
    assert nested and all(r["expected_action"] == "X" for r in nested), "nested values inherit the sequence's X"
    assert all(r["leaf_action"] for r in nested)
