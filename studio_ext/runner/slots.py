"""Instance-type slots: jobs and batch transform jobs of one instance type share its `max_concurrent`;
a replica or transform process on it runs as many workers as it has vCPUs."""

from __future__ import annotations

import os

from sqlalchemy import func, select

from ..schemas import JobStatus
from ..settings import StudioSettings
from ..store import orm
from .state import ACTIVE


def slots_in_use(session) -> dict[str, int]:
    """instance type -> instances of its running jobs (a distributed job has several) + running transform
    jobs on it."""
    used: dict[str, int] = {}
    queries = (
        select(orm.Job.instance_type, func.sum(orm.Job.instance_count)).where(orm.Job.status.in_(ACTIVE))
        .group_by(orm.Job.instance_type),
        select(orm.TransformJob.instance_type, func.count())
        .where(orm.TransformJob.status.in_((JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value)))
        .group_by(orm.TransformJob.instance_type),
    )
    for query in queries:
        for itype, count in session.execute(query).all():
            used[itype] = used.get(itype, 0) + int(count or 0)
    return used


def slot_limit(settings: StudioSettings, instance_type: str) -> int:
    """How many of `instance_type` may run at once (1 for a type no longer in the catalog)."""
    itype = settings.instance_types.get(instance_type)
    return itype.max_concurrent if itype else 1


def worker_count(settings: StudioSettings, instance_type: str) -> int:
    """Worker processes for one process of `instance_type`: its vCPUs, capped by the CPUs this
    process may use (1 for a type no longer in the catalog)."""
    itype = settings.instance_types.get(instance_type)
    return max(1, min(itype.vcpus if itype else 1, len(os.sched_getaffinity(0))))
