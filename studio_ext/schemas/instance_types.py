"""The instance-type catalog: what a job or replica may use, and what it costs."""

from __future__ import annotations

from pydantic import Field

from ._base import _Model


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
