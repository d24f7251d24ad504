"""The launcher contract: how one job kind runs inside a job process (prepare / run / result).

A launcher only executes. The job process's template (worker.py: before_start, execute,
on_failure, on_complete) does the bookkeeping around it for every kind alike: it begins the
attempt, writes the log banners, opens and closes the MLflow run, builds the environment, runs the
Guard (stop requests, timeout, memory limit, heartbeat), and writes the result file and the final
status. A new kind (a built-in algorithm, a torchrun group) is one new module in this package
with one BaseLauncher subclass that sets `kind`; the package finds it (launchers/__init__.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TextIO

from ...paths import INPUT_DIR, LOG_NAME, OUTPUT_DIR
from ...schemas import JobKind, JobStatus
from ...settings import StudioSettings
from ...store import orm


@dataclass
class Outcome:
    """How an attempt ended: the status the template records, why, and the exit code if any."""

    status: JobStatus
    reason: str | None = None
    exit_code: int | None = None


@dataclass
class Attempt:
    """One attempt of one job, as the template prepared it for the launcher."""

    job: orm.Job  # the row as the attempt began (detached): kind, input_path, parameters, ...
    job_dir: Path
    log: TextIO  # the job log, line-buffered, for `[studio] ...` lines (the launcher's own)
    env: dict[str, str]  # what the job's processes get on top of the inherited environment
    cpus: list[int] | None  # the CPU set the job is pinned to (None: all of them)
    memory_limit_mib: int | None  # the instance type's memory (the Guard enforces it)
    progress: Callable[[dict[str, Any]], None]  # best-effort progress write (never raises)
    mlflow_experiment_id: str | None = None
    mlflow_run_id: str | None = None

    @property
    def input_file(self) -> Path:
        """The snapshot of the job's input (the notebook or the script)."""
        return self.job_dir / INPUT_DIR / Path(self.job.input_path).name

    @property
    def output_dir(self) -> Path:
        return self.job_dir / OUTPUT_DIR

    @property
    def log_path(self) -> Path:
        return self.job_dir / LOG_NAME


_REGISTRY: dict[JobKind, type[BaseLauncher]] = {}


class BaseLauncher(ABC):
    """Runs the attempts of one job kind, one at a time, inside one job process.

    A job process builds one instance of every launcher (`launcher_class(settings)`), calls
    `warm_up()` on each before its first job, and `close()` on each when it exits. For each
    attempt of the launcher's kind the template calls, in this order:

    1. `prepare(attempt)`: start what the job runs in (the kernel, the script's process) with the
       attempt's environment, working folder and CPU set, so that `pid()` names it. Nothing of
       the Guard runs yet. May raise: the attempt then fails with "job process error: ..." (and
       the template calls `close()`, and the job process exits after the attempt).
    2. `run(attempt)`: block until the job's code has ended: normally, failing, or because the
       Guard interrupted or killed `pid()`'s process tree. A failure of the user's code is not an
       exception: remember it for `result`. Raise only for a bug of the launcher (handled as in 1).
       While it runs, the Guard calls `pid()`, `interrupt()` and `kill()` from its own thread.
    3. `result(attempt)`: release what `prepare` started (a kernel must be shut down here, before
       the template closes the MLflow run: its atexit would overwrite the run's status), write
       the kind's outputs (the executed notebook's HTML), and say how the user's code ended:
       Completed, or Failed with a reason a person can act on (the failing cell, the exit code
       and the script's last stderr line). Should not raise.

    Who writes statuses: NOT the launcher. It never touches the job row's status (only progress,
    through `attempt.progress`); the template turns the Outcome into the final status, and
    overrides it when the Guard ended the job (timeout, memory: Failed with the Guard's reason;
    a stop request: Stopped), keeping the launcher's exit code.
    """

    #: The job kind this launcher runs; setting it registers the class (one per kind).
    kind: ClassVar[JobKind]
    #: Whether the job process may take another job after an attempt of this kind (a notebook
    #: attempt uses up the warm kernel, so its job process exits and a fresh one replaces it).
    reusable: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None:
            other = _REGISTRY.get(kind)
            if other is not None and other is not cls:
                raise TypeError(f"two launchers for job kind {kind}: {other.__qualname__} and "
                                f"{cls.__qualname__}")
            _REGISTRY[kind] = cls

    def __init__(self, settings: StudioSettings) -> None:
        self.settings = settings

    def warm_up(self) -> None:  # noqa: B027 (an optional hook: a no-op unless overridden)
        """Before any job arrives: import and initialise what every attempt of this kind needs
        (and start a kernel for the first one), so a job starts in well under a second."""

    @abstractmethod
    def prepare(self, attempt: Attempt) -> None:
        """Step 1 (see the class docstring)."""

    @abstractmethod
    def run(self, attempt: Attempt) -> None:
        """Step 2 (see the class docstring)."""

    @abstractmethod
    def result(self, attempt: Attempt) -> Outcome:
        """Step 3 (see the class docstring)."""

    @abstractmethod
    def pid(self) -> int | None:
        """The process whose tree is the job (the Guard measures its memory); None before
        `prepare` started it."""

    @abstractmethod
    def interrupt(self) -> None:
        """A stop was requested: ask the job to stop politely (the Guard kills it STOP_GRACE_S
        later if it did not). Must not raise; a no-op when nothing runs."""

    @abstractmethod
    def kill(self) -> None:
        """End the job's process tree now (timeout, memory limit, an ignored stop). Must not
        raise; a no-op when nothing runs."""

    def close(self) -> None:  # noqa: B027 (an optional hook: a no-op unless overridden)
        """The job process exits: release what `warm_up` or an attempt left (a kernel)."""


def registered_launchers() -> dict[JobKind, type[BaseLauncher]]:
    """Job kind -> launcher class, of the launcher modules imported so far (see __init__)."""
    return dict(_REGISTRY)
