"""Typed reading of one TOML table for the style-pack schema, with errors naming file and key path.

:class:`Reader` wraps one table (``[layout]``, an element of ``fonts``...). Each accessor takes a key and
its default, checks type and range, and remembers the key; :meth:`Reader.done` refuses keys nobody read
(typos and keys the format does not have).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")
_REQUIRED: Any = object()


class PackError(ValueError):
    """A style pack is invalid: the message names the file, the key path and what was expected."""


def _kind(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


class Reader:
    """Validated access to ``data`` (the table at key path ``prefix`` of ``file``)."""

    def __init__(self, file: str, prefix: str, data: Mapping[str, Any]) -> None:
        self.file, self.prefix, self.data = file, prefix, data
        self.seen: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, expected: str) -> NoReturn:
        raise PackError(f"{self.file}: {self.path(key)}: expected {expected}")

    def _get(self, key: str, default: Any) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                self.fail(key, "a value (required key missing)")
            return default
        return self.data[key]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            known = ", ".join(sorted(self.seen)) or "none"
            raise PackError(f"{self.file}: {self.path(unknown[0])}: unknown key (known here: {known})")

    def section(self, key: str, required: bool = False) -> Reader:
        value = self._get(key, _REQUIRED if required else {})
        if not isinstance(value, dict):
            self.fail(key, f"a table, got {_kind(value)}")
        return Reader(self.file, self.path(key), value)

    def string(self, key: str, default: Any = _REQUIRED) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            self.fail(key, f"a string, got {_kind(value)}")
        return value

    def _number(self, key: str, value: Any, what: str = "a number") -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(key, f"{what}, got {_kind(value)}")
        return float(value)

    def prob(self, key: str, default: float) -> float:
        value = self._number(key, self._get(key, default), "a probability (number in [0, 1])")
        if not 0.0 <= value <= 1.0:
            self.fail(key, f"a probability in [0, 1], got {value}")
        return value

    def weight(self, key: str, default: float) -> float:
        value = self._number(key, self._get(key, default), "a weight (number > 0)")
        if value <= 0:
            self.fail(key, f"a weight > 0, got {value}")
        return value

    def integer(self, key: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"an integer, got {_kind(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(key, f"an integer in [{lo}, {hi}], got {value}")
        return value

    def _pair(self, key: str, default: Any, lo: float | None, hi: float | None, integer: bool) -> tuple[Any, Any]:
        value = self._get(key, default)
        what = "integers" if integer else "numbers"
        if not isinstance(value, list | tuple) or len(value) != 2:
            self.fail(key, f"a range [lo, hi] of two {what}, got {_kind(value)}")
        nums = []
        for v in value:
            if integer and (isinstance(v, bool) or not isinstance(v, int)):
                self.fail(key, f"a range [lo, hi] of two integers, got {_kind(v)} inside")
            nums.append(self._number(key, v, f"a range [lo, hi] of two {what}"))
        a, b = nums
        if a > b:
            self.fail(key, f"a range [lo, hi] with lo <= hi, got [{a:g}, {b:g}]")
        if (lo is not None and a < lo) or (hi is not None and b > hi):
            self.fail(key, f"a range within [{lo}, {hi}], got [{a:g}, {b:g}]")
        return (int(a), int(b)) if integer else (a, b)

    def irange(self, key: str, default: tuple[int, int], lo: int | None = None,
               hi: int | None = None) -> tuple[int, int]:
        return self._pair(key, default, lo, hi, True)

    def frange(self, key: str, default: tuple[float, float], lo: float | None = None,
               hi: float | None = None) -> tuple[float, float]:
        a, b = self._pair(key, default, lo, hi, False)
        return (a, b)

    def strings(self, key: str, default: Iterable[str] = _REQUIRED) -> tuple[str, ...]:
        value = self._get(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"an array of strings, got {_kind(value)}")
        if len(set(value)) != len(value):
            self.fail(key, "an array of distinct strings (a value is repeated)")
        return tuple(value)

    def choices(self, key: str, default: Iterable[str], allowed: Iterable[str]) -> tuple[str, ...]:
        values = self.strings(key, default)
        known = tuple(allowed)
        for v in values:
            if v not in known:
                self.fail(key, f"values from {', '.join(known)}; got {v!r}")
        return values

    def _table(self, key: str, default: Mapping[str, float], allowed: Iterable[str] | None,
               check: Callable[[Reader, str], float]) -> dict[str, float]:
        value = self._get(key, default)
        if not isinstance(value, Mapping):
            self.fail(key, f"a table of name = number, got {_kind(value)}")
        sub = Reader(self.file, self.path(key), value)
        known = None if allowed is None else tuple(allowed)
        out = {}
        for name in value:
            if known is not None and name not in known:
                sub.fail(name, f"a name from {', '.join(known)}")
            out[str(name)] = check(sub, str(name))
        if not out:
            self.fail(key, "at least one entry")
        return out

    def weights(self, key: str, default: Mapping[str, float], allowed: Iterable[str] | None = None) -> dict[str, float]:
        return self._table(key, default, allowed, lambda r, k: r.weight(k, 0.0))

    def probabilities(self, key: str, default: Mapping[str, float],
                      allowed: Iterable[str] | None = None) -> dict[str, float]:
        value = self._get(key, default)
        if isinstance(value, Mapping) and not value:
            return {}
        return self._table(key, default, allowed, lambda r, k: r.prob(k, 0.0))

    def tables(self, key: str, default: tuple[T, ...], read: Callable[[Reader], T]) -> tuple[T, ...]:
        value = self._get(key, default)
        if value is default:
            return default
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, f"an array of tables, got {_kind(value)}")
        out = []
        for i, item in enumerate(value):
            sub = Reader(self.file, f"{self.path(key)}[{i}]", item)
            out.append(read(sub))
            sub.done()
        return tuple(out)
