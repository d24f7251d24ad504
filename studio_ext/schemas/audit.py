"""Audit events: who did what to which resource, when, and how it ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ._base import MAX_PAGE_SIZE, _Model
from .limits import PageToken


class AuditOutcome(StrEnum):
    SUCCESS = "Success"
    FAILURE = "Failure"



class AuditEvent(_Model):
    event_id: int
    time: datetime
    user: str
    action: str = Field(description="e.g. CreateJob, StopJob, UpdateJobDefinition")
    resource_type: str
    resource_id: str | None = None
    outcome: AuditOutcome
    detail: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str | None = Field(default=None, description="the hash of the event before it (the first: 64 zeros)")
    hash: str | None = Field(default=None, description="SHA-256 of prev_hash and this event's fields: the chain "
                                                       "GET /studio/api/audit-events/verify checks")


class AuditVerification(_Model):
    """GET /studio/api/audit-events/verify: whether the hash chain holds from the first event on."""

    intact: bool
    events_checked: int = Field(description="events that hold, from the first (all of them when intact)")
    first_broken_event_id: int | None = Field(default=None, description="where the chain breaks")
    reason: str | None = Field(default=None, description="what is wrong with that event")


class ListAuditEventsQuery(_Model):
    user: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: PageToken | None = None


class ListAuditEventsResponse(_Model):
    items: list[AuditEvent]
    next_token: str | None = None
