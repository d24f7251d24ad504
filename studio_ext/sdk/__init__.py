"""Python client for the studio's REST API: `from studio_ext.sdk import Studio`."""

from ..exceptions import (
    AccessDenied,
    Conflict,
    InvalidParameter,
    NotFound,
    ServiceUnavailable,
    StudioError,
)
from ..schemas import DescribeJob, DescribeJobDefinition, DescribeTuningJob, JobStatus, TuningTrial
from ._discovery import config_path
from .client import Studio
from .errors import JobFailed, JobStopped, TransformFailed, TuningFailed, WaitTimeout
from .jobs import Job
from .schedules import Schedule
from .transform import TransformJob
from .tuning import TuningJob

__all__ = [
    "AccessDenied", "Conflict", "DescribeJob", "DescribeJobDefinition", "DescribeTuningJob", "InvalidParameter",
    "Job", "JobFailed", "JobStatus", "JobStopped", "NotFound", "Schedule", "ServiceUnavailable", "Studio",
    "StudioError", "TransformFailed", "TransformJob", "TuningFailed", "TuningJob", "TuningTrial", "WaitTimeout",
    "config_path",
]
