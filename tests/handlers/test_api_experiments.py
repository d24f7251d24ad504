"""/studio/api/experiments and /studio/api/runs through a real Jupyter server and a real MLflow SQLite store."""

from __future__ import annotations

import json

import pytest
from mlflow.entities import Metric, Param

from studio_ext import tracking


@pytest.fixture
def mlflow(studio_app):
    """(client, settings) on the store the test server uses (the default: SQLite in STUDIO_HOME)."""
    settings = studio_app.settings["studio_ext_settings"]
    return tracking.client(settings.mlflow_tracking_uri, settings.home), settings


def make_experiment(mlflow, name="exp", runs=3) -> tuple[str, list[str]]:
    client, settings = mlflow
    exp = tracking.get_or_create_experiment(client, settings.mlflow_tracking_uri, settings.home, name)
    ids = []
    for i in range(runs):
        run = client.create_run(exp, tags={"mlflow.runName": f"run-{i}", tracking.JOB_ID_TAG: f"job{i}"})
        client.log_batch(run.info.run_id, params=[Param("lr", str(0.1 * (i + 1)))],
                         metrics=[Metric("acc", 0.2 * (i + 1) + step / 100, 0, step) for step in range(3)])
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return exp, ids


async def test_given_experiments_when_listed_and_described_then_paged_json(studio_api, mlflow):
    exp, _ = make_experiment(mlflow, "alpha", runs=0)
    make_experiment(mlflow, "beta", runs=0)

    status, page = await studio_api("GET", "experiments", params={"name": "alp"})
    assert status == 200 and [e["name"] for e in page["items"]] == ["alpha"] and page["next_token"] is None
    status, first = await studio_api("GET", "experiments", params={"max_items": "1"})
    assert status == 200 and len(first["items"]) == 1 and first["next_token"]
    status, second = await studio_api("GET", "experiments", params={"max_items": "1", "next_token": first["next_token"]})
    assert status == 200 and second["items"][0]["name"] != first["items"][0]["name"]

    status, described = await studio_api("GET", "experiments", exp)
    assert status == 200 and described["name"] == "alpha" and described["creation_time"].endswith("Z")


async def test_given_runs_when_searched_then_rows_filtered_sorted_and_paged(studio_api, mlflow):
    exp, ids = make_experiment(mlflow)

    status, page = await studio_api("GET", "experiments", exp, "runs",
                                    params={"filter": "metrics.acc > 0.3", "order_by": "metrics.acc DESC"})

    assert status == 200
    assert [r["run_id"] for r in page["items"]] == [ids[2], ids[1]]
    row = page["items"][0]
    assert row["job_id"] == "job2" and row["name"] == "run-2" and row["status"] == "FINISHED"
    assert row["params"] == {"lr": "0.30000000000000004"} and row["metrics"]["acc"] == pytest.approx(0.62)
    assert row["start_time"].endswith("Z") and isinstance(row["duration_seconds"], float)
    status, first = await studio_api("GET", "experiments", exp, "runs", params={"max_items": "2"})
    status, rest = await studio_api("GET", "experiments", exp, "runs",
                                    params={"max_items": "2", "next_token": first["next_token"]})
    assert sorted(r["run_id"] for r in first["items"] + rest["items"]) == sorted(ids) and rest["next_token"] is None


BAD_SEARCHES = [
    ({"filter": "metrics.acc >>> 1"}, "filter"),
    ({"filter": "nonsense"}, "filter"),
    ({"order_by": "metrics.acc SIDEWAYS"}, "order_by"),
    ({"next_token": "garbage"}, "next_token"),
    ({"max_items": "0"}, "max_items"),
    ({"view": "archived"}, "view"),
    ({"colour": "red"}, "colour"),
]


async def test_given_bad_search_input_then_400_naming_the_field(studio_api, mlflow):
    exp, _ = make_experiment(mlflow, runs=1)

    for params, field in BAD_SEARCHES:  # one server for all cases: each start costs seconds
        code, body = await studio_api("GET", "experiments", exp, "runs", params=params)

        assert code == 400, (params, body)
        assert body["error_code"] == "InvalidParameterValue" and body["message"].startswith(field), body


async def test_given_unknown_ids_then_404(studio_api, mlflow):
    make_experiment(mlflow, runs=0)
    for parts in (("experiments", "424242"), ("experiments", "424242", "runs"), ("runs", "0" * 32),
                  ("runs", "0" * 32, "metrics", "acc", "history"), ("runs", "0" * 32, "artifacts")):
        status, body = await studio_api("GET", *parts)
        assert status == 404, (parts, body)
        assert body["error_code"] == "ResourceNotFound" and body["message"]


async def test_given_a_run_when_described_then_params_metrics_tags_and_history(studio_api, mlflow):
    _, ids = make_experiment(mlflow, runs=1)

    status, run = await studio_api("GET", "runs", ids[0])
    assert status == 200
    assert run["job_id"] == "job0" and run["job"] is None and run["artifact_uri"]
    assert run["params"] == {"lr": "0.1"} and run["tags"]["mlflow.runName"] == "run-0"

    status, history = await studio_api("GET", "runs", ids[0], "metrics", "acc", "history")
    assert status == 200 and [p["step"] for p in history["points"]] == [0, 1, 2]
    status, body = await studio_api("GET", "runs", ids[0], "metrics", "nope", "history")
    assert status == 404 and body["message"].startswith("key:")


async def test_given_artifacts_when_browsed_then_listing_and_download(studio_api, jp_fetch, mlflow):
    client, _ = mlflow
    _, ids = make_experiment(mlflow, runs=1)
    client.log_text(ids[0], "a,b\n1,2\n", "data/table.csv")

    status, root = await studio_api("GET", "runs", ids[0], "artifacts")
    assert status == 200 and root["items"] == [{"path": "data", "is_dir": True, "file_size": None}]
    status, folder = await studio_api("GET", "runs", ids[0], "artifacts", params={"path": "data"})
    assert [i["path"] for i in folder["items"]] == ["data/table.csv"]

    response = await jp_fetch("studio", "api", "runs", ids[0], "artifacts",
                              params={"path": "data/table.csv", "download": "true"})
    assert response.code == 200 and response.body == b"a,b\n1,2\n"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Type"].startswith("text/csv")

    status, body = await studio_api("GET", "runs", ids[0], "artifacts", params={"path": "../secrets"})
    assert status == 400 and body["message"].startswith("path:")
    status, body = await studio_api("GET", "runs", ids[0], "artifacts", params={"path": "data/none.csv"})
    assert status == 404 and body["message"].startswith("path:")


async def test_given_two_runs_when_compared_then_differences_flagged(studio_api, mlflow):
    _, ids = make_experiment(mlflow, runs=2)

    status, result = await studio_api("GET", "runs", "compare", params={"run_ids": ",".join(ids)})

    assert status == 200 and result["run_ids"] == ids
    assert result["params"] == [{"key": "lr", "values": ["0.1", "0.2"], "differs": True}]
    status, body = await studio_api("GET", "runs", "compare", params={"run_ids": ids[0]})
    assert status == 400 and body["message"].startswith("run_ids:")
    status, body = await studio_api("GET", "runs", "compare")
    assert status == 400 and "run_ids" in body["message"]


async def test_given_the_config_then_it_names_the_mlflow_ui_and_the_features(studio_api):
    status, config = await studio_api("GET", "config")
    assert status == 200
    assert config["mlflow_ui_url"].endswith("/studio/mlflow/")
    assert {"experiments", "models", "mlflow-ui"} <= set(config["features"])
    json.dumps(config)
