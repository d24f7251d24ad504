"""A chat-style pyfunc: the unified LLM input ({"messages": [...], params}) answered unwrapped."""

import mlflow.pyfunc
from mlflow.models import set_model


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        messages = model_input["messages"][0]
        last = messages[-1]["content"]
        return {"choices": [{"message": {"role": "assistant", "content": f"echo: {last}"},
                             "temperature": (params or {}).get("temperature")}]}


set_model(Echo())
