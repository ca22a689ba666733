"""Set header attributes and record every PHI value written, with its path and expected action.

All PHI goes into a dataset through :class:`TagRecorder`, so ``gt/tags.csv`` is
complete by construction: a value that is not recorded is not written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from phiphantom.core.ground_truth import TagRow
from phiphantom.core.profile import basic_action


def _tag(keyword: str) -> int:
    """The tag of a DICOM keyword (the generator writes only dictionary keywords)."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"not a DICOM keyword: {keyword}")
    return tag


def tag_text(tag: int) -> str:
    t = Tag(tag)
    return f"({t.group:04X},{t.element:04X})"


@dataclass
class Scope:
    """Where attributes are being written: a dataset and the path/actions leading to it."""

    ds: Dataset
    prefix: str = ""
    actions: tuple[str, ...] = ()
    nested: bool = False


@dataclass
class TagRecorder:
    """Writes attributes and records each PHI value as a ``gt/tags.csv`` row (file, SOP UID: :meth:`rows`)."""

    records: list[TagRow] = field(default_factory=list)

    def _record(self, scope: Scope, tag: int, vr: str, kind: str, category: str, value: str, match: str) -> None:
        leaf = basic_action(Tag(tag)) or ""
        expected = next((a for a in scope.actions if a), leaf)
        self.records.append(TagRow(
            file="", sop_instance_uid="", tag_path=f"{scope.prefix}{tag_text(tag)}",
            keyword=keyword_for_tag(tag) or "", vr=vr,
            location_kind=kind, category=category, injected_value=value, match=match,
            expected_action=expected, leaf_action=leaf,
        ))

    def put(self, scope: Scope, keyword: str, value: Any, category: str | None = None, *,
            kind: str | None = None) -> None:
        """Set ``keyword`` in the scope's dataset; record it when ``category`` is given (PHI)."""
        setattr(scope.ds, keyword, value)
        if category is None or value in ("", None):
            return
        tag = _tag(keyword)
        self._record(scope, tag, dictionary_VR(tag), kind or ("nested" if scope.nested else "standard"),
                     category, str(value), "exact")

    def note(self, scope: Scope, tag: int, vr: str, kind: str, category: str, value: str, match: str) -> None:
        """Record a value that was written some other way (free text, private, overlay, icon, file meta)."""
        self._record(scope, tag, vr, kind, category, value, match)

    def sequence(self, scope: Scope, keyword: str, n_items: int = 1) -> list[Scope]:
        """Create a sequence with ``n_items`` empty items and return their scopes."""
        items = [Dataset() for _ in range(n_items)]
        setattr(scope.ds, keyword, items)
        tag = _tag(keyword)
        action = basic_action(Tag(tag)) or ""
        seq = scope.ds[keyword].value
        return [Scope(seq[i], f"{scope.prefix}{tag_text(tag)}[{i}].", scope.actions + (action,), True)
                for i in range(n_items)]

    def rows(self, file: str, sop_instance_uid: str) -> list[dict[str, str]]:
        """The recorded rows of the file ``file`` (its relative path) whose SOP Instance UID is ``sop_instance_uid``."""
        return [replace(r, file=file, sop_instance_uid=sop_instance_uid).to_row() for r in self.records]
