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
    with pytest.raises(NotFound):
        studio.endpoints.get("nope")
    predictor.delete()
    with pytest.raises(StudioError):  # deleted: Deleting now, gone shortly
        for _ in range(600):
            studio.endpoints.get("sdk-ep")
            __import__("time").sleep(0.1)
