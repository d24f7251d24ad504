"""A model's input signature (from its MLmodel file) in the form the payload parser needs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

# MLflow column types -> numpy dtypes; columns of these types can skip the per-request DataFrame.
NUMERIC = {"double": np.float64, "float": np.float32, "long": np.int64, "integer": np.int32, "boolean": np.bool_}


@dataclass
class Column:
    name: str | None
    type: str
    required: bool = True


@dataclass
class InputSchema:
    """kind: 'columns' (a table), 'tensor' (an array of a dtype and shape) or 'none' (no signature)."""

    kind: str = "none"
    columns: list[Column] = field(default_factory=list)
    tensor_dtype: str | None = None
    tensor_shape: tuple[int, ...] | None = None

    @property
    def names(self) -> list[str]:
        return [c.name or str(i) for i, c in enumerate(self.columns)]

    @property
    def numeric(self) -> bool:
        """All columns numeric: requests become one float64 array, no DataFrame."""
        return self.kind == "columns" and all(c.type in NUMERIC for c in self.columns)

    @property
    def all_float(self) -> bool:
        return self.kind == "columns" and all(c.type in ("double", "float") for c in self.columns)

    def describe(self) -> str:
        if self.kind == "columns":
            return ", ".join(f"{n} ({c.type})" for n, c in zip(self.names, self.columns, strict=True))
        if self.kind == "tensor":
            return f"a tensor of {self.tensor_dtype} with shape {list(self.tensor_shape or ())}"
        return "anything (the model has no signature)"


def parse_signature(signature: dict | None) -> InputSchema:
    """From MLmodel's `signature` mapping (its `inputs` is a JSON string)."""
    if not signature or not signature.get("inputs"):
        return InputSchema()
    inputs = signature["inputs"]
    specs = json.loads(inputs) if isinstance(inputs, str) else inputs
    if specs and specs[0].get("type") == "tensor":
        spec = specs[0].get("tensor-spec", {})
        return InputSchema(kind="tensor", tensor_dtype=spec.get("dtype", "float64"),
                           tensor_shape=tuple(int(d) for d in spec.get("shape", [-1])))
    return InputSchema(kind="columns", columns=[
        Column(s.get("name"), str(s.get("type", "double")), bool(s.get("required", True))) for s in specs])
