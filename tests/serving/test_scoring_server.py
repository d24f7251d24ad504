"""The scoring server as a real replica process over real HTTP: every input format, every bad payload."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests
from serving_models import REPO, free_port, registered_models, start_replica, stop_replica  # noqa: F401


@pytest.fixture(scope="module")
def replica(registered_models, tmp_path_factory):  # noqa: F811
    capture = tmp_path_factory.mktemp("capture")
    # strict: the studio's own checks and messages (the MLflow-compatible default is test_mlflow_parity.py)
    proc, url = start_replica(registered_models.paths["lr/1"], workers=2,
                              extra=["--endpoint", "ep", "--variant", "v1", "--capture-dir", str(capture),
                                     "--capture-percent", "100", "--schema-enforcement", "strict"])
    yield proc, url, capture
    stop_replica(proc)


def invoke(url: str, payload, content_type: str = "application/json"):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return requests.post(url + "/invocations", data=body, headers={"Content-Type": content_type}, timeout=30)


def test_given_each_mlflow_format_and_csv_when_invoked_then_predictions_match_the_model(replica, registered_models):  # noqa: F811
    _proc, url, _capture = replica
    m = registered_models
    records = [dict(zip(m.columns, row, strict=True)) for row in m.rows]
    payloads = [
        ({"dataframe_split": {"columns": m.columns, "data": m.rows}}, "application/json"),
        # columns in another order are put back in signature order
        ({"dataframe_split": {"columns": m.columns[::-1], "data": [r[::-1] for r in m.rows]}}, "application/json"),
        ({"dataframe_records": records}, "application/json"),
        ({"instances": m.rows}, "application/json"),
        ({"instances": records}, "application/json"),
        ({"inputs": {c: [r[i] for r in m.rows] for i, c in enumerate(m.columns)}}, "application/json"),
        ("\n".join(",".join(repr(v) for v in r) for r in m.rows), "text/csv"),
        (",".join(m.columns) + "\n" + "\n".join(",".join(repr(v) for v in r) for r in m.rows), "text/csv"),
    ]
    for payload, ctype in payloads:
        response = invoke(url, payload, ctype)
        assert response.status_code == 200, (payload if isinstance(payload, str) else list(payload), response.text)
        assert response.json() == {"predictions": m.expected}


@pytest.mark.parametrize(("payload", "ctype", "names"), [
    ("{not json", "application/json", "not valid JSON"),
    ([1, 2], "application/json", "JSON object"),
    ({}, "application/json", "exactly one of"),
    ({"instances": [], "inputs": []}, "application/json", "exactly one of"),
    ({"rows": [[1.0]]}, "application/json", "rows"),
    ({"dataframe_split": {"columns": ["nope"], "data": [[1.0]]}}, "application/json", "'nope'"),
    ({"dataframe_split": {"data": [[1.0, 2.0]]}}, "application/json", "has 2 values"),
    ({"dataframe_split": {"data": []}}, "application/json", "non-empty"),
    ({"dataframe_split": [1]}, "application/json", "dataframe_split"),
    ({"dataframe_records": [{"mean radius": 1.0}]}, "application/json", "required"),
    ({"instances": [["a"] * 30]}, "application/json", "'mean radius' (row 0): expected double"),
    ({"instances": [[None] * 30]}, "application/json", "'mean radius' (row 0): a value is required"),
    ({"instances": [[True] * 30]}, "application/json", "expected double"),
    ({"instances": [1.0]}, "application/json", "instances[0]"),
    ("1,2,3", "text/csv", "csv row 0: has 3 values"),
    (",".join(["x"] * 30), "text/csv", "expected a number"),
    ("a=b", "application/x-www-form-urlencoded", "Content-Type"),
    (b"\xff\xfe", "text/csv", "UTF-8"),
    # NaN is the caller's error (a 400, not a 5xx counted against the variant)
    ({"instances": [[float("nan")] * 30]}, "application/json", "NaN or infinity"),
    (",".join(["inf"] * 30), "text/csv", "NaN or infinity"),
])
def test_given_a_bad_payload_when_invoked_then_400_names_the_problem(replica, payload, ctype, names):
    _proc, url, _capture = replica
    if isinstance(payload, list | dict):
        payload = json.dumps(payload)
    response = invoke(url, payload, ctype)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "InvalidParameterValue"
    assert names in body["message"], body["message"]


def test_given_traffic_then_metrics_are_prometheus_text_with_labels_and_capture_is_written(replica, registered_models):  # noqa: F811
    _proc, url, capture = replica
    m = registered_models
    assert invoke(url, {"instances": m.rows[:1]}).status_code == 200
    assert invoke(url, {"instances": [[1.0]]}).status_code == 400
    text = requests.get(url + "/metrics", timeout=10).text
    assert 'studio_invocations_total{endpoint="ep",variant="v1",code="2xx"}' in text
    counts = {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.startswith("studio_invocations_total")}
    assert counts['studio_invocations_total{endpoint="ep",variant="v1",code="4xx"}'] >= 1
    assert "studio_invocation_seconds_bucket" in text
    lines = [json.loads(line) for f in capture.glob("*.jsonl") for line in f.read_text().splitlines()]
    assert any("predictions" in rec["output"] and "instances" in rec["input"] for rec in lines)


def test_given_a_worker_is_killed_then_the_replica_keeps_answering(replica, registered_models):  # noqa: F811
    proc, url, _capture = replica
    workers = psutil.Process(proc.pid).children()
    assert len(workers) == 2
    workers[0].kill()
    ok = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and ok < 50:
        try:
            if invoke(url, {"instances": registered_models.rows[:1]}).status_code == 200:
                ok += 1
        except requests.ConnectionError:
            pass
    assert ok == 50
    deadline = time.monotonic() + 30
    while len(psutil.Process(proc.pid).children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(psutil.Process(proc.pid).children()) == 2  # the dead worker was replaced


def test_given_a_broken_model_when_started_then_it_exits_with_a_reason(registered_models):  # noqa: F811
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "studio_ext.serving", "--model-uri",
                             registered_models.paths["broken/1"], "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "cannot load model" in result.stderr


def test_given_the_replica_is_stopped_then_its_workers_exit(registered_models):  # noqa: F811
    proc, _url = start_replica(registered_models.paths["lr/1"], workers=2)
    workers = psutil.Process(proc.pid).children()
    os.kill(proc.pid, signal.SIGKILL)  # even a SIGKILL of the main process ends the workers
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive
    stop_replica(proc)
