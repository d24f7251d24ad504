"""Pydantic models for every request and response, and the status enums.

The REST layer parses requests into these, services return them, the SDK reads them back and the
TypeScript interfaces in labextension/src/handler.ts mirror them. Field docs are the contract.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_PAGE_SIZE = 1000


class _Model(BaseModel):
    # Unknown fields are an error: a typo in a request must not be silently ignored.
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


# ----------------------------------------------------------------------------- enums


class JobStatus(str, Enum):
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


class JobKind(str, Enum):
    NOTEBOOK = "notebook"
    SCRIPT = "script"


class MissedRunPolicy(str, Enum):
    """What a schedule does with the ticks it missed while no agent was running."""

    SKIP = "skip"  # forget them; fire at the next tick in the future
    RUN_ONCE = "run_once"  # fire one run now for all of them, then resume


class AuditOutcome(str, Enum):
    SUCCESS = "Success"
    FAILURE = "Failure"


# ----------------------------------------------------------------------------- instance types


class InstanceType(_Model):
    """A catalog entry: the local executor enforces vcpus (CPU affinity) and memory_mib (RSS limit);
    usage metering prices a job's run time with price_per_hour."""

    name: str
    vcpus: int = Field(ge=1)
    memory_mib: int = Field(ge=64)
    gpus: int = Field(default=0, ge=0)
    price_per_hour: float = Field(default=0.0, ge=0)
    max_concurrent: int = Field(default=2, ge=1, description="concurrency slots on this machine")
    description: str = ""


class ListInstanceTypesResponse(_Model):
    items: list[InstanceType]


# ----------------------------------------------------------------------------- jobs

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
    """POST /studio/api/jobs. Omitted fields get the defaults shown here."""

    name: str | None = Field(default=None, max_length=200, description="default: the input file's stem")
    kind: JobKind | None = Field(default=None, description="default: notebook for .ipynb, script for .py")
    input: str = Field(min_length=1, description="path of the notebook or script, relative to the server root")
    parameters: dict[str, Any] = Field(default_factory=dict)
    instance_type: str = DEFAULT_INSTANCE_TYPE
    timeout_seconds: int = Field(default=DEFAULT_TIMEOUT_SECONDS, ge=1, le=30 * 24 * 3600)
    max_retries: int = Field(default=0, ge=0, le=10)
    environment: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    experiment_name: str | None = Field(default=None, description="default: the job's name")
    idempotency_token: str | None = Field(default=None, max_length=200)

    @field_validator("environment")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not key or "=" in key or "\0" in key:
                raise ValueError(f"invalid environment variable name {key!r}")
        return value


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
    next_token: str | None = None
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


# ----------------------------------------------------------------------------- job definitions (schedules)


class JobTemplate(_Model):
    """The job a schedule creates at each tick (CreateJob without the idempotency token)."""

    name: str | None = Field(default=None, max_length=200)
    kind: JobKind | None = None
    input: str = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    instance_type: str = DEFAULT_INSTANCE_TYPE
    timeout_seconds: int = Field(default=DEFAULT_TIMEOUT_SECONDS, ge=1, le=30 * 24 * 3600)
    max_retries: int = Field(default=0, ge=0, le=10)
    environment: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    experiment_name: str | None = None


class CreateJobDefinition(_Model):
    name: str = Field(min_length=1, max_length=200)
    schedule: str = Field(description="cron expression, 5 fields (minute hour day month weekday)")
    timezone: str = "UTC"
    job: JobTemplate
    paused: bool = False
    max_concurrent_runs: int = Field(default=1, ge=1, le=100)
    missed_run_policy: MissedRunPolicy = MissedRunPolicy.SKIP


