"""`studio keys list|rotate`: the key ring that seals data at rest, on this machine's STUDIO_HOME.

Like `studio agent`, these act on local files, not through the server: a key never travels over
the REST API.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._common import consoles


def _ring(home: str | None):
    # The CLI's other import outside the SDK (with `studio agent`), kept lazy.
    from ..paths import studio_home
    from ..security.keys import KeyRing

    return KeyRing.for_home(Path(home) if home else studio_home())


@click.group("keys")
def keys() -> None:
    """The key ring that seals captured payloads at rest (local STUDIO_HOME)."""


@keys.command("list")
@click.option("--home", help="STUDIO_HOME (default: $STUDIO_HOME or the Jupyter data dir)")
def list_keys(home):
    """The key ids, and which one seals new data."""
    ring = _ring(home)
    for key_id in sorted(ring.keys, key=lambda k: int(k[1:]) if k[1:].isdigit() else 0):
        consoles.out.print(f"{key_id}{'  (active)' if key_id == ring.active else ''}")
    consoles.err.print(f"Key ring: {ring.path}")


@keys.command("rotate")
@click.option("--home", help="STUDIO_HOME (default: $STUDIO_HOME or the Jupyter data dir)")
def rotate(home):
    """Make a new key the active one; older keys stay to read what they sealed. Replicas started
    from now on seal with it (restart an endpoint, e.g. update it, to move its replicas over)."""
    ring = _ring(home)
    key_id = ring.rotate()
    consoles.out.print(f"New active key {key_id} in {ring.path}")
