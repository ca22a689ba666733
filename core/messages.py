"""No values in error messages: what the validators (dcmtk, dciodvfy) say about a file, without the file's
attribute values (possible PHI) or its path, so that messages can be logged, summarised and compared."""

from __future__ import annotations

import os
import re
from pathlib import Path

# <...> groups that name things (kept); any other <...> holds a value.
_KEEP_BEFORE_ANGLE = re.compile(
    r"(?:\b(?:Element|Module|Macro|Sequence|IOD|CompositeIOD|FunctionalGroup)\s*=\s*"
    r"|\b(?:attribute|Module|Macro|Sequence|Element|IOD|Functional Group)\s+)$",
    re.IGNORECASE,
)
_NAME_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9 '()/&,.\-]*$")
_ANGLE = re.compile(r"<([^<>]*)>")
# Unbracketed values, redacted up to the next " - " separator or the end.
_VALUE_TAIL = re.compile(
    r"(\b(?:values are|value is|which has value|has value|values? =|got -)\s+)(?!<)(.+?)(?=\s+-\s|$)",
    re.IGNORECASE,
)
# A quoted string (not an apostrophe inside a word such as "can't"),
# with dciodvfy's "(0x39)" character code after it.
_QUOTED = re.compile(r"(?<!\w)(['\"])([^'\"]*)\1(?!\w)(\s*\(0x[0-9A-Fa-f]+\))?")
REDACTED = "<…>"


def _is_keyword(text: str) -> bool:
    """True for a DICOM attribute keyword such as ``PhotometricInterpretation`` (not a value)."""
    from pydicom.datadict import tag_for_keyword  # dictionary lookup only; parsing stays dcmtk's

    return bool(re.fullmatch(r"[A-Z][A-Za-z0-9]+", text)) and tag_for_keyword(text) is not None


def redact_message(message: str, path: Path | str | None = None) -> str:
    """Remove attribute values (possible PHI) and the file path from a message.

    ``<...>`` groups are kept only when they name an element, attribute,
    module, macro or sequence (``Element=<Laterality>``, ``attribute
    <Patient's Sex>``); every other ``<...>`` becomes ``<…>``. Quoted strings
    and the unbracketed tails after ``values are``/``value is``/... are
    redacted too. Redaction also makes identical problems in different files
    produce identical messages, which :func:`phiphantom.synth.external_validators.summarise_messages` relies on.
    """
    msg = message.replace("\x00", "").rstrip()
    if path is not None:
        # longest first, so a full path is replaced before a shorter spelling of it
        for p in sorted({str(path), os.fspath(Path(path).resolve())}, key=len, reverse=True):
            if p:
                msg = msg.replace(p, "<file>")

    # Split into kept <name> groups (placeholders) and free text.
    kept: list[str] = []

    def angle(m: re.Match[str]) -> str:
        before = msg[: m.start()]
        if _KEEP_BEFORE_ANGLE.search(before) and _NAME_LIKE.match(m.group(1)) and m.group(1) != "file":
            kept.append(m.group(0))
            return f"\x00{len(kept) - 1}\x00"
        if m.group(1) == "file":
            return m.group(0)
        return REDACTED

    out = _ANGLE.sub(angle, msg)
    out = _QUOTED.sub(
        lambda m: m.group(0) if _is_keyword(m.group(2)) else m.group(1) + "…" + m.group(1), out
    )
    out = _VALUE_TAIL.sub(lambda m: m.group(1) + REDACTED, out)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], out)
