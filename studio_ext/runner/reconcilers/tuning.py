"""The tuning reconciler: runs the search of each tuning job, one trial job at a time.

A pass over a tuning job: follow its running trials (a trial's job ended: read its objective from
the job's MLflow run; still running: feed the objective's intermediate values to the pruner and
stop the job if it should stop), then start trials while the budget and the parallelism allow,
each with values Optuna proposes from the trials so far, and end the tuning job when its trials
are done. Optuna's study is rebuilt from the trial rows at each decision (tuning/search.py), so
this agent is the only process that talks to it and a restarted agent continues where the
database says the search is. A trial's job is created with an idempotency token: an agent killed
between recording a trial and creating its job creates it once, on the next pass.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from ... import tracking
from ...exceptions import Conflict, StudioError
from ...paths import OUTPUT_DIR, TRAINING_RESULT
from ...schemas import CreateTuningJob, JobStatus
from ...schemas.tuning import Aggregation, ObjectiveType, TrialStatus
from ...settings import StudioSettings
from ...store import orm
from ...store.db import Database, rowcount
from ...tuning.search import Search, TrialRecord
from ...tuning.trials import best_trial, trial_job, warm_fits
from .base import AgentAlive, BaseReconciler, utcnow

log = logging.getLogger("studio_ext.agent")

WATCHED = (JobStatus.QUEUED.value, JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value)
TERMINAL = (JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.STOPPED.value)
FIRST_FAILURES = 3  # the first trials all failing means the template is broken: stop there


class TuningReconciler(BaseReconciler):
    """Queued -> InProgress (searching) -> Completed | Failed; Stopping (stop asked, or the time
    limit) -> Stopped once the trials' jobs ended.

    Args:
        job_service: () -> the job service (BaseJobService) that creates and stops trial jobs.
    """

    interval_s = 0.25  # a trial that ended is followed by the next one within a quarter second

    def __init__(self, db: Database, settings: StudioSettings, agent_id: str, agent_alive: AgentAlive,
                 job_service: Callable[[], Any]):
        super().__init__(db, settings, agent_id, agent_alive)
        self.job_service = job_service
        self._warm: dict[str, list[TrialRecord]] = {}  # parents have ended: their trials never change

    def reconcile(self) -> None:
        with self.db.session() as session:
            rows = session.scalars(select(orm.TuningJob).where(orm.TuningJob.status.in_(WATCHED))
                                   .order_by(orm.TuningJob.created_at)).all()
            for row in rows:
                session.expunge(row)
        for row in rows:
            if row.agent_id not in (None, self.agent_id) and self.agent_alive(row.agent_id):
                continue  # its own agent searches it
            try:
                self._advance(row)
            except Exception:
                log.exception("tuning job %s: pass failed", row.tuning_job_id)

    # ------------------------------------------------------------------ one tuning job

    def _set(self, row: orm.TuningJob, **values: Any) -> bool:
        """A conditional write: only while the row still has the status and owner this pass read."""
        with self.db.session() as session:
            done = rowcount(session.execute(update(orm.TuningJob).where(
                orm.TuningJob.tuning_job_id == row.tuning_job_id, orm.TuningJob.status == row.status,
                orm.TuningJob.agent_id.is_(None) if row.agent_id is None else orm.TuningJob.agent_id == row.agent_id)
                .values(**values))) == 1
        if done:
            for key, value in values.items():
                setattr(row, key, value)
        return done

    def _advance(self, row: orm.TuningJob) -> None:
        if row.status == JobStatus.QUEUED.value:
            if not self._set(row, status=JobStatus.IN_PROGRESS.value, agent_id=self.agent_id, started_at=utcnow()):
                return
            log.info("tuning job %s (%s): searching", row.tuning_job_id, row.name)
        elif row.agent_id != self.agent_id:
            if not self._set(row, agent_id=self.agent_id):
                return
            log.info("tuning job %s: adopted", row.tuning_job_id)
        request = CreateTuningJob.model_validate(row.request)
        assert request.objective.type is not None  # the service fills in the direction
        if row.mlflow_parent_run_id is None:
            self._set(row, mlflow_parent_run_id=self._parent_run(row, request))
        search = Search(row.tuning_job_id, request.parameter_ranges, request.strategy, request.objective.type,
                        request.early_stopping, row.seed, row.max_trials)
        warm = self._warm_trials(row, request)
        trials = self._trials(row.tuning_job_id)
        changed = self._follow(row, request, search, trials, warm)
        if changed:
            trials = self._trials(row.tuning_job_id)
        ending = self._ending(row, request, trials)
        if ending is not None:
            if changed:
                self._importances(row, search, trials)
            self._end(row, trials, *ending)
            return
        running = sum(1 for t in trials if t.status == TrialStatus.RUNNING)
        exhausted = False  # a Grid search whose points were all taken (by a parent too)
        while len(trials) < row.max_trials and running < request.max_parallel_trials:
            trial = self._start_trial(row, request, search, trials, warm)
            if trial is None:
                exhausted = True
                break
            trials.append(trial)
            running += 1
        if changed:  # once the next trials started: fANOVA takes 0.2 s at 10 trials, 1.2 s at 100 (bench/tuning.py)
            self._importances(row, search, trials)
        if (exhausted or len(trials) >= row.max_trials) and running == 0:
            done = [t for t in trials if t.status == TrialStatus.COMPLETED]
            if done:
                self._end(row, trials, JobStatus.COMPLETED, None)
            else:
                self._end(row, trials, JobStatus.FAILED, "no trial completed; " + _first_reason(trials))

    def _ending(self, row: orm.TuningJob, request: CreateTuningJob,
                trials: list[TrialRecord]) -> tuple[JobStatus, str | None] | None:
        """Why the search ends early, if it does: a stop request, the time limit, or a broken
        template (the first trials all failed)."""
        if row.status == JobStatus.STOPPING.value:
            return JobStatus.STOPPED, row.status_reason
        limit = request.max_runtime_seconds
        if limit and row.started_at is not None and utcnow() - row.started_at >= timedelta(seconds=limit):
            return JobStatus.COMPLETED, f"max_runtime_seconds ({limit} s) reached"
        first = trials[:min(FIRST_FAILURES, row.max_trials)]
        if first and len(first) == min(FIRST_FAILURES, row.max_trials) and \
                all(t.status == TrialStatus.FAILED for t in first) and \
                not any(t.status == TrialStatus.COMPLETED for t in trials):
            return JobStatus.FAILED, f"the first {len(first)} trials failed; " + _first_reason(trials)
        return None

    def _end(self, row: orm.TuningJob, trials: list[TrialRecord], status: JobStatus, reason: str | None) -> None:
        """Stop what still runs; once every trial's job has ended, write the final status."""
        jobs = self.job_service()
        for trial in trials:
            if trial.status != TrialStatus.RUNNING:
                continue
            job_id = self._job_of(row.tuning_job_id, trial.number)
            if job_id is not None:
                try:
                    jobs.stop_job(job_id, f"tuning job {row.name}")
                except Conflict:
                    pass  # it ended meanwhile
            self._update_trial(row.tuning_job_id, trial.number, status=TrialStatus.STOPPED.value,
                               status_reason=reason or "the tuning job ended", ended_at=utcnow())
        with self.db.session() as session:
            unfinished = session.scalar(select(orm.Job.job_id).join(
                orm.TuningTrial, orm.TuningTrial.job_id == orm.Job.job_id).where(
                orm.TuningTrial.tuning_job_id == row.tuning_job_id, orm.Job.status.not_in(TERMINAL)).limit(1))
        if unfinished is not None:
            return  # a trial's job is still stopping: the status stays honest until it ended
        if not self._set(row, status=status.value, status_reason=reason, ended_at=utcnow()):
            return
        self._finish_parent_run(row, status)
        log.info("tuning job %s: %s%s", row.tuning_job_id, status.value, f" ({reason})" if reason else "")

    # ------------------------------------------------------------------ trials

    def _trials(self, tuning_job_id: str) -> list[TrialRecord]:
        with self.db.session() as session:
            rows = session.scalars(select(orm.TuningTrial).where(orm.TuningTrial.tuning_job_id == tuning_job_id)
                                   .order_by(orm.TuningTrial.trial_number)).all()
            return [TrialRecord(number=r.trial_number, status=TrialStatus(r.status), parameters=r.parameters,
                                objective=r.objective, reason=r.status_reason,
                                intermediate={int(k): v for k, v in (r.intermediate or {}).items()}) for r in rows]

    def _update_trial(self, tuning_job_id: str, number: int, **values: Any) -> bool:
        """Only a running trial changes (what ended stays as it ended)."""
        with self.db.session() as session:
            return rowcount(session.execute(update(orm.TuningTrial).where(
                orm.TuningTrial.tuning_job_id == tuning_job_id, orm.TuningTrial.trial_number == number,
                orm.TuningTrial.status == TrialStatus.RUNNING.value).values(**values))) == 1

    def _job_of(self, tuning_job_id: str, number: int) -> str | None:
        with self.db.session() as session:
            return session.scalar(select(orm.TuningTrial.job_id).where(
                orm.TuningTrial.tuning_job_id == tuning_job_id, orm.TuningTrial.trial_number == number))

    def _start_trial(self, row: orm.TuningJob, request: CreateTuningJob, search: Search,
                     trials: list[TrialRecord], warm: list[TrialRecord]) -> TrialRecord | None:
        number = len(trials)
        values = search.propose(trials, warm)
        if values is None:
            return None
        with self.db.session() as session:
            session.add(orm.TuningTrial(tuning_job_id=row.tuning_job_id, trial_number=number,
                                        status=TrialStatus.RUNNING.value, parameters=values, intermediate={},
                                        created_at=utcnow()))
        record = TrialRecord(number=number, status=TrialStatus.RUNNING, parameters=values)
        self._create_job(row, request, record)
        log.info("tuning job %s: trial %s with %s", row.tuning_job_id, number, values)
        return record

    def _create_job(self, row: orm.TuningJob, request: CreateTuningJob, trial: TrialRecord) -> None:
        """The trial's job (again after a crash: the idempotency token finds the first one)."""
        tags = {**request.training_job.tags, "studio.tuning_job_id": row.tuning_job_id,
                "studio.tuning_trial": str(trial.number), "studio.parent_run_id": row.mlflow_parent_run_id or ""}
        job = trial_job(request.training_job, trial.parameters, name=f"{row.name}-{trial.number:03d}",
                        experiment_name=row.experiment_name, tags=tags,
                        idempotency_token=f"tuning-{row.tuning_job_id}-{trial.number}")
        try:
            job_id = self.job_service().create_job(job, row.created_by)
        except StudioError as exc:
            self._update_trial(row.tuning_job_id, trial.number, status=TrialStatus.FAILED.value,
                               status_reason=f"its job could not be created: {exc.message}"[:2000], ended_at=utcnow())
            trial.status = TrialStatus.FAILED
            return
        with self.db.session() as session:
            session.execute(update(orm.TuningTrial).where(orm.TuningTrial.tuning_job_id == row.tuning_job_id,
                                                          orm.TuningTrial.trial_number == trial.number)
                            .values(job_id=job_id))

    def _follow(self, row: orm.TuningJob, request: CreateTuningJob, search: Search, trials: list[TrialRecord],
                warm: list[TrialRecord]) -> bool:
        """Move the running trials along; True when one of them changed."""
        changed = False
        for trial in trials:
            if trial.status != TrialStatus.RUNNING:
                continue
            job_id = self._job_of(row.tuning_job_id, trial.number)
            with self.db.session() as session:
                job = session.get(orm.Job, job_id) if job_id else None
                if job is not None:
                    session.expunge(job)
            if job is None:
                if row.status != JobStatus.STOPPING.value:
                    self._create_job(row, request, trial)  # recorded, but the agent died before its job
                continue
            if job.status in TERMINAL:
                changed |= self._trial_ended(row, request, trial, job)
            elif search.prunes and job.mlflow_run_id:
                changed |= self._report(row, request, search, trials, warm, trial, job)
        return changed

    def _trial_ended(self, row: orm.TuningJob, request: CreateTuningJob, trial: TrialRecord, job: orm.Job) -> bool:
        now = utcnow()
        if job.status == JobStatus.COMPLETED.value:
            try:
                value = self._objective(request, job)
            except Exception as exc:  # an unreachable store: try again at the next pass
                log.warning("tuning job %s: trial %s: objective not read yet: %s", row.tuning_job_id,
                            trial.number, exc)
                return False
            if value is None:
                return self._update_trial(row.tuning_job_id, trial.number, status=TrialStatus.FAILED.value,
                                          status_reason=self._missing_metric(request, job), ended_at=now)
            return self._update_trial(row.tuning_job_id, trial.number, status=TrialStatus.COMPLETED.value,
                                      objective=value, ended_at=now)
        if job.status == JobStatus.FAILED.value:
            return self._update_trial(row.tuning_job_id, trial.number, status=TrialStatus.FAILED.value,
                                      status_reason=f"its job failed: {job.status_reason or 'no reason recorded'}"[:2000],
                                      ended_at=now)
        return self._update_trial(row.tuning_job_id, trial.number, status=TrialStatus.STOPPED.value,
                                  status_reason=f"its job was stopped: {job.status_reason or ''}".strip()[:2000],
                                  ended_at=now)

    def _report(self, row: orm.TuningJob, request: CreateTuningJob, search: Search, trials: list[TrialRecord],
                warm: list[TrialRecord], trial: TrialRecord, job: orm.Job) -> bool:
        """New intermediate values of a running trial go to the pruner; a trial it prunes has its
        job stopped."""
        history = self.mlflow_client().get_metric_history(job.mlflow_run_id, request.objective.metric)
        values = {int(m.step): float(m.value) for m in history if m.step >= 0 and math.isfinite(m.value)}
        if values == trial.intermediate:
            return False
        trial.intermediate = values
        self._update_trial(row.tuning_job_id, trial.number, intermediate={str(k): v for k, v in values.items()})
        if not search.should_prune(trials, trial.number, warm):
            return True
        step = max(values)
        reason = (f"pruned at step {step}: {request.objective.metric} = {values[step]:.6g}, behind the other "
                  f"trials at that step ({'Hyperband' if search.strategy.value == 'Hyperband' else 'median rule'})")
        if self._update_trial(row.tuning_job_id, trial.number, status=TrialStatus.PRUNED.value,
                              objective=values[step], status_reason=reason, ended_at=utcnow()):
            try:
                self.job_service().stop_job(job.job_id, f"tuning job {row.name} (pruned)")
            except Conflict:
                pass
            log.info("tuning job %s: trial %s %s", row.tuning_job_id, trial.number, reason)
        return True

    def _objective(self, request: CreateTuningJob, job: orm.Job) -> float | None:
        """An algorithm's final value of the metric (what it reports after early stopping), else
        the run's series: its last value, or its best."""
        metric = request.objective.metric
        if request.training_job.algorithm is not None:
            try:
                result = json.loads((self.settings.job_dir(job.job_id) / OUTPUT_DIR / TRAINING_RESULT).read_text())
                value = (result.get("metrics") or {}).get(metric)
                if isinstance(value, int | float) and math.isfinite(value):
                    return float(value)
            except (OSError, ValueError, AttributeError):
                pass
        if not job.mlflow_run_id:
            return None
        history = [m for m in self.mlflow_client().get_metric_history(job.mlflow_run_id, metric)
                   if math.isfinite(m.value)]
        if not history:
            return None
        if request.objective.aggregation == Aggregation.BEST:
            pick = max if request.objective.type == ObjectiveType.MAXIMIZE else min
            return float(pick(m.value for m in history))
        return float(max(history, key=lambda m: (m.step, m.timestamp)).value)

    def _missing_metric(self, request: CreateTuningJob, job: orm.Job) -> str:
        logged: list[str] = []
        if job.mlflow_run_id:
            try:
                logged = sorted(self.mlflow_client().get_run(job.mlflow_run_id).data.metrics)
            except Exception:
                pass
        return (f"its run logged no metric {request.objective.metric!r} (it logged: "
                f"{', '.join(logged[:20]) or 'none'})")

    def _importances(self, row: orm.TuningJob, search: Search, trials: list[TrialRecord]) -> None:
        found = search.importances(trials)
        if found and found != row.importances:
            with self.db.session() as session:
                session.execute(update(orm.TuningJob).where(orm.TuningJob.tuning_job_id == row.tuning_job_id)
                                .values(importances=found))
            row.importances = found

    def _warm_trials(self, row: orm.TuningJob, request: CreateTuningJob) -> list[TrialRecord]:
        """The parents' completed trials that fit this search (services/tuning.warm_fits)."""
        if request.warm_start is None:
            return []
        if row.tuning_job_id not in self._warm:
            found = []
            for parent in request.warm_start.parents:
                for record in self._trials(parent):
                    if record.status == TrialStatus.COMPLETED and warm_fits(record.parameters, request):
                        found.append(record)
            self._warm[row.tuning_job_id] = found
        return self._warm[row.tuning_job_id]

    # ------------------------------------------------------------------ MLflow parent run

    def _parent_run(self, row: orm.TuningJob, request: CreateTuningJob) -> str | None:
        """The run the trials' runs are children of (None when the store is unreachable: the
        trials then run without a parent, and the next pass tries again)."""
        try:
            mc = self.mlflow_client()
            experiment_id = tracking.get_or_create_experiment(mc, self.settings.mlflow_tracking_uri,
                                                              self.settings.home, row.experiment_name)
            run = mc.create_run(experiment_id, tags={"mlflow.runName": row.name,
                                                     "studio.tuning_job_id": row.tuning_job_id})
            ranges = {name: spec.model_dump(mode="json", exclude_none=True)
                      for name, spec in request.parameter_ranges.items()}
            for key, value in (("strategy", request.strategy.value), ("objective", request.objective.metric),
                               ("objective_type", request.objective.type.value if request.objective.type else ""),
                               ("max_trials", str(row.max_trials)),
                               ("max_parallel_trials", str(request.max_parallel_trials)),
                               ("parameter_ranges", json.dumps(ranges)[:6000])):
                mc.log_param(run.info.run_id, key, value)
            return str(run.info.run_id)
        except Exception:
            log.exception("tuning job %s: could not create its MLflow run", row.tuning_job_id)
            return None

    def _finish_parent_run(self, row: orm.TuningJob, status: JobStatus) -> None:
        if not row.mlflow_parent_run_id:
            return
        try:
            mc = self.mlflow_client()
            request = CreateTuningJob.model_validate(row.request)
            best = best_trial(self._trials(row.tuning_job_id), request.objective.type == ObjectiveType.MAXIMIZE)
            if best is not None and best.objective is not None:
                mc.log_metric(row.mlflow_parent_run_id, f"best:{request.objective.metric}"[:250], best.objective)
                mc.set_tag(row.mlflow_parent_run_id, "studio.best_trial", str(best.number))
                for name, value in best.parameters.items():
                    mc.set_tag(row.mlflow_parent_run_id, f"studio.best.{name}"[:250], str(value)[:5000])
            tracking.finish_run(self.settings.mlflow_tracking_uri, row.mlflow_parent_run_id, status.value, mc)
        except Exception:
            log.exception("tuning job %s: could not finish its MLflow run", row.tuning_job_id)


def _first_reason(trials: list[TrialRecord]) -> str:
    failed = next((t for t in trials if t.status == TrialStatus.FAILED), None)
    if failed is None:
        return "no trial ran"
    return f"trial {failed.number}: {failed.reason or 'failed'}"
