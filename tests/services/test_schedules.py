"""ScheduleService on a temporary SQLite file with the real JobService: validation, CRUD, and
firing ticks exactly once (threads, processes), missed-run policies, max_concurrent_runs, DST."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import pytest
from pydantic import ValidationError
from schedule_agents import fire_in_rounds
from sqlalchemy import select, update

from studio_ext import schemas
from studio_ext.cron import CronSchedule
from studio_ext.exceptions import InvalidParameter, NotFound
from studio_ext.services.audit import AuditService
from studio_ext.services.jobs import JobService
from studio_ext.services.schedules import ScheduleService
from studio_ext.settings import StudioSettings
from studio_ext.store import orm
from studio_ext.store.db import Database

# ----------------------------------------------------------------------------- shared fixtures
# (tests/runner/test_two_agents.py imports these helpers too)


def make_settings(tmp_path: Path) -> StudioSettings:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    home = tmp_path / "home"
    return StudioSettings.from_env(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                                   mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root)


def write_notebook(path: Path, with_parameters: bool = True) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("alpha = 0.1")
    if with_parameters:
        params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(alpha)")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def set_next_run(db: Database, job_definition_id: str, when: datetime) -> None:
    """Pretend the schedule's next tick is `when` (e.g. hours ago, as after downtime)."""
    with db.session() as session:
        session.execute(update(orm.JobDefinition)
                        .where(orm.JobDefinition.job_definition_id == job_definition_id)
                        .values(next_run_at=when))


def runs_of(db: Database, job_definition_id: str) -> list[orm.Job]:
    with db.session() as session:
        return list(session.scalars(select(orm.Job).where(orm.Job.job_definition_id == job_definition_id)
                                    .order_by(orm.Job.scheduled_for)))


@pytest.fixture
def settings(tmp_path) -> StudioSettings:
    settings = make_settings(tmp_path)
    write_notebook(settings.server_root / "nbs" / "report.ipynb")
    write_notebook(settings.server_root / "nbs" / "plain.ipynb", with_parameters=False)
    (settings.server_root / "algo").mkdir()
    (settings.server_root / "algo" / "train.py").write_text("print('trained')\n")
    return settings


@pytest.fixture
def db(settings) -> Database:
    return Database(settings.db_url)


@pytest.fixture
def jobs(db, settings) -> JobService:
    return JobService(db, settings)


@pytest.fixture
def service(db, settings, jobs) -> ScheduleService:
    return ScheduleService(db, settings, jobs)


def definition(**fields) -> schemas.CreateJobDefinition:
    body = {"name": "nightly", "schedule": "0 2 * * *",
            "job": {"input": "nbs/report.ipynb", "parameters": {"alpha": 0.5}}}
    body.update(fields)
    return schemas.CreateJobDefinition.model_validate(body)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("schedule", "expected"), [
    ("* * * *", "has 4 field(s)"),
    ("*/5 * * * * *", "has 6 field(s)"),
    ("61 * * * *", "minute field '61'"),
    ("0 24 * * *", "hour field '24'"),
    ("0 0 32 * *", "day-of-month field '32'"),
    ("0 0 1 13 *", "month field '13'"),
    ("0 0 * * funday", "day-of-week field 'funday'"),
    ("0 0 30 2 *", "never matches a real date"),
    ("@reboot", "unknown shorthand"),
    ("   ", "a cron expression is required"),
])
def test_given_a_bad_cron_when_creating_then_invalid_parameter_names_schedule_and_the_problem(service, schedule, expected):
    with pytest.raises(InvalidParameter) as err:
        service.create(definition(schedule=schedule), "alice")
    assert err.value.message.startswith("schedule: ")
    assert expected in err.value.message
    assert err.value.http_status == 400
    assert service.list(schemas.ListJobDefinitionsQuery()).items == []


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "CEST+2"])
def test_given_an_unknown_timezone_when_creating_then_invalid_parameter_names_timezone(service, timezone):
    with pytest.raises(InvalidParameter) as err:
        service.create(definition(timezone=timezone), "alice")
    assert err.value.message.startswith("timezone: ")


