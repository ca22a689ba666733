"""Profile option names and the settings that need them (a safe private list, a date shift range), checked
the same way for the Python API (:class:`~phiphantom.deid.api.Deidentifier`) and ``phiphantom deid``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Spelling:
    """How a caller names the settings and the options in its messages."""

    safe_private: str
    date_shift_range: str
    option: str
    range_form: str


API_SPELLING = Spelling("safe_private", "date_shift_range", "the option", "(LO, HI)")
CLI_SPELLING = Spelling("--safe-private", "--date-shift-range", "--option", "LO:HI")


def option_settings(options: Iterable[str], safe_private: Any, date_shift_range: tuple[int, int] | None, *,
                    spelled: Spelling, read_safe_private: Callable[[Any], frozenset[tuple[str, int]]],
                    error: type[Exception] = ValueError) -> tuple[frozenset[str], dict]:
    """Option names (``retain_uids`` or ``retain-uids``) and the :class:`DeidOptions` settings given; raises
    ``error`` for a setting without its option or a date shift range with LO > HI."""
    names = frozenset(o.strip().replace("-", "_") for o in options if o.strip())
    settings: dict = {}
    if safe_private is not None:
        if "retain_safe_private" not in names:
            raise error(f"{spelled.safe_private} needs {spelled.option} retain_safe_private")
        settings["safe_private"] = read_safe_private(safe_private)
    if date_shift_range is not None:
        if "retain_long_modified_dates" not in names:
            raise error(f"{spelled.date_shift_range} needs {spelled.option} retain_long_modified_dates")
        lo, hi = date_shift_range
        if lo > hi:
            raise error(f"{spelled.date_shift_range} must be {spelled.range_form} with LO <= HI")
        settings["date_shift_range"] = (int(lo), int(hi))
    return names, settings
