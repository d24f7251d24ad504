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
from .errors import JobFailed, JobStopped, WaitTimeout
from .jobs import Job
from .schedules import Schedule

__all__ = [
    "AccessDenied", "Conflict", "DescribeJob", "DescribeJobDefinition", "InvalidParameter", "Job",
    "JobFailed", "JobStatus", "JobStopped", "NotFound", "Schedule", "ServiceUnavailable", "Studio",
    "StudioError", "WaitTimeout", "config_path",
]
