"""MLflow's scoring protocol, answered by MLflow's own code, for every request the fast path does not take.

A replica answers most requests of tabular numeric models on its fast path (payload.py: one numpy
array, micro-batched, no pandas, no mlflow import). Everything else is answered here the way
`mlflow models serve` answers it, by calling the functions its scoring server calls
(mlflow.pyfunc.scoring_server): the parsing of every format (dataframe_split/records, instances
and inputs with multi-input tensors, CSV with a header, Parquet, the unified chat/completions
input), `params` validated against the signature's params schema, MLflow's serialization of the
predictions (DataFrames as records, dicts keep their shape) and MLflow's error shape
(`{"error_code": "BAD_REQUEST", "message", "stack_trace"}`).

One deliberate difference: when a model *with a signature* fails inside predict on input that
passed its schema (and holds no NaN or infinity), the answer is a 500 ModelError, where MLflow
answers 400. That failure is the model's, and the studio's canary rollback counts 5xx against
the new variant.
"""

from __future__ import annotations

import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .payload import has_nonfinite


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


def mlflow_version() -> str:
    """What GET /version answers (MLflow's scoring server answers its own version)."""
    try:
        return importlib.metadata.version("mlflow")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Watched:
    """The model as MLflow's `invocations` sees it, noting a failure inside predict itself (which
    `invocations` turns into a 400 like any other)."""

    def __init__(self, model: Any):
        self.model = model
        self.metadata = model.metadata
        self.failure: BaseException | None = None

    def predict(self, data: Any, params: dict | None = None) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return self.model.predict(data, params=params)
        except MlflowException:  # schema or params enforcement: the input's fault
            raise
        except Exception as exc:
            self.failure = exc
            raise


class MlflowProtocol:
    """Answers /invocations with MLflow's scoring-server code on the pyfunc form of the model.

    Args:
        path: the model folder.
        pyfunc: the model already loaded with mlflow.pyfunc (else it is loaded on first use).
    """

    def __init__(self, path: Path, pyfunc: Any = None):
        self.path = path
        self._pyfunc = pyfunc

    @property
    def model(self) -> Any:
        if self._pyfunc is None:
            import mlflow.pyfunc

            from .model import restore_skops_defaults

            restore_skops_defaults()
            self._pyfunc = mlflow.pyfunc.load_model(str(self.path))
        return self._pyfunc

    def invoke(self, body: bytes, content_type: str) -> Reply:
        from mlflow.exceptions import MlflowException
        from mlflow.pyfunc import scoring_server

        try:
            model = self.model
        except Exception as exc:  # the model loaded for the fast path but not as a pyfunc
            return _error(500, "ModelError", f"the model cannot be loaded with mlflow.pyfunc: {exc}")
        if b'"target"' in body:
            body = deepar_request(body, model.metadata.get_input_schema(), model.metadata.get_params_schema())
        watched = _Watched(model)
        try:
            result = scoring_server.invocations(body, content_type or scoring_server.CONTENT_TYPE_JSON,
                                                watched, model.metadata.get_input_schema())
        except MlflowException as exc:
            failure = watched.failure
            if failure is not None and model.metadata.get_input_schema() is not None:
                data = _parsed_or_none(body, content_type, model)
                if data is None or not has_nonfinite(data):
                    return _error(500, "ModelError",
                                  f"the model could not score this input: {type(failure).__name__}: {failure}")
            return Reply(exc.get_http_status_code(), exc.serialize_as_json().encode())
        except Exception as exc:  # whatever MLflow's parsing trips over is still the request's fault
            return _error(400, "BAD_REQUEST", f"{type(exc).__name__}: {exc}")
        body_out = result.response if isinstance(result.response, bytes) else result.response.encode()
        return Reply(result.status, body_out, result.mimetype)


def deepar_request(body: bytes, schema: Any, params_schema: Any = None) -> bytes:
    """SageMaker DeepAR's request for a model that takes series (an array column `target`, the
    forecaster): its `instances` (one object per series, of any lengths, which MLflow's tensor
    parsing refuses) read as `dataframe_records`, and its `configuration` ({"quantiles": ["0.1"],
    "num_samples": 200, ...}) as MLflow params: `quantiles` always, `num_samples` when the model
    takes it (its params schema says so); the other settings (output_types) have no counterpart
    and are dropped. Other models' requests are left to MLflow as they are."""
    from mlflow.types.schema import Array

    takes_series = schema is not None and any(
        getattr(c, "name", None) == "target" and isinstance(getattr(c, "type", None), Array)
        for c in getattr(schema, "inputs", []))
    if not takes_series:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body  # MLflow's parser answers the broken JSON
    if not isinstance(data, dict):
        return body
    if isinstance(data.get("instances"), list) and all(isinstance(r, dict) for r in data["instances"]):
        data["dataframe_records"] = data.pop("instances")
    for record in data.get("dataframe_records") or []:
        # DeepAR's targets: integers, and null or "NaN" for a missing value, all as doubles.
        if isinstance(record, dict) and isinstance(record.get("target"), list):
            record["target"] = [_as_double(v) for v in record["target"]]
    configuration = data.pop("configuration", None)
    params = data.setdefault("params", {})
    if isinstance(configuration, dict) and isinstance(params, dict) and isinstance(configuration.get("quantiles"),
                                                                                    list):
        try:
            params.setdefault("quantiles", [float(q) for q in configuration["quantiles"]])
        except (TypeError, ValueError):
            params.setdefault("quantiles", configuration["quantiles"])  # MLflow's params check answers
    takes_samples = any(getattr(p, "name", None) == "num_samples" for p in getattr(params_schema, "params", None) or [])
    if (takes_samples and isinstance(configuration, dict) and isinstance(params, dict)
            and configuration.get("num_samples") is not None):
        params.setdefault("num_samples", configuration["num_samples"])
    if not params:
        data.pop("params")
    return json.dumps(data).encode()


def _as_double(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip().lower() == "nan"):
        return float("nan")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value  # MLflow's schema check names what is wrong with it


def _parsed_or_none(body: bytes, content_type: str, model: Any) -> Any:
    """The request as MLflow parses it, to look for NaN (None when it does not parse)."""
    from mlflow.pyfunc import scoring_server

    try:
        if (content_type or "").split(";")[0].strip() == scoring_server.CONTENT_TYPE_CSV:
            import io

            return scoring_server.parse_csv_input(io.StringIO(body.decode()), model.metadata.get_input_schema())
        return scoring_server._parse_json_data(body, model.metadata, model.metadata.get_input_schema()).data
    except Exception:
        return None


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, json.dumps({"error_code": code, "message": message[:2000]}).encode())
