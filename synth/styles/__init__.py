"""Style packs: a style of device screen as data (one TOML file per pack), its schema and registry.

``load_pack(path)`` reads and validates one file; ``list_packs()``, ``get_pack(name)`` and
``select(styles, exclude)`` give the shipped packs (``synth/styles/packs/*.toml``; ``classic`` is the
generator's own look). See docs/style-packs.md.
"""

from __future__ import annotations

from .registry import DEFAULT_PACK, check_references, get_pack, list_packs, pack_names, packs_dir, select
from .schema import PackError, StylePack, load_pack

__all__ = ["DEFAULT_PACK", "PackError", "StylePack", "check_references", "get_pack", "list_packs", "load_pack",
           "pack_names", "packs_dir", "select"]
