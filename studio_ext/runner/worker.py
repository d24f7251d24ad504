"""The job process: warms up (imports, MLflow store, a kernel), then runs the jobs it is given.

Started by the agent detached (own session), so killing the agent or the server does not touch
it. Warm mode (`--warm`): prints `ready` on stdout, then reads one JSON line per job on stdin; an
idle worker whose stdin closes (the agent is gone) exits, a busy one finishes its job first.
After a job whose launcher is not reusable (a notebook consumes the worker's kernel) the worker
exits; otherwise it reports `idle` and takes the next one. Cold mode (`--job-id`): one job, then
exit. The job process writes its own progress and final status to the database; the agent is
only a backup for processes that die or hang.

Every attempt, whatever its kind, goes through one template (Worker.run_job): before_start,
execute (the kind's launcher, under the Guard), on_failure, on_complete. Launchers only execute.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .. import tracking
from ..instance_types import load_catalog
from ..paths import LOG_NAME, OUTPUT_DIR
from ..schemas import JobStatus
from ..settings import StudioSettings
from ..store.db import Database
from . import resources
from .guard import Guard
from .launchers import launcher_classes
from .launchers.base import Attempt, BaseLauncher, Outcome
from .state import RESULT_FILE, JobState, stopped_reason, write_result


def _now() -> datetime:
    return datetime.now(UTC)


class Worker:
    """One job process: its launchers (one per job kind) and the template around them."""

    def __init__(self, settings: StudioSettings, warm: bool):
        self.settings = settings
        self.db = Database(settings.db_url, migrate=False)
        self.state = JobState(self.db)
        self.warm = warm
        self.mlflow = None
        # Keyed by the kind's value, as the job row holds it.
        self.launchers: dict[str, BaseLauncher] = {
            str(kind): cls(settings) for kind, cls in launcher_classes().items()}

    def warm_up(self, kinds: list[str] | None = None) -> None:
        """Warm the launchers of `kinds` (default: all), then open the MLflow store."""
        for kind, launcher in self.launchers.items():
            if kinds is None or kind in kinds:
                launcher.warm_up()
        try:
            self.mlflow = tracking.client(self.settings.mlflow_tracking_uri, self.settings.home,
                                          self.settings.mlflow_registry_uri)
        except Exception:
            traceback.print_exc()

    def close(self) -> None:
        for launcher in self.launchers.values():
            _quiet(launcher.close)

    # ---------------------------------------------------------------- the template

    def run_job(self, job_id: str) -> bool:
        """Run one attempt of `job_id` (if it is still ours to run); False when this job process
        must exit afterwards instead of taking another job."""
        attempt = self.before_start(job_id)
        if attempt is None:
            return True
        launcher = self.launchers.get(attempt.job.kind)
        crashed = False
        try:
            try:
                outcome = self.execute(attempt, launcher)
            except Exception as exc:  # a launcher bug or a prepare that failed: say so on the job
                crashed = True
                traceback.print_exc()
                traceback.print_exc(file=attempt.log)
                if launcher is not None:
                    _quiet(launcher.close)
                outcome = Outcome(JobStatus.FAILED,
                                  f"job process error: {type(exc).__name__}: {exc}")
            if outcome.status != JobStatus.COMPLETED:
                outcome = self.on_failure(attempt, outcome)
            self.on_complete(attempt, outcome)
        finally:
            attempt.log.close()
        return launcher is not None and launcher.reusable and not crashed

    def before_start(self, job_id: str) -> Attempt | None:
        """Begin the attempt (Starting -> InProgress), open the log with its banner, create the
        MLflow run, build the environment. None when the job is not ours to run (any more)."""
        me = os.getpid()
        row = self.state.begin_attempt(job_id, me, resources.create_time(me) or time.time())
        if row is None:
            return None
        if row.status == JobStatus.STOPPING.value:  # stopped while it was being dispatched
            self.state.finish_attempt(job_id, row.attempt, JobStatus.STOPPED,
                                      stopped_reason(row.status_reason))
            return None
        if row.status != JobStatus.IN_PROGRESS.value:
            return None
        job_dir = self.settings.job_dir(job_id)
        (job_dir / RESULT_FILE).unlink(missing_ok=True)
        out_dir = job_dir / OUTPUT_DIR
        out_dir.mkdir(parents=True, exist_ok=True)
        itype = self.settings.instance_types.get(row.instance_type)
        log = open(job_dir / LOG_NAME, "a", encoding="utf-8", buffering=1)
        if row.attempt > 1:
            log.write("\n")
        log.write(f"===== {row.name}: attempt {row.attempt} of {row.max_retries + 1} started "
                  f"{_now():%Y-%m-%d %H:%M:%S} UTC on {row.instance_type} "
                  f"(cpus {row.cpu_set or 'all'}) =====\n")
        started_at = (row.progress or {}).get("attempt_started_at")

        def progress(values: dict) -> None:
            try:  # the timeout counts from attempt_started_at: keep it in every progress write
                self.state.update(job_id, progress={**values, "attempt_started_at": started_at})
            except Exception:
                pass  # progress is best effort; the final status is not

        attempt = Attempt(job=row, job_dir=job_dir, log=log, env={},
                          cpus=resources.parse_cpu_set(row.cpu_set) or None,
                          memory_limit_mib=itype.memory_mib * (row.instance_count or 1) if itype else None,
                          progress=progress)
        try:
            attempt.mlflow_experiment_id, attempt.mlflow_run_id = tracking.start_run(
                self.settings.mlflow_tracking_uri, self.settings.home,
                experiment_name=row.experiment_name, job_id=job_id, job_name=row.name,
                attempt=row.attempt, parameters=row.parameters or {}, tags=row.tags or {},
                mlflow_client=self.mlflow)
            self.state.update(job_id, mlflow_experiment_id=attempt.mlflow_experiment_id,
                              mlflow_run_id=attempt.mlflow_run_id)
        except Exception as exc:  # a broken tracking store must not lose the job itself
            log.write(f"[studio] warning: could not create the MLflow run: {exc}\n")
        env = {"STUDIO_JOB_ID": job_id, "STUDIO_OUTPUT_DIR": str(out_dir),
               "MLFLOW_TRACKING_URI": self.settings.mlflow_tracking_uri,
               "MLFLOW_REGISTRY_URI": self.settings.mlflow_registry_uri}
        if attempt.mlflow_run_id:
            env.update(MLFLOW_RUN_ID=attempt.mlflow_run_id,
                       MLFLOW_EXPERIMENT_ID=attempt.mlflow_experiment_id or "")
        if itype is not None and itype.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in range(itype.gpus))
        env.update(row.environment or {})
        attempt.env = env
        return attempt

    def execute(self, attempt: Attempt, launcher: BaseLauncher | None) -> Outcome:
        """The launcher's prepare / run / result, with the Guard watching the run; the Guard's
        verdict (timeout, memory limit, stop) wins over the launcher's."""
        if launcher is None:
            raise RuntimeError(f"this job process has no launcher for kind {attempt.job.kind!r}")
        job = attempt.job
        launcher.prepare(attempt)
        guard = Guard(self.state, job.job_id, job.timeout_seconds, attempt.memory_limit_mib,
                      job.instance_type, launcher)
        guard.start()
        try:
            launcher.run(attempt)
        finally:
            guard.finish()
        outcome = launcher.result(attempt)
        if guard.reason:
            return Outcome(JobStatus.FAILED, guard.reason, outcome.exit_code)
        if guard.stopped:
            return Outcome(JobStatus.STOPPED, None, outcome.exit_code)
        return outcome

    def on_failure(self, attempt: Attempt, outcome: Outcome) -> Outcome:
        """An attempt that did not complete: if a stop was requested meanwhile, it was stopped
        (a kernel killed by the stop looks like a failure to the launcher)."""
        _status, stop_at, _reason = self.state.poll(attempt.job.job_id)
        if stop_at is not None:
            return Outcome(JobStatus.STOPPED, outcome.reason, outcome.exit_code)
        return outcome

    def on_complete(self, attempt: Attempt, outcome: Outcome) -> None:
        """The attempt is over, whatever its outcome: the result file (for an agent that finds
        this process gone), the MLflow run's status, the final status, the log's closing banner."""
        job, log = attempt.job, attempt.log
        write_result(attempt.job_dir, job.attempt, outcome.status, outcome.reason,
                     outcome.exit_code)
        if attempt.mlflow_run_id:
            try:
                tracking.finish_run(self.settings.mlflow_tracking_uri, attempt.mlflow_run_id,
                                    outcome.status.value, self.mlflow)
            except Exception as exc:
                log.write(f"[studio] warning: could not update the MLflow run: {exc}\n")
        written = self.state.finish_attempt(job.job_id, job.attempt, outcome.status, outcome.reason,
                                            outcome.exit_code)
        final = self.state.get(job.job_id)
        said = written.value if written else outcome.status.value
        log.write(f"===== attempt {job.attempt}: {said}"
                  f"{': ' + final.status_reason if final and final.status_reason else ''} =====\n")


