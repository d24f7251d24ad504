"""What the server starts ends with it: the MLflow UI after a clean stop, and after a kill -9 at the next start."""

from __future__ import annotations

import time

import psutil
import pytest

pytestmark = pytest.mark.slow


def open_mlflow_ui(server, timeout: float = 240) -> list[int]:
    """Visit the proxied MLflow UI until it answers; the pids of the UI server's process group."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = server.session.get(f"{server.url}studio/mlflow/", headers=server.headers, timeout=30)
        if response.status_code == 200:
            return ui_pids(server.studio_home)
        assert response.status_code == 503, response.text[:300]
        time.sleep(1)
    raise AssertionError(f"the MLflow UI never answered:\n{server.server_log()[-3000:]}")


def ui_pids(home) -> list[int]:
    """Live processes of an `mlflow server` on this home's store (the CLI and its uvicorn)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status", "environ"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if ("mlflow server" in cmdline or "mlflow.server" in cmdline or "uvicorn" in cmdline) and \
                    (str(home) in cmdline or str(home) in str(proc.info.get("environ") or {})):
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_gone(pids: list[int], timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.5)
    return alive


def test_given_the_mlflow_ui_when_the_server_stops_or_is_killed_then_no_ui_server_outlives_it(
        studio_server_factory, tmp_path):
    root, home = tmp_path / "root", tmp_path / "home"
    first = studio_server_factory(root_dir=root, studio_home=home, start_agent=False)
    orphan = open_mlflow_ui(first)
    assert orphan

    first.kill9()  # nothing can stop its children now
    second = studio_server_factory(root_dir=root, studio_home=home, start_agent=False)
    current = open_mlflow_ui(second)
    assert wait_gone(orphan) == [], "the new server ends the UI server a killed one left behind"
    assert current and not set(current) & set(orphan)  # and runs exactly one of its own

    second.stop()  # a clean stop (SIGTERM) takes its UI server along
    assert wait_gone(current) == []
