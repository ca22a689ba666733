"""Regenerate the packaged PS3.15 Annex E tables from maintained PyPI packages.

A build-time tool, kept out of the installed package: it writes the CSVs of
``core/profile/`` (``phiphantom.core.profile``) in this repository. Usage,
from the repository root::

    pip install dicom-anonymizer==2.1.0 dicom-standard==0.1.0   # or: pip install -e '.[test]'
    python .ci/regenerate_profile.py [--edition 2026c] [--out-dir DIR] [--standard-dir DIR]

Step 1, ``annex_e_basic.csv`` (Table E.1-1):

* Basic Profile column from
  ``dicomanonymizer.dicom_anonymization_databases.dicomfields_<edition>``:
  one Python list per Basic Profile action (``D_TAGS``, ``Z_TAGS``, ...) of
  ``(group, element)`` or masked ``(group, element, group_mask, element_mask)``
  tuples, each followed by a ``# Attribute Name`` comment. The tag values come
  from importing the module; the names come from its source comments (parsed
  with ``ast`` + ``tokenize`` so tuples split over several lines work), and the
  two are cross-checked. Keywords and the retired flag come from pydicom's
  dictionary.
* Option columns (Retain Safe Private ... Clean Graphics) from the
  ``confidentiality_profile_attributes.json`` of innolitics' ``dicom-standard``
  0.1.0 (parsed from the 2020 standard), merged by tag (mask aware:
  ``(60XX,3000)`` there is ``(60xx,3000)`` here). Rows not found there have
  empty option columns and an empty ``options_source``.

Step 2, the IOD tables, from the same dicom-standard package:
``iod_modules.csv`` (``sops.json`` -> ``ciods.json`` -> ``ciod_to_modules.json``)
and ``module_attributes.csv`` (top-level attributes of
``module_to_attributes.json``, with their Type); step 3, the Types of attributes
inside sequences that the profile acts on: ``sequence_attributes.csv`` (nested
rows of ``module_to_attributes.json`` and the functional group macros of
``macro_to_attributes.json``) and ``iod_fg_macros.csv``
(``ciod_to_fg_macros.json``).

Nothing is typed in by hand.

Duplicates: a tag listed twice under the same action is written once; a tag
listed under two different actions stops the run (the source would be
ambiguous, and silently picking one would be a guess). The same rule holds for
the option entries and module attribute Types of dicom-standard.
"""

from __future__ import annotations

import argparse
import ast
import collections
import csv
import hashlib
import importlib
import importlib.metadata
import importlib.util
import io
import json
import pkgutil
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.datadict import RepeatersDictionary, dictionary_description, get_entry, keyword_for_tag

from phiphantom.core.profile.annex_e import (
    ATTRIBUTE_TYPES,
    CSV_COLUMNS,
    IOD_FG_MACROS_COLUMNS,
    IOD_FG_MACROS_FILENAME,
    IOD_MODULES_COLUMNS,
    IOD_MODULES_FILENAME,
    MODULE_ATTRIBUTES_COLUMNS,
    MODULE_ATTRIBUTES_FILENAME,
    OPTION_ACTIONS,
    OPTION_COLUMNS,
    OPTIONS_SOURCE,
    SEQUENCE_ATTRIBUTES_COLUMNS,
    SEQUENCE_ATTRIBUTES_FILENAME,
    TABLE_EDITION,
    TABLE_FILENAME,
    format_tag_text,
    parse_tag_text,
)

#: Source list name -> Basic Profile action code, in the order the source defines them.
SOURCE_LISTS: tuple[tuple[str, str], ...] = (
    ("D_TAGS", "D"),
    ("Z_TAGS", "Z"),
    ("X_TAGS", "X"),
    ("U_TAGS", "U"),
    ("Z_D_TAGS", "Z/D"),
    ("X_Z_TAGS", "X/Z"),
    ("X_D_TAGS", "X/D"),
    ("X_Z_D_TAGS", "X/Z/D"),
    ("X_Z_U_STAR_TAGS", "X/Z/U*"),
)

