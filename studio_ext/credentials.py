"""Secrets the studio's own processes share to recognise each other, kept in STUDIO_HOME.

Every listener the studio starts refuses strangers. Endpoint replicas listen on loopback ports
(a Unix socket would do for the router, but an operator's Prometheus scrapes them over TCP), so
they require `Authorization: Bearer <replica token>`: the agent that starts them passes the token
in their environment (not argv, which every local user can read), and the Jupyter server's router
and the agent's health checks send it. The token lives in `$STUDIO_HOME/secrets/` (0700/0600),
readable only by the account that runs the studio (and by root).
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from pathlib import Path

REPLICA_TOKEN_ENV = "STUDIO_REPLICA_TOKEN"
SECRETS_DIR = "secrets"


def secret_file(home: Path, name: str) -> Path:
    """`$STUDIO_HOME/secrets/<name>`, created (with a fresh random token) on first use.

    Two processes creating it at once agree: the first O_EXCL create wins and the other reads it.
    """
    folder = Path(home) / SECRETS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(32))
    return path


@functools.cache
def _read_secret(path: Path) -> str:
    for _ in range(50):  # a concurrent creator may not have written it yet
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty; delete it and restart the studio")


def replica_token(home: Path) -> str:
    """The bearer token endpoint replicas require (see the module docstring)."""
    return _read_secret(secret_file(Path(home).resolve(), "replica-token"))


def bearer(token: str) -> dict[str, str]:
    """The request header that carries `token`."""
    return {"Authorization": f"Bearer {token}"}
