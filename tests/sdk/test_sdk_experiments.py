"""Studio().experiments / .runs / .models against a real `jupyter lab` + agent (and its MLflow store)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from mlflow.entities import Metric, Param

from studio_ext import tracking
from studio_ext.sdk import InvalidParameter, NotFound

WAIT_S = 300


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import mlflow.pyfunc
    import pandas as pd

    class Double(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input * 2

    path = tmp_path_factory.mktemp("sdk-model") / "model"
    mlflow.pyfunc.save_model(str(path), python_model=Double(), input_example=pd.DataFrame({"x": [1.0]}),
                             pip_requirements=[])
    return path


@pytest.fixture
def mlflow_client(studio):
    """An MlflowClient on the server's own tracking store (what a notebook's mlflow.log_* writes to)."""
    config = studio.config()
    return tracking.client(config.mlflow_tracking_uri, Path(config.studio_home))


def make_runs(studio, client, count: int = 2) -> tuple[str, list[str]]:
    config = studio.config()
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    exp = tracking.get_or_create_experiment(client, config.mlflow_tracking_uri, Path(config.studio_home), name)
    ids = []
    for i in range(count):
        run = client.create_run(exp, tags={"mlflow.runName": f"r{i}"})
        client.log_batch(run.info.run_id, params=[Param("lr", str(i + 1)), Param("opt", "adam")],
                         metrics=[Metric("loss", 1.0 / (step + 1 + i), 0, step) for step in range(4)])
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return exp, ids


def test_given_runs_when_browsed_through_the_sdk_then_experiments_runs_history_artifacts_and_compare(
        studio, mlflow_client, tmp_path):
    exp, ids = make_runs(studio, mlflow_client)
    mlflow_client.log_text(ids[0], "report", "out/report.txt")
    name = studio.experiments.get(exp).name

    assert [e.experiment_id for e in studio.experiments.list(name=name)] == [exp]
    assert studio.experiments.find(name).experiment_id == exp
    runs = studio.experiments.runs(exp, filter="params.lr = '2'")
    assert [r.run_id for r in runs] == [ids[1]]
    ordered = studio.experiments.runs(exp, order_by=["metrics.loss ASC"], max_items=1)
    assert [r.run_id for r in ordered] == [ids[1]]

    run = studio.runs.get(ids[0])
    assert run.params == {"lr": "1", "opt": "adam"} and run.metrics["loss"] == 0.25
    history = studio.runs.metrics_history(ids[0], "loss")
    assert [p.step for p in history.points] == [0, 1, 2, 3] and history.points[0].value == 1.0
    assert [a.path for a in studio.runs.artifacts(ids[0])] == ["out"]
    assert [a.path for a in studio.runs.artifacts(ids[0], "out")] == ["out/report.txt"]
    saved = studio.runs.download(ids[0], "out/report.txt", tmp_path)
    assert saved == tmp_path / "report.txt" and saved.read_text() == "report"

    compared = studio.runs.compare(ids)
    rows = {row.key: row for row in compared.params}
    assert rows["lr"].differs and rows["lr"].values == ["1", "2"] and not rows["opt"].differs

    with pytest.raises(InvalidParameter, match="^filter"):
        studio.experiments.runs(exp, filter="params.lr === 1")
    with pytest.raises(NotFound):
        studio.runs.get("0" * 32)


def test_given_a_run_with_a_model_when_registered_then_versions_aliases_and_errors(studio, mlflow_client,
                                                                                   saved_model):
    _, ids = make_runs(studio, mlflow_client, count=1)
    mlflow_client.log_artifacts(ids[0], str(saved_model), "model")
    name = f"sdk-model-{uuid.uuid4().hex[:6]}"

    v1 = studio.models.register(ids[0], "model", name, description="first")
    v2 = studio.models.register(ids[0], "model", name, tags={"k": "v"})
    studio.models.set_alias(name, "champion", v1.version)
    studio.models.set_alias(name, "champion", 2)

    assert (v1.version, v2.version, v2.tags) == ("1", "2", {"k": "v"})
    assert [m.name for m in studio.models.list(name=name)] == [name]
    model = studio.models.get(name)
    assert model.aliases == {"champion": "2"} and [v.version for v in studio.models.versions(name)] == ["2", "1"]
    version = studio.models.version(name, 1)
    assert version.signature and version.input_example == {"columns": ["x"], "data": [[1.0]]}
    studio.models.update(name, description="desc", tags={"team": "ml"})
    assert studio.models.get(name).description == "desc"
    studio.models.delete_alias(name, "champion")
    assert studio.models.get(name).aliases == {}
    with pytest.raises(NotFound):
        studio.models.delete_alias(name, "champion")
    with pytest.raises(NotFound, match="^artifact_path"):
        studio.models.register(ids[0], "nothing", name)
    studio.models.delete(name)
    with pytest.raises(NotFound):
        studio.models.get(name)


def test_given_a_model_from_a_notebook_job_when_reproduced_then_the_new_run_links_to_the_old_one(
        studio, make_notebook, mlflow_client, saved_model):
    rel = make_notebook(f"lineage/train-{uuid.uuid4().hex[:6]}.ipynb", ["print('trained', alpha)"],
                        params="alpha = 0.1")
    job = studio.jobs.run(rel, {"alpha": 0.4}, experiment_name="sdk-lineage")
    job.wait(timeout=WAIT_S)
    old_run = job.mlflow_run_id
    mlflow_client.log_artifacts(old_run, str(saved_model), "model")
    name = f"sdk-lineage-{uuid.uuid4().hex[:6]}"
    version = studio.models.register(old_run, "model", name)
    assert version.job_id == job.job_id and version.lineage.parameters == {"alpha": 0.4}
    assert version.lineage.job_input == rel

    new_job = studio.models.reproduce(name, version.version)
    new_job.wait(timeout=WAIT_S)

    described = new_job.describe()
    assert described.parameters == {"alpha": 0.4} and described.input == rel
    new_run = studio.runs.get(described.mlflow_run_id)
    assert (new_run.reproduces_job_id, new_run.reproduces_run_id) == (job.job_id, old_run)
    assert new_run.job_id == new_job.job_id and new_run.job_notebook.endswith("output.ipynb")