SOURCE_PACKAGE = "dicomanonymizer.dicom_anonymization_databases"
INSTALL_HINT = "pip install dicom-anonymizer==2.1.0"
# The package's profile folder in this repository (.ci/ and core/ are siblings).
DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "core" / "profile"

#: The options/IOD source: PyPI distribution, version, and the folder its JSON installs to.
STANDARD_DISTRIBUTION = "dicom-standard"
STANDARD_VERSION = "0.1.0"
STANDARD_INSTALL_HINT = f"pip install --no-deps {STANDARD_DISTRIBUTION}=={STANDARD_VERSION}"
STANDARD_FILES: tuple[str, ...] = (
    "confidentiality_profile_attributes.json",
    "sops.json",
    "ciods.json",
    "ciod_to_modules.json",
    "module_to_attributes.json",
    "ciod_to_fg_macros.json",
    "macro_to_attributes.json",
)
#: CSV option column -> key in confidentiality_profile_attributes.json.
OPTION_SOURCE_KEYS: dict[str, str] = {
    "rtn_safe_priv": "rtnSafePrivOpt",
    "rtn_uids": "rtnUIDsOpt",
    "rtn_dev_id": "rtnDevIdOpt",
    "rtn_inst_id": "rtnInstIdOpt",
    "rtn_pat_chars": "rtnPatCharsOpt",
    "rtn_long_full_dates": "rtnLongFullDatesOpt",
    "rtn_long_modif_dates": "rtnLongModifDatesOpt",
    "clean_desc": "cleanDescOpt",
    "clean_struct_cont": "cleanStructContOpt",
    "clean_graph": "cleanGraphOpt",
}
MODULE_USAGES: tuple[str, ...] = ("M", "C", "U")
# Trailing "(see Note 11)"-style references to the standard's table notes.
_NOTE_REFERENCE = re.compile(r"\s*\(see Note \d+\)\s*$", re.IGNORECASE)

SourceTag = tuple[int, ...]


@dataclass(frozen=True)
class SourceEntry:
    """One tuple from the source lists, with its action and trailing comment."""

    tag: SourceTag
    action: str
    comment: str


def import_source(edition: str):
    """Import ``dicomfields_<edition>``; exit with an install hint if it is missing."""
    if not re.fullmatch(r"[0-9a-z]+", edition):
        raise SystemExit(f"invalid edition {edition!r} (expected e.g. 2026c)")
    try:
        package = importlib.import_module(SOURCE_PACKAGE)
    except ModuleNotFoundError as exc:
        raise SystemExit(
            f"cannot import {SOURCE_PACKAGE} ({exc}).\n"
            f"Install the source of the Annex E table with: {INSTALL_HINT}"
        ) from exc
    name = f"{SOURCE_PACKAGE}.dicomfields_{edition}"
    if importlib.util.find_spec(name) is None:
        available = sorted(
            info.name.removeprefix("dicomfields_")
            for info in pkgutil.iter_modules(package.__path__)
            if info.name.startswith("dicomfields_")
        )
        raise SystemExit(f"no edition {edition!r} in the installed dicom-anonymizer; available: {available}")
    return importlib.import_module(name)


def _comments_by_line(source: str) -> dict[int, str]:
    """Line number -> text of the ``#`` comment on that line (without ``#``)."""
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    return comments


def parse_source_entries(source: str) -> list[SourceEntry]:
    """Every tuple of the action lists in ``source``, with the comment that follows it.

    The comment of a tuple is the one on the line where the tuple ends, e.g.
    ``),  # Referenced ... UID`` for a tuple written over several lines.
    """
    actions = dict(SOURCE_LISTS)
    comments = _comments_by_line(source)
    entries = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        action = actions.get(node.targets[0].id)
        if action is None:
            continue
        if not isinstance(node.value, ast.List):
            raise ValueError(f"{node.targets[0].id} is not a list literal")
        for element in node.value.elts:
            tag = ast.literal_eval(element)
            comment = comments.get(element.end_lineno or 0, "")  # line numbers start at 1: 0 is never there
            entries.append(SourceEntry(tag=tuple(tag), action=action, comment=comment))
    return entries


