"""Train the CRNN line recognizer (:mod:`phiphantom.core.crnn_model`) on labelled crops (:mod:`.line_crops`)
and write its model folder with a training report.

Deterministic for a seed on one thread: the held-back files, batch order and augmentation come from the
seed. Lines are held back by file (a screen's lines are all in training or all held back), so the held-back
score is on screens the model never saw. Augmentation is light: the width stretched by 0.85-1.15 and a
little grey noise, so that fonts a little wider or narrower than the training packs' still read."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from phiphantom.core.crnn_model import (
    WEIGHTS_FILE,
    CRNNConfig,
    batch_tensor,
    build_network,
    greedy_decode,
    line_array,
    require_torch,
    save_model,
)
from phiphantom.core.crnn_onnx import export
from phiphantom.core.line_charset import Charset
from phiphantom.core.ocr import OCRUnavailable

from .line_crops import LineCrop
from .recognizer_scores import normalise, score

REPORT_FILE = "training.json"
REPORT_FORMAT = "phiphantom.crnn-training/1"


class TrainingError(ValueError):
    """Training cannot start (no lines, an output folder in the way)."""


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 12
    seed: int = 0
    batch_lines: int = 32
    learning_rate: float = 3e-3
    held_back: float = 0.05   # share of files held back for the report's score
    threads: int = 1
    config: CRNNConfig = field(default_factory=CRNNConfig)


def check_output(out: Path) -> None:
    """Refuse an output that is a file or a non-empty folder (nothing there is touched)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise TrainingError(f"{out} exists and is not an empty folder: give a new folder for the model")


def held_back_files(files: Sequence[str], share: float, seed: int) -> set[str]:
    """The files whose lines are held back: the ``share`` with the smallest seeded hash (at least one when
    there are two files or more)."""
    unique = sorted(set(files))
    if len(unique) < 2 or share <= 0:
        return set()
    count = max(1, round(share * len(unique)))
    ranked = sorted(unique, key=lambda f: hashlib.blake2b(f"{seed}:{f}".encode(), digest_size=8).digest())
    return set(ranked[:count])


def _batches(widths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Indices in batches of similar width (sorted with a little jitter), the batches shuffled."""
    order = sorted(range(len(widths)), key=lambda i: widths[i] * rng.uniform(0.9, 1.1))
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _augment(line: np.ndarray, rng: random.Random, np_rng: np.random.Generator) -> np.ndarray:
    stretch = rng.uniform(0.85, 1.15)
    height, width = line.shape
    out = np.asarray(cv2.resize(line, (max(8, round(width * stretch)), height), interpolation=cv2.INTER_LINEAR))
    noise = np_rng.normal(0.0, 0.04, out.shape).astype(np.float32)
    return np.clip(out + noise, 0.0, 1.0).astype(np.float32)


def read_prepared(network: Any, lines: Sequence[np.ndarray], charset: Charset, batch_lines: int = 64) -> list[str]:
    """Greedy reads of prepared lines (eval mode, no gradients), in their order."""
    torch = require_torch()
    network.eval()
    reads = [""] * len(lines)
    order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
    with torch.inference_mode():
        for start in range(0, len(order), batch_lines):
            chunk = order[start:start + batch_lines]
            batch, steps = batch_tensor([lines[i] for i in chunk])
            log_probs = network(batch, steps).permute(1, 0, 2).numpy()
            for row, i in enumerate(chunk):
                reads[i] = greedy_decode(log_probs[row], steps[row], charset)[0]
    return reads


def train(crops: Sequence[LineCrop], out: Path, settings: TrainSettings,
          sources: Sequence[str] = (), on_batch: Callable[[int, int, float], None] | None = None) -> dict[str, Any]:
    """Train on ``crops`` and write the model folder ``out`` (created; refused when not empty) with
    ``training.json``. ``on_batch(done, total, loss)`` after each batch. Returns the report."""
    check_output(out)
    if not crops:
        raise TrainingError("no labelled lines to train on (are these generated datasets with gt/boxes.csv?)")
    torch = require_torch()
    torch.set_num_threads(max(1, settings.threads))
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    np_rng = np.random.default_rng(settings.seed)
    config = settings.config
    labels = [normalise(c.text) for c in crops]
    held = held_back_files([c.screen for c in crops], settings.held_back, settings.seed)
    train_idx = [i for i, c in enumerate(crops) if c.screen not in held]
    held_idx = [i for i, c in enumerate(crops) if c.screen in held]
    charset = Charset.from_labels(labels[i] for i in train_idx)
    lines = [line_array(c.image, config) for c in crops]
    targets = [charset.encode(label) for label in labels]
    network = build_network(config, charset.classes)
    optimiser = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=1e-4)
    per_epoch = -(-len(train_idx) // settings.batch_lines)
    total = per_epoch * settings.epochs
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=settings.learning_rate, total_steps=total,
                                                   pct_start=0.15)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    started = time.perf_counter()
    done, losses = 0, []
    for _epoch in range(settings.epochs):
        network.train()
        for batch_idx in _batches([lines[i].shape[1] for i in train_idx], settings.batch_lines, rng):
            chosen = [train_idx[k] for k in batch_idx]
            batch, steps = batch_tensor([_augment(lines[i], rng, np_rng) for i in chosen])
            log_probs = network(batch, steps)
            flat = torch.tensor([k for i in chosen for k in targets[i]], dtype=torch.long)
            lengths = torch.tensor([len(targets[i]) for i in chosen], dtype=torch.long)
            loss = ctc(log_probs, flat, torch.tensor(steps, dtype=torch.long), lengths)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
            optimiser.step()
            schedule.step()
            done += 1
            losses.append(float(loss.detach()))
            if on_batch is not None:
                on_batch(done, total, losses[-1])
    seconds = time.perf_counter() - started
    held_reads = read_prepared(network, [lines[i] for i in held_idx], charset)
    held_score = score(held_reads, [labels[i] for i in held_idx])
    out.mkdir(parents=True, exist_ok=True)
    save_model(out, network, config, charset)
    try:  # the ONNX graphs, read by ONNX Runtime without torch (needs the onnx package)
        graphs = [path.name for path in export(out)]
    except OCRUnavailable:
        graphs = []
    report = {
        "format": REPORT_FORMAT,
        "sources": list(sources),
        "files": len({c.screen for c in crops}),
        "lines": len(crops),
        "train_lines": len(train_idx),
        "held_back_lines": len(held_idx),
        "held_back_files": len(held),
        "charset_size": len(charset.characters),
        "label_characters_outside_charset": sum(ch not in charset.characters for i in held_idx for ch in labels[i]),
        "settings": {**{k: v for k, v in asdict(settings).items() if k != "config"}, "config": config.to_json()},
        "parameters": int(sum(p.numel() for p in network.parameters())),
        "weights_bytes": (out / WEIGHTS_FILE).stat().st_size,
        "training_seconds": round(seconds, 1),
        "batches": done,
        "final_loss": round(float(np.mean(losses[-min(50, len(losses)):])), 4) if losses else None,
        "held_back": held_score.to_json(),
        "torch": str(torch.__version__),
        "onnx_graphs": graphs,
    }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report
