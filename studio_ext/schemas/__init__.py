"""Pydantic models for every request and response, and the status enums: one module per resource.

The REST layer parses requests into these, services return them, the SDK reads them back and the
TypeScript interfaces in labextension/src/api/ mirror them. Field docs are the contract. Every name
is re-exported here, so `from studio_ext import schemas; schemas.CreateJob` works whatever the module.
"""

from ._base import (  # noqa: F401
    MAX_PAGE_SIZE,
    _Model,
)
from .algorithms import (  # noqa: F401
    AlgorithmSpec,
    Channel,
    ChannelPreview,
    ChannelSpec,
    ListAlgorithmsResponse,
    MetricSpec,
    PreviewCell,
    PreviewChannelRequest,
    TrainingResult,
    TrainingSpec,
)
from .audit import (  # noqa: F401
    AuditEvent,
    AuditOutcome,
    AuditVerification,
    ListAuditEventsQuery,
    ListAuditEventsResponse,
)
from .config import (  # noqa: F401
    StudioConfig,
)
from .endpoints import (  # noqa: F401
    CreateEndpoint,
    DataCaptureConfig,
    DeploymentPolicy,
    DeploymentProgress,
    DescribeEndpoint,
    EndpointCapture,
    EndpointCaptureQuery,
    EndpointCaptureRecord,
    EndpointConfiguration,
    EndpointCounts,
    EndpointMetricPoint,
    EndpointMetrics,
    EndpointMetricSeries,
    EndpointMetricsQuery,
    EndpointReplica,
    EndpointStatus,
    EndpointVariant,
    EndpointVariantMetrics,
    ListEndpointsResponse,
    ReplicaStatus,
    RollbackEndpoint,
    SchemaEnforcement,
    UpdateEndpoint,
)
from .experiments import (  # noqa: F401
    ArtifactInfo,
    CompareRow,
    CompareRuns,
    CompareRunsQuery,
    DescribeExperiment,
    DescribeRun,
    ListArtifactsQuery,
    ListArtifactsResponse,
    ListExperimentsQuery,
    ListExperimentsResponse,
    LoggedModelInfo,
    MetricHistory,
    MetricPoint,
    RunSummary,
    SearchRunsQuery,
    SearchRunsResponse,
    ViewType,
)
from .instance_types import (  # noqa: F401
    InstanceType,
    ListInstanceTypesResponse,
)
from .jobs import (  # noqa: F401
    DEFAULT_INSTANCE_TYPE,
    DEFAULT_TIMEOUT_SECONDS,
    TERMINAL_JOB_STATUSES,
    CreateJob,
    CreateJobResponse,
    DescribeJob,
    GetJobLogsQuery,
    GetJobOutputQuery,
    JobKind,
    JobLogs,
    JobOutput,
    JobProgress,
    JobStatus,
    ListJobsQuery,
    ListJobsResponse,
    NotebookParametersQuery,
    NotebookParametersResponse,
    TrainingInfo,
)
from .models import (  # noqa: F401
    CreateModelVersion,
    DescribeModelVersion,
    DescribeRegisteredModel,
    ListModelsQuery,
    ListModelsResponse,
    ModelLineage,
    ModelVersionSummary,
    RegisteredModelSummary,
    ReproduceResponse,
    SetModelAlias,
    UpdateModelVersion,
    UpdateRegisteredModel,
)
from .schedules import (  # noqa: F401
    CreateJobDefinition,
    CreateJobDefinitionResponse,
    DescribeJobDefinition,
    JobTemplate,
    ListJobDefinitionsQuery,
    ListJobDefinitionsResponse,
    MissedRunPolicy,
    UpdateJobDefinition,
)
from .transform import (  # noqa: F401
    CreateTransformJob,
    DescribeTransformJob,
    ListTransformJobsResponse,
)
from .tuning import (  # noqa: F401
    Aggregation,
    CreateTuningJob,
    DescribeTuningJob,
    DescribeTuningJobQuery,
    EarlyStopping,
    ListTuningJobsResponse,
    Objective,
    ObjectiveType,
    ParameterRange,
    RangeType,
    Scaling,
    Strategy,
    TrialCounts,
    TrialStatus,
    TuningTrial,
    WarmStart,
    WarmStartType,
)
