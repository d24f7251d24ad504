"""Real-time endpoints through the SDK: `studio.endpoints.deploy("models:/churn@champion")` -> Predictor."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..exceptions import StudioError
from ..schemas import DescribeEndpoint, EndpointCapture, EndpointMetrics, EndpointStatus
from . import widgets
from ._http import _error_from

if TYPE_CHECKING:
    from .client import Studio


def _q(text: str) -> str:
    return quote(str(text), safe="")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_payload(data: Any) -> dict:
    """A DataFrame -> dataframe_split; a list of dicts -> dataframe_records; an array or a list of
    rows -> instances; a dict with one of MLflow's keys is sent as it is."""
    if isinstance(data, dict) and any(k in data for k in ("dataframe_split", "dataframe_records", "instances",
                                                          "inputs")):
        return data
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        split = data.to_dict(orient="split")
        return {"dataframe_split": {"columns": list(split["columns"]), "data": split["data"]}}
    if hasattr(data, "tolist"):
        return {"instances": data.tolist()}
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return {"dataframe_records": data}
    if isinstance(data, list):
        return {"instances": data}
    raise TypeError("predict() takes a DataFrame, an array, a list of rows or of records, or an MLflow payload")


class Endpoint(DescribeEndpoint):
    """An endpoint's description; in a notebook, its status and variants as a table."""

    def _repr_html_(self) -> str:
        return widgets.endpoint_html(self)


class Predictor:
    """An endpoint to score with: `predictor.predict(df)` -> the list of predictions."""

    def __init__(self, studio: Studio, name: str):
        self._studio = studio
        self.name = name

    def __repr__(self) -> str:
        return f"<Predictor {self.name}>"

    def _repr_html_(self) -> str:
        return widgets.endpoint_html(self._studio.endpoints.get(self.name))

    def predict(self, data: Any) -> list:
        return self._studio.endpoints.invoke(self.name, to_payload(data))["predictions"]

    def describe(self) -> Endpoint:
        return self._studio.endpoints.get(self.name)

    def rollback(self, *, deployment_policy: dict | None = None, wait: bool = True,
                 timeout: float = 300.0) -> DescribeEndpoint:
        """Back to the previous configuration (or stop the update in progress); see EndpointsClient.rollback."""
        return self._studio.endpoints.rollback(self.name, deployment_policy=deployment_policy, wait=wait,
                                               timeout=timeout)

    def delete(self) -> None:
        self._studio.endpoints.delete(self.name)


