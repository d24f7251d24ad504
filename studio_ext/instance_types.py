"""The instance-type catalog: what a job may use (vCPUs, memory, GPUs) and what it costs.

Defaults suit one workstation; an operator replaces them with a JSON list in
`$STUDIO_HOME/instance_types.json` (or the file named by `$STUDIO_INSTANCE_TYPES`). The server
validates against the catalog, the agent enforces it, usage metering prices with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .exceptions import InvalidParameter
from .schemas import InstanceType

DEFAULT_CATALOG: tuple[InstanceType, ...] = (
    InstanceType(name="local.small", vcpus=1, memory_mib=2048, price_per_hour=0.05, max_concurrent=2,
                 description="1 vCPU, 2 GiB: notebooks and light scripts"),
    InstanceType(name="local.medium", vcpus=2, memory_mib=4096, price_per_hour=0.10, max_concurrent=2,
                 description="2 vCPU, 4 GiB"),
    InstanceType(name="local.large", vcpus=2, memory_mib=8192, price_per_hour=0.20, max_concurrent=1,
                 description="2 vCPU, 8 GiB: training"),
    InstanceType(name="local.gpu", vcpus=2, memory_mib=16384, gpus=1, price_per_hour=1.00, max_concurrent=1,
                 description="2 vCPU, 16 GiB, 1 GPU (CUDA_VISIBLE_DEVICES is set)"),
)


def load_catalog(home: Path) -> dict[str, InstanceType]:
    """The catalog in force: the operator's file if there is one, else the defaults."""
    path = os.environ.get("STUDIO_INSTANCE_TYPES") or str(home / "instance_types.json")
    if os.path.exists(path):
        with open(path) as fh:
            items = [InstanceType.model_validate(item) for item in json.load(fh)]
    else:
        items = list(DEFAULT_CATALOG)
    return {item.name: item for item in items}


def resolve(catalog: dict[str, InstanceType], name: str, field: str = "instance_type") -> InstanceType:
    try:
        return catalog[name]
    except KeyError:
        known = ", ".join(sorted(catalog))
        raise InvalidParameter(f"{field}: unknown instance type {name!r}; known types: {known}") from None
