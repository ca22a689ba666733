"""PS3.15 Annex E confidentiality profile tables, kept as data (see ``SOURCE.md``)."""

from .annex_e import (
    ACTIONS,
    TABLE_EDITION,
    TABLE_SHA256,
    ProfileRow,
    action_for_keyword,
    basic_action,
    load_table,
)

__all__ = [
    "ACTIONS",
    "TABLE_EDITION",
    "TABLE_SHA256",
    "ProfileRow",
    "action_for_keyword",
    "basic_action",
    "load_table",
]
