"""A pyfunc that answers the pandas dtype of each input column, and the param it got (MLflow's own test shape)."""

import mlflow.pyfunc
from mlflow.models import set_model


class DTypes(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [[name, str(dtype)] for name, dtype in model_input.dtypes.items()] + [["param1", str((params or {}).get("param1"))]]


set_model(DTypes())
