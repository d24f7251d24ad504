"""A pyfunc whose prediction is a dict of columns (MLflow keeps its shape in the answer)."""

import mlflow.pyfunc
from mlflow.models import set_model


class Columns(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        x = model_input["x"].astype(float)
        return {"double": (x * 2).tolist(), "label": ["big" if v > 1 else "small" for v in x]}


set_model(Columns())
