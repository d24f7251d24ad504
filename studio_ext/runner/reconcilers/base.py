"""The reconciler contract, and the detached child processes that reconcilers start and reap."""

from __future__ import annotations

import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from ... import tracking
from ...settings import StudioSettings
from ...store.db import Database
from .. import resources

AgentAlive = Callable[[str | None], bool]  # agent id -> whether that agent still heartbeats


def utcnow() -> datetime:
    return datetime.now(UTC)


class BaseReconciler(ABC):
    """One kind of desired state (endpoints, batch transform jobs, ...) that the agent moves the
    world toward, one pass at a time.

    The agent builds its reconcilers once and calls `reconcile()` from its loop, on its own
    thread, every `interval_s` seconds. A pass:
      - reads the desired state from the database and acts on the difference; it is idempotent,
        so a pass that did half its work is finished by the next one;
      - decides with conditional writes: several agents may share one database, so it claims what
        it acts on (`agent_id` as the owner) and leaves alone what a live agent owns
        (`agent_alive`), adopting the work of a dead one;
      - never waits for long work: it starts processes detached (they outlive the agent) and
        checks them on later passes by pid + create time, never by a handle alone;
      - keeps in memory only what it can lose: a restarted agent re-attaches from the database.
    A pass that raises is logged by the agent and tried again at the next interval; it never ends
    the agent, nor keeps the other reconcilers from running.

    Args:
        db: this agent's database.
        settings: the studio's settings (home, tracking URI, instance types).
        agent_id: this agent's id, written as the owner of what it claims.
        agent_alive: agent id -> whether that agent still heartbeats (what it owns is its own).
    """

    interval_s: ClassVar[float] = 1.0

    def __init__(self, db: Database, settings: StudioSettings, agent_id: str, agent_alive: AgentAlive):
        self.db = db
        self.settings = settings
        self.agent_id = agent_id
        self.agent_alive = agent_alive
        self._mlflow_client: Any = None

    @abstractmethod
    def reconcile(self) -> None:
        """One pass over everything of this kind. Trouble with one item is logged and must not
        stop the pass over the others."""

    def mlflow_client(self) -> Any:
        """An MlflowClient on the studio's tracking store, which is the model registry too (whatever
        MLFLOW_REGISTRY_URI the agent inherited); built on first use (a local store is created and
        migrated once, under a lock)."""
        if self._mlflow_client is None:
            self._mlflow_client = tracking.client(self.settings.mlflow_tracking_uri, self.settings.home,
                                                  self.settings.mlflow_registry_uri)
        return self._mlflow_client


class ChildProcesses:
    """The processes one reconciler started. They run detached (own session, no pipes) so they
    keep going when the agent or the server dies; the handles are kept only to reap them."""

    def __init__(self) -> None:
        self._procs: dict[str, resources.DetachedPopen] = {}

    def start(self, key: str, cmd: list[str], log_file: Path, cwd: Path, env: dict[str, str],
              header: str | None = None) -> resources.DetachedPopen:
        """Start `cmd` with stdout and stderr appended to `log_file` (after `header`, if given). A
        restart under the same key reaps the handle it replaces (a dropped, unreaped handle would
        leave a zombie and warn from Popen.__del__)."""
        self._reap_one(self._procs.pop(key, None))
        with open(log_file, "ab") as fh:
            if header:
                fh.write(header.encode())
                fh.flush()
            proc = resources.DetachedPopen(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env,
                                 cwd=str(cwd), start_new_session=True, close_fds=True)
        self._procs[key] = proc
        return proc

    def reap(self) -> None:
        """Forget the children that exited: a dead child must not linger as a zombie."""
        for key, proc in list(self._procs.items()):
            if proc.poll() is not None:
                del self._procs[key]

    def end(self, key: str, pid: int | None, create_time: float | None) -> None:
        """Kill the process tree of `pid` (2 s grace) if it still runs, and reap it if it is ours."""
        if pid and resources.is_alive(pid, create_time):
            resources.kill_tree(pid, grace=2.0)
        self._reap_one(self._procs.pop(key, None))

    @staticmethod
    def _reap_one(proc: subprocess.Popen | None) -> None:
        if proc is not None:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
