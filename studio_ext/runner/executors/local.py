"""Local executor: job processes on this machine, from a warm pool of pre-started workers.

A worker is `python -m studio_ext.runner.worker --warm`: it imports papermill/nbconvert/mlflow,
opens the MLflow store and starts a kernel, then says `ready`. The agent gives it a job id on
stdin. Workers run in their own session, so the agent's death (or a signal to its group) does
not reach them; their stdin closing tells idle ones to exit.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ...paths import package_env
from ...settings import StudioSettings
from .. import resources
from .base import BaseExecutor

log = logging.getLogger("studio_ext.agent")


@dataclass
class WorkerHandle:
    proc: subprocess.Popen
    state: str = "warming"  # warming | ready | busy
    warmed: bool = False  # said `ready` at least once
    job_id: str | None = None
    started: float = field(default_factory=time.monotonic)
    _buffer: str = ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def read_messages(self) -> list[str]:
        """Non-blocking read of the lines the worker sent (`ready`, `idle`)."""
        out = self.proc.stdout
        if out is None:
            return []
        try:
            chunk = os.read(out.fileno(), 4096)
        except BlockingIOError:
            return []
        except OSError:
            return []
        if not chunk:
            return []
        self._buffer += chunk.decode(errors="replace")
        *lines, self._buffer = self._buffer.split("\n")
        return [line.strip() for line in lines if line.strip()]

    def assign(self, job_id: str) -> bool:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps({"job_id": job_id}) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        self.state, self.job_id = "busy", job_id
        return True

    def close(self) -> None:
        """Close our end of its stdin: an idle worker exits, a busy one finishes first."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass

    def forget(self) -> None:
        """Close both pipe ends: the worker exited, or it runs on without this agent."""
        self.close()
        if self.proc.stdout:
            self.proc.stdout.close()


class LocalExecutor(BaseExecutor):
    """Keeps `pool_size` idle workers warm and starts more on demand (the cold path).

    Busy workers run in their own session with the job's CPU set and memory limit (the job
    process enforces them), so they survive the agent; idle ones exit when their stdin closes.
    """

    features = ("warm-pool",)

    def __init__(self, settings: StudioSettings, pool_size: int = 2) -> None:
        super().__init__(settings, pool_size)
        self.workers: dict[int, WorkerHandle] = {}
        self.log_file = Path(settings.home) / "logs" / "workers.log"

    def _spawn(self) -> WorkerHandle:
        s = self.settings
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "studio_ext.runner.worker", "--warm", "--home", str(s.home),
               "--db-url", s.db_url, "--mlflow-tracking-uri", s.mlflow_tracking_uri,
               "--server-root", str(s.server_root), "--log-file", str(self.log_file)]
        env = package_env()  # the worker must import this very package
        proc = resources.DetachedPopen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             cwd=str(s.home), env=env, start_new_session=True, close_fds=True)
        assert proc.stdout is not None  # stdout=PIPE
        os.set_blocking(proc.stdout.fileno(), False)
        handle = WorkerHandle(proc)
        self.workers[proc.pid] = handle
        log.debug("started worker %s", proc.pid)
        return handle

    def start(self) -> None:
        self.refill()

    def poll(self) -> None:
        for pid, handle in list(self.workers.items()):
            for message in handle.read_messages():
                # A job may have been handed to a worker still warming up: its late `ready`
                # must not make it look idle. Only `idle` (sent after a job) frees a busy one.
                if message == "ready":
                    handle.warmed = True
                if (message == "ready" and handle.state == "warming") or (message == "idle" and handle.state == "busy"):
                    handle.state, handle.job_id = "ready", None
            if handle.proc.poll() is not None:
                self.workers.pop(pid).forget()
        self.refill()

    def refill(self) -> None:
        idle = sum(1 for h in self.workers.values() if h.state in ("warming", "ready"))
        for _ in range(self.pool_size - idle):
            self._spawn()

    def idle_worker(self) -> WorkerHandle | None:
        """A ready worker; else a warming one; else a new one, unless enough are already warming
        up (start-up is CPU-heavy: starting a dozen at once on a small machine makes every one of
        them slow; the job waits a tick in the queue instead)."""
        ready = [h for h in self.workers.values() if h.state == "ready"]
        if ready:
            return ready[0]
        warming = sorted((h for h in self.workers.values() if h.state == "warming"), key=lambda h: h.started)
        if warming:
            return warming[0]
        starting = sum(1 for h in self.workers.values() if not h.warmed)
        if starting >= max(2, self.pool_size):
            return None
        return self._spawn()

    def busy_jobs(self) -> dict[str, int]:
        return {h.job_id: h.pid for h in self.workers.values() if h.state == "busy" and h.job_id}

    def close(self) -> None:
        """Idle workers exit (stdin closed); half-warm ones are ended now (they would only notice
        after their imports)."""
        for handle in self.workers.values():
            handle.close()
            if handle.state == "warming":
                resources.kill_tree(handle.pid)
        deadline = time.monotonic() + 3
        for handle in self.workers.values():
            if handle.state == "ready":
                try:
                    handle.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    resources.kill_tree(handle.pid)
            handle.forget()  # busy ones run on: their job outlives the agent
