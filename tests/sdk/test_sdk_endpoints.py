"""SDK: model.deploy(...) -> Predictor.predict(df) against a real jupyter lab + agent + replica processes."""

from __future__ import annotations

import pytest
from serving_models import register_lr

from studio_ext.exceptions import InvalidParameter, NotFound, StudioError


def test_given_a_registered_model_when_deployed_from_the_sdk_then_predict_and_manage_it(studio):
    config = studio.config()
    columns, head, expected = register_lr(config.mlflow_tracking_uri, config.studio_home + "/test-artifacts",
                                          "sdk-lr", versions=2, studio_home=config.studio_home)
    predictor = studio.models.deploy("sdk-lr", 1, endpoint_name="sdk-ep", timeout=240)
    assert predictor.predict(head) == expected  # a DataFrame
    assert predictor.predict(head.values) == expected  # an array
    assert predictor.predict(head.to_dict(orient="records")) == expected
    described = predictor.describe()
    assert described.status.value == "InService" and described.replicas[0].model_version == "1"
    assert [e.name for e in studio.endpoints.list()] == ["sdk-ep"]
    with pytest.raises(InvalidParameter, match="mean radius"):
        predictor.predict([[1.0]])
    assert studio.endpoints.metrics("sdk-ep").variants[0].invocations >= 3
    studio.endpoints.update("sdk-ep", variants=[{"model": "models:/sdk-lr/2"}])
    described = studio.endpoints.wait("sdk-ep", timeout=240)
    # the old replica may still be draining (Stopping, no traffic) for a few seconds
    assert described.generation == 2
    assert [r.model_version for r in described.replicas if r.generation == 2] == ["2"]
    assert all(r.weight == 0 for r in described.replicas if r.generation == 1)
    assert [v.model for v in described.previous_configuration.variants] == ["models:/sdk-lr/1"]
    described = predictor.rollback(timeout=240)  # waits until InService on version 1 again
    assert [v.model for v in described.variants] == ["models:/sdk-lr/1"] and described.deployment.rollback
    assert predictor.predict(head) == expected
    with pytest.raises(InvalidParameter, match="period_seconds"):
        studio.endpoints.metrics("sdk-ep", since_seconds=86400, period_seconds=1)
    with pytest.raises(NotFound):
        studio.endpoints.get("nope")
    predictor.delete()
    with pytest.raises(StudioError):  # deleted: Deleting now, gone shortly
        for _ in range(600):
            studio.endpoints.get("sdk-ep")
            __import__("time").sleep(0.1)


def test_given_the_agent_is_killed_then_replicas_keep_serving_and_the_next_agent_adopts_them(studio_server_factory):
    import os
    import signal
    import time

    from e2e.server import agent_pids

    from studio_ext.sdk import Studio

    server = studio_server_factory(extra_env={"STUDIO_AGENT_STALE_S": "3"})
    studio = Studio(url=server.url, token=server.token)
    config = studio.config()
    from pathlib import Path

    from studio_ext import tracking

    tracking.client(config.mlflow_tracking_uri, Path(config.studio_home))  # the store's creation is locked
    _columns, head, expected = register_lr(config.mlflow_tracking_uri, config.studio_home + "/test-artifacts",
                                           "e2e-lr")
    predictor = studio.endpoints.deploy("models:/e2e-lr/1", "e2e", timeout=240)
    replica = predictor.describe().replicas[0]
    [agent] = agent_pids(server.studio_home)
    os.kill(agent, signal.SIGKILL)
    assert predictor.predict(head) == expected  # no agent: the replica and the router still serve
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not [p for p in agent_pids(server.studio_home) if p != agent]:
        time.sleep(0.5)
    # the supervised successor adopts the endpoint: the same replica process, not a new one ...
    time.sleep(5)
    assert [(r.replica_id, r.pid) for r in predictor.describe().replicas] == [(replica.replica_id, replica.pid)]
    # ... and now watches it: a crash is repaired
    os.killpg(replica.pid, signal.SIGKILL)
    while time.monotonic() < deadline:
        replicas = predictor.describe().replicas
        if replicas[0].restarts == 1 and replicas[0].status == "Healthy":
            break
        time.sleep(0.5)
    assert replicas[0].restarts == 1 and replicas[0].pid != replica.pid
    assert predictor.predict(head) == expected
    predictor.delete()