class UpdateJobDefinition(_Model):
    """PATCH: only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    schedule: str | None = None
    timezone: str | None = None
    job: JobTemplate | None = None
    paused: bool | None = None
    max_concurrent_runs: int | None = Field(default=None, ge=1, le=100)
    missed_run_policy: MissedRunPolicy | None = None


class CreateJobDefinitionResponse(_Model):
    job_definition_id: str


class DescribeJobDefinition(_Model):
    job_definition_id: str
    name: str
    schedule: str
    timezone: str
    job: JobTemplate
    paused: bool
    max_concurrent_runs: int
    missed_run_policy: MissedRunPolicy
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime


class ListJobDefinitionsQuery(_Model):
    name: str | None = None
    paused: bool | None = None
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: str | None = None
    sort_by: str = "-created_at"

    @field_validator("sort_by")
    @classmethod
    def _sort_key(cls, value: str) -> str:
        if value.lstrip("-") not in {"created_at", "name", "next_run_at"}:
            raise ValueError("must be one of created_at, name, next_run_at, optionally prefixed by '-'")
        return value


class ListJobDefinitionsResponse(_Model):
    items: list[DescribeJobDefinition]
    next_token: str | None = None


# ----------------------------------------------------------------------------- audit


class AuditEvent(_Model):
    event_id: int
    time: datetime
    user: str
    action: str = Field(description="e.g. CreateJob, StopJob, UpdateJobDefinition")
    resource_type: str
    resource_id: str | None = None
    outcome: AuditOutcome
    detail: dict[str, Any] = Field(default_factory=dict)


class ListAuditEventsQuery(_Model):
    user: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: str | None = None


class ListAuditEventsResponse(_Model):
    items: list[AuditEvent]
    next_token: str | None = None


# ----------------------------------------------------------------------------- config


class StudioConfig(_Model):
    """GET /studio/api/config: the frontend's version handshake."""

    version: str
    features: list[str]
    server_root: str | None = None
    studio_home: str
    mlflow_tracking_uri: str
    mlflow_ui_url: str | None = Field(default=None, description="the MLflow UI behind Jupyter's auth "
                                                                "(absolute path on this server)")
    agent: dict[str, Any] = Field(default_factory=dict)


# ----------------------------------------------------------------------------- small REST queries


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


# ----------------------------------------------------------------------------- experiments and runs (issue 3)
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
    next_token: str | None = None


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
    next_token: str | None = None


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


class ListArtifactsResponse(_Model):
    run_id: str
    path: str
    root_uri: str | None = None
    items: list[ArtifactInfo]


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


# ----------------------------------------------------------------------------- model registry (issue 3)


class ListModelsQuery(_Model):
    name: str | None = Field(default=None, description="substring of the model name")
    order_by: str | None = Field(default=None, description="e.g. 'name ASC', 'last_updated_timestamp DESC'")
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: str | None = None


class ModelVersionSummary(_Model):
    name: str
    version: str
    status: str = Field(description="PENDING_REGISTRATION | READY | FAILED_REGISTRATION")
    run_id: str | None = None
    source: str | None = None
    description: str | None = None
    aliases: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    creation_time: datetime | None = None
    last_updated_time: datetime | None = None


class RegisteredModelSummary(_Model):
    name: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict, description="alias -> version")
    latest_version: str | None = None
    creation_time: datetime | None = None
    last_updated_time: datetime | None = None


class ListModelsResponse(_Model):
    items: list[RegisteredModelSummary]
    next_token: str | None = None


class DescribeRegisteredModel(RegisteredModelSummary):
    versions: list[ModelVersionSummary] = Field(default_factory=list, description="newest first")


class ModelLineage(_Model):
    """From a model version back to what produced it."""

    run_id: str | None = None
    experiment_id: str | None = None
    job_id: str | None = None
    job_name: str | None = None
    job_status: JobStatus | None = None
    job_input: str | None = Field(default=None, description="the job's input path, relative to the server root")
    job_snapshot: str | None = Field(default=None, description="folder of the input snapshot the job ran")
    parameters: dict[str, Any] = Field(default_factory=dict, description="the job's parameters "
                                                                         "(the run's params without a job)")
    reproduces_job_id: str | None = None
    reproduces_run_id: str | None = None


class DescribeModelVersion(ModelVersionSummary):
    status_message: str | None = None
    job_id: str | None = None
    experiment_id: str | None = None
    signature: dict[str, Any] | None = Field(default=None, description="{inputs, outputs, params} as "
                                                                        "MLflow stores them (JSON strings)")
    input_example: Any | None = Field(default=None, description="the logged input example (JSON), if any")
    lineage: ModelLineage = Field(default_factory=ModelLineage)


