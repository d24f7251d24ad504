"""AgentSupervisor: the server extension starts one studio agent, watches it and respawns it."""

from __future__ import annotations

import errno
import fcntl
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from .paths import PRIVATE_UMASK, package_env, private_dir, private_open
from .settings import StudioSettings

# runner/agent.py exits with this code when another agent already holds the lock file.
EXIT_LOCK_HELD = 3

MAX_BACKOFF_SECONDS = 60.0
# An agent that ran this long before dying was healthy; its death does not grow the backoff.
HEALTHY_RUN_SECONDS = 60.0


def lock_is_held(lock_file: Path) -> bool:
    """True when some process holds an exclusive flock on `lock_file` (the live agent does)."""
    private_dir(lock_file.parent)
    with private_open(lock_file, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return True
            raise
        # We got it, so nobody had it: let go at once (closing also releases) for the agent.
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


class AgentSupervisor:
    """Keeps one studio agent running for a STUDIO_HOME.

    The agent runs in its own session (start_new_session) so that a kill -9 of the Jupyter server
    leaves it and its jobs running; the next server finds the lock held and only watches. A clean
    server stop terminates the agent this supervisor started (and only that one).

    `classes` maps the agent's class options to import paths, e.g. {"executor":
    "pkg.mod.MyExecutor", "job-service": ...} becomes `--executor-class pkg.mod.MyExecutor ...`, so
    the agent uses the classes the server was configured with.
    """

    def __init__(self, settings: StudioSettings, *, warm_pool: int = 2, check_interval: float = 3.0,
                 python: str = sys.executable, log: logging.Logger | None = None,
                 extra_args: list[str] | None = None, classes: Mapping[str, str] | None = None):
        self.settings = settings
        self.warm_pool = warm_pool
        self.classes = dict(classes or {})
        self.check_interval = check_interval
        self.python = python
        self.log = log or logging.getLogger("studio_ext.supervisor")
        self.extra_args = list(extra_args or [])
        self.lock_file = settings.home / "agent.lock"
        self.log_file = settings.home / "agent.log"
        self.proc: subprocess.Popen | None = None
        self.spawns = 0
        self._started_at = 0.0
        self._failures = 0
        self._next_spawn_at = 0.0
        self._watching_foreign = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public

    def command(self) -> list[str]:
        s = self.settings
        return [self.python, "-m", "studio_ext.runner.agent",
                "--home", str(s.home), "--db-url", s.db_url, "--mlflow-tracking-uri", s.mlflow_tracking_uri,
                "--server-root", str(s.server_root), "--lock-file", str(self.lock_file),
                "--warm-pool", str(self.warm_pool),
                *(arg for option, name in self.classes.items() for arg in (f"--{option}-class", name)),
                *self.extra_args]

    def start(self) -> None:
        """Check once now (so the agent starts with the server), then every check_interval."""
        self.check()
        self._thread = threading.Thread(target=self._loop, name="studio-agent-supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop watching and SIGTERM the agent we started; SIGKILL it if it lingers."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.check_interval + 5)
        with self._lock:
            proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        self.log.info("studio: stopping the studio agent (pid %s)", proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.log.warning("studio: agent pid %s ignored SIGTERM for %.0fs; killing it", proc.pid, timeout)
            proc.kill()
            proc.wait(5)

    @property
    def pid(self) -> int | None:
        proc = self.proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def check(self) -> None:
        """One supervision step: reap a dead agent, respawn it unless another agent holds the lock."""
        with self._lock:
            if self._stop.is_set():
                return
            now = time.monotonic()
            if self.proc is not None:
                code = self.proc.poll()
                if code is None:
                    return
                ran = now - self._started_at
                self.proc = None
                if code == EXIT_LOCK_HELD:
                    self.log.info("studio: another studio agent holds %s; watching it", self.lock_file)
                    self._watching_foreign = True
                else:
                    self._failures = 1 if ran >= HEALTHY_RUN_SECONDS else self._failures + 1
                    delay = min(MAX_BACKOFF_SECONDS, 2.0 ** (self._failures - 1))
                    self._next_spawn_at = now + delay
                    self.log.warning("studio: the studio agent exited with code %s after %.0fs; restarting it "
                                     "in %.0fs (see %s)", code, ran, delay, self.log_file)
            if now < self._next_spawn_at:
                return
            if lock_is_held(self.lock_file):
                if not self._watching_foreign:
                    self.log.info("studio: a studio agent already runs for %s; watching it", self.settings.home)
                    self._watching_foreign = True
                return
            if self._watching_foreign:
                self.log.warning("studio: the studio agent we were watching is gone; starting one")
                self._watching_foreign = False
            self._spawn()

    # ------------------------------------------------------------------ internals

    def _loop(self) -> None:
        while not self._stop.wait(self.check_interval):
            try:
                self.check()
            except Exception:  # keep supervising whatever one step hit (disk full, EMFILE, ...)
                self.log.exception("studio: agent supervision step failed")

    def _spawn(self) -> None:
        env = package_env()  # the agent must import the same studio_ext as this server
        env["STUDIO_HOME"] = str(self.settings.home)
        env.update(self.settings.child_env())
        private_dir(self.log_file.parent)
        with private_open(self.log_file, "ab") as log_fh:
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT,
                env=env, cwd=str(self.settings.home),
                # Own session: a kill -9 (or Ctrl-C) of the server must not take the agent and its
                # jobs with it; the database and the lock let the next server find it again.
                start_new_session=True, close_fds=True, umask=PRIVATE_UMASK,
            )
        self._started_at = time.monotonic()
        if self.spawns:
            self.log.info("studio: restarted the studio agent (pid %s)", self.proc.pid)
        else:
            self.log.info("studio: started the studio agent (pid %s), log %s", self.proc.pid, self.log_file)
        self.spawns += 1
