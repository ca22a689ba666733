"""A small CRNN line recognizer (convolutions -> bidirectional GRU -> CTC) and its model folder.

torch is an optional extra (``phiphantom[recognizer]``) and is imported only inside the functions that
need it, so importing this module costs nothing without it. A model folder holds ``config.json`` (the
network's shape and input height), ``charset.json`` (:mod:`.line_charset`) and ``weights.pt`` (the
state dict, loaded with ``weights_only``); it is always a local folder, never downloaded.

Input: a grey crop, light text turned dark on light (the median decides, as :func:`.ocr.prepare_line_array`
does), its grey levels stretched to 0..1, resized to ``height`` rows keeping the aspect ratio, with
``pad`` columns of background either side; a batch is padded with background to its widest line."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .colour import LUMA_WEIGHTS
from .line_charset import BLANK, Charset
from .ocr import OCRUnavailable
from .percentiles import median_below, percentile

FORMAT = "phiphantom.crnn/1"
CONFIG_FILE = "config.json"
CHARSET_FILE = "charset.json"
WEIGHTS_FILE = "weights.pt"
INSTALL_HINT = "the line recognizer needs torch: pip install 'phiphantom[recognizer]'"
WIDTH_STRIDE = 4  # input columns per output step (two 2x2 poolings)
#: Input columns the convolutions read past a line's last step: output step j pools input columns 4j..4j+3,
#: and the four 3x3 layers (at full, half and twice at quarter width) widen that to 4j-11..4j+14. A batch at
#: least 4 * steps + CONV_REACH columns wide holds every column a line's steps read, so they never see where
#: the batch's zero padding begins and do not depend on the batch (tests/test_recognizer_model.py checks
#: that one column less changes them)
CONV_REACH = 11


@dataclass(frozen=True)
class CRNNConfig:
    """The network's shape: input height, convolution channels (four layers), GRU hidden size."""

    height: int = 24
    pad: int = 4
    channels: tuple[int, ...] = field(default=(16, 32, 64, 64))
    hidden: int = 96

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["channels"] = list(self.channels)
        return {"format": FORMAT, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CRNNConfig:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model configuration")
        return cls(height=int(data["height"]), pad=int(data["pad"]),
                   channels=tuple(int(c) for c in data["channels"]), hidden=int(data["hidden"]))


def require_torch() -> Any:
    """The torch module, or :class:`OCRUnavailable` naming the extra to install."""
    try:
        import torch
    except ImportError:
        raise OCRUnavailable(INSTALL_HINT) from None
    return torch


def build_network(config: CRNNConfig, classes: int) -> Any:
    """A fresh ``torch.nn.Module``: (N, 1, height, W) -> (W // 4, N, classes) log-probabilities."""
    torch = require_torch()
    nn = torch.nn
    if config.height % 4 or len(config.channels) != 4:
        raise ValueError("the CRNN needs a height divisible by 4 and four convolution layers")
    c1, c2, c3, c4 = config.channels
    rows = config.height // 8

    def block(cin: int, cout: int) -> list[Any]:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    class CRNN(nn.Module):  # type: ignore[name-defined]  # nn is torch.nn, imported when the network is built
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                *block(1, c1), nn.MaxPool2d(2, 2),
                *block(c1, c2), nn.MaxPool2d(2, 2),
                *block(c2, c3), nn.MaxPool2d((2, 1), (2, 1)),
                *block(c3, c4))
            self.rnn = nn.GRU(c4 * rows, config.hidden, bidirectional=True)
            self.out = nn.Linear(2 * config.hidden, classes)

        def columns(self, x: Any) -> Any:
            """The convolutions' output as one feature vector a step: (T, N, C*rows)."""
            if getattr(self, "channels_last", False):    # set by for_inference (CPU pooling is faster so)
                x = x.contiguous(memory_format=torch.channels_last)
            f = self.features(x)                         # (N, C, rows, W/4)
            n, c, h, w = f.shape
            return f.reshape(n, c * h, w).permute(2, 0, 1)

        def packed_log_probs(self, packed: Any) -> Any:
            """The GRU over packed columns, then the output layer on the packed steps only (not on the
            padding of shorter lines): packed (classes) log-probabilities."""
            read = self.rnn(packed)[0]
            return read._replace(data=self.out(read.data).log_softmax(-1))

        def read_columns(self, sequences: list[Any]) -> list[Any]:
            """Each line's (T_i, C*rows) columns read by the GRU in one packed call: (T_i, classes)
            log-probabilities each (the convolutions may run in several batches, the GRU's per-step cost
            is paid once)."""
            rnn_utils = torch.nn.utils.rnn
            packed = self.packed_log_probs(rnn_utils.pack_sequence(sequences, enforce_sorted=False))
            out, _ = rnn_utils.pad_packed_sequence(packed)  # (T, N, classes)
            return [out[:len(seq), i] for i, seq in enumerate(sequences)]

        def forward(self, x: Any, steps: list[int] | None = None) -> Any:
            """``steps``: each line's own output steps; the GRU runs over those only (packed), so a
            line's read does not depend on how wide the other lines of its batch are (the steps after a
            line's own are 0, never read: CTC and decoding take each line's steps)."""
            f = self.columns(x)                          # (T, N, C*rows)
            if steps is None:
                return self.out(self.rnn(f)[0]).log_softmax(-1)
            rnn_utils = torch.nn.utils.rnn
            packed = rnn_utils.pack_padded_sequence(f, torch.tensor(steps), enforce_sorted=False)
            out, _ = rnn_utils.pad_packed_sequence(self.packed_log_probs(packed), total_length=f.shape[0])
            return out                                   # (T, N, classes)

    return CRNN()


