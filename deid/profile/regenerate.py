"""Regenerate ``annex_e_basic.csv`` from dicom-anonymizer's copy of PS3.15 Table E.1-1.

Usage::

    pip install dicom-anonymizer==2.1.0      # or: pip install -e '.[dev]'
    python -m phiphantom.deid.profile.regenerate [--edition 2026c] [--out PATH]

The source is ``dicomanonymizer.dicom_anonymization_databases.dicomfields_<edition>``:
one Python list per Basic Profile action (``D_TAGS``, ``Z_TAGS``, ...) of
``(group, element)`` or masked ``(group, element, group_mask, element_mask)``
tuples, each followed by a ``# Attribute Name`` comment. The tag values come
from importing the module; the names come from its source comments (parsed
with ``ast`` + ``tokenize`` so tuples split over several lines work), and the
two are cross-checked. Keywords and the retired flag come from pydicom's
dictionary. Nothing is typed in by hand.

Duplicates: a tag listed twice under the same action is written once; a tag
listed under two different actions stops the run (the source would be
ambiguous, and silently picking one would be a guess).
"""

from __future__ import annotations

import argparse
import ast
import collections
import csv
import hashlib
import importlib
import importlib.util
import io
import pkgutil
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from pydicom.datadict import RepeatersDictionary, dictionary_description, get_entry, keyword_for_tag

from .annex_e import CSV_COLUMNS, TABLE_EDITION, TABLE_FILENAME, format_tag_text

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
DEFAULT_OUT = Path(__file__).with_name(TABLE_FILENAME)
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
            comment = comments.get(element.end_lineno, "")
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
    entry = RepeatersDictionary.get(pattern)
    if entry is None:
        return "", "", ""
    return "", entry[2], "Y" if entry[3] == "Retired" else "N"


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


def render_csv(rows: list[dict[str, str]]) -> bytes:
    """The CSV bytes: UTF-8, ``\\n`` line ends, minimal quoting."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def generate(edition: str = TABLE_EDITION) -> bytes:
    """CSV bytes for ``edition``, straight from the installed source module."""
    module = import_source(edition)
    source = Path(module.__file__).read_text(encoding="utf-8")
    entries = parse_source_entries(source)
    _check_against_module(entries, module)
    return render_csv(build_rows(entries))


def summarise(data: bytes) -> str:
    """sha256 and per-action row counts, for SOURCE.md and the constants."""
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    counts = collections.Counter(record["action"] for record in records)
    lines = [f"sha256 {hashlib.sha256(data).hexdigest()}", f"rows {len(records)}"]
    lines += [f"  {action:7} {counts[action]}" for _, action in SOURCE_LISTS]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edition", default=TABLE_EDITION, help="dicomfields_<edition> module (default %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write (default: the packaged table)")
    args = parser.parse_args(argv)
    data = generate(args.edition)
    args.out.write_bytes(data)
    print(f"wrote {args.out}\n{summarise(data)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
