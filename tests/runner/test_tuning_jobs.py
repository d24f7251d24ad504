"""Tuning jobs end to end: real Optuna in a real agent, every trial a real job with its MLflow run."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from runner.tuning_support import script_request, wait_tuning

from studio_ext import schemas
from studio_ext.schemas import JobStatus, TrialStatus

STRATEGIES = ("Bayesian", "Random", "Grid", "Hyperband")


def test_given_each_strategy_when_run_then_every_trial_is_a_job_with_a_child_run_and_the_best_is_kept(
        studio, tuning):
    grid = {"x": {"type": "Categorical", "values": [0.1, 0.3]}, "c": {"type": "Categorical", "values": ["a", "b"]}}
    created = {}
    for strategy in STRATEGIES:  # one agent searches all four at once
        request = script_request(name=f"tiny-{strategy.lower()}", strategy=strategy,
                                 **({"parameter_ranges": grid} if strategy == "Grid" else {}))
        created[strategy] = tuning.create(request, "tester")
        assert created[strategy].status == JobStatus.QUEUED and created[strategy].max_trials == 4
    studio.start_agent(pool=2)
    mc = MlflowClient(studio.settings.mlflow_tracking_uri)
    for strategy, job in created.items():
        done = wait_tuning(studio, tuning, job.tuning_job_id)
        check_search(studio, tuning, mc, done, strategy)


def check_search(studio, tuning, mc, done: schemas.DescribeTuningJob, strategy: str) -> None:
    assert done.status == JobStatus.COMPLETED, (strategy, done.status_reason)
    assert done.counts.total == 4 and done.counts.completed + done.counts.pruned == 4
    trials = done.trials or []
    assert [t.trial_number for t in trials] == [0, 1, 2, 3]
    for trial in trials:
        job = studio.jobs.describe_job(trial.job_id)
        assert job.status == JobStatus.COMPLETED and job.tags["studio.tuning_job_id"] == done.tuning_job_id
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
    by_objective = tuning.describe(done.tuning_job_id, "objective").trials or []
    assert by_objective[0].trial_number == done.best_trial.trial_number


def test_given_an_xgboost_template_when_tuned_then_trials_train_with_the_values_and_the_best_model_is_named(
        studio, tuning):
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).sample(frac=1.0, random_state=0)
    (studio.root / "cancer").mkdir()
    frame.iloc[:300].to_csv(studio.root / "cancer" / "train.csv", index=False)
    frame.iloc[300:].to_csv(studio.root / "cancer" / "validation.csv", index=False)
    request = schemas.CreateTuningJob.model_validate({
        "name": "cancer-xgb", "objective": {"metric": "validation:roc_auc"}, "seed": 3,
        "parameter_ranges": {"max_depth": {"type": "Integer", "min": 2, "max": 6},
                             "eta": {"type": "Continuous", "min": 0.05, "max": 0.5, "scaling": "Logarithmic"}},
        "max_trials": 3, "max_parallel_trials": 2,
        "training_job": {"algorithm": "xgboost", "hyperparameters": {"num_round": 15}, "instance_type": "test.wide",
                         "channels": {"train": "cancer/train.csv", "validation": "cancer/validation.csv"}}})
    created = tuning.create(request, "tester")
    assert created.objective.type == schemas.ObjectiveType.MAXIMIZE  # the metric's own direction
    studio.start_agent(pool=2)

    done = wait_tuning(studio, tuning, created.tuning_job_id)

    assert done.status == JobStatus.COMPLETED, done.status_reason
    for trial in done.trials or []:
        job = studio.jobs.describe_job(trial.job_id)
        assert job.training is not None and job.training.hyperparameters == {"num_round": 15, **trial.parameters}
        assert job.training.result is not None
        assert trial.objective == job.training.result.metrics["validation:roc_auc"] > 0.9
        assert trial.model_uri == job.training.result.model_uri
    best = done.best_trial
    assert best is not None and best.model_uri and best.model_uri.startswith("models:/m-")  # MLflow 3's logged model
    assert set(done.parameter_importances) == {"max_depth", "eta"}


def test_given_a_notebook_template_when_tuned_then_papermill_gets_each_trials_values_and_its_metric_counts(
        studio, tuning):
    studio.notebook("tune.ipynb", ["import mlflow\nmlflow.log_metric('loss', (alpha - 0.2) ** 2 + epochs / 100)"],
                    parameters="alpha = 0.5\nepochs = 3")
    request = schemas.CreateTuningJob.model_validate({
        "name": "nb", "objective": {"metric": "loss", "type": "Minimize"}, "strategy": "Grid",
        "parameter_ranges": {"alpha": {"type": "Categorical", "values": [0.1, 0.2]}},
        "training_job": {"input": "tune.ipynb", "parameters": {"epochs": 1}, "instance_type": "test.wide"}})
    created = tuning.create(request, "tester")
    studio.start_agent(pool=2)

    done = wait_tuning(studio, tuning, created.tuning_job_id)

    assert done.status == JobStatus.COMPLETED, done.status_reason
    assert done.best_trial.parameters == {"alpha": 0.2} and done.best_trial.objective == pytest.approx(0.01)
    for trial in done.trials or []:
        job = studio.jobs.describe_job(trial.job_id)
        assert job.kind == schemas.JobKind.NOTEBOOK and job.parameters == {"epochs": 1, **trial.parameters}
