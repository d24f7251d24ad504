"""The runner's extension points: executors and launchers by contract, the one attempt template, classes by import path."""

from __future__ import annotations

import logging
import os

import pytest

from studio_ext import schemas
from studio_ext.plugins import load_class
from studio_ext.runner.agent import Agent
from studio_ext.runner.executors.base import BaseExecutor
from studio_ext.runner.executors.local import LocalExecutor
from studio_ext.runner.launchers import launcher_classes
from studio_ext.runner.launchers.algorithm import AlgorithmLauncher
from studio_ext.runner.launchers.base import Attempt, BaseLauncher, Outcome
from studio_ext.runner.launchers.notebook import NotebookLauncher
from studio_ext.runner.launchers.script import ScriptLauncher
from studio_ext.runner.state import read_result
from studio_ext.runner.worker import Worker
from studio_ext.services.schedules import ScheduleService
from studio_ext.store import orm
from studio_ext.supervisor import AgentSupervisor


class RecordingWorker:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.jobs: list[str] = []

    def assign(self, job_id: str) -> bool:
        self.jobs.append(job_id)
        return True


class RecordingExecutor(BaseExecutor):
    """An executor that starts nothing: it records what the agent asks of it."""

    def __init__(self, settings, pool_size: int = 2) -> None:
        super().__init__(settings, pool_size)
        self.calls: list[str] = []
        self.worker = RecordingWorker()

    def start(self) -> None:
        self.calls.append("start")

    def poll(self) -> None:
        self.calls.append("poll")

    def idle_worker(self):
        self.calls.append("idle_worker")
        return self.worker

    def busy_jobs(self) -> dict[str, int]:
        return {job_id: self.worker.pid for job_id in self.worker.jobs}

    def close(self) -> None:
        self.calls.append("close")


class FakeLauncher(BaseLauncher):
    """A launcher without a `kind` (so it registers nothing) whose steps the test decides."""

    def __init__(self, settings, fail_in: str | None = None, outcome: Outcome | None = None) -> None:
        super().__init__(settings)
        self.fail_in, self.outcome = fail_in, outcome or Outcome(schemas.JobStatus.COMPLETED, None, 0)
        self.steps: list[str] = []
        self.env: dict[str, str] = {}

    def _step(self, name: str) -> None:
        self.steps.append(name)
        if self.fail_in == name:
            raise RuntimeError(f"broken {name}")

    def prepare(self, attempt: Attempt) -> None:
        self.env = dict(attempt.env)
        self._step("prepare")

    def run(self, attempt: Attempt) -> None:
        attempt.progress({"percent": 50.0})
        self._step("run")

    def result(self, attempt: Attempt) -> Outcome:
        self._step("result")
        return self.outcome

    def pid(self) -> int | None:
        return None

    def interrupt(self) -> None:
        self.steps.append("interrupt")

    def kill(self) -> None:
        self.steps.append("kill")

    def close(self) -> None:
        self.steps.append("close")


@pytest.fixture
def studio_db(studio):
    """The runner's tmp studio (no agent) with a script to submit."""
    studio.root.joinpath("train.py").write_text("print('hi')\n")
    return studio


def _starting_job(s, **fields) -> str:
    """A script job as the agent leaves it after claiming it (Starting), for a job process."""
    job_id = s.submit(input="train.py", instance_type="test.wide", **fields)
    with s.jobs.db.session() as session:
        session.get(orm.Job, job_id).status = schemas.JobStatus.STARTING.value
    return job_id


# ---------------------------------------------------------------- launchers


def test_given_the_launcher_package_then_every_job_kind_has_its_launcher():
    classes = launcher_classes()

    assert set(classes) == set(schemas.JobKind)  # a new kind without its launcher fails here
    assert classes == {schemas.JobKind.NOTEBOOK: NotebookLauncher, schemas.JobKind.SCRIPT: ScriptLauncher,
                       schemas.JobKind.ALGORITHM: AlgorithmLauncher}
    assert all(issubclass(cls, BaseLauncher) for cls in classes.values())
    assert NotebookLauncher.reusable is False and ScriptLauncher.reusable is True


def test_given_a_second_launcher_for_a_kind_when_it_is_defined_then_it_is_refused():
    with pytest.raises(TypeError, match="two launchers for job kind script"):
        type("AnotherScriptLauncher", (ScriptLauncher,), {"kind": schemas.JobKind.SCRIPT})


# ---------------------------------------------------------------- the attempt template


def test_given_a_launcher_that_completes_when_a_job_runs_then_the_template_writes_every_record(studio_db):
    s = studio_db
    job_id = _starting_job(s, environment={"MY_VAR": "1"})
    worker = Worker(s.settings, warm=False)
    fake = worker.launchers["script"] = FakeLauncher(s.settings)

    reusable = worker.run_job(job_id)

    job = s.jobs.describe_job(job_id)
    assert reusable is True
    assert fake.steps == ["prepare", "run", "result"]
    assert job.status == schemas.JobStatus.COMPLETED and job.exit_code == 0
    assert job.mlflow_run_id and fake.env["MLFLOW_RUN_ID"] == job.mlflow_run_id
    assert fake.env["STUDIO_JOB_ID"] == job_id and fake.env["MY_VAR"] == "1"
    assert read_result(s.settings.job_dir(job_id), 1)["status"] == "Completed"
    log = s.log(job_id)
    assert "attempt 1 of 1 started" in log and log.rstrip().endswith("===== attempt 1: Completed =====")


