"""GET /studio/api/config and /studio/api/instance-types through a real Jupyter server."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from studio_ext import __version__
from studio_ext.store import orm
from studio_ext.store.db import Database


async def test_given_a_fresh_studio_when_config_is_fetched_then_it_describes_the_studio(studio_api, studio_home,
                                                                                         jp_root_dir):
    status, config = await studio_api("GET", "config")

    assert status == 200
    assert config["version"] == __version__
    assert {"jobs", "schedules", "warm-pool"} <= set(config["features"])
    assert config["studio_home"] == str(studio_home)
    assert config["server_root"] == str(jp_root_dir.resolve())
    assert config["mlflow_tracking_uri"] == f"sqlite:///{studio_home / 'mlflow.db'}"
    assert config["agent"]["alive"] is False  # handler tests run without an agent


async def test_given_an_agent_heartbeat_in_the_database_when_config_is_fetched_then_the_agent_is_alive(
        studio_api, studio_home):
    db = Database(f"sqlite:///{studio_home / 'studio.db'}")
    now = datetime.now(UTC)
    with db.session() as session:
        session.add(orm.Agent(agent_id="old", hostname=socket.gethostname(), pid=1,
                              started_at=now - timedelta(hours=2), heartbeat_at=now - timedelta(hours=1)))
        session.add(orm.Agent(agent_id="a-live", hostname=socket.gethostname(), pid=2, started_at=now,
                              heartbeat_at=now))

    status, config = await studio_api("GET", "config")

    assert status == 200
    assert config["agent"]["alive"] is True
    assert config["agent"]["agent_id"] == "a-live"
    assert config["agent"]["heartbeat_at"].startswith(now.strftime("%Y-%m-%dT%H:%M"))


async def test_given_only_a_stale_heartbeat_when_config_is_fetched_then_the_agent_is_not_alive(
        studio_api, studio_home):
    db = Database(f"sqlite:///{studio_home / 'studio.db'}")
    old = datetime.now(UTC) - timedelta(minutes=10)
    with db.session() as session:
        session.add(orm.Agent(agent_id="gone", hostname="h", pid=1, started_at=old, heartbeat_at=old))

    status, config = await studio_api("GET", "config")

    assert status == 200
    assert config["agent"]["alive"] is False
    assert config["agent"]["agent_id"] == "gone"


async def test_given_an_unknown_query_parameter_when_config_is_fetched_then_400_names_it(studio_api):
    status, error = await studio_api("GET", "config", params={"verbose": "1"})

    assert status == 400
    assert error["error_code"] == "InvalidParameterValue"
    assert error["message"].startswith("verbose: unknown query parameter")


async def test_given_the_default_catalog_when_instance_types_are_listed_then_all_four_are_there(studio_api):
    status, data = await studio_api("GET", "instance-types")

    assert status == 200
    names = [item["name"] for item in data["items"]]
    assert names == ["local.small", "local.medium", "local.large", "local.gpu"]
    small = data["items"][0]
    assert small["vcpus"] == 1 and small["memory_mib"] == 2048 and small["max_concurrent"] >= 1


@pytest.fixture
def operator_catalog(studio_home):
    # Requested before studio_api, so the file exists when the server starts and reads the catalog.
    (studio_home / "instance_types.json").write_text(
        '[{"name": "tiny", "vcpus": 1, "memory_mib": 256, "price_per_hour": 0.01}]')


async def test_given_an_operator_catalog_file_when_instance_types_are_listed_then_it_is_used(
        operator_catalog, studio_api):
    status, data = await studio_api("GET", "instance-types")

    assert status == 200
    assert [item["name"] for item in data["items"]] == ["tiny"]


async def test_given_a_query_parameter_when_instance_types_are_listed_then_400(studio_api):
    status, error = await studio_api("GET", "instance-types", params={"max_items": "1"})
    assert status == 400
    assert "max_items: unknown query parameter" in error["message"]


async def test_given_a_fresh_studio_when_config_is_fetched_then_every_registered_part_is_a_feature(studio_api):
    status, config = await studio_api("GET", "config")

    assert status == 200
    assert {"jobs", "schedules", "warm-pool", "notebook-parameters", "audit-events", "experiments", "models",
            "lineage", "mlflow-ui", "endpoints", "transform-jobs", "algorithms", "tuning-jobs"} == set(config["features"])


def test_given_a_part_that_is_not_registered_when_features_are_computed_then_its_feature_is_missing():
    from studio_ext.app import PARTS, UI_PARTS, features
    from studio_ext.runner.executors.base import BaseExecutor
    from studio_ext.runner.executors.local import LocalExecutor

    without_endpoints = [part for part in (*PARTS, *UI_PARTS) if part.feature != "endpoints"]

    assert "endpoints" in features((*PARTS, *UI_PARTS), LocalExecutor)
    assert "endpoints" not in features(without_endpoints, LocalExecutor)
    assert "transform-jobs" in features(without_endpoints, LocalExecutor)
    # The warm pool is the local executor's; an executor without one does not announce it.
    assert "warm-pool" not in features(PARTS, BaseExecutor)
