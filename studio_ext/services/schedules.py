"""Schedules (job definitions): CRUD, next-tick computation, and firing due ticks exactly once."""

from __future__ import annotations

import builtins
import logging
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy import update as sql_update

from .. import instance_types, schemas
from ..cron import CronSchedule
from ..exceptions import Conflict, InvalidParameter, NotFound, ServiceUnavailable
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database, rowcount
from .audit import AuditService, BaseAuditService
from .job_files import infer_kind, load_notebook, parameters_cell_index
from .jobs import BaseJobService
from .pagination import decode_token, json_size, split_page

log = logging.getLogger(__name__)

_TERMINAL = [s.value for s in schemas.TERMINAL_JOB_STATUSES]
_TICK_FORMAT = "%Y%m%d%H%M"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Due:
    """What fire_due needs of one definition, read in one short transaction."""

    job_definition_id: str
    name: str
    schedule: str
    timezone: str
    template: dict[str, Any]
    max_concurrent_runs: int
    missed_run_policy: str
    next_run_at: datetime
    created_by: str | None


class BaseScheduleService(ABC):
    """Schedules (job definitions): a job template, a cron expression in a time zone, and the
    rules for runs that overlap or were missed. The studio agent fires them (fire_due).

    Built as `cls(db, settings, jobs, audit)` with the job service that creates the runs and the
    audit service that records what the agent decides on its own; by the server
    (c.StudioApp.schedule_service_class) and by every agent (which gets the class by import path,
    see runner/agent.py). Errors are StudioErrors: InvalidParameter naming the field (a bad cron
    expression or time zone, a template that would fail at every tick, under `job.`), NotFound
    for an unknown or deleted schedule.
    """

    def __init__(self, db: Database, settings: StudioSettings, jobs: BaseJobService,
                 audit: BaseAuditService | None = None) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs
        self.audit = audit if audit is not None else AuditService(db)

    @abstractmethod
    def create(self, request: schemas.CreateJobDefinition, user: str | None) -> str:
        """Validate the schedule and its template as a submission would; returns the new id. A
        paused schedule has no next run; otherwise the next tick after now."""

    @abstractmethod
    def describe(self, job_definition_id: str) -> schemas.DescribeJobDefinition:
        """NotFound for an unknown or deleted schedule."""

    @abstractmethod
    def list(self, query: schemas.ListJobDefinitionsQuery) -> schemas.ListJobDefinitionsResponse:
        """One page of the schedules that are not deleted, filtered and sorted as the query says."""

    @abstractmethod
    def update(self, job_definition_id: str, request: schemas.UpdateJobDefinition) -> None:
        """PATCH: only the fields given (and not null) change. A new schedule or timezone, or a
        resume, recomputes next_run_at from now (a resumed schedule does not replay what it
        missed); pausing clears it."""

    @abstractmethod
    def delete(self, job_definition_id: str) -> None:
        """Soft delete: the schedule stops firing and disappears from lists; the jobs it created
        stay (list_runs still finds them); running ones finish."""

    @abstractmethod
    def list_runs(self, job_definition_id: str, query: schemas.ListJobsQuery) -> schemas.ListJobsResponse:
        """The jobs a schedule created (also after it was deleted); NotFound if it never existed."""

    @abstractmethod
    def fire_due(self, now: datetime | None = None) -> builtins.list[str]:
        """Called by every agent loop: create the jobs of due ticks (honouring pause,
        max_concurrent_runs and missed_run_policy) and advance next_run_at. Safe with several
        agents on one database: each tick creates exactly one job. Returns the new job ids.
        Must not raise for one broken definition (log it and go on to the others). A service
        that leaves firing to another system raises NotImplementedError (the agent then says so
        once and stops asking)."""


