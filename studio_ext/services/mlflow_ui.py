"""MlflowUIServer: a supervised `mlflow server` child on a loopback port, for the proxied MLflow UI.

Started lazily on the first visit (it takes 10-40 s to come up on a busy 2-core machine, and most
sessions never open it), bound to 127.0.0.1 only, with `--static-prefix` equal to the path the
Jupyter server proxies it at, so every URL the UI generates goes back through Jupyter's auth.
It runs in its own process group and is stopped with the server.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import unquote

from .. import tracking

log = logging.getLogger(__name__)

STARTING, READY, FAILED, STOPPED = "starting", "ready", "failed", "stopped"
RETRY_AFTER_FAILURE_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BaseMlflowUIServer(ABC):
    """The MLflow UI behind Jupyter's auth: the server that /studio/mlflow/... is proxied to.

    Built as `cls(tracking_uri, home, static_prefix)` by the server (c.StudioApp.mlflow_ui_class)
    and stopped with it. `static_prefix` is the path the UI is proxied at (every URL the UI
    generates must start with it). The proxy reads `state` (STARTING, READY, FAILED, STOPPED),
    `error` (what a person should read when it is not READY) and `upstream` (the base URL to
    forward to, once READY), and marks the server FAILED with an error when it cannot reach it.
    """

    def __init__(self, tracking_uri: str, home: Path, static_prefix: str, start_timeout: float = 180.0):
        self.tracking_uri = tracking_uri
        self.home = Path(home)
        self.static_prefix = "/" + static_prefix.strip("/")
        self.start_timeout = start_timeout
        self.state = STOPPED
        self.error: str | None = None

    @property
    @abstractmethod
    def upstream(self) -> str:
        """The base URL (scheme, host, port) requests are forwarded to."""

    @abstractmethod
    def ensure_started(self) -> str:
        """Start the UI server if it is not running, without waiting for it; returns the state.
        Called on every proxied request, so it must be cheap and idempotent, and must not
        respawn a server that just failed on every page reload."""

    @abstractmethod
    def stop(self) -> None:
        """The Jupyter server stops: end the UI server and everything it started."""


class MlflowUIServer(BaseMlflowUIServer):
    """A supervised `mlflow server` child on a free loopback port."""

    def __init__(self, tracking_uri: str, home: Path, static_prefix: str, start_timeout: float = 180.0):
        super().__init__(tracking_uri, home, static_prefix, start_timeout)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.started_in: float | None = None  # seconds from spawn to healthy (reported in the log)
        self.failed_at = 0.0
        self._lock = threading.Lock()

    @property
    def upstream(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", self.tracking_uri,
               "--registry-store-uri", self.tracking_uri, "--host", "127.0.0.1", "--port", str(self.port),
               "--workers", "1",
               # The child routes on decoded paths (a base_url like /a%40b/ arrives as /a@b/).
               "--static-prefix", unquote(self.static_prefix)]
        if tracking.is_local_store(self.tracking_uri):
            # Runs the studio creates keep their own artifact locations; this only applies to
            # experiments created from the UI (MLflow's default would be ./mlruns of our cwd).
            from .. import paths

            cmd += ["--default-artifact-root", paths.default_artifact_root(self.home)]
        return cmd

    def ensure_started(self) -> str:
        with self._lock:
            if self.state in (STARTING, READY) and self.proc is not None and self.proc.poll() is None:
                return self.state
            if self.state == FAILED and time.monotonic() - self.failed_at < RETRY_AFTER_FAILURE_S:
                return self.state  # do not respawn a broken server on every page reload
            if self.proc is not None and self.proc.poll() is not None and self.state == READY:
                log.warning("studio: the MLflow UI server exited (%s); restarting it", self.proc.returncode)
            self.port = free_port()
            self.state, self.error = STARTING, None
            log_path = self.home / "mlflow-ui.log"
            env = dict(os.environ)
            env.pop("MLFLOW_TRACKING_URI", None)
            with open(log_path, "ab") as out:
                self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, env=env,
                                             cwd=str(self.home), start_new_session=True)
            threading.Thread(target=self._wait_ready, args=(self.proc,), daemon=True,
                             name="studio-mlflow-ui").start()
            return self.state

    def _wait_ready(self, proc: subprocess.Popen) -> None:
        import urllib.request

        started = time.monotonic()
        url = f"{self.upstream}{self.static_prefix}/health"
        while time.monotonic() - started < self.start_timeout:
            if proc.poll() is not None:
                self._fail(proc, f"mlflow server exited with {proc.returncode}; see {self.home / 'mlflow-ui.log'}")
                return
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        with self._lock:
                            if self.proc is proc:
                                self.state = READY
                                self.started_in = time.monotonic() - started
                        log.info("studio: MLflow UI ready on %s after %.1f s", self.upstream, self.started_in)
                        return
            except OSError:
                pass
            time.sleep(0.5)
        self._fail(proc, f"mlflow server did not answer within {self.start_timeout:g} s")
        self._kill(proc)

    def _fail(self, proc: subprocess.Popen, message: str) -> None:
        with self._lock:
            if self.proc is proc:
                self.state, self.error, self.failed_at = FAILED, message, time.monotonic()
        log.error("studio: MLflow UI: %s", message)

    @staticmethod
    def _kill(proc: subprocess.Popen, grace: float = 10.0) -> None:
        # uvicorn and MLflow's job runner are children of the CLI: signal the whole group.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)

    def stop(self) -> None:
        with self._lock:
            proc, self.proc, self.state = self.proc, None, STOPPED
        if proc is not None and proc.poll() is None:
            self._kill(proc)
        elif proc is not None:
            try:  # the CLI may be gone while uvicorn lingers in its group
                os.killpg(proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
