"""`studio experiments|runs|models ...` against a real server and its MLflow store."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from mlflow.entities import Metric, Param

from studio_ext import tracking


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import mlflow.pyfunc
    import pandas as pd

    class Double(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input * 2

    path = tmp_path_factory.mktemp("cli-model") / "model"
    mlflow.pyfunc.save_model(str(path), python_model=Double(), input_example=pd.DataFrame({"x": [1.0]}),
                             pip_requirements=[])
    return path


@pytest.fixture
def experiment(live_studio):
    """(experiment id, name, [run ids], client) in the server's own MLflow store."""
    home = Path(live_studio.studio_home)
    uri = f"sqlite:///{home / 'mlflow.db'}"
    client = tracking.client(uri, home)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    exp = tracking.get_or_create_experiment(client, uri, home, name)
    ids = []
    for i, lr in enumerate(("0.1", "0.3")):
        run = client.create_run(exp, tags={"mlflow.runName": f"trial-{i}", tracking.JOB_ID_TAG: f"job-{i}"})
        client.log_batch(run.info.run_id, params=[Param("lr", lr), Param("seed", "7")],
                         metrics=[Metric("acc", 0.5 + i / 10, 0, 0)])
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return exp, name, ids, client


def test_given_an_experiment_when_listed_then_tables_show_runs_params_and_metrics(studio_cli, experiment):
    exp, name, ids, _ = experiment

    listed = studio_cli("experiments", "list", "--name", name)
    runs = studio_cli("experiments", "runs", exp, "--order-by", "metrics.acc DESC")
    filtered = studio_cli("experiments", "runs", exp, "--filter", "params.lr = '0.1'", "--json")

    assert listed.exit_code == 0 and name in listed.output and exp in listed.output
    assert runs.exit_code == 0, runs.output
    assert "p:lr" in runs.output and "m:acc" in runs.output and "job-1" in runs.output
    assert runs.output.index(ids[1]) < runs.output.index(ids[0])  # sorted by acc, highest first
    assert [r["run_id"] for r in json.loads(filtered.output)] == [ids[0]]


def test_given_runs_when_described_and_compared_then_differences_are_shown(studio_cli, experiment):
    _, _, ids, _ = experiment

    described = studio_cli("runs", "describe", ids[0])
    compared = studio_cli("runs", "compare", *ids)
    compared_all = studio_cli("runs", "compare", *ids, "--all")

    assert described.exit_code == 0 and "param lr" in described.output and "job-0" in described.output
    assert compared.exit_code == 0, compared.output
    assert "param lr" in compared.output and "metric acc" in compared.output
    assert "param seed" not in compared.output and "param seed" in compared_all.output


def test_given_bad_input_then_exit_3_with_the_servers_message(studio_cli, experiment):
    exp, _, ids, _ = experiment

    bad_filter = studio_cli("experiments", "runs", exp, "--filter", "params.lr === x")
    unknown_run = studio_cli("runs", "describe", "0" * 32)
    one_run = studio_cli("runs", "compare", ids[0])
    unknown_model = studio_cli("models", "describe", "no-such-model")

    assert bad_filter.exit_code == 3 and "filter" in bad_filter.output
    assert unknown_run.exit_code == 3 and "run_id" in unknown_run.output
    assert one_run.exit_code == 3 and "run_ids" in one_run.output
    assert unknown_model.exit_code == 3 and "no-such-model" in unknown_model.output


def test_given_a_run_with_a_model_when_registered_and_aliased_by_cli_then_models_show_it(studio_cli, experiment,
                                                                                        saved_model):
    _, _, ids, client = experiment
    client.log_artifacts(ids[0], str(saved_model), "model")
    name = f"cli-model-{uuid.uuid4().hex[:6]}"

    registered = studio_cli("models", "register", ids[0], "model", name, "--description", "from cli", "-q")
    assert registered.exit_code == 0, registered.output
    assert registered.output.strip() == "1"
    assert studio_cli("models", "register", ids[0], "model", name).exit_code == 0
    assert studio_cli("models", "alias", "set", name, "champion", "1").exit_code == 0
    moved = studio_cli("models", "alias", "set", name, "champion", "2")

    listed = studio_cli("models", "list", "--name", name)
    described = studio_cli("models", "describe", name)
    version = studio_cli("models", "describe", name, "--version", "1")
    assert moved.exit_code == 0 and "champion=v2" in listed.output
    assert described.exit_code == 0 and "champion" in described.output and "from cli" in described.output
    assert version.exit_code == 0 and ids[0] in version.output and "Signature" in version.output

    job_gone = studio_cli("models", "reproduce", name, "1")  # its run names job-0, which never existed
    assert job_gone.exit_code == 3 and "no longer exists" in job_gone.output

    deleted = studio_cli("models", "alias", "delete", name, "champion")
    again = studio_cli("models", "alias", "delete", name, "champion")
    assert deleted.exit_code == 0 and again.exit_code == 3
    assert "champion" not in studio_cli("models", "list", "--name", name).output
