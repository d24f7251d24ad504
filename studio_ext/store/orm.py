"""SQLAlchemy 2 tables. The database is the single source of truth for the studio's own state.

Changing a table means adding an Alembic revision under store/migrations/versions/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC (SQLite drops tzinfo; this keeps it honest everywhere)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Job(Base):
    """One run of a notebook or script. Status values are schemas.JobStatus."""

    __tablename__ = "jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    input_path: Mapped[str] = mapped_column(Text, doc="as given, relative to the server root")
    input_abspath: Mapped[str] = mapped_column(Text, doc="resolved at submission")
    working_dir: Mapped[str] = mapped_column(Text, doc="where the process runs")
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    instance_type: Mapped[str] = mapped_column(String(64), index=True)
    instance_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1",
                                                doc="instances that train together (a torchrun-style group)")
    timeout_seconds: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    environment: Mapped[dict] = mapped_column(JSON, default=dict)
    tags: Mapped[dict] = mapped_column(JSON, default=dict)
    experiment_name: Mapped[str] = mapped_column(String(200))
    mlflow_experiment_id: Mapped[str | None] = mapped_column(String(64))
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_token: Mapped[str | None] = mapped_column(String(200), unique=True)
    job_definition_id: Mapped[str | None] = mapped_column(String(32), index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="the schedule tick that created it")
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    outputs: Mapped[list] = mapped_column(JSON, default=list)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Runtime bookkeeping: which agent dispatched it, which process runs it (pid + create time
    # guard against pid reuse after a restart), when the job process last said it is alive.
    agent_id: Mapped[str | None] = mapped_column(String(64))
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_create_time: Mapped[float | None] = mapped_column(Float)
    cpu_set: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # A schedule tick creates at most one job, whatever number of agents race for it.
        UniqueConstraint("job_definition_id", "scheduled_for", name="uq_jobs_definition_tick"),
        Index("ix_jobs_status_instance_type", "status", "instance_type"),
    )


class JobDefinition(Base):
    """A schedule: a cron expression plus the job template it creates at each tick."""

    __tablename__ = "job_definitions"

    job_definition_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    schedule: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    template: Mapped[dict] = mapped_column(JSON)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    max_concurrent_runs: Mapped[int] = mapped_column(Integer, default=1)
    missed_run_policy: Mapped[str] = mapped_column(String(16), default="skip")
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Who did what to which resource, when, and whether it worked."""

    __tablename__ = "audit_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # The tamper-evident chain (security/audit_chain.py): unique prev_hash keeps it linear.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("uq_audit_events_prev_hash", "prev_hash", unique=True),)


class Agent(Base):
    """A running studio agent; heartbeat_at tells whether it is alive."""

    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Endpoint(Base):
    """Desired state of a real-time endpoint; the agent reconciles replicas toward it (issue 4).

    `config` is {"variants": [...], "data_capture": {...}} as requested; `previous_config` is what
    an update rolls back to; `deployment` is the update in progress (policy and its progress).
    """

    __tablename__ = "endpoints"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict] = mapped_column(JSON)
    previous_config: Mapped[dict | None] = mapped_column(JSON)
    deployment: Mapped[dict | None] = mapped_column(JSON)
    # A rollback asked for during an update: its own columns, so the agent finishes an update only
    # with a conditional write that a concurrent request cannot be lost to.
    rollback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rollback_requested_by: Mapped[str | None] = mapped_column(String(200))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EndpointReplica(Base):
    """One scoring-server process of an endpoint variant (pid + create time, like jobs)."""

    __tablename__ = "endpoint_replicas"

    replica_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    endpoint_name: Mapped[str] = mapped_column(String(64), index=True)
    variant: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer)
    model_uri: Mapped[str] = mapped_column(Text, doc="as requested (models:/name/version or @alias)")
    model_version: Mapped[str | None] = mapped_column(String(32), doc="what the URI resolved to")
    model_path: Mapped[str | None] = mapped_column(Text)
    instance_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), doc="Starting, Healthy, Unhealthy, Stopping")
    weight: Mapped[float] = mapped_column(Float, default=0.0, doc="traffic share in effect (router reads it)")
    port: Mapped[int | None] = mapped_column(Integer)
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_create_time: Mapped[float | None] = mapped_column(Float)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0, doc="consecutive starts that never got healthy")
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    healthy_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EndpointMetricSample(Base):
    """One replica's counters as the agent read them from /metrics: `total` since the replica started,
    `delta` since the previous sample (reset-aware). History queries sum deltas; `total` is the next
    sample's baseline, also after an agent restart. Both are {"2xx", "4xx", "5xx", "buckets": {le: n}}."""

    __tablename__ = "endpoint_metric_samples"

    sample_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_name: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(32), doc="what the replica served")
    replica_id: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    delta: Mapped[dict] = mapped_column(JSON)
    total: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_endpoint_metric_samples_endpoint_at", "endpoint_name", "at"),)


class TransformJob(Base):
    """A batch transform: the agent runs `python -m studio_ext.serving.transform` for it (issue 4)."""

    __tablename__ = "transform_jobs"

    transform_job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    model_uri: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str | None] = mapped_column(String(32))
    input_path: Mapped[str] = mapped_column(Text)
    input_abspath: Mapped[str] = mapped_column(Text)
    output_path: Mapped[str] = mapped_column(Text)
    output_abspath: Mapped[str] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(16))
    join_input: Mapped[bool] = mapped_column(Boolean, default=False)
    instance_type: Mapped[str] = mapped_column(String(64))
    chunk_mib: Mapped[float] = mapped_column(Float, default=8.0)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_create_time: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TuningJob(Base):
    """A hyperparameter tuning job (issue 11): its request as given, and what the agent's tuning
    reconciler decided. The trials are rows of `tuning_trials`; the Optuna study is rebuilt from
    them at each decision, so nothing of the search lives only in memory."""

    __tablename__ = "tuning_jobs"

    tuning_job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    request: Mapped[dict] = mapped_column(JSON, doc="CreateTuningJob as JSON, defaults filled in")
    seed: Mapped[int] = mapped_column(Integer)
    max_trials: Mapped[int] = mapped_column(Integer)
    experiment_name: Mapped[str] = mapped_column(String(256))
    mlflow_parent_run_id: Mapped[str | None] = mapped_column(String(64))
    importances: Mapped[dict] = mapped_column(JSON, default=dict)
    warm_start_trials: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TuningTrial(Base):
    """One trial of a tuning job: the values Optuna proposed, the job that runs them, the outcome.
    `intermediate` is {step: value} of the objective metric as the run logged it (early stopping)."""

    __tablename__ = "tuning_trials"

    tuning_job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trial_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(32), index=True)
    objective: Mapped[float | None] = mapped_column(Float)
    intermediate: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
