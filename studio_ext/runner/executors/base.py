"""The executor contract: where job processes come from. The agent drives one per process.

An operator picks the class by import path (`studio agent --executor-class pkg.mod.Class`, or
`c.StudioApp.executor_class` for the agent the server supervises); a new executor (Dask) is one
new module in this package implementing BaseExecutor, and nothing else changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Protocol

from ...settings import StudioSettings


class JobWorker(Protocol):
    """A job process that can take one job, as the executor hands it to the agent."""

    @property
    def pid(self) -> int:
        """The local process id the job will run in. The agent records it (with the process's
        creation time) on the job row when it claims the job, and later tells from it alone
        whether the job is still running: it must live exactly as long as the job does."""
        ...

    def assign(self, job_id: str) -> bool:
        """Hand the job over (non-blocking). False when the process is already gone: the agent
        then puts the job back in the queue. After True the job process owns the job: it moves
        it from Starting to InProgress and writes its progress and final status itself."""
        ...


class BaseExecutor(ABC):
    """Where job processes come from: started, kept warm, handed one job each, and let go.

    What the agent calls, always from its one loop thread (no locking needed):
      - `start()` once when the agent starts, before its first tick;
      - every tick: `poll()`, then for each queued job that has a free slot of its instance
        type, `idle_worker()` and, after the agent claimed the job in the database,
        `worker.assign(job_id)`;
      - `close()` once when the agent stops.
    None of these may block for long: one slow call stalls dispatch, schedules and reconcilers.

    Durability promises every executor keeps:
      - Job processes outlive the agent. `close()` and the agent's death (SIGKILL included) must
        not end a process that has a job: it finishes the job and records the outcome itself.
        Idle processes may go (they hold no job).
      - The database is the source of truth. The executor never writes a job's status and keeps
        nothing the agent needs after a restart: a new agent (this one restarted, or another)
        re-attaches to running jobs from the pid and creation time on the job row, and gives
        an honest status to jobs whose process is gone. An executor's in-memory state is a cache.
      - A job process runs `python -m studio_ext.runner.worker` (see worker.py) against the same
        database, MLflow store and STUDIO_HOME as the agent, importing the same studio_ext.

    Construction: `executor_class(settings, pool_size=N)`; `pool_size` is the `--warm-pool` the
    operator asked for (how many idle, pre-started job processes to keep; 0: none). Settings an
    executor needs beyond these (a cluster address) come from the environment.
    """

    #: Names the studio's config route lists in `features` while this executor is configured
    #: (handlers/config.py; the frontend hides what is missing).
    features: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: StudioSettings, pool_size: int = 2) -> None:
        self.settings = settings
        self.pool_size = max(0, pool_size)

    @abstractmethod
    def start(self) -> None:
        """Prepare capacity before the first job arrives (start the warm pool, connect)."""

    @abstractmethod
    def poll(self) -> None:
        """Once per tick: learn what the job processes said, forget those that exited, and top the
        pool up. Must not raise for a process that died: the agent's reconcile handles its job."""

    @abstractmethod
    def idle_worker(self) -> JobWorker | None:
        """A job process that can take a job now (or as soon as it is ready: `assign` may be
        called on one still warming up, which then starts the job once warm). None when there is
        no capacity this tick; the job waits in the queue for the next one."""

    @abstractmethod
    def busy_jobs(self) -> dict[str, int]:
        """job id -> pid of the jobs this executor handed out and whose process still runs them."""

    @abstractmethod
    def close(self) -> None:
        """The agent stops: let idle processes go; leave busy ones running (see above)."""
