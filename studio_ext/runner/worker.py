"""The job process: warms up (imports, MLflow store, a kernel), takes job ids, runs them to a status.

Started by the agent detached (own session), so killing the agent or the server does not touch
it. Warm mode (`--warm`): prints `ready` on stdout, then reads one JSON line per job on stdin; an
idle worker whose stdin closes (the agent is gone) exits, a busy one finishes its job first.
A notebook job consumes the worker's kernel, so the worker exits after it; after a script job a
worker reports `idle` and takes the next one. Cold mode (`--job-id`): one job, then exit.
The job process writes its own progress and final status to the database; the agent is only a
backup for processes that die or hang.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .. import tracking
from ..instance_types import load_catalog
from ..schemas import JobKind, JobStatus
from ..services.jobs import LOG_NAME, OUTPUT_HTML, OUTPUT_NOTEBOOK
from ..settings import StudioSettings
from ..store.db import Database
from . import resources
from .state import JobState, read_result, stopped_reason, write_result  # noqa: F401

STOP_POLL_S = 0.5
MEMORY_POLL_S = 0.2
HEARTBEAT_S = 5.0
STOP_GRACE_S = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


class Guard(threading.Thread):
    """Watches one attempt: stop requests, the timeout, the memory limit, and the heartbeat.

    `target()` returns the pid whose process tree is the job (the kernel or the script);
    `interrupt()` asks it to stop politely; `kill()` ends it. The first reason wins.
    """

    def __init__(self, state: JobState, job_id: str, timeout_s: float, memory_limit_mib: int | None,
                 instance_type: str, target, interrupt, kill):
        super().__init__(daemon=True, name=f"guard-{job_id[:8]}")
        self.state, self.job_id = state, job_id
        self.timeout_s, self.memory_limit_mib, self.instance_type = timeout_s, memory_limit_mib, instance_type
        self.target, self.interrupt, self.kill = target, interrupt, kill
        self.started = time.monotonic()
        self.reason: str | None = None  # why the guard ended the job
        self.stopped = False
        self.peak_rss = 0
        self._done = threading.Event()

    def finish(self) -> None:
        self._done.set()
        self.join(timeout=5)

    def run(self) -> None:
        last_poll = last_beat = 0.0
        stop_seen_at = None
        while not self._done.wait(MEMORY_POLL_S):
            now = time.monotonic()
            pid = self.target()
            if pid and self.memory_limit_mib and self.reason is None:
                rss = resources.tree_rss(pid)
                self.peak_rss = max(self.peak_rss, rss)
                if rss > self.memory_limit_mib * 1024 * 1024:
                    self.reason = (f"memory limit exceeded: {rss >> 20} MiB > {self.memory_limit_mib} MiB "
                                   f"(instance type {self.instance_type})")
                    self.kill()
            if now - self.started > self.timeout_s and self.reason is None and not self.stopped:
                self.reason = f"timed out after {int(self.timeout_s)} s"
                self.kill()
            if now - last_poll >= STOP_POLL_S:
                last_poll = now
                try:
                    status, stop_at, _reason = self.state.poll(self.job_id)
                    if now - last_beat >= HEARTBEAT_S:
                        last_beat = now
                        self.state.update(self.job_id, heartbeat_at=_now())
                except Exception:  # the database may be busy for a moment; the job goes on
                    status, stop_at = None, None
                if (stop_at is not None or status == JobStatus.STOPPING.value) and not self.stopped:
                    self.stopped = True
                    stop_seen_at = now
                    self.interrupt()
                elif status is None and not self.stopped and self.reason is None:
                    pass
            if self.stopped and stop_seen_at is not None and now - stop_seen_at > STOP_GRACE_S:
                stop_seen_at = None  # interrupt was ignored: end it for real, once
                self.kill()


class Worker:
    def __init__(self, settings: StudioSettings, warm: bool):
        self.settings = settings
        self.db = Database(settings.db_url, migrate=False)
        self.state = JobState(self.db)
        self.warm = warm
        self.km = None
        self.mlflow = None
        self.base_affinity = resources.available_cpus()

    # ---------------------------------------------------------------- warm-up

    def warm_up(self, kernel: bool) -> None:
        from .launchers import notebook

        if kernel:  # launched first so that it boots while we import; waited for at job time
            self.km = notebook.start_kernel(cwd=str(self.settings.home), wait=False)
        notebook.warm_up()
        try:
            self.mlflow = tracking.client(self.settings.mlflow_tracking_uri, self.settings.home)
        except Exception:
            traceback.print_exc()

    def shutdown_kernel(self) -> None:
        if self.km is not None:
            try:
                from .launchers import notebook

                notebook.shutdown_kernel(self.km)
            except Exception:
                traceback.print_exc()
            self.km = None

    # ---------------------------------------------------------------- one job

    def run_job(self, job_id: str) -> str | None:
        """Run one attempt of `job_id`; returns the job kind it ran (None if it was not ours)."""
        me = os.getpid()
        row = self.state.begin_attempt(job_id, me, resources.create_time(me) or time.time())
        if row is None:
            return None
        job_dir = self.settings.job_dir(job_id)
        if row.status == JobStatus.STOPPING.value:  # stopped while it was being dispatched
            self.state.finish_attempt(job_id, row.attempt, JobStatus.STOPPED, stopped_reason(row.status_reason))
            return row.kind
        if row.status != JobStatus.IN_PROGRESS.value:
            return None
        (job_dir / "result.json").unlink(missing_ok=True)
        out_dir = job_dir / "output"
        out_dir.mkdir(parents=True, exist_ok=True)
        log_path = job_dir / LOG_NAME
        cpus = resources.parse_cpu_set(row.cpu_set) or None
        itype = self.settings.instance_types.get(row.instance_type)
        with open(log_path, "a", encoding="utf-8", buffering=1) as log:
            if row.attempt > 1:
                log.write("\n")
            log.write(f"===== {row.name}: attempt {row.attempt} of {row.max_retries + 1} started "
                      f"{_now():%Y-%m-%d %H:%M:%S} UTC on {row.instance_type} (cpus {row.cpu_set or 'all'}) "
                      f"=====\n")
            experiment_id = run_id = None
            try:
                experiment_id, run_id = tracking.start_run(
                    self.settings.mlflow_tracking_uri, self.settings.home, experiment_name=row.experiment_name,
                    job_id=job_id, job_name=row.name, attempt=row.attempt, parameters=row.parameters or {},
                    tags=row.tags or {}, mlflow_client=self.mlflow)
                self.state.update(job_id, mlflow_experiment_id=experiment_id, mlflow_run_id=run_id)
            except Exception as exc:  # a broken tracking store must not lose the job itself
                log.write(f"[studio] warning: could not create the MLflow run: {exc}\n")
            env = {"STUDIO_JOB_ID": job_id, "STUDIO_OUTPUT_DIR": str(out_dir),
                   "MLFLOW_TRACKING_URI": self.settings.mlflow_tracking_uri}
            if run_id:
                env.update(MLFLOW_RUN_ID=run_id, MLFLOW_EXPERIMENT_ID=experiment_id)
            if itype is not None and itype.gpus:
                env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in range(itype.gpus))
            env.update(row.environment or {})
            memory = itype.memory_mib if itype else None
            if row.kind == JobKind.NOTEBOOK.value:
                status, reason, code = self._run_notebook(row, job_dir, env, cpus, memory, log)
            else:
                status, reason, code = self._run_script(row, job_dir, env, cpus, memory, log)
            if status != JobStatus.COMPLETED:
                _st, stop_at, _r = self.state.poll(job_id)
                if stop_at is not None:
                    status = JobStatus.STOPPED
            write_result(job_dir, row.attempt, status, reason, code)
            if run_id:
                try:
                    tracking.finish_run(self.settings.mlflow_tracking_uri, run_id, status.value, self.mlflow)
                except Exception as exc:
                    log.write(f"[studio] warning: could not update the MLflow run: {exc}\n")
            written = self.state.finish_attempt(job_id, row.attempt, status, reason, code)
            final = self.state.get(job_id)
            log.write(f"===== attempt {row.attempt}: {written.value if written else status.value}"
                      f"{': ' + final.status_reason if final and final.status_reason else ''} =====\n")
        return row.kind

    def _run_notebook(self, row, job_dir: Path, env: dict, cpus, memory_mib, log):
        import nbformat
        from nbclient.exceptions import DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        from .launchers import notebook

        snapshot = job_dir / "input" / Path(row.input_path).name
        output = job_dir / "output" / OUTPUT_NOTEBOOK
        nb = nbformat.read(str(snapshot), as_version=4)
        name = notebook.notebook_kernel_name(nb)
        km = self.km if self.km is not None and self.km.kernel_name == name else None
        if km is None:
            self.shutdown_kernel()
            log.write(f"[studio] starting kernel {name}\n")
            km = self.km = notebook.start_kernel(name, cwd=row.working_dir, wait=False)
        kpid = notebook.kernel_pid(km)
        if cpus and kpid:
            resources.set_affinity_all_threads(kpid, cpus)
        notebook.setup_kernel(km, row.working_dir, env)

        code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        progress = {"cells_done": 0, "cells_total": len(code_cells) + (1 if row.parameters else 0),
                    "current_cell": None, "current_cell_source": None}
        attempt_started = (row.progress or {}).get("attempt_started_at")

        def on_cell(event: str, index: int, cell) -> None:
            if cell.cell_type != "code":
                return
            if event == "start":
                first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")[:200]
                progress.update(current_cell=index, current_cell_source=first)
                log.write(f"[studio] cell {index}: {first}\n")
            elif not (cell.metadata.get("papermill") or {}).get("exception"):
                # papermill calls cell_complete for a cell that raised (or was interrupted by a
                # stop) too; only cells that ran to the end count as done.
                progress["cells_done"] += 1
            try:
                self.state.update(row.job_id, progress={**progress, "attempt_started_at": attempt_started})
            except Exception:
                pass  # progress is best effort; the final status is not

        guard = Guard(self.state, row.job_id, row.timeout_seconds, memory_mib, row.instance_type,
                      target=lambda: kpid, interrupt=lambda: _quiet(lambda: os.kill(kpid, signal.SIGINT)),
                      kill=lambda: kpid and resources.kill_tree(kpid))
        guard.start()
        status, reason = JobStatus.COMPLETED, None
        try:
            notebook.execute(snapshot, output, row.parameters or {}, km, log, on_cell)
        except PapermillExecutionError as exc:
            first = next((ln for ln in (exc.source or "").splitlines() if ln.strip()), "")[:120]
            status = JobStatus.FAILED
            reason = (f"cell {exc.cell_index} (In [{exc.exec_count}]: {first}) failed: "
                      f"{exc.ename}: {exc.evalue}")
        except DeadKernelError as exc:
            status, reason = JobStatus.FAILED, f"the kernel died: {exc}"
        except Exception as exc:
            status, reason = JobStatus.FAILED, f"notebook execution failed: {type(exc).__name__}: {exc}"
            traceback.print_exc(file=log)
        finally:
            guard.finish()
        if guard.reason:
            status, reason = JobStatus.FAILED, guard.reason
        elif guard.stopped:
            status = JobStatus.STOPPED
        # The kernel goes first: mlflow's atexit in it would otherwise overwrite the run status.
        self.shutdown_kernel()
        if output.exists():
            try:
                notebook.render_html(output, job_dir / "output" / OUTPUT_HTML)
            except Exception as exc:
                log.write(f"[studio] warning: HTML rendering failed: {exc}\n")
        if status == JobStatus.COMPLETED:
            progress.update(cells_done=progress["cells_total"])
        return status, reason, None

    def _run_script(self, row, job_dir: Path, env: dict, cpus, memory_mib, log):
        from .launchers.script import ScriptRun

        script = job_dir / "input" / Path(row.input_path).name
        full_env = dict(os.environ)
        full_env.update(env)
        full_env.setdefault("PYTHONUNBUFFERED", "1")  # the live log should be live
        log.flush()
        run = ScriptRun(script, row.parameters or {}, Path(row.working_dir), full_env, job_dir / LOG_NAME, cpus)
        try:
            pid = run.start()
        finally:
            if cpus:
                os.sched_setaffinity(0, self.base_affinity)
        guard = Guard(self.state, row.job_id, row.timeout_seconds, memory_mib, row.instance_type,
                      target=lambda: pid, interrupt=lambda: resources.kill_tree(pid, grace=STOP_GRACE_S),
                      kill=lambda: resources.kill_tree(pid))
        guard.start()
        try:
            code = run.wait()
        finally:
            guard.finish()
        if guard.reason:
            return JobStatus.FAILED, guard.reason, code
        if guard.stopped:
            return JobStatus.STOPPED, None, code
        if code == 0:
            return JobStatus.COMPLETED, None, 0
        return JobStatus.FAILED, run.failure_reason(code), code


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
            worker.warm_up(kernel=bool(row and row.kind == JobKind.NOTEBOOK.value))
            worker.run_job(args.job_id)
            return 0
        worker.warm_up(kernel=True)
        if not _send(agent_pipe, "ready"):
            return 0
        while True:
            line = sys.stdin.readline()
            if not line:  # the agent is gone and we are idle: nothing to finish
                return 0
            job_id = json.loads(line)["job_id"]
            print(f"worker {os.getpid()}: job {job_id}", flush=True)
            try:
                kind = worker.run_job(job_id)
            except Exception:
                traceback.print_exc()
                _fail_unexpected(worker, job_id)
                return 1
            if kind == JobKind.NOTEBOOK.value or worker.km is None:
                return 0  # the kernel was this job's; a fresh worker replaces us
            if not _send(agent_pipe, "idle"):
                return 0
    finally:
        worker.shutdown_kernel()


def _fail_unexpected(worker: Worker, job_id: str) -> None:
    """A bug in the worker itself: say so on the job rather than leave it InProgress."""
    row = worker.state.get(job_id)
    if row is not None:
        exc = sys.exc_info()[1]
        worker.state.finish_attempt(job_id, row.attempt, JobStatus.FAILED,
                                    f"job process error: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
