"""Jobs: a notebook or script run once (create, describe, list, logs, outputs, parameters)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from ._base import MAX_PAGE_SIZE, _Model
from .algorithms import Channel, TrainingResult, TrainingSpec
from .limits import MAX_NAME, Environment, InputPath, PageToken, Parameters, Tags


class JobStatus(StrEnum):
    """Queued -> Starting -> InProgress -> Completed | Failed | Stopping -> Stopped."""

    QUEUED = "Queued"
    STARTING = "Starting"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_JOB_STATUSES

    @property
    def is_active(self) -> bool:
        """Holds a slot: a process exists (or is about to) for the job."""
        return self in (JobStatus.STARTING, JobStatus.IN_PROGRESS, JobStatus.STOPPING)


TERMINAL_JOB_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED})


class JobKind(StrEnum):
    NOTEBOOK = "notebook"
    SCRIPT = "script"
    ALGORITHM = "algorithm"  # a built-in algorithm trained on channels (studio_ext/algorithms)




DEFAULT_INSTANCE_TYPE = "local.small"
DEFAULT_TIMEOUT_SECONDS = 24 * 3600


class JobProgress(_Model):
    """Per-cell progress of a notebook job (cells_total counts code cells only).
    Script jobs report percent=None until they finish."""

    cells_done: int = 0
    cells_total: int = 0
    current_cell: int | None = Field(default=None, description="index of the executing cell in the notebook")
    current_cell_source: str | None = Field(default=None, description="first line of that cell")
    percent: float | None = None


class JobOutput(_Model):
    name: str = Field(description="file name relative to the job's output folder, e.g. 'output.ipynb'")
    size: int
    kind: str = Field(description="notebook | html | log | file")


class CreateJob(_Model):
    """POST /studio/api/jobs. Omitted fields get the defaults shown here. A notebook or script job
    names its `input`; an algorithm job (`kind: algorithm`) names its `algorithm` and `channels`
    instead, its `hyperparameters`, and optionally `register_as`."""

    name: str | None = Field(default=None, max_length=200,
                             description="default: the input file's stem, or the algorithm's name")
    kind: JobKind | None = Field(default=None, description="default: notebook for .ipynb, script for .py, "
                                                           "algorithm when `algorithm` is given")
    input: InputPath | None = Field(default=None, description="path of the notebook or script, relative to the "
                                                               "server root (not for an algorithm job)")
    algorithm: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="a built-in algorithm (GET /studio/api/algorithms)")
    hyperparameters: Parameters = Field(default_factory=dict, description="the algorithm's hyperparameters")
    channels: dict[str, InputPath | Channel] = Field(default_factory=dict, max_length=8,
                                                     description="the data: channel name -> a path under the "
                                                                 "server root, or {path, label, content_type}; a "
                                                                 "script gets each as SM_CHANNEL_<NAME>")
    register_as: str | None = Field(default=None, min_length=1, max_length=256,
                                    description="register the trained model under this name")
    checkpoint: bool = Field(default=False, description="keep checkpoints across attempts (SM_CHECKPOINT_DIR): a "
                                                        "torch algorithm saves one every epoch and a retried or "
                                                        "killed job resumes from it; a script does the same with "
                                                        "SM_CHECKPOINT_DIR")
    parameters: Parameters = Field(default_factory=dict)
    instance_type: str = Field(default=DEFAULT_INSTANCE_TYPE, max_length=MAX_NAME)
    instance_count: int = Field(default=1, ge=1, le=16,
                                description="instances that train together: a script job or a torch algorithm "
                                            "runs as a torch.distributed group of one process per instance (RANK, "
                                            "WORLD_SIZE, MASTER_ADDR/PORT as torchrun sets them), each on its own "
                                            "CPUs of the instance type; at most the type's max_concurrent")
    timeout_seconds: int = Field(default=DEFAULT_TIMEOUT_SECONDS, ge=1, le=30 * 24 * 3600)
    max_retries: int = Field(default=0, ge=0, le=10)
    environment: Environment = Field(default_factory=dict)
    tags: Tags = Field(default_factory=dict)
    experiment_name: str | None = Field(default=None, max_length=MAX_NAME, description="default: the job's name")
    idempotency_token: str | None = Field(default=None, max_length=200)


    @model_validator(mode="after")
    def _input_or_algorithm(self) -> CreateJob:
        algorithm = self.kind == JobKind.ALGORITHM or self.algorithm is not None
        if algorithm:
            if self.input is not None:
                raise ValueError("input: an algorithm job has no input file; give `algorithm` and `channels`")
            if self.algorithm is None:
                raise ValueError("algorithm: field required for an algorithm job (GET /studio/api/algorithms)")
            if not self.channels:
                raise ValueError("channels: an algorithm job needs at least its `train` channel")
        else:
            if self.input is None:
                raise ValueError("input: field required (or give `algorithm` and `channels` for an algorithm job)")
            for name, given in (("hyperparameters", self.hyperparameters), ("register_as", self.register_as)):
                if given:
                    raise ValueError(f"{name}: only for an algorithm job (kind: algorithm); a notebook or "
                                     "script job takes `parameters`")
        return self


class TrainingInfo(TrainingSpec):
    """The training part of an algorithm job's description, and what it produced once it ended."""

    result: TrainingResult | None = None


