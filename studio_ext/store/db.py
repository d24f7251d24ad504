"""Engine creation (SQLite in WAL mode or any SQLAlchemy URL), migrations, and managed sessions."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..exceptions import Conflict, ServiceUnavailable, StudioError

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the server read while the agent and job processes write; busy_timeout makes a
    # writer wait for the lock instead of failing at once when several processes write.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def rowcount(result: Result) -> int:
    """Rows an UPDATE/DELETE changed: how a conditional write (`WHERE status = <expected>`) tells
    whether it won. session.execute() is typed as returning Result; DML gives a CursorResult."""
    return cast(CursorResult, result).rowcount


def _create_private(path: Path) -> None:
    """The database file, created empty and 0600 before SQLite does (its -wal and -shm files take
    the database file's mode): it holds job environments, which may be secrets."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def get_engine(url: str) -> Engine:
    """One engine per URL per process (engines pool connections; never share across fork)."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    _create_private(Path(path))
                engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Drop pooled connections (after fork, in tests)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def upgrade_database(url: str) -> None:
    """Bring the schema to the newest Alembic revision (safe to call from every process)."""
    from .migrations import upgrade

    upgrade(url)


class Database:
    """A URL plus a session factory; what services, the agent and job processes share."""

    def __init__(self, url: str, migrate: bool = True):
        self.url = url
        if migrate:
            upgrade_database(url)
        self.engine = get_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error, and turns database failures
        into StudioErrors (locked/unreachable -> 503, constraint violations -> 409)."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except StudioError:
            session.rollback()
            raise
        except IntegrityError as exc:
            session.rollback()
            raise Conflict(f"conflicting write: {exc.orig}") from exc
        except OperationalError as exc:
            session.rollback()
            raise ServiceUnavailable(f"database unavailable: {exc.orig}") from exc
        except SQLAlchemyError:
            session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