@pytest.mark.parametrize(("job", "error", "prefix"), [
    ({"input": "nbs/missing.ipynb"}, NotFound, "job.input: "),
    ({"input": "../outside.ipynb"}, InvalidParameter, "job.input: "),
    ({"input": "nbs/report.ipynb", "instance_type": "local.huge"}, InvalidParameter, "job.instance_type: "),
    ({"input": "nbs/report.ipynb", "kind": "script"}, InvalidParameter, "job.kind: "),
    ({"input": "nbs/plain.ipynb", "parameters": {"alpha": 1}}, InvalidParameter, "job.parameters: "),
    # the schema itself refuses it (the REST layer answers 400 naming job.environment)
    ({"input": "nbs/report.ipynb", "environment": {"A=B": "1"}}, ValidationError,
     "1 validation error for CreateJobDefinition\njob.environment"),
])
def test_given_a_template_a_job_submission_would_refuse_when_creating_then_it_is_refused(service, settings, job, error, prefix):
    (settings.server_root.parent / "outside.ipynb").write_text("{}")
    with pytest.raises(error) as err:
        service.create(definition(job=job), "alice")
    message = getattr(err.value, "message", str(err.value))
    assert message.startswith(prefix), message


def test_given_aliases_and_extra_spaces_when_creating_then_the_schedule_is_stored_normalized(service):
    a = service.create(definition(schedule="  */15   9-17 * * mon-fri "), None)
    b = service.create(definition(schedule="@Daily"), None)
    assert service.describe(a).schedule == "*/15 9-17 * * mon-fri"
    assert service.describe(b).schedule == "@daily"


# ----------------------------------------------------------------------------- next_run_at and DST


def test_given_a_new_york_schedule_when_created_then_next_run_at_is_the_next_9am_there_in_utc(service):
    ny = ZoneInfo("America/New_York")
    before = datetime.now(UTC)
    job_definition_id = service.create(definition(schedule="0 9 * * *", timezone="America/New_York"), "alice")
    d = service.describe(job_definition_id)
    local_now = before.astimezone(ny)
    expected = datetime.combine(local_now.date(), time(9), tzinfo=ny)
    if expected <= local_now:
        expected = datetime.combine(local_now.date() + timedelta(days=1), time(9), tzinfo=ny)
    assert d.next_run_at == expected.astimezone(UTC)
    assert d.next_run_at.utcoffset() == timedelta(0)
    assert d.next_run_at.astimezone(ny).hour == 9
    assert d.timezone == "America/New_York" and d.created_by == "alice"
    assert d.paused is False and d.last_run_at is None
    assert d.missed_run_policy == schemas.MissedRunPolicy.SKIP and d.max_concurrent_runs == 1


def test_given_a_fixed_hour_schedule_when_clocks_fall_back_then_it_fires_once_that_night():
    cron = CronSchedule("30 2 * * *", "Europe/Berlin")  # 02:30 happens twice on 2026-10-25
    ticks, t = [], at("2026-10-24T12:00:00")
    for _ in range(3):
        t = cron.next_after(t)
        ticks.append(cron.local(t).strftime("%m-%d %H:%M%z"))
    assert ticks == ["10-25 02:30+0200", "10-26 02:30+0100", "10-27 02:30+0100"]


def test_given_a_wildcard_hour_schedule_when_clocks_fall_back_then_the_repeated_hour_keeps_its_rhythm():
    cron = CronSchedule("*/30 * * * *", "Europe/Berlin")
    ticks, t = [], at("2026-10-24T23:45:00")
    for _ in range(4):
        t = cron.next_after(t)
        ticks.append(t)
    assert [b - a for a, b in zip(ticks, ticks[1:], strict=False)] == [timedelta(minutes=30)] * 3


def test_given_a_time_that_spring_forward_skips_when_computing_then_it_runs_right_after_the_gap():
    cron = CronSchedule("30 2 * * *", "Europe/Berlin")  # 02:30 does not exist on 2026-03-29
    t = cron.next_after(at("2026-03-28T12:00:00"))
    assert cron.local(t).strftime("%m-%d %H:%M%z") == "03-29 03:00+0200"
    assert cron.local(cron.next_after(t)).strftime("%m-%d %H:%M%z") == "03-30 02:30+0200"


def test_given_an_instant_on_a_tick_when_asking_the_latest_tick_then_it_is_that_instant():
    cron = CronSchedule("0 * * * *", "Asia/Kolkata")  # +05:30: hourly ticks are at :30 UTC
    assert cron.latest_at_or_before(at("2026-06-01T10:30:00")) == at("2026-06-01T10:30:00")
    assert cron.latest_at_or_before(at("2026-06-01T10:29:59")) == at("2026-06-01T09:30:00")
    assert cron.next_after(at("2026-06-01T10:30:00")) == at("2026-06-01T11:30:00")