def _check_against_module(entries: list[SourceEntry], module) -> None:
    """The parsed source must describe exactly what the imported module holds."""
    for list_name, action in SOURCE_LISTS:
        imported = [tuple(tag) for tag in getattr(module, list_name)]
        parsed = [entry.tag for entry in entries if entry.action == action]
        if imported != parsed:
            raise ValueError(f"{list_name}: parsed source differs from the imported module")


def _normalise_tag(tag: SourceTag) -> tuple[int, int, int, int]:
    """``(g, e)`` or ``(g, e, gmask, emask)`` -> ``(g & gmask, e & emask, gmask, emask)``."""
    if len(tag) == 2:
        group, element = tag
        group_mask = element_mask = 0xFFFF
    elif len(tag) == 4:
        group, element, group_mask, element_mask = tag
    else:
        raise ValueError(f"unexpected tag tuple {tag!r}")
    return group & group_mask, element & element_mask, group_mask, element_mask


def _dictionary_columns(group: int, element: int, group_mask: int, element_mask: int) -> tuple[str, str, str]:
    """``(keyword, fallback name, retired Y/N/'')`` from pydicom's dictionary."""
    if group_mask == element_mask == 0xFFFF:
        tag = (group << 16) | element
        try:
            entry = get_entry(tag)
        except KeyError:
            return "", "", ""
        return keyword_for_tag(tag), dictionary_description(tag), "Y" if entry[3] == "Retired" else "N"
    # Masked row: only the retired flag, and only where pydicom has the very same pattern.
    pattern = format_tag_text(group, element, group_mask, element_mask)[1:-1].replace(",", "")
    repeater = RepeatersDictionary.get(pattern)
    if repeater is None:
        return "", "", ""
    return "", repeater[2], "Y" if repeater[3] == "Retired" else "N"


def clean_name(comment: str) -> str:
    """Attribute name from a source comment: whitespace collapsed, a trailing
    ``(see Note N)`` reference to the standard's table notes dropped."""
    return _NOTE_REFERENCE.sub("", " ".join(comment.split()))


def build_rows(entries: list[SourceEntry]) -> list[dict[str, str]]:
    """CSV records, one per distinct tag, sorted by (group, element, masks)."""
    by_tag: dict[tuple[int, int, int, int], SourceEntry] = {}
    for entry in entries:
        key = _normalise_tag(entry.tag)
        previous = by_tag.get(key)
        if previous is not None and previous.action != entry.action:
            raise ValueError(
                f"{format_tag_text(*key)} listed with two actions: {previous.action!r} and {entry.action!r}"
            )
        by_tag.setdefault(key, entry)
    rows = []
    for key in sorted(by_tag):
        entry = by_tag[key]
        keyword, dictionary_name, retired = _dictionary_columns(*key)
        rows.append(
            {
                "tag": format_tag_text(*key),
                "keyword": keyword,
                "name": clean_name(entry.comment) or dictionary_name,
                "action": entry.action,
                "retired": retired,
            }
        )
    return rows


