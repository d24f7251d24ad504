"""/studio/api/models (registry, aliases, lineage, reproduce) and the proxied MLflow UI, through a real server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import psutil
import pytest

from studio_ext import tracking


def listening_inet_sockets(pid: int) -> list:
    """The TCP/UDP sockets that `pid` and its descendants listen on."""
    leader = psutil.Process(pid)
    found = []
    for proc in [leader, *leader.children(recursive=True)]:
        try:
            found += [c for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        except psutil.NoSuchProcess:  # a short-lived helper of the server
            continue
    return found


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import mlflow.pyfunc
    import pandas as pd

    class Double(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input * 2

    path = tmp_path_factory.mktemp("model") / "model"
    mlflow.pyfunc.save_model(str(path), python_model=Double(), input_example=pd.DataFrame({"x": [1.0]}),
                             pip_requirements=[])
    return path


@pytest.fixture
def model_run(studio_app, saved_model):
    """make(job_id=None) -> run id of a finished run holding `model/` in the test server's store."""
    settings = studio_app.settings["studio_ext_settings"]
    client = tracking.client(settings.mlflow_tracking_uri, settings.home)

    def make(job_id: str | None = None, parameters: dict | None = None) -> str:
        _, run_id = tracking.start_run(settings.mlflow_tracking_uri, settings.home, experiment_name="train",
                                       job_id=job_id or "", job_name="train", attempt=1,
                                       parameters=parameters or {}, mlflow_client=client)
        if not job_id:
            client.delete_tag(run_id, tracking.JOB_ID_TAG)
        client.log_artifacts(run_id, str(saved_model), "model")
        client.set_terminated(run_id)
        return run_id

    return make


async def register(studio_api, run_id: str, name: str = "clf", **extra):
    status, version = await studio_api("POST", "models", body={"name": name, "run_id": run_id,
                                                               "artifact_path": "model", **extra})
    assert status == 201, version
    return version


async def test_given_a_run_when_registered_then_the_model_its_version_and_aliases_round_trip(studio_api, model_run):
    run_id = model_run()

    v1 = await register(studio_api, run_id, description="first")
    v2 = await register(studio_api, run_id)

    assert (v1["version"], v2["version"], v1["status"], v1["run_id"]) == ("1", "2", "READY", run_id)
    assert "double" in v1["signature"]["inputs"] and v1["input_example"]["columns"] == ["x"]
    assert v1["lineage"]["run_id"] == run_id and v1["lineage"]["job_id"] is None
    status, listing = await studio_api("GET", "models")
    assert status == 200 and [m["name"] for m in listing["items"]] == ["clf"]

    assert (await studio_api("PUT", "models", "clf", "aliases", "champion", body={"version": "1"}))[0] == 204
    assert (await studio_api("PUT", "models", "clf", "aliases", "champion", body={"version": 2}))[0] == 204
    status, model = await studio_api("GET", "models", "clf")
    assert status == 200 and model["aliases"] == {"champion": "2"} and model["latest_version"] == "2"
    assert [(v["version"], v["aliases"]) for v in model["versions"]] == [("2", ["champion"]), ("1", [])]
    assert (await studio_api("DELETE", "models", "clf", "aliases", "champion"))[0] == 204
    assert (await studio_api("GET", "models", "clf"))[1]["aliases"] == {}

    assert (await studio_api("PATCH", "models", "clf", body={"description": "d", "tags": {"t": "1"}}))[0] == 204
    assert (await studio_api("PATCH", "models", "clf", "versions", "1", body={"tags": {"k": "v"}}))[0] == 204
    _, model = await studio_api("GET", "models", "clf")
    _, version = await studio_api("GET", "models", "clf", "versions", "1")
    assert (model["description"], model["tags"], version["tags"]) == ("d", {"t": "1"}, {"k": "v"})

    assert (await studio_api("DELETE", "models", "clf"))[0] == 204
    assert (await studio_api("GET", "models", "clf"))[0] == 404


