"""Endpoint metric history: what each replica answered, sampled from its /metrics into the database."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import delete, select

from ...schemas import ReplicaStatus
from ...serving.metrics import (
    COUNTER_KEYS,
    METRICS_SAMPLE_S,
    counts_since,
    fetch_metrics,
    parse_prometheus,
)
from ...store import orm
from ...store.db import Database
from .base import utcnow

METRICS_RETENTION_S = 7 * 86400.0  # the longest history the metrics route serves
PRUNE_EVERY_S = 3600.0
SAMPLED = (ReplicaStatus.HEALTHY, ReplicaStatus.UNHEALTHY, ReplicaStatus.STOPPING)


class MetricSampler:
    """One row per busy replica and sample: the counts since the previous sample (`delta`) and the
    replica's totals then (`total`, the baseline a restarted agent continues from). A replica
    restarted from zero counters is read as a reset, so the history neither loses nor double-counts.
    """

    def __init__(self, db: Database, token: str):
        self.db = db
        self.token = token  # the replicas' bearer token (credentials.py)
        self.every = METRICS_SAMPLE_S
        self.last_sample: dict[str, float] = {}  # endpoint -> when its replicas were last sampled
        self.last_totals: dict[str, dict] = {}  # replica -> its counters at the last sample
        self.last_prune = 0.0

    def sample(self, name: str, replicas: list[orm.EndpointReplica]) -> None:
        """Every `every` seconds: each serving replica's counters into the history."""
        now = time.monotonic()
        if now - self.last_sample.get(name, 0.0) < self.every:
            return
        self.last_sample[name] = now
        self.write(name, [r for r in replicas if r.status in SAMPLED])

    def write(self, name: str, replicas: list[orm.EndpointReplica]) -> None:
        """Sample `replicas` now (also what a replica answered last, just before it is stopped)."""
        at, rows = utcnow(), []
        for r in replicas:
            if not r.port:
                continue
            text = fetch_metrics(r.port, self.token)
            if not text:
                continue
            total = parse_prometheus(text)
            previous = self.last_totals.get(r.replica_id)
            if previous is None:  # a new replica, or this agent just started: the stored baseline
                with self.db.session() as session:
                    previous = session.scalar(
                        select(orm.EndpointMetricSample.total).where(orm.EndpointMetricSample.replica_id == r.replica_id)
                        .order_by(orm.EndpointMetricSample.at.desc(), orm.EndpointMetricSample.sample_id.desc())
                        .limit(1))
            self.last_totals[r.replica_id] = total
            delta = counts_since(previous, total)
            if any(delta.get(k) for k in COUNTER_KEYS):  # an idle replica writes nothing
                rows.append(orm.EndpointMetricSample(endpoint_name=name, variant=r.variant, replica_id=r.replica_id,
                                                     model_version=r.model_version, at=at, delta=delta, total=total))
        if rows:
            with self.db.session() as session:
                session.add_all(rows)

    def forget(self, replica_id: str) -> None:
        """A replica that stopped: its totals are no baseline for anything any more."""
        self.last_totals.pop(replica_id, None)

    def prune_if_due(self) -> None:
        """Once every PRUNE_EVERY_S: drop samples older than METRICS_RETENTION_S."""
        if time.monotonic() - self.last_prune < PRUNE_EVERY_S:
            return
        self.last_prune = time.monotonic()
        cutoff = datetime.fromtimestamp(time.time() - METRICS_RETENTION_S, UTC)
        with self.db.session() as session:
            session.execute(delete(orm.EndpointMetricSample).where(orm.EndpointMetricSample.at < cutoff))
