"""Errors the SDK raises on its own (the server's errors arrive as studio_ext.exceptions classes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exceptions import StudioError

if TYPE_CHECKING:
    from ..schemas import DescribeJob


class JobFailed(StudioError):
    """Job.wait(): the job ended Failed. `.job` is its final description, `.reason` the cause
    (the failing cell and error for a notebook, the exit code for a script, the timeout...)."""

    error_code = "JobFailed"

    def __init__(self, message: str, job: DescribeJob | None = None):
        super().__init__(message)
        self.job = job
        self.reason = job.status_reason if job is not None else None


class JobStopped(JobFailed):
    """Job.wait(): the job ended Stopped (someone stopped it). A JobFailed too: it did not complete."""

    error_code = "JobStopped"


class WaitTimeout(StudioError, TimeoutError):
    """Job.wait(timeout=...) ran out of time; the job itself keeps running."""

    error_code = "WaitTimeout"


class TransformFailed(StudioError):
    """TransformJob.wait(): the batch transform ended Failed. `.reason` names the bad row's file,
    row and column (or why the model or the input could not be read)."""

    error_code = "TransformFailed"

    def __init__(self, message: str, transform_job=None):
        super().__init__(message)
        self.transform_job = transform_job
        self.reason = transform_job.status_reason if transform_job is not None else None


class TuningFailed(StudioError):
    """TuningJob.wait(): the tuning job ended Failed (its first trials all failed, or none
    completed). `.tuning_job` is its final description, `.reason` the cause with the first trial's
    error."""

    error_code = "TuningFailed"

    def __init__(self, message: str, tuning_job=None):
        super().__init__(message)
        self.tuning_job = tuning_job
        self.reason = tuning_job.status_reason if tuning_job is not None else None