class CreateJobResponse(_Model):
    job_id: str


class DescribeJob(_Model):
    job_id: str
    name: str
    kind: JobKind
    status: JobStatus
    status_reason: str | None = None
    progress: JobProgress = Field(default_factory=JobProgress)
    input: str
    instance_type: str
    instance_count: int = Field(default=1, description="instances that train together (a torch.distributed group "
                                                       "of one process per instance)")
    parameters: dict[str, Any]
    environment: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: int
    max_retries: int
    attempt: int = Field(description="1 for the first run, 2 after the first retry, ...")
    experiment_name: str
    mlflow_experiment_id: str | None = None
    mlflow_run_id: str | None = None
    job_definition_id: str | None = None
    exit_code: int | None = None
    outputs: list[JobOutput] = Field(default_factory=list)
    training: TrainingInfo | None = Field(default=None, description="an algorithm job's training")
    created_by: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: float | None = None


class ListJobsQuery(_Model):
    status: JobStatus | None = None
    name: str | None = Field(default=None, description="substring of the job name")
    kind: JobKind | None = None
    instance_type: str | None = None
    job_definition_id: str | None = None
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: PageToken | None = None
    sort_by: str = Field(default="-created_at", description="created_at|name|status, '-' for descending")

    @field_validator("sort_by")
    @classmethod
    def _sort_key(cls, value: str) -> str:
        if value.lstrip("-") not in {"created_at", "name", "status", "started_at", "ended_at"}:
            raise ValueError("must be one of created_at, name, status, started_at, ended_at, optionally prefixed by '-'")
        return value


class ListJobsResponse(_Model):
    items: list[DescribeJob]
    next_token: str | None = None


class JobLogs(_Model):
    """A slice of the live log: read again from next_offset to follow it."""

    content: str
    offset: int
    next_offset: int
    complete: bool = Field(description="true once the job is terminal and the log is read to its end")


class GetJobLogsQuery(_Model):
    """GET /studio/api/jobs/{job_id}/logs: read from byte `offset` (the previous next_offset)."""

    offset: int = Field(default=0, ge=0)
    max_bytes: int = Field(default=1 << 20, ge=1, le=16 << 20)


class GetJobOutputQuery(_Model):
    """GET /studio/api/jobs/{job_id}/outputs/{name}: download=true answers as an attachment."""

    download: bool = False


class NotebookParametersQuery(_Model):
    """GET /studio/api/notebook-parameters: `path` relative to the server root."""

    path: str = Field(min_length=1)


class NotebookParametersResponse(_Model):
    """The parameters cell of a notebook, to prefill the run-as-job form: {name: {default, type}}."""

    path: str
    parameters: dict[str, Any] = Field(default_factory=dict)