def render_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = CSV_COLUMNS) -> bytes:
    """The CSV bytes: UTF-8, ``\\n`` line ends, minimal quoting."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- dicom-standard (options and IOD source) ------------------------------------------------


def find_standard_dir() -> Path:
    """Folder of the installed dicom-standard JSON files; exit with an install hint if missing.

    The wheel installs them as data files under ``<prefix>/standard/``, so they
    are found through the distribution's file list (``locate_file`` resolves
    relative to site-packages, which is not where data files go).
    """
    try:
        distribution = importlib.metadata.distribution(STANDARD_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise SystemExit(
            f"{STANDARD_DISTRIBUTION} is not installed.\n"
            f"Install the source of the option columns and IOD tables with: {STANDARD_INSTALL_HINT}"
        ) from exc
    if distribution.version != STANDARD_VERSION:
        raise SystemExit(
            f"the tables come from {STANDARD_DISTRIBUTION} {STANDARD_VERSION}; {distribution.version} is installed"
        )
    for file in distribution.files or ():
        if file.parts[-2:] == ("standard", STANDARD_FILES[0]):
            folder = Path(file.locate()).resolve().parent
            if all((folder / name).is_file() for name in STANDARD_FILES):
                return folder
    raise SystemExit(f"{STANDARD_DISTRIBUTION} {STANDARD_VERSION} is installed but its standard/*.json files are not")


def _load_json(standard_dir: Path, name: str):
    return json.loads((standard_dir / name).read_text(encoding="utf-8"))


TagKey = tuple[int, int, int, int]


def parse_standard_tag(text: str) -> TagKey | None:
    """dicom-standard tag text -> normalised key; None for the private-attributes rule row.

    ``"(0010,0040)"`` -> ``(0x0010, 0x0040, 0xFFFF, 0xFFFF)``;
    ``"(60XX,3000)"``/``"(60xx,3000)"`` -> ``(0x6000, 0x3000, 0xFF00, 0xFFFF)``;
    ``"(GGGG,EEEE) WHERE GGGG IS ODD"`` -> None.
    """
    if text.startswith("(GGGG,EEEE)"):
        return None
    # Hex digits never include X, so an upper-case X is a masked nibble.
    group, element, group_mask, element_mask = parse_tag_text(text.strip().replace("X", "x"))
    return group & group_mask, element & element_mask, group_mask, element_mask


@dataclass(frozen=True)
class StandardProfileRow:
    """One row of dicom-standard's confidentiality_profile_attributes.json."""

    tag_text: str
    name: str
    basic: str
    options: dict[str, str]  # CSV option column -> "K"/"C"/"X"/""


def read_standard_profile(
    records: list[dict],
) -> tuple[dict[TagKey, list[StandardProfileRow]], list[StandardProfileRow]]:
    """(rows by normalised tag, the private-attributes rule rows)."""
    known_keys = {"id", "tag", "name", "basicProfile", "stdCompIOD", *OPTION_SOURCE_KEYS.values()}
    by_tag: dict[TagKey, list[StandardProfileRow]] = {}
    private = []
    for record in records:
        unknown = set(record) - known_keys
        if unknown:
            raise ValueError(f"{record.get('tag')}: unexpected keys {sorted(unknown)} in the options source")
        options = {column: record.get(key) or "" for column, key in OPTION_SOURCE_KEYS.items()}
        for column, entry in options.items():
            if entry and entry not in OPTION_ACTIONS:
                raise ValueError(f"{record['tag']}: unexpected {column} entry {entry!r}")
        row = StandardProfileRow(record["tag"], " ".join(record["name"].split()), record["basicProfile"], options)
        key = parse_standard_tag(record["tag"])
        if key is None:
            private.append(row)
        else:
            by_tag.setdefault(key, []).append(row)
    return by_tag, private


def merged_options(key: TagKey, rows: list[StandardProfileRow]) -> dict[str, str]:
    """The option entries of a tag listed once or more; differing entries stop the run."""
    distinct = {tuple(row.options.items()) for row in rows}
    if len(distinct) != 1:
        raise ValueError(f"{format_tag_text(*key)} has conflicting option entries in the options source")
    return dict(distinct.pop())


@dataclass
class MergeReport:
    """What the merge of the two sources found (printed, and recorded in SOURCE.md)."""

    rows: int = 0
    found: int = 0  # rows found in the options source
    with_entries: int = 0  # ... of which with at least one option entry
    not_found: list[str] = field(default_factory=list)  # tag text + name of rows with options unknown
    only_in_standard: list[str] = field(default_factory=list)  # 2020 rows not in the basic source
    # (tag, name, 2020 action(s), basic source action)
    basic_differences: list[tuple[str, str, str, str]] = field(default_factory=list)
    per_column: dict[str, collections.Counter] = field(default_factory=dict)
    private_rule: list[StandardProfileRow] = field(default_factory=list)


