"""Package attributes imported on first use (so that importing a package, and the command line, stays light)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any


def lazy_exports(package: str, where: dict[str, str], namespace: MutableMapping[str, Any],
                 public: Iterable[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``: ``where`` maps a public name to the module (relative to
    ``package``) that defines it; the first use imports that module and keeps the value in ``namespace``
    (the package's ``globals()``); ``dir()`` lists ``namespace`` and ``public`` (its ``__all__``).

    Use: ``__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals(), __all__)``.
    """
    public = tuple(public)

    def __getattr__(name: str) -> Any:
        """Import a public name's module on first use."""
        if name in where:
            value = getattr(importlib.import_module(where[name], package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__
