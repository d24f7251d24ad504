"""The transform reconciler: batch transform jobs run as `python -m studio_ext.serving.transform`.

Started detached with pid + create time recorded (a restarted agent re-attaches), in the slots of
their instance type (shared with jobs); the final status comes from the process's result file, or
is an honest failure when it exited without one.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from ...model_uris import local_path, resolve_model
from ...paths import package_env, transform_job_dir
from ...schemas import JobStatus
from ...settings import StudioSettings
from ...store import orm
from ...store.db import Database, rowcount
from .. import resources
from ..slots import slot_limit, slots_in_use, worker_count
from .base import AgentAlive, BaseReconciler, ChildProcesses, utcnow

log = logging.getLogger("studio_ext.agent")

WATCHED = (JobStatus.QUEUED.value, JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value)


class TransformReconciler(BaseReconciler):
    """Queued -> InProgress (started) -> Completed | Failed; Stopping (deleted while running) ->
    process ended, row and job folder removed."""

    def __init__(self, db: Database, settings: StudioSettings, agent_id: str, agent_alive: AgentAlive):
        super().__init__(db, settings, agent_id, agent_alive)
        self.children = ChildProcesses()

    def reconcile(self) -> None:
        self.children.reap()
        with self.db.session() as session:
            rows = session.scalars(select(orm.TransformJob).where(orm.TransformJob.status.in_(WATCHED))
                                   .order_by(orm.TransformJob.created_at, orm.TransformJob.transform_job_id)).all()
            for row in rows:
                session.expunge(row)
            used = slots_in_use(session)
        for row in rows:
            if row.agent_id not in (None, self.agent_id) and self.agent_alive(row.agent_id):
                continue  # its own agent watches it
            try:
                if row.status == JobStatus.QUEUED:
                    if self._wait_for_slot(row, used):
                        continue
                    self._start(row)
                    used[row.instance_type] = used.get(row.instance_type, 0) + 1
                elif row.status == JobStatus.IN_PROGRESS:
                    self._check(row)
                else:
                    self._stop(row)
            except Exception:
                log.exception("transform job %s: reconcile failed", row.transform_job_id)

    def _folder(self, row: orm.TransformJob) -> Path:
        return transform_job_dir(row.transform_job_id, self.settings.home)

    def _set(self, row: orm.TransformJob, expected: str, **values: Any) -> bool:
        with self.db.session() as session:
            return rowcount(session.execute(update(orm.TransformJob).where(
                orm.TransformJob.transform_job_id == row.transform_job_id,
                orm.TransformJob.status == expected).values(**values))) == 1

    def _wait_for_slot(self, row: orm.TransformJob, used: dict[str, int]) -> bool:
        """True while the instance type's slots are all taken (by jobs or transforms); says so in
        the status reason, which a person reads as "queued behind others"."""
        limit = slot_limit(self.settings, row.instance_type)
        busy = used.get(row.instance_type, 0)
        if busy < limit:
            return False
        reason = f"waiting for a free {row.instance_type} slot ({busy} of {limit} in use)"
        if row.status_reason != reason:
            self._set(row, JobStatus.QUEUED.value, status_reason=reason)
        return True

    def _start(self, row: orm.TransformJob) -> None:
        if not self._set(row, JobStatus.QUEUED.value, status=JobStatus.IN_PROGRESS.value, agent_id=self.agent_id,
                         started_at=utcnow(), status_reason=None):
            return  # another agent took it, or it was deleted
        try:
            version, uri = resolve_model(self.mlflow_client(), row.model_uri)
        except Exception as exc:
            self._set(row, JobStatus.IN_PROGRESS.value, status=JobStatus.FAILED.value, ended_at=utcnow(),
                      status_reason=getattr(exc, "message", str(exc))[:2000])
            return
        folder = self._folder(row)
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "studio_ext.serving.transform", "--model-uri", local_path(uri),
               "--tracking-uri", self.settings.mlflow_tracking_uri, "--input", row.input_abspath,
               "--output", row.output_abspath, "--workers", str(worker_count(self.settings, row.instance_type)),
               "--chunk-mib", str(row.chunk_mib),
               "--progress-file", str(folder / "progress.json"), "--result-file", str(folder / "result.json")]
        if row.format:
            cmd += ["--format", row.format]
        if row.join_input:
            cmd.append("--join")
        proc = self.children.start(row.transform_job_id, cmd, folder / "transform.log", self.settings.home,
                                   package_env(OPENBLAS_NUM_THREADS="1"))
        self._set(row, JobStatus.IN_PROGRESS.value, pid=proc.pid, pid_create_time=resources.create_time(proc.pid),
                  model_version=version)
        log.info("transform job %s: pid %s (%s v%s)", row.transform_job_id, proc.pid, row.model_uri, version)

    def _check(self, row: orm.TransformJob) -> None:
        if row.pid is None:
            return  # between claim and start in another pass of this agent
        if resources.is_alive(row.pid, row.pid_create_time):
            if row.agent_id != self.agent_id:
                self._set(row, JobStatus.IN_PROGRESS.value, agent_id=self.agent_id)  # re-attach
            return
        folder = self._folder(row)
        try:
            result = json.loads((folder / "result.json").read_text())
        except (OSError, ValueError):
            result = {"status": "Failed", "reason": "the transform process exited unexpectedly; see "
                                                    f"{folder / 'transform.log'}"}
        status = JobStatus.COMPLETED if result.get("status") == "Completed" else JobStatus.FAILED
        self._set(row, JobStatus.IN_PROGRESS.value, status=status.value, ended_at=utcnow(),
                  status_reason=None if status == JobStatus.COMPLETED else result.get("reason"))
        log.info("transform job %s: %s", row.transform_job_id, status.value)

    def _stop(self, row: orm.TransformJob) -> None:
        self.children.end(row.transform_job_id, row.pid, row.pid_create_time)
        with self.db.session() as session:
            session.execute(delete(orm.TransformJob).where(
                orm.TransformJob.transform_job_id == row.transform_job_id))
        shutil.rmtree(self._folder(row), ignore_errors=True)
