"""Fixtures for runtime tests: a tmp studio (home, root, db, MLflow store) and real agent processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from studio_ext import schemas
from studio_ext.instance_types import DEFAULT_CATALOG, load_catalog
from studio_ext.services.jobs import JobService
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database

REPO = Path(__file__).resolve().parents[2]
TEST_TYPES = [
    {"name": "test.tiny", "vcpus": 1, "memory_mib": 150, "max_concurrent": 2},
    {"name": "test.wide", "vcpus": 1, "memory_mib": 2048, "max_concurrent": 8},
]


def write_notebook(path: Path, cells: list[str], parameters: str | None = None) -> Path:
    """A python3 notebook; `parameters` becomes a cell tagged `parameters` placed first."""
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@dataclass
class Studio:
    settings: StudioSettings
    jobs: JobService
    agents: list[subprocess.Popen] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.settings.server_root

    def notebook(self, relpath: str, cells: list[str], parameters: str | None = None) -> Path:
        return write_notebook(self.root / relpath, cells, parameters)

    def submit(self, user: str = "tester", **fields) -> str:
        return self.jobs.create_job(schemas.CreateJob(**fields), user)

    def start_agent(self, pool: int = 1, agent_id: str | None = None, lock_file: Path | None = None) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "studio_ext.runner.agent", "--home", str(self.settings.home),
               "--db-url", self.settings.db_url, "--mlflow-tracking-uri", self.settings.mlflow_tracking_uri,
               "--server-root", str(self.root), "--warm-pool", str(pool), "--poll-interval", "0.1"]
        if agent_id:
            cmd += ["--agent-id", agent_id]
        if lock_file:
            cmd += ["--lock-file", str(lock_file)]
        env = dict(os.environ, PYTHONPATH=str(REPO), STUDIO_AGENT_STALE_S="5",
                   STUDIO_INSTANCE_TYPES=str(self.settings.home / "instance_types.json"))
        log = open(self.settings.home / "agent-test.log", "ab")
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=str(self.settings.home))
        log.close()
        self.agents.append(proc)
        return proc

    def kill9(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def wait(self, job_id: str, statuses=None, timeout: float = 180) -> schemas.DescribeJob:
        """Poll until the job reaches one of `statuses` (default: any terminal one)."""
        wanted = {schemas.JobStatus(s) for s in statuses} if statuses else None
        deadline = time.monotonic() + timeout
        job = self.jobs.describe_job(job_id)
        while time.monotonic() < deadline:
            job = self.jobs.describe_job(job_id)
            if (job.status in wanted) if wanted else job.status.is_terminal:
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} still {job.status.value} ({job.status_reason}) after {timeout}s:\n"
                             f"{self.jobs.read_logs(job_id).content}\n--- agent log:\n{self.agent_log()}")

    def wait_for(self, predicate, timeout: float = 120, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n--- agent log:\n{self.agent_log()}")

    def agent_log(self) -> str:
        path = self.settings.home / "agent-test.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def log(self, job_id: str) -> str:
        return self.jobs.read_logs(job_id).content

    def close(self) -> None:
        for proc in self.agents:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        # Busy workers outlive their agent on purpose; in tests, end the ones still running.
        with self.jobs.db.session() as session:
            from studio_ext.store import orm

            pids = [r.pid for r in session.query(orm.Job).filter(orm.Job.pid.isnot(None)).all()]
        from studio_ext.runner import resources

        for pid in set(pids):
            if resources.is_alive(pid, None) and _is_worker(pid):
                resources.kill_tree(pid)


def _is_worker(pid: int) -> bool:
    import psutil

    try:
        return "studio_ext.runner.worker" in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def make_studio(base: Path) -> Studio:
    root, home = base / "root", base / "home"
    root.mkdir(parents=True)
    home.mkdir(parents=True)
    (home / "instance_types.json").write_text(json.dumps(
        [t.model_dump() for t in DEFAULT_CATALOG] + TEST_TYPES))
    settings = StudioSettings(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                              mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root,
                              instance_types=load_catalog(home))
    return Studio(settings, JobService(Database(settings.db_url), settings))


@pytest.fixture
def studio(tmp_path):
    """A fresh studio with no agent running (tests start the agents they need)."""
    s = make_studio(tmp_path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def running_studio(tmp_path_factory):
    """One studio + one agent (warm pool 1) shared by a module's tests, to save start-up time."""
    s = make_studio(tmp_path_factory.mktemp("studio"))
    s.start_agent(pool=1)
    yield s
    s.close()


@pytest.fixture
def tuning(studio):
    """The tuning service of `studio`, with the tiny objective script at objective.py."""
    from runner.tuning_support import OBJECTIVE

    from studio_ext.services.tuning import TuningService

    (studio.root / "objective.py").write_text(OBJECTIVE)
    return TuningService(studio.jobs.db, studio.settings, studio.jobs)
