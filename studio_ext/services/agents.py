"""Agent liveness as the database sees it: the newest heartbeat in the agents table."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..store import orm
from ..store.db import Database

# An agent heartbeats every 2 s (runner/agent.py HEARTBEAT_S); like the agents themselves
# (AGENT_STALE_S), 15 s of silence means it is gone or wedged.
DEFAULT_STALE_AFTER = timedelta(seconds=15)


class BaseAgentService(ABC):
    """What the server knows of the studio agents: only what they wrote in the database.

    Built as `cls(db)` by the server (c.StudioApp.agent_service_class); the config route's
    handshake reports `status()`.
    """

    def __init__(self, db: Database, stale_after: timedelta = DEFAULT_STALE_AFTER) -> None:
        self.db = db
        self.stale_after = stale_after

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """{alive, agent_id, heartbeat_at (ISO), pid, hostname} of the most recently heard-from
        agent; alive is False when it did not heartbeat within `stale_after`, and everything
        but alive is None when no agent ever ran. A database failure raises a StudioError (the
        handshake then answers with the error instead)."""


class AgentService(BaseAgentService):
    def status(self) -> dict[str, Any]:
        with self.db.session() as session:
            row = session.scalars(
                select(orm.Agent).order_by(orm.Agent.heartbeat_at.desc()).limit(1)
            ).first()
            if row is None:
                return {"alive": False, "agent_id": None, "heartbeat_at": None, "pid": None, "hostname": None}
            alive = datetime.now(UTC) - row.heartbeat_at <= self.stale_after
            return {"alive": alive, "agent_id": row.agent_id, "heartbeat_at": row.heartbeat_at.isoformat(),
                    "pid": row.pid, "hostname": row.hostname}