def _quiet(fn) -> None:
    try:
        fn()
    except Exception:
        traceback.print_exc()


def _send(pipe, message: str) -> bool:
    try:
        pipe.write(message + "\n")
        pipe.flush()
        return True
    except (BrokenPipeError, OSError, ValueError):
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio_ext.runner.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--mlflow-tracking-uri", required=True)
    parser.add_argument("--server-root", required=True)
    parser.add_argument("--job-id", help="cold mode: run this job, then exit")
    parser.add_argument("--warm", action="store_true", help="pool mode: warm up, then take jobs on stdin")
    parser.add_argument("--log-file", help="where the worker's own diagnostics go")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import faulthandler

    # stdout is the pipe to the agent; everything else the worker prints goes to its log file.
    agent_pipe = os.fdopen(os.dup(1), "w", buffering=1)
    if args.log_file:
        Path(args.log_file).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(args.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    faulthandler.enable()
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    home = Path(args.home)
    settings = StudioSettings(home=home, db_url=args.db_url, mlflow_tracking_uri=args.mlflow_tracking_uri,
                              server_root=Path(args.server_root), instance_types=load_catalog(home))
    worker = Worker(settings, warm=args.warm)
    try:
        if args.job_id:
            row = worker.state.get(args.job_id)
            worker.warm_up([row.kind] if row is not None else [])
            worker.run_job(args.job_id)
            return 0
        worker.warm_up()
        if not _send(agent_pipe, "ready"):
            return 0
        while True:
            line = sys.stdin.readline()
            if not line:  # the agent is gone and we are idle: nothing to finish
                return 0
            job_id = json.loads(line)["job_id"]
            print(f"worker {os.getpid()}: job {job_id}", flush=True)
            try:
                reusable = worker.run_job(job_id)
            except Exception:
                traceback.print_exc()
                _fail_unexpected(worker, job_id)
                return 1
            if not reusable:
                return 0  # e.g. the kernel was this job's; a fresh worker replaces us
            if not _send(agent_pipe, "idle"):
                return 0
    finally:
        worker.close()


def _fail_unexpected(worker: Worker, job_id: str) -> None:
    """A bug in the template itself: say so on the job rather than leave it InProgress."""
    row = worker.state.get(job_id)
    if row is not None:
        exc = sys.exc_info()[1]
        worker.state.finish_attempt(job_id, row.attempt, JobStatus.FAILED,
                                    f"job process error: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
