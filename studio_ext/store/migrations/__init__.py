"""Alembic migrations, run programmatically: `upgrade(url)` brings any database to head."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None  # the package ships its migrations: there is always a head
    return head


def current_revision(url: str) -> str | None:
    from ..db import get_engine

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _migration_lock(url: str):
    # Several processes (server, agent, job processes) may start at once against a new SQLite
    # file; a file lock makes exactly one of them migrate. PostgreSQL serializes DDL itself.
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        lock_path = url.split("///", 1)[1] + ".migrate.lock"
        os.makedirs(os.path.dirname(lock_path) or ".", exist_ok=True)
        with open(lock_path, "w", opener=lambda name, flags: os.open(name, flags, 0o600)) as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        yield


def upgrade(url: str, revision: str = "head") -> None:
    if revision == "head" and current_revision(url) == head_revision():
        return  # the common case, kept cheap: job processes call this at start
    with _migration_lock(url):
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    with _migration_lock(url):
        command.downgrade(alembic_config(url), revision)
