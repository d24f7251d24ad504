"""ExperimentService against a real MLflow store: the embedded SQLite store and a real `mlflow server`."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from mlflow.entities import Metric, Param, RunTag

from studio_ext import schemas, tracking
from studio_ext.exceptions import InvalidParameter, NotFound
from studio_ext.services.experiments import ExperimentService
from studio_ext.services.jobs import JobService
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database

# mlflow_store (parametrized: sqlite, server) comes from tests/mlflow_stores.py via tests/conftest.py.


def unique(prefix: str) -> str:
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def settings(tmp_path: Path, mlflow_store) -> StudioSettings:
    home, root = tmp_path / "home", tmp_path / "root"
    root.mkdir()
    return StudioSettings.from_env(home=home, db_url=f"sqlite:///{tmp_path / 'studio.db'}",
                                   mlflow_tracking_uri=mlflow_store.tracking_uri, server_root=root)


@pytest.fixture
def jobs(settings) -> JobService:
    return JobService(Database(settings.db_url), settings)


@pytest.fixture
def service(settings) -> ExperimentService:
    return ExperimentService(settings)


def new_experiment(mlflow_store, settings, name: str | None = None) -> str:
    client = mlflow_store.client()
    return tracking.get_or_create_experiment(client, settings.mlflow_tracking_uri, settings.home, name or unique("exp"))


def make_run(client, experiment_id: str, *, lr: float, acc: list[float], job_id: str | None = None,
             status: str = "FINISHED", extra_metrics: dict | None = None) -> str:
    tags = {"mlflow.runName": f"lr-{lr}"}
    if job_id:
        tags[tracking.JOB_ID_TAG] = job_id
    run = client.create_run(experiment_id, tags=tags, start_time=1_700_000_000_000)
    metrics = [Metric("acc", v, 1_700_000_000_000 + i, i) for i, v in enumerate(acc)]
    metrics += [Metric(k, v, 1_700_000_000_500, 0) for k, v in (extra_metrics or {}).items()]
    client.log_batch(run.info.run_id, metrics=metrics, params=[Param("lr", str(lr)), Param("opt", "sgd")],
                     tags=[RunTag("team", "ml")])
    client.set_terminated(run.info.run_id, status=status, end_time=1_700_000_004_000)
    return run.info.run_id


# ----------------------------------------------------------------------------- experiments


def test_given_experiments_when_listed_by_name_then_paged_with_mlflow_tokens(service, mlflow_store, settings):
    prefix = unique("listme")
    ids = [new_experiment(mlflow_store, settings, f"{prefix}-{i}") for i in range(3)]
    new_experiment(mlflow_store, settings, unique("other"))

    first = service.list_experiments(schemas.ListExperimentsQuery(name=prefix, max_items=2, order_by="name ASC"))
    second = service.list_experiments(schemas.ListExperimentsQuery(name=prefix, max_items=2, order_by="name ASC",
                                                                   next_token=first.next_token))

    assert [e.name for e in first.items] == [f"{prefix}-0", f"{prefix}-1"] and first.next_token
    assert [e.experiment_id for e in second.items] == [ids[2]] and second.next_token is None
    described = service.get_experiment(ids[0])
    assert described.name == f"{prefix}-0" and described.lifecycle_stage == "active"
    assert described.creation_time is not None


def test_given_an_unknown_experiment_when_described_or_searched_then_not_found(service):
    with pytest.raises(NotFound):
        service.get_experiment("987654321")
    with pytest.raises(NotFound):
        service.search_runs("987654321", schemas.SearchRunsQuery())


# ----------------------------------------------------------------------------- runs


def test_given_runs_when_searched_with_filter_and_order_then_rows_have_the_table_columns(service, mlflow_store,
                                                                                         settings):
    client = mlflow_store.client()
    exp = new_experiment(mlflow_store, settings)
    low = make_run(client, exp, lr=0.01, acc=[0.1, 0.4], job_id="job-low")
    high = make_run(client, exp, lr=0.1, acc=[0.5, 0.9], extra_metrics={"loss": float("nan")})
    make_run(client, exp, lr=0.5, acc=[0.2, 0.7], status="FAILED")

    page = service.search_runs(exp, schemas.SearchRunsQuery(filter="metrics.acc > 0.3 and params.opt = 'sgd'",
                                                            order_by="metrics.acc DESC"))

    assert [r.run_id for r in page.items][0] == high
    assert [r.metrics["acc"] for r in page.items] == [0.9, 0.7, 0.4]
    row = next(r for r in page.items if r.run_id == low)
    assert row.job_id == "job-low" and row.name == "lr-0.01" and row.status == "FINISHED"
    assert row.params == {"lr": "0.01", "opt": "sgd"} and row.tags["team"] == "ml"
    assert row.duration_seconds == pytest.approx(4.0) and row.start_time.year == 2023
    # NaN has no JSON form: it is null, and the row serialises to strict JSON.
    top = page.items[0]
    assert top.metrics["loss"] is None
    assert "NaN" not in top.model_dump_json()


def test_given_many_runs_when_paged_then_every_run_once(service, mlflow_store, settings):
    client = mlflow_store.client()
    exp = new_experiment(mlflow_store, settings)
    ids = {make_run(client, exp, lr=i / 10, acc=[i / 10]) for i in range(5)}

    seen, token, pages = [], None, 0
    while True:
        page = service.search_runs(exp, schemas.SearchRunsQuery(max_items=2, next_token=token))
        seen += [r.run_id for r in page.items]
        pages += 1
        token = page.next_token
        if not token:
            break

    assert sorted(seen) == sorted(ids) and pages == 3


@pytest.mark.parametrize(("query", "field"), [
    ({"filter": "metrics.acc >>> 1"}, "filter"),
    ({"filter": "bogus.x = 1"}, "filter"),
    ({"filter": "params.lr = 0.1 and"}, "filter"),
    ({"order_by": "metrics.acc SIDEWAYS"}, "order_by"),
    ({"next_token": "not-a-token"}, "next_token"),
])
def test_given_bad_search_input_when_searched_then_invalid_parameter_naming_the_field(service, mlflow_store,
                                                                                      settings, query, field):
    exp = new_experiment(mlflow_store, settings)
    make_run(mlflow_store.client(), exp, lr=0.1, acc=[0.5])

    with pytest.raises(InvalidParameter) as err:
        service.search_runs(exp, schemas.SearchRunsQuery(**query))

    assert err.value.message.startswith(f"{field}:"), err.value.message


def test_given_a_run_of_a_job_when_described_then_the_job_and_its_executed_notebook_are_linked(
        service, mlflow_store, settings, jobs):
    (settings.server_root / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    job_id = jobs.create_job(schemas.CreateJob(input="nb.ipynb"), "alice")
    # What the runner leaves behind: the executed notebook in the job's output folder.
    (settings.job_dir(job_id) / "output" / "output.ipynb").write_text("{}")
    exp_id, run_id = tracking.start_run(settings.mlflow_tracking_uri, settings.home, experiment_name=unique("nb"),
                                        job_id=job_id, job_name="nb", attempt=1, parameters={"alpha": 0.5})

    service = ExperimentService(settings, jobs)
    run = service.get_run(run_id)

    assert run.job_id == job_id and run.job is not None and run.job.job_id == job_id
    assert run.job_notebook == f"jobs/{job_id}/outputs/output.ipynb" and run.job_notebook_html is None
    assert run.params == {"alpha": "0.5"} and run.experiment_id == exp_id
    assert run.artifact_uri
    jobs.delete_job(job_id)
    assert service.get_run(run_id).job is None  # the run outlives its job
    with pytest.raises(NotFound) as err:
        service.get_run("0" * 32)
    assert err.value.message.startswith("run_id:")


def test_given_a_metric_logged_per_step_when_history_read_then_points_by_step(service, mlflow_store, settings):
    client = mlflow_store.client()
    exp = new_experiment(mlflow_store, settings)
    run_id = make_run(client, exp, lr=0.1, acc=[0.3, 0.6, 0.8])
    client.log_metric(run_id, "odd", math.nan, step=0)

    history = service.metric_history(run_id, "acc")

    assert [(p.step, p.value) for p in history.points] == [(0, 0.3), (1, 0.6), (2, 0.8)]
    assert service.metric_history(run_id, "odd").points[0].value is None
    with pytest.raises(NotFound) as err:
        service.metric_history(run_id, "nope")
    assert err.value.message.startswith("key:")


def test_given_artifacts_when_browsed_then_folders_list_and_files_download(service, mlflow_store, settings):
    client = mlflow_store.client()
    exp = new_experiment(mlflow_store, settings)
    run_id = make_run(client, exp, lr=0.1, acc=[0.5])
    client.log_text(run_id, "hello", "reports/summary.txt")
    client.log_dict(run_id, {"a": 1}, "config.json")

    root = service.list_artifacts(run_id, "")
    sub = service.list_artifacts(run_id, "reports/")
    assert [(i.path, i.is_dir) for i in root.items] == [("reports", True), ("config.json", False)]
    assert [i.path for i in sub.items] == ["reports/summary.txt"] and sub.items[0].file_size == 5
    assert service.list_artifacts(run_id, "reports/summary.txt") is None  # a file: download it
    # MLflow 3 keeps logged models outside the run's artifacts: the root lists them beside
    assert root.logged_models == [] and sub.logged_models == []
    logged = client.create_logged_model(exp, name="net", source_run_id=run_id)
    models = service.list_artifacts(run_id, "").logged_models
    assert [(m.name, m.model_id, m.model_uri) for m in models] == [("net", logged.model_id, f"models:/{logged.model_id}")]

    path, tmp = service.download_artifact(run_id, "reports/summary.txt")
    assert path.read_text() == "hello"
    import shutil

    shutil.rmtree(tmp)
    with pytest.raises(NotFound):
        service.list_artifacts(run_id, "missing.txt")
    with pytest.raises(InvalidParameter) as err:
        service.list_artifacts(run_id, "../../etc/passwd")
    assert err.value.message.startswith("path:")
    with pytest.raises(InvalidParameter):
        service.download_artifact(run_id, "reports")


def test_given_runs_when_compared_then_side_by_side_with_differences_flagged(service, mlflow_store, settings):
    client = mlflow_store.client()
    exp = new_experiment(mlflow_store, settings)
    a = make_run(client, exp, lr=0.1, acc=[0.5])
    b = make_run(client, exp, lr=0.2, acc=[0.5], extra_metrics={"loss": 0.3})

    result = service.compare_runs([a, b])

    assert result.run_ids == [a, b]
    params = {row.key: row for row in result.params}
    metrics = {row.key: row for row in result.metrics}
    assert params["lr"].values == ["0.1", "0.2"] and params["lr"].differs
    assert params["opt"].values == ["sgd", "sgd"] and not params["opt"].differs
    assert not metrics["acc"].differs and metrics["loss"].values == [None, 0.3] and metrics["loss"].differs
    with pytest.raises(InvalidParameter):
        service.compare_runs([a])
    with pytest.raises(NotFound):
        service.compare_runs([a, "f" * 32])
