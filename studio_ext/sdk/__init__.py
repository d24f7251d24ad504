"""Python client for the studio's REST API: `from studio_ext.sdk import Studio`."""

from ..exceptions import (
    AccessDenied,
    Conflict,
    InvalidParameter,
    NotFound,
    ServiceUnavailable,
    StudioError,
)
from ..schemas import DescribeJob, DescribeJobDefinition, JobStatus
from ._discovery import config_path
from .client import Studio
from .errors import JobFailed, JobStopped, TransformFailed, WaitTimeout
from .jobs import Job
from .schedules import Schedule
from .transform import TransformJob

__all__ = [
    "AccessDenied", "Conflict", "DescribeJob", "DescribeJobDefinition", "InvalidParameter", "Job",
    "JobFailed", "JobStatus", "JobStopped", "NotFound", "Schedule", "ServiceUnavailable", "Studio",
    "StudioError", "TransformFailed", "TransformJob", "WaitTimeout", "config_path",
]
