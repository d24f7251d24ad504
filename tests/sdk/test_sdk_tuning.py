"""The SDK's tuning jobs against a real server and agent: every trial a real job with its MLflow run."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer

from studio_ext.exceptions import InvalidParameter, NotFound
from studio_ext.sdk import JobStatus, TuningFailed

WAIT = 240  # generous: the machine is shared with other test runs
RANGES = {"x": {"type": "Continuous", "min": 0.0, "max": 1.0}, "c": {"type": "Categorical", "values": ["a", "b"]}}


def score(x: float, c: str) -> float:
    """What tests/runner/test_tuning_jobs.py's objective logs for these values."""
    return 1.0 - (x - 0.3) ** 2 + (0.1 if c == "b" else 0.0)


def test_given_a_script_objective_when_tuned_from_the_sdk_then_best_trials_and_progress_are_what_the_jobs_did(
        studio, tuning_objective, capsys):
    with pytest.raises(InvalidParameter, match=r"parameter_ranges.x.*min must be below max"):
        studio.tuning.create(name="sdk-bad", objective={"metric": "score", "type": "Maximize"},
                             parameter_ranges={"x": {"type": "Continuous", "min": 1.0, "max": 0.0}},
                             training_job=tuning_objective)

    tuning = studio.tuning.create(name="sdk-tiny", objective={"metric": "score", "type": "Maximize"},
                                  parameter_ranges=RANGES, training_job=tuning_objective, strategy="Random",
                                  max_trials=4, max_parallel_trials=2, seed=7)
    final = tuning.wait(timeout=WAIT)

    assert final.status is JobStatus.COMPLETED and final.counts.completed == 4
    progress = capsys.readouterr().out.splitlines()  # the text bar: one line per change, outside a terminal
    assert any("running" in line for line in progress[:-1])
    assert progress[-1].startswith(f"[{tuning.tuning_job_id}] [{'#' * 24}] 4/4 trials | Completed | best ")
    trials = tuning.trials
    assert list(trials.columns) == ["trial_number", "status", "objective", "x", "c", "job_id", "mlflow_run_id",
                                    "model_uri"]
    assert len(trials) == 4 and list(trials["trial_number"]) == [0, 1, 2, 3]
    assert set(trials["status"]) == {"Completed"} and trials["mlflow_run_id"].notna().all()
    for row in trials.itertuples():
        assert row.objective == pytest.approx(score(row.x, row.c))
        job = studio.jobs.get(row.job_id)
        assert job.parameters["x"] == row.x and job.tags["studio.tuning_job_id"] == tuning.tuning_job_id
    best = tuning.best
    top = trials.loc[trials["objective"].idxmax()]
    assert best.trial_number == top.trial_number and best.objective == top.objective
    assert best.parameters == {"x": top.x, "c": top.c}
    assert f"best {best.objective:.6g} (trial {best.trial_number})" in progress[-1]

    again = studio.tuning.get(tuning.tuning_job_id)
    assert again.best == best and again.strategy.value == "Random" and again.mlflow_parent_run_id
    assert tuning.tuning_job_id in [t.tuning_job_id for t in studio.tuning.list()]
    shown = tuning._repr_html_()  # what a notebook shows for it
    assert all(text in shown for text in ("sdk-tiny", "Completed", "4 of 4 ended: 4 completed", "<code>score</code>",
                                          f"#{best.trial_number}: {best.objective:.6g}"))
    with pytest.raises(NotFound, match="no tuning job 'nope'"):
        studio.tuning.get("nope")


def test_given_a_failing_template_when_waited_then_tuning_failed_names_the_trials_error(studio, make_file):
    broken = make_file("tuning/broken.py", "raise SystemExit('no data for this trial')\n")
    tuning = studio.tuning.create({"name": "sdk-broken", "objective": {"metric": "score", "type": "Maximize"},
                                   "parameter_ranges": {"x": {"type": "Integer", "min": 1, "max": 3}},
                                   "training_job": {"input": broken}, "max_trials": 1})

    with pytest.raises(TuningFailed, match=f"tuning job {tuning.tuning_job_id} \\(sdk-broken\\) failed: ") as failed:
        tuning.wait(timeout=WAIT, show_progress=False)

    assert failed.value.tuning_job.counts.failed == 1 and "no data for this trial" in failed.value.reason


def test_given_xgboost_on_a_tiny_csv_when_tuned_then_the_best_trial_is_a_trained_model_of_its_job(
        studio, live_studio):
    data = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).sample(n=240, random_state=0)
    (live_studio.root_dir / "sdk-tune").mkdir(exist_ok=True)
    data.iloc[:160].to_csv(live_studio.root_dir / "sdk-tune" / "train.csv", index=False)
    data.iloc[160:].to_csv(live_studio.root_dir / "sdk-tune" / "validation.csv", index=False)

    tuning = studio.tuning.create(
        name="sdk-xgb", objective="validation:roc_auc",
        parameter_ranges={"max_depth": {"type": "Integer", "min": 2, "max": 5},
                          "eta": {"type": "Continuous", "min": 0.05, "max": 0.5, "scaling": "Logarithmic"}},
        training_job={"algorithm": "xgboost", "hyperparameters": {"num_round": 10},
                      "channels": {"train": "sdk-tune/train.csv", "validation": "sdk-tune/validation.csv"}},
        max_trials=2, max_parallel_trials=2, seed=1, wait=True, show_progress=False)

    assert tuning.status is JobStatus.COMPLETED and tuning.objective.type.value == "Maximize"  # the metric's
    best, trials = tuning.best, tuning.trials
    assert len(trials) == 2 and trials["model_uri"].str.startswith("models:/").all()
    assert best.objective == trials["objective"].max() > 0.9
    job = studio.jobs.get(best.job_id)
    assert job.metrics["validation:roc_auc"] == pytest.approx(best.objective)
    assert job.model_uri == best.model_uri and job.training.hyperparameters["max_depth"] == best.parameters["max_depth"]
