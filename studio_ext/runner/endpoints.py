"""The endpoint reconciler: replica processes toward each endpoint's desired state (runs in the agent).

Each tick: claim endpoints (one agent owns an endpoint; a dead agent's endpoints are adopted),
start missing replicas (detached, own session; pid + create time recorded like jobs), health-check
them on /ping, restart crashed ones, shift traffic for updates (all at once, canary, linear) with
rollback on start failures or a new-variant error rate over the threshold, follow aliases, and
stop everything of a deleted endpoint. Replicas outlive the agent: a restarted agent re-attaches
to live ones (pid + create time) and restarts dead ones.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select, update

from ..schemas import EndpointStatus, ReplicaStatus
from ..services.endpoints import (
    COUNTER_KEYS,
    METRICS_SAMPLE_S,
    counts_since,
    fetch_metrics,
    merge_counts,
    parse_model_uri,
    parse_prometheus,
    resolve_model,
)
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database
from . import resources

log = logging.getLogger("studio_ext.agent")

MAX_START_FAILURES = 3  # consecutive starts that never got healthy -> the variant cannot run
START_TIMEOUT_S = 180.0
PING_EVERY_S = 2.0
PING_FAILURES_TO_RESTART = 3
DRAIN_S = 3.0  # old replicas keep answering this long after their weight drops to 0
ALIAS_CHECK_S = 5.0
METRICS_RETENTION_S = 7 * 86400.0  # the longest history the metrics route serves
PRUNE_EVERY_S = 3600.0

STARTING, HEALTHY, UNHEALTHY, STOPPING = (ReplicaStatus.STARTING.value, ReplicaStatus.HEALTHY.value,
                                          ReplicaStatus.UNHEALTHY.value, ReplicaStatus.STOPPING.value)


def utcnow() -> datetime:
    return datetime.now(UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ping(port: int, timeout: float = 1.0) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", "/ping")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


class EndpointReconciler:
    def __init__(self, db: Database, settings: StudioSettings, agent_id: str,
                 agent_alive: Callable[[str | None], bool]):
        self.db = db
        self.settings = settings
        self.agent_id = agent_id
        self.agent_alive = agent_alive
        self.procs: dict[str, subprocess.Popen] = {}  # replicas this agent started (to reap them)
        self.last_ping: dict[str, float] = {}
        self.ping_failures: dict[str, int] = {}
        self.last_alias_check: dict[str, float] = {}
        self.sample_every = METRICS_SAMPLE_S
        self.last_sample: dict[str, float] = {}  # endpoint -> when its replicas were last sampled
        self.last_totals: dict[str, dict] = {}  # replica -> its counters at the last sample
        self.last_prune = 0.0
        self._client = None

    def client(self):
        if self._client is None:
            from mlflow.tracking import MlflowClient

            from .. import tracking

            uri = self.settings.mlflow_tracking_uri
            tracking.client(uri, self.settings.home)  # creates/migrates a local store once, under a lock
            # The registry is the tracking store, whatever MLFLOW_REGISTRY_URI the agent inherited.
            self._client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        return self._client

    # ------------------------------------------------------------------ the tick

    def reconcile(self) -> None:
        for replica_id, proc in list(self.procs.items()):
            if proc.poll() is not None:  # reap: a dead child must not linger as a zombie
                del self.procs[replica_id]
        with self.db.session() as session:
            names = session.execute(select(orm.Endpoint.name, orm.Endpoint.agent_id)).all()
        for name, owner in names:
            if owner != self.agent_id:
                if owner is not None and self.agent_alive(owner):
                    continue
                with self.db.session() as session:
                    claimed = session.execute(update(orm.Endpoint).where(
                        orm.Endpoint.name == name, orm.Endpoint.agent_id.is_(owner) if owner is None
                        else orm.Endpoint.agent_id == owner).values(agent_id=self.agent_id)).rowcount
                if claimed != 1:
                    continue
                log.info("endpoint %s: reconciled by this agent now", name)
            try:
                self.reconcile_endpoint(name)
            except Exception:  # one endpoint's trouble must not stop the others
                log.exception("endpoint %s: reconcile failed", name)
        if time.monotonic() - self.last_prune >= PRUNE_EVERY_S:
            self.last_prune = time.monotonic()
            self._prune_samples()

    def reconcile_endpoint(self, name: str) -> None:
        with self.db.session() as session:
            ep = session.get(orm.Endpoint, name)
            if ep is None:
                return
            session.expunge(ep)
            replicas = list(session.scalars(select(orm.EndpointReplica)
                                            .where(orm.EndpointReplica.endpoint_name == name)).all())
            for r in replicas:
                session.expunge(r)
        if ep.status == EndpointStatus.DELETING.value:
            self._delete(ep, replicas)
            return
        self._sample(ep.name, replicas)
        generation = ep.generation
        current = [r for r in replicas if r.generation == ep.generation]
        old = [r for r in replicas if r.generation != ep.generation]
        if ep.status == EndpointStatus.FAILED.value:
            for r in current:
                if r.status != STOPPING:
                    self._stop(r)
            return
        variants = {v["name"]: v for v in ep.config.get("variants", [])}
        # 1. the right number of replicas per variant, each checked
        for vname, variant in variants.items():
            have = [r for r in current if r.variant == vname and r.status != STOPPING]
            for _ in range(variant["instance_count"] - len(have)):
                current.append(self._new_replica(ep, variant))
            for extra in have[variant["instance_count"]:]:
                self._stop(extra)
        for r in list(current):
            if r.variant not in variants:
                self._stop(r)
                continue
            self._check(ep, r, variants[r.variant])
        current = [r for r in current if r.variant in variants and r.status != STOPPING]
        # 2. a variant that cannot start
        broken = [r for r in current if r.failures >= MAX_START_FAILURES]
        if broken:
            reason = f"variant {broken[0].variant}: replica could not start: {broken[0].last_error or 'unknown'}"
            if ep.status == EndpointStatus.UPDATING.value and ep.previous_config:
                self._rollback(ep, current, old, reason)
            else:
                self._set_status(ep, EndpointStatus.FAILED, reason[:2000])
                for r in current:
                    self._stop(r)
            return
        if ep.status == EndpointStatus.UPDATING.value and ep.rollback_requested_at is not None:
            self._rollback(ep, current, old, f"rollback requested by {ep.rollback_requested_by or 'a user'}")
            return
        ready = bool(current) and all(r.status == HEALTHY for r in current)
        # 3. traffic
        if ep.status == EndpointStatus.CREATING.value:
            if ready:
                self._set_weights(ep, current, 1.0)
                self._set_status(ep, EndpointStatus.IN_SERVICE, None)
        elif ep.status == EndpointStatus.UPDATING.value:
            if ready:
                self._advance_update(ep, current, old)
        elif ep.status == EndpointStatus.IN_SERVICE.value:
            self._set_weights(ep, current, 1.0, only_if_changed=True)
            self._follow_aliases(ep, current)
        # 4. old generations drain, then stop (not in the pass that just rolled back to them)
        if ep.status != EndpointStatus.UPDATING.value and ep.generation == generation:
            for r in old:
                self._drain_then_stop(r)

    # ------------------------------------------------------------------ replicas

    def _new_replica(self, ep: orm.Endpoint, variant: dict) -> orm.EndpointReplica:
        row = orm.EndpointReplica(replica_id=uuid.uuid4().hex[:12], endpoint_name=ep.name, variant=variant["name"],
                                  generation=ep.generation, model_uri=variant["model"],
                                  instance_type=variant["instance_type"], status=STARTING, weight=0.0,
                                  restarts=0, failures=0)
        with self.db.session() as session:
            session.add(row)
        self._start(ep, row)
        return row

    def _log_file(self, name: str, replica_id: str) -> Path:
        folder = self.settings.home / "endpoints" / name / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{replica_id}.log"

    def _start(self, ep: orm.Endpoint, row: orm.EndpointReplica) -> None:
        try:
            version, uri = resolve_model(self.client(), row.model_uri)
        except Exception as exc:
            self._update(row, status=STARTING, failures=row.failures + 1, pid=None,
                         last_error=getattr(exc, "message", str(exc))[:1000], started_at=utcnow())
            return
        path = uri[len("file://"):] if uri.startswith("file://") else uri
        itype = self.settings.instance_types.get(row.instance_type)
        workers = max(1, min(itype.vcpus if itype else 1, len(os.sched_getaffinity(0))))
        port = free_port()
        capture = (ep.config or {}).get("data_capture") or {}
        cmd = [sys.executable, "-m", "studio_ext.serving", "--model-uri", path, "--port", str(port),
               "--workers", str(workers), "--endpoint", ep.name, "--variant", row.variant,
               "--tracking-uri", self.settings.mlflow_tracking_uri]
        if capture.get("sampling_percent"):
            cmd += ["--capture-dir", str(self.settings.home / "endpoints" / ep.name / "capture"),
                    "--capture-percent", str(capture["sampling_percent"]),
                    "--capture", ",".join(capture.get("capture") or ["input", "output"])]
        env = dict(os.environ)
        pkg_parent = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        log_file = self._log_file(ep.name, row.replica_id)
        with open(log_file, "ab") as fh:
            fh.write(f"===== {utcnow().isoformat()} start: {' '.join(cmd)}\n".encode())
            fh.flush()
            # Own session: replicas keep serving when the agent (or the server) dies.
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env,
                                    cwd=str(self.settings.home), start_new_session=True, close_fds=True)
        self.procs[row.replica_id] = proc
        self.ping_failures.pop(row.replica_id, None)
        self._update(row, status=STARTING, port=port, pid=proc.pid, pid_create_time=resources.create_time(proc.pid),
                     model_version=version, model_path=path, started_at=utcnow())
        log.info("endpoint %s: replica %s (%s v%s) pid %s port %s", ep.name, row.replica_id, row.variant,
                 version, proc.pid, port)

    def _check(self, ep: orm.Endpoint, row: orm.EndpointReplica, variant: dict) -> None:
        """Starting -> Healthy on /ping; dead or hung -> restarted (a failure if it never got healthy)."""
        if row.status == STOPPING:
            return
        if row.failures >= MAX_START_FAILURES:
            return
        alive = resources.is_alive(row.pid, row.pid_create_time)
        now = time.monotonic()
        if row.status == STARTING:
            if not row.pid:  # the model could not even be resolved; try again later
                if (utcnow() - (row.started_at or utcnow())).total_seconds() > 2.0:
                    self._start(ep, row)
                return
            if alive and ping(row.port, 0.5):
                self._update(row, status=HEALTHY, healthy_at=utcnow(), failures=0, last_error=None)
                self.last_ping[row.replica_id] = now
                return
            too_long = (utcnow() - (row.started_at or utcnow())).total_seconds() > START_TIMEOUT_S
            if not alive or too_long:
                error = self._log_tail(ep.name, row.replica_id) or ("no answer on /ping" if too_long else "exited")
                if alive:
                    resources.kill_tree(row.pid)
                log.warning("endpoint %s: replica %s failed to start: %s", ep.name, row.replica_id, error)
                self._update(row, failures=row.failures + 1, last_error=error)
                if row.failures < MAX_START_FAILURES:
                    self._start(ep, row)
            return
        # Healthy/Unhealthy: crashed -> restart now; /ping failing several times -> kill and restart
        if not alive:
            log.warning("endpoint %s: replica %s (pid %s) is gone; restarting it", ep.name, row.replica_id, row.pid)
            # One write: a reader never sees the restart counted on a replica still marked Healthy.
            self._update(row, status=STARTING, restarts=row.restarts + 1,
                         last_error=self._log_tail(ep.name, row.replica_id))
            self._start(ep, row)
            return
        if now - self.last_ping.get(row.replica_id, 0) < PING_EVERY_S:
            return
        self.last_ping[row.replica_id] = now
        if ping(row.port):
            self.ping_failures.pop(row.replica_id, None)
            if row.status != HEALTHY:
                self._update(row, status=HEALTHY)
            return
        failures = self.ping_failures.get(row.replica_id, 0) + 1
        self.ping_failures[row.replica_id] = failures
        if failures >= PING_FAILURES_TO_RESTART:
            log.warning("endpoint %s: replica %s does not answer /ping; restarting it", ep.name, row.replica_id)
            resources.kill_tree(row.pid)
            self._update(row, status=STARTING, restarts=row.restarts + 1, last_error="stopped answering /ping")
            self._start(ep, row)
        else:
            self._update(row, status=UNHEALTHY)

    def _log_tail(self, name: str, replica_id: str) -> str | None:
        try:
            text = self._log_file(name, replica_id).read_text(errors="replace")
        except OSError:
            return None
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("=====")]
        return " | ".join(lines[-3:])[-1000:] or None

    def _stop(self, row: orm.EndpointReplica, keep_history: bool = True) -> None:
        if row.pid and resources.is_alive(row.pid, row.pid_create_time):
            if keep_history:  # what it answered since the last sample
                self._write_samples(row.endpoint_name, [row])
            resources.kill_tree(row.pid, grace=2.0)
        self.last_totals.pop(row.replica_id, None)
        proc = self.procs.pop(row.replica_id, None)
        if proc is not None:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        with self.db.session() as session:
            session.execute(delete(orm.EndpointReplica).where(orm.EndpointReplica.replica_id == row.replica_id))
        row.status = STOPPING

    def _drain_then_stop(self, row: orm.EndpointReplica) -> None:
        """Weight 0 first (the router stops choosing it), stop once in-flight requests are done."""
        if row.weight > 0 or row.status != STOPPING:
            self._update(row, weight=0.0, status=STOPPING)
            self.last_ping[row.replica_id] = time.monotonic()  # drain start
            return
        if time.monotonic() - self.last_ping.get(row.replica_id, 0) >= DRAIN_S:
            self._stop(row)

    def _update(self, row: orm.EndpointReplica, **values) -> None:
        for key, value in values.items():
            setattr(row, key, value)
        with self.db.session() as session:
            session.execute(update(orm.EndpointReplica).where(orm.EndpointReplica.replica_id == row.replica_id)
                            .values(**values))

    # ------------------------------------------------------------------ endpoint-level

    def _set_status(self, ep: orm.Endpoint, status: EndpointStatus, reason: str | None,
                    unless_rollback_requested: bool = False, **values) -> bool:
        """Write the endpoint's status; with `unless_rollback_requested`, only if no rollback request
        arrived since this pass read the row (False then, and nothing is written)."""
        query = update(orm.Endpoint).where(orm.Endpoint.name == ep.name)
        if unless_rollback_requested:
            query = query.where(orm.Endpoint.rollback_requested_at.is_(None))
        with self.db.session() as session:
            if session.execute(query.values(status=status.value, status_reason=reason, **values)).rowcount != 1:
                return False
        if ep.status != status.value or ep.status_reason != reason or values:
            log.info("endpoint %s: %s%s", ep.name, status.value, f" ({reason})" if reason else "")
        ep.status, ep.status_reason = status.value, reason
        for key, value in values.items():
            setattr(ep, key, value)
        return True

    def _set_weights(self, ep: orm.Endpoint, replicas: list, share: float, only_if_changed: bool = False) -> None:
        """Spread `share` of the traffic over `replicas` by their variant weights."""
        variants = {v["name"]: v for v in ep.config.get("variants", [])}
        total = sum(v["weight"] for v in variants.values()) or 1.0
        counts: dict[str, int] = {}
        for r in replicas:
            counts[r.variant] = counts.get(r.variant, 0) + 1
        for r in replicas:
            weight = share * variants[r.variant]["weight"] / total / counts[r.variant]
            if not only_if_changed or abs(r.weight - weight) > 1e-9:
                self._update(r, weight=weight)

    def _advance_update(self, ep: orm.Endpoint, new: list, old: list) -> None:
        dep = dict(ep.deployment or {})
        kind = dep.get("type", "all_at_once")
        now = time.time()
        if kind != "all_at_once" and self._error_rate(new, dep) > dep.get("error_rate_threshold", 0.05):
            self._rollback(ep, new, old, f"the new variants' error rate passed "
                                         f"{dep.get('error_rate_threshold', 0.05):.0%}")
            return
        if kind == "all_at_once":
            share = 1.0
        else:
            if "shift_started_at" not in dep:
                dep["shift_started_at"] = now
                dep["baseline"] = self._counts(new)
            elapsed = now - dep["shift_started_at"]
            if kind == "canary":
                share = 1.0 if elapsed >= dep.get("baking_seconds", 60) else dep.get("canary_percent", 10) / 100
            else:
                steps = int(elapsed // max(dep.get("step_seconds", 30), 0.001)) + 1
                share = min(1.0, steps * dep.get("step_percent", 25) / 100)
        dep["share"] = share
        self._set_weights(ep, new, share, only_if_changed=True)
        self._set_weights_old(ep, old, 1.0 - share)
        if share >= 1.0:
            if not self._set_status(ep, EndpointStatus.IN_SERVICE, None, deployment={**dep, "completed_at": now},
                                    unless_rollback_requested=True):
                return  # a rollback was asked for meanwhile: the next pass does it
            for r in old:
                self._drain_then_stop(r)
        else:
            with self.db.session() as session:
                session.execute(update(orm.Endpoint).where(orm.Endpoint.name == ep.name).values(deployment=dep))
            ep.deployment = dep

    def _set_weights_old(self, ep: orm.Endpoint, old: list, share: float) -> None:
        serving = [r for r in old if r.status == HEALTHY]
        prev = {v["name"]: v for v in (ep.previous_config or {}).get("variants", [])}
        total = sum(prev.get(r.variant, {"weight": 1.0})["weight"] for r in serving) or 1.0
        for r in serving:
            weight = share * prev.get(r.variant, {"weight": 1.0})["weight"] / total
            if abs(r.weight - weight) > 1e-9:
                self._update(r, weight=weight)

    def _counts(self, replicas: list) -> dict:
        agg: dict = {}
        for r in replicas:
            if r.status == HEALTHY and r.port:
                merge_counts(agg, parse_prometheus(fetch_metrics(r.port)))
        return {"total": sum(agg.get(c, 0) for c in COUNTER_KEYS), "5xx": agg.get("5xx", 0)}

    def _error_rate(self, new: list, dep: dict) -> float:
        if "baseline" not in dep:
            return 0.0
        now = self._counts(new)
        total = now["total"] - dep["baseline"]["total"]
        return (now["5xx"] - dep["baseline"]["5xx"]) / total if total >= 5 else 0.0

    def _rollback(self, ep: orm.Endpoint, new: list, old: list, reason: str) -> None:
        """Back to the previous configuration: its replicas (still running) take all traffic again."""
        log.warning("endpoint %s: rolling back generation %s: %s", ep.name, ep.generation, reason)
        old_generation = max((r.generation for r in old), default=ep.generation - 1)
        self._set_weights_old(ep, old, 1.0)
        for r in new:
            self._stop(r)
        self._set_status(ep, EndpointStatus.IN_SERVICE, f"update rolled back: {reason}"[:2000],
                         config=ep.previous_config, previous_config=None, generation=old_generation,
                         rollback_requested_at=None, rollback_requested_by=None,
                         deployment={**(ep.deployment or {}), "rolled_back_at": time.time(), "reason": reason})

    def _follow_aliases(self, ep: orm.Endpoint, current: list) -> None:
        """An alias that moved starts an all-at-once update to the version it points at now."""
        if not any("@" in v["model"] for v in ep.config.get("variants", [])):
            return
        now = time.monotonic()
        if now - self.last_alias_check.get(ep.name, 0) < ALIAS_CHECK_S:
            return
        self.last_alias_check[ep.name] = now
        for r in current:
            if "@" not in r.model_uri:
                continue
            try:
                version, _uri = resolve_model(self.client(), r.model_uri)
            except Exception:
                continue  # an alias deleted meanwhile: keep serving what runs
            if version != r.model_version:
                log.info("endpoint %s: %s moved to version %s; updating", ep.name, r.model_uri, version)
                with self.db.session() as session:
                    session.execute(update(orm.Endpoint).where(orm.Endpoint.name == ep.name).values(
                        previous_config=pinned_config(ep.config, current), generation=ep.generation + 1,
                        status=EndpointStatus.UPDATING.value,
                        status_reason=f"{r.model_uri} moved to version {version}",
                        deployment={"type": "all_at_once", "started_at": time.time(), "by": "alias",
                                    "rollback": False}))
                return

    def _delete(self, ep: orm.Endpoint, replicas: list) -> None:
        for r in replicas:
            self._stop(r, keep_history=False)  # the history goes with the endpoint
        with self.db.session() as session:
            gone = session.execute(delete(orm.Endpoint).where(
                orm.Endpoint.name == ep.name, orm.Endpoint.status == EndpointStatus.DELETING.value)).rowcount
            if gone:  # a new endpoint of the same name starts with no history
                session.execute(delete(orm.EndpointMetricSample).where(
                    orm.EndpointMetricSample.endpoint_name == ep.name))
        log.info("endpoint %s: deleted", ep.name)

    # ------------------------------------------------------------------ metric history

    def _sample(self, name: str, replicas: list) -> None:
        """Every `sample_every` seconds: each serving replica's counters into the history."""
        now = time.monotonic()
        if now - self.last_sample.get(name, 0.0) < self.sample_every:
            return
        self.last_sample[name] = now
        self._write_samples(name, [r for r in replicas if r.status in (HEALTHY, UNHEALTHY, STOPPING)])

    def _write_samples(self, name: str, replicas: list) -> None:
        at, rows = utcnow(), []
        for r in replicas:
            if not r.port:
                continue
            text = fetch_metrics(r.port)
            if not text:
                continue
            total = parse_prometheus(text)
            previous = self.last_totals.get(r.replica_id)
            if previous is None:  # a new replica, or this agent just started: the stored baseline
                with self.db.session() as session:
                    previous = session.scalar(
                        select(orm.EndpointMetricSample.total).where(orm.EndpointMetricSample.replica_id == r.replica_id)
                        .order_by(orm.EndpointMetricSample.at.desc(), orm.EndpointMetricSample.sample_id.desc())
                        .limit(1))
            self.last_totals[r.replica_id] = total
            delta = counts_since(previous, total)
            if any(delta.get(k) for k in COUNTER_KEYS):  # an idle replica writes nothing
                rows.append(orm.EndpointMetricSample(endpoint_name=name, variant=r.variant, replica_id=r.replica_id,
                                                     model_version=r.model_version, at=at, delta=delta, total=total))
        if rows:
            with self.db.session() as session:
                session.add_all(rows)

    def _prune_samples(self) -> None:
        cutoff = datetime.fromtimestamp(time.time() - METRICS_RETENTION_S, UTC)
        with self.db.session() as session:
            session.execute(delete(orm.EndpointMetricSample).where(orm.EndpointMetricSample.at < cutoff))


def pinned_config(config: dict, replicas: list) -> dict:
    """`config` with each alias replaced by the version its replicas serve: rolling back after an
    alias moved returns to that version (and stops following the alias until the next update)."""
    served = {r.variant: r.model_version for r in replicas if r.model_version}
    variants = []
    for v in config.get("variants", []):
        if "@" in v["model"] and served.get(v["name"]):
            name, _version, _alias = parse_model_uri(v["model"])
            v = {**v, "model": f"models:/{name}/{served[v['name']]}"}
        variants.append(v)
    return {**config, "variants": variants}


def reconcile_endpoints(agent) -> None:
    """The agent loop's one hook: build this agent's reconcilers once (endpoints, then batch
    transform jobs), then run a pass of each."""
    from .transform import TransformReconciler

    reconciler = getattr(agent, "_endpoint_reconciler", None)
    if reconciler is None:
        reconciler = agent._endpoint_reconciler = EndpointReconciler(
            agent.db, agent.settings, agent.agent_id, agent._agent_alive)
        agent._transform_reconciler = TransformReconciler(reconciler)
    try:
        reconciler.reconcile()
    finally:
        agent._transform_reconciler.reconcile()
