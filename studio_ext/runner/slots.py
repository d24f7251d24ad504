"""Instance-type slots: jobs and batch transform jobs of one instance type share its `max_concurrent`."""

from __future__ import annotations

from sqlalchemy import func, select

from ..schemas import JobStatus
from ..store import orm
from .state import ACTIVE


def slots_in_use(session) -> dict[str, int]:
    """instance type -> running jobs + running transform jobs on it."""
    used: dict[str, int] = {}
    queries = (
        select(orm.Job.instance_type, func.count()).where(orm.Job.status.in_(ACTIVE)).group_by(orm.Job.instance_type),
        select(orm.TransformJob.instance_type, func.count())
        .where(orm.TransformJob.status.in_((JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value)))
        .group_by(orm.TransformJob.instance_type),
    )
    for query in queries:
        for itype, count in session.execute(query).all():
            used[itype] = used.get(itype, 0) + count
    return used
