"""Engine specs -> engines: the one place that knows every engine.

Specs:

* ``null`` -- copy unchanged (:mod:`.null`);
* ``oracle`` -- perfect de-identification from the ground truth (:mod:`.oracle`);
* ``header-basic`` -- naive pydicom header deletion (:mod:`.header_basic`);
* ``bundled`` -- the project's own engine (``phiphantom.benchmark.engines.bundled``, the adapter of
  ``phiphantom.deid``);
* ``cmd:TEMPLATE`` -- a command-line tool (:mod:`.command`); ``cmd,version:TEMPLATE`` (or
  ``cmd,version=ARGS:TEMPLATE``) also asks the tool for its version;
* ``python:module:Factory`` -- an engine from any importable module (:mod:`.plugin`);
* ``peer:NAME`` or just ``NAME`` -- a peer tool installed by ``phiphantom peers install`` (:mod:`.peer`).
"""

from __future__ import annotations

from ..peers.catalog import PEERS
from .base import Engine, EngineError
from .command import CMD_PREFIXES, CommandEngine, parse_cmd_options
from .header_basic import HeaderBasicEngine
from .null import NullEngine
from .oracle import OracleEngine
from .peer import PEER_PREFIX, PeerEngine
from .plugin import build_bundled_engine, build_python_engine, check_engine

#: Specs that are plain names.
ENGINE_NAMES: tuple[str, ...] = ("null", "oracle", "header-basic", "bundled")
#: Spec forms with an argument.
ENGINE_PREFIXES: tuple[str, ...] = CMD_PREFIXES + ("python:", PEER_PREFIX)
#: Every valid spec form, for messages and ``--help``.
SPEC_FORMS: tuple[str, ...] = ENGINE_NAMES + ("bundled:OPTION,...", "cmd:TEMPLATE", "cmd,version[=ARGS]:TEMPLATE",
                                               "python:module:Factory",
                                               "peer:NAME (or NAME: " + ", ".join(PEERS) + ")")

_SIMPLE = {"null": NullEngine, "oracle": OracleEngine, "header-basic": HeaderBasicEngine}


def build_engine(spec: str, **kwargs) -> Engine:
    """Build the engine named by ``spec``; ``kwargs`` go to its constructor.

    Raises :class:`EngineError` (message safe to show) for unknown or
    malformed specs, bad keywords, or objects that are not engines.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise EngineError(f"empty engine spec; valid: {', '.join(SPEC_FORMS)}")
    spec = spec.strip()
    if spec.startswith(CMD_PREFIXES):
        options, _, template = spec.partition(":")
        return _construct("cmd", CommandEngine, template=template, **parse_cmd_options(options), **kwargs)
    if spec.startswith("python:"):
        return build_python_engine(spec[len("python:"):], **kwargs)
    if spec.startswith(PEER_PREFIX) or spec in PEERS:
        name = spec[len(PEER_PREFIX):] if spec.startswith(PEER_PREFIX) else spec
        return _construct(f"peer:{name}", PeerEngine, peer_name=name, **kwargs)
    if spec == "bundled" or spec.startswith("bundled:"):  # its words are parsed by the engine (bundled.spec_settings)
        return build_bundled_engine(**{**kwargs, "spec": spec.partition(":")[2]})
    factory = _SIMPLE.get(spec)
    if factory is None:
        raise EngineError(f"unknown engine {spec!r}; valid: {', '.join(SPEC_FORMS)}")
    return _construct(spec, factory, **kwargs)


def _construct(label: str, factory, **kwargs) -> Engine:
    try:
        engine = factory(**kwargs)
    except TypeError:
        raise EngineError(f"engine {label!r}: bad keyword arguments {sorted(kwargs)}") from None
    return check_engine(engine, f"engine {label!r}")


def sees_ground_truth(engine: object) -> bool:
    """True for the oracle (and its subclasses): the one engine whose context points at the dataset root, ``gt/``
    included (reading the ground truth is the oracle's point). Every other engine is told a folder without it."""
    return isinstance(engine, OracleEngine)


def reads_in_place(engine: object) -> bool:
    """True for the oracle only: it reads the dataset's own files (it only reads, and it may see ``gt/`` anyway).

    Every other engine (the built-in ``null``, ``header-basic`` and ``bundled`` too, ``cmd:``, ``python:``,
    peers, engine objects of other classes) gets private copies (see :mod:`phiphantom.benchmark.runner`), so
    that no path next to its inputs (``../gt``) leads to the dataset's ground truth (issue 17).
    """
    return sees_ground_truth(engine)


def engine_label(spec_or_engine: str | Engine) -> str:
    """A short label for a spec or an already-built engine (for reports and output folders)."""
    if isinstance(spec_or_engine, str):
        return spec_or_engine
    return str(getattr(spec_or_engine, "name", type(spec_or_engine).__name__))


def available_engines() -> list[str]:
    """The built-in engines that can run here (``bundled`` only once phiphantom.deid provides it)."""
    names = ["null", "header-basic", "oracle"]
    try:
        build_engine("bundled")
    except EngineError:
        return names
    return names + ["bundled"]