# ----------------------------------------------------------------------------- describe, list


def test_given_schedules_when_listing_then_filters_sorting_and_pages_work(service):
    ids = {}
    for name in ["beta", "alpha", "gamma", "alpha-2", "delta"]:
        ids[name] = service.create(definition(name=name, paused=name == "gamma"), "alice")
    names = [d.name for d in service.list(schemas.ListJobDefinitionsQuery(sort_by="name")).items]
    assert names == ["alpha", "alpha-2", "beta", "delta", "gamma"]
    names = [d.name for d in service.list(schemas.ListJobDefinitionsQuery(sort_by="-name")).items]
    assert names == ["gamma", "delta", "beta", "alpha-2", "alpha"]
    assert [d.name for d in service.list(schemas.ListJobDefinitionsQuery(name="alpha", sort_by="name")).items] \
        == ["alpha", "alpha-2"]
    assert [d.name for d in service.list(schemas.ListJobDefinitionsQuery(paused=True)).items] == ["gamma"]
    assert len(service.list(schemas.ListJobDefinitionsQuery(paused=False)).items) == 4
    # The paused one has no next run and sorts last either way it is read.
    assert service.list(schemas.ListJobDefinitionsQuery(sort_by="next_run_at")).items[-1].name == "gamma"
    seen, token = [], None
    while True:
        page = service.list(schemas.ListJobDefinitionsQuery(max_items=2, next_token=token, sort_by="name"))
        assert len(page.items) <= 2
        seen += [d.job_definition_id for d in page.items]
        token = page.next_token
        if token is None:
            break
    assert sorted(seen) == sorted(ids.values()) and len(seen) == 5
    with pytest.raises(InvalidParameter, match="next_token"):
        service.list(schemas.ListJobDefinitionsQuery(next_token="garbage"))


def test_given_no_such_schedule_when_describing_updating_deleting_then_not_found(service):
    with pytest.raises(NotFound, match="job_definition_id"):
        service.describe("nope")
    with pytest.raises(NotFound):
        service.update("nope", schemas.UpdateJobDefinition(paused=True))
    with pytest.raises(NotFound):
        service.delete("nope")
    with pytest.raises(NotFound):
        service.list_runs("nope", schemas.ListJobsQuery())


# ----------------------------------------------------------------------------- firing


def test_given_a_due_tick_when_fired_twice_then_exactly_one_job_with_the_template_and_tick_name(service, db, jobs):
    job_definition_id = service.create(definition(name="report", schedule="0 9 * * *",
                                                  timezone="Europe/Berlin"), "alice")
    tick = at("2026-06-01T07:00:00")  # 09:00 in Berlin (CEST)
    set_next_run(db, job_definition_id, tick)
    now = tick + timedelta(seconds=5)
    created = service.fire_due(now)
    assert len(created) == 1
    assert service.fire_due(now) == []
    assert service.fire_due(now + timedelta(seconds=30)) == []
    job = jobs.describe_job(created[0])
    assert job.name == "report-202606010900"  # the tick in the schedule's own zone
    assert job.experiment_name == "report"  # one experiment for all runs, not one per tick
    assert job.status == schemas.JobStatus.QUEUED
    assert job.job_definition_id == job_definition_id
    assert job.parameters == {"alpha": 0.5} and job.created_by == "alice"
    assert [r.scheduled_for for r in runs_of(db, job_definition_id)] == [tick]
    d = service.describe(job_definition_id)
    assert d.last_run_at == tick
    assert d.next_run_at == at("2026-06-02T07:00:00")


def test_given_a_template_name_when_fired_then_the_job_keeps_that_name(service, db, jobs):
    job_definition_id = service.create(definition(job={"input": "algo/train.py", "name": "train",
                                                       "experiment_name": "exp"}), None)
    set_next_run(db, job_definition_id, at("2026-06-01T02:00:00"))
    [job_id] = service.fire_due(at("2026-06-01T02:00:01"))
    job = jobs.describe_job(job_id)
    assert (job.name, job.experiment_name, job.kind) == ("train", "exp", schemas.JobKind.SCRIPT)


