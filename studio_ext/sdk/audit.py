"""`studio.audit`: the audit log, its tamper-evidence check, and a CloudTrail-like export."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..schemas import AuditEvent, AuditVerification

if TYPE_CHECKING:
    from .client import Studio


def cloudtrail_record(event: AuditEvent) -> dict[str, Any]:
    """One event in the shape of an AWS CloudTrail record, so tools that read those read ours
    (`studio:` stands where CloudTrail has a service's ARN prefix)."""
    record: dict[str, Any] = {
        "eventVersion": "1.08", "eventID": str(event.event_id), "eventTime": event.time.isoformat(),
        "eventSource": "studio_ext", "eventName": event.action,
        "userIdentity": {"type": "JupyterUser", "userName": event.user},
        "resources": [{"type": event.resource_type,
                       "ARN": f"studio:{event.resource_type}/{event.resource_id or '*'}"}],
        "readOnly": False, "outcome": event.outcome.value,
        "additionalEventData": {"detail": event.detail, "hash": event.hash, "prev_hash": event.prev_hash},
    }
    if event.outcome.value != "Success":
        record["errorCode"] = event.detail.get("error_code", "Failure")
        if "message" in event.detail:
            record["errorMessage"] = event.detail["message"]
    return record


class AuditClient:
    """List the audit log, check its hash chain, export it."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def list(self, *, user: str | None = None, action: str | None = None, resource_type: str | None = None,
             resource_id: str | None = None, max_items: int = 100) -> list[AuditEvent]:
        """Recent events (who did what to which resource, with the outcome), newest first."""
        data = self._studio._http.get("audit-events", user=user, action=action, resource_type=resource_type,
                                      resource_id=resource_id, max_items=max_items)
        return [AuditEvent.model_validate(item) for item in data["items"]]

    def events(self, page_size: int = 1000) -> Iterator[AuditEvent]:
        """Every event, newest first, page by page."""
        token = None
        while True:
            data = self._studio._http.get("audit-events", max_items=page_size, next_token=token)
            yield from (AuditEvent.model_validate(item) for item in data["items"])
            token = data.get("next_token")
            if not token:
                return

    def verify(self) -> AuditVerification:
        """Whether the chain holds from the first event on; where it breaks, if it does."""
        return AuditVerification.model_validate(self._studio._http.get("audit-events/verify"))

    def export(self, path: str | os.PathLike) -> int:
        """Write every event, oldest first, as CloudTrail-like JSON Lines; returns how many."""
        events = list(self.events())
        with open(path, "w", encoding="utf-8") as fh:
            for event in reversed(events):
                fh.write(json.dumps(cloudtrail_record(event), ensure_ascii=False) + "\n")
        return len(events)
