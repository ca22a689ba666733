"""The ground-truth tables of a dataset: ``gt/boxes.csv``, ``gt/tags.csv`` and ``gt/identities.csv``.

One frozen dataclass per table row (:class:`BoxRow`, :class:`TagRow`, :class:`IdentityRow`), its
columns in file order (``BOX_COLUMNS``, ``TAG_COLUMNS``, ``IDENTITY_COLUMNS``: a row's fields, in
that order), and the one writer (:func:`write_rows`, :class:`RowWriter` for streaming) and the one
reader (:func:`read_rows`, on :func:`read_table`) of the three files. ``synth`` writes them and
``benchmark`` (and ``synth``'s OCR check) reads them through this module, so the columns cannot drift
apart. It lives in ``core`` because both sides use it.

A field holds the cell as the CSV holds it (text: the files are the contract, and a benchmark must
report a damaged cell, not fail to parse it); the typed values are properties (``BoxRow.bbox``,
``BoxRow.phi``, ``BoxRow.frames``...). A row is also read like the ``csv.DictReader`` row it
replaces: ``row["bbox_x"]`` is the cell of that column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, ClassVar, TypeVar

#: The generator's built-in style pack (its own look; ``synth.styles`` re-exports it), and the style of a
#: row or file written before style packs existed (no ``style`` cell).
DEFAULT_PACK = "classic"

BOX_COLUMNS = (
    # the article's columns
    "case_uuid", "sop_instance_uid", "source_id", "source_relpath", "output_dicom_relpath", "image_h", "image_w",
    "region", "phi_category", "phi_value", "rendered_text", "bbox_x", "bbox_y", "bbox_w", "bbox_h", "dicom_tag",
    "seed", "pipeline_version", "run_id",
    # ours
    "frame_start", "frame_end", "is_phi", "font", "font_px", "colour", "contrast", "layout",
    "box_id", "antialias", "plate", "over_image", "mask_relpath",
    # style packs (issue 14): appended, so older readers' column positions hold
    "style", "style_version", "kind",
)
TAG_COLUMNS = (
    "file", "sop_instance_uid", "tag_path", "keyword", "vr", "location_kind", "category", "injected_value",
    "match", "expected_action", "leaf_action",
    # style packs (issue 14)
    "style", "style_version",
)
IDENTITY_COLUMNS = (
    "patient_key", "deid_id", "locale", "patient_name", "family_name", "given_name", "middle_name",
    "sex", "birth_date", "mrn", "mrn_format", "issuer_of_patient_id", "other_patient_ids", "address", "phone",
    "referring_physician", "performing_physician", "operator", "institution_name", "institution_address",
    "department", "station_name", "device_serial_number", "study_dates", "study_times", "accession_numbers",
    "study_ids", "study_uids", "series_uids",
)

RowT = TypeVar("RowT", bound="GroundTruthRow")


class ColumnsError(ValueError):
    """A row or table whose columns are not its contract's (names the columns, never a value)."""


def cell(value: object) -> str:
    """``value`` as ``csv.writer`` writes it: ``None`` is empty, anything else ``str()`` (a float's repr)."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class GroundTruthRow:
    """Base of the row dataclasses: conversion from and to the ``dict`` rows of ``csv``."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()
    TABLE: ClassVar[str] = ""

    @classmethod
    def from_row(cls: type[RowT], row: Mapping[str, object], *, lenient: bool = False) -> RowT:
        """The row of ``row`` (column -> value; values written as :func:`cell` writes them).

        Strict (the writers): ``row`` has exactly the columns. ``lenient`` (the readers, after
        :func:`read_rows` checked the header): absent or short cells are empty, other keys ignored.
        """
        if not lenient:
            missing = [c for c in cls.COLUMNS if c not in row]
            extra = [str(k) for k in row if k not in cls.COLUMNS]
            if missing or extra:
                raise ColumnsError(f"a {cls.TABLE} row lacks the column(s) {', '.join(missing) or '-'} "
                                   f"and has the unknown column(s) {', '.join(extra) or '-'}")
        return cls(*(cell(row.get(c)) for c in cls.COLUMNS))

    def to_row(self) -> dict[str, str]:
        """Column -> cell, in file order (what :class:`csv.DictWriter` writes)."""
        return {c: getattr(self, c) for c in self.COLUMNS}

    def __getitem__(self, column: str) -> str:
        """The cell of ``column`` (rows read like the ``csv.DictReader`` rows they replace)."""
        if column not in self.COLUMNS:
            raise KeyError(column)
        value: str = getattr(self, column)
        return value

    def get(self, column: str, default: str | None = None) -> str | None:
        """The cell of ``column``, ``default`` for a column the table does not have (as ``dict.get``)."""
        return getattr(self, column) if column in self.COLUMNS else default


