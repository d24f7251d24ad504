"""Batch transform jobs as desired state and queries: the contract and its database implementation.

The service records what to score; the agent's transform reconciler (runner/reconcilers/) runs
`python -m studio_ext.serving.transform` for it and writes the status back.
"""

from __future__ import annotations

import json
import shutil
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import schemas
from ..exceptions import InvalidParameter, NotFound, path_errors
from ..model_uris import parse_model_uri, resolve_model
from ..paths import transform_job_dir
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database

ACTIVE = (schemas.JobStatus.QUEUED.value, schemas.JobStatus.IN_PROGRESS.value)


class BaseTransformService(ABC):
    """Batch transform jobs: score a file or a folder of files under the server root with a
    registered model, writing one output file per input file.

    An implementation keeps the jobs' desired state and answers queries; the agent runs them
    (Queued -> InProgress -> Completed | Failed; Stopping when deleted while running). Methods
    block; the handlers call them on a worker thread. Errors are `StudioError`s naming the field.
    """

    @abstractmethod
    def create(self, request: schemas.CreateTransformJob, user: str | None) -> schemas.DescribeTransformJob:
        """Queue a transform job.

        Args:
            request: the model (models:/ URI that resolves now), the input and output paths
                relative to the server root (output default `transform-output/<id>`), the format,
                whether to join the input columns, the instance type, the chunk size.
            user: who asks (recorded as `created_by`).

        Returns:
            The job as it is now (Queued).

        Raises:
            InvalidParameter: a bad model URI, an instance type not in the catalog, a path outside
                the server root, or an output folder that exists and is not empty.
            NotFound: the model does not resolve, or the input does not exist.
        """

    @abstractmethod
    def describe(self, transform_job_id: str) -> schemas.DescribeTransformJob:
        """The job's status, progress (files and rows done) and output files (relative to the
        server root).

        Raises:
            NotFound: no job of that id.
        """

    @abstractmethod
    def list(self) -> schemas.ListTransformJobsResponse:
        """The newest jobs first (at most 1000), described as `describe` does."""

    @abstractmethod
    def delete(self, transform_job_id: str) -> None:
        """Stop the job if it runs (the agent ends its process and forgets it), else forget it
        now; its output files stay.

        Raises:
            NotFound: no job of that id.
        """


class TransformService(BaseTransformService):
    """Transform jobs in the studio database; progress read from the job folder the transform
    process writes (`paths.transform_job_dir`).

    Args:
        mlflow_client_factory: () -> MlflowClient; when given, the model is resolved on create.
    """

    def __init__(self, db: Database, settings: StudioSettings,
                 mlflow_client_factory: Callable[[], Any] | None = None):
        self.db = db
        self.settings = settings
        self._mlflow_client_factory = mlflow_client_factory

    def _under_root(self, rel: str, field: str) -> Path:
        root = self.settings.server_root.resolve()
        if "\0" in rel:
            raise InvalidParameter(f"{field}: invalid path {rel!r}")
        with path_errors(field, rel):
            path = (root / rel).resolve()
        if path != root and root not in path.parents:
            raise InvalidParameter(f"{field}: {rel!r} is outside the server root")
        return path

    def create(self, request: schemas.CreateTransformJob, user: str | None) -> schemas.DescribeTransformJob:
        parse_model_uri(request.model)
        if self._mlflow_client_factory is not None:
            resolve_model(self._mlflow_client_factory(), request.model)
        if request.instance_type not in self.settings.instance_types:
            raise InvalidParameter(f"instance_type: {request.instance_type!r} is not in the catalog")
        source = self._under_root(request.input, "input")
        with path_errors("input", request.input):
            if not source.exists():
                raise NotFound(f"input: {request.input!r} does not exist under the server root")
        job_id = uuid.uuid4().hex[:16]
        output = request.output or f"transform-output/{job_id}"
        target = self._under_root(output, "output")
        with path_errors("output", output):
            if target.exists() and (not target.is_dir() or any(target.iterdir())):
                raise InvalidParameter(f"output: {output!r} exists and is not an empty folder")
        with self.db.session() as session:
            session.add(orm.TransformJob(
                transform_job_id=job_id, status=schemas.JobStatus.QUEUED.value, model_uri=request.model,
                input_path=request.input, input_abspath=str(source), output_path=output, output_abspath=str(target),
                format=request.format, join_input=request.join_input, instance_type=request.instance_type,
                chunk_mib=request.chunk_mib, created_by=user))
        return self.describe(job_id)

    def _describe(self, row: orm.TransformJob) -> schemas.DescribeTransformJob:
        folder = transform_job_dir(row.transform_job_id, self.settings.home)
        progress, outputs = {}, []
        try:
            progress = json.loads((folder / "progress.json").read_text())
        except (OSError, ValueError):
            pass
        try:
            outputs = [str(Path(p).relative_to(self.settings.server_root.resolve()))
                       for p in json.loads((folder / "result.json").read_text()).get("outputs", [])]
        except (OSError, ValueError):
            pass
        return schemas.DescribeTransformJob(
            transform_job_id=row.transform_job_id, status=schemas.JobStatus(row.status),
            status_reason=row.status_reason, model=row.model_uri, model_version=row.model_version,
            input=row.input_path, output=row.output_path, format=row.format, join_input=row.join_input,
            instance_type=row.instance_type, files_total=progress.get("files_total", 0),
            files_done=progress.get("files_done", 0), rows_done=progress.get("rows_done", 0), outputs=outputs,
            created_by=row.created_by, created_at=row.created_at, started_at=row.started_at, ended_at=row.ended_at)

    def describe(self, transform_job_id: str) -> schemas.DescribeTransformJob:
        with self.db.session() as session:
            row = session.get(orm.TransformJob, transform_job_id)
            if row is None:
                raise NotFound(f"transform_job_id: no transform job {transform_job_id!r}")
            return self._describe(row)

    def list(self) -> schemas.ListTransformJobsResponse:
        with self.db.session() as session:
            rows = session.scalars(select(orm.TransformJob).order_by(orm.TransformJob.created_at.desc())
                                   .limit(1000)).all()
            return schemas.ListTransformJobsResponse(items=[self._describe(r) for r in rows])

    def delete(self, transform_job_id: str) -> None:
        with self.db.session() as session:
            row = session.get(orm.TransformJob, transform_job_id)
            if row is None:
                raise NotFound(f"transform_job_id: no transform job {transform_job_id!r}")
            if row.status in ACTIVE:
                row.status = schemas.JobStatus.STOPPING.value
                row.status_reason = "deleted by the user"
                return
            session.delete(row)
        shutil.rmtree(transform_job_dir(transform_job_id, self.settings.home), ignore_errors=True)