def add_options(rows: list[dict[str, str]], records: list[dict]) -> MergeReport:
    """Fill the option columns and ``options_source`` of ``rows`` (in place) from the options source."""
    by_tag, private = read_standard_profile(records)
    report = MergeReport(private_rule=private)
    seen = set()
    for row in rows:
        group, element, group_mask, element_mask = parse_tag_text(row["tag"])
        key = (group, element, group_mask, element_mask)
        standard_rows = by_tag.get(key)
        report.rows += 1
        if standard_rows is None:
            row.update({column: "" for column in OPTION_COLUMNS.values()}, options_source="")
            report.not_found.append(f"{row['tag']} {row['name']}")
            continue
        seen.add(key)
        options = merged_options(key, standard_rows)
        row.update(options, options_source=OPTIONS_SOURCE)
        report.found += 1
        report.with_entries += any(options.values())
        basics = sorted({standard_row.basic for standard_row in standard_rows})
        if basics != [row["action"]]:
            report.basic_differences.append((row["tag"], row["name"], " and ".join(basics), row["action"]))
    for key in sorted(set(by_tag) - seen):
        report.only_in_standard.append(f"{format_tag_text(*key)} {by_tag[key][0].name}")
    for column in OPTION_COLUMNS.values():
        report.per_column[column] = collections.Counter(row[column] for row in rows if row[column])
    return report


def generate(edition: str = TABLE_EDITION, standard_dir: Path | None = None) -> tuple[bytes, MergeReport]:
    """Profile CSV bytes for ``edition`` with the option columns, and the merge report."""
    module = import_source(edition)
    source = Path(module.__file__).read_text(encoding="utf-8")
    entries = parse_source_entries(source)
    _check_against_module(entries, module)
    rows = build_rows(entries)
    standard_dir = standard_dir or find_standard_dir()
    report = add_options(rows, _load_json(standard_dir, "confidentiality_profile_attributes.json"))
    return render_csv(rows), report


# --- step 2: IOD tables -----------------------------------------------------------------------


def _uid_sort_key(uid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in uid.split("."))


def build_iod_modules(sops: list[dict], ciods: list[dict], ciod_to_modules: list[dict]) -> list[dict[str, str]]:
    """One row per (SOP Class, module of its IOD), SOP Classes by UID, modules in the standard's table order."""
    ciod_ids = {ciod["name"]: ciod["id"] for ciod in ciods}
    if len(ciod_ids) != len(ciods):
        raise ValueError("ciods.json: duplicate CIOD names")
    modules_of: dict[str, dict[str, str]] = {}
    for record in ciod_to_modules:
        usage = record["usage"]
        if usage not in MODULE_USAGES:
            raise ValueError(f"{record['ciodId']}/{record['moduleId']}: unexpected usage {usage!r}")
        modules = modules_of.setdefault(record["ciodId"], {})
        if modules.get(record["moduleId"], usage) != usage:
            raise ValueError(f"{record['ciodId']}/{record['moduleId']}: two usages")
        modules[record["moduleId"]] = usage
    uids = [sop["id"] for sop in sops]
    if len(uids) != len(set(uids)):
        raise ValueError("sops.json: duplicate SOP Class UIDs")
    rows = []
    for sop in sorted(sops, key=lambda sop: _uid_sort_key(sop["id"])):
        ciod = ciod_ids.get(sop["ciod"])
        if ciod is None or ciod not in modules_of:
            raise ValueError(f"{sop['id']}: CIOD {sop['ciod']!r} has no module table")
        for module, usage in modules_of[ciod].items():
            rows.append({"sop_class_uid": sop["id"], "ciod": ciod, "module": module, "usage": usage})
    return rows


@dataclass
class ModuleReport:
    top_level: int = 0  # top-level rows in the source (before dedupe)
    duplicates: int = 0  # identical repeats dropped
    untyped: int = 0  # rows whose Type is "None" (modules without a Type column), dropped
    written: int = 0


def _attribute_type(record: dict) -> str | None:
    """A source row's attribute Type (one of ``ATTRIBUTE_TYPES``), or None where it has none ("None")."""
    attr_type = record["type"]
    if attr_type == "None":
        return None
    if attr_type not in ATTRIBUTE_TYPES:
        raise ValueError(f"{record['path']}: unexpected type {attr_type!r}")
    return attr_type