class ScheduleService(BaseScheduleService):
    """Exactly-once firing with several agents rests on two guards, both in the database:
    the unique (job_definition_id, scheduled_for) constraint on jobs (a second create_job for a
    tick raises Conflict), and a compare-and-set UPDATE of next_run_at (WHERE next_run_at = the
    value read), so a tick is advanced once and never skipped. The job is created BEFORE the
    advance: an agent killed in between leaves the tick due, and the next agent's create_job
    conflicts and it only advances, so a crash neither loses nor doubles a run.
    """

    #: A tick whose time passed by at most this much is on time; older ticks were missed
    #: (no agent ran) and the definition's missed_run_policy decides.
    missed_run_grace = timedelta(seconds=60)
    #: The audit user for what the agent decides on its own (skipped or failed ticks).
    agent_user = "studio-agent"

    # ------------------------------------------------------------------ validation

    def _validate_template(self, template: schemas.JobTemplate) -> None:
        """The checks a job submission makes, with field names under `job.`, so a schedule that
        would fail at every tick is refused when it is created."""
        path = self.jobs.resolve_input(template.input, field="job.input")
        inferred = infer_kind(path, template.kind, template.input, prefix="job.")
        instance_types.resolve(self.settings.instance_types, template.instance_type, field="job.instance_type")
        if inferred == schemas.JobKind.NOTEBOOK and template.parameters:
            if parameters_cell_index(load_notebook(path, field="job.input")) < 0:
                raise InvalidParameter(
                    f"job.parameters: notebook {template.input!r} has no cell tagged 'parameters'; tag the "
                    "cell that holds the defaults or schedule it without parameters")
        try:
            schemas.CreateJob(**template.model_dump())
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ()))
            raise InvalidParameter(f"job.{where}: {err.get('msg')}") from None

    # ------------------------------------------------------------------ CRUD

    def create(self, request: schemas.CreateJobDefinition, user: str | None) -> str:
        cron = CronSchedule(request.schedule, request.timezone)
        self._validate_template(request.job)
        now = utcnow()
        row = orm.JobDefinition(
            job_definition_id=uuid.uuid4().hex, name=request.name, schedule=cron.expression,
            timezone=request.timezone, template=request.job.model_dump(mode="json"),
            paused=request.paused, max_concurrent_runs=request.max_concurrent_runs,
            missed_run_policy=schemas.MissedRunPolicy(request.missed_run_policy).value,
            # A paused schedule has no next run; resuming computes one from that moment.
            next_run_at=None if request.paused else cron.next_after(now),
            deleted=False, created_by=user, created_at=now, updated_at=now,
        )
        with self.db.session() as session:
            session.add(row)
        return row.job_definition_id

    def _row(self, session, job_definition_id: str, include_deleted: bool = False) -> orm.JobDefinition:
        row = session.get(orm.JobDefinition, job_definition_id)
        if row is None or (row.deleted and not include_deleted):
            raise NotFound(f"job_definition_id: no schedule {job_definition_id!r}")
        return row

    @staticmethod
    def _describe(row: orm.JobDefinition) -> schemas.DescribeJobDefinition:
        return schemas.DescribeJobDefinition(
            job_definition_id=row.job_definition_id, name=row.name, schedule=row.schedule,
            timezone=row.timezone, job=schemas.JobTemplate.model_validate(row.template), paused=row.paused,
            max_concurrent_runs=row.max_concurrent_runs,
            missed_run_policy=schemas.MissedRunPolicy(row.missed_run_policy), next_run_at=row.next_run_at,
            last_run_at=row.last_run_at, created_by=row.created_by, created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def describe(self, job_definition_id: str) -> schemas.DescribeJobDefinition:
        with self.db.session() as session:
            return self._describe(self._row(session, job_definition_id))

    def list(self, query: schemas.ListJobDefinitionsQuery) -> schemas.ListJobDefinitionsResponse:
        offset = decode_token(query.next_token)
        stmt = select(orm.JobDefinition).where(orm.JobDefinition.deleted.is_(False))
        if query.name:
            stmt = stmt.where(orm.JobDefinition.name.contains(query.name, autoescape=True))
        if query.paused is not None:
            stmt = stmt.where(orm.JobDefinition.paused.is_(query.paused))
        key = query.sort_by.lstrip("-")
        column = getattr(orm.JobDefinition, key)
        order = column.desc() if query.sort_by.startswith("-") else column.asc()
        if key == "next_run_at":
            order = order.nulls_last()  # paused schedules have no next run: list them last
        # The id breaks ties so that pages never repeat or drop a row.
        stmt = stmt.order_by(order, orm.JobDefinition.job_definition_id)
        with self.db.session() as session:
            rows = list(session.scalars(stmt.offset(offset).limit(query.max_items + 1)))
            items, token = split_page([self._describe(r) for r in rows], offset, query.max_items, json_size)
            return schemas.ListJobDefinitionsResponse(items=items, next_token=token)

    def update(self, job_definition_id: str, request: schemas.UpdateJobDefinition) -> None:
        # Every field defaults to None, so a field is given exactly when it is not None; the tests
        # below say `is not None` where mypy needs the narrowing.
        given = {name for name in request.model_fields_set if getattr(request, name) is not None}
        with self.db.session() as session:
            current = self._describe(self._row(session, job_definition_id))
        schedule = request.schedule if request.schedule is not None else current.schedule
        timezone = request.timezone if request.timezone is not None else current.timezone
        cron = CronSchedule(schedule, timezone)
        if request.job is not None:
            self._validate_template(request.job)
        values: dict[str, Any] = {"updated_at": utcnow()}
        if "name" in given:
            values["name"] = request.name
        if "schedule" in given:
            values["schedule"] = cron.expression
        if "timezone" in given:
            values["timezone"] = timezone
        if request.job is not None:
            values["template"] = request.job.model_dump(mode="json")
        if "max_concurrent_runs" in given:
            values["max_concurrent_runs"] = request.max_concurrent_runs
        if request.missed_run_policy is not None:
            values["missed_run_policy"] = schemas.MissedRunPolicy(request.missed_run_policy).value
        paused = request.paused if "paused" in given else current.paused
        values["paused"] = paused
        if paused:
            values["next_run_at"] = None
        elif given & {"schedule", "timezone"} or current.paused or current.next_run_at is None:
            # Ticks are counted from now: a resumed schedule does not replay what it missed.
            values["next_run_at"] = cron.next_after(utcnow())
        with self.db.session() as session:
            result = session.execute(
                sql_update(orm.JobDefinition)
                .where(orm.JobDefinition.job_definition_id == job_definition_id,
                       orm.JobDefinition.deleted.is_(False))
                .values(**values))
            if rowcount(result) != 1:
                raise NotFound(f"job_definition_id: no schedule {job_definition_id!r}")

    def delete(self, job_definition_id: str) -> None:
        with self.db.session() as session:
            result = session.execute(
                sql_update(orm.JobDefinition)
                .where(orm.JobDefinition.job_definition_id == job_definition_id,
                       orm.JobDefinition.deleted.is_(False))
                .values(deleted=True, next_run_at=None, updated_at=utcnow()))
            if rowcount(result) != 1:
                raise NotFound(f"job_definition_id: no schedule {job_definition_id!r}")

    def list_runs(self, job_definition_id: str, query: schemas.ListJobsQuery) -> schemas.ListJobsResponse:
        with self.db.session() as session:
            self._row(session, job_definition_id, include_deleted=True)
        return self.jobs.list_jobs(query.model_copy(update={"job_definition_id": job_definition_id}))

    # ------------------------------------------------------------------ firing

    def fire_due(self, now: datetime | None = None) -> builtins.list[str]:
        now = utcnow() if now is None else (now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC))
        with self.db.session() as session:
            rows = session.scalars(
                select(orm.JobDefinition)
                .where(orm.JobDefinition.deleted.is_(False), orm.JobDefinition.paused.is_(False),
                       orm.JobDefinition.next_run_at.is_not(None), orm.JobDefinition.next_run_at <= now)
                .order_by(orm.JobDefinition.next_run_at))
            due: builtins.list[_Due] = []
            for r in rows:
                assert r.next_run_at is not None  # the query selects only rows with a next run
                due.append(_Due(r.job_definition_id, r.name, r.schedule, r.timezone, dict(r.template),
                                r.max_concurrent_runs, r.missed_run_policy, r.next_run_at, r.created_by))
        created: builtins.list[str] = []
        for definition in due:
            try:
                job_id = self._fire(definition, now)
            except ServiceUnavailable as exc:
                # The database is busy: leave the tick due, the next loop tries again.
                log.warning("schedule %s: tick left due, database unavailable: %s", definition.job_definition_id, exc)
                continue
            except Exception:
                # One broken definition must not stop the others (or the agent loop).
                log.exception("schedule %s: firing failed", definition.job_definition_id)
                continue
            if job_id:
                created.append(job_id)
        return created

    def _fire(self, d: _Due, now: datetime) -> str | None:
        cron = CronSchedule(d.schedule, d.timezone)
        latest = cron.latest_at_or_before(now)
        if latest < d.next_run_at:  # next_run_at is not a tick of this schedule (tz data changed)
            latest = d.next_run_at
        next_at = cron.next_after(now)
        on_time = now - latest <= self.missed_run_grace
        if on_time or d.missed_run_policy == schemas.MissedRunPolicy.RUN_ONCE.value:
            tick = latest  # run_once: one run for all the missed ticks, stamped with the latest
        else:
            if self._advance(d, next_at):
                self._skipped(d, "missed", tick=latest, missed_from=d.next_run_at, missed_until=latest,
                              policy=d.missed_run_policy, next_run_at=next_at)
            return None
        if latest > d.next_run_at and on_time and d.missed_run_policy == schemas.MissedRunPolicy.SKIP.value:
            # Downtime ended right at a tick: that one runs, the ones before it were missed.
            log.info("schedule %s: ticks from %s to before %s were missed (policy skip)",
                     d.job_definition_id, d.next_run_at.isoformat(), latest.isoformat())

        if self._tick_job(d.job_definition_id, tick) is not None:
            self._advance(d, next_at, last_run_at=tick)  # another agent fired it and died or lags
            return None
        active = self._active_runs(d.job_definition_id, tick)
        if active >= d.max_concurrent_runs:
            if self._advance(d, next_at):
                self._skipped(d, "max_concurrent_runs", tick=tick, active_runs=active,
                              max_concurrent_runs=d.max_concurrent_runs, next_run_at=next_at)
            return None
        try:
            job_id = self.jobs.create_job(self._job_request(d, cron, tick), d.created_by,
                                          job_definition_id=d.job_definition_id, scheduled_for=tick)
        except Conflict:
            if self._tick_job(d.job_definition_id, tick) is None:
                raise
            log.debug("schedule %s: tick %s fired by another agent", d.job_definition_id, tick.isoformat())
            self._advance(d, next_at, last_run_at=tick)
            return None
        except (InvalidParameter, NotFound) as exc:
            # The template no longer works (file moved, catalog changed): retrying every loop
            # would spin, so this tick fails on the record and the schedule moves on.
            if self._advance(d, next_at):
                log.warning("schedule %s: tick %s not run: %s", d.job_definition_id, tick.isoformat(), exc.message)
                self.audit.record(self.agent_user, "FireScheduledRun", "job-definition", d.job_definition_id,
                                  schemas.AuditOutcome.FAILURE,
                                  {"tick": tick.isoformat(), "error": exc.message, "error_code": exc.error_code,
                                   "next_run_at": next_at.isoformat()})
            return None
        log.info("schedule %s: tick %s -> job %s", d.job_definition_id, tick.isoformat(), job_id)
        self._advance(d, next_at, last_run_at=tick)
        return job_id

    def _job_request(self, d: _Due, cron: CronSchedule, tick: datetime) -> schemas.CreateJob:
        data = schemas.JobTemplate.model_validate(d.template).model_dump()
        suffix = "-" + cron.local(tick).strftime(_TICK_FORMAT)
        data["name"] = data.get("name") or d.name[: 200 - len(suffix)] + suffix
        # All runs of a schedule share one MLflow experiment (a per-run name would make one each).
        data["experiment_name"] = data.get("experiment_name") or d.template.get("name") or d.name
        return schemas.CreateJob(**data)

    def _tick_job(self, job_definition_id: str, tick: datetime) -> str | None:
        with self.db.session() as session:
            return session.scalar(select(orm.Job.job_id).where(orm.Job.job_definition_id == job_definition_id,
                                                               orm.Job.scheduled_for == tick))

    def _active_runs(self, job_definition_id: str, tick: datetime) -> int:
        """Runs of this schedule that are not finished (Queued counts: it will take a slot),
        excluding one for `tick` itself, which a racing agent may have just created."""
        with self.db.session() as session:
            return session.scalar(
                select(func.count()).select_from(orm.Job)
                .where(orm.Job.job_definition_id == job_definition_id, orm.Job.status.not_in(_TERMINAL),
                       or_(orm.Job.scheduled_for.is_(None), orm.Job.scheduled_for != tick))) or 0

    def _advance(self, d: _Due, next_at: datetime, last_run_at: datetime | None = None) -> bool:
        """Compare-and-set next_run_at from the value this agent read; True if this call moved it.
        A False means another agent advanced it, or a person edited, paused or deleted it."""
        values: dict[str, Any] = {"next_run_at": next_at,
                                  # not an edit: keep updated_at for the person's changes
                                  "updated_at": orm.JobDefinition.updated_at}
        if last_run_at is not None:
            values["last_run_at"] = last_run_at
        with self.db.session() as session:
            result = session.execute(
                sql_update(orm.JobDefinition)
                .where(orm.JobDefinition.job_definition_id == d.job_definition_id,
                       orm.JobDefinition.next_run_at == d.next_run_at,
                       orm.JobDefinition.deleted.is_(False))
                .values(**values))
            return rowcount(result) == 1

    def _skipped(self, d: _Due, reason: str, **detail: Any) -> None:
        detail = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in detail.items()}
        log.info("schedule %s (%s): tick skipped (%s): %s", d.job_definition_id, d.name, reason, detail)
        self.audit.record(self.agent_user, "SkipScheduledRun", "job-definition", d.job_definition_id,
                          schemas.AuditOutcome.SUCCESS, {"reason": reason, **detail})