async def test_given_bad_registry_input_then_4xx_naming_the_field(studio_api, model_run):
    run_id = model_run()
    await register(studio_api, run_id)
    cases = [
        ("POST", ("models",), {"name": "x", "run_id": "0" * 32, "artifact_path": "model"}, 404, "run_id"),
        ("POST", ("models",), {"name": "x", "run_id": run_id, "artifact_path": "nope"}, 404, "artifact_path"),
        ("POST", ("models",), {"name": "x", "run_id": run_id}, 400, "artifact_path"),
        ("POST", ("models",), {"name": "", "run_id": run_id, "artifact_path": "model"}, 400, "name"),
        ("GET", ("models", "missing"), None, 404, "name"),
        ("GET", ("models", "clf", "versions", "9"), None, 404, "version"),
        ("GET", ("models", "clf", "versions", "abc"), None, 400, "version"),
        ("PATCH", ("models", "clf"), {"colour": "red"}, 400, "colour"),
        ("PATCH", ("models", "missing"), {"description": "x"}, 404, "name"),
        ("PUT", ("models", "clf", "aliases", "champion"), {}, 400, "version"),
        ("PUT", ("models", "clf", "aliases", "champion"), {"ver": "1"}, 400, "ver"),
        ("PUT", ("models", "clf", "aliases", "champion"), {"version": "9"}, 404, "version"),
        ("PUT", ("models", "clf", "aliases", "v1"), {"version": "1"}, 400, "alias"),
        ("PUT", ("models", "missing", "aliases", "champion"), {"version": "1"}, 404, "name"),
        ("DELETE", ("models", "clf", "aliases", "ghost"), None, 404, "alias"),
        ("DELETE", ("models", "missing"), None, 404, "name"),
        ("POST", ("models", "clf", "versions", "1", "reproduce"), None, 409, ""),
        ("POST", ("jobs", "0" * 32, "reproduce"), None, 404, "job_id"),
    ]
    for method, parts, body, status, field in cases:
        code, answer = await studio_api(method, *parts, body=body)
        assert code == status, (method, parts, body, answer)
        assert set(answer) == {"error_code", "message"} and answer["message"].startswith(field), (parts, answer)
    code, answer = await studio_api("PUT", "models", "clf", "aliases", "champion", raw_body="{not json")
    assert code == 400 and answer["message"].startswith("request body")


async def test_given_registry_mutations_then_each_is_audited(studio_api, model_run):
    run_id = model_run()
    await register(studio_api, run_id)
    await studio_api("PUT", "models", "clf", "aliases", "champion", body={"version": "1"})
    await studio_api("PUT", "models", "clf", "aliases", "champion", body={"version": "5"})  # 404
    await studio_api("PATCH", "models", "clf", "versions", "1", body={"description": "x"})
    await studio_api("DELETE", "models", "clf", "aliases", "champion")
    await studio_api("DELETE", "models", "clf")

    status, events = await studio_api("GET", "audit-events")

    assert status == 200
    assert [(e["action"], e["resource_id"], e["outcome"]) for e in reversed(events["items"])] == [
        ("CreateModelVersion", "clf/1", "Success"),
        ("SetModelAlias", "clf@champion", "Success"),
        ("SetModelAlias", "clf@champion", "Failure"),
        ("UpdateModelVersion", "clf/1", "Success"),
        ("DeleteModelAlias", "clf@champion", "Success"),
        ("DeleteRegisteredModel", "clf", "Success"),
    ]
    assert events["items"][3]["detail"]["status"] == 404


async def test_given_a_version_from_a_job_when_reproduced_then_a_new_job_on_the_old_snapshot(
        studio_api, model_run, write_notebook):
    path = write_notebook("train.ipynb", params="alpha = 0.1", cells=["print('first')"])
    status, created = await studio_api("POST", "jobs", body={"input": "train.ipynb", "parameters": {"alpha": 0.3}})
    job_id = created["job_id"]
    run_id = model_run(job_id=job_id, parameters={"alpha": 0.3})
    await register(studio_api, run_id)
    path.write_text(path.read_text().replace("first", "second"))  # edited after the run

    _, version = await studio_api("GET", "models", "clf", "versions", "1")
    assert version["job_id"] == job_id
    assert version["lineage"]["job_input"] == "train.ipynb" and version["lineage"]["parameters"] == {"alpha": 0.3}

    status, result = await studio_api("POST", "models", "clf", "versions", "1", "reproduce")

    assert status == 201 and result["reproduces_job_id"] == job_id and result["reproduces_run_id"] == run_id
    _, new = await studio_api("GET", "jobs", result["job_id"])
    assert new["status"] == "Queued" and new["parameters"] == {"alpha": 0.3} and new["input"] == "train.ipynb"
    assert new["tags"]["studio.reproduces_job_id"] == job_id
    status, again = await studio_api("POST", "jobs", job_id, "reproduce")
    assert status == 201 and again["job_id"] not in (job_id, result["job_id"])
    _, events = await studio_api("GET", "audit-events", params={"action": "ReproduceJob"})
    assert [e["resource_id"] for e in events["items"]] == [job_id]


