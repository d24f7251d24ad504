"""Experiments and runs: the studio's JSON views of what MLflow owns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ._base import MAX_PAGE_SIZE, _Model
from .jobs import DescribeJob
from .limits import PageToken

# MLflow owns this data; these are the studio's JSON views of it. Times are ISO datetimes, metrics
# are numbers or null (never NaN), params and tags are strings.


class ViewType(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    ALL = "all"


class ListExperimentsQuery(_Model):
    name: str | None = Field(default=None, description="substring of the experiment name")
    view: ViewType = ViewType.ACTIVE
    order_by: str | None = Field(default=None, description="MLflow order, e.g. 'name ASC' or "
                                                           "'last_update_time DESC'; comma-separated")
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: PageToken | None = None


class DescribeExperiment(_Model):
    experiment_id: str
    name: str
    artifact_location: str | None = None
    lifecycle_stage: str
    tags: dict[str, str] = Field(default_factory=dict)
    creation_time: datetime | None = None
    last_update_time: datetime | None = None


class ListExperimentsResponse(_Model):
    items: list[DescribeExperiment]
    next_token: str | None = None


class SearchRunsQuery(_Model):
    """GET /studio/api/experiments/{id}/runs: MLflow's search syntax, paged by MLflow's token."""

    filter: str | None = Field(default=None, description="MLflow search syntax, e.g. "
                                                         "\"metrics.acc > 0.9 and params.lr = '0.1'\"")
    order_by: str | None = Field(default=None, description="e.g. 'metrics.acc DESC'; comma-separated "
                                                           "for several keys; default start_time DESC")
    view: ViewType = ViewType.ACTIVE
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: PageToken | None = None


class RunSummary(_Model):
    """One row of the runs table."""

    run_id: str
    name: str | None = None
    experiment_id: str
    status: str = Field(description="RUNNING | SCHEDULED | FINISHED | FAILED | KILLED")
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration_seconds: float | None = Field(default=None, description="end (or now, if running) - start")
    job_id: str | None = Field(default=None, description="the studio job that produced the run (tag studio.job_id)")
    user_id: str | None = None
    lifecycle_stage: str = "active"
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float | None] = Field(default_factory=dict, description="latest value of each metric")
    tags: dict[str, str] = Field(default_factory=dict)


class SearchRunsResponse(_Model):
    items: list[RunSummary]
    next_token: str | None = None


class DescribeRun(RunSummary):
    artifact_uri: str | None = None
    job: DescribeJob | None = Field(default=None, description="the producing job, if it still exists")
    job_notebook: str | None = Field(default=None, description="API path of the job's executed notebook, "
                                                               "e.g. 'jobs/<id>/outputs/output.ipynb'")
    job_notebook_html: str | None = None
    reproduces_job_id: str | None = None
    reproduces_run_id: str | None = None


class MetricPoint(_Model):
    step: int
    value: float | None
    timestamp: datetime | None = None


class MetricHistory(_Model):
    run_id: str
    key: str
    points: list[MetricPoint]


class ListArtifactsQuery(_Model):
    """GET /studio/api/runs/{run_id}/artifacts: a folder lists, a file streams."""

    path: str = Field(default="", description="relative to the run's artifact root; '' is the root")
    download: bool = Field(default=False, description="for a file: answer as an attachment")


class ArtifactInfo(_Model):
    path: str
    is_dir: bool
    file_size: int | None = None


class LoggedModelInfo(_Model):
    """A model the run logged with MLflow 3's log_model: it lives under the experiment's
    models/m-... (not among the run's artifacts); register it by `name` as the artifact path."""

    model_id: str
    name: str
    model_uri: str = Field(description="models:/<model_id>")
    artifact_uri: str | None = None


class ListArtifactsResponse(_Model):
    run_id: str
    path: str
    root_uri: str | None = None
    items: list[ArtifactInfo]
    logged_models: list[LoggedModelInfo] = Field(default_factory=list,
                                                 description="at the root only: the models the run logged")


class CompareRunsQuery(_Model):
    run_ids: str = Field(min_length=1, description="comma-separated run ids (2 to 50)")


class CompareRow(_Model):
    key: str
    values: list[Any] = Field(description="one value per run, in run_ids order (null where absent)")
    differs: bool


class CompareRuns(_Model):
    run_ids: list[str]
    runs: list[RunSummary]
    params: list[CompareRow]
    metrics: list[CompareRow]
