"""Jobs through the SDK: `studio.jobs.run(...)` returns a Job to wait on, read and stop."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..schemas import DescribeJob, JobLogs, JobOutput, JobStatus
from . import widgets
from .errors import JobFailed, JobStopped, WaitTimeout

if TYPE_CHECKING:
    from .client import Studio


class Job:
    """A handle on one job. Attributes of its description (name, kind, status_reason, progress,
    parameters, ...) are readable directly; `status` and `outputs` fetch the latest state."""

    def __init__(self, studio: Studio, job_id: str, description: DescribeJob | None = None):
        self._studio = studio
        self.job_id = job_id
        self._description = description

    # ----------------------------------------------------------------- state

    def refresh(self) -> Job:
        """Fetch the latest description from the server; returns self."""
        data = self._studio._http.get(f"jobs/{quote(self.job_id, safe='')}")
        self._description = DescribeJob.model_validate(data)
        return self

    def describe(self) -> DescribeJob:
        """The job's full, fresh description (schemas.DescribeJob)."""
        return self.refresh()._description  # type: ignore[return-value]

    @property
    def status(self) -> JobStatus:
        """The current status (asks the server each time)."""
        return self.describe().status

    @property
    def outputs(self) -> list[JobOutput]:
        """The job's output files (executed notebook, HTML, log, files the job wrote)."""
        return self._latest().outputs

    @property
    def mlflow_run_id(self) -> str | None:
        """The MLflow run of this job (set once the agent starts it)."""
        description = self._latest()
        if description.mlflow_run_id is None and not description.status.is_terminal:
            description = self.describe()
        return description.mlflow_run_id

    def _latest(self) -> DescribeJob:
        # A terminal job no longer changes: reuse what we have rather than asking again.
        if self._description is None or not self._description.status.is_terminal:
            return self.describe()
        return self._description

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not defined here: delegate to the description.
        if name.startswith("_") or name not in DescribeJob.model_fields:
            raise AttributeError(name)
        return getattr(self._latest(), name)

    def __repr__(self) -> str:
        status = self._description.status.value if self._description else "?"
        return f"<Job {self.job_id} {status}>"

    def _repr_html_(self) -> str:
        return widgets.job_html(self._latest())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and other.job_id == self.job_id

    def __hash__(self) -> int:
        return hash(self.job_id)

    # ----------------------------------------------------------------- waiting

    def wait(self, timeout: float | None = None, poll: float = 1.0, show_progress: bool | None = None,
             raise_on_failure: bool = True,
             on_update: Callable[[DescribeJob], None] | None = None) -> Job:
        """Block until the job is Completed, Failed or Stopped; returns self.

        Args:
            timeout: seconds to wait at most (None: forever); WaitTimeout after that, the job
                keeps running.
            poll: seconds between status checks.
            show_progress: in a notebook, a live progress bar (ipywidgets; the default there);
                elsewhere, True prints a line whenever the status or the cell count changes.
            raise_on_failure: raise JobFailed (Failed) or JobStopped (Stopped) with the reason.
            on_update: called with each fresh description (what the CLI's progress bar uses).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        last_line = None
        bar = None
        if show_progress is not False and widgets.in_notebook():
            bar, show_progress = widgets.JobProgressBar(), False
        while True:
            description = self.describe()
            if on_update is not None:
                on_update(description)
            if bar is not None:
                bar.update(description)
            if show_progress:
                line = _progress_line(description)
                if line != last_line:
                    print(line, file=sys.stdout, flush=True)
                    last_line = line
            if description.status.is_terminal:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"job {self.job_id} is still {description.status.value} after {timeout:g} s")
            time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))
        if raise_on_failure and description.status is JobStatus.FAILED:
            raise JobFailed(f"job {self.job_id} ({description.name}) failed: "
                            f"{description.status_reason or 'no reason given'}", description)
        if raise_on_failure and description.status is JobStatus.STOPPED:
            raise JobStopped(f"job {self.job_id} ({description.name}) was stopped: "
                             f"{description.status_reason or 'no reason given'}", description)
        return self

    # ----------------------------------------------------------------- logs and files

    def read_logs(self, offset: int = 0) -> JobLogs:
        """One slice of the live log from byte `offset` (see JobLogs.next_offset, .complete)."""
        data = self._studio._http.get(f"jobs/{quote(self.job_id, safe='')}/logs", offset=offset)
        return JobLogs.model_validate(data)

    def logs(self) -> str:
        """The whole log as it is now."""
        chunks, offset = [], 0
        while True:
            part = self.read_logs(offset)
            chunks.append(part.content)
            if part.complete or part.next_offset <= offset:
                break
            offset = part.next_offset
        return "".join(chunks)

    def follow_logs(self, poll: float = 1.0) -> Iterator[str]:
        """Yield new log text as it is written, until the job ends and the log is read to its end."""
        offset = 0
        while True:
            part = self.read_logs(offset)
            if part.content:
                yield part.content
            if part.complete:
                return
            if part.next_offset <= offset:
                time.sleep(poll)
            offset = part.next_offset

    def download(self, name: str, dest: str | os.PathLike | None = None) -> Path:
        """Save one output (e.g. 'output.ipynb') to `dest` (a file path, or an existing folder;
        default: the current folder). Returns the written path."""
        response = self._studio._http.request(
            "GET", f"jobs/{quote(self.job_id, safe='')}/outputs/{quote(name, safe='/')}", stream=True)
        target = Path(dest) if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        with response, open(target, "wb") as fh:
            shutil.copyfileobj(response.raw, fh)
        return target

    # ----------------------------------------------------------------- actions

    def stop(self) -> Job:
        """Ask the job to stop (Queued jobs stop at once; running ones go through Stopping)."""
        self._studio._http.post(f"jobs/{quote(self.job_id, safe='')}/stop")
        return self

    def delete(self) -> None:
        """Delete the job and its files (stop it first if it is running)."""
        self._studio._http.delete(f"jobs/{quote(self.job_id, safe='')}")


def _progress_line(d: DescribeJob) -> str:
    p = d.progress
    parts = [f"[{d.job_id}] {d.status.value}"]
    if p.cells_total:
        parts.append(f"cells {p.cells_done}/{p.cells_total}")
        if p.current_cell is not None and not d.status.is_terminal:
            parts.append(f"cell {p.current_cell}: {p.current_cell_source or ''}".rstrip(": "))
    elif p.percent is not None:
        parts.append(f"{p.percent:.0f}%")
    if d.status.is_terminal and d.status_reason:
        parts.append(d.status_reason)
    return " | ".join(parts)


class JobsClient:
    """`studio.jobs`: run, get and list jobs."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def run(self, input: str | os.PathLike, parameters: dict[str, Any] | None = None, *,
            instance_type: str | None = None, instance_count: int | None = None, timeout_seconds: int | None = None,
            max_retries: int | None = None, environment: dict[str, str] | None = None,
            tags: dict[str, str] | None = None, experiment_name: str | None = None,
            name: str | None = None, kind: str | None = None, idempotency_token: str | None = None,
            channels: dict[str, Any] | None = None, wait: bool = False, show_progress: bool | None = None) -> Job:
        """Submit a notebook (.ipynb) or script (.py) as a job.

        `input` is a path relative to the server root, or a local path (absolute, or relative to
        the current folder) of a file under the server root. Omitted options get the server's
        defaults (local.small, 24 h timeout, no retries). `channels` (a script): name -> a path
        under the server root, passed as SM_CHANNEL_<NAME> (SageMaker script mode).
        `instance_count` > 1 (a script): one process per instance in a torch.distributed group
        (RANK, WORLD_SIZE, MASTER_ADDR/PORT as torchrun sets them). With wait=True, returns once
        the job ended, raising JobFailed if it failed.
        """
        body: dict[str, Any] = {"input": self._studio.server_path(input)}
        optional = {
            "parameters": parameters, "instance_type": instance_type, "instance_count": instance_count,
            "timeout_seconds": timeout_seconds, "max_retries": max_retries,
            "environment": environment, "tags": tags, "experiment_name": experiment_name,
            "name": name, "kind": kind, "idempotency_token": idempotency_token,
            "channels": {k: self._studio.server_path(v) for k, v in channels.items()} if channels else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        job_id = self._studio._http.post("jobs", body)["job_id"]
        job = Job(self._studio, job_id)
        if wait:
            job.wait(show_progress=show_progress)
        return job

    def get(self, job_id: str) -> Job:
        """The job with this id (NotFound if there is none); an algorithm job is a TrainingJob."""
        job = Job(self._studio, job_id).refresh()
        if job.kind == "algorithm":
            from .training import TrainingJob

            return TrainingJob(self._studio, job_id, job._description)
        return job

    def iter(self, *, status: str | JobStatus | None = None, name: str | None = None,
             kind: str | None = None, instance_type: str | None = None,
             job_definition_id: str | None = None, sort_by: str | None = None,
             page_size: int = 100) -> Iterator[Job]:
        """Every matching job, newest first by default, fetched page by page."""
        token = None
        while True:
            data = self._studio._http.get(
                "jobs", status=_value(status), name=name, kind=kind, instance_type=instance_type,
                job_definition_id=job_definition_id, sort_by=sort_by, max_items=page_size,
                next_token=token)
            for item in data.get("items", []):
                description = DescribeJob.model_validate(item)
                yield Job(self._studio, description.job_id, description)
            token = data.get("next_token")
            if not token:
                return

    def list(self, *, status: str | JobStatus | None = None, name: str | None = None,
             kind: str | None = None, instance_type: str | None = None,
             job_definition_id: str | None = None, sort_by: str | None = None,
             max_items: int = 100) -> list[Job]:
        """Up to `max_items` matching jobs (filters as in GET /studio/api/jobs)."""
        jobs = []
        for job in self.iter(status=status, name=name, kind=kind, instance_type=instance_type,
                             job_definition_id=job_definition_id, sort_by=sort_by,
                             page_size=min(max_items, 1000)):
            jobs.append(job)
            if len(jobs) >= max_items:
                break
        return jobs


def _value(x: Any) -> Any:
    return x.value if hasattr(x, "value") else x