def build_module_attributes(module_to_attributes: list[dict]) -> tuple[list[dict[str, str]], ModuleReport]:
    """Top-level attributes (path ``module:TAG``) with their Type, deduplicated, sorted by (module, tag)."""
    report = ModuleReport()
    types: dict[tuple[str, TagKey], str] = {}
    for record in module_to_attributes:
        parts = record["path"].split(":")
        if len(parts) != 2:
            continue  # nested in a sequence
        module, _ = parts
        if module != record["moduleId"]:
            raise ValueError(f"{record['path']}: path does not start with its module {record['moduleId']!r}")
        report.top_level += 1
        attr_type = _attribute_type(record)
        if attr_type is None:
            report.untyped += 1
            continue
        tag = parse_standard_tag(record["tag"])
        if tag is None:
            raise ValueError(f"{record['path']}: {record['tag']!r} is not an attribute tag")
        key = (module, tag)
        previous = types.get(key)
        if previous is not None:
            if previous != attr_type:
                raise ValueError(f"{record['path']}: listed as Type {previous} and {attr_type}")
            report.duplicates += 1
            continue
        types[key] = attr_type
    rows = [
        {"module": module, "tag": format_tag_text(*tag), "type": attr_type}
        for (module, tag), attr_type in sorted(types.items())
    ]
    report.written = len(rows)
    return rows, report


def generate_iod_tables(standard_dir: Path | None = None) -> tuple[bytes, bytes, ModuleReport]:
    """(iod_modules.csv bytes, module_attributes.csv bytes, report)."""
    standard_dir = standard_dir or find_standard_dir()
    iod_rows = build_iod_modules(
        _load_json(standard_dir, "sops.json"),
        _load_json(standard_dir, "ciods.json"),
        _load_json(standard_dir, "ciod_to_modules.json"),
    )
    attribute_rows, report = build_module_attributes(_load_json(standard_dir, "module_to_attributes.json"))
    return (
        render_csv(iod_rows, IOD_MODULES_COLUMNS),
        render_csv(attribute_rows, MODULE_ATTRIBUTES_COLUMNS),
        report,
    )


# --- step 3: Types inside sequences ----------------------------------------------------------


@dataclass
class SequenceReport:
    rows: int = 0  # source rows read (nested module rows and macro rows)
    acted_on: int = 0  # of them, rows whose attribute has an exact row in the profile table
    masked: int = 0  # rows with a repeating-group tag in the path, dropped
    untyped: int = 0  # rows of listed attributes whose Type is "None", dropped
    merged: int = 0  # repeats of an (owner, path) merged (the strongest Type kept)
    written: int = 0


def _path_tags(path: str) -> list[str]:
    """``"rt-beams:300a00b0:300a00b2"`` -> ``["300a00b0", "300a00b2"]`` (the owner id dropped)."""
    return path.split(":")[1:]


def _format_path(tags: list[str]) -> str:
    return "/".join(f"({tag[:4].upper()},{tag[4:].upper()})" for tag in tags)


def build_sequence_attributes(module_to_attributes: list[dict], macro_to_attributes: list[dict],
                              acted_on: set[int]) -> tuple[list[dict[str, str]], SequenceReport]:
    """Attributes inside sequences with their Type, for the tags of ``acted_on`` (profile rows whose action
    depends on the Type: X, Z and the combined actions).

    Owners: a module id (its rows nested in a sequence, path from the module's top-level sequence) or
    ``macro:<id>`` (a functional group macro: every row, path from the macro's top-level sequence, which
    sits in an item of the Shared or Per-Frame Functional Groups Sequence). The source lists some paths
    more than once (under different conditions, e.g. per SR value type); the strongest Type is kept.
    """
    report = SequenceReport()
    types: dict[tuple[str, str], str] = {}
    rank = {attr_type: i for i, attr_type in enumerate(ATTRIBUTE_TYPES)}
    sources = [(record, record["moduleId"], 2) for record in module_to_attributes]
    sources += [(record, f"macro:{record['macroId']}", 1) for record in macro_to_attributes]
    for record, owner, min_depth in sources:
        tags = _path_tags(record["path"])
        if len(tags) < min_depth:
            continue
        report.rows += 1
        if any("x" in tag.lower() for tag in tags):
            report.masked += 1
            continue
        if int(tags[-1], 16) not in acted_on:
            continue
        report.acted_on += 1
        attr_type = _attribute_type(record)
        if attr_type is None:
            report.untyped += 1
            continue
        key = (owner, _format_path(tags))
        previous = types.get(key)
        if previous is not None:
            report.merged += 1
            if rank[previous] <= rank[attr_type]:
                continue
        types[key] = attr_type
    rows = [{"owner": owner, "path": path, "type": attr_type} for (owner, path), attr_type in sorted(types.items())]
    report.written = len(rows)
    return rows, report


