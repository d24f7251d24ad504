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
