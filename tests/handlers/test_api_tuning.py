"""/studio/api/tuning-jobs through a real Jupyter server (no agent): every field checked before
anything runs, a 400 naming it; create, describe, list and stop as the panel, SDK and CLI use them."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer


@pytest.fixture
def cancer(jp_root_dir):
    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).sample(frac=1.0, random_state=0)
    (jp_root_dir / "cancer").mkdir()
    frame.iloc[:300].to_csv(jp_root_dir / "cancer" / "train.csv", index=False)
    frame.iloc[300:].to_csv(jp_root_dir / "cancer" / "validation.csv", index=False)
    (jp_root_dir / "objective.py").write_text("print('ok')\n")
    return jp_root_dir


def xgb_request(**fields):
    body = {"name": "cancer-xgb", "objective": {"metric": "validation:roc_auc"},
            "parameter_ranges": {"max_depth": {"type": "Integer", "min": 2, "max": 6},
                                 "eta": {"type": "Continuous", "min": 0.01, "max": 0.3, "scaling": "Logarithmic"}},
            "max_trials": 6, "max_parallel_trials": 2,
            "training_job": {"algorithm": "xgboost", "hyperparameters": {"num_round": 20},
                             "channels": {"train": "cancer/train.csv", "validation": "cancer/validation.csv"}}}
    body.update(fields)
    return body


def with_range(name, spec):
    return xgb_request(parameter_ranges={name: spec})


@pytest.mark.parametrize(("body", "status", "message"), [
    (with_range("max_depth", {"type": "Integer", "min": 8, "max": 3}), 400, "min must be below max"),
    (with_range("eta", {"type": "Continuous", "min": 0.0, "max": 0.3, "scaling": "Logarithmic"}), 400,
     "a Logarithmic range needs min > 0"),
    (with_range("depth", {"type": "Integer", "min": 2, "max": 5}), 400,
     "parameter_ranges.depth: xgboost has no hyperparameter 'depth'; its tunable ones: "),
    (with_range("max_depth", {"type": "Integer", "min": 2, "max": 99}), 400,
     "parameter_ranges.max_depth: xgboost refuses max_depth = 99"),
    (with_range("max_depth", {"type": "Continuous", "min": 2, "max": 5}), 400,
     "parameter_ranges.max_depth: max_depth is an integer; give it as an Integer range"),
    (with_range("objective", {"type": "Integer", "min": 1, "max": 2}), 400,
     "parameter_ranges.objective: objective takes string values; give it as a Categorical range"),
    (with_range("objective", {"type": "Categorical", "values": ["binary", "poisson"]}), 400,
     "parameter_ranges.objective: xgboost refuses objective = 'poisson'"),
    (with_range("max_depth", {"type": "Categorical", "values": [3, 3]}), 400, "values: each value once"),
    (with_range("max_depth", {"type": "Integer", "min": 2}), 400, "an Integer range needs both"),
    (xgb_request(parameter_ranges={}), 400, "parameter_ranges"),
    (xgb_request(objective={"metric": "validation:auc"}), 400,
     "objective.metric: xgboost does not emit 'validation:auc'; it emits train:accuracy"),
    (xgb_request(objective={"metric": "validation:roc_auc", "type": "Best"}), 400, "objective.type"),
    (xgb_request(strategy="Annealing"), 400, "strategy"),
    (xgb_request(strategy="Grid"), 400, "parameter_ranges.eta: a Grid search needs Integer or Categorical ranges"),
    (xgb_request(max_trials=0), 400, "max_trials"),
    (xgb_request(max_parallel_trials=99), 400, "max_parallel_trials"),
    (xgb_request(max_runtime_seconds=1), 400, "max_runtime_seconds"),
    (xgb_request(early_stopping="Sometimes"), 400, "early_stopping"),
    (xgb_request(name="has space"), 400, "name"),
    (xgb_request(warm_start={"parents": ["nope"]}), 404, "warm_start.parents[0]: no tuning job 'nope'"),
    (xgb_request(warm_start={"parents": ["a", "b", "c", "d", "e", "f"]}), 400, "warm_start.parents"),
    (xgb_request(training_job={"algorithm": "xgboost", "channels": {"train": "cancer/missing.csv"}}), 404,
     "training_job.channels.train: no file or folder 'cancer/missing.csv'"),
    (xgb_request(training_job={"algorithm": "xgboost", "hyperparameters": {"depth": 2},
                               "channels": {"train": "cancer/train.csv"}}), 400,
     "training_job.hyperparameters.depth: unknown hyperparameter"),
    (xgb_request(training_job={"algorithm": "xgboost", "channels": {"train": "cancer/train.csv"},
                               "instance_type": "local.huge"}), 400, "training_job.instance_type"),
    (xgb_request(objective={"metric": "score"}, training_job={"input": "objective.py"},
                 parameter_ranges={"x": {"type": "Continuous", "min": 0, "max": 1}}), 400,
     "objective.type: required for a script or notebook job"),
    (xgb_request(objective={"metric": "score", "type": "Maximize"}, training_job={"input": "missing.py"},
                 parameter_ranges={"x": {"type": "Continuous", "min": 0, "max": 1}}), 404,
     "training_job.input: no such file 'missing.py'"),
])
async def test_given_bad_input_when_created_then_a_4xx_names_the_field(studio_api, cancer, body, status, message):
    code, answer = await studio_api("POST", "tuning-jobs", body=body)

    assert code == status, answer
    assert message in answer["message"]
    code, listed = await studio_api("GET", "tuning-jobs")
    assert code == 200 and listed["items"] == []  # nothing was recorded


async def test_given_a_valid_request_then_201_queued_with_the_direction_filled_and_stop_stops_it(studio_api, cancer):
    code, created = await studio_api("POST", "tuning-jobs", body=xgb_request(seed=7))

    assert code == 201, created
    assert created["status"] == "Queued" and created["objective"]["type"] == "Maximize"  # the metric's direction
    assert created["max_trials"] == 6 and created["seed"] == 7 and created["counts"]["total"] == 0
    assert created["experiment_name"] == "cancer-xgb" and created["trials"] == []
    tuning_job_id = created["tuning_job_id"]
    code, described = await studio_api("GET", "tuning-jobs", tuning_job_id, params={"sort_by": "-objective"})
    assert code == 200 and described["trials"] == []
    code, answer = await studio_api("GET", "tuning-jobs", tuning_job_id, params={"sort_by": "loss"})
    assert code == 400 and "sort_by" in answer["message"]
    code, listed = await studio_api("GET", "tuning-jobs")
    assert [item["tuning_job_id"] for item in listed["items"]] == [tuning_job_id]

    assert (await studio_api("POST", "tuning-jobs", tuning_job_id, "stop"))[0] == 204
    code, described = await studio_api("GET", "tuning-jobs", tuning_job_id)
    assert described["status"] == "Stopping" and described["status_reason"].startswith("stop requested by ")
    code, answer = await studio_api("GET", "tuning-jobs", "nope")
    assert code == 404 and "no tuning job 'nope'" in answer["message"]
    code, events = await studio_api("GET", "audit-events", params={"resource_type": "tuning-job"})
    assert [e["action"] for e in events["items"]][:2] == ["StopTuningJob", "CreateTuningJob"]


async def test_given_a_grid_then_max_trials_is_the_grid_size(studio_api, cancer):
    body = xgb_request(strategy="Grid", max_trials=None, parameter_ranges={
        "max_depth": {"type": "Integer", "min": 2, "max": 4},
        "objective": {"type": "Categorical", "values": ["auto", "binary"]}})

    code, created = await studio_api("POST", "tuning-jobs", body=body)

    assert code == 201, created
    assert created["max_trials"] == 6


async def test_given_a_notebook_without_a_parameters_cell_then_400(studio_api, write_notebook):
    write_notebook("plain.ipynb", params=None)
    body = {"name": "nb", "objective": {"metric": "score", "type": "Minimize"},
            "parameter_ranges": {"alpha": {"type": "Continuous", "min": 0.1, "max": 1}},
            "training_job": {"input": "plain.ipynb"}}

    code, answer = await studio_api("POST", "tuning-jobs", body=body)

    assert code == 400
    assert answer["message"].startswith("training_job.parameters: notebook 'plain.ipynb' has no cell tagged")
