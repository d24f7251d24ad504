"""The audit log: every mutation records who, what, which resource, outcome and time."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import select

from .. import schemas
from ..exceptions import Conflict, ServiceUnavailable
from ..security import audit_chain
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

    @abstractmethod
    def verify(self) -> schemas.AuditVerification:
        """Check the whole hash chain; the first event where it breaks, if it does."""


class AuditService(BaseAuditService):
    """The audit log in the studio database, each event chained to the one before it
    (security/audit_chain.py)."""

    APPEND_TRIES = 50  # writers racing for the end of the chain: each loss costs one re-read

    def record(self, user: str, action: str, resource_type: str, resource_id: str | None,
               outcome: schemas.AuditOutcome, detail: dict[str, Any] | None = None) -> None:
        for _ in range(self.APPEND_TRIES):
            try:
                with self.db.session() as session:
                    prev = session.scalar(select(orm.AuditEvent.hash).order_by(orm.AuditEvent.event_id.desc())
                                          .limit(1)) or audit_chain.GENESIS
                    row = orm.AuditEvent(time=orm.utcnow(), user=user or "anonymous", action=action,
                                         resource_type=resource_type, resource_id=resource_id,
                                         outcome=outcome.value, detail=detail or {}, prev_hash=prev)
                    row.hash = audit_chain.hash_of(row, prev)
                    session.add(row)
                return
            except Conflict:
                continue  # another writer appended after the same event first (prev_hash is unique)
        raise ServiceUnavailable(f"audit log: could not append after {self.APPEND_TRIES} tries (too many writers)")

    def verify(self) -> schemas.AuditVerification:
        with self.db.session() as session:
            rows = session.execute(select(orm.AuditEvent.event_id, orm.AuditEvent.time, orm.AuditEvent.user,
                                          orm.AuditEvent.action, orm.AuditEvent.resource_type,
                                          orm.AuditEvent.resource_id, orm.AuditEvent.outcome, orm.AuditEvent.detail,
                                          orm.AuditEvent.prev_hash, orm.AuditEvent.hash)
                                   .order_by(orm.AuditEvent.event_id).execution_options(yield_per=1000))
            check = audit_chain.verify(rows)
        return schemas.AuditVerification(intact=check.intact, events_checked=check.events_checked,
                                         first_broken_event_id=check.first_broken_event_id, reason=check.reason)

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
                                       outcome=schemas.AuditOutcome(r.outcome), detail=r.detail or {},
                                       prev_hash=r.prev_hash, hash=r.hash)
                    for r in items
                ],
                next_token=token,
            )
