"""The audit log: every mutation records who, what, which resource, outcome and time."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import select

from .. import schemas
from ..store import orm
from ..store.db import Database
from .pagination import decode_token, split_page


class BaseAuditService(ABC):
    """The audit log: append-only events (who, action, resource, outcome, detail, time).

    Built as `cls(db)` by the server (c.StudioApp.audit_service_class) and by every agent (for
    the schedule ticks it skips or cannot run). Every mutating REST call records one event, on
    success and on failure, before its response is sent.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    def record(self, user: str, action: str, resource_type: str, resource_id: str | None,
               outcome: schemas.AuditOutcome, detail: dict[str, Any] | None = None) -> None:
        """Append one event (an empty user is recorded as 'anonymous'). May raise when the store
        fails; callers that must not fail because of the audit log catch and log that."""

    @abstractmethod
    def list_events(self, query: schemas.ListAuditEventsQuery) -> schemas.ListAuditEventsResponse:
        """One page of events, newest first, filtered by user, action and resource as given."""


class AuditService(BaseAuditService):
    def record(self, user: str, action: str, resource_type: str, resource_id: str | None,
               outcome: schemas.AuditOutcome, detail: dict[str, Any] | None = None) -> None:
        with self.db.session() as session:
            session.add(orm.AuditEvent(user=user or "anonymous", action=action, resource_type=resource_type,
                                       resource_id=resource_id, outcome=outcome.value, detail=detail or {}))

    def list_events(self, query: schemas.ListAuditEventsQuery) -> schemas.ListAuditEventsResponse:
        offset = decode_token(query.next_token)
        stmt = select(orm.AuditEvent).order_by(orm.AuditEvent.event_id.desc())
        for name in ("user", "action", "resource_type", "resource_id"):
            value = getattr(query, name)
            if value is not None:
                stmt = stmt.where(getattr(orm.AuditEvent, name) == value)
        with self.db.session() as session:
            rows = session.scalars(stmt.offset(offset).limit(query.max_items + 1)).all()
            items, token = split_page(list(rows), offset, query.max_items)
            return schemas.ListAuditEventsResponse(
                items=[
                    schemas.AuditEvent(event_id=r.event_id, time=r.time, user=r.user, action=r.action,
                                       resource_type=r.resource_type, resource_id=r.resource_id,
                                       outcome=schemas.AuditOutcome(r.outcome), detail=r.detail or {})
                    for r in items
                ],
                next_token=token,
            )