def build_iod_fg_macros(ciod_to_fg_macros: list[dict]) -> list[dict[str, str]]:
    """One row per (CIOD, functional group macro) with the macro's usage, sorted."""
    usages: dict[tuple[str, str], str] = {}
    for record in ciod_to_fg_macros:
        usage = record["usage"]
        if usage not in MODULE_USAGES:
            raise ValueError(f"{record['ciodId']}/{record['macroId']}: unexpected usage {usage!r}")
        key = (record["ciodId"], record["macroId"])
        if usages.get(key, usage) != usage:
            raise ValueError(f"{record['ciodId']}/{record['macroId']}: two usages")
        usages[key] = usage
    return [{"ciod": ciod, "macro": macro, "usage": usage} for (ciod, macro), usage in sorted(usages.items())]


#: Basic Profile actions whose outcome depends on the attribute's Type (a D or U value is never empty).
TYPE_DEPENDENT_ACTIONS = frozenset({"X", "Z", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"})


def _profile_tags(profile: bytes) -> set[int]:
    """The exact (unmasked) tags of a generated profile table whose action depends on the Type."""
    tags = set()
    for record in csv.DictReader(io.StringIO(profile.decode("utf-8"))):
        group, element, group_mask, element_mask = parse_tag_text(record["tag"])
        if group_mask == element_mask == 0xFFFF and record["action"] in TYPE_DEPENDENT_ACTIONS:
            tags.add((group << 16) | element)
    return tags


def generate_sequence_tables(profile: bytes, standard_dir: Path | None = None) -> tuple[bytes, bytes, SequenceReport]:
    """(sequence_attributes.csv bytes, iod_fg_macros.csv bytes, report) for the tags of ``profile``."""
    standard_dir = standard_dir or find_standard_dir()
    rows, report = build_sequence_attributes(
        _load_json(standard_dir, "module_to_attributes.json"),
        _load_json(standard_dir, "macro_to_attributes.json"),
        _profile_tags(profile),
    )
    macros = build_iod_fg_macros(_load_json(standard_dir, "ciod_to_fg_macros.json"))
    return render_csv(rows, SEQUENCE_ATTRIBUTES_COLUMNS), render_csv(macros, IOD_FG_MACROS_COLUMNS), report


def summarise_sequences(sequence_attributes: bytes, iod_fg_macros: bytes, report: SequenceReport) -> str:
    macros = list(csv.DictReader(io.StringIO(iod_fg_macros.decode("utf-8"))))
    return "\n".join(
        [
            f"{SEQUENCE_ATTRIBUTES_FILENAME} sha256 {hashlib.sha256(sequence_attributes).hexdigest()}"
            f" ({len(sequence_attributes)} bytes)",
            f"  nested source rows {report.rows} ({report.masked} with a repeating-group tag dropped),"
            f" {report.acted_on} of attributes the profile lists ({report.untyped} without a Type dropped,"
            f" {report.merged} repeats merged), {report.written} written",
            f"{IOD_FG_MACROS_FILENAME} sha256 {hashlib.sha256(iod_fg_macros).hexdigest()}"
            f" ({len(iod_fg_macros)} bytes)",
            f"  rows {len(macros)}, CIODs {len({m['ciod'] for m in macros})},"
            f" macros {len({m['macro'] for m in macros})}",
        ]
    )


def generate_all(edition: str = TABLE_EDITION, standard_dir: Path | None = None) -> tuple[dict[str, bytes], str]:
    """File name -> CSV bytes for the five packaged tables, and the printed summary."""
    standard_dir = standard_dir or find_standard_dir()
    profile, merge_report = generate(edition, standard_dir)
    iod_modules, module_attributes, module_report = generate_iod_tables(standard_dir)
    sequence_attributes, iod_fg_macros, sequence_report = generate_sequence_tables(profile, standard_dir)
    files = {
        TABLE_FILENAME: profile,
        IOD_MODULES_FILENAME: iod_modules,
        MODULE_ATTRIBUTES_FILENAME: module_attributes,
        SEQUENCE_ATTRIBUTES_FILENAME: sequence_attributes,
        IOD_FG_MACROS_FILENAME: iod_fg_macros,
    }
    summary = "\n".join(
        [summarise(profile), summarise_merge(merge_report),
         summarise_iod(iod_modules, module_attributes, module_report),
         summarise_sequences(sequence_attributes, iod_fg_macros, sequence_report)]
    )
    return files, summary


def summarise(data: bytes) -> str:
    """sha256 and per-action row counts, for SOURCE.md and the constants."""
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    counts = collections.Counter(record["action"] for record in records)
    lines = [f"{TABLE_FILENAME} sha256 {hashlib.sha256(data).hexdigest()} ({len(data)} bytes)", f"rows {len(records)}"]
    lines += [f"  {action:7} {counts[action]}" for _, action in SOURCE_LISTS]
    return "\n".join(lines)


def summarise_merge(report: MergeReport) -> str:
    lines = [
        f"option data: {report.found} of {report.rows} rows found in {OPTIONS_SOURCE}"
        f" ({report.with_entries} with at least one option entry); {len(report.not_found)} not found",
        "per option column: "
        + ", ".join(f"{column} {dict(sorted(counts.items()))}" for column, counts in report.per_column.items()),
        f"not found in {OPTIONS_SOURCE} ({len(report.not_found)}):",
        *(f"  {item}" for item in report.not_found),
        f"in {OPTIONS_SOURCE} but not in the basic source ({len(report.only_in_standard)}):",
        *(f"  {item}" for item in report.only_in_standard),
        f"basic action differs, 2020 vs {TABLE_EDITION} ({len(report.basic_differences)}):",
        *(f"  | {tag} | {name} | {old} | {new} |" for tag, name, old, new in report.basic_differences),
        "private-attributes rule rows: "
        + "; ".join(
            f"{row.tag_text} basic {row.basic} "
            + " ".join(f"{column}={entry}" for column, entry in row.options.items() if entry)
            for row in report.private_rule
        ),
    ]
    return "\n".join(lines)


def summarise_iod(iod_modules: bytes, module_attributes: bytes, report: ModuleReport) -> str:
    iod_records = list(csv.DictReader(io.StringIO(iod_modules.decode("utf-8"))))
    sops = {record["sop_class_uid"] for record in iod_records}
    ciods = {record["ciod"] for record in iod_records}
    modules = {record["module"] for record in iod_records}
    types = collections.Counter(
        record["type"] for record in csv.DictReader(io.StringIO(module_attributes.decode("utf-8")))
    )
    return "\n".join(
        [
            f"{IOD_MODULES_FILENAME} sha256 {hashlib.sha256(iod_modules).hexdigest()} ({len(iod_modules)} bytes)",
            f"  rows {len(iod_records)}, SOP Classes {len(sops)}, CIODs {len(ciods)}, modules {len(modules)}",
            f"{MODULE_ATTRIBUTES_FILENAME} sha256 {hashlib.sha256(module_attributes).hexdigest()}"
            f" ({len(module_attributes)} bytes)",
            f"  top-level source rows {report.top_level}: {report.untyped} without a Type dropped,"
            f" {report.duplicates} identical repeats dropped, {report.written} written",
            "  types " + ", ".join(f"{attr_type} {types[attr_type]}" for attr_type in ATTRIBUTE_TYPES),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edition", default=TABLE_EDITION, help="dicomfields_<edition> module (default %(default)s)")
    parser.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="folder to write the CSVs to (default: core/profile/)"
    )
    parser.add_argument(
        "--standard-dir",
        type=Path,
        default=None,
        help=f"folder of the {STANDARD_DISTRIBUTION} {STANDARD_VERSION} JSON files (default: the installed package's)",
    )
    args = parser.parse_args(argv)
    files, summary = generate_all(args.edition, args.standard_dir)
    for name, data in files.items():
        (args.out_dir / name).write_bytes(data)
    print(f"wrote {', '.join(files)} to {args.out_dir}\n{summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
