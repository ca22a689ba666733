"""Train / val / test splits of an export: by style pack, or by a deterministic hash of the patient.

* **By style** (``--train-styles A,B --test-styles C``, optional ``--val-styles D``): a file goes to the
  split its style pack is listed in; a pack listed in two splits is an error, and files of packs listed
  nowhere are left out. Without ``--val-styles`` the val split is a deterministic share of the train
  packs' patients (in-distribution validation; the test packs stay unseen). With only
  ``--train-styles`` every other pack is test, with only ``--test-styles`` every other pack is train.
* **By patient** (the default): each patient goes to one split by the SHA-256 of its key, so the same
  dataset always splits the same way, a study (every file of it, every frame) is never cut across
  splits, and no synthetic patient's name or ID is in both train and test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from .frames import ExportError
from .source import SourceFile

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SplitPlan:
    """How to split: style lists (empty: not by style) and the val/test shares of the hash split."""

    train_styles: tuple[str, ...] = ()
    val_styles: tuple[str, ...] = ()
    test_styles: tuple[str, ...] = ()
    val_share: float = 0.1
    test_share: float = 0.1

    @property
    def by_style(self) -> bool:
        """Whether the split is by style pack."""
        return bool(self.train_styles or self.val_styles or self.test_styles)

    def describe(self) -> str:
        """One line for the dataset card and the summary."""
        if not self.by_style:
            return (f"by patient (SHA-256 of the patient key): val share {self.val_share:g}, "
                    f"test share {self.test_share:g}")
        return (f"by style: train {', '.join(self.train_styles) or '(every other pack)'}; "
                f"val {', '.join(self.val_styles) or f'(share {self.val_share:g} of the train patients)'}; "
                f"test {', '.join(self.test_styles) or '(every other pack)'}")


def parse_styles(text: str | None) -> tuple[str, ...]:
    """``"A,B"`` -> ``("A", "B")`` (blank items dropped)."""
    return tuple(s.strip() for s in (text or "").split(",") if s.strip())


def hash_fraction(key: str) -> float:
    """A stable number in [0, 1) for ``key``."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2.0 ** 64


def _hash_split(patient: str, val_share: float, test_share: float) -> str:
    x = hash_fraction(patient)
    if x < test_share:
        return "test"
    return "val" if x < test_share + val_share else "train"


def _check(plan: SplitPlan, present: set[str]) -> None:
    if not (0.0 <= plan.val_share < 1.0 and 0.0 <= plan.test_share < 1.0 and plan.val_share + plan.test_share < 1.0):
        raise ExportError("--val-share and --test-share must be in [0, 1) and add up to less than 1")
    listed = [s for group in (plan.train_styles, plan.val_styles, plan.test_styles) for s in group]
    twice = sorted({s for s in listed if listed.count(s) > 1})
    if twice:
        raise ExportError(f"style pack(s) listed in two splits: {', '.join(twice)}")
    unknown = sorted(set(listed) - present)
    if unknown:
        raise ExportError(f"style pack(s) not in this dataset: {', '.join(unknown)} "
                          f"(the dataset has: {', '.join(sorted(present))})")


def assign_splits(files: Iterable[SourceFile], plan: SplitPlan) -> dict[str, str]:
    """File relpath -> ``train`` | ``val`` | ``test``; files left out of a by-style split are absent."""
    files = list(files)
    _check(plan, {f.style for f in files})
    if not plan.by_style:
        return {f.relpath: _hash_split(f.patient, plan.val_share, plan.test_share) for f in files}
    named = {s: "train" for s in plan.train_styles} | {s: "val" for s in plan.val_styles} | \
        {s: "test" for s in plan.test_styles}
    rest = "train" if plan.test_styles and not plan.train_styles else "test" if plan.train_styles and not \
        plan.test_styles else ""
    out: dict[str, str] = {}
    for f in files:
        split = named.get(f.style, rest)
        if not split:
            continue
        if split == "train" and not plan.val_styles and hash_fraction(f.patient) < plan.val_share:
            split = "val"
        out[f.relpath] = split
    return out
