"""Load an MLflow model once: a pickled scikit-learn model directly (no mlflow import), else pyfunc."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .signature import InputSchema, parse_signature


class LoadedModel:
    """`predict(x)` plus the input schema; `flavor` says how it was loaded."""

    def __init__(self, predict, schema: InputSchema, flavor: str, path: Path, pyfunc: Any = None):
        self.predict = predict
        self.schema = schema
        self.flavor = flavor
        self.path = path
        self.pyfunc = pyfunc  # the mlflow.pyfunc model, when it was loaded that way


def local_path(model_uri: str, tracking_uri: str | None = None) -> Path:
    """A local folder for `model_uri` (a path, file:// URI, or any MLflow URI, downloaded)."""
    if model_uri.startswith("file://"):
        model_uri = model_uri[len("file://"):]
    if "://" not in model_uri and ":" not in model_uri.split("/", 1)[0]:
        return Path(model_uri)
    from mlflow.artifacts import download_artifacts  # only for remote/registry URIs

    return Path(download_artifacts(artifact_uri=model_uri, tracking_uri=tracking_uri))


class DeserializationDisallowed(RuntimeError):
    """MLFLOW_ALLOW_MODEL_CODE_EXECUTION (or the deprecated MLFLOW_ALLOW_PICKLE_DESERIALIZATION) says
    no, and the model can only be loaded by deserializing it."""


# MLflow 3.18 renamed the switch; both names must allow (mlflow/utils/model_utils.py,
# _is_pickle_loading_allowed), so a deployment that set the old one to false stays closed.
CODE_EXECUTION_VARIABLE = "MLFLOW_ALLOW_MODEL_CODE_EXECUTION"
DEPRECATED_PICKLE_VARIABLE = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"


def _boolean_variable(name: str) -> bool:
    """A boolean MLflow environment variable as MLflow reads it (mlflow/environment_variables.py):
    unset means allowed; true/false/1/0 in any case; anything else is an error, as in MLflow."""
    value = os.environ.get(name)
    if value is None:
        return True
    if value.lower() not in ("true", "false", "1", "0"):
        raise ValueError(f"{name} value must be one of ['true', 'false', '1', '0'] "
                         f"(case-insensitive), but got {value}")
    return value.lower() in ("true", "1")


def allow_deserialization() -> bool:
    return _boolean_variable(CODE_EXECUTION_VARIABLE) and _boolean_variable(DEPRECATED_PICKLE_VARIABLE)


def _check_deserialization_allowed(serialization_format: str) -> None:
    # NB: mlflow.sklearn (3.x, _load_model_from_local_file) refuses every format when the flag is
    # false, skops included: skops only blocks the types outside its trusted list, and that list is
    # read from the model's own MLmodel file (skops_trusted_types), so a crafted model can trust
    # anything. We load the same files without MLflow, so we refuse the same way. (MLflow also
    # exempts Databricks runtimes, where the studio does not run.)
    if not allow_deserialization():
        hint = ""
        if not _boolean_variable(DEPRECATED_PICKLE_VARIABLE):
            hint = f" Also unset the deprecated environment variable '{DEPRECATED_PICKLE_VARIABLE}', which is set to 'false'."
        raise DeserializationDisallowed(
            f"Deserializing this model ({serialization_format} format) is disallowed. Loading a model can execute "
            "arbitrary code from the model artifact, including models saved in the 'skops' format, whose "
            "trusted-types allow-list is read from the model itself. Only load models from trusted sources; set "
            f"'{CODE_EXECUTION_VARIABLE}' to 'true' to allow loading." + hint)


def load(model_uri: str, tracking_uri: str | None = None) -> LoadedModel:
    """Load the model at `model_uri`. Raises DeserializationDisallowed for a scikit-learn model
    when MLFLOW_ALLOW_MODEL_CODE_EXECUTION (or the deprecated MLFLOW_ALLOW_PICKLE_DESERIALIZATION) is
    false (as mlflow.sklearn does; other flavors go
    through mlflow.pyfunc, which applies the flag itself)."""
    import yaml

    path = local_path(model_uri, tracking_uri)
    mlmodel_file = path / "MLmodel"
    if not mlmodel_file.is_file():
        raise FileNotFoundError(f"{path} has no MLmodel file: not an MLflow model")
    mlmodel = yaml.safe_load(mlmodel_file.read_text()) or {}
    schema = parse_signature(mlmodel.get("signature"))
    flavors = mlmodel.get("flavors") or {}
    sk = flavors.get("sklearn") or {}
    pyfunc = flavors.get("python_function") or {}
    if (sk.get("serialization_format") in ("cloudpickle", "pickle") and sk.get("pickled_model")
            and pyfunc.get("loader_module") == "mlflow.sklearn" and pyfunc.get("predict_fn", "predict") == "predict"):
        # The same bytes mlflow.sklearn would unpickle, without importing mlflow (seconds of
        # start-up and ~100 MB per replica).
        _check_deserialization_allowed(sk["serialization_format"])
        import cloudpickle

        with open(path / sk["pickled_model"], "rb") as fh:
            model = cloudpickle.load(fh)
        # A model fitted on a DataFrame warns on every numpy input; the columns are already in
        # signature order, so the warning says nothing here.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return LoadedModel(model.predict, schema, "sklearn", path)
    if (sk.get("serialization_format") == "skops" and sk.get("pickled_model")
            and pyfunc.get("loader_module") == "mlflow.sklearn" and pyfunc.get("predict_fn", "predict") == "predict"):
        _check_deserialization_allowed("skops")
        model = _load_skops(path / sk["pickled_model"], sk.get("skops_trusted_types") or [])
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        return LoadedModel(model.predict, schema, "sklearn", path)
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(str(path))
    return LoadedModel(_pyfunc_predict(model, schema), schema, "python_function", path, pyfunc=model)


def _load_skops(file: Path, extra_trusted: list[str]) -> Any:
    """skops.io.load with the policy mlflow.sklearn uses (every scikit-learn estimator is trusted,
    plus the model's own skops_trusted_types), minus skops' start-up cost: importing skops.io
    builds that list by importing every scikit-learn module (and torch through array-api-compat),
    about 4 s here. We check the few types this file holds instead."""
    import sklearn.utils
    from sklearn.base import BaseEstimator

    global _skops_defaults_skipped
    if "skops.io" not in sys.modules:
        real = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda *a, **k: []  # only while skops builds its default list
        try:
            import skops.io  # noqa: F401
        finally:
            sklearn.utils.all_estimators = real
        _skops_defaults_skipped = True
    import skops.io
    trusted = list(extra_trusted)
    for name in skops.io.get_untrusted_types(file=file):
        if name in trusted:
            continue
        module, _, cls_name = name.rpartition(".")
        cls = None
        if module.split(".", 1)[0] == "sklearn":
            import importlib

            cls = getattr(importlib.import_module(module), cls_name, None)
        if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
            raise ValueError(f"the model holds the untrusted type {name}; add it to skops_trusted_types "
                             "when logging the model if you trust it")
        trusted.append(name)
    return skops.io.load(file, trusted=trusted)


_skops_defaults_skipped = False


def restore_skops_defaults() -> None:
    """Give skops the default trusted list _load_skops skipped (before mlflow.sklearn loads a skops
    model in this process: it relies on that list). Costs what the skip saved, once."""
    global _skops_defaults_skipped
    if not _skops_defaults_skipped:
        return
    from sklearn.utils import all_estimators
    from skops.io import _trusted_types
    from skops.io._utils import get_type_name

    names = [get_type_name(cls) for _, cls in all_estimators() if get_type_name(cls).startswith("sklearn.")]
    _trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES.extend(names)  # the list skops' loaders share
    _skops_defaults_skipped = False


def _pyfunc_predict(model: Any, schema: InputSchema):
    def predict(x: Any) -> Any:
        if schema.kind == "columns" and not hasattr(x, "columns"):
            import pandas as pd

            x = pd.DataFrame(x, columns=schema.names)
            # The readers hand numbers over as float64 (a CSV has no types): integer columns of the
            # signature get integers back where the values are whole, as MLflow's check requires.
            for name, column in zip(schema.names, schema.columns, strict=True):
                if column.type in ("long", "integer"):
                    values = x[name].to_numpy()
                    if np.isfinite(values).all() and (values == np.round(values)).all():
                        x[name] = values.astype(np.int64 if column.type == "long" else np.int32)
        return model.predict(x)

    return predict


def to_jsonable(predictions: Any) -> Any:
    if hasattr(predictions, "to_dict") and hasattr(predictions, "columns"):
        return predictions.to_dict(orient="records")
    if hasattr(predictions, "tolist"):
        return predictions.tolist()
    if isinstance(predictions, dict):
        return {k: to_jsonable(v) for k, v in predictions.items()}
    return predictions


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
