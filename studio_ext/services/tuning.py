"""Tuning jobs as desired state and queries: the contract and its database implementation.

The service checks a request completely before anything runs and records it; the agent's tuning
reconciler (runner/reconcilers/tuning.py) runs the search: it asks Optuna for each trial's values,
creates the trial as a job, and reads the trial's objective from its MLflow run.
"""

from __future__ import annotations

import builtins
import json
import random
import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update

from .. import schemas
from ..exceptions import Conflict, InvalidParameter, NotFound
from ..paths import OUTPUT_DIR, TRAINING_RESULT
from ..schemas.limits import MAX_TAGS
from ..schemas.tuning import RangeType, Strategy, TrialStatus, WarmStartType
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database, rowcount
from ..tuning import space
from ..tuning.trials import best_trial, sort_trials, trial_job, warm_fits
from .jobs import BaseJobService

ACTIVE = (schemas.JobStatus.QUEUED.value, schemas.JobStatus.IN_PROGRESS.value, schemas.JobStatus.STOPPING.value)
TRIAL_TAGS = ("studio.tuning_job_id", "studio.tuning_trial", "studio.parent_run_id")  # added to each trial job
DEFAULT_MAX_TRIALS = 10
ENDED = (schemas.JobStatus.COMPLETED.value, schemas.JobStatus.STOPPED.value, schemas.JobStatus.FAILED.value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class BaseTuningService(ABC):
    """Hyperparameter tuning jobs: many trial jobs over parameter ranges, searched by a strategy,
    judged by one objective metric; the best trial kept.

    An implementation records and answers; the agent runs the search (Queued -> InProgress ->
    Completed | Failed; Stopping -> Stopped). Methods block; the handlers call them on a worker
    thread. Errors are `StudioError`s naming the field.
    """

    @abstractmethod
    def create(self, request: schemas.CreateTuningJob, user: str | None) -> schemas.DescribeTuningJob:
        """Check and queue a tuning job.

        Raises:
            InvalidParameter: a range that does not fit the algorithm's hyperparameter (unknown,
                wrong type, a bound it refuses), a metric the algorithm does not emit, a script or
                notebook objective without a direction, a Grid over a Continuous range, a trial
                job the job service would refuse, a warm-start parent of another objective.
            NotFound: a warm-start parent, an input or a channel that does not exist.
        """

    @abstractmethod
    def describe(self, tuning_job_id: str, sort_by: str = "trial_number") -> schemas.DescribeTuningJob:
        """Status, counts, the best trial, importances and the trials, sorted by `sort_by`.

        Raises:
            NotFound: no tuning job of that id.
        """

    @abstractmethod
    def list(self) -> schemas.ListTuningJobsResponse:
        """The newest tuning jobs first (at most 1000), without their trials."""

    @abstractmethod
    def stop(self, tuning_job_id: str, user: str | None = None) -> None:
        """Stop starting trials and stop the running ones; the job ends Stopped once they ended.

        Raises:
            NotFound: no tuning job of that id.
            Conflict: it has already ended.
        """


class TuningService(BaseTuningService):
    """Tuning jobs in the studio database.

    Args:
        jobs: the job service: it checks the trials' template (each trial is a job it creates).
    """

    def __init__(self, db: Database, settings: StudioSettings, jobs: BaseJobService):
        self.db = db
        self.settings = settings
        self.jobs = jobs

    # ------------------------------------------------------------------ create

    def create(self, request: schemas.CreateTuningJob, user: str | None) -> schemas.DescribeTuningJob:
        template = request.training_job
        if len(template.tags) > MAX_TAGS - len(TRIAL_TAGS):
            raise InvalidParameter(f"training_job.tags: at most {MAX_TAGS - len(TRIAL_TAGS)} (each trial adds "
                                   f"{', '.join(TRIAL_TAGS)})")
        self._check_trial(template, {}, "training_job")  # the template itself, before the ranges on it
        objective = request.objective
        if template.algorithm is not None:
            objective = self._check_algorithm(request)
        elif objective.type is None:
            raise InvalidParameter("objective.type: required for a script or notebook job: Maximize or Minimize "
                                   f"{objective.metric!r}")
        max_trials = request.max_trials or DEFAULT_MAX_TRIALS
        if request.strategy == Strategy.GRID:
            try:
                points = space.grid(request.parameter_ranges)
            except ValueError as exc:
                raise InvalidParameter(str(exc)) from None
            size = 1
            for values in points.values():
                size *= len(values)
            max_trials = min(request.max_trials or size, size)
        # Every trial must be a job the job service takes: check one with the lowest values.
        self._check_trial(template, {name: _first_value(spec) for name, spec in request.parameter_ranges.items()},
                          "training_job")
        warm = self._check_warm_start(request)
        seed = request.seed if request.seed is not None else random.SystemRandom().randrange(2**31)
        stored = request.model_copy(update={"objective": objective, "max_trials": max_trials, "seed": seed})
        tuning_job_id = uuid.uuid4().hex[:16]
        with self.db.session() as session:
            session.add(orm.TuningJob(
                tuning_job_id=tuning_job_id, name=request.name, status=schemas.JobStatus.QUEUED.value,
                request=stored.model_dump(mode="json", exclude_none=True), seed=seed, max_trials=max_trials,
                experiment_name=template.experiment_name or request.name, importances={},
                warm_start_trials=warm, created_by=user, created_at=utcnow()))
        return self.describe(tuning_job_id)

    def _check_algorithm(self, request: schemas.CreateTuningJob) -> schemas.Objective:
        """The ranges against the algorithm's hyperparameters, the metric against its metrics; the
        objective with its direction filled in."""
        from ..algorithms import get

        template = request.training_job
        algorithm = get(template.algorithm or "")
        assert algorithm is not None  # the template was checked
        schema = algorithm.Hyperparameters.model_json_schema(by_alias=True)
        properties = schema.get("properties", {})
        for name, spec in request.parameter_ranges.items():
            field = f"parameter_ranges.{name}"
            prop = properties.get(name)
            if prop is None:
                tunable = [n for n, p in properties.items() if p.get("x-tunable")]
                raise InvalidParameter(f"{field}: {algorithm.name} has no hyperparameter {name!r}; its tunable ones: "
                                       f"{', '.join(tunable)}")
            kind = prop.get("type")
            if "enum" in prop or kind in ("string", "boolean"):
                if spec.type != RangeType.CATEGORICAL:
                    raise InvalidParameter(f"{field}: {name} takes {kind} values; give it as a Categorical range")
            elif kind == "integer" and spec.type == RangeType.CONTINUOUS:
                raise InvalidParameter(f"{field}: {name} is an integer; give it as an Integer range")
            points = spec.values if spec.type == RangeType.CATEGORICAL else [spec.min, spec.max]
            for value in points or []:
                if spec.type == RangeType.INTEGER and value is not None:
                    value = int(value)
                try:
                    algorithm.Hyperparameters.model_validate({**template.hyperparameters, name: value})
                except ValidationError as exc:
                    problems = "; ".join(e.get("msg", "invalid") for e in exc.errors(include_url=False)
                                         if tuple(e.get("loc", ()))[:1] == (name,)) or str(exc)
                    raise InvalidParameter(f"{field}: {algorithm.name} refuses {name} = {value!r}: {problems}") from None
        metrics = {m.name: m for m in algorithm.metrics}
        metric = metrics.get(request.objective.metric)
        if metric is None:
            raise InvalidParameter(f"objective.metric: {algorithm.name} does not emit {request.objective.metric!r}; "
                                   f"it emits {', '.join(metrics)}")
        if request.objective.type is not None:
            return request.objective
        return request.objective.model_copy(update={"type": schemas.ObjectiveType(metric.direction)})

    def _check_trial(self, template: schemas.CreateJob, values: dict[str, Any], field: str) -> None:
        try:
            self.jobs.check_job(trial_job(template, values))
        except (InvalidParameter, NotFound) as exc:
            message = exc.message if exc.message.startswith(("training_job", "parameter_ranges")) else \
                f"{field}.{exc.message}"
            raise type(exc)(message) from None

    def _check_warm_start(self, request: schemas.CreateTuningJob) -> int:
        """The parents exist, have ended, judged the same objective (and, for an identical warm
        start, trained the same thing); returns how many of their trials the search replays."""
        if request.warm_start is None:
            return 0
        replayable = 0
        with self.db.session() as session:
            for i, parent_id in enumerate(request.warm_start.parents):
                field = f"warm_start.parents[{i}]"
                parent = session.get(orm.TuningJob, parent_id)
                if parent is None:
                    raise NotFound(f"{field}: no tuning job {parent_id!r}")
                if parent.status not in ENDED:
                    raise InvalidParameter(f"{field}: tuning job {parent_id} is {parent.status}; a parent must "
                                           "have ended")
                given = schemas.CreateTuningJob.model_validate(parent.request)
                if given.objective.metric != request.objective.metric:
                    raise InvalidParameter(f"{field}: tuning job {parent_id} optimized {given.objective.metric!r}, "
                                           f"not {request.objective.metric!r}")
                if request.warm_start.type == WarmStartType.IDENTICAL and \
                        _trained_thing(given.training_job) != _trained_thing(request.training_job):
                    raise InvalidParameter(f"{field}: tuning job {parent_id} trained another algorithm or data; "
                                           "use the warm start type TransferLearning")
                rows = session.scalars(select(orm.TuningTrial).where(
                    orm.TuningTrial.tuning_job_id == parent_id,
                    orm.TuningTrial.status == TrialStatus.COMPLETED.value)).all()
                replayable += sum(1 for r in rows if warm_fits(r.parameters, request))
        return replayable

    # ------------------------------------------------------------------ queries

    def describe(self, tuning_job_id: str, sort_by: str = "trial_number") -> schemas.DescribeTuningJob:
        with self.db.session() as session:
            row = session.get(orm.TuningJob, tuning_job_id)
            if row is None:
                raise NotFound(f"tuning_job_id: no tuning job {tuning_job_id!r}")
            trials = self._trials(session, [tuning_job_id])[tuning_job_id]
            return self._describe(row, trials, sort_by)

    def list(self) -> schemas.ListTuningJobsResponse:
        with self.db.session() as session:
            rows = session.scalars(select(orm.TuningJob).order_by(orm.TuningJob.created_at.desc()).limit(1000)).all()
            trials = self._trials(session, [r.tuning_job_id for r in rows])
            return schemas.ListTuningJobsResponse(items=[self._describe(r, trials[r.tuning_job_id], None)
                                                         for r in rows])

    def _trials(self, session: Any, ids: builtins.list[str]) -> dict[str, builtins.list[schemas.TuningTrial]]:
        found: dict[str, builtins.list[schemas.TuningTrial]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = session.execute(
            select(orm.TuningTrial, orm.Job.status, orm.Job.mlflow_run_id)
            .outerjoin(orm.Job, orm.Job.job_id == orm.TuningTrial.job_id)
            .where(orm.TuningTrial.tuning_job_id.in_(ids))
            .order_by(orm.TuningTrial.tuning_job_id, orm.TuningTrial.trial_number)).all()
        for trial, job_status, run_id in rows:
            found[trial.tuning_job_id].append(schemas.TuningTrial(
                trial_number=trial.trial_number, status=TrialStatus(trial.status), status_reason=trial.status_reason,
                parameters=trial.parameters, objective=trial.objective, steps=len(trial.intermediate or {}),
                job_id=trial.job_id, job_status=schemas.JobStatus(job_status) if job_status else None,
                mlflow_run_id=run_id, created_at=trial.created_at, ended_at=trial.ended_at))
        return found

    def _model_uri(self, job_id: str | None) -> str | None:
        if job_id is None:
            return None
        try:
            result = json.loads((self.settings.job_dir(job_id) / OUTPUT_DIR / TRAINING_RESULT).read_text())
        except (OSError, ValueError):
            return None
        return result.get("model_uri") if isinstance(result, dict) else None

    def _describe(self, row: orm.TuningJob, trials: builtins.list[schemas.TuningTrial],
                  sort_by: str | None) -> schemas.DescribeTuningJob:
        request = schemas.CreateTuningJob.model_validate(row.request)
        maximize = request.objective.type == schemas.ObjectiveType.MAXIMIZE
        counts = schemas.TrialCounts(total=len(trials))
        for trial in trials:
            setattr(counts, trial.status.value.lower(), getattr(counts, trial.status.value.lower()) + 1)
        best = best_trial(trials, maximize)
        # A trial's model is in its job's result file: read for the trials shown, not for every list.
        for trial in (trials if sort_by else [best] if best else []):
            trial.model_uri = self._model_uri(trial.job_id)
        return schemas.DescribeTuningJob(
            tuning_job_id=row.tuning_job_id, name=row.name, status=schemas.JobStatus(row.status),
            status_reason=row.status_reason, objective=request.objective, parameter_ranges=request.parameter_ranges,
            strategy=request.strategy, max_trials=row.max_trials, max_parallel_trials=request.max_parallel_trials,
            max_runtime_seconds=request.max_runtime_seconds, early_stopping=request.early_stopping,
            warm_start=request.warm_start, seed=row.seed, training_job=request.training_job, counts=counts,
            best_trial=best, parameter_importances=row.importances or {}, warm_start_trials=row.warm_start_trials,
            experiment_name=row.experiment_name, mlflow_parent_run_id=row.mlflow_parent_run_id,
            trials=sort_trials(trials, sort_by, maximize) if sort_by else None, created_by=row.created_by,
            created_at=row.created_at, started_at=row.started_at, ended_at=row.ended_at)

    # ------------------------------------------------------------------ stop

    def stop(self, tuning_job_id: str, user: str | None = None) -> None:
        with self.db.session() as session:
            row = session.get(orm.TuningJob, tuning_job_id)
            if row is None:
                raise NotFound(f"tuning_job_id: no tuning job {tuning_job_id!r}")
            if row.status in ENDED:
                raise Conflict(f"tuning job {tuning_job_id} is already {row.status}; nothing to stop")
            if row.status == schemas.JobStatus.STOPPING.value:
                return
            result = session.execute(update(orm.TuningJob).where(
                orm.TuningJob.tuning_job_id == tuning_job_id, orm.TuningJob.status.in_(ACTIVE))
                .values(status=schemas.JobStatus.STOPPING.value, status_reason=f"stop requested by {user or 'anonymous'}",
                        stop_requested_at=utcnow()))
            if rowcount(result) != 1:
                raise Conflict(f"tuning job {tuning_job_id} changed state while stopping it; try again")


def _first_value(spec: schemas.ParameterRange) -> Any:
    if spec.type == RangeType.CATEGORICAL:
        return spec.values[0] if spec.values else None
    return int(spec.min) if spec.type == RangeType.INTEGER and spec.min is not None else spec.min


def _trained_thing(template: schemas.CreateJob) -> Any:
    """What an identical warm start must share: the algorithm and its data, or the input file."""
    channels = {name: (c if isinstance(c, str) else c.path) for name, c in template.channels.items()}
    return template.algorithm, template.input, sorted(channels.items())
