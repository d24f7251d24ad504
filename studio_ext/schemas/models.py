"""The model registry: registered models, versions, aliases, lineage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from ._base import MAX_PAGE_SIZE, _Model
from .jobs import JobStatus
from .limits import InputPath, PageToken, TagChanges, Tags, Text


class ListModelsQuery(_Model):
    name: str | None = Field(default=None, description="substring of the model name")
    order_by: str | None = Field(default=None, description="e.g. 'name ASC', 'last_updated_timestamp DESC'")
    max_items: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    next_token: PageToken | None = None


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
    artifact_path: InputPath = Field(description="e.g. 'model' (the name given to log_model)")
    description: Text | None = None
    tags: Tags = Field(default_factory=dict)


class UpdateRegisteredModel(_Model):
    """PATCH: fields given change; a tag set to null is deleted."""

    description: Text | None = None
    tags: TagChanges = Field(default_factory=dict)


class UpdateModelVersion(_Model):
    """PATCH: fields given change; a tag set to null is deleted."""

    description: Text | None = None
    tags: TagChanges = Field(default_factory=dict)


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
