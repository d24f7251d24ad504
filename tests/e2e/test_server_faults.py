"""Fault tests of the server and its supervised agent: kill -9, respawn, clean stop, no agent."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest
from e2e.server import agent_pids

pytestmark = pytest.mark.slow

SLOW_SCRIPT = """\
import os, sys, time
seconds = float(sys.argv[sys.argv.index('--seconds') + 1])
print('sleeping', seconds, flush=True)
time.sleep(seconds)
open(os.path.join(os.environ['STUDIO_OUTPUT_DIR'], 'done.txt'), 'w').write('ok')
print('done', flush=True)
"""


def wait_until(predicate, timeout: float = 120, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def one_agent(home) -> int:
    wait_until(lambda: agent_pids(home), what="a studio agent")
    # The lock admits one; a second that lost the race may still be on its way out.
    wait_until(lambda: len(agent_pids(home)) == 1, timeout=30, what="exactly one agent")
    return agent_pids(home)[0]


def test_given_a_running_job_when_the_server_is_killed_9_then_the_job_still_completes(studio_server_factory,
                                                                                      tmp_path):
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    (root / "slow.py").write_text(SLOW_SCRIPT)
    first = studio_server_factory(root_dir=root, studio_home=home)
    agent = one_agent(home)
    job_id = first.api("POST", "jobs", json={"input": "slow.py", "parameters": {"seconds": 12}}).json()["job_id"]
    first.wait_job(job_id, {"InProgress"}, timeout=120)

    first.kill9()

    assert psutil.pid_exists(agent), "the agent must outlive a kill -9 of the server (own session)"
    second = studio_server_factory(root_dir=root, studio_home=home)
    job = second.wait_job(job_id, timeout=300)
    assert job["status"] == "Completed", job
    assert "done.txt" in {o["name"] for o in job["outputs"]}
    # The new server found the surviving agent through its lock and did not start a second one.
    assert agent_pids(home) == [agent]
    assert second.api("GET", "config").json()["agent"]["alive"] is True


def test_given_the_agent_is_killed_9_then_the_supervisor_starts_a_new_one_that_runs_jobs(studio_server_factory,
                                                                                        tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "quick.py").write_text("print('quick')\n")
    server = studio_server_factory(root_dir=root, studio_home=tmp_path / "home")
    old = one_agent(server.studio_home)

    os.kill(old, signal.SIGKILL)

    new = wait_until(lambda: [p for p in agent_pids(server.studio_home) if p != old], what="a respawned agent")[0]
    assert new != old
    assert "exited with code" in server.server_log() or "gone" in server.server_log()
    job_id = server.api("POST", "jobs", json={"input": "quick.py"}).json()["job_id"]
    assert server.wait_job(job_id)["status"] == "Completed"


def test_given_a_clean_server_stop_then_its_agent_stops_too(studio_server_factory, tmp_path):
    server = studio_server_factory(studio_home=tmp_path / "home")
    agent = one_agent(server.studio_home)

    server.stop()

    wait_until(lambda: not psutil.pid_exists(agent) or psutil.Process(agent).status() == psutil.STATUS_ZOMBIE,
               timeout=60, what="the agent to exit")


def test_given_start_agent_off_then_no_agent_and_jobs_wait_queued(studio_server_factory, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "quick.py").write_text("print('quick')\n")
    server = studio_server_factory(root_dir=root, studio_home=tmp_path / "home", start_agent=False)

    job_id = server.api("POST", "jobs", json={"input": "quick.py"}).json()["job_id"]
    time.sleep(5)

    assert agent_pids(server.studio_home) == []
    assert server.api("GET", f"jobs/{job_id}").json()["status"] == "Queued"
    assert server.api("GET", "config").json()["agent"]["alive"] is False
