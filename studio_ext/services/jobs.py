"""Jobs: submission (validation, input snapshot), queries, stop, delete, logs and outputs.

Submission only writes a Queued row and a snapshot; the studio agent (runner/) dispatches it.
Layout of a job's folder ($STUDIO_HOME/jobs/<id>/):
  input/       the snapshot (the notebook file; for a script, its whole folder)
  output/      STUDIO_OUTPUT_DIR: output.ipynb + output.html for notebooks, whatever a script writes
  job.log      the live log (all attempts, separated by a banner line)
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select, update

from .. import instance_types, schemas
from ..exceptions import Conflict, InvalidParameter, NotFound
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database
from .pagination import decode_token, split_page

# Folders a script snapshot never needs (and that can be huge).
SNAPSHOT_SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".ipynb_checkpoints",
                                ".mypy_cache", ".pytest_cache", ".ruff_cache"})
MAX_SNAPSHOT_BYTES = 500 * 1024 * 1024

LOG_NAME = "job.log"
OUTPUT_NOTEBOOK = "output.ipynb"
OUTPUT_HTML = "output.html"

_KIND_BY_SUFFIX = {".ipynb": schemas.JobKind.NOTEBOOK, ".py": schemas.JobKind.SCRIPT}
_ACTIVE = [s.value for s in schemas.JobStatus if s.is_active]
_TERMINAL = [s.value for s in schemas.TERMINAL_JOB_STATUSES]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return uuid.uuid4().hex


def load_notebook(path: Path, field: str = "input"):
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for a broken file
        raise InvalidParameter(f"{field}: {path.name} is not a readable notebook: {exc}") from None


def parameters_cell_index(nb) -> int:
    """Index of the first cell tagged `parameters`, or -1 (papermill's rule)."""
    for index, cell in enumerate(nb.cells):
        if "parameters" in (cell.get("metadata", {}).get("tags") or []):
            return index
    return -1


def _type_name(annotated: str | None, default_source: str) -> str:
    """The annotation if the cell has one, else the type of the literal default ('str', 'float', ...)."""
    if annotated and annotated != "None":
        return annotated
    import ast

    try:
        return type(ast.literal_eval(default_source)).__name__
    except (ValueError, SyntaxError, TypeError):
        return "expression"


def _output_kind(name: str) -> str:
    if name == LOG_NAME:
        return "log"
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith((".html", ".htm")):
        return "html"
    return "file"


def _complete_utf8_prefix(data: bytes) -> int:
    """Length of the longest prefix of data that does not end inside a UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: keep looking for the lead byte
            continue
        if byte >= 0xC0:
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back if needed > back else len(data)
        return len(data)
    return len(data)


class JobService:
    def __init__(self, db: Database, settings: StudioSettings):
        self.db = db
        self.settings = settings

    # ------------------------------------------------------------------ submission

    def resolve_input(self, input_path: str, field: str = "input") -> Path:
        """The absolute path of an input under the server root (InvalidParameter/NotFound otherwise)."""
        root = Path(self.settings.server_root).resolve()
        if "\0" in input_path:
            raise InvalidParameter(f"{field}: invalid path {input_path!r}")
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

    def _kind_for(self, path: Path, kind: schemas.JobKind | None, input_path: str) -> schemas.JobKind:
        inferred = _KIND_BY_SUFFIX.get(path.suffix.lower())
        if inferred is None:
            raise InvalidParameter(f"input: {input_path!r} must be a notebook (.ipynb) or a script (.py)")
        if kind is not None and schemas.JobKind(kind) != inferred:
            raise InvalidParameter(f"kind: {kind.value!r} does not match the input {input_path!r} "
                                   f"(a {path.suffix} file is a {inferred.value})")
        return inferred

    def create_job(self, request: schemas.CreateJob, user: str | None, *,
                   job_definition_id: str | None = None, scheduled_for: datetime | None = None) -> str:
        """Validate, snapshot the input under $STUDIO_HOME/jobs/<id>/input, insert a Queued job.

        Raises InvalidParameter naming the field: input outside the server root, missing file,
        unknown kind/extension, unknown instance type, parameters given to a notebook without a
        cell tagged `parameters`. The same idempotency_token returns the first job's id.
        With (job_definition_id, scheduled_for) it is a schedule tick: a second call for the same
        tick raises Conflict (unique constraint), which is how two agents fire a tick once.
        """
        if request.idempotency_token:
            existing = self._job_id_for_token(request.idempotency_token)
            if existing:
                return existing
        path = self.resolve_input(request.input)
        kind = self._kind_for(path, request.kind, request.input)
        instance_types.resolve(self.settings.instance_types, request.instance_type)
        if kind == schemas.JobKind.NOTEBOOK and request.parameters:
            nb = load_notebook(path)
            if parameters_cell_index(nb) < 0:
                raise InvalidParameter(
                    f"parameters: notebook {request.input!r} has no cell tagged 'parameters'; tag the "
                    "cell that holds the defaults (View > Cell Toolbar > Tags) or submit without parameters")
        try:
            json.dumps(request.parameters)
        except (TypeError, ValueError) as exc:
            raise InvalidParameter(f"parameters: values must be JSON: {exc}") from None

        job_id = new_job_id()
        job_dir = self.settings.job_dir(job_id)
        try:
            snapshot = job_dir / "input"
            if kind == schemas.JobKind.NOTEBOOK:
                snapshot.mkdir(parents=True)
                shutil.copy2(path, snapshot / path.name)
                working_dir = path.parent
            else:
                self._snapshot_folder(path.parent, snapshot, request.input)
                working_dir = snapshot
            (job_dir / "output").mkdir(parents=True, exist_ok=True)
            name = request.name or path.stem
            row = orm.Job(
                job_id=job_id, name=name, kind=kind.value, status=schemas.JobStatus.QUEUED.value,
                input_path=request.input, input_abspath=str(path), working_dir=str(working_dir),
                parameters=request.parameters, instance_type=request.instance_type,
                timeout_seconds=request.timeout_seconds, max_retries=request.max_retries, attempt=1,
                environment=request.environment, tags=request.tags,
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

    def _snapshot_folder(self, source: Path, target: Path, input_path: str) -> None:
        """Copy a script's folder, skipping VCS/venv/cache folders and the studio's own home."""
        home = Path(self.settings.home).resolve()
        files: list[tuple[Path, Path]] = []
        total = 0
        for dirpath, dirnames, filenames in os.walk(source):
            current = Path(dirpath)
            # Prune in place so os.walk never descends into skipped folders (or into STUDIO_HOME
            # when it lives under the server root, which would copy jobs into jobs).
            dirnames[:] = [d for d in dirnames if d not in SNAPSHOT_SKIP_DIRS
                           and (current / d).resolve() != home and not (current / d).is_symlink()]
            for filename in filenames:
                src = current / filename
                if src.is_symlink() and not src.exists():
                    continue
                total += src.stat().st_size
                if total > MAX_SNAPSHOT_BYTES:
                    raise InvalidParameter(
                        f"input: the folder of {input_path!r} holds more than {MAX_SNAPSHOT_BYTES >> 20} MB; "
                        "a script job snapshots its whole folder, so move the script into a smaller "
                        "folder (data can be read from an absolute path)")
                files.append((src, target / src.relative_to(source)))
        target.mkdir(parents=True)
        for src, dst in files:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)

    def notebook_parameters(self, input_path: str) -> dict:
        """The parameters cell of a notebook under the server root: {name: {default, type}}, for
        the run-as-job form. InvalidParameter/NotFound like create_job."""
        path = self.resolve_input(input_path)
        if path.suffix.lower() != ".ipynb":
            raise InvalidParameter(f"input: {input_path!r} is not a notebook (.ipynb)")
        nb = load_notebook(path)
        if parameters_cell_index(nb) < 0:
            return {}
        from papermill.inspection import _infer_parameters  # heavy import, only here

        for cell in nb.cells:  # papermill expects every cell to carry a tags list
            cell.metadata.setdefault("tags", [])
        return {p.name: {"default": p.default, "type": _type_name(p.inferred_type_name, p.default),
                         "help": p.help}
                for p in _infer_parameters(nb)}

    # ------------------------------------------------------------------ queries

    def describe_job(self, job_id: str) -> schemas.DescribeJob:
        """NotFound if there is no such job."""
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
            input=row.input_path, instance_type=row.instance_type, parameters=row.parameters or {},
            environment=row.environment or {}, tags=row.tags or {}, timeout_seconds=row.timeout_seconds,
            max_retries=row.max_retries, attempt=row.attempt, experiment_name=row.experiment_name,
            mlflow_experiment_id=row.mlflow_experiment_id, mlflow_run_id=row.mlflow_run_id,
            job_definition_id=row.job_definition_id, exit_code=row.exit_code,
            outputs=self._outputs(row.job_id), created_by=row.created_by, created_at=row.created_at,
            started_at=row.started_at, ended_at=row.ended_at, duration_seconds=duration,
        )

    def _outputs(self, job_id: str) -> list[schemas.JobOutput]:
        job_dir = self.settings.job_dir(job_id)
        out_dir = job_dir / "output"
        items: list[schemas.JobOutput] = []
        if out_dir.is_dir():
            for dirpath, _dirnames, filenames in os.walk(out_dir):
                for filename in filenames:
                    path = Path(dirpath) / filename
                    try:
                        size = path.stat().st_size
                    except OSError:  # vanished while listing (a job still writing)
                        continue
                    name = path.relative_to(out_dir).as_posix()
                    items.append(schemas.JobOutput(name=name, size=size, kind=_output_kind(name)))
        items.sort(key=lambda o: o.name)
        log = job_dir / LOG_NAME
        if log.is_file():
            items.append(schemas.JobOutput(name=LOG_NAME, size=log.stat().st_size, kind="log"))
        return items

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
            items, token = split_page(rows, offset, query.max_items)
            return schemas.ListJobsResponse(items=[self._describe(r) for r in items], next_token=token)

    def count_active(self, instance_type: str | None = None) -> int:
        stmt = select(func.count()).select_from(orm.Job).where(orm.Job.status.in_(_ACTIVE))
        if instance_type:
            stmt = stmt.where(orm.Job.instance_type == instance_type)
        with self.db.session() as session:
            return int(session.scalar(stmt) or 0)

    # ------------------------------------------------------------------ mutations

    def stop_job(self, job_id: str, user: str | None = None) -> None:
        """Queued -> Stopped at once; Starting/InProgress -> Stopping (the job process or the agent
        then stops it and sets Stopped). Terminal jobs: Conflict."""
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
                if result.rowcount == 1:
                    return
        raise Conflict(f"job {job_id} changed state while stopping it; try again")

    def delete_job(self, job_id: str) -> None:
        """Removes the row and its folder. Conflict while the job is active (stop it first)."""
        with self.db.session() as session:
            row = session.get(orm.Job, job_id)
            if row is None:
                raise NotFound(f"job_id: no job {job_id!r}")
            result = session.execute(
                delete(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status.in_(
                    _TERMINAL + [schemas.JobStatus.QUEUED.value])))
            if result.rowcount != 1:
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
        path = self.settings.job_dir(job_id) / LOG_NAME
        data = b""
        size = 0
        if path.is_file():
            with open(path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                offset = min(offset, size)
                fh.seek(offset)
                data = fh.read(max_bytes)
        else:
            offset = 0
        # Never split a UTF-8 character between two reads: hold back an incomplete tail.
        if offset + len(data) < size or not terminal:
            data = data[:_complete_utf8_prefix(data)]
        next_offset = offset + len(data)
        return schemas.JobLogs(content=data.decode("utf-8", errors="replace"), offset=offset,
                               next_offset=next_offset, complete=terminal and next_offset >= size)

    def output_file(self, job_id: str, name: str) -> Path:
        """The path of one output (NotFound if absent; InvalidParameter if name escapes the folder)."""
        with self.db.session() as session:
            if session.get(orm.Job, job_id) is None:
                raise NotFound(f"job_id: no job {job_id!r}")
        job_dir = self.settings.job_dir(job_id)
        if name == LOG_NAME:
            path = job_dir / LOG_NAME
        else:
            out_dir = (job_dir / "output").resolve()
            if not name or "\0" in name or Path(name).is_absolute():
                raise InvalidParameter(f"name: invalid output name {name!r}")
            path = (out_dir / name).resolve()
            try:
                path.relative_to(out_dir)
            except ValueError:
                raise InvalidParameter(f"name: {name!r} is outside the job's output folder") from None
        if not path.is_file():
            raise NotFound(f"name: job {job_id} has no output {name!r}")
        return path
