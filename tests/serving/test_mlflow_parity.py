"""A studio replica is a drop-in for `mlflow models serve`: the same requests, the same answers.

Each request below (after MLflow's own scoring-server tests, tests/pyfunc/test_scoring_server.py
in the MLflow repository) goes to a real `mlflow models serve` and to a studio replica of the same
model (default schema enforcement: mlflow). Whatever MLflow answers with predictions, the replica
answers with the same predictions; whatever MLflow refuses, the replica refuses with the same
status and error code; the replica never answers a 5xx.
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from serving_models import free_port, registered_models, start_replica, stop_replica, wait_answering  # noqa: F401

pytestmark = pytest.mark.slow

MODELS = Path(__file__).with_name("parity_models")
JSON = "application/json"


def _save_models(base: Path, lr_path: str) -> dict[str, str]:
    import mlflow.pyfunc
    import mlflow.sklearn
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec
    from sklearn.datasets import load_iris
    from sklearn.neighbors import KNeighborsClassifier

    x = load_iris().data[:, :2]
    paths = {"knn": str(base / "knn"), "lr": lr_path}
    mlflow.sklearn.save_model(KNeighborsClassifier().fit(x, load_iris().target), paths["knn"],
                              serialization_format="cloudpickle", pip_requirements=[])
    types = ["boolean", "integer", "long", "float", "double", "binary", "datetime", "string"]
    signature = ModelSignature(Schema([ColSpec(t, t) for t in types]),
                               params=ParamSchema([ParamSpec("param1", DataType.datetime, np.datetime64("2023-07-01"))]))
    paths["all_types"] = str(base / "all_types")
    mlflow.pyfunc.save_model(paths["all_types"], python_model=str(MODELS / "all_types.py"), signature=signature,
                             pip_requirements=[])
    tensors = Schema([TensorSpec(np.dtype("float64"), (-1, 2), "a"), TensorSpec(np.dtype("float64"), (-1, 2), "b")])
    paths["two_tensors"] = str(base / "two_tensors")
    mlflow.pyfunc.save_model(paths["two_tensors"], python_model=str(MODELS / "two_tensors.py"),
                             signature=ModelSignature(tensors), pip_requirements=[])
    paths["dict_out"] = str(base / "dict_out")
    mlflow.pyfunc.save_model(paths["dict_out"], python_model=str(MODELS / "dict_out.py"),
                             signature=ModelSignature(Schema([ColSpec("double", "x")])), pip_requirements=[])
    example = {"messages": [{"role": "user", "content": "hi"}]}
    paths["chat"] = str(base / "chat")
    mlflow.pyfunc.save_model(paths["chat"], python_model=str(MODELS / "chat.py"), pip_requirements=[],
                             signature=infer_signature(example, params={"temperature": 0.5}))
    return paths


def _start_mlflow(path: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    with open(log, "ab") as fh:
        proc = subprocess.Popen([exe, "models", "serve", "-m", path, "-p", str(port), "--host", "127.0.0.1",
                                 "--env-manager", "local", "--workers", "1"],
                                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "MLFLOW_TRACKING_URI": "sqlite:///" + str(log.parent / "m.db"),
                                     # it execs `uvicorn` by name: the venv's
                                     "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory, registered_models):  # noqa: F811
    base = tmp_path_factory.mktemp("parity")
    paths = _save_models(base, registered_models.paths["lr/1"])
    started: dict[str, tuple[str, str]] = {}
    procs: list[tuple[subprocess.Popen, bool]] = []
    try:
        mlflow_side = {name: _start_mlflow(path, base / f"{name}.log") for name, path in paths.items()}
        procs += [(proc, True) for proc, _url in mlflow_side.values()]
        for name, path in paths.items():
            studio, studio_url = start_replica(path, workers=1)
            procs.append((studio, False))
            proc, url = mlflow_side[name]
            wait_answering(url + "/ping", proc, "mlflow models serve", (base / f"{name}.log").read_text, 180)
            started[name] = (url, studio_url)
        yield started
    finally:
        for proc, is_mlflow in procs:
            if is_mlflow:
                try:
                    os.killpg(proc.pid, 15)
                except ProcessLookupError:
                    pass
                proc.wait(30)
            else:
                stop_replica(proc)


def _requests() -> list[tuple[str, str, str | bytes, bool]]:
    """(model, content type, body, beyond) of each request; `beyond`: MLflow refuses it, the studio
    scores it (documented in the endpoints guide: rows for a column signature, in its order)."""
    from sklearn.datasets import load_breast_cancer, load_iris

    iris = pd.DataFrame(load_iris().data[:5, :2])
    cancer = load_breast_cancer(as_frame=True).data.head(3)
    bad_cell = cancer.astype(object)
    bad_cell.iloc[0, 0] = "1.4"
    extra = cancer.assign(extra_column=1.0)
    all_types = {"boolean": [True, False], "integer": [1, 2], "long": [3, 4], "float": [math.pi, 1.5],
                 "double": [2.5, 3.5], "binary": [base64.b64encode(b"\x01\x02").decode()] * 2,
                 "datetime": ["2021-01-01T00:00:00", "2021-02-02T12:00:00"], "string": ["a", "b"]}
    all_df = pd.DataFrame(all_types)
    out: list[tuple[str, str, str | bytes, bool]] = []

    def add(model: str, body, ctype: str = JSON, beyond: bool = False) -> None:
        out.append((model, ctype, body if isinstance(body, str | bytes) else json.dumps(body), beyond))

    # a model without a signature (MLflow's KNN on two iris columns)
    add("knn", {"dataframe_split": iris.to_dict(orient="split")})
    add("knn", {"dataframe_records": iris.to_dict(orient="records")})
    add("knn", {"instances": iris.values.tolist()})
    add("knn", {"inputs": iris.values.tolist()})
    add("knn", iris.to_csv(index=False), "text/csv")
    add("knn", {"dataframe_records": iris.to_dict(orient="records")}, JSON + "; charset=UTF-8")
    add("knn", "this is,,,, not valid json")
    for not_a_dict in (1, "1", [1]):
        add("knn", not_a_dict)
    add("knn", {"not": "a serialized dataframe"})
    add("knn", {"dataframe_records": [], "dataframe_split": {"data": []}})
    add("knn", {"dataframe_split": iris.to_dict(orient="records")})
    add("knn", {"dataframe_records": iris.to_dict(orient="split")})
    add("knn", {"dataframe_split": {"index": [1, 2], "data": [[1], [2], [3]]}})
    add("knn", {"dataframe_split": pd.DataFrame(np.arange(10)).to_dict(orient="split")})
    add("knn", "", "text/csv")
    add("knn", iris.to_json(orient="split"), "not_a_supported_content_type")
    add("knn", iris.to_json(orient="split"), JSON + "; something=something")
    # a numeric signature (the fast path), and what MLflow accepts beyond it
    add("lr", {"dataframe_split": cancer.to_dict(orient="split")})
    add("lr", {"dataframe_records": cancer.to_dict(orient="records")})
    add("lr", {"instances": cancer.values.tolist()}, beyond=True)
    add("lr", {"inputs": cancer.to_dict(orient="list")})
    add("lr", cancer.to_csv(index=False), "text/csv")
    add("lr", {"dataframe_split": extra.to_dict(orient="split")})  # an unknown column: ignored
    add("lr", {"dataframe_split": bad_cell.to_dict(orient="split")})  # "1.4" in a double column
    add("lr", {"dataframe_split": cancer.to_dict(orient="split"), "params": {"unused": 1}})
    add("lr", {"instances": cancer.values.tolist(), "extra_key": 1})
    add("lr", {"dataframe_split": cancer.drop(columns=cancer.columns[0]).to_dict(orient="split")})
    # every column type, datetime params
    add("all_types", {"dataframe_split": all_df.to_dict(orient="split")})
    add("all_types", {"dataframe_records": all_df.to_dict(orient="records")})
    add("all_types", {"inputs": all_types})
    add("all_types", {"dataframe_split": all_df.to_dict(orient="split"), "params": {"param1": "2024-01-02"}})
    add("all_types", {"dataframe_split": all_df.to_dict(orient="split"), "params": {"param1": "invalid_value1"}})
    add("all_types", {"dataframe_split": all_df.to_dict(orient="split"), "params": {"invalid_param": "value"}})
    # two named tensors, as inputs of columns and as instances of objects
    add("two_tensors", {"inputs": {"a": [[1.0, 2.0], [3.0, 4.0]], "b": [[10.0, 20.0], [30.0, 40.0]]}})
    add("two_tensors", {"instances": [{"a": [1.0, 2.0], "b": [10.0, 20.0]}, {"a": [3.0, 4.0], "b": [30.0, 40.0]}]})
    # a dict of columns as the prediction, and a chat-style model
    add("dict_out", {"dataframe_split": {"columns": ["x"], "data": [[0.5], [2.0]]}})
    add("chat", {"messages": [{"role": "user", "content": "hello"}], "temperature": 0.1})
    return out


def test_given_mlflows_scoring_requests_then_the_replica_answers_as_mlflow_models_serve_does(servers):
    mismatches, answered = [], 0
    for model, ctype, body, beyond in _requests():
        mlflow_url, studio_url = servers[model]
        theirs = requests.post(mlflow_url + "/invocations", data=body, headers={"Content-Type": ctype}, timeout=60)
        ours = requests.post(studio_url + "/invocations", data=body, headers={"Content-Type": ctype}, timeout=60)
        answered += theirs.status_code == 200
        problem = None
        if ours.status_code >= 500:
            problem = "a 5xx"
        elif theirs.status_code == 200:
            if ours.status_code != 200 or ours.json() != theirs.json():
                problem = "different predictions"
        elif beyond:
            if ours.status_code != 200 or theirs.status_code // 100 != 4:
                problem = "not the documented difference (MLflow refuses, the studio scores)"
        elif ours.status_code != theirs.status_code:
            problem = "a different status"
        elif theirs.headers.get("content-type", "").startswith(JSON) and \
                ours.json().get("error_code") != theirs.json().get("error_code"):
            problem = "a different error code"
        if problem:
            mismatches.append(f"{model} {ctype} {str(body)[:120]!r}: {problem}: mlflow {theirs.status_code} "
                              f"{theirs.text[:300]!r} / studio {ours.status_code} {ours.text[:300]!r}")
    assert mismatches == [], "\n".join(mismatches)
    assert answered >= 20  # the battery holds real predictions, not only errors


def test_given_the_version_route_then_both_answer_mlflows_version(servers):
    mlflow_url, studio_url = servers["knn"]
    assert requests.get(studio_url + "/version", timeout=10).text == requests.get(mlflow_url + "/version",
                                                                                  timeout=10).text
