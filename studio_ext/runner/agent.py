"""The studio agent: dispatches queued jobs to job processes, fires schedules, reconciles after crashes.

    python -m studio_ext.runner.agent --home H --db-url U --mlflow-tracking-uri M --server-root R
        [--lock-file F] [--warm-pool N] [--poll-interval S] [--agent-id ID]
        [--executor-class C] [--job-service-class C] [--schedule-service-class C]
        [--audit-service-class C]

Every decision is a conditional write in the database, so several agents on one database never
run a job twice, and any agent can pick up after another one died. Job processes report their own
progress and status; the agent enforces limits only as a backup (a hung or dead job process).
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from .. import tracking
from ..instance_types import load_catalog
from ..paths import LOG_NAME, PRIVATE_UMASK
from ..plugins import load_class
from ..schemas import JobStatus
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database, rowcount
from . import resources
from .executors.base import BaseExecutor
from .executors.local import LocalExecutor
from .reconcilers.base import BaseReconciler
from .reconcilers.endpoints import EndpointReconciler
from .reconcilers.transform import TransformReconciler
from .reconcilers.tuning import TuningReconciler
from .slots import slots_in_use
from .state import ACTIVE, JobState, read_result, stopped_reason

log = logging.getLogger("studio_ext.agent")

EXIT_LOCKED = 3
HEARTBEAT_S = 2.0
RECONCILE_S = 1.0
SCHEDULES_S = 1.0
# An agent whose heartbeat is older than this is presumed dead; its live jobs get adopted.
AGENT_STALE_S = float(os.environ.get("STUDIO_AGENT_STALE_S", "15"))
# The job process enforces timeouts and stops itself; the agent steps in only after these graces.
BACKUP_TIMEOUT_GRACE_S = 30.0
BACKUP_STOP_GRACE_S = 15.0
UNSTARTED_GRACE_S = 120.0
MAX_DISPATCH_FAILURES = 3

# The services the agent uses to fire schedules, by import path: option -> (default, what the
# class must have). Job creation (validation, input snapshot) is the job service's business, so
# the agent is a client of the services rather than a copy of them; naming them by import path
# keeps the runner free of imports from services/ (the layering rule), and lets the server hand
# its own agent the classes it was configured with (c.StudioApp.*_service_class).
SERVICE_CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "job-service": ("studio_ext.services.jobs.JobService", ("create_job", "stop_job")),
    "schedule-service": ("studio_ext.services.schedules.ScheduleService", ("fire_due",)),
    "audit-service": ("studio_ext.services.audit.AuditService", ("record",)),
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Agent:
    def __init__(self, settings: StudioSettings, agent_id: str | None = None, pool_size: int = 2,
                 poll_interval: float = 0.15, executor_class: type[BaseExecutor] = LocalExecutor,
                 service_classes: Mapping[str, str | None] | None = None):
        self.settings = settings
        self.agent_id = agent_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.db = Database(settings.db_url)
        self.state = JobState(self.db)
        self.poll_interval = poll_interval
        self.executor = executor_class(settings, pool_size=pool_size)
        self.service_classes = dict(service_classes or {})
        self._running = True
        self._last = {"heartbeat": 0.0, "reconcile": 0.0, "schedules": 0.0}
        self._schedules: Any = None
        self._jobs: Any = None
        self._schedules_missing_logged = False
        # What the agent moves toward the desired state besides jobs, each at its own interval.
        self.reconcilers: list[BaseReconciler] = [
            EndpointReconciler(self.db, settings, self.agent_id, self._agent_alive),
            TransformReconciler(self.db, settings, self.agent_id, self._agent_alive),
            TuningReconciler(self.db, settings, self.agent_id, self._agent_alive, self.job_service),
        ]
        self._reconciled: dict[BaseReconciler, float] = {}

    # ---------------------------------------------------------------- loop

    def stop(self, *_args) -> None:
        self._running = False

    def run(self) -> None:
        log.info("studio agent %s started (pid %s, %s, pool %s)", self.agent_id, os.getpid(),
                 type(self.executor).__name__, self.executor.pool_size)
        self.heartbeat()
        try:  # create/migrate a local MLflow store once, before workers race to do it
            tracking.client(self.settings.mlflow_tracking_uri, self.settings.home, self.settings.mlflow_registry_uri)
        except Exception:
            log.exception("the MLflow tracking store %s is not usable", self.settings.mlflow_tracking_uri)
        self.reconcile()
        self.executor.start()
        try:
            while self._running:
                self.tick()
                time.sleep(self.poll_interval)
        finally:
            self.executor.close()
            log.info("studio agent %s stopped", self.agent_id)

    def tick(self) -> None:
        now = time.monotonic()
        try:
            if now - self._last["heartbeat"] >= HEARTBEAT_S:
                self._last["heartbeat"] = now
                self.heartbeat()
            self.executor.poll()
            if now - self._last["reconcile"] >= RECONCILE_S:
                self._last["reconcile"] = now
                self.reconcile()
            self.dispatch()
            if now - self._last["schedules"] >= SCHEDULES_S:
                self._last["schedules"] = now
                self.fire_schedules()
        except Exception:  # one bad tick (a locked database, a bug) must not end the agent
            log.exception("agent tick failed")
        self.run_reconcilers(now)

    def run_reconcilers(self, now: float) -> None:
        """A pass of each reconciler whose interval is due; one that fails is logged and the
        others still run (and it runs again at its next interval)."""
        for reconciler in self.reconcilers:
            if now - self._reconciled.get(reconciler, 0.0) < reconciler.interval_s:
                continue
            self._reconciled[reconciler] = now
            try:
                reconciler.reconcile()
            except Exception:
                log.exception("%s pass failed", type(reconciler).__name__)

    def heartbeat(self) -> None:
        now = utcnow()
        with self.db.session() as session:
            row = session.get(orm.Agent, self.agent_id)
            if row is None:
                session.add(orm.Agent(agent_id=self.agent_id, hostname=socket.gethostname(), pid=os.getpid(),
                                      started_at=now, heartbeat_at=now))
            else:
                row.heartbeat_at = now

    # ---------------------------------------------------------------- dispatch

    def dispatch(self) -> list[str]:
        """Claim queued jobs (oldest first) while their instance type has free slots."""
        with self.db.session() as session:
            queued = session.execute(
                select(orm.Job.job_id, orm.Job.instance_type, orm.Job.instance_count)
                .where(orm.Job.status == JobStatus.QUEUED.value)
                .order_by(orm.Job.created_at, orm.Job.job_id).limit(50)).all()
        if not queued:
            return []
        with self.db.session() as session:
            cpu_sets = list(session.scalars(select(orm.Job.cpu_set).where(orm.Job.status.in_(ACTIVE))).all())
            used = slots_in_use(session)  # transform jobs take slots of their instance type too
        claimed = []
        waiting: set[str] = set()  # types where an older job waits for slots: younger ones queue behind it
        for job_id, itype_name, instance_count in queued:
            itype = self.settings.instance_types.get(itype_name)
            if itype is None:
                self._fail_queued(job_id, f"instance type {itype_name!r} is no longer in the catalog")
                continue
            count = instance_count or 1  # a distributed job takes a slot per instance
            if itype_name in waiting or used.get(itype_name, 0) + count > itype.max_concurrent:
                waiting.add(itype_name)
                continue
            worker = self.executor.idle_worker()
            if worker is None:
                break  # no job process available this tick
            cpus = resources.choose_cpus(itype.vcpus * count, cpu_sets)
            cpu_set = resources.format_cpu_set(cpus)
            create_time = resources.create_time(worker.pid)
            with self.db.session() as session:
                result = session.execute(
                    update(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status == JobStatus.QUEUED.value)
                    .values(status=JobStatus.STARTING.value, agent_id=self.agent_id, pid=worker.pid,
                            pid_create_time=create_time, cpu_set=cpu_set, heartbeat_at=utcnow()))
            if rowcount(result) != 1:
                continue  # another agent took it, or it was stopped meanwhile
            if not worker.assign(job_id):
                self._requeue(job_id, "the job process was gone before it got the job")
                continue
            used[itype_name] = used.get(itype_name, 0) + count
            cpu_sets.append(cpu_set)
            claimed.append(job_id)
            log.info("job %s -> worker %s (cpus %s)", job_id, worker.pid, cpu_set)
        return claimed

    def _fail_queued(self, job_id: str, reason: str) -> None:
        with self.db.session() as session:
            session.execute(update(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status == JobStatus.QUEUED.value)
                            .values(status=JobStatus.FAILED.value, status_reason=reason, ended_at=utcnow()))

    def _requeue(self, job_id: str, why: str) -> None:
        log.warning("job %s back to the queue: %s", job_id, why)
        with self.db.session() as session:
            session.execute(update(orm.Job).where(orm.Job.job_id == job_id, orm.Job.status == JobStatus.STARTING.value)
                            .values(status=JobStatus.QUEUED.value, agent_id=None, pid=None, pid_create_time=None,
                                    cpu_set=None))

    # ---------------------------------------------------------------- reconcile and backup limits

    def reconcile(self) -> None:
        """Active jobs whose process died get an honest status; hung ones are ended (backup)."""
        with self.db.session() as session:
            rows = session.scalars(select(orm.Job).where(orm.Job.status.in_(ACTIVE))).all()
            hosts = dict(session.execute(select(orm.Agent.agent_id, orm.Agent.hostname)).all())
        now = utcnow()
        me = socket.gethostname()
        for row in rows:
            if row.agent_id and hosts.get(row.agent_id, me) != me:
                continue  # a pid only means something on its own machine (agents sharing a PostgreSQL)
            pid = row.pid  # is_alive() is False without one, so past this it is an int
            if pid is None or not resources.is_alive(pid, row.pid_create_time):
                self._dead(row)
                continue
            if row.agent_id != self.agent_id and self._agent_alive(row.agent_id):
                continue  # its own agent watches it
            if row.agent_id != self.agent_id:
                self.state.update(row.job_id, agent_id=self.agent_id)  # re-attach an orphan
                log.info("re-attached job %s (pid %s)", row.job_id, row.pid)
            started = _attempt_started(row)
            if row.status == JobStatus.STARTING.value:
                if (now - (row.heartbeat_at or now)).total_seconds() > UNSTARTED_GRACE_S:
                    resources.kill_tree(pid)
                    self._dead(row, "the job process never started the job")
                continue
            if started and (now - started).total_seconds() > row.timeout_seconds + BACKUP_TIMEOUT_GRACE_S:
                log.warning("job %s: past its timeout and still running; killing pid %s", row.job_id, row.pid)
                resources.kill_tree(pid)
                self._finish(row, JobStatus.FAILED, f"timed out after {row.timeout_seconds} s")
            elif (row.stop_requested_at is not None
                  and (now - row.stop_requested_at).total_seconds() > BACKUP_STOP_GRACE_S):
                log.warning("job %s: stop not honoured; killing pid %s", row.job_id, row.pid)
                resources.kill_tree(pid)
                self._finish(row, JobStatus.STOPPED, stopped_reason(row.status_reason))

    def _agent_alive(self, agent_id: str | None) -> bool:
        if not agent_id:
            return False
        with self.db.session() as session:
            beat = session.scalar(select(orm.Agent.heartbeat_at).where(orm.Agent.agent_id == agent_id))
        return beat is not None and utcnow() - beat < timedelta(seconds=AGENT_STALE_S)

    def _dead(self, row: orm.Job, why: str | None = None) -> None:
        progress = dict(row.progress or {})
        if row.status == JobStatus.STARTING.value and "attempt_started_at" not in progress:
            # Its process died before it began the job (an agent killed between claim and hand-over,
            # a worker that crashed warming up): nothing ran, so queue it again without spending an
            # attempt, a few times at most in case every worker crashes the same way.
            failures = int(progress.get("dispatch_failures", 0)) + 1
            if failures <= MAX_DISPATCH_FAILURES:
                with self.db.session() as session:
                    session.execute(
                        update(orm.Job).where(orm.Job.job_id == row.job_id, orm.Job.status == JobStatus.STARTING.value,
                                              orm.Job.attempt == row.attempt)
                        .values(status=JobStatus.QUEUED.value, agent_id=None, pid=None, pid_create_time=None,
                                cpu_set=None, progress={"dispatch_failures": failures}))
                log.warning("job %s: its process %s died before starting it; queued again", row.job_id, row.pid)
                return
            why = why or (f"the job process died before starting the job, {failures} times; "
                          f"see {self.settings.home / 'logs' / 'workers.log'}")
        result = read_result(self.settings.job_dir(row.job_id), row.attempt)
        if result is not None:
            status, reason, code = JobStatus(result["status"]), result.get("reason"), result.get("exit_code")
        else:
            status, code = JobStatus.FAILED, None
            reason = f"job process exited unexpectedly ({why or f'pid {row.pid} is gone, no result recorded'})"
            if row.stop_requested_at is not None:
                status = JobStatus.STOPPED
        log.warning("job %s: process %s is gone; %s", row.job_id, row.pid, reason)
        self._finish(row, status, reason, code)

    def _finish(self, row: orm.Job, status: JobStatus, reason: str | None, code: int | None = None) -> None:
        written = self.state.finish_attempt(row.job_id, row.attempt, status, reason, code)
        if written is None:
            return
        self._append_log(row.job_id, f"===== attempt {row.attempt}: {written.value} ({reason}) [agent] =====\n")
        if row.mlflow_run_id:
            try:
                tracking.finish_run(self.settings.mlflow_tracking_uri, row.mlflow_run_id,
                                    written.value if written.is_terminal else JobStatus.FAILED.value)
            except Exception:
                log.exception("could not mirror job %s status to MLflow", row.job_id)

    def _append_log(self, job_id: str, text: str) -> None:
        try:
            with open(self.settings.job_dir(job_id) / LOG_NAME, "a", encoding="utf-8") as fh:
                fh.write(text)
        except OSError:
            pass

    # ---------------------------------------------------------------- schedules

    def fire_schedules(self) -> None:
        try:
            if self._schedules is None:  # on first use: the service modules cost a second to import
                schedule_service = self._service_class("schedule-service")
                audit = self._service_class("audit-service")(self.db)
                self._schedules = schedule_service(self.db, self.settings, self.job_service(), audit)
            fired = self._schedules.fire_due()
            if fired:
                log.info("schedules created jobs %s", ", ".join(fired))
        except NotImplementedError:  # a schedule service that leaves firing to someone else
            if not self._schedules_missing_logged:
                log.warning("the schedule service does not fire schedules; not firing")
                self._schedules_missing_logged = True

    def job_service(self) -> Any:
        """The job service that schedules and tuning jobs create jobs with (built on first use:
        the service modules cost a second to import)."""
        if self._jobs is None:
            self._jobs = self._service_class("job-service")(self.db, self.settings)
        return self._jobs

    def _service_class(self, option: str) -> Any:
        default, requires = SERVICE_CLASSES[option]
        return load_class(self.service_classes.get(option), default, what=f"--{option}-class",
                          requires=requires, log=log)


def _attempt_started(row: orm.Job) -> datetime | None:
    text = (row.progress or {}).get("attempt_started_at")
    if text:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return row.started_at


def _absolute_sqlite(url: str | None) -> str | None:
    """sqlite:///relative.db -> sqlite:////abs/relative.db (we chdir afterwards)."""
    if url and url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return "sqlite:///" + os.path.abspath(url[len("sqlite:///"):])
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio agent", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="STUDIO_HOME (default: $STUDIO_HOME or the Jupyter data dir)")
    parser.add_argument("--db-url", help="SQLAlchemy URL of the studio database")
    parser.add_argument("--mlflow-tracking-uri", help="MLflow tracking URI")
    parser.add_argument("--server-root", help="the folder job inputs are relative to")
    parser.add_argument("--lock-file", help="hold an exclusive lock on this file (one agent per file)")
    parser.add_argument("--warm-pool", type=int, default=int(os.environ.get("STUDIO_WARM_POOL", "2")),
                        help="pre-started job processes with a kernel (default 2; 0 disables)")
    parser.add_argument("--poll-interval", type=float, default=0.15, help="seconds between loop turns")
    parser.add_argument("--agent-id", help="a stable name for this agent (default: host-pid-random)")
    parser.add_argument("--log-level", default=os.environ.get("STUDIO_AGENT_LOG_LEVEL", "INFO"))
    parser.add_argument("--executor-class", help="import path of the BaseExecutor that starts job "
                        "processes (default: the local one, studio_ext.runner.executors.local."
                        "LocalExecutor); one that does not load warns and the local one is used")
    for option, (default, _requires) in SERVICE_CLASSES.items():
        parser.add_argument(f"--{option}-class", dest=option.replace("-", "_") + "_class",
                            help=f"import path of the {option.replace('-', ' ')} the agent fires "
                            f"schedules with (default {default})")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Everything the agent and its children (job processes, replicas, transform workers) write in
    # STUDIO_HOME is private to this account (paths.py).
    os.umask(PRIVATE_UMASK)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s [studio agent] %(message)s")
    lock_fd = None
    if args.lock_file:
        Path(args.lock_file).parent.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(args.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"studio agent: another agent holds the lock {args.lock_file}; exiting", file=sys.stderr)
            return EXIT_LOCKED
        os.ftruncate(lock_fd, 0)
        os.write(lock_fd, f"{os.getpid()}\n".encode())
    settings = StudioSettings.from_env(home=args.home, db_url=_absolute_sqlite(args.db_url),
                                       mlflow_tracking_uri=_absolute_sqlite(args.mlflow_tracking_uri),
                                       server_root=args.server_root)
    settings.instance_types = load_catalog(settings.home)
    # A daemon's cwd should not matter, but MLflow puts a store's default artifact folder (./mlruns)
    # in the cwd of whoever opens the store first: keep that inside STUDIO_HOME.
    os.chdir(settings.home)
    executor_class = load_class(args.executor_class, LocalExecutor, what="--executor-class",
                                base=BaseExecutor, log=log)
    services = {option: getattr(args, option.replace("-", "_") + "_class") for option in SERVICE_CLASSES}
    agent = Agent(settings, agent_id=args.agent_id, pool_size=args.warm_pool, poll_interval=args.poll_interval,
                  executor_class=executor_class, service_classes=services)
    signal.signal(signal.SIGTERM, agent.stop)
    signal.signal(signal.SIGINT, agent.stop)
    agent.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
