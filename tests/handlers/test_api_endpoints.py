"""REST + the invocation router through a real Jupyter server, with an in-process reconciler driving real replicas."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from pathlib import Path

import pytest
from serving_models import registered_models  # noqa: F401
from traitlets.config import Config

from studio_ext.runner.reconcilers.endpoints import EndpointReconciler
from studio_ext.runner.reconcilers.transform import TransformReconciler
from studio_ext.store.db import Database


@pytest.fixture
def jp_server_config(studio_home, registered_models):  # noqa: F811
    return Config({
        "ServerApp": {"jpserver_extensions": {"studio_ext": True}, "reraise_server_extension_failures": True},
        "StudioApp": {"studio_home": str(studio_home), "start_agent": False,
                      "mlflow_tracking_uri": registered_models.tracking_uri},
    })


@pytest.fixture
def reconciler(studio_app, jp_serverapp):
    """What the agent does, in a thread: a reconcile pass every 0.2 s."""
    settings = studio_app.settings["studio_ext_settings"]
    rec = EndpointReconciler(Database(settings.db_url), settings, "test-agent", lambda a: a == "test-agent")
    transforms = TransformReconciler(rec.db, settings, "test-agent", lambda a: a == "test-agent")
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                rec.reconcile()
                transforms.reconcile()
            except Exception:  # a pass that hit a locked database: the next one retries
                pass
            stop.wait(0.2)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield rec
    service = studio_app.settings["studio_ext_endpoint_service"]
    for item in service.list_endpoints().items:
        service.delete_endpoint(item.name)
    for _ in range(100):
        if not service.list_endpoints().items:
            break
        stop.wait(0.2)
    stop.set()
    thread.join(10)


async def wait_status(studio_api, name, status, timeout=120):
    for _ in range(int(timeout / 0.25)):
        code, body = await studio_api("GET", "endpoints", name)
        if code == 200 and body["status"] == status:
            return body
        await asyncio.sleep(0.25)
    raise AssertionError(f"{name}: still {body}")


async def invoke(jp_fetch, name, payload, content_type="application/json"):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    response = await jp_fetch("studio", "endpoints", name, "invocations", method="POST", body=body,
                              headers={"Content-Type": content_type}, raise_error=False)
    return response.code, json.loads(response.body or b"null"), response.headers


ENDPOINT = {"name": "churn", "variants": [{"name": "a", "model": "models:/lr/1", "instance_type": "local.small",
                                           "instance_count": 2, "weight": 1}],
            "data_capture": {"sampling_percent": 100, "capture": ["input", "output"]}}


async def test_given_an_endpoint_when_invoked_through_the_router_then_predictions_metrics_capture_and_audit(
        studio_api, jp_fetch, reconciler, registered_models, studio_app):  # noqa: F811
    code, body = await studio_api("POST", "endpoints", body=ENDPOINT)
    assert code == 201 and body["status"] == "Creating"
    assert body["invocation_url"] == "/studio/endpoints/churn/invocations"
    described = await wait_status(studio_api, "churn", "InService")
    assert [r["status"] for r in described["replicas"]] == ["Healthy", "Healthy"]
    m = registered_models
    code, out, headers = await invoke(jp_fetch, "churn", {"dataframe_split": {"columns": m.columns, "data": m.rows}})
    assert (code, out) == (200, {"predictions": m.expected})
    assert headers["X-Studio-Variant"] == "a"
    csv = "\n".join(",".join(repr(v) for v in r) for r in m.rows)
    assert (await invoke(jp_fetch, "churn", csv, "text/csv"))[1] == {"predictions": m.expected}
    # a bad payload is the replica's 400, passed through with the column named
    record = {**dict(zip(m.columns, m.rows[0], strict=True)), "mean radius": "big"}
    code, out, _ = await invoke(jp_fetch, "churn", {"dataframe_records": [record]})
    assert code == 400 and "mean radius" in out["message"]
    code, out, _ = await invoke(jp_fetch, "nope", {"instances": m.rows})
    assert code == 404 and out["error_code"] == "ResourceNotFound"
    # metrics per variant, Prometheus text, capture records
    code, metrics = await studio_api("GET", "endpoints", "churn", "metrics")
    assert code == 200 and metrics["variants"][0]["variant"] == "a"
    assert metrics["variants"][0]["invocations"] >= 3 and metrics["variants"][0]["errors_4xx"] >= 1
    assert metrics["variants"][0]["latency_p50_ms"] is not None
    assert 'studio_invocations_total{endpoint="churn",variant="a",code="2xx"}' in metrics["prometheus"]
    code, capture = await studio_api("GET", "endpoints", "churn", "capture", params={"max_items": 2})
    assert code == 200 and len(capture["records"]) == 2 and "predictions" in capture["records"][0]["output"]
    assert capture["records"][0]["error"] is None
    # ... sealed at rest: the files on disk hold neither the request nor the answer in clear
    on_disk = b"".join(f.read_bytes() for f in Path(capture["folder"]).glob("*.jsonl"))
    assert on_disk and b"predictions" not in on_disk and b"mean radius" not in on_disk and b'"sealed": true' in on_disk
    # invocations are audited in aggregate: one event with the counts
    router = studio_app.settings["studio_ext_endpoint_router"]
    await asyncio.get_running_loop().run_in_executor(None, router.flush_invocations)
    code, events = await studio_api("GET", "audit-events", params={"action": "InvokeEndpoint"})
    churn = [e for e in events["items"] if e["resource_id"] == "churn"]
    assert len(churn) == 1 and churn[0]["detail"]["invocations"] == 3 and churn[0]["detail"]["errors_4xx"] == 1
    code, events = await studio_api("GET", "audit-events", params={"action": "CreateEndpoint"})
    assert [e["resource_id"] for e in events["items"]] == ["churn"]


async def test_given_a_replica_is_killed_under_traffic_then_the_router_loses_no_request(
        studio_api, jp_fetch, reconciler, registered_models):  # noqa: F811
    assert (await studio_api("POST", "endpoints", body=ENDPOINT))[0] == 201
    described = await wait_status(studio_api, "churn", "InService")
    victim = described["replicas"][0]
    payload = {"instances": registered_models.rows[:1]}
    codes = []
    for i in range(150):
        if i == 30:
            os.killpg(victim["pid"], signal.SIGKILL)
        codes.append((await invoke(jp_fetch, "churn", payload))[0])
    assert codes == [200] * 150
    # and the reconciler brings the killed one back
    for _ in range(240):
        body = (await studio_api("GET", "endpoints", "churn"))[1]
        if any(r["restarts"] == 1 and r["status"] == "Healthy" for r in body["replicas"]):
            break
        await asyncio.sleep(0.25)
    else:
        raise AssertionError(body)


async def test_given_bad_requests_then_4xx_naming_the_field_and_update_delete_work(studio_api, reconciler):
    code, body = await studio_api("POST", "endpoints", body={"name": "x", "variants": []})
    assert code == 400 and "variants" in body["message"]
    code, body = await studio_api("POST", "endpoints", body={"name": "x", "variants": [{"model": "lr"}]})
    assert code == 400 and "variants[0].model" in body["message"]
    code, body = await studio_api("POST", "endpoints", body={"name": "x", "variants": [{"model": "models:/ghost/1"}]})
    assert code == 404 and "ghost" in body["message"]
    code, body = await studio_api("POST", "endpoints", body={"name": "x", "variants": [{"model": "models:/lr/1"}],
                                                             "colour": "red"})
    assert code == 400 and "colour" in body["message"]
    assert (await studio_api("GET", "endpoints", "ghost"))[0] == 404
    assert (await studio_api("POST", "endpoints", body={"name": "x", "variants": [{"model": "models:/lr/1"}]}))[0] == 201
    await wait_status(studio_api, "x", "InService")
    code, body = await studio_api("PATCH", "endpoints", "x", body={
        "variants": [{"model": "models:/lr/2"}], "deployment_policy": {"type": "sideways"}})
    assert code == 400 and "deployment_policy.type" in body["message"]
    assert (await studio_api("PATCH", "endpoints", "x", body={"variants": [{"model": "models:/lr/2"}]}))[0] == 204
    described = await wait_status(studio_api, "x", "InService")
    assert described["generation"] == 2
    assert [v["model"] for v in described["previous_configuration"]["variants"]] == ["models:/lr/1"]
    # rollback: a bad policy is a 400 naming it; then back to version 1
    code, body = await studio_api("POST", "endpoints", "x", "rollback", body={"deployment_policy": {"type": "back"}})
    assert code == 400 and "deployment_policy.type" in body["message"]
    assert (await studio_api("POST", "endpoints", "x", "rollback"))[0] == 204
    described = await wait_status(studio_api, "x", "InService")
    assert [v["model"] for v in described["variants"]] == ["models:/lr/1"] and described["deployment"]["rollback"]
    code, audit = await studio_api("GET", "audit-events", params={"action": "RollbackEndpoint"})
    assert code == 200 and [(e["resource_id"], e["outcome"]) for e in audit["items"]][:2] == [
        ("x", "Success"), ("x", "Failure")]
    assert (await studio_api("POST", "endpoints", "ghost", "rollback"))[0] == 404
    # metrics history: bad query values are a 400 naming the parameter
    code, body = await studio_api("GET", "endpoints", "x", "metrics", params={"since_seconds": "-5"})
    assert code == 400 and "since_seconds" in body["message"]
    code, body = await studio_api("GET", "endpoints", "x", "metrics", params={"period_seconds": "0.5"})
    assert code == 400 and "period_seconds" in body["message"]
    code, body = await studio_api("GET", "endpoints", "x", "metrics", params={"since_seconds": "3600",
                                                                             "period_seconds": "60"})
    assert code == 200 and body["period_seconds"] == 60 and body["series"][0]["variant"] is None
    code, listing = await studio_api("GET", "endpoints")
    assert [e["name"] for e in listing["items"]] == ["x"]
    assert (await studio_api("DELETE", "endpoints", "x"))[0] == 204
    for _ in range(200):
        if (await studio_api("GET", "endpoints", "x"))[0] == 404:
            break
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("endpoint x was never deleted")


async def test_given_a_transform_job_over_rest_then_it_completes_and_bad_input_is_a_400(
        studio_api, reconciler, registered_models, jp_root_dir):  # noqa: F811
    import pandas as pd

    pd.DataFrame(registered_models.rows, columns=registered_models.columns).to_csv(jp_root_dir / "in.csv", index=False)
    code, body = await studio_api("POST", "transform-jobs", body={"model": "models:/lr/1", "input": "in.csv",
                                                                  "output": "scored"})
    assert code == 201 and body["status"] == "Queued", body
    job_id = body["transform_job_id"]
    for _ in range(480):
        code, body = await studio_api("GET", "transform-jobs", job_id)
        if body["status"] in ("Completed", "Failed"):
            break
        await asyncio.sleep(0.25)
    assert body["status"] == "Completed", body
    assert body["rows_done"] == len(registered_models.rows) and body["outputs"] == ["scored/in.out.csv"]
    assert pd.read_csv(jp_root_dir / "scored" / "in.out.csv")["prediction"].tolist() == registered_models.expected
    code, listing = await studio_api("GET", "transform-jobs")
    assert [j["transform_job_id"] for j in listing["items"]] == [job_id]
    code, body = await studio_api("POST", "transform-jobs", body={"model": "models:/lr/1", "input": "in.csv",
                                                                  "format": "xml"})
    assert code == 400 and "format" in body["message"]
    assert (await studio_api("DELETE", "transform-jobs", job_id))[0] == 204
    assert (await studio_api("GET", "transform-jobs", job_id))[0] == 404
