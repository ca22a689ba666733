"""Issue 16: the CRNN line recognizer trained for real on a tiny generated set (one thread, well under a
minute), its model folder, its backend (batched and single reads agree), and the two commands."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from phiphantom.cli.main import app
from phiphantom.core.crnn_model import INSTALL_HINT, require_torch
from phiphantom.core.ocr import OCRUnavailable
from phiphantom.deid.pixels.line_crops import LineCrop, dataset_crops
from phiphantom.deid.pixels.recognizer_training import TrainSettings, held_back_files, train
from phiphantom.synth import generate
from tests.helpers import small_config

HELD_OUT_PACKS = ("msk-smallparts-m", "value-console-n", "intraop-surgical-o", "shear-wave-p")


def _flat(output: str) -> str:
    """The command's message with the console's line wrapping undone."""
    return " ".join(output.split())


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _crops(folder: Path) -> list[LineCrop]:
    return [crop for file_crops, _ in dataset_crops(folder) for crop in file_crops]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    torch = pytest.importorskip("torch", reason="the recognizer needs the extra phiphantom[recognizer] (torch)")
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("recognizer")
    data = root / "train"
    generate(small_config(data, patients=30, files_per_study=(3, 3), cine_fraction=0.0, seed=1602, progress=False,
                          styles=("all",), exclude_styles=HELD_OUT_PACKS))
    crops = _crops(data)
    started = time.perf_counter()
    report = train(crops, root / "model", TrainSettings(epochs=8, seed=3, held_back=0.1))
    assert time.perf_counter() - started < 120  # hang guard: about 30 s on one thread
    return root / "model", report, data


def test_short_training_reads_held_back_lines_well_above_chance(trained: tuple[Path, dict, Path]) -> None:
    model, report, _ = trained
    graphs = ["columns.onnx", "read.onnx"] if _has("onnx") else []  # written when the onnx package is installed
    assert sorted(p.name for p in model.iterdir()) == sorted(["charset.json", "config.json", "training.json",
                                                              "weights.pt", *graphs])
    assert report["onnx_graphs"] == graphs
    assert report["train_lines"] >= 1000 and report["held_back_lines"] >= 50
    held = report["held_back"]
    # chance is about 0 (hundreds of classes); six epochs on ~1.5k lines get well past half of the characters
    assert held["char_accuracy"] > 0.4, held
    assert json.loads((model / "training.json").read_text(encoding="utf-8"))["held_back"] == held


def test_backend_batched_and_single_reads_agree(trained: tuple[Path, dict, Path]) -> None:
    from phiphantom.core.ocr_crnn import CRNNBackend

    model, _, data = trained
    backend = CRNNBackend(model, batch_lines=16)
    images = [c.image for c in _crops(data)[:40]]
    batched = backend.read_lines(images)
    single = [backend.read_line(image) for image in images]
    assert [r.text for r in batched] == [r.text for r in single]
    assert np.allclose([r.confidence for r in batched], [r.confidence for r in single], atol=0.01)
    assert any(r.text for r in batched) and all(0.0 <= r.confidence <= 100.0 for r in batched)
    rgb = np.repeat(images[0][:, :, None], 3, axis=2)
    assert backend.read_line(rgb).text == single[0].text  # (h, w, 3) crops are read as grey
    assert backend.read_lines([]) == []


def test_inference_network_computes_what_the_trained_one_does(trained: tuple[Path, dict, Path]) -> None:
    """The backend's network has its batch norms folded into the convolutions and runs channels-last: the
    same log-probabilities to float rounding, and the same reads, as the network as trained."""
    import torch

    from phiphantom.core.crnn_model import batch_tensor, for_inference, line_array, load_model

    model, _, data = trained
    as_trained, config, _ = load_model(model)
    folded = for_inference(load_model(model)[0])
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.features)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in as_trained.features) == 4
    batch, steps = batch_tensor([line_array(c.image, config) for c in _crops(data)[:24]])
    with torch.inference_mode():
        want, got = as_trained(batch, steps), folded(batch, steps)
    assert want.shape == got.shape
    assert float((want - got).abs().max()) < 1e-3
    assert torch.equal(want.argmax(-1), got.argmax(-1))


def test_backend_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the recognizer needs the extra phiphantom[recognizer] (torch)")
    from phiphantom.core.ocr_crnn import CRNNBackend

    with pytest.raises(OCRUnavailable, match="not a recognizer model folder"):
        CRNNBackend(tmp_path)


def test_eval_command_measures_model_and_tesseract(trained: tuple[Path, dict, Path], tmp_path: Path) -> None:
    model, _, data = trained
    result = CliRunner().invoke(app, ["recognizer", "eval", str(data), "--model", str(model), "--json",
                                      str(tmp_path / "eval.json")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert doc["lines"] >= 1000 and doc["model_batched_equals_single"] == doc["lines"]
    assert doc["runtime"] == ("onnxruntime" if _has("onnx") and _has("onnxruntime") else "torch")
    assert doc["model"]["ms_per_line"] > 0 and doc["tesseract"]["ms_per_line"] > 0
    assert doc["tesseract"]["line_accuracy"] > 0.5  # the same crops Tesseract reads in the engine
    assert set(doc["model"]["by"]["phi"]) == {"clinical", "phi"}
    # no label text in the document: only counts and scores
    labels = {c.text for c in _crops(data) if len(c.text) > 6}
    text = json.dumps(doc)
    assert not any(f'"{label}"' in text for label in labels)


def test_train_command_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["recognizer", "train", str(tmp_path / "nodata"), "--out", str(out)])
    assert result.exit_code == 2 and "not an empty folder" in _flat(result.output)
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and (out / "keep.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x", encoding="utf-8")
    on_file = CliRunner().invoke(app, ["recognizer", "train", str(tmp_path), "--out", str(tmp_path / "file")])
    assert on_file.exit_code == 2


@pytest.mark.parametrize("channels", ["16,32,64", "16,32,x,64", "16,32,64,0", ""])
def test_train_command_refuses_a_network_shape_it_cannot_build(tmp_path: Path, channels: str) -> None:
    result = CliRunner().invoke(app, ["recognizer", "train", str(tmp_path), "--out", str(tmp_path / "m"),
                                      "--channels", channels])
    assert result.exit_code == 2 and "four whole numbers" in _flat(result.output)
    assert not (tmp_path / "m").exists()  # refused before any work


def test_a_smaller_network_is_trained_and_read_with_its_shape(tmp_path: Path) -> None:
    """``--channels`` / ``--hidden`` reach the model folder's config.json, and the backend builds that shape."""
    pytest.importorskip("torch", reason="the recognizer needs the extra phiphantom[recognizer] (torch)")
    from phiphantom.core.crnn_model import CRNNConfig, load_model

    data = tmp_path / "train"
    generate(small_config(data, patients=3, files_per_study=(1, 1), cine_fraction=0.0, seed=1603, progress=False))
    out = tmp_path / "small"
    result = CliRunner().invoke(app, ["recognizer", "train", str(data), "--out", str(out), "--epochs", "1",
                                      "--channels", "4,8,8,8", "--hidden", "16", "--held-back", "0"])
    assert result.exit_code == 0, result.output
    network, config, _ = load_model(out)
    assert config == CRNNConfig(channels=(4, 8, 8, 8), hidden=16)
    assert network.rnn.hidden_size == 16 and network.features[0].out_channels == 4