class EndpointsClient:
    """`studio.endpoints`: create/list/describe/update/delete endpoints, invoke them, read metrics."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def create(self, name: str, variants: list[dict], *, data_capture: dict | None = None,
               schema_enforcement: str | None = None) -> Endpoint:
        """`variants`: [{"name", "model": "models:/<name>/<version>" or "models:/<name>@<alias>",
        "instance_type", "instance_count", "weight"}] (all but model have defaults);
        `schema_enforcement`: "mlflow" (default: as `mlflow models serve`) or "strict"."""
        body: dict[str, Any] = {"name": name, "variants": variants}
        if data_capture is not None:
            body["data_capture"] = data_capture
        if schema_enforcement is not None:
            body["schema_enforcement"] = schema_enforcement
        return Endpoint.model_validate(self._studio._http.post("endpoints", body))

    def deploy(self, model: str, name: str | None = None, *, instance_type: str = "local.small",
               instance_count: int = 1, data_capture: dict | None = None, wait: bool = True,
               timeout: float = 300.0) -> Predictor:
        """One-variant endpoint for `model` (models:/<name>/<version> or models:/<name>@<alias>);
        waits until it is InService (or raises with the Failed reason) and returns a Predictor."""
        if name is None:
            name = model.removeprefix("models:/").replace("/", "-").replace("@", "-").replace("_", "-").lower()
        self.create(name, [{"name": "primary", "model": model, "instance_type": instance_type,
                            "instance_count": instance_count}], data_capture=data_capture)
        if wait:
            self.wait(name, timeout=timeout)
        return Predictor(self._studio, name)

    def predictor(self, name: str) -> Predictor:
        return Predictor(self._studio, name)

    def list(self) -> list[Endpoint]:
        return [Endpoint.model_validate(item) for item in self._studio._http.get("endpoints")["items"]]

    def get(self, name: str) -> Endpoint:
        return Endpoint.model_validate(self._studio._http.get(f"endpoints/{_q(name)}"))

    def update(self, name: str, *, variants: list[dict] | None = None, data_capture: dict | None = None,
               deployment_policy: dict | None = None, schema_enforcement: str | None = None) -> None:
        """New variants and/or data capture; `deployment_policy`: {"type": "all_at_once" | "canary" |
        "linear", "canary_percent", "baking_seconds", "step_percent", "step_seconds",
        "error_rate_threshold"}."""
        body = {k: v for k, v in (("variants", variants), ("data_capture", data_capture),
                                  ("deployment_policy", deployment_policy),
                                  ("schema_enforcement", schema_enforcement)) if v is not None}
        self._studio._http.patch(f"endpoints/{_q(name)}", body)

    def rollback(self, name: str, *, deployment_policy: dict | None = None, wait: bool = True,
                 timeout: float = 300.0) -> DescribeEndpoint:
        """During an update: stop it (the previous replicas take all traffic back at once).
        Otherwise deploy the previous configuration (`describe().previous_configuration`) with
        `deployment_policy` (default all at once); a second rollback rolls forward again. With
        `wait` (the default), returns once the endpoint is InService again."""
        body = {"deployment_policy": deployment_policy} if deployment_policy is not None else {}
        self._studio._http.post(f"endpoints/{_q(name)}/rollback", body)
        return self.wait(name, timeout=timeout) if wait else self.get(name)

    def delete(self, name: str) -> None:
        self._studio._http.delete(f"endpoints/{_q(name)}")

    def wait(self, name: str, *, timeout: float = 300.0, poll: float = 0.5) -> Endpoint:
        """Until InService; raises StudioError with the reason if it becomes Failed."""
        deadline = time.monotonic() + timeout
        while True:
            described = self.get(name)
            if described.status == EndpointStatus.IN_SERVICE:
                return described
            if described.status == EndpointStatus.FAILED:
                raise StudioError(f"endpoint {name!r} failed: {described.status_reason}", "ResourceInUse")
            if time.monotonic() > deadline:
                raise StudioError(f"endpoint {name!r} is still {described.status.value} after {timeout:g} s",
                                  "ServiceUnavailable")
            time.sleep(poll)

    def invoke(self, name: str, payload: Any, content_type: str = "application/json") -> Any:
        """POST the payload (a dict -> JSON, a str/bytes as is) to the endpoint's router URL."""
        http = self._studio._http
        body = payload if isinstance(payload, str | bytes) else json.dumps(payload, default=_json_default)
        response = http.session.post(f"{http.server.url}studio/endpoints/{_q(name)}/invocations", data=body,
                                     headers={"Content-Type": content_type}, timeout=http.timeout)
        if response.status_code >= 400:
            raise _error_from(response)
        return response.json()

    def metrics(self, name: str, *, since_seconds: float | None = None,
                period_seconds: float | None = None) -> EndpointMetrics:
        """Live totals per variant, and the history (`series`, one point per period) of the last
        `since_seconds` (default 900)."""
        return EndpointMetrics.model_validate(self._studio._http.get(
            f"endpoints/{_q(name)}/metrics", since_seconds=since_seconds, period_seconds=period_seconds))

    def capture(self, name: str, max_items: int = 50) -> EndpointCapture:
        return EndpointCapture.model_validate(self._studio._http.get(f"endpoints/{_q(name)}/capture",
                                                                     max_items=max_items))
