"""Batch transform jobs: score files with a registered model."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ._base import _Model
from .jobs import JobStatus
from .limits import MAX_NAME, InputPath


class CreateTransformJob(_Model):
    """Score files with a registered model: `input` is a CSV, JSON Lines or Parquet file, or a folder
    of them, relative to the server root; outputs land in `output` (a folder, relative to the root)."""

    model: InputPath = Field(description="models:/<name>/<version> or models:/<name>@<alias>")
    input: InputPath
    output: InputPath | None = Field(default=None, description="default: transform-output/<transform_job_id>")
    format: str | None = Field(default=None, pattern=r"^(csv|jsonl|parquet)$",
                               description="default: from each file's extension")
    join_input: bool = Field(default=False, description="write the input columns before the prediction")
    instance_type: str = Field(default="local.medium", max_length=MAX_NAME,
                               description="its vCPUs are the worker processes")
    chunk_mib: float = Field(default=8.0, gt=0, le=1024)


class DescribeTransformJob(_Model):
    transform_job_id: str
    status: JobStatus
    status_reason: str | None = None
    model: str
    model_version: str | None = None
    input: str
    output: str
    format: str | None = None
    join_input: bool = False
    instance_type: str
    files_total: int = 0
    files_done: int = 0
    rows_done: int = 0
    outputs: list[str] = Field(default_factory=list)
    created_by: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None


class ListTransformJobsResponse(_Model):
    items: list[DescribeTransformJob]
    next_token: str | None = None
