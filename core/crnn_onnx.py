"""The CRNN line recognizer (:mod:`.crnn_model`) run by ONNX Runtime instead of torch.

A model folder may also hold the network as two ONNX graphs, written by ``phiphantom recognizer train``
(and ``phiphantom recognizer export`` for an older folder): ``columns.onnx``, the convolutions with their
batch norms folded in ((N, 1, height, W) lines -> (W/4, N, features) columns), and ``read.onnx``, the
bidirectional GRU over each line's own steps (ONNX's ``sequence_lens``, which is what torch's packed
sequences compute) and the output layer with its log-softmax ((T, N, features) columns and (N,) steps ->
(T, N, classes)). Reading then needs only ``onnxruntime`` (the extra ``phiphantom[recognizer-runtime]``,
about 50 MB resident and 0.1 s to import, against torch's 650 MB and 1.5 s); writing the graphs needs torch
and ``onnx`` (``phiphantom[recognizer]``).

The graphs are built node by node from the folded network's weights (:func:`.crnn_model.for_inference`),
not traced, so they hold exactly the layers :func:`.crnn_model.build_network` makes. torch's GRU gates
are ordered (reset, update, new) and ONNX's (update, reset, hidden); torch applies the reset gate after
the recurrent product, which is ONNX's ``linear_before_reset=1``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .crnn_model import CRNNConfig, check_model_folder, for_inference, load_model, require_torch, width_batches
from .ocr import OCRUnavailable

COLUMNS_FILE = "columns.onnx"
READ_FILE = "read.onnx"
ONNX_FILES = (COLUMNS_FILE, READ_FILE)
RUNTIME_HINT = "reading with ONNX Runtime needs onnxruntime: pip install 'phiphantom[recognizer-runtime]'"
EXPORT_HINT = "writing the ONNX graphs needs torch and onnx: pip install 'phiphantom[recognizer]'"
OPSET = 17
#: ONNX Runtime reads lines whose lengths differ by at most this factor in one GRU call (see OnnxReader.log_probs)
GRU_SPREAD = 1.3


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def missing_graphs(folder: Path) -> list[str]:
    """The graph files ``folder`` lacks (none: both are there)."""
    return [name for name in ONNX_FILES if not (folder / name).is_file()]


def has_graphs(folder: Path) -> bool:
    return not missing_graphs(folder)


def check_graphs(folder: Path) -> None:
    """:class:`OCRUnavailable`, naming the command that writes them, unless ``folder`` holds both graphs."""
    missing = missing_graphs(folder)
    if missing:
        raise OCRUnavailable(f"{folder} has no ONNX graphs (missing {', '.join(missing)}); write them with "
                             f"phiphantom recognizer export {folder}")


def _gru_gates(matrix: np.ndarray, hidden: int) -> np.ndarray:
    """torch's (reset, update, new) blocks along the first axis in ONNX's order (update, reset, hidden)."""
    reset, update, new = matrix[:hidden], matrix[hidden:2 * hidden], matrix[2 * hidden:]
    return np.concatenate([update, reset, new])


def graphs(network: Any, config: CRNNConfig, classes: int) -> tuple[Any, Any]:
    """The two ONNX models (``onnx.ModelProto``) of an inference network (:func:`.crnn_model.for_inference`)."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise OCRUnavailable(EXPORT_HINT) from None
    nn = require_torch().nn
    weights: list[Any] = []

    def constant(name: str, value: Any) -> str:
        array = value.detach().numpy() if hasattr(value, "detach") else value
        weights.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=array.dtype), name))
        return name

    nodes: list[Any] = []
    x = "lines"
    for k, layer in enumerate(network.features):
        out = f"features{k}"
        if isinstance(layer, nn.Conv2d):
            if layer.bias is None:
                raise ValueError("export needs the folded network (for_inference): a convolution has no bias")
            nodes.append(helper.make_node("Conv", [x, constant(f"conv{k}.weight", layer.weight),
                                                   constant(f"conv{k}.bias", layer.bias)], [out],
                                          kernel_shape=list(layer.kernel_size), pads=[*layer.padding, *layer.padding]))
        elif isinstance(layer, nn.ReLU):
            nodes.append(helper.make_node("Relu", [x], [out]))
        elif isinstance(layer, nn.MaxPool2d):
            def pair(v: Any) -> list[int]:
                return list(v) if isinstance(v, tuple) else [v, v]
            nodes.append(helper.make_node("MaxPool", [x], [out], kernel_shape=pair(layer.kernel_size),
                                          strides=pair(layer.stride)))
        else:
            raise ValueError(f"export does not know the layer {type(layer).__name__}")
        x = out
    features = config.channels[-1] * (config.height // 8)
    flat_shape = constant("flat_shape", np.array([0, features, -1], np.int64))
    nodes.append(helper.make_node("Reshape", [x, flat_shape], ["flat"]))
    nodes.append(helper.make_node("Transpose", ["flat"], ["columns"], perm=[2, 0, 1]))
    columns = helper.make_model(helper.make_graph(
        nodes, "crnn_columns",
        [helper.make_tensor_value_info("lines", TensorProto.FLOAT, ["N", 1, config.height, "W"])],
        [helper.make_tensor_value_info("columns", TensorProto.FLOAT, ["T", "N", features])], weights),
        opset_imports=[helper.make_opsetid("", OPSET)])

    weights = []
    hidden, rnn = config.hidden, network.rnn

    def gates(name: str) -> np.ndarray:
        return _gru_gates(getattr(rnn, name).detach().numpy(), hidden)

    constant("W", np.stack([gates("weight_ih_l0"), gates("weight_ih_l0_reverse")]))
    constant("R", np.stack([gates("weight_hh_l0"), gates("weight_hh_l0_reverse")]))
    constant("B", np.stack([np.concatenate([gates("bias_ih_l0"), gates("bias_hh_l0")]),
                            np.concatenate([gates("bias_ih_l0_reverse"), gates("bias_hh_l0_reverse")])]))
    constant("out.weight", network.out.weight.detach().numpy().T)
    constant("out.bias", network.out.bias)
    constant("both", np.array([0, 0, 2 * hidden], np.int64))
    nodes = [
        helper.make_node("GRU", ["columns", "W", "R", "B", "steps"], ["gru"], direction="bidirectional",
                         hidden_size=hidden, linear_before_reset=1),          # (T, 2, N, hidden)
        helper.make_node("Transpose", ["gru"], ["gru_t"], perm=[0, 2, 1, 3]),  # (T, N, 2, hidden)
        helper.make_node("Reshape", ["gru_t", "both"], ["read"]),             # (T, N, 2 * hidden)
        helper.make_node("MatMul", ["read", "out.weight"], ["logits_w"]),
        helper.make_node("Add", ["logits_w", "out.bias"], ["logits"]),
        helper.make_node("LogSoftmax", ["logits"], ["log_probs"], axis=-1),
    ]
    read = helper.make_model(helper.make_graph(
        nodes, "crnn_read",
        [helper.make_tensor_value_info("columns", TensorProto.FLOAT, ["T", "N", features]),
         helper.make_tensor_value_info("steps", TensorProto.INT32, ["N"])],
        [helper.make_tensor_value_info("log_probs", TensorProto.FLOAT, ["T", "N", classes])], weights),
        opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(columns)
    onnx.checker.check_model(read)
    return columns, read


def export(folder: Path, overwrite: bool = False) -> list[Path]:
    """Write ``columns.onnx`` and ``read.onnx`` into the model folder (from its ``weights.pt``); refuses to
    replace existing graphs unless ``overwrite``. Each file is written under a temporary name and renamed."""
    check_model_folder(folder)  # a folder that is no model says so first, whatever else it holds
    paths = [folder / name for name in ONNX_FILES]
    existing = [p.name for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{folder} already holds {', '.join(existing)}")
    network, config, charset = load_model(folder)
    models = graphs(for_inference(network), config, charset.classes)
    for path, model in zip(paths, models, strict=True):
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(model.SerializeToString())
        os.replace(partial, path)
    return paths


def session_threads() -> int:
    """ONNX Runtime's intra-op threads: ``OMP_NUM_THREADS`` when it is set to a whole number (as torch reads it),
    else 1. Parallelism is by processes (``phiphantom deid`` runs a worker per core, as OpenBLAS is held to one
    thread a process), the sessions are made before the workers fork (a forked child has none of its parent's
    pool threads), and a still's batches are small."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
    except ValueError:
        return 1


class OnnxReader:
    """The two graphs of a model folder as ONNX Runtime sessions on the CPU; the same two steps as
    :class:`.crnn_model.TorchReader`."""

    runtime = "onnxruntime"
    #: ONNX Runtime's convolutions cost no more on a new shape, so batches are padded less than torch's and
    #: split finer (the 6,142 lines of 201 stills: 6.41 ms -> 5.95 ms a still read at 32 columns / 1.5 -> 8 / 1.3;
    #: with the batch padded only to the convolutions' reach, 6.20 -> 6.08 ms at 4 / 1.2; the same reads each
    #: time: a line's read does not depend on its batch)
    width_step = 4
    batch_spread = 1.2

    def __init__(self, folder: Path) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise OCRUnavailable(RUNTIME_HINT) from None
        check_graphs(folder)
        options = ort.SessionOptions()
        options.intra_op_num_threads = session_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # workers are processes
        options.log_severity_level = 3
        self._columns = ort.InferenceSession(str(folder / COLUMNS_FILE), options, providers=["CPUExecutionProvider"])
        self._read = ort.InferenceSession(str(folder / READ_FILE), options, providers=["CPUExecutionProvider"])

    def columns(self, batch: np.ndarray) -> np.ndarray:
        """(N, 1, H, W) prepared lines -> (W/4, N, features) columns."""
        return np.asarray(self._columns.run(None, {"lines": batch})[0])

    def log_probs(self, sequences: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each line's (T_i, features) columns -> its (T_i, classes) log-probabilities. ONNX Runtime's GRU
        steps every line of a call to the call's longest (torch's packed GRU drops lines as they end), so
        lines are read in calls of similar length (:data:`GRU_SPREAD`)."""
        out: list[np.ndarray] = [np.empty(0)] * len(sequences)
        for chunk in width_batches([len(seq) for seq in sequences], len(sequences), GRU_SPREAD):
            steps = np.array([len(sequences[i]) for i in chunk], np.int32)
            columns = np.zeros((int(steps.max()), len(chunk), sequences[chunk[0]].shape[1]), np.float32)
            for row, i in enumerate(chunk):
                columns[:steps[row], row] = sequences[i]
            read = self._read.run(None, {"columns": columns, "steps": steps})[0]
            for row, i in enumerate(chunk):
                out[i] = read[:steps[row], row]
        return out
