"""Schedules (job definitions): CRUD, next-tick computation, and firing due ticks.

CONTRACT ONLY (to be implemented by the schedules work).
"""

from __future__ import annotations

from datetime import datetime

from .. import schemas
from ..settings import StudioSettings
from ..store.db import Database
from .jobs import JobService


class ScheduleService:
    def __init__(self, db: Database, settings: StudioSettings, jobs: JobService):
        self.db = db
        self.settings = settings
        self.jobs = jobs

    def create(self, request: schemas.CreateJobDefinition, user: str | None) -> str:
        raise NotImplementedError

    def describe(self, job_definition_id: str) -> schemas.DescribeJobDefinition:
        raise NotImplementedError

    def list(self, query: schemas.ListJobDefinitionsQuery) -> schemas.ListJobDefinitionsResponse:
        raise NotImplementedError

    def update(self, job_definition_id: str, request: schemas.UpdateJobDefinition) -> None:
        raise NotImplementedError

    def delete(self, job_definition_id: str) -> None:
        raise NotImplementedError

    def fire_due(self, now: datetime | None = None) -> list[str]:
        """Called by every agent loop: create the jobs of due ticks (honouring pause,
        max_concurrent_runs and missed_run_policy) and advance next_run_at. Safe with several
        agents on one database: each tick creates exactly one job. Returns the new job ids."""
        raise NotImplementedError
