"""A real `jupyter lab` with studio_ext and its agent in a subprocess, for SDK, CLI and notebook tests.

The SDK is synchronous (requests), so it cannot talk to pytest-jupyter's in-process server without
blocking that server's event loop: these tests need a server in another process, like a user has.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 180


@dataclass
class LiveStudio:
    url: str
    token: str
    root: Path
    home: Path
    runtime_dir: Path
    proc: subprocess.Popen
    log_path: Path

    @property
    def env(self) -> dict[str, str]:
        """What a client process needs to find this server."""
        return {"STUDIO_URL": self.url, "STUDIO_TOKEN": self.token}

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        agent_log = self.home / "agent.log"
        if agent_log.exists():
            text += "\n--- agent.log ---\n" + agent_log.read_text(errors="replace")
        return text[-chars:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_studio(base: Path, root: Path | None = None, warm_pool: int = 1) -> LiveStudio:
    """Start jupyter lab on a free port, serving `root` (default base/root), STUDIO_HOME base/home."""
    root = root or base / "root"
    home, runtime, config = base / "home", base / "runtime", base / "jupyter-config"
    for folder in (root, home, runtime, config):
        folder.mkdir(parents=True, exist_ok=True)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for name in ("STUDIO_DB_URL", "STUDIO_MLFLOW_TRACKING_URI", "STUDIO_SERVER_ROOT", "STUDIO_INSTANCE_TYPES",
                 "STUDIO_URL", "STUDIO_TOKEN", "STUDIO_CONFIG"):
        env.pop(name, None)
    env.update({
        "STUDIO_HOME": str(home),
        # Isolate the server from the user's Jupyter config and runtime files.
        "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(config),
        # Works whether or not the package is installed: the server imports this checkout.
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
    })
    log_path = base / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.jpserver_extensions={'studio_ext': True}",
           f"--StudioApp.agent_warm_pool={warm_pool}", "--StudioApp.agent_check_interval=1"]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(base),
                                start_new_session=True)
    studio = LiveStudio(f"http://127.0.0.1:{port}/", token, root, home, runtime, proc, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{studio.log_tail()}")
        try:
            response = requests.get(studio.url + "studio/api/config",
                                    headers={"Authorization": f"token {token}"}, timeout=5)
            if response.status_code == 200 and response.json().get("agent", {}).get("alive"):
                return studio
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop_studio(studio)
            raise RuntimeError(f"the studio did not come up (with its agent) in {START_TIMEOUT_S}s:\n"
                               f"{studio.log_tail()}")
        time.sleep(0.5)


def stop_studio(studio: LiveStudio) -> None:
    """Stop the server cleanly (it stops the agent it started); kill what lingers."""
    proc = studio.proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    # The agent runs in its own session by design (it outlives a crashed server); make sure the
    # one this server started is gone, found through its pid in the lock-holder's log line.
    lock = studio.home / "agent.lock"
    if lock.exists():
        import fcntl

        with open(lock, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
            except OSError:
                _kill_lock_holder(lock)


def _kill_lock_holder(lock: Path) -> None:
    import psutil

    target = str(lock)
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if "studio_ext.runner.agent" in cmdline and target in cmdline:
            try:
                proc.terminate()
                proc.wait(30)
            except psutil.Error:
                pass
