"""The one-call API (issue 13 item 3): ``deidentify(ds, key=...)`` in memory gives, once written, the very
bytes ``phiphantom deid IN OUT --key-file KF`` writes for the same file; a reused :class:`Deidentifier`
gives the same bytes as fresh ones (also from two threads); there is no default key."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pydicom
import pytest
from pydicom.filewriter import dcmwrite
from pydicom.uid import RLELossless

from phiphantom.deid import (
    DeidConfig,
    Deidentifier,
    DeidError,
    DeidKeyError,
    DeidOptions,
    DeidResult,
    FileRejected,
    PixelConfig,
    deidentify,
    deidentify_file,
    encode,
    save,
)
from phiphantom.deid.keys import KEY_ENV
from phiphantom.synth import GenerateConfig, generate

from .helpers import image

KEY_HEX = "5e" * 16 + "a7" * 16
KEY = bytes.fromhex(KEY_HEX)
#: CLI flags and the same settings as API keyword arguments.
SETTINGS = {
    "default": ([], {}),
    "header-only+options": (["--header-only", "--option", "retain_uids", "--option", "retain-device-identity"],
                            {"header_only": True, "options": ["retain_uids", "retain-device-identity"]}),
    "balanced+hard": (["--policy", "balanced", "--hard"], {"policy": "balanced", "hard": True}),
    "rle+all-modalities": (["--recompress", "rle", "--pixels-all-modalities"],
                           {"recompress": "rle", "pixels_all_modalities": True}),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    """Small generated files: grey and RGB single frames, cines, JPEG Baseline (grey and YBR)."""
    out = tmp_path_factory.mktemp("api-ds")
    generate(GenerateConfig(out=out, patients=3, files_per_study=(3, 3), frames=(2, 3), cine_fraction=0.5,
                            jpeg_fraction=0.4, rgb_fraction=0.5, sizes=((320, 240),), difficulty="hard",
                            validate=False, workers=1, seed=13, progress=False))
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    kinds = {(e["frames"] > 1, e["photometric"] != "MONOCHROME2", e["transfer_syntax"]) for e in entries}
    assert any(cine for cine, _, _ in kinds) and any(not cine for cine, _, _ in kinds)
    assert any(colour for _, colour, _ in kinds) and any(ts == "jpeg-baseline" for _, _, ts in kinds)
    return [out / e["relpath"] for e in entries]


def _cli(src: Path, out: Path, flags: list[str], key_file: Path) -> None:
    """``phiphantom deid src out --key-file KF`` as a user runs it (the installed command, its own process)."""
    script = Path(sys.executable).with_name("phiphantom")
    command = [str(script)] if script.exists() else [sys.executable, "-c",
                                                     "from phiphantom.cli.launch import main; main()"]
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    done = subprocess.run(command + ["deid", str(src), str(out), "--key-file", str(key_file), "--workers", "1",
                                     *flags], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def _output_of(out: Path, ds: pydicom.Dataset) -> bytes:
    """The CLI's output for a de-identified data set (pseudonymized layout: its own pseudonyms and UIDs)."""
    parts = [str(ds[k].value) for k in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID")]
    return out.joinpath(*parts, f"{ds.SOPInstanceUID}.dcm").read_bytes()


def _written(ds: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cli_runs(files, tmp_path_factory) -> dict[str, Path]:
    """One ``phiphantom deid`` run per setting over the generated files."""
    root = tmp_path_factory.mktemp("api-cli")
    src = files[0].parents[2]  # dataset/dicom
    key_file = root / "key.txt"
    key_file.write_text(KEY_HEX + "\n")
    runs = {}
    for name, (flags, _) in SETTINGS.items():
        _cli(src, root / name, flags, key_file)
        runs[name] = root / name
    return runs


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_in_memory_deidentify_equals_the_command_line_byte_for_byte(files, cli_runs, setting, tmp_path):
    out = cli_runs[setting]
    assert len(list(out.rglob("*.dcm"))) == len(files)
    syntaxes = set()
    for path in files:
        ds = deidentify(pydicom.dcmread(path), key=KEY, **SETTINGS[setting][1])
        expected = _output_of(out, ds)
        assert _written(ds) == expected, path.name
        assert encode(ds) == expected
        assert save(ds, tmp_path / "one.dcm").read_bytes() == expected
        syntaxes.add(str(ds.file_meta.TransferSyntaxUID))
    assert (RLELossless in syntaxes) == (setting == "rle+all-modalities")


def test_reused_engine_gives_the_bytes_of_fresh_ones_and_of_the_cli(files, cli_runs):
    engine = Deidentifier(key=KEY_HEX)  # a hex string is the same key as its bytes
    for path in files + files:  # the second round reuses everything the first one cached
        result = engine.run(pydicom.dcmread(path))
        assert isinstance(result, DeidResult)
        fresh = Deidentifier(key=KEY).run(pydicom.dcmread(path))
        assert encode(result.dataset) == encode(fresh.dataset) == _output_of(cli_runs["default"], result.dataset)
        assert result.actions and result.actions.get("(0010,0020)")  # PatientID got an action (by path)
        assert result.boxes and all(b.decision.reason for b in result.boxes)
        assert any(b.decision.redact for b in result.boxes)


def test_engine_shared_by_threads_gives_the_same_bytes(files, cli_runs):
    engine = Deidentifier(key=KEY)
    outputs: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def work(indices: list[int]) -> None:
        try:
            for i in indices:
                outputs[i] = encode(engine.run(pydicom.dcmread(files[i])).dataset)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(list(range(k, len(files), 3)),)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and len(outputs) == len(files)
    for i, path in enumerate(files):
        ds = pydicom.dcmread(io.BytesIO(outputs[i]))
        assert outputs[i] == _output_of(cli_runs["default"], ds), path.name


def test_deidentify_file_takes_a_dataset_path_or_bytes_with_the_same_result(files):
    config = DeidConfig(key=KEY, pixels=PixelConfig())
    path = files[0]
    by_path = encode(deidentify_file(path, config).dataset)
    assert encode(deidentify_file(path.read_bytes(), config).dataset) == by_path
    assert encode(deidentify_file(pydicom.dcmread(path), config).dataset) == by_path
    assert encode(Deidentifier(key=KEY).run(str(path)).dataset) == by_path


def test_no_key_is_a_clear_error_there_is_no_default(files, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY_HEX)  # the API never falls back to the environment
    ds = pydicom.dcmread(files[0])
    with pytest.raises(DeidKeyError, match="no de-identification key.*there is no default key"):
        deidentify(ds)
    with pytest.raises(DeidKeyError, match="no de-identification key"):
        Deidentifier()
    with pytest.raises(DeidKeyError, match="too short"):
        Deidentifier(key=b"short")
    with pytest.raises(DeidKeyError, match="hexadecimal"):
        Deidentifier(key="not a hex key, a passphrase")
    with pytest.raises(DeidKeyError, match="not both"):
        Deidentifier(key=KEY, ephemeral=True)
    with pytest.raises(DeidKeyError, match="bytes or a hex string"):
        Deidentifier(key=1234)
    assert ds.PatientName == pydicom.dcmread(files[0]).PatientName  # nothing was touched
    ephemeral = deidentify(pydicom.dcmread(files[0]), ephemeral=True, header_only=True)
    keyed = deidentify(pydicom.dcmread(files[0]), key=KEY, header_only=True)
    assert ephemeral.PatientID != keyed.PatientID and str(ephemeral.PatientIdentityRemoved) == "YES"
    assert "5e5e" not in repr(Deidentifier(key=KEY, header_only=True))  # the key never shows in a repr


def test_bad_settings_are_refused_before_any_file(files):
    with pytest.raises(ValueError, match="policy"):
        Deidentifier(key=KEY, policy="lenient")
    with pytest.raises(ValueError, match="unknown profile option"):
        Deidentifier(key=KEY, options=["retain_everything"])
    with pytest.raises(ValueError, match="needs the option retain_safe_private"):
        Deidentifier(key=KEY, safe_private=[("ACME 1.0", 0x10)])
    with pytest.raises(ValueError, match="recompress"):
        Deidentifier(key=KEY, recompress="zip")
    engine = Deidentifier(key=KEY, header_only=True, options="retain_long_modified_dates",
                          date_shift_range=(-30, -1))
    assert engine.config.options == DeidOptions(frozenset({"retain_long_modified_dates"}), date_shift_range=(-30, -1))


def test_in_memory_datasets_that_are_not_instances_are_refused():
    ds = image("Api^Anna", "API1", 1)
    del ds.SOPInstanceUID
    with pytest.raises(DeidError, match="not a composite instance"):
        deidentify(ds, key=KEY)
    ds = image("Api^Anna", "API1", 2)
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    with pytest.raises(FileRejected, match="DICOMDIR"):
        deidentify(ds, key=KEY)
    ds = image("Api^Anna", "API1", 3)
    out = deidentify(ds, key=KEY, header_only=True)
    assert out is ds and "Api" not in str(out.PatientName) and out.PatientIdentityRemoved == "YES"


def test_a_missing_ocr_backend_fails_when_the_engine_is_built():
    from phiphantom.core.ocr import OCRUnavailable

    with pytest.raises(OCRUnavailable, match="unknown OCR backend"):
        Deidentifier(key=KEY, ocr="no-such-ocr")
    Deidentifier(key=KEY, ocr="no-such-ocr", header_only=True)  # header only: no OCR needed
