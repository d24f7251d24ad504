"""Two real `studio agent` processes on one database and one schedule: each tick fires exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from studio_ext import schemas
from studio_ext.services.jobs import JobService
from studio_ext.services.schedules import ScheduleService
from studio_ext.settings import StudioSettings
from studio_ext.store import orm
from studio_ext.store.db import Database

TICKS = 3


def start_agent(settings: StudioSettings, name: str, log_dir: Path) -> subprocess.Popen:
    """One agent process as an operator would run it; each has its own lock file, so both run."""
    log = open(log_dir / f"{name}.log", "wb")  # closed in stop_agent
    cmd = [sys.executable, "-m", "studio_ext.runner.agent",
           "--home", str(settings.home), "--db-url", settings.db_url,
           "--mlflow-tracking-uri", settings.mlflow_tracking_uri, "--server-root", str(settings.server_root),
           "--lock-file", str(log_dir / f"{name}.lock"), "--warm-pool", "0"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    proc.log_file = log  # type: ignore[attr-defined]
    return proc


def stop_agent(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    proc.log_file.close()  # type: ignore[attr-defined]


def runs(db: Database, job_definition_id: str) -> list[orm.Job]:
    with db.session() as session:
        return list(session.scalars(select(orm.Job).where(orm.Job.job_definition_id == job_definition_id)
                                    .order_by(orm.Job.scheduled_for)))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_given_two_agents_on_one_database_when_a_minutely_schedule_ticks_then_each_tick_runs_once(tmp_path):
    root, home, logs = tmp_path / "root", tmp_path / "home", tmp_path / "logs"
    root.mkdir()
    logs.mkdir()
    (root / "tick.py").write_text("import os\nprint('tick', os.environ.get('STUDIO_JOB_ID'))\n")
    settings = StudioSettings.from_env(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                                       mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root)
    db = Database(settings.db_url)
    schedules = ScheduleService(db, settings, JobService(db, settings))
    job_definition_id = schedules.create(schemas.CreateJobDefinition(
        name="every-minute", schedule="* * * * *", max_concurrent_runs=10,
        job=schemas.JobTemplate(input="tick.py", timeout_seconds=300)), "alice")
    # Make the current minute's tick due at once, so the first tick does not wait for the clock.
    now = datetime.now(UTC)
    first_tick = now.replace(second=0, microsecond=0)
    with db.session() as session:
        session.get(orm.JobDefinition, job_definition_id).next_run_at = first_tick

    agents = [start_agent(settings, name, logs) for name in ("agent-a", "agent-b")]
    try:
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            for proc in agents:
                assert proc.poll() is None, (logs / "agent-a.log").read_text() + (logs / "agent-b.log").read_text()
            if len(runs(db, job_definition_id)) >= TICKS:
                break
            time.sleep(1)
        # Give the agent that lost each race time to try (and fail) to fire the tick again.
        time.sleep(5)
        fired = runs(db, job_definition_id)
        with db.session() as session:
            live_agents = session.scalars(select(orm.Agent)).all()
        assert len({a.agent_id for a in live_agents}) >= 2, "both agents must have registered"
    finally:
        for proc in agents:
            stop_agent(proc)

    ticks = [job.scheduled_for for job in fired]
    assert len(ticks) >= TICKS, f"only {len(ticks)} ticks fired"
    assert len(set(ticks)) == len(ticks), f"a tick fired twice: {ticks}"
    # Consecutive minutes: no tick skipped (the first may be a minute late on a slow start-up).
    assert ticks[0] in (first_tick, first_tick + timedelta(minutes=1))
    assert ticks == [ticks[0] + timedelta(minutes=k) for k in range(len(ticks))], "a tick was skipped"
    # Every run of the schedule is a real job the agents ran (or are honest about).
    with db.session() as session:
        statuses = {j.job_id: j.status for j in session.scalars(
            select(orm.Job).where(orm.Job.job_definition_id == job_definition_id))}
    assert set(statuses.values()) <= {s.value for s in schemas.JobStatus}
    assert schemas.JobStatus.COMPLETED.value in statuses.values(), statuses
