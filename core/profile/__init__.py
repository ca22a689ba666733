"""PS3.15 Annex E confidentiality profile tables, kept as data (see ``SOURCE.md``)."""

from .annex_e import (
    ACTIONS,
    ATTRIBUTE_TYPES,
    OPTIONS,
    TABLE_EDITION,
    TABLE_SHA256,
    ProfileRow,
    action_for_keyword,
    basic_action,
    choose_action,
    effective_action,
    load_table,
)
from .iod_types import attribute_type

__all__ = [
    "ACTIONS",
    "ATTRIBUTE_TYPES",
    "OPTIONS",
    "TABLE_EDITION",
    "TABLE_SHA256",
    "ProfileRow",
    "action_for_keyword",
    "attribute_type",
    "basic_action",
    "choose_action",
    "effective_action",
    "load_table",
]
