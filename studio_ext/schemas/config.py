"""GET /studio/api/config: the version handshake."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import _Model


class StudioConfig(_Model):
    """GET /studio/api/config: the frontend's version handshake."""

    version: str
    features: list[str]
    server_root: str | None = None
    studio_home: str
    mlflow_tracking_uri: str
    mlflow_registry_uri: str | None = None
    mlflow_ui_url: str | None = Field(default=None, description="the MLflow UI behind Jupyter's auth "
                                                                "(absolute path on this server)")
    agent: dict[str, Any] = Field(default_factory=dict)