def width_batches(widths: Sequence[int], batch_lines: int, spread: float) -> list[list[int]]:
    """Indices of ``widths`` in batches of similar width: sorted, at most ``batch_lines`` a batch, the
    widest at most ``spread`` times the narrowest."""
    batches: list[list[int]] = []
    for i in sorted(range(len(widths)), key=lambda i: widths[i]):
        if batches and len(batches[-1]) < batch_lines and widths[i] <= spread * widths[batches[-1][0]]:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def line_array(crop: np.ndarray, config: CRNNConfig, stretch: float = 1.0) -> np.ndarray:
    """One crop as the network reads it: (height, width) float32 in 0..1, dark text on light, padded.

    ``stretch`` scales the width (training varies it a little)."""
    if crop.size == 0:
        return np.ones((config.height, 2 * config.pad + WIDTH_STRIDE), np.float32)
    grey = crop.astype(np.float32)
    if crop.ndim == 2 and crop.dtype == np.uint8:  # the usual crop: the same values, from its grey levels
        dark = median_below(crop, 128)  # light text on a dark background (the median)
        low, high = cv2.minMaxLoc(crop)[:2]
        lo, hi = (255.0 - high, 255.0 - low) if dark else (low, high)
        if dark:
            grey = 255.0 - grey
    else:
        if grey.ndim == 3:
            grey = grey @ np.array(LUMA_WEIGHTS, dtype=np.float32)
        if percentile(grey, 50) < 128:
            grey = 255.0 - grey
        lo, hi = float(grey.min()), float(grey.max())
    grey = (grey - lo) / (hi - lo) if hi - lo > 1e-3 else np.ones_like(grey)
    h, w = grey.shape
    width = max(1, round(w * config.height / h * stretch))
    interpolation = cv2.INTER_AREA if h > config.height else cv2.INTER_LINEAR
    line = cv2.resize(grey, (width, config.height), interpolation=interpolation)
    return cv2.copyMakeBorder(line.astype(np.float32), 0, 0, config.pad, config.pad, cv2.BORDER_CONSTANT, value=1.0)


