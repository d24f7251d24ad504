"""Every mutation through the REST API writes an audit event: who, action, resource, outcome, time."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta

import pytest


async def events(studio_api, **params):
    status, data = await studio_api("GET", "audit-events", params=params or None)
    assert status == 200, data
    return data["items"]


async def test_given_job_mutations_then_each_is_audited_with_who_what_which_and_outcome(studio_api,
                                                                                      write_notebook):
    write_notebook("nb.ipynb")
    before = datetime.now(UTC) - timedelta(seconds=5)
    _, created = await studio_api("POST", "jobs", body={"input": "nb.ipynb"})
    job_id = created["job_id"]
    await studio_api("POST", "jobs", job_id, "stop")
    await studio_api("POST", "jobs", job_id, "stop")  # 409: already Stopped
    await studio_api("DELETE", "jobs", job_id)
    await studio_api("GET", "jobs", job_id)  # reads are not audited

    items = await events(studio_api)

    assert [(e["action"], e["resource_type"], e["resource_id"], e["outcome"]) for e in reversed(items)] == [
        ("CreateJob", "job", job_id, "Success"),
        ("StopJob", "job", job_id, "Success"),
        ("StopJob", "job", job_id, "Failure"),
        ("DeleteJob", "job", job_id, "Success"),
    ]
    for e in items:
        # A shared-token server is single-user: the audit names the account that runs it.
        assert e["user"] == getpass.getuser()
        assert before <= datetime.fromisoformat(e["time"].replace("Z", "+00:00")) <= datetime.now(UTC)
    failure = items[1]
    assert failure["detail"]["error_code"] == "ConflictException" and failure["detail"]["status"] == 409


async def test_given_rejected_input_then_the_failure_is_audited_with_the_error_code(studio_api):
    await studio_api("POST", "jobs", body={"input": "../escape.ipynb"})
    await studio_api("POST", "jobs", raw_body="{oops")
    await studio_api("DELETE", "jobs", "missing-id")

    items = await events(studio_api)

    assert [(e["action"], e["resource_id"], e["outcome"], e["detail"]["error_code"]) for e in reversed(items)] == [
        ("CreateJob", None, "Failure", "InvalidParameterValue"),
        ("CreateJob", None, "Failure", "InvalidParameterValue"),
        ("DeleteJob", "missing-id", "Failure", "ResourceNotFound"),
    ]
    assert "outside the server root" in items[-1]["detail"]["message"]


async def test_given_schedule_mutations_then_each_is_audited(studio_api, write_notebook):
    write_notebook("nb.ipynb")
    _, created = await studio_api("POST", "job-definitions",
                                  body={"name": "n", "schedule": "0 1 * * *", "job": {"input": "nb.ipynb"}})
    definition_id = created["job_definition_id"]
    await studio_api("PATCH", "job-definitions", definition_id, body={"paused": True})
    await studio_api("PATCH", "job-definitions", definition_id, body={"schedule": "bad"})
    await studio_api("DELETE", "job-definitions", definition_id)

    items = await events(studio_api, resource_type="job-definition")

    assert [(e["action"], e["resource_id"], e["outcome"]) for e in reversed(items)] == [
        ("CreateJobDefinition", definition_id, "Success"),
        ("UpdateJobDefinition", definition_id, "Success"),
        ("UpdateJobDefinition", definition_id, "Failure"),
        ("DeleteJobDefinition", definition_id, "Success"),
    ]


async def test_given_many_events_when_filtered_and_paged_then_the_audit_list_works(studio_api, write_notebook):
    write_notebook("nb.ipynb")
    for _ in range(3):
        await studio_api("POST", "jobs", body={"input": "nb.ipynb"})
    await studio_api("DELETE", "jobs", "x")

    first = await events(studio_api, action="CreateJob", max_items="2")
    status, page = await studio_api("GET", "audit-events", params={"action": "CreateJob", "max_items": "2"})
    _, rest = await studio_api("GET", "audit-events", params={"action": "CreateJob", "max_items": "2",
                                                              "next_token": page["next_token"]})

    assert len(first) == 2 and len(rest["items"]) == 1 and rest["next_token"] is None
    assert {e["action"] for e in first + rest["items"]} == {"CreateJob"}


@pytest.mark.parametrize("params", [{"next_token": "!!"}, {"max_items": "-1"}, {"when": "today"}])
async def test_given_bad_audit_query_then_400(studio_api, params):
    code, error = await studio_api("GET", "audit-events", params=params)

    assert code == 400
    assert error["message"].startswith(f"{next(iter(params))}:"), error["message"]


async def test_given_the_audit_log_when_an_event_is_edited_in_the_database_then_verify_names_it(
        studio_api, write_notebook, studio_app):
    from sqlalchemy import text

    from studio_ext.store.db import get_engine

    write_notebook("nb.ipynb")
    _, created = await studio_api("POST", "jobs", body={"input": "nb.ipynb"})
    await studio_api("POST", "jobs", created["job_id"], "stop")
    await studio_api("DELETE", "jobs", created["job_id"])
    status, check = await studio_api("GET", "audit-events", "verify")
    assert status == 200 and check == {"intact": True, "events_checked": 3, "first_broken_event_id": None,
                                       "reason": None}
    stop = (await events(studio_api, action="StopJob"))[0]
    assert len(stop["hash"]) == 64 and len(stop["prev_hash"]) == 64

    # Someone with the database file rewrites who stopped the job.
    with get_engine(studio_app.db_url).begin() as conn:
        conn.execute(text("UPDATE audit_events SET user = 'someone-else' WHERE event_id = :id"),
                     {"id": stop["event_id"]})
    status, check = await studio_api("GET", "audit-events", "verify")

    assert status == 200 and check["intact"] is False
    assert check["first_broken_event_id"] == stop["event_id"] and "the event was changed" in check["reason"]
    assert check["events_checked"] == 1


async def test_given_a_mutation_then_its_event_names_the_source_address_client_and_request_id(studio_api,
                                                                                                write_notebook):
    write_notebook("nb.ipynb")
    await studio_api("POST", "jobs", body={"input": "nb.ipynb"},
                     headers={"X-Request-Id": "ci-run-42", "User-Agent": "studio-cli/0.1"})
    await studio_api("POST", "jobs", body={"input": "nb.ipynb"}, headers={"X-Request-Id": "bad id with spaces"})

    mine, other = (e["detail"] for e in reversed(await events(studio_api, action="CreateJob")))

    assert mine["request_id"] == "ci-run-42" and mine["user_agent"] == "studio-cli/0.1"
    assert mine["source_ip"] in ("127.0.0.1", "::1")
    assert len(other["request_id"]) == 32 and other["request_id"] != "bad id with spaces"  # a fresh one instead
