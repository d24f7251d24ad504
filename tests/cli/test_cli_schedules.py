"""`studio schedules ...` against a real server."""

from __future__ import annotations

import json


def test_given_schedule_when_managed_through_cli_then_every_command_works(studio_cli, make_notebook):
    rel = make_notebook("cli_sched/report.ipynb", ["print(day)"], params="day = 'mon'")

    created = studio_cli("schedules", "create", "cli-report", rel, "--schedule", "15 6 * * 1-5",
                         "--timezone", "America/New_York", "-p", "day", "tue", "--max-concurrent-runs", "2",
                         "--missed-run-policy", "run_once", "-q")
    assert created.exit_code == 0, created.output
    sid = created.output.strip()

    described = json.loads(studio_cli("schedules", "describe", sid, "--json").output)
    assert described["schedule"] == "15 6 * * 1-5" and described["timezone"] == "America/New_York"
    assert described["job"]["parameters"] == {"day": "tue"} and described["max_concurrent_runs"] == 2
    assert described["missed_run_policy"] == "run_once"
    assert sid in studio_cli("schedules", "list").output

    assert studio_cli("schedules", "pause", sid).exit_code == 0
    assert json.loads(studio_cli("schedules", "describe", sid, "--json").output)["paused"] is True
    assert sid in studio_cli("schedules", "list", "--paused").output
    assert studio_cli("schedules", "resume", sid).exit_code == 0
    assert json.loads(studio_cli("schedules", "describe", sid, "--json").output)["paused"] is False

    updated = studio_cli("schedules", "update", sid, "--schedule", "0 7 * * *", "-p", "day", "wed")
    assert updated.exit_code == 0, updated.output
    described = json.loads(studio_cli("schedules", "describe", sid, "--json").output)
    assert described["schedule"] == "0 7 * * *" and described["job"]["parameters"] == {"day": "wed"}
    assert described["job"]["input"] == rel

    runs = studio_cli("schedules", "runs", sid)
    assert runs.exit_code == 0 and "No runs yet" in runs.output

    assert studio_cli("schedules", "delete", sid).exit_code == 0
    assert studio_cli("schedules", "describe", sid).exit_code == 3


def test_given_bad_cron_when_created_then_exit_3_naming_the_field(studio_cli, make_notebook):
    rel = make_notebook("cli_sched/x.ipynb", ["print(1)"])
    result = studio_cli("schedules", "create", "bad", rel, "--schedule", "every day")
    assert result.exit_code == 3 and "schedule" in result.output
