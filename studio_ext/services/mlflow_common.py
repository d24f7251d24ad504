"""MLflow plumbing shared by the experiments and registry services: the client, the ONE error translation.

Every MLflow call of the services runs inside `mlflow_errors(...)`, so an MlflowException (from a
local store or a remote server's RestException) always reaches the REST layer as a StudioError
with the right status: RESOURCE_DOES_NOT_EXIST -> 404, INVALID_PARAMETER_VALUE -> 400,
ALREADY_EXISTS -> 409, an unreachable server -> 503.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import tracking
from ..exceptions import Conflict, InvalidParameter, NotFound, ServiceUnavailable, StudioError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

# MLflow error codes (mlflow.protos.databricks_pb2 names) -> our error classes.
_NOT_FOUND = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "ENDPOINT_NOT_FOUND"}
_INVALID = {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "INVALID_STATE", "MALFORMED_REQUEST",
            "INVALID_REQUEST"}
_CONFLICT = {"RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS", "RESOURCE_CONFLICT", "ABORTED"}
_UNAVAILABLE = {"TEMPORARILY_UNAVAILABLE", "SERVICE_UNDER_MAINTENANCE", "REQUEST_LIMIT_EXCEEDED"}


def translate(exc: BaseException, field: str | None = None) -> StudioError:
    """The StudioError for an MLflow (or transport) failure; `field` prefixes 400 messages, so a
    bad search filter answers 'filter: ...'."""
    tracking.import_mlflow()
    from mlflow.exceptions import MlflowException

    if isinstance(exc, StudioError):
        return exc
    if isinstance(exc, MlflowException):
        code = str(exc.error_code or "")
        message = exc.message if hasattr(exc, "message") else str(exc)
        message = " ".join(str(message).split())[:1000]  # remote errors arrive with newlines and JSON
        if code in _NOT_FOUND:
            return NotFound(f"{field}: {message}" if field else message)
        if code in _INVALID:
            return InvalidParameter(f"{field}: {message}" if field else message)
        if code in _CONFLICT:
            return Conflict(message)
        if code in _UNAVAILABLE:
            return ServiceUnavailable(f"MLflow: {message}")
        return StudioError(f"MLflow: {message}", "InternalError")
    # requests' ConnectionError/Timeout from a remote tracking server that went away.
    name = type(exc).__name__
    if name in ("ConnectionError", "Timeout", "ReadTimeout", "ConnectTimeout", "MaxRetryError"):
        return ServiceUnavailable(f"MLflow tracking server unreachable: {exc}")
    return StudioError(f"MLflow: {type(exc).__name__}: {exc}", "InternalError")


@contextmanager
def mlflow_errors(field: str | None = None) -> Iterator[None]:
    """Translate whatever MLflow raises inside the block (see translate)."""
    try:
        yield
    except StudioError:
        raise
    except Exception as exc:
        raise translate(exc, field) from exc


class MlflowAccess:
    """Owns one MlflowClient on the studio's tracking and registry URIs, made on first use."""

    def __init__(self, tracking_uri: str, home: Path | None = None, registry_uri: str | None = None):
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        self.home = home
        self._client: MlflowClient | None = None  # imported on first use: MLflow costs seconds
        self._lock = threading.Lock()

    @property
    def client(self):
        if self._client is None:
            tracking.import_mlflow()
            with self._lock:
                if self._client is None:
                    from mlflow.tracking import MlflowClient

                    with mlflow_errors():
                        if self.home is not None and tracking.is_local_store(self.tracking_uri):
                            # tracking.client serialises the first-use schema migration between
                            # the server, the agent and job processes.
                            tracking.client(self.tracking_uri, self.home, self.registry_uri)
                        self._client = MlflowClient(tracking_uri=self.tracking_uri,
                                                    registry_uri=self.registry_uri)
        return self._client


class MlflowBackedService:
    """Base of the services that read MLflow through one shared MlflowAccess; `job_service`
    (optional) links runs and model versions to the studio jobs that made them."""

    def __init__(self, settings, job_service=None, mlflow: MlflowAccess | None = None):
        self.settings = settings
        self.job_service = job_service
        self.mlflow = mlflow or MlflowAccess(settings.mlflow_tracking_uri, settings.home,
                                             settings.mlflow_registry_uri)

    @property
    def client(self):
        return self.mlflow.client


def preload_in_background() -> None:
    """Import MLflow's client modules on a daemon thread: the import costs seconds, and without
    this the first Experiments panel request pays for it. Touches no store. Requests that need
    MLflow meanwhile wait for it on tracking.import_mlflow's lock instead of importing beside it."""

    def load() -> None:
        try:
            tracking.import_mlflow()
        except Exception:  # an unusable MLflow install shows up, with its error, on first real use
            pass

    threading.Thread(target=load, name="studio-mlflow-preload", daemon=True).start()


# ----------------------------------------------------------------------------- JSON-friendly values


def ms_to_datetime(ms: int | None) -> datetime | None:
    """MLflow's epoch milliseconds as an aware UTC datetime (ISO in JSON)."""
    if ms is None or ms == 0:
        return None
    return datetime.fromtimestamp(ms / 1000.0, tz=UTC)


def finite(value: Any) -> float | None:
    """A metric as a JSON number: NaN and infinities become null (JSON has no NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def quote_filter_value(value: str) -> str:
    """A string literal for MLflow's search syntax."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def artifact_repo(artifact_uri: str, tracking_uri: str):
    """The artifact repository of a run's root URI, bound to OUR tracking URI.

    NB: MlflowClient.list_artifacts goes through a runs:/ URI whose MLflow 3 fallback (logged
    models) reads the process-global tracking URI, not the client's; the repository of the run's
    own artifact URI never does.
    """
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    return get_artifact_repository(artifact_uri, tracking_uri=tracking_uri)
