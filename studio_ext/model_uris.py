"""models:/ URIs: parsed and resolved against the registry (the services validate, the agent deploys)."""

from __future__ import annotations

import re
from typing import Any

from .exceptions import InvalidParameter, NotFound

MODEL_URI = re.compile(
    r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[A-Za-z0-9_-]+))$")


def parse_model_uri(uri: str, field: str = "model") -> tuple[str, str | None, str | None]:
    """models:/<name>/<version> or models:/<name>@<alias> -> (name, version, alias)."""
    match = MODEL_URI.match(uri.strip())
    if not match:
        raise InvalidParameter(
            f"{field}: {uri!r} is not models:/<name>/<version> or models:/<name>@<alias>")
    return match["name"], match["version"], match["alias"]


def resolve_model(client: Any, uri: str, field: str = "model") -> tuple[str, str]:
    """(version, download URI) of what `uri` points at now, asked of an MlflowClient; NotFound
    naming `field` otherwise."""
    name, version, alias = parse_model_uri(uri, field)
    try:
        mv = (client.get_model_version_by_alias(name, alias) if alias
              else client.get_model_version(name, version))
        return str(mv.version), client.get_model_version_download_uri(name, str(mv.version))
    except Exception as exc:  # MLflow raises its own RestException/MlflowException kinds
        what = f"alias {alias!r}" if alias else f"version {version}"
        message = f"{field}: model {name!r} has no {what} ({getattr(exc, 'message', exc)})"
        raise NotFound(message[:500]) from None


def local_path(download_uri: str) -> str:
    """A download URI as the path a scoring process loads (file:// stripped; others unchanged)."""
    return download_uri[len("file://"):] if download_uri.startswith("file://") else download_uri
