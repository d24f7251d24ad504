"""Tuning jobs end to end: real Optuna in a real agent, every trial a real job with its MLflow run."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from studio_ext import schemas
from studio_ext.schemas import JobStatus, TrialStatus
from studio_ext.services.tuning import TuningService

# A tiny objective: the best x is 0.3, category "b" adds 0.1; the score climbs to its final value
# over `steps` logged steps (what early stopping watches), `sleep` seconds apart.
OBJECTIVE = """
import argparse, time
import mlflow
p = argparse.ArgumentParser()
p.add_argument("--x", type=float, default=0.5)
p.add_argument("--c", default="a")
p.add_argument("--steps", type=int, default=3)
p.add_argument("--sleep", type=float, default=0.0)
a, _ = p.parse_known_args()
final = 1.0 - (a.x - 0.3) ** 2 + (0.1 if a.c == "b" else 0.0)
for step in range(a.steps):
    mlflow.log_metric("score", final * (step + 1) / a.steps, step=step)
    time.sleep(a.sleep)
print("score", final)
"""


@pytest.fixture
def tuning(studio):
    (studio.root / "objective.py").write_text(OBJECTIVE)
    return TuningService(studio.jobs.db, studio.settings, studio.jobs)


def script_request(**fields) -> schemas.CreateTuningJob:
    base = {"name": "tiny", "objective": {"metric": "score", "type": "Maximize"},
            "parameter_ranges": {"x": {"type": "Continuous", "min": 0.0, "max": 1.0},
                                 "c": {"type": "Categorical", "values": ["a", "b"]}},
            "max_trials": 4, "max_parallel_trials": 2,
            "training_job": {"input": "objective.py", "instance_type": "test.wide"}}
    base.update(fields)
    return schemas.CreateTuningJob.model_validate(base)


def wait_tuning(studio, tuning, tuning_job_id: str, timeout: float = 240) -> schemas.DescribeTuningJob:
    return studio.wait_for(lambda: (d := tuning.describe(tuning_job_id)).status.is_terminal and d, timeout,
                           f"tuning job {tuning_job_id} to end")


@pytest.mark.parametrize("strategy", ["Bayesian", "Random", "Grid", "Hyperband"])
def test_given_each_strategy_when_run_then_every_trial_is_a_job_with_a_child_run_and_the_best_is_kept(
        studio, tuning, strategy):
    ranges = None
    if strategy == "Grid":
        ranges = {"x": {"type": "Categorical", "values": [0.1, 0.3]}, "c": {"type": "Categorical", "values": ["a", "b"]}}
    request = script_request(strategy=strategy, **({"parameter_ranges": ranges} if ranges else {}))
    created = tuning.create(request, "tester")
    assert created.status == JobStatus.QUEUED and created.max_trials == 4
    studio.start_agent(pool=2)
    done = wait_tuning(studio, tuning, created.tuning_job_id)
    assert done.status == JobStatus.COMPLETED, done.status_reason
    assert done.counts.total == 4 and done.counts.completed + done.counts.pruned == 4
    trials = done.trials or []
    assert [t.trial_number for t in trials] == [0, 1, 2, 3]
    mc = MlflowClient(studio.settings.mlflow_tracking_uri)
    for trial in trials:
        job = studio.jobs.describe_job(trial.job_id)
        assert job.status == JobStatus.COMPLETED and job.tags["studio.tuning_job_id"] == created.tuning_job_id
        assert job.parameters["x"] == trial.parameters["x"] and job.parameters["c"] == trial.parameters["c"]
        run = mc.get_run(trial.mlflow_run_id)
        assert run.data.tags["mlflow.parentRunId"] == done.mlflow_parent_run_id
        if trial.status == TrialStatus.COMPLETED:
            expected = 1.0 - (trial.parameters["x"] - 0.3) ** 2 + (0.1 if trial.parameters["c"] == "b" else 0.0)
            assert trial.objective == pytest.approx(expected)
    completed = [t for t in trials if t.status == TrialStatus.COMPLETED]
    assert done.best_trial is not None and done.best_trial.objective == max(t.objective for t in completed)
    if strategy == "Grid":  # each grid point once
        assert sorted((t.parameters["x"], t.parameters["c"]) for t in trials) == [
            (0.1, "a"), (0.1, "b"), (0.3, "a"), (0.3, "b")]
        assert done.best_trial.parameters == {"x": 0.3, "c": "b"}
    parent = mc.get_run(done.mlflow_parent_run_id)
    assert parent.info.status == "FINISHED" and parent.data.metrics["best:score"] == done.best_trial.objective
    by_objective = tuning.describe(created.tuning_job_id, "objective").trials or []
    assert by_objective[0].trial_number == done.best_trial.trial_number
