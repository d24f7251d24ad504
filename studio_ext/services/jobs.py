"""Jobs: submission (validation, input snapshot), queries, stop, delete, logs and outputs.

Submission only writes a Queued row and a snapshot; the studio agent (runner/) dispatches it.
The job's folder is laid out as paths.py names it; the file helpers are in job_files.py.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select, update

from .. import instance_types, schemas
from ..exceptions import Conflict, InvalidParameter, NotFound, path_errors
from ..paths import CHECKPOINT_DIR, INPUT_DIR, LOG_NAME, OUTPUT_DIR, private_dir
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database, rowcount
from .channel_preview import preview_channel
from .job_files import (
    as_declared,
    infer_kind,
    list_outputs,
    load_notebook,
    notebook_parameters,
    output_path,
    parameters_cell_index,
    read_log,
)
from .pagination import decode_token, json_size, split_page
from .snapshots import snapshot_folder
from .training import (
    channel_environment,
    resolve_channel,
    training_info,
    validate_training,
    write_spec,
)

_ACTIVE = [s.value for s in schemas.JobStatus if s.is_active]
_TERMINAL = [s.value for s in schemas.TERMINAL_JOB_STATUSES]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return uuid.uuid4().hex


class BaseJobService(ABC):
    """Jobs in the database and their folders under STUDIO_HOME; the agent runs them.

    Built by the server (c.StudioApp.job_service_class) as `cls(db, settings)`, and by the agent
    the same way to create the jobs of schedule ticks. Keeps `db` and `settings` as attributes
    (the schedule and lineage services read them). Every method is called on a worker thread and
    may block on the database and the filesystem. Errors are StudioErrors: InvalidParameter (400)
    names the field, NotFound (404), Conflict (409).
    """

    def __init__(self, db: Database, settings: StudioSettings) -> None:
        self.db = db
        self.settings = settings

    # ------------------------------------------------------------------ submission

    @abstractmethod
    def resolve_input(self, input_path: str, field: str = "input") -> Path:
        """The absolute path of an input file under the server root. InvalidParameter (named
        `field`) for a path outside the root or not a file; NotFound for a missing one."""

    @abstractmethod
    def create_job(self, request: schemas.CreateJob, user: str | None, *,
                   job_definition_id: str | None = None, scheduled_for: datetime | None = None) -> str:
        """Validate, snapshot the input under $STUDIO_HOME/jobs/<id>/input, insert a Queued job;
        returns its id.

        Raises InvalidParameter naming the field: input outside the server root, missing file,
        unknown kind/extension, unknown instance type, parameters given to a notebook without a
        cell tagged `parameters`. The same idempotency_token returns the first job's id.
        With (job_definition_id, scheduled_for) it is a schedule tick: a second call for the same
        tick raises Conflict (unique constraint), which is how two agents fire a tick once.
        """

    @abstractmethod
    def check_job(self, request: schemas.CreateJob) -> schemas.JobKind:
        """Every check `create_job` makes, without creating anything (what a tuning job asks of its
        trials' template before it starts); returns the job's kind. Raises as `create_job` does."""

    @abstractmethod
    def notebook_parameters(self, input_path: str) -> dict:
        """The parameters cell of a notebook under the server root: {name: {default, type,
        help}}, for the run-as-job form ({} without such a cell). Errors like create_job."""

    def preview_channel(self, algorithm: str, request: schemas.PreviewChannelRequest) -> schemas.ChannelPreview:
        """The first rows of a channel under the server root as the algorithm's training reads
        them, and its label column (the Train panel's preview; see channel_preview.py)."""
        return preview_channel(Path(self.settings.server_root).resolve(), algorithm, request)

    # ------------------------------------------------------------------ queries

    @abstractmethod
    def describe_job(self, job_id: str) -> schemas.DescribeJob:
        """The job with its progress and outputs. NotFound if there is no such job."""

    @abstractmethod
    def list_jobs(self, query: schemas.ListJobsQuery) -> schemas.ListJobsResponse:
        """One page of jobs, filtered and sorted as the query says; ties broken by id, so pages
        never repeat or skip a job. A bad next_token is InvalidParameter."""

    @abstractmethod
    def count_active(self, instance_type: str | None = None) -> int:
        """Jobs holding a slot (Starting, InProgress, Stopping), of one instance type or all."""

    # ------------------------------------------------------------------ mutations

    @abstractmethod
    def stop_job(self, job_id: str, user: str | None = None) -> None:
        """Queued -> Stopped at once; Starting/InProgress -> Stopping (the job process or the
        agent then stops it and sets Stopped, 'stopped by <user>'). Stopping: nothing to do.
        Terminal jobs: Conflict. Safe against the agent claiming the job meanwhile."""

    @abstractmethod
    def delete_job(self, job_id: str) -> None:
        """Remove the row and its folder. Conflict while the job is active (stop it first)."""

    # ------------------------------------------------------------------ files

    @abstractmethod
    def read_logs(self, job_id: str, offset: int = 0, max_bytes: int = 1 << 20) -> schemas.JobLogs:
        """Up to max_bytes of the live log from offset (never splitting a UTF-8 character);
        `complete` once the job is over and everything was read. InvalidParameter for a negative
        offset or max_bytes < 1; NotFound for an unknown job."""

    @abstractmethod
    def output_file(self, job_id: str, name: str) -> Path:
        """The path of one output (or of the log, LOG_NAME). NotFound if absent;
        InvalidParameter if the name escapes the output folder."""


class JobService(BaseJobService):
    # ------------------------------------------------------------------ submission

    def resolve_input(self, input_path: str, field: str = "input") -> Path:
        root = Path(self.settings.server_root).resolve()
        if "\0" in input_path:
            raise InvalidParameter(f"{field}: invalid path {input_path!r}")
        with path_errors(field, input_path):
            candidate = Path(input_path)
            path = (candidate if candidate.is_absolute() else root / candidate).resolve()
            try:
                path.relative_to(root)
            except ValueError:
                raise InvalidParameter(f"{field}: {input_path!r} is outside the server root") from None
            if not path.exists():
                raise NotFound(f"{field}: no such file {input_path!r} under the server root")
            if not path.is_file():
                raise InvalidParameter(f"{field}: {input_path!r} is not a file")
        return path

    def create_job(self, request: schemas.CreateJob, user: str | None, *,
                   job_definition_id: str | None = None, scheduled_for: datetime | None = None) -> str:
        if request.idempotency_token:
            existing = self._job_id_for_token(request.idempotency_token)
            if existing:
                return existing
        request, path, kind = self._prepare(request)
        return self._create(request, user, job_definition_id, scheduled_for, path, kind)

    def check_job(self, request: schemas.CreateJob) -> schemas.JobKind:
        request, _path, kind = self._prepare(request)
        if kind == schemas.JobKind.ALGORITHM:
            root = Path(self.settings.server_root).resolve()
            validate_training(request, lambda given, field: resolve_channel(root, given, field))
        return kind

    def _prepare(self, request: schemas.CreateJob) -> tuple[schemas.CreateJob, Path | None, schemas.JobKind]:
        """Every check of a submission short of writing anything: the request as it will be stored
        (notebook parameters typed as declared, a script's channels in its environment), the input
        file and the kind. An algorithm job's training spec is checked when it is written."""
        if request.algorithm is not None:
            self._check_instance_count(request, schemas.JobKind.ALGORITHM)
            return request, None, schemas.JobKind.ALGORITHM
        assert request.input is not None  # CreateJob requires it of a notebook or script job
        path = self.resolve_input(request.input)
        kind = infer_kind(path, request.kind, request.input)
        self._check_instance_count(request, kind)
        if kind == schemas.JobKind.NOTEBOOK and request.parameters:
            nb = load_notebook(path)
            if parameters_cell_index(nb) < 0:
                raise InvalidParameter(
                    f"parameters: notebook {request.input!r} has no cell tagged 'parameters'; tag the "
                    "cell that holds the defaults (View > Cell Toolbar > Tags) or submit without parameters")
            request = request.model_copy(update={"parameters": as_declared(request.parameters,
                                                                           notebook_parameters(nb))})
        try:
            json.dumps(request.parameters)
        except (TypeError, ValueError) as exc:
            raise InvalidParameter(f"parameters: values must be JSON: {exc}") from None
        if request.checkpoint and kind == schemas.JobKind.NOTEBOOK:
            raise InvalidParameter("checkpoint: only for script and algorithm jobs (SM_CHECKPOINT_DIR)")
        if request.channels:
            if kind != schemas.JobKind.SCRIPT:
                raise InvalidParameter("channels: only for script and algorithm jobs (a notebook reads its data "
                                       "itself)")
            root = Path(self.settings.server_root).resolve()
            environment = {**request.environment, **channel_environment(
                request.channels, lambda given, field: resolve_channel(root, given, field))}
            request = request.model_copy(update={"environment": environment})
        return request, path, kind

    def _check_instance_count(self, request: schemas.CreateJob, kind: schemas.JobKind) -> None:
        """The instance type exists, and a group of `instance_count` instances can run: a script
        (torch.distributed) or a torch algorithm that trains on several, within what the type
        allows at once."""
        itype = instance_types.resolve(self.settings.instance_types, request.instance_type)
        count = request.instance_count
        if count == 1:
            return
        if kind == schemas.JobKind.NOTEBOOK:
            raise InvalidParameter("instance_count: a notebook job runs on one instance; run a script job "
                                   "(torch.distributed) or a torch algorithm on several")
        if kind == schemas.JobKind.ALGORITHM:
            from ..algorithms import ALGORITHMS, get

            algorithm = get(request.algorithm or "")
            if algorithm is not None and not algorithm.supports_distributed:
                several = [name for name, cls in ALGORITHMS.items() if cls.supports_distributed]
                raise InvalidParameter(f"instance_count: {algorithm.name} trains on one instance (it has no "
                                       f"distributed mode here); {', '.join(several)} train on several")
        if count > itype.max_concurrent:
            raise InvalidParameter(f"instance_count: {itype.name} runs at most {itype.max_concurrent} at once, so a "
                                   f"group of {count} could never start; ask for at most {itype.max_concurrent} or "
                                   "choose an instance type that allows more")

    def _create(self, request: schemas.CreateJob, user: str | None, job_definition_id: str | None,
                scheduled_for: datetime | None, path: Path | None, kind: schemas.JobKind) -> str:
        """Snapshot the input (an algorithm job: its checked training spec) and insert the job."""
        spec = None
        if kind == schemas.JobKind.ALGORITHM:
            root = Path(self.settings.server_root).resolve()
            spec = validate_training(request, lambda given, field: resolve_channel(root, given, field))
            train = spec["channels"]["train"]
            input_path, path, parameters = train["path"], Path(train["abspath"]), spec["hyperparameters"]
            default_name = spec["algorithm"]
        else:
            assert path is not None and request.input is not None
            input_path, parameters, default_name = request.input, request.parameters, path.stem
        job_id = new_job_id()
        job_dir = self.settings.job_dir(job_id)
        try:
            snapshot = job_dir / INPUT_DIR
            private_dir(job_dir)
            if spec is not None:
                working_dir = write_spec(job_dir, spec)
            elif kind == schemas.JobKind.NOTEBOOK:
                snapshot.mkdir(mode=0o700)
                shutil.copyfile(path, snapshot / path.name)
                os.chmod(snapshot / path.name, 0o600)
                working_dir = path.parent
            else:
                snapshot_folder(path.parent, snapshot, self.settings.home, self.settings.server_root,
                                input_path)
                working_dir = snapshot
            (job_dir / OUTPUT_DIR).mkdir(mode=0o700, exist_ok=True)
            environment = dict(request.environment)
            if request.checkpoint:
                # A folder of the job, not of the attempt: the next attempt finds what this one saved.
                (job_dir / CHECKPOINT_DIR).mkdir(mode=0o700)
                environment["SM_CHECKPOINT_DIR"] = str(job_dir / CHECKPOINT_DIR)
            name = request.name or default_name
            row = orm.Job(
                job_id=job_id, name=name, kind=kind.value, status=schemas.JobStatus.QUEUED.value,
                input_path=input_path, input_abspath=str(path), working_dir=str(working_dir),
                parameters=parameters, instance_type=request.instance_type,
                instance_count=request.instance_count, timeout_seconds=request.timeout_seconds, max_retries=request.max_retries, attempt=1,
                environment=environment, tags=request.tags,
                experiment_name=request.experiment_name or name,
                idempotency_token=request.idempotency_token, job_definition_id=job_definition_id,
                scheduled_for=scheduled_for, progress={}, outputs=[], created_by=user, created_at=utcnow(),
            )
            with self.db.session() as session:
                session.add(row)
        except BaseException as exc:
            shutil.rmtree(job_dir, ignore_errors=True)
            if isinstance(exc, Conflict) and request.idempotency_token and not job_definition_id:
                # Lost a race with an identical request: answer like the winner did.
                existing = self._job_id_for_token(request.idempotency_token)
                if existing:
                    return existing
            if isinstance(exc, Conflict) and job_definition_id:
                raise Conflict(f"schedule {job_definition_id} already created a job for the tick "
                               f"{scheduled_for.isoformat() if scheduled_for else None}") from None
            raise
        return job_id

    def _job_id_for_token(self, token: str) -> str | None:
        with self.db.session() as session:
            return session.scalar(select(orm.Job.job_id).where(orm.Job.idempotency_token == token))

    def notebook_parameters(self, input_path: str) -> dict:
        path = self.resolve_input(input_path)
        if path.suffix.lower() != ".ipynb":
            raise InvalidParameter(f"input: {input_path!r} is not a notebook (.ipynb)")
        return notebook_parameters(load_notebook(path))

    # ------------------------------------------------------------------ queries

    def describe_job(self, job_id: str) -> schemas.DescribeJob:
        with self.db.session() as session:
            row = session.get(orm.Job, job_id)
            if row is None:
                raise NotFound(f"job_id: no job {job_id!r}")
            return self._describe(row)

    def _describe(self, row: orm.Job) -> schemas.DescribeJob:
        status = schemas.JobStatus(row.status)
        progress = dict(row.progress or {})
        allowed = set(schemas.JobProgress.model_fields)
        progress = {k: v for k, v in progress.items() if k in allowed}
        if progress.get("percent") is None and progress.get("cells_total"):
            progress["percent"] = round(100.0 * progress.get("cells_done", 0) / progress["cells_total"], 1)
        if status == schemas.JobStatus.COMPLETED:
            progress["percent"] = 100.0
        duration = None
        if row.started_at is not None:
            duration = ((row.ended_at or utcnow()) - row.started_at).total_seconds()
        return schemas.DescribeJob(
            job_id=row.job_id, name=row.name, kind=schemas.JobKind(row.kind), status=status,
            status_reason=row.status_reason, progress=schemas.JobProgress(**progress),
            input=row.input_path, instance_type=row.instance_type, instance_count=row.instance_count or 1,
            parameters=row.parameters or {},
            environment=row.environment or {}, tags=row.tags or {}, timeout_seconds=row.timeout_seconds,
            max_retries=row.max_retries, attempt=row.attempt, experiment_name=row.experiment_name,
            mlflow_experiment_id=row.mlflow_experiment_id, mlflow_run_id=row.mlflow_run_id,
            job_definition_id=row.job_definition_id, exit_code=row.exit_code,
            outputs=list_outputs(self.settings.job_dir(row.job_id)),
            training=training_info(self.settings.job_dir(row.job_id)) if row.kind == schemas.JobKind.ALGORITHM
            else None,
            created_by=row.created_by,
            created_at=row.created_at, started_at=row.started_at, ended_at=row.ended_at,
            duration_seconds=duration,
        )

    def list_jobs(self, query: schemas.ListJobsQuery) -> schemas.ListJobsResponse:
        offset = decode_token(query.next_token)
        stmt = select(orm.Job)
        if query.status is not None:
            stmt = stmt.where(orm.Job.status == schemas.JobStatus(query.status).value)
        if query.name:
            stmt = stmt.where(orm.Job.name.contains(query.name, autoescape=True))
        if query.kind is not None:
            stmt = stmt.where(orm.Job.kind == schemas.JobKind(query.kind).value)
        if query.instance_type:
            stmt = stmt.where(orm.Job.instance_type == query.instance_type)
        if query.job_definition_id:
            stmt = stmt.where(orm.Job.job_definition_id == query.job_definition_id)
        key = query.sort_by.lstrip("-")
        column = getattr(orm.Job, key)
        descending = query.sort_by.startswith("-")
        # job_id breaks ties so pages never repeat or skip rows with equal keys.
        stmt = stmt.order_by(column.desc() if descending else column.asc(),
                             orm.Job.job_id.desc() if descending else orm.Job.job_id.asc())
        with self.db.session() as session:
            rows = list(session.scalars(stmt.offset(offset).limit(query.max_items + 1)).all())
            items, token = split_page([self._describe(r) for r in rows], offset, query.max_items, json_size)
            return schemas.ListJobsResponse(items=items, next_token=token)

    def count_active(self, instance_type: str | None = None) -> int:
        stmt = select(func.count()).select_from(orm.Job).where(orm.Job.status.in_(_ACTIVE))
        if instance_type:
            stmt = stmt.where(orm.Job.instance_type == instance_type)
        with self.db.session() as session:
            return int(session.scalar(stmt) or 0)

    # ------------------------------------------------------------------ mutations

    def stop_job(self, job_id: str, user: str | None = None) -> None:
        who = user or "anonymous"
        now = utcnow()
        # Conditional updates: the agent may claim the job between our read and our write.
        for _ in range(5):
            with self.db.session() as session:
                row = session.get(orm.Job, job_id)
                if row is None:
                    raise NotFound(f"job_id: no job {job_id!r}")
                status = schemas.JobStatus(row.status)
                if status.is_terminal:
                    raise Conflict(f"job {job_id} is already {status.value}; nothing to stop")
                if status == schemas.JobStatus.STOPPING:
                    return
                if status == schemas.JobStatus.QUEUED:
                    result = session.execute(
                        update(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status == status.value)
                        .values(status=schemas.JobStatus.STOPPED.value, status_reason=f"stopped by {who}",
                                stop_requested_at=now, ended_at=now))
                else:
                    result = session.execute(
                        update(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status == status.value)
                        .values(status=schemas.JobStatus.STOPPING.value,
                                status_reason=f"stop requested by {who}", stop_requested_at=now))
                if rowcount(result) == 1:
                    return
        raise Conflict(f"job {job_id} changed state while stopping it; try again")

    def delete_job(self, job_id: str) -> None:
        with self.db.session() as session:
            row = session.get(orm.Job, job_id)
            if row is None:
                raise NotFound(f"job_id: no job {job_id!r}")
            result = session.execute(
                delete(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status.in_(
                    _TERMINAL + [schemas.JobStatus.QUEUED.value])))
            if rowcount(result) != 1:
                raise Conflict(f"job {job_id} is {row.status}; stop it before deleting it")
        shutil.rmtree(self.settings.job_dir(job_id), ignore_errors=True)

    # ------------------------------------------------------------------ files

    def read_logs(self, job_id: str, offset: int = 0, max_bytes: int = 1 << 20) -> schemas.JobLogs:
        if offset < 0:
            raise InvalidParameter("offset: must be >= 0")
        if max_bytes < 1:
            raise InvalidParameter("max_bytes: must be >= 1")
        with self.db.session() as session:
            status = session.scalar(select(orm.Job.status).where(orm.Job.job_id == job_id))
        if status is None:
            raise NotFound(f"job_id: no job {job_id!r}")
        terminal = schemas.JobStatus(status).is_terminal
        return read_log(self.settings.job_dir(job_id) / LOG_NAME, offset, max_bytes, terminal)

    def output_file(self, job_id: str, name: str) -> Path:
        with self.db.session() as session:
            if session.get(orm.Job, job_id) is None:
                raise NotFound(f"job_id: no job {job_id!r}")
        with path_errors("name", name):
            path = output_path(self.settings.job_dir(job_id), name)
            if not path.is_file():
                raise NotFound(f"name: job {job_id} has no output {name!r}")
        return path
