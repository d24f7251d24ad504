"""Job state transitions shared by job processes and the agent, as conditional UPDATEs.

Every transition names the status (and attempt) it expects, so when the job process, the agent
and a second agent race for one job, exactly one write wins and nobody overwrites a final status.
A job process also leaves result.json before writing its final status, so an agent that finds
the process dead can still report what really happened.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from ..schemas import JobStatus
from ..store import orm
from ..store.db import Database, rowcount

ACTIVE = [s.value for s in JobStatus if s.is_active]
RESULT_FILE = "result.json"


def utcnow() -> datetime:
    return datetime.now(UTC)


def stopped_reason(row_reason: str | None) -> str:
    """'stop requested by bob' (written by stop_job) becomes 'stopped by bob'."""
    if row_reason and row_reason.startswith("stop requested by "):
        return "stopped by " + row_reason[len("stop requested by "):]
    return "stopped"


class JobState:
    def __init__(self, db: Database):
        self.db = db

    def get(self, job_id: str) -> orm.Job | None:
        with self.db.session() as session:
            return session.get(orm.Job, job_id)

    def begin_attempt(self, job_id: str, pid: int, pid_create_time: float) -> orm.Job | None:
        """Starting -> InProgress by the job process; None if the job is no longer ours to run."""
        now = utcnow()
        with self.db.session() as session:
            row = session.get(orm.Job, job_id)
            if row is None or row.status != JobStatus.STARTING.value:
                return row
            # started_at is the first attempt's start (the job's duration); each attempt's own
            # start, which its timeout counts from, lives in progress.
            progress = {"attempt_started_at": now.isoformat()}
            result = session.execute(
                update(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status == JobStatus.STARTING.value)
                .values(status=JobStatus.IN_PROGRESS.value, pid=pid, pid_create_time=pid_create_time,
                        started_at=row.started_at or now, heartbeat_at=now, progress=progress))
            if rowcount(result) != 1:
                return None
        return self.get(job_id)

    def update(self, job_id: str, **values: Any) -> None:
        """Progress/bookkeeping fields of a job that is still active (never resurrects a final one)."""
        with self.db.session() as session:
            session.execute(update(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status.in_(ACTIVE))
                            .values(**values))

    def poll(self, job_id: str) -> tuple[str | None, datetime | None, str | None]:
        """(status, stop_requested_at, status_reason): what the job process watches."""
        with self.db.session() as session:
            row = session.execute(select(orm.Job.status, orm.Job.stop_requested_at, orm.Job.status_reason)
                                  .where(orm.Job.job_id == job_id)).first()
        return (row[0], row[1], row[2]) if row else (None, None, None)

    def finish_attempt(self, job_id: str, attempt: int, status: JobStatus, reason: str | None,
                       exit_code: int | None = None) -> JobStatus | None:
        """End an attempt: a failure with retries left goes back to Queued (attempt + 1); a job
        whose stop was requested ends Stopped unless it had already completed. Returns the status
        written, or None if the job had already left this attempt (someone else finished it)."""
        now = utcnow()
        with self.db.session() as session:
            row = session.get(orm.Job, job_id)
            if row is None or row.attempt != attempt or row.status not in ACTIVE:
                return None
            guard = (orm.Job.job_id == job_id, orm.Job.attempt == attempt, orm.Job.status.in_(ACTIVE))
            if row.stop_requested_at is not None and status != JobStatus.COMPLETED:
                status, reason = JobStatus.STOPPED, stopped_reason(row.status_reason)
            if status == JobStatus.FAILED and attempt <= row.max_retries:
                values = dict(
                    status=JobStatus.QUEUED.value, attempt=attempt + 1, exit_code=exit_code,
                    status_reason=f"retrying (attempt {attempt + 1} of {row.max_retries + 1}) after: {reason}",
                    pid=None, pid_create_time=None, agent_id=None, cpu_set=None, progress={},
                )
                written = JobStatus.QUEUED
            else:
                progress = dict(row.progress or {})
                progress["current_cell"] = None
                progress["current_cell_source"] = None
                values = dict(status=status.value, status_reason=reason, exit_code=exit_code, ended_at=now,
                              progress=progress)
                written = status
            result = session.execute(update(orm.Job).where(*guard).values(**values))
            return written if rowcount(result) == 1 else None


def write_result(job_dir: Path, attempt: int, status: JobStatus, reason: str | None,
                 exit_code: int | None) -> None:
    """The attempt's outcome on disk, written before the database (see the module docstring)."""
    tmp = job_dir / (RESULT_FILE + ".tmp")
    tmp.write_text(json.dumps({"attempt": attempt, "status": status.value, "reason": reason,
                               "exit_code": exit_code}))
    os.replace(tmp, job_dir / RESULT_FILE)


def read_result(job_dir: Path, attempt: int) -> dict | None:
    try:
        data = json.loads((job_dir / RESULT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("attempt") == attempt else None