@dataclass(frozen=True)
class BoxRow(GroundTruthRow):
    """One burned-in text box: a row of ``gt/boxes.csv`` (``docs/dataset-format.md`` explains each column)."""

    COLUMNS: ClassVar[tuple[str, ...]] = BOX_COLUMNS
    TABLE: ClassVar[str] = "gt/boxes.csv"

    case_uuid: str
    sop_instance_uid: str
    source_id: str
    source_relpath: str
    output_dicom_relpath: str
    image_h: str
    image_w: str
    region: str
    phi_category: str
    phi_value: str
    rendered_text: str
    bbox_x: str
    bbox_y: str
    bbox_w: str
    bbox_h: str
    dicom_tag: str
    seed: str
    pipeline_version: str
    run_id: str
    frame_start: str
    frame_end: str
    is_phi: str
    font: str
    font_px: str
    colour: str
    contrast: str
    layout: str
    box_id: str
    antialias: str
    plate: str
    over_image: str
    mask_relpath: str
    style: str          # the style pack the file was drawn from (DEFAULT_PACK: the built-in generator)
    style_version: str  # that pack's version
    kind: str           # text | graphic (a non-text graphic: bar, scale, marker...; never PHI)

    @property
    def phi(self) -> bool:
        """Whether the box holds PHI (``is_phi`` is ``1``)."""
        return self.is_phi == "1"

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` in pixels."""
        return int(self.bbox_x), int(self.bbox_y), int(self.bbox_w), int(self.bbox_h)

    @property
    def frames(self) -> range:
        """The frames the box is burned into: ``range(frame_start, frame_end)``."""
        return range(int(self.frame_start), int(self.frame_end))

    @property
    def font_size(self) -> int:
        """``font_px`` as a number."""
        return int(self.font_px)

    @property
    def graphic(self) -> bool:
        """Whether the box is a non-text graphic (``kind`` is ``graphic``), not text."""
        return self.kind == "graphic"


@dataclass(frozen=True)
class TagRow(GroundTruthRow):
    """One PHI value written into a header (or the file name): a row of ``gt/tags.csv``."""

    COLUMNS: ClassVar[tuple[str, ...]] = TAG_COLUMNS
    TABLE: ClassVar[str] = "gt/tags.csv"

    file: str
    sop_instance_uid: str
    tag_path: str
    keyword: str
    vr: str
    location_kind: str
    category: str
    injected_value: str
    match: str            # exact | contains | rendered
    expected_action: str  # outermost action along the path (what the profile does to this value)
    leaf_action: str      # the attribute's own action
    style: str = ""          # the style pack of the file (filled when the file's rows are made)
    style_version: str = ""  # that pack's version


@dataclass(frozen=True)
class IdentityRow(GroundTruthRow):
    """One synthetic patient: a row of ``gt/identities.csv`` (lists joined with ``;``)."""

    COLUMNS: ClassVar[tuple[str, ...]] = IDENTITY_COLUMNS
    TABLE: ClassVar[str] = "gt/identities.csv"

    patient_key: str
    deid_id: str
    locale: str
    patient_name: str
    family_name: str
    given_name: str
    middle_name: str
    sex: str
    birth_date: str
    mrn: str
    mrn_format: str
    issuer_of_patient_id: str
    other_patient_ids: str
    address: str
    phone: str
    referring_physician: str
    performing_physician: str
    operator: str
    institution_name: str
    institution_address: str
    department: str
    station_name: str
    device_serial_number: str
    study_dates: str
    study_times: str
    accession_numbers: str
    study_ids: str
    study_uids: str
    series_uids: str


# --------------------------------------------------------------------------- the one writer


class RowWriter:
    """Rows of one table streamed to an open text file (UTF-8, ``\\n`` line ends, a header first)."""

    def __init__(self, fh: IO[str], row_type: type[GroundTruthRow]) -> None:
        self.row_type = row_type
        self._writer = csv.DictWriter(fh, fieldnames=list(row_type.COLUMNS), lineterminator="\n",
                                      extrasaction="raise")

    def write_header(self) -> None:
        self._writer.writeheader()

    def write(self, row: GroundTruthRow) -> None:
        if type(row) is not self.row_type:
            raise TypeError(f"a {type(row).__name__} written to {self.row_type.TABLE}")
        self._writer.writerow(row.to_row())


def write_rows(path: Path, row_type: type[RowT], rows: Iterable[RowT]) -> None:
    """The table ``path`` of ``rows`` (all of ``row_type``), header first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = RowWriter(fh, row_type)
        writer.write_header()
        for row in rows:
            writer.write(row)


# --------------------------------------------------------------------------- the one reader


def read_table(path: Path) -> tuple[list[str], list[dict[str, str | None]]]:
    """The header and the rows of the CSV at ``path``, cells as text.

    The rows of :class:`csv.DictReader`: a short row's missing cells are ``None`` (a damaged
    table is for the caller to report). Raises what opening and decoding raise
    (``OSError``, ``UnicodeDecodeError``, ``csv.Error``).
    """
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows: list[dict[str, str | None]] = list(reader)
        header = list(reader.fieldnames or [])
    return header, rows


def missing_columns(header: Iterable[str], required: Iterable[str]) -> list[str]:
    """The columns of ``required`` that ``header`` lacks, in ``required``'s order."""
    present = set(header)
    return [c for c in required if c not in present]


def rows_of(row_type: type[RowT], rows: Iterable[Mapping[str, object]]) -> Iterator[RowT]:
    """Rows read by :func:`read_table` as ``row_type`` (cells a short row lacks are empty)."""
    return (row_type.from_row(r, lenient=True) for r in rows)


def read_rows(path: Path, row_type: type[RowT], required: Iterable[str] | None = None) -> list[RowT]:
    """The rows of the table at ``path``; :class:`ColumnsError` unless its header has ``required``.

    ``required`` defaults to every column of ``row_type`` (the generator's own tables); readers
    that use a few columns pass those, so older tables still load.
    """
    header, rows = read_table(path)
    missing = missing_columns(header, row_type.COLUMNS if required is None else required)
    if missing:
        raise ColumnsError(f"{row_type.TABLE} lacks the column(s) {', '.join(missing)}")
    return list(rows_of(row_type, rows))


__all__ = [
    "BOX_COLUMNS", "IDENTITY_COLUMNS", "TAG_COLUMNS", "BoxRow", "ColumnsError", "GroundTruthRow", "IdentityRow",
    "RowWriter", "TagRow", "cell", "missing_columns", "read_rows", "read_table", "rows_of", "write_rows",
]