@pytest.mark.parametrize("fail_in", ["prepare", "run"])
def test_given_a_launcher_that_raises_when_a_job_runs_then_the_attempt_fails_and_the_process_retires(
        studio_db, fail_in):
    s = studio_db
    job_id = _starting_job(s)
    worker = Worker(s.settings, warm=False)
    fake = worker.launchers["script"] = FakeLauncher(s.settings, fail_in=fail_in)

    reusable = worker.run_job(job_id)

    job = s.jobs.describe_job(job_id)
    assert reusable is False
    assert fake.steps[-1] == "close"  # released before the bookkeeping
    assert job.status == schemas.JobStatus.FAILED
    assert job.status_reason == f"job process error: RuntimeError: broken {fail_in}"
    assert read_result(s.settings.job_dir(job_id), 1)["status"] == "Failed"
    assert "RuntimeError: broken" in s.log(job_id)  # the traceback, in the job's own log


def test_given_a_failed_outcome_and_a_stop_request_when_the_attempt_ends_then_it_is_stopped(studio_db):
    s = studio_db
    job_id = _starting_job(s)
    worker = Worker(s.settings, warm=False)

    class StoppedMeanwhile(FakeLauncher):
        def result(self, attempt):
            s.jobs.stop_job(job_id, "gina")  # the stop lands after the Guard's last look
            return Outcome(schemas.JobStatus.FAILED, "killed", -9)

    worker.launchers["script"] = StoppedMeanwhile(s.settings)

    worker.run_job(job_id)

    job = s.jobs.describe_job(job_id)
    assert job.status == schemas.JobStatus.STOPPED and job.status_reason == "stopped by gina"


def test_given_a_job_stopped_before_its_process_began_it_then_no_launcher_runs(studio_db):
    s = studio_db
    job_id = _starting_job(s)
    s.jobs.stop_job(job_id, "hal")
    worker = Worker(s.settings, warm=False)
    fake = worker.launchers["script"] = FakeLauncher(s.settings)

    assert worker.run_job(job_id) is True

    assert fake.steps == []
    assert s.jobs.describe_job(job_id).status == schemas.JobStatus.STOPPED


# ---------------------------------------------------------------- executors and classes by import path


def test_given_an_executor_class_when_the_agent_dispatches_then_it_goes_through_the_contract(studio_db):
    s = studio_db
    job_id = s.submit(input="train.py", instance_type="test.wide")
    agent = Agent(s.settings, pool_size=0, executor_class=RecordingExecutor)
    executor = agent.executor

    agent.tick()

    assert isinstance(executor, RecordingExecutor) and executor.pool_size == 0
    assert executor.calls[:2] == ["poll", "idle_worker"]
    assert executor.worker.jobs == [job_id]
    assert executor.busy_jobs() == {job_id: os.getpid()}
    job = s.jobs.describe_job(job_id)
    assert job.status == schemas.JobStatus.STARTING


def test_given_an_executor_path_that_does_not_load_then_the_local_executor_is_used_with_a_warning(caplog):
    log = logging.getLogger("test-contracts")
    with caplog.at_level(logging.WARNING, logger="test-contracts"):
        missing = load_class("no.such.Executor", LocalExecutor, what="--executor-class", base=BaseExecutor,
                             log=log)
        wrong = load_class("studio_ext.services.jobs.JobService", LocalExecutor, what="--executor-class",
                           base=BaseExecutor, log=log)
        fine = load_class("studio_ext.runner.executors.local.LocalExecutor", LocalExecutor,
                          what="--executor-class", base=BaseExecutor, log=log)

    assert missing is LocalExecutor and wrong is LocalExecutor and fine is LocalExecutor
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "'no.such.Executor' could not be imported" in messages[0]
    assert "JobService is not a BaseExecutor" in messages[1]
    assert all("using the default studio_ext.runner.executors.local.LocalExecutor" in m for m in messages)


def test_given_a_schedule_service_path_that_does_not_load_then_the_agent_fires_with_the_default(
        studio_db, caplog):
    s = studio_db
    agent = Agent(s.settings, pool_size=0, executor_class=RecordingExecutor,
                  service_classes={"schedule-service": "no.such.ScheduleService",
                                   "job-service": "studio_ext.services.jobs.JobService"})

    with caplog.at_level(logging.WARNING, logger="studio_ext.agent"):
        agent.fire_schedules()

    assert type(agent._schedules) is ScheduleService
    assert any("--schedule-service-class: 'no.such.ScheduleService' could not be imported" in r.getMessage()
               for r in caplog.records)


def test_given_classes_when_the_supervisor_starts_an_agent_then_it_names_them_by_import_path(studio_db):
    supervisor = AgentSupervisor(studio_db.settings, classes={"executor": "pkg.mod.DaskExecutor"})

    command = supervisor.command()

    assert command[command.index("--executor-class") + 1] == "pkg.mod.DaskExecutor"


def test_given_the_agent_parser_then_every_class_option_is_there():
    from studio_ext.runner.agent import build_parser

    args = build_parser().parse_args(["--executor-class", "a.B", "--job-service-class", "c.D",
                                      "--schedule-service-class", "e.F", "--audit-service-class", "g.H"])

    assert (args.executor_class, args.job_service_class, args.schedule_service_class,
            args.audit_service_class) == ("a.B", "c.D", "e.F", "g.H")
