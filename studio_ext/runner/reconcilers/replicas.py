"""Replica processes: started detached, health-checked on /ping, restarted, drained and stopped.

A replica is `python -m studio_ext.serving` on a free loopback port, in its own session, with pid
+ create time recorded like jobs: it outlives the agent, and a restarted agent re-attaches to it
(or restarts it when it is gone).
"""

from __future__ import annotations

import http.client
import logging
import socket
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, update

from ... import paths
from ...credentials import REPLICA_TOKEN_ENV, bearer, replica_token
from ...model_uris import local_path, resolve_model
from ...paths import package_env
from ...schemas import ReplicaStatus
from ...security.keys import KeyRing, keyring_path
from ...settings import StudioSettings
from ...store import orm
from ...store.db import Database
from .. import resources
from ..slots import worker_count
from .base import ChildProcesses, utcnow
from .sampling import MetricSampler

log = logging.getLogger("studio_ext.agent")

MAX_START_FAILURES = 3  # consecutive starts that never got healthy -> the variant cannot run
START_TIMEOUT_S = 180.0
PING_EVERY_S = 2.0
PING_FAILURES_TO_RESTART = 3
# A replica that missed /ping but used at least this share of a CPU since the last ping is busy
# (scoring a large request on all its workers), not hung: it is not restarted for it, unless it
# stays so longer than any invocation may take (the router answers 504 after 60 s).
BUSY_CPU_SHARE = 0.2
BUSY_LIMIT_S = 90.0
DRAIN_S = 3.0  # old replicas keep answering this long after their weight drops to 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ping(port: int, token: str, timeout: float = 1.0) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/ping", headers=bearer(token))
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()  # also when it timed out: a missed ping must not leak its socket


