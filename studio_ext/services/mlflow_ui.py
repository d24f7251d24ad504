"""MlflowUIServer: a supervised `mlflow server` child on a private Unix socket, for the proxied MLflow UI.

Started lazily on the first visit (it takes 10-40 s to come up on a busy 2-core machine, and most
sessions never open it), with `--static-prefix` equal to the path the Jupyter server proxies it at,
so every URL the UI generates goes back through Jupyter's auth.

NB: `mlflow server` answers MLflow's whole read/write REST API without authentication, so it must
not listen on a TCP port (any local user could reach it there). It listens on a Unix socket
(uvicorn's --uds) in a fresh 0700 folder: only the account running the studio can connect, and
only the Jupyter server's proxy, which authenticates and audits, does.

It runs in its own process group, is stopped with the server, and its pid is recorded in
`$STUDIO_HOME/run/mlflow-ui.json`: a server that was killed (-9) cannot stop it, so the next server
ends that orphan before it starts its own.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import unquote

import psutil

from .. import tracking
from ..paths import PRIVATE_UMASK, private_dir, private_open

log = logging.getLogger(__name__)

STARTING, READY, FAILED, STOPPED = "starting", "ready", "failed", "stopped"
RETRY_AFTER_FAILURE_S = 30.0
PID_FILE = "run/mlflow-ui.json"


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a Unix socket (the health check; the proxy uses tornado's client)."""

    def __init__(self, socket_path: str, timeout: float = 2.0):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class BaseMlflowUIServer(ABC):
    """The MLflow UI behind Jupyter's auth: the server that /studio/mlflow/... is proxied to.

    Built as `cls(tracking_uri, home, static_prefix, registry_uri=...)` by the server (c.StudioApp.mlflow_ui_class)
    and stopped with it. `static_prefix` is the path the UI is proxied at (every URL the UI
    generates must start with it). The proxy reads `state` (STARTING, READY, FAILED, STOPPED),
    `error` (what a person should read when it is not READY), `upstream` (the base URL to
    forward to, once READY) and `socket_path` (the Unix socket to connect to for that URL; None:
    connect to its host and port), and marks the server FAILED with an error when it cannot reach
    it. Whatever it listens on must refuse every caller but the proxy.
    """

    def __init__(self, tracking_uri: str, home: Path, static_prefix: str, start_timeout: float = 180.0,
                 registry_uri: str | None = None):
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        self.home = Path(home)
        self.static_prefix = "/" + static_prefix.strip("/")
        self.start_timeout = start_timeout
        self.state = STOPPED
        self.error: str | None = None
        self.socket_path: str | None = None

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
    """A supervised `mlflow server` child on a Unix socket in a private folder."""

    def __init__(self, tracking_uri: str, home: Path, static_prefix: str, start_timeout: float = 180.0,
                 registry_uri: str | None = None):
        super().__init__(tracking_uri, home, static_prefix, start_timeout, registry_uri)
        self.proc: subprocess.Popen | None = None
        self.started_in: float | None = None  # seconds from spawn to healthy (reported in the log)
        self.spawned_at: float | None = None  # monotonic time of the last start
        self.failed_at = 0.0
        self._lock = threading.Lock()
        self._socket_dir: str | None = None
        self._orphans_checked = False

    @property
    def upstream(self) -> str:
        return "http://localhost"  # through socket_path; MLflow's host check accepts localhost

    def command(self) -> list[str]:
        assert self.socket_path is not None
        # --uds wins over --host/--port in uvicorn (they stay for the CLI's own checks).
        cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", self.tracking_uri,
               "--registry-store-uri", self.registry_uri, "--host", "127.0.0.1", "--port", "0",
               "--uvicorn-opts", f"--uds {shlex.quote(self.socket_path)} --no-access-log",
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
            if not self._orphans_checked:
                self._orphans_checked = True
                self._end_orphan()
            self._remove_socket_dir()
            # A short path (Unix socket paths are limited to ~107 bytes), private to this account.
            self._socket_dir = tempfile.mkdtemp(prefix="studio-mlflow-")
            self.socket_path = os.path.join(self._socket_dir, "ui.sock")
            self.state, self.error = STARTING, None
            self.spawned_at = time.monotonic()
            self._start_logged = False  # the proxy logs the first 503 of this start, once
            log_path = self.home / "mlflow-ui.log"
            env = dict(os.environ)
            env.pop("MLFLOW_TRACKING_URI", None)
            with private_open(log_path, "ab") as out:
                self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, env=env,
                                             cwd=str(self.home), start_new_session=True, umask=PRIVATE_UMASK)
            self._write_pid_file(self.proc)
            threading.Thread(target=self._wait_ready, args=(self.proc,), daemon=True,
                             name="studio-mlflow-ui").start()
            return self.state

    def _wait_ready(self, proc: subprocess.Popen) -> None:
        started = time.monotonic()
        socket_path = self.socket_path
        assert socket_path is not None
        while time.monotonic() - started < self.start_timeout:
            if proc.poll() is not None:
                self._fail(proc, f"mlflow server exited with {proc.returncode}; see {self.home / 'mlflow-ui.log'}")
                return
            if os.path.exists(socket_path) and self._healthy(socket_path):
                with self._lock:
                    if self.proc is proc:
                        self.state = READY
                        self.started_in = time.monotonic() - started
                log.info("studio: MLflow UI ready on %s after %.1f s", socket_path, self.started_in)
                return
            time.sleep(0.5)
        self._fail(proc, f"mlflow server did not answer within {self.start_timeout:g} s")
        self._kill(proc)

    def _fail(self, proc: subprocess.Popen, message: str) -> None:
        with self._lock:
            if self.proc is proc:
                self.state, self.error, self.failed_at = FAILED, message, time.monotonic()
        log.error("studio: MLflow UI: %s", message)

    def _healthy(self, socket_path: str) -> bool:
        conn = UnixHTTPConnection(socket_path)
        try:
            conn.request("GET", f"{self.static_prefix}/health")
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def _write_pid_file(self, proc: subprocess.Popen) -> None:
        path = self.home / PID_FILE
        private_dir(path.parent)
        try:
            created = psutil.Process(proc.pid).create_time()
        except psutil.Error:
            created = None
        with private_open(path, "w") as fh:
            fh.write(json.dumps({"pid": proc.pid, "create_time": created, "socket_dir": self._socket_dir}))

    def _end_orphan(self) -> None:
        """End the UI server a previous Jupyter server of this home left behind (killed -9)."""
        path = self.home / PID_FILE
        try:
            record = json.loads(path.read_text())
            leader = psutil.Process(int(record["pid"]))
            if record.get("create_time") is not None and abs(leader.create_time() - record["create_time"]) > 1:
                raise psutil.NoSuchProcess(leader.pid)  # the pid was reused by something else
        except (OSError, ValueError, KeyError, TypeError, psutil.Error):
            return
        log.warning("studio: ending the MLflow UI server (pid %s) a previous server left running", leader.pid)
        group = [leader, *leader.children(recursive=True)]
        try:
            os.killpg(leader.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        _gone, alive = psutil.wait_procs(group, timeout=10)
        for proc in alive:
            try:
                proc.kill()
            except psutil.Error:
                pass
        if record.get("socket_dir", "").startswith(tempfile.gettempdir()):
            shutil.rmtree(record["socket_dir"], ignore_errors=True)

    def _remove_socket_dir(self) -> None:
        if self._socket_dir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

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
        if proc is not None:
            (self.home / PID_FILE).unlink(missing_ok=True)
        self._remove_socket_dir()
