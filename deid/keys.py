"""The secret key behind every pseudonym: from a key file, an environment variable, or ephemeral.

There is no built-in default key or salt. Without a key the engine refuses to
run, unless ``--ephemeral-key`` asks for a random one (pseudonyms are then
consistent within the run only, and the key is never written unless asked).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from phiphantom.core.vocabulary import KEY_ENV

MIN_KEY_BYTES = 16


class DeidKeyError(ValueError):
    """No usable key (message never contains key material)."""


def _decode(text: str) -> bytes:
    """Hex text -> bytes; base64 of >= 16 bytes -> bytes; anything else is a UTF-8 passphrase."""
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        data = base64.b64decode(text, validate=True)
        if len(data) >= MIN_KEY_BYTES:
            return data
    except (ValueError, binascii.Error):
        pass
    return text.encode("utf-8")


def load_key(key_file: Path | None = None, *, ephemeral: bool = False,
             env: Mapping[str, str] | None = None) -> tuple[bytes, str]:
    """The key and where it came from (``"file"``, ``"env"``, ``"ephemeral"``).

    Order: ``key_file``, then ``$PHIPHANTOM_DEID_KEY``, then a random key if ``ephemeral``.
    """
    env = os.environ if env is None else env
    if key_file is not None:
        path = Path(key_file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DeidKeyError(f"cannot read the key file {path} ({exc.strerror})") from None
        try:
            key = _decode(data.decode("utf-8"))
        except UnicodeDecodeError:
            key = data
        source = "file"
    elif env.get(KEY_ENV):
        key, source = _decode(env[KEY_ENV]), "env"
    elif ephemeral:
        return secrets.token_bytes(32), "ephemeral"
    else:
        raise DeidKeyError(f"no de-identification key: give --key-file FILE or set ${KEY_ENV} "
                        "(or --ephemeral-key for a random one-off key); there is no default key")
    if len(key) < MIN_KEY_BYTES:
        raise DeidKeyError(f"the key is too short: at least {MIN_KEY_BYTES} bytes are needed")
    return key, source


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file readable by its owner only (mode 0600), created that way from the start."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    try:
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)
        os.write(fd, data)
    finally:
        os.close(fd)
