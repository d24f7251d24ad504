"""Reproduce: re-run a job (or the job behind a model version) from its input SNAPSHOT and parameters.

JobService.create_job snapshots a file under the server root, so it cannot take the snapshot of
an old job (which lives under STUDIO_HOME and may differ from today's file). This module copies
the old snapshot into the new job's folder and queues a job with the same settings; the agent
then runs it like any other. The new job carries tags linking it to the old job and run, which
tracking.start_run copies onto the new MLflow run.
"""

from __future__ import annotations

import os
import shutil
from abc import ABC, abstractmethod

from .. import schemas
from ..exceptions import Conflict, NotFound
from ..paths import INPUT_DIR, OUTPUT_DIR, private_dir
from ..store import orm
from .experiments import REPRODUCES_JOB_TAG, REPRODUCES_RUN_TAG
from .jobs import BaseJobService, new_job_id, utcnow
from .registry import BaseRegistryService


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class BaseLineageService(ABC):
    """Reproduce: queue a new job from an old job's input snapshot and settings.

    Built as `cls(job_service, registry)` by the server (c.StudioApp.lineage_service_class). The
    new job is tagged with what it reproduces (studio.reproduces_job_id / _run_id, copied onto
    its MLflow run), and the agent runs it like any other.
    """

    def __init__(self, job_service: BaseJobService, registry: BaseRegistryService) -> None:
        self.jobs = job_service
        self.registry = registry

    @abstractmethod
    def reproduce_job(self, job_id: str, user: str | None, reproduces_run_id: str | None = None
                      ) -> schemas.ReproduceResponse:
        """Queue a copy of job `job_id` on its input snapshot (same parameters, instance type,
        environment, tags, experiment). NotFound for an unknown job; Conflict when its snapshot
        is gone. `reproduces_run_id` defaults to the old job's MLflow run."""

    @abstractmethod
    def reproduce_model_version(self, name: str, version: str, user: str | None) -> schemas.ReproduceResponse:
        """Re-run the job that produced the version's run. NotFound for an unknown model or
        version; Conflict when no studio job produced it or that job no longer exists."""


class LineageService(BaseLineageService):
    def reproduce_job(self, job_id: str, user: str | None, reproduces_run_id: str | None = None
                      ) -> schemas.ReproduceResponse:
        settings = self.jobs.settings
        with self.jobs.db.session() as session:
            old = session.get(orm.Job, job_id)
            if old is None:
                raise NotFound(f"job_id: no job {job_id!r}")
            fields = {c.name: getattr(old, c.name) for c in orm.Job.__table__.columns}
        source = settings.job_dir(job_id) / INPUT_DIR
        if not source.is_dir():
            raise Conflict(f"job {job_id} has no input snapshot any more; it cannot be reproduced")
        run_id = reproduces_run_id or fields.get("mlflow_run_id")
        new_id = new_job_id()
        target = settings.job_dir(new_id)
        try:
            private_dir(target)
            # Hard links: a snapshot's files are read-only and shared by content (snapshots.py).
            shutil.copytree(source, target / INPUT_DIR, symlinks=True, copy_function=_link_or_copy)
            (target / OUTPUT_DIR).mkdir(mode=0o700, exist_ok=True)
            kind = schemas.JobKind(fields["kind"])
            # A script runs inside its snapshot; a notebook in the folder it was submitted from,
            # so relative data paths resolve as they did the first time.
            working_dir = str(target / INPUT_DIR) if kind == schemas.JobKind.SCRIPT else fields["working_dir"]
            tags = dict(fields.get("tags") or {})
            tags[REPRODUCES_JOB_TAG] = job_id
            if run_id:
                tags[REPRODUCES_RUN_TAG] = run_id
            else:
                tags.pop(REPRODUCES_RUN_TAG, None)
            row = orm.Job(
                job_id=new_id, name=fields["name"], kind=kind.value, status=schemas.JobStatus.QUEUED.value,
                input_path=fields["input_path"], input_abspath=fields["input_abspath"], working_dir=working_dir,
                parameters=dict(fields.get("parameters") or {}), instance_type=fields["instance_type"],
                timeout_seconds=fields["timeout_seconds"], max_retries=fields["max_retries"], attempt=1,
                environment=dict(fields.get("environment") or {}), tags=tags,
                experiment_name=fields["experiment_name"], progress={}, outputs=[], created_by=user,
                created_at=utcnow())
            with self.jobs.db.session() as session:
                session.add(row)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return schemas.ReproduceResponse(job_id=new_id, reproduces_job_id=job_id, reproduces_run_id=run_id)

    def reproduce_model_version(self, name: str, version: str, user: str | None) -> schemas.ReproduceResponse:
        mv = self.registry.get_version(name, version)
        lineage = mv.lineage
        if not lineage.job_id:
            raise Conflict(f"model {name!r} version {version} was not produced by a studio job "
                           f"(its run {mv.run_id or '-'} has no studio.job_id tag); nothing to re-run")
        if lineage.job_name is None:  # the run names a job the studio no longer has
            raise Conflict(f"model {name!r} version {version}: the job that produced it ({lineage.job_id}) "
                           "no longer exists, so its input snapshot is gone; nothing to re-run")
        return self.reproduce_job(lineage.job_id, user, reproduces_run_id=mv.run_id)