def test_train_command_refuses_a_folder_that_is_not_a_dataset(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["recognizer", "train", str(tmp_path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "not a generated dataset" in _flat(result.output)
    assert not (tmp_path / "m").exists()


def test_missing_torch_is_one_line_naming_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(OCRUnavailable) as caught:
        require_torch()
    assert str(caught.value) == INSTALL_HINT and "phiphantom[recognizer]" in INSTALL_HINT
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "boxes.csv").write_text("x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["recognizer", "train", str(tmp_path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {INSTALL_HINT}"]


def test_held_back_files_are_seeded_and_whole() -> None:
    files = [f"f{i}.dcm" for i in range(40)]
    held = held_back_files(files, 0.1, seed=5)
    assert len(held) == 4 and held == held_back_files(list(reversed(files)), 0.1, seed=5)
    assert held != held_back_files(files, 0.1, seed=6)
    assert held_back_files(["one.dcm"], 0.5, seed=1) == set()


def test_training_is_deterministic_for_a_seed_on_one_thread(trained: tuple[Path, dict, Path], tmp_path: Path) -> None:
    _, _, data = trained
    crops = _crops(data)[:300]
    for name in ("a", "b"):
        train(crops, tmp_path / name, TrainSettings(epochs=1, seed=11, held_back=0.1))
    assert (tmp_path / "a" / "weights.pt").read_bytes() == (tmp_path / "b" / "weights.pt").read_bytes()
    assert (tmp_path / "a" / "charset.json").read_bytes() == (tmp_path / "b" / "charset.json").read_bytes()


def test_eval_command_refuses_a_folder_that_is_not_a_model(trained: tuple[Path, dict, Path], tmp_path: Path) -> None:
    _, _, data = trained
    result = CliRunner().invoke(app, ["recognizer", "eval", str(data), "--model", str(tmp_path)])
    assert result.exit_code == 2 and "not a recognizer model folder" in _flat(result.output)
    assert "lines of" not in result.output  # refused before the dataset is read


def test_the_engine_reads_a_still_with_the_recognizer_in_one_batch(trained: tuple[Path, dict, Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``ocr="crnn:DIR"`` (``phiphantom deid --ocr crnn:DIR``): the engine's lines of a still are read by the
    model folder's recognizer, all the lines the detector found in one ``read_lines`` call (the cache then
    answers each line's read), and the file is de-identified: every line still gets a decision."""
    import pydicom

    from phiphantom.core.ocr_crnn import CRNNBackend
    from phiphantom.deid import Deidentifier

    model, _, data = trained
    calls: list[int] = []
    real = CRNNBackend.read_lines

    def counted(self: CRNNBackend, images):  # the real reads, counted
        calls.append(len(images))
        return real(self, images)

    monkeypatch.setattr(CRNNBackend, "read_lines", counted)
    still = sorted((data / "dicom").rglob("*.dcm"))[0]
    result = Deidentifier(ephemeral=True, ocr=f"crnn:{model}").run(pydicom.dcmread(still))
    assert result.pixels is not None and result.boxes
    assert calls and calls[0] >= 10  # the first call holds every line of the frame (a still has ~30)
    assert sum(calls) <= 2 * calls[0] + len(result.boxes)  # later calls: the verification's re-reads only
    assert any(b.decision.redact for b in result.boxes) and any(not b.decision.redact for b in result.boxes)


def test_crnn_needs_its_model_folder() -> None:
    from phiphantom.core.ocr import get_backend

    with pytest.raises(OCRUnavailable, match="model folder"):
        get_backend("crnn:")


def test_width_batches_keep_similar_widths_together() -> None:
    from phiphantom.core.ocr_crnn import width_batches

    widths = [300, 20, 25, 100, 29, 31, 140, 160, 450]
    batches = width_batches(widths, batch_lines=3, spread=1.5)
    assert sorted(i for b in batches for i in b) == list(range(len(widths)))  # every line once
    assert [[widths[i] for i in b] for b in batches] == [[20, 25, 29], [31], [100, 140], [160], [300, 450]]
    assert width_batches([], 4, 1.5) == []
    assert width_batches(widths, batch_lines=64, spread=100.0) == [sorted(range(9), key=lambda i: widths[i])]


def _needs_onnx() -> None:
    pytest.importorskip("onnx", reason="writing the ONNX graphs needs the onnx package (phiphantom[recognizer])")
    pytest.importorskip("onnxruntime", reason="reading them needs onnxruntime (phiphantom[recognizer-runtime])")


def test_onnx_graphs_compute_what_torch_computes(trained: tuple[Path, dict, Path]) -> None:
    """The hand-built ONNX graphs (convolutions; GRU over each line's own steps and the output layer) give
    torch's log-probabilities to float rounding on lines of many widths read in one call, and the same
    reads: a gate order or a padding step wrong would change them."""
    _needs_onnx()
    from phiphantom.core.crnn_model import TorchReader, batch_array, line_array, load_config
    from phiphantom.core.crnn_onnx import OnnxReader
    from phiphantom.core.ocr_crnn import CRNNBackend

    model, _, data = trained
    config, _ = load_config(model)
    crops = _crops(data)[:120]
    lines = [line_array(c.image, config) for c in crops[:20]]
    batch, steps = batch_array(lines, 32)
    torch_reader, onnx_reader = TorchReader(model), OnnxReader(model)
    want, got = torch_reader.columns(batch), onnx_reader.columns(batch)
    assert want.shape == got.shape and float(np.abs(want - got).max()) < 1e-3
    sequences = [want[:n, i] for i, n in enumerate(steps)]
    assert len(set(steps)) > 5  # lines of many lengths in one GRU call
    for w, g in zip(torch_reader.log_probs(sequences), onnx_reader.log_probs(sequences), strict=True):
        assert w.shape == g.shape and float(np.abs(w - g).max()) < 1e-3
    images = [c.image for c in crops]
    by_torch = CRNNBackend(model, runtime="torch").read_lines(images)
    by_onnx = CRNNBackend(model, runtime="onnxruntime").read_lines(images)
    assert [r.text for r in by_onnx] == [r.text for r in by_torch]
    assert np.allclose([r.confidence for r in by_onnx], [r.confidence for r in by_torch], atol=0.05)


def test_a_batch_as_wide_as_the_convolutions_reach_gives_a_line_what_it_gets_alone(
        trained: tuple[Path, dict, Path]) -> None:
    """Batches are padded only to the columns a line's steps read (CONV_REACH past its last step): there its
    columns are bit for bit what a much wider batch gives it, and one column less changes its last step (the
    batch's zero padding comes within reach), so the margin is neither too small nor a guess."""
    _needs_onnx()
    from phiphantom.core.crnn_model import CONV_REACH, WIDTH_STRIDE, line_array, load_config
    from phiphantom.core.crnn_onnx import OnnxReader

    model, _, data = trained
    config, _ = load_config(model)
    reader = OnnxReader(model)
    lines = [line_array(c.image, config) for c in _crops(data)[:40:4]]
    assert len({line.shape[1] % WIDTH_STRIDE for line in lines}) > 1  # lines ending at several phases

    def columns(line: np.ndarray, width: int) -> np.ndarray:
        batch = np.ones((1, 1, config.height, width), np.float32)
        batch[0, 0, :, :line.shape[1]] = line
        return reader.columns(batch)[:line.shape[1] // WIDTH_STRIDE, 0]

    for line in lines:
        reach = WIDTH_STRIDE * (line.shape[1] // WIDTH_STRIDE) + CONV_REACH
        alone = columns(line, line.shape[1] + 200)
        assert np.array_equal(columns(line, reach), alone)
        assert float(np.abs(columns(line, reach - 1)[-1] - alone[-1]).max()) > 1e-4


def test_onnx_runtime_reads_without_torch(trained: tuple[Path, dict, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """With torch not importable, ``auto`` reads through ONNX Runtime (the engine too), and asking for torch
    is the one-line error naming the extra."""
    _needs_onnx()
    import pydicom

    from phiphantom.core.ocr_crnn import CRNNBackend
    from phiphantom.deid import Deidentifier

    model, _, data = trained
    images = [c.image for c in _crops(data)[:30]]
    want = [r.text for r in CRNNBackend(model, runtime="torch").read_lines(images)]
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    backend = CRNNBackend(model)
    assert backend.runtime == "onnxruntime"
    assert [r.text for r in backend.read_lines(images)] == want
    with pytest.raises(OCRUnavailable, match=r"phiphantom\[recognizer\]"):
        CRNNBackend(model, runtime="torch")
    still = sorted((data / "dicom").rglob("*.dcm"))[0]
    result = Deidentifier(ephemeral=True, ocr=f"crnn:{model}").run(pydicom.dcmread(still))
    assert result.boxes and any(b.decision.redact for b in result.boxes)


def test_export_command_adds_the_graphs_to_an_older_folder(trained: tuple[Path, dict, Path], tmp_path: Path) -> None:
    _needs_onnx()
    from phiphantom.core.ocr_crnn import CRNNBackend

    model, _, data = trained
    older = tmp_path / "older"
    shutil.copytree(model, older, ignore=shutil.ignore_patterns("*.onnx"))
    assert CRNNBackend(older).runtime == "torch"  # auto: no graphs, so torch
    with pytest.raises(OCRUnavailable, match="recognizer export"):
        CRNNBackend(older, runtime="onnxruntime")
    result = CliRunner().invoke(app, ["recognizer", "export", str(older)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in older.glob("*.onnx")) == ["columns.onnx", "read.onnx"]
    assert not list(older.glob("*.partial"))
    images = [c.image for c in _crops(data)[:30]]
    assert ([r.text for r in CRNNBackend(older).read_lines(images)]
            == [r.text for r in CRNNBackend(model, runtime="torch").read_lines(images)])
    before = (older / "read.onnx").stat().st_mtime_ns
    again = CliRunner().invoke(app, ["recognizer", "export", str(older)])
    assert again.exit_code == 2 and "--force" in _flat(again.output)
    assert (older / "read.onnx").stat().st_mtime_ns == before  # not replaced
    assert CliRunner().invoke(app, ["recognizer", "export", str(older), "--force"]).exit_code == 0
    missing = CliRunner().invoke(app, ["recognizer", "export", str(tmp_path)])
    assert missing.exit_code == 2 and "not a recognizer model folder" in _flat(missing.output)


def test_unknown_runtime_is_refused(tmp_path: Path) -> None:
    from phiphantom.core.ocr_crnn import CRNNBackend

    with pytest.raises(ValueError, match="unknown recognizer runtime"):
        CRNNBackend(tmp_path, runtime="tensorflow")


def test_deid_batch_reads_with_onnx_runtime_in_forked_workers(trained: tuple[Path, dict, Path], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``phiphantom deid --ocr crnn:DIR --workers 2``: the sessions are made before the workers fork
    (OMP_NUM_THREADS unset: one thread each); every file is de-identified and verified."""
    _needs_onnx()
    model, _, data = trained
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    files = sorted((data / "dicom").rglob("*.dcm"))[:12]
    inputs = tmp_path / "in"
    for i, path in enumerate(files):
        (inputs / f"{i:02d}").mkdir(parents=True)
        shutil.copy(path, inputs / f"{i:02d}" / path.name)
    result = CliRunner().invoke(app, ["deid", str(inputs), str(tmp_path / "out"), "--ephemeral-key", "--workers", "2",
                                      "--ocr", f"crnn:{model}"])
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    assert f"{len(files)} found: {len(files)} ok, 0 failed" in text, text
    assert f"re-OCR verified in {len(files)} of {len(files)} ok files" in text, text


@pytest.mark.parametrize(("value", "threads"), [(None, 1), ("3", 3), ("0", 1), ("many", 1)])
def test_onnx_runtime_threads_follow_omp_num_threads_else_one(value, threads, monkeypatch: pytest.MonkeyPatch) -> None:
    from phiphantom.core.crnn_onnx import session_threads

    if value is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert session_threads() == threads