def batch_array(lines: list[np.ndarray], width_step: int = WIDTH_STRIDE) -> tuple[np.ndarray, list[int]]:
    """Prepared lines (:func:`line_array`) as one (N, 1, H, W) float32 array padded with background past the
    reach of every line's last step (:data:`CONV_REACH`; W rounded up to a multiple of ``width_step``, itself
    a multiple of the width stride), and each line's number of output steps."""
    height = lines[0].shape[0]
    steps = [max(1, line.shape[1] // WIDTH_STRIDE) for line in lines]
    widest = width_step * math.ceil((WIDTH_STRIDE * max(steps) + CONV_REACH) / width_step)
    batch = np.ones((len(lines), 1, height, widest), np.float32)
    for i, line in enumerate(lines):
        batch[i, 0, :, :line.shape[1]] = line
    return batch, steps


def batch_tensor(lines: list[np.ndarray], width_step: int = WIDTH_STRIDE) -> tuple[Any, list[int]]:
    """:func:`batch_array` as a torch tensor."""
    torch = require_torch()
    batch, steps = batch_array(lines, width_step)
    return torch.from_numpy(batch), steps


def greedy_decode(log_probs: np.ndarray, steps: int, charset: Charset) -> tuple[str, float]:
    """Best path of one line's (T, classes) log-probabilities over its first ``steps`` steps: repeats
    collapsed, blanks dropped. Confidence 0..100: the probability of the least sure character read (each
    character's best step), 0 when nothing is read. Measured on a validation set of the training packs
    (seed 1636, 1,322 lines, docs/recognizer.md): below 50 it flags 25 of the 114 misread lines and 4 of the
    1,208 right ones, where the geometric mean of every step's best probability flagged none below 80."""
    path = log_probs[:steps]
    best = path.argmax(axis=1)
    top = path.max(axis=1)
    change = np.empty(len(best), dtype=bool)
    change[:1] = True
    np.not_equal(best[1:], best[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    runs = np.maximum.reduceat(top, starts) if len(starts) else top[:0]
    classes = best[starts]
    chars = classes != BLANK
    text = " ".join(charset.decode(classes[chars].tolist()).split())
    if not text:
        return "", 0.0
    return text, float(100.0 * math.exp(float(runs[chars].min())))


def save_model(folder: Path, network: Any, config: CRNNConfig, charset: Charset) -> None:
    """Write the three model files into ``folder`` (which exists)."""
    torch = require_torch()
    (folder / CONFIG_FILE).write_text(json.dumps(config.to_json(), indent=1), encoding="utf-8")
    charset.save(folder / CHARSET_FILE)
    torch.save(network.state_dict(), folder / WEIGHTS_FILE)


def check_model_folder(folder: Path, weights: tuple[str, ...] = (WEIGHTS_FILE,)) -> None:
    """:class:`OCRUnavailable` unless ``folder`` holds the configuration, the charset and ``weights``."""
    missing = [name for name in (CONFIG_FILE, CHARSET_FILE, *weights) if not (folder / name).is_file()]
    if missing:
        raise OCRUnavailable(f"{folder} is not a recognizer model folder (missing {', '.join(missing)})")


def load_config(folder: Path) -> tuple[CRNNConfig, Charset]:
    """The network's configuration and charset from a model folder (no torch needed)."""
    config = CRNNConfig.from_json(json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8")))
    return config, Charset.load(folder / CHARSET_FILE)


def load_model(folder: Path) -> tuple[Any, CRNNConfig, Charset]:
    """The network (eval mode), its configuration and charset from a local model folder."""
    torch = require_torch()
    check_model_folder(folder)
    config, charset = load_config(folder)
    network = build_network(config, charset.classes)
    network.load_state_dict(torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True))
    network.eval()
    return network, config, charset


def for_inference(network: Any) -> Any:
    """``network`` (eval mode) made faster to run, the same function to float rounding (~1e-6): each batch
    norm folded into the convolution before it (its scale into the weights, its shift into a bias), and
    the features computed in channels-last layout, where torch's CPU pooling is vectorised (measured on
    one thread, 20 batches of 5-20 lines 96-400 columns wide: 359 ms as trained, 117 ms folded and
    channels-last, 170 ms channels-last alone). For reading only: the result cannot be trained."""
    torch = require_torch()
    nn = torch.nn
    layers = list(network.features)
    folded: list[Any] = []
    with torch.no_grad():
        for layer in layers:
            if isinstance(layer, nn.BatchNorm2d) and folded and isinstance(folded[-1], nn.Conv2d):
                conv = folded[-1]
                scale = layer.weight / torch.sqrt(layer.running_var + layer.eps)
                fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                                  conv.padding, bias=True)
                fused.weight.copy_(conv.weight * scale[:, None, None, None])
                shift = layer.bias - layer.running_mean * scale
                fused.bias.copy_(shift if conv.bias is None else conv.bias * scale + shift)
                folded[-1] = fused
            else:
                folded.append(layer)
    network.features = nn.Sequential(*folded)
    network.channels_last = True
    network.to(memory_format=torch.channels_last)
    return network.eval()


#: A batch's widest line at most this many times its narrowest (sorted by width, a new batch starts when the
#: next line is wider): every line is padded to its batch's widest, and one still's lines span 20-600
#: columns, so one batch for all of them would mostly compute padding. Each reader has its own
#: (``batch_spread``): this one is torch's (:class:`TorchReader`)
WIDTH_SPREAD = 1.5
#: Batch widths are rounded up to a multiple of SHAPE_WIDTH_STEP columns: torch's CPU convolutions prepare
#: each new input shape once, which costs about as much as the convolution itself (7 lines 100 columns:
#: 3.4 ms new, 1.8 ms again), and a still's batches would otherwise nearly all be new shapes (60 stills:
#: 31 -> 25 ms a file in the engine; rounding the line count up to a power of two too gained nothing).
#: Each reader has its own (``width_step``): this one is torch's
SHAPE_WIDTH_STEP = 32


class TorchReader:
    """A model folder's network run by torch (:func:`for_inference`), in two steps: the convolutions on a
    batch, then the GRU and output layer over many lines' columns at once (packed)."""

    runtime = "torch"
    width_step = SHAPE_WIDTH_STEP
    batch_spread = WIDTH_SPREAD

    def __init__(self, folder: Path) -> None:
        self._torch = require_torch()
        self._network = for_inference(load_model(folder)[0])

    def columns(self, batch: np.ndarray) -> np.ndarray:
        """(N, 1, H, W) prepared lines -> (W/4, N, features) columns."""
        with self._torch.inference_mode():
            return np.asarray(self._network.columns(self._torch.from_numpy(batch)).numpy())

    def log_probs(self, sequences: list[np.ndarray]) -> list[np.ndarray]:
        """Each line's (T_i, features) columns -> its (T_i, classes) log-probabilities, read in one call."""
        torch = self._torch
        with torch.inference_mode():
            reads = self._network.read_columns([torch.from_numpy(seq) for seq in sequences])
            return [np.asarray(read.numpy()) for read in reads]
