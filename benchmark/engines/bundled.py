"""The bundled engine behind the benchmark's Engine protocol (``--engine bundled``).

This adapter (with the engine registry) is the one place where the benchmark imports ``phiphantom.deid``:
the engine the benchmark scores is used only through it (``tests/test_import_direction.py``).

Spec ``bundled:WORD,...`` (:func:`spec_settings`): PS3.15 profile option names, ``balanced`` (pixel
policy), ``hard``, ``header-only``, ``threshold=T`` (a line of burned-in text is redacted when its score,
in [-1, 1], reaches T: ``phiphantom deid --threshold``) and ``ocr=NAME`` (the pixel OCR: ``tesseract``,
``rapidocr``, ``easyocr`` or ``crnn:DIR``, a line recognizer model folder; ``phiphantom deid --ocr``; name the
engine, ``--engine crnn=bundled:ocr=crnn:DIR``). An engine with a threshold is named ``bundled-tT``
(``bundled-t0.35``), so that one ``bench`` run over several thresholds gives one column per threshold.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydicom.filewriter import dcmwrite

from phiphantom.core.ocr import BACKEND_NAMES, CRNN_PREFIX, OCRUnavailable
from phiphantom.deid.api import Deidentifier
from phiphantom.deid.api import deidentify_file as deidentify_file  # the fuzzer's per-file path (fuzz/worker.py)
from phiphantom.deid.config import DeidConfig
from phiphantom.deid.header_deid import DeidOptions
from phiphantom.deid.keys import KEY_ENV, load_key
from phiphantom.deid.pixels.config import PixelConfig, check_threshold

from .base import BaseEngine, Detection, EngineContext, EngineError, FileResult

if TYPE_CHECKING:  # the fuzzer's type for the batch runner's plan (it reaches deid only through this adapter)
    from phiphantom.deid.batch import Plan as BatchPlan  # noqa: F401 - imported by benchmark/fuzz/worker.py


#: ``bundled:`` words that set the engine rather than name a profile option
_POLICY_WORDS = ("balanced", "strict")
_FLAG_WORDS = ("header_only", "hard")
#: ``bundled:`` settings given as ``NAME=VALUE``
SPEC_SETTINGS = ("threshold", "ocr")


def parse_threshold(text: str) -> float:
    """``T`` of ``bundled:threshold=T`` as a float in [-1, 1]; :class:`EngineError` (naming the spec) otherwise."""
    try:
        value = check_threshold(float(text))
    except ValueError:
        raise EngineError(f"bundled:threshold={text}: the threshold must be a number from -1 to 1") from None
    assert value is not None
    return value


def parse_ocr(text: str) -> str:
    """``NAME`` of ``bundled:ocr=NAME``: a backend name or ``crnn:DIR``; :class:`EngineError` otherwise."""
    if text in BACKEND_NAMES or (text.startswith(CRNN_PREFIX) and len(text) > len(CRNN_PREFIX)):
        return text  # a crnn:DIR folder may not hold a comma (the spec's separator)
    raise EngineError(f"bundled:ocr={text}: the OCR is one of {', '.join(BACKEND_NAMES)} or crnn:DIR (a model folder)")


def spec_settings(text: str) -> dict[str, Any]:
    """The :class:`BundledEngine` keywords of the words after ``bundled:`` (``balanced,threshold=0.6,hard``):
    ``policy``, ``hard``, ``header_only``, ``threshold`` and the profile ``options`` (any other word; checked
    by the engine). A bad ``NAME=VALUE`` raises :class:`EngineError` before the engine does any work."""
    settings: dict[str, Any] = {}
    switches = set()
    for raw in (w.strip() for w in text.split(",")):
        if not raw:
            continue
        if "=" in raw:
            name, _, value = raw.partition("=")
            name = name.strip().replace("-", "_").lower()
            if name not in SPEC_SETTINGS:
                raise EngineError(f"unknown bundled setting {name!r}; known: {', '.join(SPEC_SETTINGS)}=VALUE")
            if name in settings:
                raise EngineError(f"bundled:{name}= is given twice")
            settings[name] = parse_threshold(value.strip()) if name == "threshold" else parse_ocr(value.strip())
            continue
        word = raw.replace("-", "_")
        if word in _POLICY_WORDS:
            settings["policy"] = "balanced" if word == "balanced" or settings.get("policy") == "balanced" else word
        elif word in _FLAG_WORDS:
            settings[word] = True
        else:
            switches.add(word)
    if switches:
        settings["options"] = frozenset(switches)
    return settings


class BundledEngine(BaseEngine):
    """PHI Phantom's own engine (header part: PS3.15 basic profile; pixels arrive with the pixel part).

    The key comes from ``$PHIPHANTOM_DEID_KEY``; without it an ephemeral key is made once, in the
    process that builds the engine, and kept on the engine: never put in this process's environment
    (where every later engine and tool of the run could read it). :meth:`worker_env` hands it to this
    engine's own workers only, so that they all agree on pseudonyms. Files are written under
    pseudonymized names, so file names never carry PHI.

    ``spec``: the words after ``bundled:`` (:func:`spec_settings`); they override the keywords. ``threshold``:
    a float in [-1, 1] or its text; ``None``, the policy's default.
    """

    def __init__(self, options: frozenset[str] = frozenset(), header_only: bool = False, policy: str = "strict",
                 hard: bool = False, threshold: float | str | None = None, spec: str = "", ocr: str = "tesseract",
                 **_: object) -> None:
        given = spec_settings(spec)
        ocr = given.get("ocr", ocr)
        options = given.get("options", options)
        header_only, policy = given.get("header_only", header_only), given.get("policy", policy)
        hard, threshold = given.get("hard", hard), given.get("threshold", threshold)
        if isinstance(threshold, str):
            threshold = parse_threshold(threshold)
        elif threshold is not None:
            try:
                threshold = check_threshold(threshold)
            except ValueError as exc:
                raise EngineError(str(exc)) from None
        if threshold is not None and header_only:
            raise EngineError("bundled: threshold sets how pixels are cleaned: not with header-only")
        if ocr != "tesseract" and header_only:
            raise EngineError("bundled: ocr sets how pixels are read: not with header-only")
        self.pixels = None if header_only else PixelConfig(policy=policy, hard=hard, threshold=threshold, ocr=ocr)
        pixels = "off" if self.pixels is None else f"{self.pixels.ocr}, {self.pixels.label}"
        name = "bundled" if threshold is None else f"bundled-t{threshold:g}"
        super().__init__(name=name, config={"profile": "basic", "options": sorted(options), "pixels": pixels})
        self._key_text = os.environ.get(KEY_ENV, "")
        if not self._key_text:
            self._key_text = secrets.token_hex(32)  # ephemeral for this run; never written anywhere
            self.config["key"] = "ephemeral"
        else:
            self.config["key"] = f"${KEY_ENV}"
        try:
            self.options = DeidOptions(frozenset(options))
        except ValueError as exc:
            raise EngineError(str(exc)) from None
        self._engine: Deidentifier | None = None

    def worker_env(self) -> dict[str, str]:
        """What this engine's workers (forked or Dask) need to build it: the run's key, so all agree on pseudonyms."""
        return {KEY_ENV: self._key_text}

    def start(self, context: EngineContext) -> None:
        super().start(context)
        key, source = load_key(None, env={KEY_ENV: self._key_text})
        config = DeidConfig(key=key, options=self.options, layout="pseudonymized", key_source=source,
                            pixels=self.pixels)
        try:  # the OCR (Tesseract, a recognizer model) and the recognisers' tables load with the engine, as
            self._engine = Deidentifier.from_config(config)  # ``phiphantom deid`` loads them before its workers
        except OCRUnavailable as exc:  # start: the first file's time is its own; a missing OCR fails here
            raise EngineError(str(exc)) from None

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        assert self._engine is not None, "start() builds the engine"
        result = self._engine.run(Path(src))  # what deidentify_file does per file, on the engine built once
        out = Path(dst).with_name(f"{result.dataset.SOPInstanceUID}.dcm")
        dcmwrite(out, result.dataset, enforce_file_format=True)
        detections = None
        if result.pixels is not None:
            detections = [Detection(b.frame_start, b.frame_end, b.x0, b.y0, b.x1, b.y1, True, b.decision.reason)
                          for b in result.pixels.redacted]
        return FileResult(output_path=out, detections=detections)


def deid_batch_module():
    """``phiphantom.deid.batch``, the runner behind ``phiphantom deid``, for the fuzzer, which drives it file by
    file exactly as ``phiphantom deid`` does (:mod:`phiphantom.benchmark.fuzz.worker`)."""
    from phiphantom.deid import batch

    return batch


def keeps_as_clinical(text: str) -> bool:
    """Whether the bundled engine keeps ``text`` as clinical vocabulary (its allowlist, strict policy, a file
    whose header holds nothing): for the benchmark's vocabulary-overlap report (``vocabulary_overlap.py``)."""
    from phiphantom.deid.pixels.classify import Classifier, HeaderValues

    return Classifier(HeaderValues()).decide(text).reason == "allowlist"


def clinical_words() -> frozenset[str]:
    """The bundled engine's clinical word lists (upper case), besides its grammar of probes, values and units."""
    from phiphantom.deid.pixels.clinical_grammar import clinical_words as engine_words

    return engine_words()
