"""Runs batch transform jobs for the agent: starts `python -m studio_ext.serving.transform` detached,
records pid + create time, and sets the final status from its result file (or an honest failure)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select, update

from ..schemas import JobStatus
from ..services.endpoints import resolve_model
from ..services.transform import job_folder
from ..store import orm
from . import resources
from .slots import slots_in_use

log = logging.getLogger("studio_ext.agent")


def utcnow() -> datetime:
    return datetime.now(UTC)


class TransformReconciler:
    def __init__(self, endpoints_reconciler):
        # Shares the endpoint reconciler's database, settings, agent id and MLflow client.
        self.rec = endpoints_reconciler
        self.procs: dict[str, subprocess.Popen] = {}

    def reconcile(self) -> None:
        rec = self.rec
        for job_id, proc in list(self.procs.items()):
            if proc.poll() is not None:
                del self.procs[job_id]
        with rec.db.session() as session:
            rows = session.scalars(select(orm.TransformJob).where(orm.TransformJob.status.in_(
                (JobStatus.QUEUED.value, JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value)))
                .order_by(orm.TransformJob.created_at, orm.TransformJob.transform_job_id)).all()
            for row in rows:
                session.expunge(row)
            used = slots_in_use(session)
        for row in rows:
            if row.agent_id not in (None, rec.agent_id) and rec.agent_alive(row.agent_id):
                continue  # its own agent watches it
            try:
                if row.status == JobStatus.QUEUED.value:
                    if self._wait_for_slot(row, used):
                        continue
                    self._start(row)
                    used[row.instance_type] = used.get(row.instance_type, 0) + 1
                elif row.status == JobStatus.IN_PROGRESS.value:
                    self._check(row)
                else:
                    self._stop(row)
            except Exception:
                log.exception("transform job %s: reconcile failed", row.transform_job_id)

    def _set(self, row: orm.TransformJob, expected: str, **values) -> bool:
        with self.rec.db.session() as session:
            return session.execute(update(orm.TransformJob).where(
                orm.TransformJob.transform_job_id == row.transform_job_id,
                orm.TransformJob.status == expected).values(**values)).rowcount == 1

    def _wait_for_slot(self, row: orm.TransformJob, used: dict[str, int]) -> bool:
        """True while the instance type's slots are all taken (by jobs or transforms); says so in
        the status reason, which a person reads as "queued behind others"."""
        itype = self.rec.settings.instance_types.get(row.instance_type)
        limit = itype.max_concurrent if itype else 1
        busy = used.get(row.instance_type, 0)
        if busy < limit:
            return False
        reason = f"waiting for a free {row.instance_type} slot ({busy} of {limit} in use)"
        if row.status_reason != reason:
            self._set(row, JobStatus.QUEUED.value, status_reason=reason)
        return True

    def _start(self, row: orm.TransformJob) -> None:
        rec = self.rec
        if not self._set(row, JobStatus.QUEUED.value, status=JobStatus.IN_PROGRESS.value, agent_id=rec.agent_id,
                         started_at=utcnow(), status_reason=None):
            return  # another agent took it, or it was deleted
        try:
            version, uri = resolve_model(rec.client(), row.model_uri)
        except Exception as exc:
            self._set(row, JobStatus.IN_PROGRESS.value, status=JobStatus.FAILED.value, ended_at=utcnow(),
                      status_reason=getattr(exc, "message", str(exc))[:2000])
            return
        folder = job_folder(rec.settings, row.transform_job_id)
        folder.mkdir(parents=True, exist_ok=True)
        itype = rec.settings.instance_types.get(row.instance_type)
        workers = max(1, min(itype.vcpus if itype else 1, len(os.sched_getaffinity(0))))
        path = uri[len("file://"):] if uri.startswith("file://") else uri
        cmd = [sys.executable, "-m", "studio_ext.serving.transform", "--model-uri", path,
               "--tracking-uri", rec.settings.mlflow_tracking_uri, "--input", row.input_abspath,
               "--output", row.output_abspath, "--workers", str(workers), "--chunk-mib", str(row.chunk_mib),
               "--progress-file", str(folder / "progress.json"), "--result-file", str(folder / "result.json")]
        if row.format:
            cmd += ["--format", row.format]
        if row.join_input:
            cmd.append("--join")
        env = dict(os.environ)
        pkg_parent = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        with open(folder / "transform.log", "ab") as fh:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env,
                                    cwd=str(rec.settings.home), start_new_session=True, close_fds=True)
        self.procs[row.transform_job_id] = proc
        self._set(row, JobStatus.IN_PROGRESS.value, pid=proc.pid, pid_create_time=resources.create_time(proc.pid),
                  model_version=version)
        log.info("transform job %s: pid %s (%s v%s)", row.transform_job_id, proc.pid, row.model_uri, version)

    def _check(self, row: orm.TransformJob) -> None:
        if row.pid is None:
            return  # between claim and start in another pass of this agent
        if resources.is_alive(row.pid, row.pid_create_time):
            if row.agent_id != self.rec.agent_id:
                self._set(row, JobStatus.IN_PROGRESS.value, agent_id=self.rec.agent_id)  # re-attach
            return
        folder = job_folder(self.rec.settings, row.transform_job_id)
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
        if row.pid and resources.is_alive(row.pid, row.pid_create_time):
            resources.kill_tree(row.pid, grace=2.0)
        proc = self.procs.pop(row.transform_job_id, None)
        if proc is not None:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        with self.rec.db.session() as session:
            session.execute(delete(orm.TransformJob).where(
                orm.TransformJob.transform_job_id == row.transform_job_id))
        shutil.rmtree(job_folder(self.rec.settings, row.transform_job_id), ignore_errors=True)
