"""The SDK's schedules API against a real server: create, list, get, pause, resume, update, runs, delete."""

from __future__ import annotations

import pytest

from studio_ext.exceptions import InvalidParameter, NotFound


def test_given_schedule_when_managed_through_sdk_then_every_change_is_visible(studio, make_notebook):
    rel = make_notebook("sdk_sched/nightly.ipynb", ["print(alpha)"], params="alpha = 1")

    s = studio.schedules.create("sdk-nightly", "0 3 * * *", input=rel, parameters={"alpha": 2},
                                timezone="Europe/Paris", instance_type="local.small",
                                max_concurrent_runs=2, missed_run_policy="run_once")

    assert s.name == "sdk-nightly" and s.schedule == "0 3 * * *" and s.timezone == "Europe/Paris"
    assert s.job.input == rel and s.job.parameters == {"alpha": 2}
    assert s.max_concurrent_runs == 2 and s.missed_run_policy.value == "run_once"
    assert s.paused is False and s.next_run_at is not None
    assert s.job_definition_id in [x.job_definition_id for x in studio.schedules.list(name="sdk-nightly")]

    assert s.pause().paused is True
    assert studio.schedules.get(s.job_definition_id).paused is True
    assert s.job_definition_id in [x.job_definition_id for x in studio.schedules.list(paused=True)]
    assert s.resume().paused is False

    s.update(schedule="30 4 * * 1-5", parameters={"alpha": 5}, instance_type="local.medium")
    d = studio.schedules.get(s.job_definition_id)
    assert d.schedule == "30 4 * * 1-5"
    # Job options merge into the template: the input stays.
    assert d.job.parameters == {"alpha": 5} and d.job.instance_type == "local.medium" and d.job.input == rel

    assert s.runs() == []

    s.delete()
    with pytest.raises(NotFound):
        studio.schedules.get(s.job_definition_id)


@pytest.mark.parametrize("kwargs, words", [
    ({"schedule": "not a cron"}, ["schedule"]),
    ({"schedule": "0 3 * * *", "timezone": "Mars/Olympus"}, ["timezone", "Mars/Olympus"]),
    ({"schedule": "0 3 * * *", "input": "sdk_sched/missing.ipynb"}, ["input"]),
])
def test_given_bad_schedule_when_created_then_error_names_the_field(studio, make_notebook, kwargs, words):
    make_notebook("sdk_sched/ok.ipynb", ["print(1)"])
    kwargs = {"input": "sdk_sched/ok.ipynb", **kwargs}
    with pytest.raises((InvalidParameter, NotFound)) as info:
        studio.schedules.create("sdk-bad", **kwargs)
    for word in words:
        assert word in info.value.message


def test_given_unknown_schedule_when_paused_then_not_found(studio):
    with pytest.raises(NotFound):
        studio.schedules.pause("no-such-schedule")
