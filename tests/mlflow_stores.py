"""MLflow stores for the experiments/registry tests: the embedded SQLite store and a real `mlflow server`.

Registered from tests/conftest.py (pytest_plugins), so the session fixtures exist once.
`mlflow_store` is parametrized over both, so every service test runs against each. The server is
started once per session (it takes 10-40 s here) on a free loopback port; tests isolate
themselves by using fresh experiment and model names.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

START_TIMEOUT_S = 240


@dataclass
class MlflowStore:
    kind: str  # "sqlite" | "server"
    tracking_uri: str

    def client(self):
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `mlflow server` (SQLite backend, served artifacts) on a free port: its URL."""
    base = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log_path = base / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{base / 'mlflow.db'}",
           "--artifacts-destination", str(base / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited {proc.returncode}: {log_path.read_text()[-3000:]}")
            try:
                if requests.get(url + "/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server not up in {START_TIMEOUT_S}s: {log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        # A throwaway test server: no graceful shutdown needed (uvicorn's takes ~20 s here).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(30)


@pytest.fixture(scope="session")
def mlflow_sqlite_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One embedded SQLite store per session (creating its schema costs seconds; names isolate tests)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow-sqlite') / 'mlflow.db'}"


@pytest.fixture(params=["sqlite", "server"])
def mlflow_store(request: pytest.FixtureRequest) -> MlflowStore:
    if request.param == "sqlite":
        return MlflowStore("sqlite", request.getfixturevalue("mlflow_sqlite_uri"))
    return MlflowStore("server", request.getfixturevalue("mlflow_server"))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
