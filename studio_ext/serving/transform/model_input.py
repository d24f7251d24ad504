"""A parsed chunk -> the model's input, each value checked against the model's signature (in a worker)."""

from __future__ import annotations

import numpy as np

from ..payload import PayloadError, _check_value
from ..signature import NUMERIC
from .errors import RowError


def frame_input(frame, schema):
    """A parsed CSV chunk -> the model's input: a float64 array for numeric signatures, else a DataFrame."""
    import pandas as pd

    if schema.kind == "columns":
        missing = [n for n, c in zip(schema.names, schema.columns, strict=True) if n not in frame.columns and c.required]
        if missing:
            raise RowError(-1, f"column {missing[0]!r} required by the model's signature is missing")
        for name, col in zip(schema.names, schema.columns, strict=True):
            if col.type in NUMERIC and name in frame.columns and frame[name].dtype.kind not in "fiub":
                series = frame[name]  # pandas found text among the numbers: the first bad value
                numbers = pd.to_numeric(series, errors="coerce")
                bad = (numbers.isna() & series.notna()).to_numpy()
                if bad.any():
                    i = int(bad.argmax())
                    raise RowError(i, f"column {name!r}: expected a number, got {series.iloc[i]!r}")
                frame[name] = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        if not schema.numeric:
            return _checked_frame(frame, schema)
        for name, col in zip(schema.names, schema.columns, strict=True):
            if col.required:
                nulls = frame[name].isna().to_numpy()
                if nulls.any():
                    raise RowError(int(nulls.argmax()), f"column {name!r}: a value is required, got an empty or "
                                                        "NA value")
        if list(frame.columns) != schema.names:
            frame = frame.reindex(columns=schema.names)
        return frame.to_numpy(dtype=np.float64)  # one block of float64 columns: nearly free
    if schema.kind == "tensor":
        return frame.to_numpy(dtype=np.dtype(schema.tensor_dtype or "float64"))
    return frame


def arrow_input(batch, schema):
    """A JSON Lines or Parquet batch -> the model's input, as `frame_input` (nulls are Arrow's nulls)."""
    names = batch.schema.names
    if schema.kind == "columns":
        missing = [n for n, c in zip(schema.names, schema.columns, strict=True) if n not in names and c.required]
        if missing:
            raise RowError(-1, f"column {missing[0]!r} required by the model's signature is missing")
        if schema.numeric:
            columns = []
            for name, col in zip(schema.names, schema.columns, strict=True):
                if name not in names:
                    columns.append(np.full(batch.num_rows, np.nan))
                    continue
                column = batch.column(names.index(name))
                if column.null_count and col.required:
                    i = column.is_null().to_pylist().index(True)
                    raise RowError(i, f"column {name!r}: a value is required, got an empty or NA value")
                try:
                    columns.append(column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False))
                except (ValueError, TypeError):
                    for i, value in enumerate(column.to_pylist()):
                        try:
                            float(value)
                        except (TypeError, ValueError):
                            raise RowError(i, f"column {name!r}: expected a number, got {value!r}") from None
                    raise
            return np.column_stack(columns) if columns else np.empty((batch.num_rows, 0))
        return _checked_frame(batch.to_pandas(), schema)
    if schema.kind == "tensor":
        return np.column_stack([batch.column(i).to_numpy(zero_copy_only=False) for i in range(batch.num_columns)])
    return batch.to_pandas()


def _checked_frame(frame, schema):
    """The signature's columns of a mixed-type table, each value checked against its column's type
    (the scoring server's rules) and numeric columns in the signature's dtype."""
    frame = frame.reindex(columns=schema.names)
    for j, col in enumerate(schema.columns):
        for i, value in enumerate(frame[col.name].tolist()):
            value = None if value != value else value  # NaN: an empty field
            try:
                _check_value(value, i, j, col.type, col.required, schema, "")
            except PayloadError:
                problem = ("a value is required, got an empty or NA value" if value is None
                           else f"expected {col.type}, got {type(value).__name__} {value!r}"[:300])
                raise RowError(i, f"column {col.name!r}: {problem}") from None
        if col.type in NUMERIC and not frame[col.name].isna().any():
            frame[col.name] = frame[col.name].astype(NUMERIC[col.type])
    return frame
