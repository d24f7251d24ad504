"""The Guard: a thread beside a running attempt (stop request, timeout, memory limit, heartbeat)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..schemas import JobStatus
from . import resources
from .state import JobState

if TYPE_CHECKING:
    from .launchers.base import BaseLauncher

STOP_POLL_S = 0.5
MEMORY_POLL_S = 0.2
HEARTBEAT_S = 5.0
STOP_GRACE_S = 5.0


class Guard(threading.Thread):
    """Watches one attempt through its launcher's `pid()`, `interrupt()` and `kill()`.

    The first reason wins: `reason` says why the Guard ended the job (timeout, memory limit),
    `stopped` that a stop was requested (the job was interrupted, and killed STOP_GRACE_S later
    if it ignored that). The heartbeat tells the agent the job process is alive and well.
    """

    def __init__(self, state: JobState, job_id: str, timeout_s: float, memory_limit_mib: int | None,
                 instance_type: str, launcher: BaseLauncher):
        super().__init__(daemon=True, name=f"guard-{job_id[:8]}")
        self.state, self.job_id = state, job_id
        self.timeout_s, self.memory_limit_mib = timeout_s, memory_limit_mib
        self.instance_type = instance_type
        self.launcher = launcher
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
            pid = self.launcher.pid()
            if pid and self.memory_limit_mib and self.reason is None:
                rss = resources.tree_rss(pid)
                self.peak_rss = max(self.peak_rss, rss)
                if rss > self.memory_limit_mib * 1024 * 1024:
                    limit, itype = self.memory_limit_mib, self.instance_type
                    self.reason = (f"memory limit exceeded: {rss >> 20} MiB > {limit} MiB "
                                   f"(instance type {itype})")
                    self.launcher.kill()
            if now - self.started > self.timeout_s and self.reason is None and not self.stopped:
                self.reason = f"timed out after {int(self.timeout_s)} s"
                self.launcher.kill()
            if now - last_poll >= STOP_POLL_S:
                last_poll = now
                try:
                    status, stop_at, _reason = self.state.poll(self.job_id)
                    if now - last_beat >= HEARTBEAT_S:
                        last_beat = now
                        self.state.update(self.job_id, heartbeat_at=datetime.now(UTC))
                except Exception:  # the database may be busy for a moment; the job goes on
                    status, stop_at = None, None
                if (stop_at is not None or status == JobStatus.STOPPING.value) and not self.stopped:
                    self.stopped = True
                    stop_seen_at = now
                    self.launcher.interrupt()
            if self.stopped and stop_seen_at is not None and now - stop_seen_at > STOP_GRACE_S:
                stop_seen_at = None  # interrupt was ignored: end it for real, once
                self.launcher.kill()