class Replicas:
    """The replica processes of the endpoints this agent reconciles. Methods take the (detached)
    rows a pass read, and write every change to the row and to the database at once.

    Args:
        mlflow_client: () -> MlflowClient, to resolve a replica's model when it starts.
        sampler: the metric history, written once more just before a replica is stopped.
    """

    def __init__(self, db: Database, settings: StudioSettings, mlflow_client: Callable[[], Any],
                 sampler: MetricSampler):
        self.db = db
        self.settings = settings
        self.mlflow_client = mlflow_client
        self.sampler = sampler
        self.token = replica_token(settings.home)  # replicas answer only callers that send it
        self.children = ChildProcesses()
        self.last_ping: dict[str, float] = {}
        self.ping_failures: dict[str, int] = {}
        self.last_cpu: dict[str, float] = {}  # replica -> its tree's CPU seconds at the last ping
        self.busy_since: dict[str, float] = {}  # replica -> when it first missed /ping while busy

    def keyring_path(self) -> Path:
        """The studio's key ring (created on first use), whose active key seals captured payloads."""
        path = keyring_path(self.settings.home)
        KeyRing.load(path)
        return path

    def new(self, ep: orm.Endpoint, variant: dict) -> orm.EndpointReplica:
        """A replica row for `variant` of the endpoint's current generation, started now."""
        row = orm.EndpointReplica(replica_id=uuid.uuid4().hex[:12], endpoint_name=ep.name, variant=variant["name"],
                                  generation=ep.generation, model_uri=variant["model"],
                                  instance_type=variant["instance_type"], status=ReplicaStatus.STARTING.value,
                                  weight=0.0, restarts=0, failures=0)
        with self.db.session() as session:
            session.add(row)
        self.start(ep, row)
        return row

    def _log_file(self, name: str, replica_id: str) -> Path:
        folder = paths.endpoint_dir(name, self.settings.home) / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{replica_id}.log"

    def start(self, ep: orm.Endpoint, row: orm.EndpointReplica) -> None:
        """Resolve the model (an alias: the version it points at now) and start the process; a
        model that does not resolve counts as a failed start."""
        try:
            version, uri = resolve_model(self.mlflow_client(), row.model_uri)
        except Exception as exc:
            self.update(row, status=ReplicaStatus.STARTING.value, failures=row.failures + 1, pid=None,
                        last_error=getattr(exc, "message", str(exc))[:1000], started_at=utcnow())
            return
        path = local_path(uri)
        port = free_port()
        capture = (ep.config or {}).get("data_capture") or {}
        cmd = [sys.executable, "-m", "studio_ext.serving", "--model-uri", path, "--port", str(port),
               "--workers", str(worker_count(self.settings, row.instance_type)), "--endpoint", ep.name,
               "--variant", row.variant, "--tracking-uri", self.settings.mlflow_tracking_uri,
               "--schema-enforcement", (ep.config or {}).get("schema_enforcement", "mlflow")]
        if capture.get("sampling_percent"):
            cmd += ["--capture-dir", str(paths.endpoint_capture_dir(ep.name, self.settings.home)),
                    "--capture-percent", str(capture["sampling_percent"]),
                    "--capture", ",".join(capture.get("capture") or ["input", "output"]),
                    "--capture-keyring", str(self.keyring_path())]
        proc = self.children.start(row.replica_id, cmd, self._log_file(ep.name, row.replica_id),
                                   self.settings.home, {**package_env(), REPLICA_TOKEN_ENV: self.token},
                                   header=f"===== {utcnow().isoformat()} start: {' '.join(cmd)}\n")
        self.ping_failures.pop(row.replica_id, None)
        self.update(row, status=ReplicaStatus.STARTING.value, port=port, pid=proc.pid,
                    pid_create_time=resources.create_time(proc.pid), model_version=version, model_path=path,
                    started_at=utcnow())
        log.info("endpoint %s: replica %s (%s v%s) pid %s port %s", ep.name, row.replica_id, row.variant,
                 version, proc.pid, port)

    def check(self, ep: orm.Endpoint, row: orm.EndpointReplica) -> None:
        """Starting -> Healthy on /ping; dead or hung -> restarted (a failure if it never got healthy)."""
        if row.status == ReplicaStatus.STOPPING:
            return
        if row.failures >= MAX_START_FAILURES:
            return
        alive = resources.is_alive(row.pid, row.pid_create_time)
        now = time.monotonic()
        if row.status == ReplicaStatus.STARTING:
            if not row.pid:  # the model could not even be resolved; try again later
                if (utcnow() - (row.started_at or utcnow())).total_seconds() > 2.0:
                    self.start(ep, row)
                return
            assert row.port is not None  # start() writes the port in the same update as the pid
            if alive and ping(row.port, self.token, 0.5):
                self.update(row, status=ReplicaStatus.HEALTHY.value, healthy_at=utcnow(), failures=0,
                            last_error=None)
                self.last_ping[row.replica_id] = now
                return
            too_long = (utcnow() - (row.started_at or utcnow())).total_seconds() > START_TIMEOUT_S
            if not alive or too_long:
                error = self._log_tail(ep.name, row.replica_id) or ("no answer on /ping" if too_long else "exited")
                if alive:
                    resources.kill_tree(row.pid)
                log.warning("endpoint %s: replica %s failed to start: %s", ep.name, row.replica_id, error)
                self.update(row, failures=row.failures + 1, last_error=error)
                if row.failures < MAX_START_FAILURES:
                    self.start(ep, row)
            return
        # Healthy/Unhealthy: crashed -> restart now; /ping failing several times -> kill and restart
        if not alive:
            log.warning("endpoint %s: replica %s (pid %s) is gone; restarting it", ep.name, row.replica_id, row.pid)
            # One write: a reader never sees the restart counted on a replica still marked Healthy.
            self.update(row, status=ReplicaStatus.STARTING.value, restarts=row.restarts + 1,
                        last_error=self._log_tail(ep.name, row.replica_id))
            self.start(ep, row)
            return
        # A live process: start() wrote its pid and port in one update.
        assert row.pid is not None and row.port is not None
        if now - self.last_ping.get(row.replica_id, 0) < PING_EVERY_S:
            return
        since = now - self.last_ping.get(row.replica_id, now)
        self.last_ping[row.replica_id] = now
        cpu = resources.tree_cpu_seconds(row.pid)
        used = cpu - self.last_cpu.get(row.replica_id, cpu)
        self.last_cpu[row.replica_id] = cpu
        if ping(row.port, self.token):
            self.ping_failures.pop(row.replica_id, None)
            self.busy_since.pop(row.replica_id, None)
            if row.status != ReplicaStatus.HEALTHY:
                self.update(row, status=ReplicaStatus.HEALTHY.value)
            return
        busy_for = now - self.busy_since.setdefault(row.replica_id, now)
        if since > 0 and used >= BUSY_CPU_SHARE * since and busy_for < BUSY_LIMIT_S:
            log.info("endpoint %s: replica %s is busy (missed /ping while using %.1f CPU s); not restarting it",
                     ep.name, row.replica_id, used)
            return
        failures = self.ping_failures.get(row.replica_id, 0) + 1
        self.ping_failures[row.replica_id] = failures
        if failures >= PING_FAILURES_TO_RESTART:
            log.warning("endpoint %s: replica %s does not answer /ping; restarting it", ep.name, row.replica_id)
            resources.kill_tree(row.pid)
            self.update(row, status=ReplicaStatus.STARTING.value, restarts=row.restarts + 1,
                        last_error="stopped answering /ping")
            self.start(ep, row)
        else:
            self.update(row, status=ReplicaStatus.UNHEALTHY.value)

    def _log_tail(self, name: str, replica_id: str) -> str | None:
        try:
            text = self._log_file(name, replica_id).read_text(errors="replace")
        except OSError:
            return None
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("=====")]
        return " | ".join(lines[-3:])[-1000:] or None

    def stop(self, row: orm.EndpointReplica, keep_history: bool = True) -> None:
        """End the process and forget the replica (its row is deleted; the object says Stopping)."""
        if keep_history and row.pid and resources.is_alive(row.pid, row.pid_create_time):
            self.sampler.write(row.endpoint_name, [row])  # what it answered since the last sample
        self.children.end(row.replica_id, row.pid, row.pid_create_time)
        self.sampler.forget(row.replica_id)
        with self.db.session() as session:
            session.execute(delete(orm.EndpointReplica).where(orm.EndpointReplica.replica_id == row.replica_id))
        row.status = ReplicaStatus.STOPPING.value

    def drain_then_stop(self, row: orm.EndpointReplica) -> None:
        """Weight 0 first (the router stops choosing it), stop once in-flight requests are done."""
        if row.weight > 0 or row.status != ReplicaStatus.STOPPING:
            self.update(row, weight=0.0, status=ReplicaStatus.STOPPING.value)
            self.last_ping[row.replica_id] = time.monotonic()  # drain start
            return
        if time.monotonic() - self.last_ping.get(row.replica_id, 0) >= DRAIN_S:
            self.stop(row)

    def update(self, row: orm.EndpointReplica, **values: Any) -> None:
        for key, value in values.items():
            setattr(row, key, value)
        with self.db.session() as session:
            session.execute(update(orm.EndpointReplica).where(orm.EndpointReplica.replica_id == row.replica_id)
                            .values(**values))