class CreateModelVersion(_Model):
    """POST /studio/api/models: register `artifact_path` of run `run_id` as a new version of `name`."""

    name: str = Field(min_length=1, max_length=256)
    run_id: str = Field(min_length=1)
    artifact_path: str = Field(min_length=1, description="e.g. 'model' (the name given to log_model)")
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class UpdateRegisteredModel(_Model):
    """PATCH: fields given change; a tag set to null is deleted."""

    description: str | None = None
    tags: dict[str, str | None] = Field(default_factory=dict)


class UpdateModelVersion(_Model):
    """PATCH: fields given change; a tag set to null is deleted."""

    description: str | None = None
    tags: dict[str, str | None] = Field(default_factory=dict)


class SetModelAlias(_Model):
    """PUT /studio/api/models/{name}/aliases/{alias}: point the alias at `version` (set or move)."""

    version: str = Field(min_length=1, description="a version number, e.g. '3'")

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


class ReproduceResponse(_Model):
    job_id: str = Field(description="the new job")
    reproduces_job_id: str
    reproduces_run_id: str | None = None


# ----------------------------------------------------------------------------- endpoints (issue 4)


class EndpointStatus(StrEnum):
    """Creating -> InService <-> Updating; Failed (with a reason); Deleting (then gone)."""

    CREATING = "Creating"
    IN_SERVICE = "InService"
    UPDATING = "Updating"
    FAILED = "Failed"
    DELETING = "Deleting"


