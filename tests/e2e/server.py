"""A REAL `jupyter lab` subprocess with studio_ext (and its supervised agent) for end-to-end tests.

Registered as a plugin by tests/conftest.py, so these fixtures work in every test folder
(tests/e2e, tests/ui, SDK and CLI tests):
    studio_server          session-scoped StudioServer: .url (base URL, ends with '/'), .token,
                           .root_dir, .studio_home, .api(method, path, **requests_kwargs),
                           .wait_job(job_id), .env (STUDIO_URL/STUDIO_TOKEN/STUDIO_HOME for SDK/CLI)
    studio_server_factory  function-scoped factory: studio_server_factory(root_dir=..., studio_home=...,
                           start_agent=True, extra_args=[...]) -> StudioServer; every server it started
                           (and every agent/job process of its STUDIO_HOME) is stopped at the end
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
TERMINAL = {"Completed", "Failed", "Stopped"}
START_TIMEOUT_S = 180  # a cold JupyterLab start on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jupyter_lab_command() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-lab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyterlab"]


@dataclass
class StudioServer:
    url: str
    token: str
    root_dir: Path
    studio_home: Path
    port: int
    proc: subprocess.Popen
    log_path: Path
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    @property
    def env(self) -> dict[str, str]:
        """Environment for an SDK/CLI subprocess that talks to this server."""
        return {**os.environ, "STUDIO_URL": self.url, "STUDIO_TOKEN": self.token,
                "STUDIO_HOME": str(self.studio_home),
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """`server.api("GET", "jobs")` -> the response of <url>studio/api/jobs (token attached)."""
        kwargs.setdefault("timeout", 60)
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.session.request(method, f"{self.url}studio/api/{path.lstrip('/')}", headers=headers,
                                    **kwargs)

    def wait_job(self, job_id: str, statuses: set[str] = TERMINAL, timeout: float = 300) -> dict:
        """Poll GET jobs/{id} until its status is in `statuses`; fail with the job and its log if not."""
        deadline = time.monotonic() + timeout
        job: dict = {}
        while time.monotonic() < deadline:
            response = self.api("GET", f"jobs/{job_id}")
            if response.status_code == 200:
                job = response.json()
                if job["status"] in statuses:
                    return job
            time.sleep(0.5)
        log = self.api("GET", f"jobs/{job_id}/logs").text[-3000:]
        raise AssertionError(f"job {job_id} not in {statuses} after {timeout}s: {job}\nlog: {log}\n"
                             f"agent log: {self.agent_log()[-3000:]}")

    def agent_log(self) -> str:
        path = self.studio_home / "agent.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL the Jupyter server alone (its agent lives in its own session and survives)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout: float = 60) -> None:
        """A clean stop (SIGTERM, as Ctrl-C or a service manager would do): it stops its agent."""
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)


def start_studio_server(root_dir: Path, studio_home: Path, *, log_dir: Path, start_agent: bool = True,
                        extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None,
                        token: str | None = None) -> StudioServer:
    """Start `jupyter lab` on a free port and wait until /api/status and /studio/api/config answer."""
    root_dir.mkdir(parents=True, exist_ok=True)
    studio_home.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    token = token or uuid.uuid4().hex
    runtime_dir = log_dir / f"runtime-{port}"
    env = {
        **os.environ,
        "STUDIO_HOME": str(studio_home),
        # The package may be on PYTHONPATH rather than installed; the server and its agent need it.
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        "JUPYTER_RUNTIME_DIR": str(runtime_dir),
        **(extra_env or {}),
    }
    for name in ("STUDIO_DB_URL", "STUDIO_MLFLOW_TRACKING_URI", "STUDIO_MLFLOW_REGISTRY_URI", "STUDIO_SERVER_ROOT",
                 "STUDIO_URL", "STUDIO_TOKEN", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        if not (extra_env and name in extra_env):
            env.pop(name, None)
    cmd = [*jupyter_lab_command(), "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
           "--ServerApp.jpserver_extensions={'studio_ext': True}",
           "--ServerApp.reraise_server_extension_failures=True",
           f"--StudioApp.start_agent={start_agent}", "--StudioApp.agent_check_interval=1.0",
           *(extra_args or [])]
    # Fresh per-server JupyterLab user settings and workspaces: browser tests start from a clean
    # layout, without the "Jupyter news" toast that covers the UI.
    # (Only when the caller did not choose its own through extra_args / extra_env.)
    given = " ".join(cmd) + " " + " ".join(extra_env or {})
    if "user_settings_dir" not in given and "JUPYTERLAB_SETTINGS_DIR" not in given:
        settings_dir = log_dir / f"lab-settings-{port}"
        notification = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text('{"fetchNews": "false", "checkForUpdates": false}')
        cmd.append(f"--LabApp.user_settings_dir={settings_dir}")
    if "workspaces_dir" not in given and "JUPYTERLAB_WORKSPACES_DIR" not in given:
        cmd.append(f"--LabApp.workspaces_dir={log_dir / f'workspaces-{port}'}")
    log_path = log_dir / f"jupyter-{port}.log"
    with open(log_path, "ab") as log_fh:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT,
                                cwd=str(root_dir))
    server = StudioServer(url=f"http://127.0.0.1:{port}/", token=token, root_dir=root_dir.resolve(),
                          studio_home=studio_home.resolve(), port=port, proc=proc, log_path=log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    ready = False
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            status = requests.get(f"{server.url}api/status", headers=server.headers, timeout=5)
            if status.status_code == 200 and server.api("GET", "config", timeout=10).status_code == 200:
                ready = True
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    if not ready:
        server.stop(10)
        raise RuntimeError(f"jupyter lab did not become ready (exit code {proc.poll()}):\n{server.server_log()[-4000:]}")
    return server


def kill_studio_processes(studio_home: Path) -> None:
    """Stop what a test studio left running: the agents of `studio_home` and their children (warm
    kernels, job processes). Only processes whose command line names this unique tmp home."""
    home = str(studio_home)
    victims: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            if home in cmdline and proc.pid != os.getpid():
                victims[proc.pid] = proc
                for child in proc.children(recursive=True):
                    victims[child.pid] = child
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    for proc in victims.values():
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(list(victims.values()), timeout=15)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.fixture(scope="session")
def studio_server(tmp_path_factory):
    """One real JupyterLab + studio_ext (+ supervised agent) for the whole session."""
    base = tmp_path_factory.mktemp("studio_server")
    server = start_studio_server(base / "root", base / "home", log_dir=base / "logs")
    yield server
    server.stop()
    kill_studio_processes(server.studio_home)


@pytest.fixture
def studio_server_factory(tmp_path):
    """Start extra servers (e.g. to kill -9 one and restart on the same STUDIO_HOME)."""
    started: list[StudioServer] = []

    def start(root_dir: Path | None = None, studio_home: Path | None = None, **kwargs) -> StudioServer:
        server = start_studio_server(root_dir or tmp_path / "root", studio_home or tmp_path / "home",
                                     log_dir=tmp_path / "logs", **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    for home in {server.studio_home for server in started}:
        kill_studio_processes(home)


def agent_pids(studio_home: Path) -> list[int]:
    """PIDs of live studio agents serving `studio_home`."""
    pids = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if ("studio_ext.runner.agent" in cmdline and str(studio_home) in cmdline
                and proc.info["status"] != psutil.STATUS_ZOMBIE):
            pids.append(proc.pid)
    return pids
