"""Jobs: submission (validation, input snapshot), queries, stop, delete, logs and outputs.

Submission only writes a Queued row and a snapshot; the studio agent (runner/) dispatches it.
CONTRACT ONLY (to be implemented by the runtime work): the signatures and docstrings below are
what handlers, schedules and the SDK rely on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .. import schemas
from ..settings import StudioSettings
from ..store.db import Database


class JobService:
    def __init__(self, db: Database, settings: StudioSettings):
        self.db = db
        self.settings = settings

    def create_job(self, request: schemas.CreateJob, user: str | None, *,
                   job_definition_id: str | None = None, scheduled_for: datetime | None = None) -> str:
        """Validate, snapshot the input under $STUDIO_HOME/jobs/<id>/input, insert a Queued job.

        Raises InvalidParameter naming the field: input outside the server root, missing file,
        unknown kind/extension, unknown instance type, parameters given to a notebook without a
        cell tagged `parameters`. The same idempotency_token returns the first job's id.
        With (job_definition_id, scheduled_for) it is a schedule tick: a second call for the same
        tick raises Conflict (unique constraint), which is how two agents fire a tick once.
        """
        raise NotImplementedError

    def describe_job(self, job_id: str) -> schemas.DescribeJob:
        """NotFound if there is no such job."""
        raise NotImplementedError

    def list_jobs(self, query: schemas.ListJobsQuery) -> schemas.ListJobsResponse:
        raise NotImplementedError

    def stop_job(self, job_id: str, user: str | None = None) -> None:
        """Queued -> Stopped at once; Starting/InProgress -> Stopping (the job process or the agent
        then stops it and sets Stopped). Terminal jobs: Conflict."""
        raise NotImplementedError

    def delete_job(self, job_id: str) -> None:
        """Removes the row and its folder. Conflict while the job is active (stop it first)."""
        raise NotImplementedError

    def read_logs(self, job_id: str, offset: int = 0, max_bytes: int = 1 << 20) -> schemas.JobLogs:
        raise NotImplementedError

    def output_file(self, job_id: str, name: str) -> Path:
        """The path of one output (NotFound if absent; InvalidParameter if name escapes the folder)."""
        raise NotImplementedError

    def notebook_parameters(self, input_path: str) -> dict:
        """The parameters cell of a notebook under the server root: {name: {default, type}}, for
        the run-as-job form. InvalidParameter/NotFound like create_job."""
        raise NotImplementedError
