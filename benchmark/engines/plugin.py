"""``python:module:Factory`` engines and the ``bundled`` engine.

``python:package.module:Factory`` imports ``package.module`` and calls
``Factory(**kwargs)``; the result must satisfy the :class:`Engine` protocol.
Keyword arguments come from ``build_engine(spec, **kwargs)`` and from an
optional query string, ``python:mymod:Make?threshold=0.5&mode=fast`` (values
stay strings; the query wins over the same keyword given in Python).
"""

from __future__ import annotations

import importlib
from urllib.parse import parse_qsl

from .base import Engine, EngineError

BUNDLED_MISSING = "the bundled engine is not available in this version (phiphantom.benchmark.engines.bundled missing)"


def parse_python_spec(target: str) -> tuple[str, str, dict[str, str]]:
    """``"mod.sub:Factory?k=v"`` -> ``("mod.sub", "Factory", {"k": "v"})``."""
    target, _, query = target.partition("?")
    module, sep, factory = target.rpartition(":")
    if not sep or not module or not factory:
        raise EngineError("python engine spec must be python:module:Factory (e.g. python:mypkg.engine:MyEngine)")
    try:
        kwargs = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    except ValueError:
        raise EngineError("python engine spec: cannot parse the query string (expected k=v&k2=v2)") from None
    return module, factory, kwargs


def check_engine(engine: object, what: str) -> Engine:
    """``engine`` if it satisfies the Engine protocol, else :class:`EngineError`."""
    if not isinstance(engine, Engine):
        missing = [attr for attr in ("name", "per_folder", "describe", "start", "process_file")
                   if not hasattr(engine, attr)]
        raise EngineError(f"{what} did not return an Engine (missing: {', '.join(missing) or 'unknown'})")
    if engine.per_folder and not callable(getattr(engine, "process_folder", None)):
        raise EngineError(f"{what} is per_folder but has no process_folder(src_dir, dst_dir)")
    return engine


def build_python_engine(target: str, **kwargs) -> Engine:
    """Build the engine named by the part of a ``python:`` spec after the prefix."""
    module_name, factory_name, query_kwargs = parse_python_spec(target)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EngineError(f"python engine: cannot import module {module_name!r} ({type(exc).__name__})") from None
    factory = getattr(module, factory_name, None)
    if factory is None or not callable(factory):
        raise EngineError(f"python engine: {module_name!r} has no callable {factory_name!r}")
    try:
        engine = factory(**{**kwargs, **query_kwargs})
    except EngineError:
        raise
    except Exception as exc:  # the message may hold anything: class name only
        raise EngineError(
            f"python engine {module_name}:{factory_name} failed to build ({type(exc).__name__})") from None
    return check_engine(engine, f"python engine {module_name}:{factory_name}")


def build_bundled_engine(**kwargs) -> Engine:
    """The project's own engine (:mod:`phiphantom.benchmark.engines.bundled`, the adapter of ``phiphantom.deid``)."""
    try:
        from .bundled import BundledEngine
    except ModuleNotFoundError as exc:
        if exc.name in ("phiphantom.benchmark.engines.bundled", "phiphantom.deid"):
            raise EngineError(BUNDLED_MISSING) from None
        raise EngineError(f"the bundled engine cannot be imported (missing module {exc.name})") from None
    except ImportError:
        raise EngineError(BUNDLED_MISSING) from None
    return check_engine(BundledEngine(**kwargs), "the bundled engine")
