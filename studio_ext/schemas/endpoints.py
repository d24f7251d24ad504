"""Real-time endpoints: variants, deployment policies, replicas, metrics and captured traffic."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from ._base import MAX_PAGE_SIZE, _Model
from .limits import MAX_NAME, InputPath

MAX_VARIANTS = 10


class EndpointStatus(StrEnum):
    """Creating -> InService <-> Updating; Failed (with a reason); Deleting (then gone)."""

    CREATING = "Creating"
    IN_SERVICE = "InService"
    UPDATING = "Updating"
    FAILED = "Failed"
    DELETING = "Deleting"


class ReplicaStatus(StrEnum):
    """One replica process: Starting -> Healthy <-> Unhealthy (missed pings); Stopping (draining)."""

    STARTING = "Starting"
    HEALTHY = "Healthy"
    UNHEALTHY = "Unhealthy"
    STOPPING = "Stopping"


class SchemaEnforcement(StrEnum):
    """How replicas check requests. mlflow: accept what `mlflow models serve` accepts and answer as
    it does (MLflow's error shape: BAD_REQUEST, INVALID_PARAMETER_VALUE); strict: also refuse
    unknown columns and top-level keys, and values of the wrong JSON type (a string "1.4" in a
    double column), with messages that name the column and row."""

    MLFLOW = "mlflow"
    STRICT = "strict"


class EndpointVariant(_Model):
    """One model behind the endpoint: `model` is models:/<name>/<version> or models:/<name>@<alias>
    (an alias is followed: when it moves, the endpoint moves with it)."""

    name: str = Field(default="primary", min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    model: InputPath
    instance_type: str = Field(default="local.small", max_length=MAX_NAME)
    instance_count: int = Field(default=1, ge=1, le=16)
    weight: float = Field(default=1.0, ge=0)


class DataCaptureConfig(_Model):
    sampling_percent: float = Field(default=0.0, ge=0, le=100)
    capture: list[str] = Field(default_factory=lambda: ["input", "output"], max_length=2,
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
    variants: list[EndpointVariant] = Field(min_length=1, max_length=MAX_VARIANTS)
    data_capture: DataCaptureConfig | None = None
    schema_enforcement: SchemaEnforcement = SchemaEnforcement.MLFLOW


class UpdateEndpoint(_Model):
    """PATCH: new variants and/or data capture; the policy says how traffic moves."""

    variants: list[EndpointVariant] | None = Field(default=None, min_length=1, max_length=MAX_VARIANTS)
    data_capture: DataCaptureConfig | None = None
    schema_enforcement: SchemaEnforcement | None = None
    deployment_policy: DeploymentPolicy | None = None


class EndpointConfiguration(_Model):
    """What an endpoint serves: its variants, data capture and schema enforcement (what a rollback
    returns to)."""

    variants: list[EndpointVariant]
    data_capture: DataCaptureConfig | None = None
    schema_enforcement: SchemaEnforcement = SchemaEnforcement.MLFLOW


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
    status: ReplicaStatus
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
    schema_enforcement: SchemaEnforcement = SchemaEnforcement.MLFLOW
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
    error: str | None = Field(default=None, description="why a payload sealed at rest cannot be opened (a key the "
                                                        "key ring no longer holds or that differs); input and "
                                                        "output are then null")


class EndpointCapture(_Model):
    name: str
    folder: str
    files: list[str]
    records: list[EndpointCaptureRecord]
