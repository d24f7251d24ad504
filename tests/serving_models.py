"""Registered test models for the endpoint tests, in their own MLflow store (tracking URI set explicitly).

`registered_models` (session): a logistic regression on breast_cancer as `lr` versions 1 and 2 (alias
`champion` -> 1), and `broken` version 1 whose model file is garbage (loading it fails), `faulty` version 1 that loads
but fails every prediction (a 500).
Import the fixture where needed: `from serving_models import registered_models  # noqa: F401`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]


@dataclass
class RegisteredModels:
    tracking_uri: str
    columns: list[str]
    rows: list[list[float]]  # the first 20 rows of the data
    expected: list[int]  # version 1's predictions on those rows
    paths: dict[str, str]  # "lr/1", "lr/2", "broken/1" -> local model folder


class _mlflow_env:
    """mlflow.set_tracking_uri/set_registry_uri also set MLFLOW_* environment variables, which
    servers and agents started later by other tests would inherit: put everything back afterwards
    (the environment and MLflow's process-global URIs)."""

    names = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")

    def __enter__(self):
        from mlflow.tracking._model_registry import utils as registry_utils
        from mlflow.tracking._tracking_service import utils as tracking_utils

        self.saved_env = {n: os.environ.get(n) for n in self.names}
        self.saved_uris = (tracking_utils._tracking_uri, registry_utils._registry_uri)

    def __exit__(self, *exc):
        from mlflow.tracking._model_registry import utils as registry_utils
        from mlflow.tracking._tracking_service import utils as tracking_utils

        tracking_utils._tracking_uri, registry_utils._registry_uri = self.saved_uris
        for name, value in self.saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def registered_models(tmp_path_factory: pytest.TempPathFactory) -> RegisteredModels:
    with _mlflow_env():
        return _register_models(tmp_path_factory)


def _register_models(tmp_path_factory: pytest.TempPathFactory) -> RegisteredModels:
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    tmp = tmp_path_factory.mktemp("endpoint-models")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = mlflow.MlflowClient(uri, uri)
    exp = client.create_experiment("endpoint-tests", artifact_location=(tmp / "artifacts").as_uri())
    data = load_breast_cancer(as_frame=True)
    x, y = data.data, data.target
    first = None
    for name, c in (("lr", 1.0), ("lr", 0.01), ("broken", 1.0), ("faulty", 1.0)):
        model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        first = first or model
        signature = infer_signature(x, model.predict(x))
        if name == "faulty":  # loads and passes the signature check, then fails in predict (a 5xx)
            model.coef_ = model.coef_[:, :5]
        with mlflow.start_run(experiment_id=exp):
            mlflow.sklearn.log_model(model, name="model", signature=signature,
                                     input_example=None if name == "faulty" else x.head(2),
                                     registered_model_name=name, pip_requirements=["scikit-learn"])
    paths = {}
    for key in ("lr/1", "lr/2", "broken/1", "faulty/1"):
        name, version = key.split("/")
        paths[key] = client.get_model_version_download_uri(name, version).removeprefix("file://")
    (Path(paths["broken/1"]) / "model.skops").write_bytes(b"not a model")
    client.set_registered_model_alias("lr", "champion", "1")
    head = x.head(20)
    return RegisteredModels(uri, list(x.columns), head.values.tolist(), first.predict(head).tolist(), paths)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_answering(url: str, proc: subprocess.Popen, what: str, log: Callable[[], str] = lambda: "",
                   timeout: float = 120) -> None:
    """Poll `url` until it answers 200; fail with `log()` when `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited {proc.returncode}: {log()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not answer {url} in {timeout:g} s: {log()[-3000:]}")


def start_replica(model_path: str, workers: int = 2, extra: list[str] | None = None,
                  timeout: float = 120) -> tuple[subprocess.Popen, str]:
    """A real replica process; returns (process, base URL) once /ping answers."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "studio_ext.serving", "--model-uri", model_path,
                             "--port", str(port), "--workers", str(workers), *(extra or [])],
                            env=env, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_answering(url + "/ping", proc, "replica",
                       lambda: proc.stderr.read().decode() if proc.poll() is not None else "", timeout)
    except AssertionError:
        stop_replica(proc)
        raise
    return proc, url


def stop_replica(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)
    if proc.stderr is not None:
        proc.stderr.close()


def register_lr(tracking_uri: str, artifact_root: Path, name: str, versions: int = 1,
                studio_home: Path | None = None) -> tuple[list[str], list, list]:
    with _mlflow_env():
        if studio_home is not None:
            # A server that just started may be creating its MLflow store's schema right now;
            # opening the store under the studio's init lock keeps the two migrations apart.
            from studio_ext import tracking

            tracking.client(tracking_uri, Path(studio_home))
        return _register_lr(tracking_uri, artifact_root, name, versions)


def _register_lr(tracking_uri: str, artifact_root: Path, name: str, versions: int = 1) -> tuple[list[str], list, list]:
    """Register `versions` logistic regressions on breast_cancer as `name` in the store at
    `tracking_uri` (a live server's own store, for SDK/CLI tests). Returns (columns, rows, v1 predictions)."""
    import uuid

    import mlflow
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = mlflow.MlflowClient(tracking_uri, tracking_uri)
    exp = client.create_experiment(f"endpoint-{uuid.uuid4().hex[:8]}",
                                   artifact_location=(Path(artifact_root) / uuid.uuid4().hex[:8]).as_uri())
    data = load_breast_cancer(as_frame=True)
    x, y = data.data, data.target
    first = None
    for i in range(versions):
        model = LogisticRegression(C=1.0 / (10 ** i), max_iter=5000).fit(x, y)
        first = first or model
        with mlflow.start_run(experiment_id=exp):
            mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)),
                                     registered_model_name=name, pip_requirements=["scikit-learn"])
    head = x.head(10)
    return list(x.columns), head, first.predict(head).tolist()
