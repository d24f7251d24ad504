"""The studio key ring: keys that encrypt data at rest (captured invocation payloads).

    $STUDIO_HOME/secrets/keyring.json   (0600; or the file $STUDIO_KEYRING names)
    {"active": "k2", "keys": {"k1": "<Fernet key>", "k2": "<Fernet key>"}}

Created with one key on first use. Every sealed value names the key that sealed it
(`k2:<Fernet token>`), so a rotation (`studio keys rotate`: a new active key, the old ones kept)
leaves old data readable while new data uses the new key. Fernet (AES-128-CBC with an HMAC-SHA256
over it, from the `cryptography` package) authenticates what it decrypts: a wrong key is a clear
error, never garbage.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

KEYRING_ENV = "STUDIO_KEYRING"
KEYRING_FILE = "keyring.json"


class SealError(ValueError):
    """A value that cannot be unsealed: its key is not in the ring, or is not the key that sealed it."""


def keyring_path(home: Path) -> Path:
    """The key ring file: $STUDIO_KEYRING if set (an operator's own key file), else the home's."""
    given = os.environ.get(KEYRING_ENV)
    return Path(given) if given else Path(home) / "secrets" / KEYRING_FILE


def _fernet(key: str) -> Any:
    from cryptography.fernet import Fernet

    return Fernet(key.encode())


def _write_private(path: Path, ring: dict[str, Any]) -> None:
    """Replace the file atomically with mode 0600 (a reader never sees half a key ring)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyring-")
    with os.fdopen(fd, "w") as fh:  # mkstemp creates 0600
        json.dump(ring, fh, indent=1)
    os.replace(tmp, path)


def _new_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class KeyRing:
    """The keys of one studio; `seal` with the active key, `unseal` with the key a value names."""

    def __init__(self, path: Path, ring: dict[str, Any]):
        self.path = path
        self.active: str = ring["active"]
        self.keys: dict[str, str] = dict(ring["keys"])
        self._fernets: dict[str, Any] = {}

    @classmethod
    def load(cls, path: str | Path, create: bool = True) -> KeyRing:
        """The ring in `path`, created with one key if missing (two processes creating it at once
        agree: the first exclusive create wins)."""
        path = Path(path)
        if not path.exists() and create:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    json.dump({"active": "k1", "keys": {"k1": _new_key()}}, fh, indent=1)
        for _ in range(50):  # a concurrent creator may not have written it yet
            text = path.read_text()
            if text.strip():
                break
        try:
            ring = json.loads(text)
            if ring["active"] not in ring["keys"]:
                raise KeyError(ring["active"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SealError(f"{path} is not a studio key ring ({{\"active\": id, \"keys\": {{id: key}}}}): {exc}") from None
        return cls(path, ring)

    @classmethod
    def for_home(cls, home: Path) -> KeyRing:
        return cls.load(keyring_path(home))

    def _key(self, key_id: str) -> Any:
        if key_id not in self._fernets:
            if key_id not in self.keys:
                raise SealError(f"sealed with key {key_id!r}, which the key ring {self.path} does not hold "
                                f"(it holds {', '.join(sorted(self.keys))})")
            self._fernets[key_id] = _fernet(self.keys[key_id])
        return self._fernets[key_id]

    def seal(self, data: bytes) -> str:
        return f"{self.active}:{self._key(self.active).encrypt(data).decode()}"

    def unseal(self, sealed: str) -> bytes:
        from cryptography.fernet import InvalidToken

        key_id, sep, token = sealed.partition(":")
        if not sep:
            raise SealError("not a sealed value (expected <key id>:<token>)")
        try:
            return bytes(self._key(key_id).decrypt(token.encode()))
        except InvalidToken:
            raise SealError(f"cannot decrypt with key {key_id!r} of {self.path}: it is not the key that sealed this "
                            "(a replaced key ring?) or the value was altered") from None

    def rotate(self) -> str:
        """A new active key (k<n+1>); the old keys stay to read what they sealed."""
        number = 1 + max((int(k[1:]) for k in self.keys if k[1:].isdigit()), default=0)
        key_id = f"k{number}"
        self.keys[key_id] = _new_key()
        self.active = key_id
        _write_private(self.path, {"active": self.active, "keys": self.keys})
        return key_id
