"""The bundled engine behind the benchmark's Engine protocol (``--engine bundled``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydicom.filewriter import dcmwrite

from phiphantom.benchmark.engines.base import BaseEngine, Detection, EngineContext, EngineError, FileResult

from .header_deid import DeidOptions
from .keys import KEY_ENV, load_key
from .pipeline import DeidConfig, deidentify_file
from .pixels.config import PixelConfig


class BundledEngine(BaseEngine):
    """PHI Phantom's own engine (header part: PS3.15 basic profile; pixels arrive with the pixel part).

    The key comes from ``$PHIPHANTOM_DEID_KEY``; without it an ephemeral key is made once, in the
    process that builds the engine, and exported so that every worker of the run shares it. Files
    are written under pseudonymized names, so file names never carry PHI.
    """

    def __init__(self, options: frozenset[str] = frozenset(), header_only: bool = False, policy: str = "strict",
                 hard: bool = False, **_: object) -> None:
        self.pixels = None if header_only else PixelConfig(policy=policy, hard=hard)
        pixels = "off" if self.pixels is None else f"{self.pixels.ocr}, {self.pixels.label}"
        super().__init__(name="bundled", config={"profile": "basic", "options": sorted(options), "pixels": pixels})
        if not os.environ.get(KEY_ENV):
            os.environ[KEY_ENV] = secrets.token_hex(32)  # ephemeral for this run; never written anywhere
            self.config["key"] = "ephemeral"
        else:
            self.config["key"] = f"${KEY_ENV}"
        try:
            self.options = DeidOptions(frozenset(options))
        except ValueError as exc:
            raise EngineError(str(exc)) from None
        self._config: DeidConfig | None = None

    def worker_env(self) -> dict[str, str]:
        """What workers that did not fork from this process need: the run's key, so all agree on pseudonyms."""
        return {KEY_ENV: os.environ[KEY_ENV]}

    def start(self, context: EngineContext) -> None:
        super().start(context)
        key, source = load_key(None)
        self._config = DeidConfig(key=key, options=self.options, layout="pseudonymized", key_source=source,
                                  pixels=self.pixels)

    def process_file(self, src: Path, dst: Path) -> FileResult | None:
        result = deidentify_file(Path(src), self._config)
        out = Path(dst).with_name(f"{result.dataset.SOPInstanceUID}.dcm")
        dcmwrite(out, result.dataset, enforce_file_format=True)
        detections = None
        if result.pixels is not None:
            detections = [Detection(b.frame_start, b.frame_end, b.x0, b.y0, b.x1, b.y1, True, b.decision.reason)
                          for b in result.pixels.redacted]
        return FileResult(output_path=out, detections=detections)
