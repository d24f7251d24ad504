"""Where the studio tracks and registers: its own variables first, then MLflow's, then its home."""

from __future__ import annotations

import pytest

from studio_ext.settings import StudioSettings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("STUDIO_MLFLOW_TRACKING_URI", "STUDIO_MLFLOW_REGISTRY_URI", "MLFLOW_TRACKING_URI",
                 "MLFLOW_REGISTRY_URI", "STUDIO_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(("env", "tracking", "registry"), [
    ({}, "sqlite:///{home}/mlflow.db", "sqlite:///{home}/mlflow.db"),
    ({"MLFLOW_TRACKING_URI": "http://mlflow:5000"}, "http://mlflow:5000", "http://mlflow:5000"),
    ({"MLFLOW_TRACKING_URI": "http://mlflow:5000", "STUDIO_MLFLOW_TRACKING_URI": "sqlite:////s.db"},
     "sqlite:////s.db", "sqlite:////s.db"),
    ({"MLFLOW_REGISTRY_URI": "sqlite:////r.db"}, "sqlite:///{home}/mlflow.db", "sqlite:////r.db"),
    ({"MLFLOW_REGISTRY_URI": "sqlite:////r.db", "STUDIO_MLFLOW_REGISTRY_URI": "sqlite:////s.db"},
     "sqlite:///{home}/mlflow.db", "sqlite:////s.db"),
])
def test_given_mlflow_variables_when_settings_are_made_then_the_documented_precedence_holds(
        clean_env, tmp_path, env, tracking, registry):
    for name, value in env.items():
        clean_env.setenv(name, value)
    home = (tmp_path / "home").resolve()

    settings = StudioSettings.from_env(home=home)

    assert settings.mlflow_tracking_uri == tracking.format(home=home)
    assert settings.mlflow_registry_uri == registry.format(home=home)
    assert StudioSettings.from_env(home=home, mlflow_tracking_uri="file:///x").mlflow_tracking_uri == "file:///x"
