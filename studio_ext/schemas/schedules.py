"""Job definitions: the job a cron schedule creates at each tick."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from ._base import MAX_PAGE_SIZE, _Model
from .jobs import DEFAULT_INSTANCE_TYPE, DEFAULT_TIMEOUT_SECONDS, JobKind
from .limits import MAX_NAME, Environment, InputPath, PageToken, Parameters, Tags


class MissedRunPolicy(StrEnum):
    """What a schedule does with the ticks it missed while no agent was running."""

    SKIP = "skip"  # forget them; fire at the next tick in the future
    RUN_ONCE = "run_once"  # fire one run now for all of them, then resume



class JobTemplate(_Model):
    """The job a schedule creates at each tick (CreateJob without the idempotency token)."""

    name: str | None = Field(default=None, max_length=200)
    kind: JobKind | None = None
    input: InputPath
    parameters: Parameters = Field(default_factory=dict)
    instance_type: str = Field(default=DEFAULT_INSTANCE_TYPE, max_length=MAX_NAME)
    timeout_seconds: int = Field(default=DEFAULT_TIMEOUT_SECONDS, ge=1, le=30 * 24 * 3600)
    max_retries: int = Field(default=0, ge=0, le=10)
    environment: Environment = Field(default_factory=dict)
    tags: Tags = Field(default_factory=dict)
    experiment_name: str | None = Field(default=None, max_length=MAX_NAME)


class CreateJobDefinition(_Model):
    name: str = Field(min_length=1, max_length=200)
    schedule: str = Field(description="cron expression, 5 fields (minute hour day month weekday)")
    timezone: str = "UTC"
    job: JobTemplate
    paused: bool = False
    max_concurrent_runs: int = Field(default=1, ge=1, le=100)
    missed_run_policy: MissedRunPolicy = MissedRunPolicy.SKIP


class UpdateJobDefinition(_Model):
    """PATCH: only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    schedule: str | None = None
    timezone: str | None = None
    job: JobTemplate | None = None
    paused: bool | None = None
    max_concurrent_runs: int | None = Field(default=None, ge=1, le=100)
    missed_run_policy: MissedRunPolicy | None = None


class CreateJobDefinitionResponse(_Model):
    job_definition_id: str


class DescribeJobDefinition(_Model):
    job_definition_id: str
    name: str
    schedule: str
    timezone: str
    job: JobTemplate
    paused: bool
    max_concurrent_runs: int
    missed_run_policy: MissedRunPolicy
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime


class ListJobDefinitionsQuery(_Model):
    name: str | None = None
    paused: bool | None = None
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: PageToken | None = None
    sort_by: str = "-created_at"

    @field_validator("sort_by")
    @classmethod
    def _sort_key(cls, value: str) -> str:
        if value.lstrip("-") not in {"created_at", "name", "next_run_at"}:
            raise ValueError("must be one of created_at, name, next_run_at, optionally prefixed by '-'")
        return value


class ListJobDefinitionsResponse(_Model):
    items: list[DescribeJobDefinition]
    next_token: str | None = None
