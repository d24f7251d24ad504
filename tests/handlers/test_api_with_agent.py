"""The pytest-jupyter server with start_agent on: the supervised agent runs a job end to end."""

from __future__ import annotations

import asyncio
import time

import psutil
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def studio_start_agent() -> bool:
    return True


async def test_given_the_supervised_agent_when_a_notebook_is_submitted_then_it_completes(studio_api, studio_app,
                                                                                       write_notebook):
    write_notebook("nb.ipynb", params="alpha = 1", cells=["print(alpha * 3)"])
    status, created = await studio_api("POST", "jobs", body={"input": "nb.ipynb", "parameters": {"alpha": 5}})
    assert status == 201
    job_id = created["job_id"]

    deadline = time.monotonic() + 240
    job = {}
    while time.monotonic() < deadline:
        _, job = await studio_api("GET", "jobs", job_id)
        if job["status"] in ("Completed", "Failed", "Stopped"):
            break
        await asyncio.sleep(0.5)

    assert job["status"] == "Completed", job
    _, config = await studio_api("GET", "config")
    assert config["agent"]["alive"] is True
    agent_pid = studio_app.supervisor.pid
    assert agent_pid and psutil.pid_exists(agent_pid)

    # Stopping the extension (what a clean server shutdown does) stops the agent it started.
    await studio_app.stop_extension()
    assert not psutil.pid_exists(agent_pid) or psutil.Process(agent_pid).status() == psutil.STATUS_ZOMBIE
