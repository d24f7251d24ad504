"""The audit log as a hash chain: each event carries the SHA-256 of its content and of the event
before it, so a change to any recorded event, or an event removed or slipped in, breaks the chain
at that point (what `studio audit verify` reports). CloudTrail's log-file digests do the same per
file; here it is per event, because the studio's log is rows of its database.

The chain is linear: `prev_hash` is unique in the table, so two writers racing to append after
the same event cannot both win; the loser reads the new last event and appends after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the prev_hash of the first event


def canonical_time(value: datetime) -> str:
    """The time as the database gives it back: naive UTC, microseconds."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def event_hash(prev_hash: str, *, time: datetime, user: str, action: str, resource_type: str,
               resource_id: str | None, outcome: str, detail: dict[str, Any] | None) -> str:
    """SHA-256 over the previous hash and the event's fields as canonical JSON."""
    content = json.dumps({"time": canonical_time(time), "user": user, "action": action,
                          "resource_type": resource_type, "resource_id": resource_id, "outcome": outcome,
                          "detail": detail or {}}, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                         default=str)
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def hash_of(row: Any, prev_hash: str) -> str:
    """The hash an event row (anything with the audit event's attributes) should carry."""
    return event_hash(prev_hash, time=row.time, user=row.user, action=row.action, resource_type=row.resource_type,
                      resource_id=row.resource_id, outcome=row.outcome, detail=row.detail)


@dataclass
class ChainCheck:
    events_checked: int
    first_broken_event_id: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken_event_id is None


def verify(rows: Iterable[Any]) -> ChainCheck:
    """Walk the events in id order (the order they were appended); stop at the first that does
    not hold: its content changed (its hash no longer matches), or the event before it is not the
    one it was appended after (one removed, inserted or reordered)."""
    expected_prev = GENESIS
    checked = 0
    for row in rows:
        if row.prev_hash != expected_prev:
            return ChainCheck(checked, row.event_id, "its prev_hash is not the hash of the event before it: an "
                                                     "event was removed, inserted or reordered just before it")
        if row.hash != hash_of(row, row.prev_hash):
            return ChainCheck(checked, row.event_id, "its hash does not match its content: the event was changed")
        expected_prev = row.hash
        checked += 1
    return ChainCheck(checked)
