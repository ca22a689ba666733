"""The typed data contracts: ground-truth rows (core/ground_truth.py), results.json
(benchmark/results_file.py) and detections (core/detections.py), each written and read back in one place.

Round trips on a real generated dataset (its gt tables read, written again: the same bytes) and on
rows made here; a column that drifts (renamed, missing, unknown) fails the read or the write.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from phiphantom.benchmark.results_file import (
    METRIC_NAMES,
    RESULTS_NAME,
    SCHEMA,
    EngineBlock,
    ResultsDocument,
    ResultsFileError,
    RunSettings,
    read_results,
    read_results_json,
    write_results,
)
from phiphantom.core.detections import (
    DECISIONS,
    DETECTION_COLUMNS,
    Detection,
    DetectionRow,
    DetectionWriter,
    read_detections,
    write_detections,
)
from phiphantom.core.ground_truth import (
    BOX_COLUMNS,
    IDENTITY_COLUMNS,
    TAG_COLUMNS,
    BoxRow,
    ColumnsError,
    IdentityRow,
    TagRow,
    read_rows,
    write_rows,
)
from phiphantom.synth import GenerateConfig, generate

TABLES = [("gt/boxes.csv", BoxRow, BOX_COLUMNS), ("gt/tags.csv", TagRow, TAG_COLUMNS),
          ("gt/identities.csv", IdentityRow, IDENTITY_COLUMNS)]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """Hard difficulty (every tag location kind), PHI in some file names, a cine."""
    out = tmp_path_factory.mktemp("contracts")
    generate(GenerateConfig(out=out, patients=2, files_per_study=(1, 2), frames=(2, 3), cine_fraction=0.5,
                            sizes=((320, 240),), difficulty="hard", phi_filename_fraction=0.5, validate=False,
                            workers=1, seed=3, progress=False))
    return out


@pytest.mark.parametrize("table, row_type, columns", TABLES)
def test_fields_are_the_columns_in_file_order(table, row_type, columns):
    assert tuple(f.name for f in dataclasses.fields(row_type)) == columns == row_type.COLUMNS
    assert row_type.TABLE == table
    assert all(f.type == "str" for f in dataclasses.fields(row_type))


@pytest.mark.parametrize("table, row_type, columns", TABLES)
def test_generated_table_reads_and_writes_back_byte_identical(dataset, tmp_path, table, row_type, columns):
    original = (dataset / table).read_bytes()
    rows = read_rows(dataset / table, row_type)
    assert rows and all(type(r) is row_type for r in rows)
    with (dataset / table).open(encoding="utf-8", newline="") as fh:
        assert [r.to_row() for r in rows] == list(csv.DictReader(fh))
    write_rows(tmp_path / table, row_type, rows)
    assert (tmp_path / table).read_bytes() == original
    assert read_rows(tmp_path / table, row_type) == rows


def test_box_row_typed_values_and_cells(dataset):
    boxes = read_rows(dataset / "gt/boxes.csv", BoxRow)
    box = next(b for b in boxes if b.phi)
    assert box.bbox == (int(box.bbox_x), int(box.bbox_y), int(box.bbox_w), int(box.bbox_h))
    assert box.frames == range(int(box.frame_start), int(box.frame_end)) and len(box.frames) >= 1
    assert box.font_size == int(box.font_px) > 0
    assert box["box_id"] == box.box_id  # read like the csv.DictReader row it replaces
    with pytest.raises(KeyError):
        box["no_such_column"]
    assert box.get("rendered_text") == box.rendered_text and box.get("no_such_column", "-") == "-"
    assert {b.is_phi for b in boxes} == {"0", "1"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        box.bbox_x = "0"  # type: ignore[misc]


def test_values_are_written_as_csv_writes_them(tmp_path):
    values = {c: "" for c in BOX_COLUMNS} | {"bbox_x": 3, "is_phi": 1, "contrast": "0.250", "dicom_tag": None}
    row = BoxRow.from_row(values)
    assert (row.bbox_x, row.is_phi, row.contrast, row.dicom_tag) == ("3", "1", "0.250", "")
    write_rows(tmp_path / "b.csv", BoxRow, [row])
    with (tmp_path / "b.csv").open(encoding="utf-8", newline="") as fh:
        written = list(csv.reader(fh))
    expected = {c: "" for c in BOX_COLUMNS} | {"bbox_x": "3", "is_phi": "1", "contrast": "0.250"}
    assert written == [list(BOX_COLUMNS), [expected[c] for c in BOX_COLUMNS]]


@pytest.mark.parametrize("row_type, columns", [(BoxRow, BOX_COLUMNS), (TagRow, TAG_COLUMNS),
                                               (IdentityRow, IDENTITY_COLUMNS)])
def test_a_column_drift_fails(tmp_path, row_type, columns):
    values = {c: f"v{i}" for i, c in enumerate(columns)}
    with pytest.raises(ColumnsError, match="unknown column"):
        row_type.from_row(values | {"extra": "x"})
    with pytest.raises(ColumnsError, match=columns[-1]):
        row_type.from_row({c: v for c, v in values.items() if c != columns[-1]})
    # a table whose header renamed a column: the strict read fails, naming the column (never a value)
    path = tmp_path / "t.csv"
    renamed = [c if c != columns[1] else columns[1] + "_x" for c in columns]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([renamed, list(values.values())])
    with pytest.raises(ColumnsError, match=f"lacks the column\\(s\\) {columns[1]}$") as info:
        read_rows(path, row_type)
    assert "v1" not in str(info.value)
    # a reader that needs fewer columns still reads it; the absent column is empty
    rows = read_rows(path, row_type, required=(columns[0],))
    assert getattr(rows[0], columns[0]) == "v0" and getattr(rows[0], columns[1]) == ""


def test_a_row_of_another_table_is_refused(tmp_path):
    tag = TagRow.from_row({c: "x" for c in TAG_COLUMNS})
    with pytest.raises(TypeError, match="gt/boxes.csv"):
        write_rows(tmp_path / "b.csv", BoxRow, [tag])  # type: ignore[list-item]


# --------------------------------------------------------------------------- results.json


@pytest.fixture(scope="module")
def bench_results(dataset, tmp_path_factory) -> tuple[Path, dict]:
    """A real bench run (null and oracle engines, no re-OCR) on the contracts dataset."""
    from phiphantom.benchmark.bench import run_bench

    out = tmp_path_factory.mktemp("bench") / "results"
    return out, run_bench(dataset, ["null", "oracle"], out, workers=1, ocr=False, thumbnails=0)


def test_results_json_reads_and_writes_back_byte_identical(bench_results, tmp_path):
    out, returned = bench_results
    path = out / RESULTS_NAME
    document = read_results(path)
    assert [e.name for e in document.engines] == ["null", "oracle"]
    assert document.schema == SCHEMA and isinstance(document.settings, RunSettings)
    assert tuple(document.engines[0].metrics) == METRIC_NAMES
    assert document.engines[1].metrics["box_recall"] == 1.0  # the oracle removes every box
    assert document.to_json() == returned == json.loads(path.read_text(encoding="utf-8"))
    write_results(tmp_path / RESULTS_NAME, document)
    assert (tmp_path / RESULTS_NAME).read_bytes() == path.read_bytes()
    assert ResultsDocument.from_json(document.to_json()) == document


def test_results_drift_fails(bench_results):
    out, returned = bench_results
    data = json.loads((out / RESULTS_NAME).read_text(encoding="utf-8"))
    block = data["engines"][0]
    without = {k: v for k, v in block["metrics"].items() if k != "leaks"}
    with pytest.raises(ResultsFileError, match="lacks leaks"):
        EngineBlock.from_json(block | {"metrics": without})
    with pytest.raises(ResultsFileError, match="unknown extra"):
        EngineBlock.from_json(block | {"counts": block["counts"] | {"extra": 1}})
    with pytest.raises(ResultsFileError, match="unknown note"):
        ResultsDocument.from_json(data | {"note": "x"})
    with pytest.raises(ResultsFileError, match="out of order"):
        ResultsDocument.from_json({"schema": data["schema"], **dict(reversed(list(data.items())))})
    with pytest.raises(ResultsFileError, match="not a phiphantom.bench/4"):
        ResultsDocument.from_json(data | {"schema": "phiphantom.bench/5"})


def test_results_read_errors_say_what_is_wrong(tmp_path):
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ResultsFileError, match="binary, not UTF-8"):
        read_results_json(tmp_path / "bad.json")
    (tmp_path / "half.json").write_text('{"schema": ', encoding="utf-8")
    with pytest.raises(ResultsFileError, match="not valid JSON"):
        read_results_json(tmp_path / "half.json")
    with pytest.raises(ResultsFileError, match="no such results file"):
        read_results_json(tmp_path / "none.json")


def test_the_schema_string_is_defined_once():
    import phiphantom.benchmark as benchmark
    from phiphantom.benchmark import bench, report

    assert benchmark.SCHEMA is bench.SCHEMA is report.SCHEMA is SCHEMA
    package = Path(benchmark.__file__).resolve().parents[1]
    holders = sorted(p.relative_to(package).as_posix() for part in ("core", "synth", "deid", "benchmark", "cli")
                     for p in (package / part).rglob("*.py") if f'"{SCHEMA}"' in p.read_text(encoding="utf-8"))
    assert holders == ["benchmark/results_file.py"]


# --------------------------------------------------------------------------- detections


@pytest.mark.parametrize("include_text", [False, True], ids=["no-text", "include-text"])
def test_deid_detections_csv_is_what_the_writer_writes(dataset, tmp_path, include_text):
    """A real ``phiphantom deid`` run (real OCR): its detections.csv reads back through the contract and is,
    byte for byte, what :func:`write_detections` writes for the rows read (the runner streams through it)."""
    from typer.testing import CliRunner

    from phiphantom.cli.main import app

    out = tmp_path / "deid"
    args = ["deid", str(dataset / "dicom"), str(out), "--ephemeral-key", "--workers", "1"]
    result = CliRunner().invoke(app, args + (["--include-text"] if include_text else []),
                                env={"PHIPHANTOM_DEID_KEY": ""})
    assert result.exit_code == 0, result.output
    rows = read_detections(out / "detections.csv")
    assert rows and all(r.file.startswith("file-") and r.decision in DECISIONS for r in rows)
    assert any(r.text for r in rows) if include_text else all(r.text == "" for r in rows)
    assert any(r.detection.redacted for r in rows)
    assert all(isinstance(r.detection, Detection) and r.x1 > r.x0 and r.frame_end > r.frame_start for r in rows)
    write_detections(tmp_path / "written.csv", rows)
    assert (tmp_path / "written.csv").read_bytes() == (out / "detections.csv").read_bytes()
    assert (out / "detections.csv").read_bytes().startswith((",".join(DETECTION_COLUMNS) + "\r\n").encode())


def test_detection_writer_round_trip_and_quoting(tmp_path):
    """Rows made here (named by ``for_file``, text that needs quoting) write and read back unchanged."""
    unnamed = [DetectionRow("", 0, 1, 2, 3, 40, 50, "redact", "header:PatientName", 'DOE, "J"\nline'),
               DetectionRow("", 2, 5, 0, 0, 9, 9, "keep", "allowlist")]
    rows = [r.for_file("file-0003") for r in unnamed]
    assert [r.file for r in rows] == ["file-0003"] * 2 and rows[0].text == unnamed[0].text
    path = tmp_path / "detections.csv"
    write_detections(path, rows)
    assert read_detections(path) == rows
    assert path.read_bytes() == (",".join(DETECTION_COLUMNS) + "\r\n"
                                 'file-0003,0,1,2,3,40,50,redact,header:PatientName,"DOE, ""J""\nline"\r\n'
                                 "file-0003,2,5,0,0,9,9,keep,allowlist,\r\n").encode()
    assert tuple(f.name for f in dataclasses.fields(DetectionRow)) == DETECTION_COLUMNS


def test_detections_csv_drift_fails(tmp_path):
    path = tmp_path / "detections.csv"
    path.write_text("file,frame_start,frame_end,x0,y0,x1,y1,decision,why,text\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header is not"):
        read_detections(path)
    path.write_text(",".join(DETECTION_COLUMNS) + "\nfile-0001,0,1,2,3,x,5,redact,r,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="x1 is missing or not an integer"):
        read_detections(path)


def test_detection_writer_refuses_what_is_not_a_row(tmp_path):
    """A row of drifted cells (a list, a dict keyed by other columns) is not written: the writer takes rows only."""
    with (tmp_path / "detections.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = DetectionWriter(fh)
        writer.write_header()
        for drifted in (["file-0001", 0, 1, 2, 3, 4, 5, "redact", "r", ""],
                        dict(zip(DETECTION_COLUMNS[:-1] + ("why",), ["file-0001", *range(6), "redact", "r", ""],
                                 strict=True))):
            with pytest.raises(TypeError, match="written to detections.csv"):
                writer.write(drifted)  # type: ignore[arg-type]
    assert (tmp_path / "detections.csv").read_bytes() == (",".join(DETECTION_COLUMNS) + "\r\n").encode()