async def test_given_the_mlflow_ui_when_visited_then_it_starts_and_answers_behind_jupyter_auth(
        jp_fetch, studio_app, studio_api, caplog):
    response = await jp_fetch("studio", "mlflow/", raise_error=False, headers={"Authorization": ""},
                              follow_redirects=False)
    assert response.code in (302, 403)  # a browser is sent to the login page; nothing is proxied
    assert studio_app.mlflow_ui.proc is None
    response = await jp_fetch("studio", "mlflow", follow_redirects=False, raise_error=False)
    assert response.code == 302 and response.headers["Location"].endswith("/studio/mlflow/")

    try:
        deadline = time.monotonic() + 240
        while True:
            response = await jp_fetch("studio", "mlflow/", raise_error=False, headers={"Accept": "text/html"})
            if response.code == 200 or time.monotonic() > deadline:
                break
            assert response.code == 503 and b"Starting the MLflow UI" in response.body
            assert b"s so far" in response.body and b"15 to 60 seconds" in response.body
            await asyncio.sleep(1)
        assert response.code == 200 and b"<title>MLflow</title>" in response.body
        # the waits are logged once, as one line, not as an error with the request's headers each
        assert not [r for r in caplog.records if r.levelname == "ERROR" and "503" in r.getMessage()]
        assert len([r for r in caplog.records if "MLflow UI server is starting" in r.getMessage()]) == 1

        response = await jp_fetch("studio", "mlflow", "ajax-api", "2.0", "mlflow", "experiments", "search",
                                  method="POST", body=json.dumps({"max_results": 10}), raise_error=False,
                                  headers={"Content-Type": "application/json"})
        assert response.code == 200, response.body
        assert "Default" in [e["name"] for e in json.loads(response.body)["experiments"]]
        refused = await jp_fetch("studio", "mlflow", "ajax-api", "2.0", "mlflow", "experiments", "search",
                                 method="POST", body="{}", raise_error=False, headers={"Authorization": ""})
        assert refused.code == 403
        # a cross-origin browser post is a JSON 403, not a crash in the error page
        cross = await jp_fetch("studio", "mlflow", "ajax-api", "2.0", "mlflow", "experiments", "create",
                               method="POST", body="{}", raise_error=False,
                               headers={"Authorization": "", "Cookie": "x=1", "Origin": "http://evil.example"})
        assert cross.code == 403 and json.loads(cross.body)["error_code"] == "AccessDenied"

        # No side door: the child listens on no TCP port, only on a socket in a folder of ours alone.
        ui = studio_app.mlflow_ui
        assert listening_inet_sockets(ui.proc.pid) == []
        assert Path(ui.socket_path).parent.stat().st_mode & 0o777 == 0o700

        # A mutation through the proxy is audited; the token in its query string reaches no log.
        token = studio_app.serverapp.identity_provider.token
        response = await jp_fetch("studio", "mlflow", "ajax-api", "2.0", "mlflow", "experiments", "create",
                                  method="POST", body=json.dumps({"name": "from-the-ui"}), raise_error=False,
                                  params={"token": token},
                                  headers={"Content-Type": "application/json", "Authorization": ""})
        assert response.code == 200, response.body
        _, events = await studio_api("GET", "audit-events", params={"action": "MlflowRequest"})
        assert [(e["resource_id"], e["outcome"], e["detail"]["method"]) for e in events["items"]] == [
            ("ajax-api/2.0/mlflow/experiments/create", "Success", "POST")]
        logs = "".join(p.read_text(errors="replace") for p in studio_app.mlflow_ui.home.glob("*.log"))
        assert token not in logs
    finally:
        studio_app.mlflow_ui.stop()
    assert not Path(ui.socket_path).parent.exists()