class EndpointVariant(_Model):
    """One model behind the endpoint: `model` is models:/<name>/<version> or models:/<name>@<alias>
    (an alias is followed: when it moves, the endpoint moves with it)."""

    name: str = Field(default="primary", min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    model: str = Field(min_length=1)
    instance_type: str = "local.small"
    instance_count: int = Field(default=1, ge=1, le=16)
    weight: float = Field(default=1.0, ge=0)


class DataCaptureConfig(_Model):
    sampling_percent: float = Field(default=0.0, ge=0, le=100)
    capture: list[str] = Field(default_factory=lambda: ["input", "output"],
                               description="what to record: input, output or both")

    @field_validator("capture")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for item in value:
            if item not in ("input", "output"):
                raise ValueError(f"capture: {item!r} is not 'input' or 'output'")
        return value


class DeploymentPolicy(_Model):
    """How an update shifts traffic to the new variants. all_at_once: when all new replicas are
    healthy; canary: canary_percent for baking_seconds, then the rest; linear: step_percent every
    step_seconds. During canary/linear a new-variant error rate (5xx / requests) above
    error_rate_threshold rolls back to the previous configuration."""

    type: str = Field(default="all_at_once", pattern=r"^(all_at_once|canary|linear)$")
    canary_percent: float = Field(default=10.0, gt=0, le=100)
    baking_seconds: float = Field(default=60.0, ge=0)
    step_percent: float = Field(default=25.0, gt=0, le=100)
    step_seconds: float = Field(default=30.0, ge=0)
    error_rate_threshold: float = Field(default=0.05, ge=0, le=1)


class CreateEndpoint(_Model):
    name: str = Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")
    variants: list[EndpointVariant] = Field(min_length=1)
    data_capture: DataCaptureConfig | None = None


class UpdateEndpoint(_Model):
    """PATCH: new variants and/or data capture; the policy says how traffic moves."""

    variants: list[EndpointVariant] | None = None
    data_capture: DataCaptureConfig | None = None
    deployment_policy: DeploymentPolicy | None = None


class EndpointConfiguration(_Model):
    """What an endpoint serves: its variants and data capture (what a rollback returns to)."""

    variants: list[EndpointVariant]
    data_capture: DataCaptureConfig | None = None


class DeploymentProgress(_Model):
    """The last (or current) update: its policy, how far traffic has moved, how it ended."""

    type: str = "all_at_once"
    by: str | None = Field(default=None, description="who started it ('alias' when an alias moved)")
    rollback: bool = Field(default=False, description="this update is a requested rollback")
    share: float | None = Field(default=None, description="traffic share on the new variants (0-1)")
    started_at: datetime | None = None
    completed_at: datetime | None = None
    rolled_back_at: datetime | None = None
    rollback_reason: str | None = None


class RollbackEndpoint(_Model):
    """POST /studio/api/endpoints/{name}/rollback. During an update: stop it, the previous replicas
    take all traffic again at once. Otherwise: deploy `previous_configuration` with this policy (the
    current configuration becomes the previous one, so a second rollback rolls forward)."""

    deployment_policy: DeploymentPolicy | None = None


class EndpointReplica(_Model):
    replica_id: str
    variant: str
    generation: int
    model_version: str | None = None
    status: str = Field(description="Starting, Healthy, Unhealthy, Stopping")
    port: int | None = None
    pid: int | None = None
    restarts: int = 0
    weight: float = 0.0
    last_error: str | None = None
    started_at: datetime | None = None


class DescribeEndpoint(_Model):
    name: str
    status: EndpointStatus
    status_reason: str | None = None
    variants: list[EndpointVariant]
    data_capture: DataCaptureConfig | None = None
    deployment_policy: DeploymentPolicy | None = None
    deployment: DeploymentProgress | None = None
    previous_configuration: EndpointConfiguration | None = Field(
        default=None, description="what a rollback deploys; an alias that moved is pinned to the version it "
                                  "pointed at before")
    generation: int = 1
    replicas: list[EndpointReplica] = Field(default_factory=list)
    invocation_url: str = ""
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime


class ListEndpointsResponse(_Model):
    items: list[DescribeEndpoint]
    next_token: str | None = None


class EndpointCounts(_Model):
    """Requests by outcome and latency quantiles (from the replicas' histograms; null without requests)."""

    invocations: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    latency_p50_ms: float | None = None
    latency_p90_ms: float | None = None
    latency_p99_ms: float | None = None


class EndpointVariantMetrics(EndpointCounts):
    variant: str


class EndpointMetricsQuery(_Model):
    since_seconds: float = Field(default=900, gt=0, le=7 * 86400, description="how far back the history goes")
    period_seconds: float | None = Field(default=None, ge=1, le=86400,
                                         description="one history point per period (default: about 180 points)")


class EndpointMetricPoint(EndpointCounts):
    """What happened within one period (counts, not totals)."""

    time: datetime = Field(description="the period's start")


class EndpointMetricSeries(_Model):
    variant: str | None = Field(description="null: the whole endpoint (all variants)")
    model_version: str | None = Field(default=None, description="the version the variant's replicas served; "
                                                                "during an update a variant has one series per version")
    points: list[EndpointMetricPoint] = Field(description="oldest first, one per period, zero-filled")


class EndpointMetrics(_Model):
    name: str
    variants: list[EndpointVariantMetrics] = Field(description="the live replicas' totals since they started")
    prometheus: str = Field(description="the replicas' /metrics text, concatenated")
    period_seconds: float = Field(default=5.0, description="the history's resolution")
    series: list[EndpointMetricSeries] = Field(
        default_factory=list, description="history sampled by the agent: the whole endpoint first, then each "
                                          "variant and model version; survives replica restarts and updates")


class EndpointCaptureQuery(_Model):
    max_items: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE, description="newest captured records first")


class EndpointCaptureRecord(_Model):
    time: float
    input: str | None = None
    output: str | None = None
    file: str


class EndpointCapture(_Model):
    name: str
    folder: str
    files: list[str]
    records: list[EndpointCaptureRecord]


# ----------------------------------------------------------------------------- batch transform (issue 4)


class CreateTransformJob(_Model):
    """Score files with a registered model: `input` is a CSV, JSON Lines or Parquet file, or a folder
    of them, relative to the server root; outputs land in `output` (a folder, relative to the root)."""

    model: str = Field(min_length=1, description="models:/<name>/<version> or models:/<name>@<alias>")
    input: str = Field(min_length=1)
    output: str | None = Field(default=None, description="default: transform-output/<transform_job_id>")
    format: str | None = Field(default=None, pattern=r"^(csv|jsonl|parquet)$",
                               description="default: from each file's extension")
    join_input: bool = Field(default=False, description="write the input columns before the prediction")
    instance_type: str = Field(default="local.medium", description="its vCPUs are the worker processes")
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
