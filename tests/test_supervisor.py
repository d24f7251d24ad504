"""AgentSupervisor against real agent processes: lock detection, watch-only, respawn, clean stop."""

from __future__ import annotations

import fcntl
import logging
import time

import psutil
import pytest

from studio_ext.settings import StudioSettings
from studio_ext.supervisor import AgentSupervisor, lock_is_held


@pytest.fixture
def settings(studio_home, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    return StudioSettings.from_env(home=studio_home, server_root=root)


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_given_a_held_lock_then_lock_is_held_and_released_lock_is_not(tmp_path):
    lock = tmp_path / "agent.lock"
    assert lock_is_held(lock) is False
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert lock_is_held(lock) is True
    assert lock_is_held(lock) is False


def test_given_another_agent_holds_the_lock_then_the_supervisor_only_watches_until_it_is_gone(settings, caplog):
    supervisor = AgentSupervisor(settings, warm_pool=0, check_interval=0.2, log=logging.getLogger("t"))
    with open(supervisor.lock_file, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with caplog.at_level(logging.INFO):
            supervisor.check()
        assert supervisor.proc is None
        assert "already runs" in caplog.text
    # The foreign agent is gone (lock released): the next check starts our own.
    try:
        supervisor.check()
        assert supervisor.pid is not None
        assert wait_for(lambda: lock_is_held(supervisor.lock_file)), (settings.home / "agent.log").read_text()
    finally:
        supervisor.stop()
    assert supervisor.proc is None


def test_given_our_agent_dies_then_the_supervisor_restarts_it_with_backoff(settings, caplog):
    supervisor = AgentSupervisor(settings, warm_pool=0, check_interval=0.2, log=logging.getLogger("t"))
    try:
        supervisor.start()
        first = supervisor.pid
        assert first and wait_for(lambda: lock_is_held(supervisor.lock_file))
        with caplog.at_level(logging.INFO):
            psutil.Process(first).kill()
            assert wait_for(lambda: supervisor.pid not in (None, first), timeout=30)
        assert "exited with code -9" in caplog.text
        assert supervisor.spawns == 2
        assert psutil.Process(supervisor.pid).cmdline()[1:3] == ["-m", "studio_ext.runner.agent"]
    finally:
        supervisor.stop()


def test_given_a_started_agent_when_stopped_then_it_exits(settings):
    supervisor = AgentSupervisor(settings, warm_pool=0, check_interval=0.2)
    supervisor.start()
    pid = supervisor.pid
    assert pid

    supervisor.stop()

    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
