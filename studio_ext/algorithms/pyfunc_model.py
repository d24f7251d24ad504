"""A fitted model whose `predict(x, **params)` takes inference parameters, as an MLflow pyfunc model
(imported only when such a model is logged or loaded: it imports MLflow)."""

from __future__ import annotations

from typing import Any

from mlflow.pyfunc import PythonModel


class WithParams(PythonModel):
    def __init__(self, model: Any):
        self.model = model

    # No type hints on purpose: MLflow reads them as an input schema; the signature is the schema.
    def predict(self, context, model_input, params=None):
        return self.model.predict(model_input, **(params or {}))
