"""De-identification engines behind one protocol (:mod:`.base`), built from spec strings (:mod:`.registry`)."""

from .base import BaseEngine, Detection, Engine, EngineContext, EngineError, FileResult
from .registry import ENGINE_NAMES, ENGINE_PREFIXES, SPEC_FORMS, build_engine

__all__ = [
    "BaseEngine",
    "Detection",
    "ENGINE_NAMES",
    "ENGINE_PREFIXES",
    "Engine",
    "EngineContext",
    "EngineError",
    "FileResult",
    "SPEC_FORMS",
    "build_engine",
]
