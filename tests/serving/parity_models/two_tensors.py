"""A pyfunc over two named tensor inputs a and b: their element-wise sum."""

import mlflow.pyfunc
from mlflow.models import set_model


class Add(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["a"] + model_input["b"]


set_model(Add())