def test_given_many_threads_when_they_fire_the_same_ticks_then_each_tick_creates_one_job(db, settings):
    job_definition_id = ScheduleService(db, settings, JobService(db, settings)).create(
        definition(schedule="* * * * *", max_concurrent_runs=100), "alice")
    base = at("2026-06-01T12:00:00")
    set_next_run(db, job_definition_id, base)
    rounds, workers = 4, 6
    barrier = threading.Barrier(workers)
    created: list[str] = []
    errors: list[BaseException] = []

    def agent() -> None:
        svc = ScheduleService(db, settings, JobService(db, settings))
        try:
            for k in range(rounds):
                barrier.wait(timeout=120)
                created.extend(svc.fire_due(base + timedelta(minutes=k, seconds=3)))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=agent) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    runs = runs_of(db, job_definition_id)
    assert [r.scheduled_for for r in runs] == [base + timedelta(minutes=k) for k in range(rounds)]
    assert sorted(created) == sorted(r.job_id for r in runs)


def test_given_several_processes_when_they_fire_the_same_ticks_then_each_tick_creates_one_job(db, settings, service):
    job_definition_id = service.create(definition(schedule="* * * * *", max_concurrent_runs=100), "alice")
    base = at("2026-06-01T12:00:00")
    set_next_run(db, job_definition_id, base)
    rounds, workers = 4, 3
    # spawn, not fork: each process opens its own engine, as real agents do.
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=fire_in_rounds, args=(settings, barrier, results, base, rounds))
             for _ in range(workers)]
    for p in procs:
        p.start()
    created = [job_id for _ in procs for job_id in results.get(timeout=240)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    runs = runs_of(db, job_definition_id)
    assert [r.scheduled_for for r in runs] == [base + timedelta(minutes=k) for k in range(rounds)]
    assert sorted(created) == sorted(r.job_id for r in runs)
    assert service.describe(job_definition_id).next_run_at == base + timedelta(minutes=rounds)


def test_given_an_agent_died_after_creating_the_job_when_another_fires_then_it_only_advances(service, db, jobs):
    job_definition_id = service.create(definition(), "alice")
    tick = at("2026-06-01T02:00:00")
    set_next_run(db, job_definition_id, tick)
    # What the dead agent managed: the tick's job exists, next_run_at was not advanced.
    first = jobs.create_job(schemas.CreateJob(input="nbs/report.ipynb"), "alice",
                            job_definition_id=job_definition_id, scheduled_for=tick)
    assert service.fire_due(tick + timedelta(seconds=20)) == []
    assert [r.job_id for r in runs_of(db, job_definition_id)] == [first]
    d = service.describe(job_definition_id)
    assert (d.next_run_at, d.last_run_at) == (at("2026-06-02T02:00:00"), tick)


@pytest.mark.parametrize("policy", ["skip", "run_once"])
def test_given_hours_of_downtime_when_the_agent_returns_then_the_missed_run_policy_applies(service, db, policy):
    job_definition_id = service.create(definition(schedule="0 * * * *", missed_run_policy=policy,
                                                  max_concurrent_runs=5), "alice")
    set_next_run(db, job_definition_id, at("2026-06-01T07:00:00"))  # 07:00, 08:00, ..., 10:00 missed
    now = at("2026-06-01T10:20:00")
    created = service.fire_due(now)
    runs = runs_of(db, job_definition_id)
    if policy == "skip":
        assert created == [] and runs == []
        [event] = AuditService(db).list_events(schemas.ListAuditEventsQuery(action="SkipScheduledRun")).items
        assert event.user == "studio-agent" and event.resource_id == job_definition_id
        assert event.detail["reason"] == "missed"
        assert event.detail["missed_from"].startswith("2026-06-01T07:00")
    else:
        assert len(created) == 1
        assert [r.scheduled_for for r in runs] == [at("2026-06-01T10:00:00")]  # one run, the latest tick
    assert service.describe(job_definition_id).next_run_at == at("2026-06-01T11:00:00")
    assert service.fire_due(now + timedelta(minutes=1)) == []
    # Back to normal: the next tick fires on time under either policy.
    assert len(service.fire_due(at("2026-06-01T11:00:10"))) == 1


def test_given_downtime_ending_right_at_a_tick_when_skipping_then_that_tick_still_runs(service, db):
    job_definition_id = service.create(definition(schedule="0 * * * *"), "alice")
    set_next_run(db, job_definition_id, at("2026-06-01T07:00:00"))
    assert len(service.fire_due(at("2026-06-01T10:00:30"))) == 1
    assert [r.scheduled_for for r in runs_of(db, job_definition_id)] == [at("2026-06-01T10:00:00")]


def test_given_max_concurrent_runs_reached_when_a_tick_comes_then_it_is_skipped_and_audited(service, db, jobs):
    job_definition_id = service.create(definition(schedule="* * * * *", max_concurrent_runs=2), "alice")
    base = at("2026-06-01T12:00:00")
    set_next_run(db, job_definition_id, base)
    # No agent runs here, so the jobs stay Queued: not finished, so they count as running.
    first = service.fire_due(base + timedelta(seconds=1))
    second = service.fire_due(base + timedelta(minutes=1, seconds=1))
    assert len(first) == len(second) == 1
    assert service.fire_due(base + timedelta(minutes=2, seconds=1)) == []
    events = AuditService(db).list_events(schemas.ListAuditEventsQuery(action="SkipScheduledRun")).items
    assert len(events) == 1
    assert events[0].user == "studio-agent"
    assert events[0].detail["reason"] == "max_concurrent_runs"
    assert events[0].detail["active_runs"] == 2 and events[0].detail["max_concurrent_runs"] == 2
    assert events[0].detail["tick"].startswith("2026-06-01T12:02")
    assert service.describe(job_definition_id).next_run_at == base + timedelta(minutes=3)
    # A run finishes (stopped here): the next tick fires again.
    jobs.stop_job(first[0], "alice")
    assert len(service.fire_due(base + timedelta(minutes=3, seconds=1))) == 1
    assert [r.scheduled_for for r in runs_of(db, job_definition_id)] == \
        [base, base + timedelta(minutes=1), base + timedelta(minutes=3)]


def test_given_the_input_was_removed_when_a_tick_comes_then_it_fails_on_the_record_and_moves_on(service, db, settings):
    write_notebook(settings.server_root / "tmp.ipynb")
    job_definition_id = service.create(definition(job={"input": "tmp.ipynb"}), "alice")
    (settings.server_root / "tmp.ipynb").unlink()
    set_next_run(db, job_definition_id, at("2026-06-01T02:00:00"))
    assert service.fire_due(at("2026-06-01T02:00:05")) == []
    assert service.describe(job_definition_id).next_run_at == at("2026-06-02T02:00:00")
    [event] = AuditService(db).list_events(schemas.ListAuditEventsQuery(action="FireScheduledRun")).items
    assert event.outcome == schemas.AuditOutcome.FAILURE and "input" in event.detail["error"]


# ----------------------------------------------------------------------------- pause, edit, delete


def test_given_a_paused_schedule_when_due_then_nothing_fires_and_resume_counts_from_now(service, db):
    job_definition_id = service.create(definition(schedule="*/5 * * * *"), "alice")
    set_next_run(db, job_definition_id, at("2026-06-01T02:00:00"))
    service.update(job_definition_id, schemas.UpdateJobDefinition(paused=True))
    d = service.describe(job_definition_id)
    assert d.paused is True and d.next_run_at is None
    assert service.fire_due(at("2026-06-01T02:00:05")) == []
    assert runs_of(db, job_definition_id) == []
    before = datetime.now(UTC)
    service.update(job_definition_id, schemas.UpdateJobDefinition(paused=False))
    d = service.describe(job_definition_id)
    assert d.paused is False
    assert before < d.next_run_at <= before + timedelta(minutes=5)
    assert d.next_run_at.minute % 5 == 0 and d.next_run_at.second == 0
    assert service.fire_due(datetime.now(UTC)) == []  # no replay of what the pause skipped


def test_given_a_paused_creation_when_created_then_it_has_no_next_run(service):
    d = service.describe(service.create(definition(paused=True), None))
    assert d.paused is True and d.next_run_at is None


def test_given_an_edit_when_patching_then_only_given_fields_change_and_ticks_follow_the_new_schedule(service, db, jobs):
    job_definition_id = service.create(definition(max_concurrent_runs=3), "alice")
    original = service.describe(job_definition_id)
    service.update(job_definition_id, schemas.UpdateJobDefinition(name="renamed"))
    d = service.describe(job_definition_id)
    assert d.name == "renamed"
    assert (d.schedule, d.timezone, d.job, d.next_run_at, d.max_concurrent_runs) == \
        (original.schedule, original.timezone, original.job, original.next_run_at, 3)
    assert d.updated_at >= original.updated_at

    service.update(job_definition_id, schemas.UpdateJobDefinition(schedule="15 6 * * *", timezone="Asia/Tokyo"))
    d = service.describe(job_definition_id)
    local = d.next_run_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (6, 15) and d.next_run_at > datetime.now(UTC)

    service.update(job_definition_id, schemas.UpdateJobDefinition(
        job=schemas.JobTemplate(input="nbs/report.ipynb", parameters={"alpha": 0.9}, instance_type="local.medium"),
        missed_run_policy="run_once"))
    d = service.describe(job_definition_id)
    assert d.job.parameters == {"alpha": 0.9} and d.missed_run_policy == schemas.MissedRunPolicy.RUN_ONCE
    set_next_run(db, job_definition_id, at("2026-06-01T21:15:00"))  # 06:15 in Tokyo
    [job_id] = service.fire_due(at("2026-06-01T21:15:02"))
    job = jobs.describe_job(job_id)
    assert job.parameters == {"alpha": 0.9} and job.instance_type == "local.medium"
    assert job.name == "renamed-202606020615"


@pytest.mark.parametrize(("patch", "prefix"), [
    ({"schedule": "0 0 0 0 0"}, "schedule: "),
    ({"timezone": "Nowhere/Land"}, "timezone: "),
    ({"job": {"input": "nbs/report.ipynb", "instance_type": "local.tiny"}}, "job.instance_type: "),
])
def test_given_a_bad_edit_when_patching_then_it_is_refused_and_nothing_changes(service, patch, prefix):
    job_definition_id = service.create(definition(), "alice")
    before = service.describe(job_definition_id)
    with pytest.raises(InvalidParameter) as err:
        service.update(job_definition_id, schemas.UpdateJobDefinition.model_validate({"name": "x", **patch}))
    assert err.value.message.startswith(prefix)
    assert service.describe(job_definition_id) == before


def test_given_a_deleted_schedule_then_it_stops_firing_disappears_and_its_runs_stay_listed(service, db, jobs):
    job_definition_id = service.create(definition(schedule="* * * * *", max_concurrent_runs=100), "alice")
    set_next_run(db, job_definition_id, at("2026-06-01T12:00:00"))
    [job_id] = service.fire_due(at("2026-06-01T12:00:01"))
    service.delete(job_definition_id)
    with pytest.raises(NotFound):
        service.describe(job_definition_id)
    with pytest.raises(NotFound):
        service.delete(job_definition_id)
    assert service.list(schemas.ListJobDefinitionsQuery()).items == []
    set_next_run(db, job_definition_id, at("2026-06-01T12:01:00"))  # even if it looked due
    assert service.fire_due(at("2026-06-01T12:01:01")) == []
    assert [j.job_id for j in service.list_runs(job_definition_id, schemas.ListJobsQuery()).items] == [job_id]
    listed = jobs.list_jobs(schemas.ListJobsQuery(job_definition_id=job_definition_id))
    assert [j.job_id for j in listed.items] == [job_id]


def test_given_racing_agents_when_a_tick_is_skipped_then_the_skip_is_recorded_once(db, settings, service):
    job_definition_id = service.create(definition(schedule="* * * * *"), "alice")  # max_concurrent_runs 1
    base = at("2026-06-01T12:00:00")
    set_next_run(db, job_definition_id, base)
    assert len(service.fire_due(base + timedelta(seconds=1))) == 1  # stays Queued: the cap is reached
    barrier = threading.Barrier(5)
    created: list[str] = []

    def agent() -> None:
        svc = ScheduleService(db, settings, JobService(db, settings))
        barrier.wait(timeout=120)
        created.extend(svc.fire_due(base + timedelta(minutes=1, seconds=1)))

    threads = [threading.Thread(target=agent) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert created == []
    events = AuditService(db).list_events(schemas.ListAuditEventsQuery(action="SkipScheduledRun")).items
    assert [e.detail["tick"] for e in events] == ["2026-06-01T12:01:00+00:00"]
    assert len(runs_of(db, job_definition_id)) == 1
    assert service.describe(job_definition_id).next_run_at == base + timedelta(minutes=2)
