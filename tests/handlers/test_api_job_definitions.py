"""/studio/api/job-definitions (schedules) through a real Jupyter server and the real ScheduleService."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio_ext import schemas


@pytest.fixture
def notebook(write_notebook):
    write_notebook("nightly.ipynb")
    return "nightly.ipynb"


async def create(studio_api, **fields):
    status, data = await studio_api("POST", "job-definitions", body=fields)
    assert status == 201, data
    return data["job_definition_id"]


async def test_given_a_cron_and_a_template_when_created_then_201_and_described(studio_api, notebook):
    status, data = await studio_api("POST", "job-definitions", body={
        "name": "nightly", "schedule": "0 2 * * *", "timezone": "Europe/Paris",
        "job": {"input": notebook, "parameters": {"alpha": 0.2}, "instance_type": "local.medium"},
        "max_concurrent_runs": 2, "missed_run_policy": "run_once"})

    assert status == 201
    definition_id = data["job_definition_id"]
    status, d = await studio_api("GET", "job-definitions", definition_id)
    assert status == 200
    assert d["name"] == "nightly" and d["schedule"] == "0 2 * * *" and d["timezone"] == "Europe/Paris"
    assert d["job"]["input"] == notebook and d["job"]["parameters"] == {"alpha": 0.2}
    assert d["max_concurrent_runs"] == 2 and d["missed_run_policy"] == "run_once"
    assert d["paused"] is False and d["next_run_at"] is not None


async def test_given_a_schedule_when_paused_edited_and_resumed_then_patch_answers_204(studio_api, notebook):
    definition_id = await create(studio_api, name="n", schedule="*/5 * * * *", job={"input": notebook})

    code, body = await studio_api("PATCH", "job-definitions", definition_id, body={"paused": True})
    assert (code, body) == (204, None)
    _, d = await studio_api("GET", "job-definitions", definition_id)
    assert d["paused"] is True and d["next_run_at"] is None

    code, _ = await studio_api("PATCH", "job-definitions", definition_id,
                               body={"paused": False, "name": "renamed", "schedule": "0 6 * * 1"})
    assert code == 204
    _, d = await studio_api("GET", "job-definitions", definition_id)
    assert (d["paused"], d["name"], d["schedule"]) == (False, "renamed", "0 6 * * 1")
    assert d["next_run_at"] is not None


async def test_given_schedules_when_listed_and_filtered_then_pages_and_filters_work(studio_api, notebook):
    for name in ("a", "b", "c"):
        await create(studio_api, name=name, schedule="0 1 * * *", job={"input": notebook}, paused=name == "b")

    _, page = await studio_api("GET", "job-definitions", params={"max_items": "2", "sort_by": "name"})
    assert [d["name"] for d in page["items"]] == ["a", "b"] and page["next_token"]
    _, rest = await studio_api("GET", "job-definitions", params={"max_items": "2", "sort_by": "name",
                                                                 "next_token": page["next_token"]})
    assert [d["name"] for d in rest["items"]] == ["c"] and rest["next_token"] is None
    _, paused = await studio_api("GET", "job-definitions", params={"paused": "true"})
    assert [d["name"] for d in paused["items"]] == ["b"]


async def test_given_a_schedule_with_runs_when_its_jobs_are_listed_then_only_its_runs(studio_api, studio_app,
                                                                                    notebook):
    definition_id = await create(studio_api, name="n", schedule="0 1 * * *", job={"input": notebook})
    other = await create(studio_api, name="o", schedule="0 1 * * *", job={"input": notebook})
    # Fire two ticks the way the agent does (a run needs no agent to exist as a Queued job).
    jobs = studio_app.settings["studio_ext_job_service"]
    for hour in (1, 2):
        jobs.create_job(schemas.CreateJob(input=notebook), "studio-agent", job_definition_id=definition_id,
                        scheduled_for=datetime(2026, 1, 1, hour, tzinfo=UTC))
    await create(studio_api, name="unrelated", schedule="0 1 * * *", job={"input": notebook})
    await studio_api("POST", "jobs", body={"input": notebook})

    code, runs = await studio_api("GET", "job-definitions", definition_id, "jobs")

    assert code == 200
    assert len(runs["items"]) == 2
    assert {j["job_definition_id"] for j in runs["items"]} == {definition_id}
    _, none = await studio_api("GET", "job-definitions", other, "jobs")
    assert none["items"] == []
    code, error = await studio_api("GET", "job-definitions", definition_id, "jobs",
                                   params={"job_definition_id": other})
    assert code == 400 and error["message"].startswith("job_definition_id:")


async def test_given_a_schedule_when_deleted_then_204_then_404_but_its_runs_stay_listed(studio_api, notebook):
    definition_id = await create(studio_api, name="n", schedule="0 1 * * *", job={"input": notebook})

    code, body = await studio_api("DELETE", "job-definitions", definition_id)

    assert (code, body) == (204, None)
    assert (await studio_api("GET", "job-definitions", definition_id))[0] == 404
    assert (await studio_api("DELETE", "job-definitions", definition_id))[0] == 404
    code, runs = await studio_api("GET", "job-definitions", definition_id, "jobs")
    assert (code, runs["items"]) == (200, [])


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"name": "n", "schedule": "every day", "job": {"input": "nightly.ipynb"}}, 400, "schedule"),
    ({"name": "n", "schedule": "61 * * * *", "job": {"input": "nightly.ipynb"}}, 400, "schedule"),
    ({"name": "n", "schedule": "0 1 * * *", "timezone": "Mars/Olympus", "job": {"input": "nightly.ipynb"}},
     400, "timezone"),
    ({"name": "n", "schedule": "0 1 * * *", "job": {"input": "../x.ipynb"}}, 400, "job.input"),
    ({"name": "n", "schedule": "0 1 * * *", "job": {"input": "gone.ipynb"}}, 404, "job.input"),
    ({"name": "n", "schedule": "0 1 * * *", "job": {"input": "nightly.ipynb", "instance_type": "x"}},
     400, "job.instance_type"),
    ({"name": "n", "schedule": "0 1 * * *", "job": {"input": "nightly.ipynb", "color": "red"}}, 400, "job.color"),
    ({"name": "n", "schedule": "0 1 * * *", "job": {"input": "nightly.ipynb"}, "max_concurrent_runs": "2x"},
     400, "max_concurrent_runs"),
    ({"name": "n", "schedule": "0 1 * * *", "job": {"input": "nightly.ipynb"}, "missed_run_policy": "all"},
     400, "missed_run_policy"),
    ({"schedule": "0 1 * * *", "job": {"input": "nightly.ipynb"}}, 400, "name"),
    ({"name": "n", "schedule": "0 1 * * *"}, 400, "job"),
])
async def test_given_bad_definitions_when_created_then_4xx_names_the_field(studio_api, notebook, body, status,
                                                                          field):
    code, error = await studio_api("POST", "job-definitions", body=body)

    assert code == status, error
    assert error["message"].startswith(f"{field}:") or f"; {field}:" in error["message"], error["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"schedule": "not cron"}, "schedule"),
    ({"paused": "sometimes"}, "paused"),
    ({"unknown": 1}, "unknown"),
    ({"job": {"input": "../../etc/passwd"}}, "job.input"),
])
async def test_given_bad_patches_then_400_names_the_field(studio_api, notebook, body, field):
    definition_id = await create(studio_api, name="n", schedule="0 1 * * *", job={"input": notebook})

    code, error = await studio_api("PATCH", "job-definitions", definition_id, body=body)

    assert code == 400, error
    assert error["message"].startswith(f"{field}:"), error["message"]


async def test_given_bad_json_when_patching_then_400(studio_api, notebook):
    definition_id = await create(studio_api, name="n", schedule="0 1 * * *", job={"input": notebook})

    code, error = await studio_api("PATCH", "job-definitions", definition_id, raw_body="{paused: true}")

    assert code == 400 and error["message"].startswith("request body: not valid JSON")


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("GET", (), None), ("PATCH", (), {"paused": True}), ("DELETE", (), None), ("GET", ("jobs",), None),
])
async def test_given_an_unknown_definition_id_then_404(studio_api, method, suffix, body):
    code, error = await studio_api(method, "job-definitions", "nope", *suffix, body=body)

    assert code == 404
    assert error["error_code"] == "ResourceNotFound" and "nope" in error["message"]


@pytest.mark.parametrize("params", [{"next_token": "zzz"}, {"paused": "perhaps"}, {"sort_by": "colour"},
                                    {"owner": "me"}])
async def test_given_bad_list_parameters_then_400(studio_api, params):
    code, error = await studio_api("GET", "job-definitions", params=params)

    assert code == 400
    assert error["message"].startswith(f"{next(iter(params))}:"), error["message"]
