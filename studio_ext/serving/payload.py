"""Request bodies (MLflow's JSON formats and CSV rows) -> model input, checked against the signature.

Every problem is a PayloadError whose message names the field, column, row or shape at fault; the
server answers it as a 400. With an all-numeric signature the result is one numpy array (no
per-request DataFrame); otherwise a pandas DataFrame with the signature's columns.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from .signature import NUMERIC, InputSchema

JSON_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_FLOAT_TYPES = (float, int)


class PayloadError(ValueError):
    """A request the model cannot score; the message says what to fix."""


def parse(body: bytes, content_type: str, schema: InputSchema) -> Any:
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "text/csv":
        return _from_csv(body, schema)
    if ctype not in ("application/json", ""):
        raise PayloadError(f"Content-Type: {ctype!r} is not supported; send application/json or text/csv")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"request body: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PayloadError(f"request body: must be a JSON object with one of {', '.join(JSON_KEYS)}")
    keys = [k for k in JSON_KEYS if k in data]
    unknown = sorted(set(data) - set(JSON_KEYS) - {"params"})
    if unknown:
        raise PayloadError(f"{unknown[0]}: unknown field; give one of {', '.join(JSON_KEYS)}")
    if len(keys) != 1:
        raise PayloadError(f"request body: give exactly one of {', '.join(JSON_KEYS)} (got {len(keys)})")
    key = keys[0]
    value = data[key]
    if key == "dataframe_split":
        if not isinstance(value, dict) or "data" not in value:
            raise PayloadError("dataframe_split: must be an object with 'data' (and 'columns')")
        unknown = sorted(set(value) - {"columns", "data", "index"})
        if unknown:
            raise PayloadError(f"dataframe_split.{unknown[0]}: unknown field")
        return _from_rows(value["data"], value.get("columns"), schema, "dataframe_split.data")
    if key == "dataframe_records":
        return _from_records(value, schema, "dataframe_records")
    # instances / inputs: rows (lists), records (objects) or, for inputs, columns {name: [values]}
    if isinstance(value, dict):
        return _from_columnar(value, schema, key)
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return _from_records(value, schema, key)
    return _from_rows(value, None, schema, key)


# ---------------------------------------------------------------------------- tables


def _check_columns(given: list, schema: InputSchema, where: str) -> list[int] | None:
    """Index of each signature column in `given` (None when already in order)."""
    names = schema.names
    if list(given) == names:
        return None
    if not isinstance(given, list) or not all(isinstance(c, str) for c in given):
        raise PayloadError(f"{where}: columns must be a list of column names")
    position = {c: i for i, c in enumerate(given)}
    if len(position) != len(given):
        raise PayloadError(f"{where}: a column is given twice")
    for name in given:
        if name not in schema.names:
            raise PayloadError(f"column {name!r}: not in the model's signature; the model takes {schema.describe()}")
    missing = [c.name for c in schema.columns if c.name not in position and c.required]
    if missing:
        raise PayloadError(f"column {missing[0]!r}: required by the model's signature but missing"
                           + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return [position.get(n, -1) for n in names]


def _from_rows(rows: Any, columns: Any, schema: InputSchema, where: str) -> Any:
    if schema.kind == "tensor":
        return _tensor(rows, schema, where)
    if not isinstance(rows, list) or not rows:
        raise PayloadError(f"{where}: must be a non-empty list of rows")
    if schema.kind == "none":
        return _dataframe_untyped(rows, columns, where)
    order = _check_columns(columns, schema, where.rsplit(".", 1)[0] + ".columns") if columns is not None else None
    width = len(schema.columns) if order is None else len(columns)
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise PayloadError(f"{where}[{i}]: a row must be a list of {width} values, got {type(row).__name__}")
        if len(row) != width:
            raise PayloadError(f"{where}[{i}]: has {len(row)} values; the model takes {width} columns "
                               f"({schema.describe()})" if order is None else
                               f"{where}[{i}]: has {len(row)} values for {width} columns")
    if order is not None:
        rows = [[row[j] if j >= 0 else None for j in order] for row in rows]
    return _typed(rows, schema, where)


def _from_records(records: Any, schema: InputSchema, where: str) -> Any:
    if not isinstance(records, list) or not records:
        raise PayloadError(f"{where}: must be a non-empty list of objects")
    if schema.kind == "tensor":
        raise PayloadError(f"{where}: the model takes {schema.describe()}; send a list of rows, not objects")
    if schema.kind == "none":
        import pandas as pd

        return pd.DataFrame.from_records(records)
    names = schema.names
    known = set(names)
    rows = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise PayloadError(f"{where}[{i}]: must be an object of column: value")
        if len(record) != len(names) or not known.issuperset(record):
            for key in record:
                if key not in known:
                    raise PayloadError(f"column {key!r} ({where}[{i}]): not in the model's signature; "
                                       f"the model takes {schema.describe()}")
            for col in schema.columns:
                if col.required and col.name not in record:
                    raise PayloadError(f"column {col.name!r} ({where}[{i}]): required by the model's signature "
                                       "but missing")
        rows.append([record.get(n) for n in names])
    return _typed(rows, schema, where)


def _from_columnar(data: dict, schema: InputSchema, where: str) -> Any:
    if schema.kind == "tensor":
        raise PayloadError(f"{where}: the model takes {schema.describe()}; send a list of rows")
    if schema.kind == "none":
        import pandas as pd

        return pd.DataFrame(data)
    columns = list(data)
    order = _check_columns(columns, schema, where)
    lengths = {len(v) if isinstance(v, list) else -1 for v in data.values()}
    if -1 in lengths or len(lengths) != 1:
        raise PayloadError(f"{where}: every column must be a list of the same length")
    values = list(data.values())
    rows = [list(r) for r in zip(*values, strict=True)]
    if order is not None:
        rows = [[row[j] if j >= 0 else None for j in order] for row in rows]
    return _typed(rows, schema, where)


def _typed(rows: list[list], schema: InputSchema, where: str) -> Any:
    """Rows in signature order -> an array (all-numeric signature) or a DataFrame."""
    if schema.all_float:
        # The hot path: one check per value (json gives float/int; numpy alone would also take
        # "1.5", True and None, which the signature does not allow), then one array.
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if type(value) not in _FLOAT_TYPES:
                    _bad_value(value, i, j, schema, where)
        return np.array(rows, dtype=np.float64)
    for j, col in enumerate(schema.columns):
        for i, row in enumerate(rows):
            _check_value(row[j], i, j, col.type, col.required, schema, where)
    if schema.numeric:
        return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)
    import pandas as pd

    frame = pd.DataFrame(rows, columns=schema.names)
    for col in schema.columns:
        if col.type in NUMERIC and not frame[col.name].isna().any():
            frame[col.name] = frame[col.name].astype(NUMERIC[col.type])
    return frame


def _bad_value(value: Any, i: int, j: int, schema: InputSchema, where: str) -> None:
    col = schema.columns[j]
    _check_value(value, i, j, col.type, col.required, schema, where)
    raise PayloadError(f"column {schema.names[j]!r} (row {i}): expected {col.type}, got {value!r}")


def _check_value(value: Any, i: int, j: int, ctype: str, required: bool, schema: InputSchema, where: str) -> None:
    name = schema.names[j]
    if value is None:
        if required:
            raise PayloadError(f"column {name!r} (row {i}): a value is required, got null")
        return
    kind = type(value)
    ok = {
        "double": kind in (float, int), "float": kind in (float, int), "long": kind is int,
        "integer": kind is int, "boolean": kind is bool, "string": kind is str,
        "binary": kind is str, "datetime": kind is str,
    }.get(ctype, True)
    if not ok:
        raise PayloadError(f"column {name!r} (row {i}): expected {ctype}, got {type(value).__name__} {value!r}"[:300])


def _dataframe_untyped(rows: list, columns: Any, where: str) -> Any:
    import pandas as pd

    try:
        return pd.DataFrame(rows, columns=columns)
    except (ValueError, TypeError) as exc:
        raise PayloadError(f"{where}: {exc}") from None


# ---------------------------------------------------------------------------- tensors and CSV


def _tensor(value: Any, schema: InputSchema, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.dtype(schema.tensor_dtype or "float64"))
    except (ValueError, TypeError) as exc:
        raise PayloadError(f"{where}: not a {schema.tensor_dtype} tensor ({exc})") from None
    shape = schema.tensor_shape or ()
    if shape and (array.ndim != len(shape) or any(d not in (-1, a) for d, a in zip(shape, array.shape, strict=True))):
        raise PayloadError(f"{where}: shape {list(array.shape)} does not match the model's {list(shape)}")
    return array


def _from_csv(body: bytes, schema: InputSchema) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("request body: CSV must be UTF-8") from None
    rows = [r for r in csv.reader(io.StringIO(text)) if r]
    if not rows:
        raise PayloadError("request body: no CSV rows")
    if schema.kind == "none":
        import pandas as pd

        return pd.read_csv(io.StringIO(text), header=None)
    names = schema.names if schema.kind == "columns" else None
    header = None
    if names and rows[0] and all(not _is_number(v) for v in rows[0]) and set(rows[0]) & set(names):
        header, rows = rows[0], rows[1:]  # a header row of column names
        if not rows:
            raise PayloadError("request body: a CSV header but no rows")
    if schema.kind == "tensor":
        return _tensor([[_csv_number(v, i, j, None) for j, v in enumerate(r)] for i, r in enumerate(rows)],
                       schema, "csv")
    order = _check_columns(header, schema, "csv header") if header is not None else None
    # kind is 'columns' here (not 'none', not 'tensor'), so the schema's names are the columns
    width = len(header) if header is not None else len(schema.names)
    out = []
    for i, row in enumerate(rows):
        if len(row) != width:
            raise PayloadError(f"csv row {i}: has {len(row)} values; the model takes {width} columns "
                               f"({schema.describe()})")
        if order is not None:
            row = [row[j] if j >= 0 else "" for j in order]
        out.append([_csv_value(v, i, j, schema) for j, v in enumerate(row)])
    return _typed(out, schema, "csv")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _csv_number(text: str, i: int, j: int, name: str | None) -> float:
    try:
        return float(text)
    except ValueError:
        raise PayloadError(f"csv row {i}, column {name or j}: expected a number, got {text!r}") from None


def _csv_value(text: str, i: int, j: int, schema: InputSchema) -> Any:
    col = schema.columns[j]
    if text == "":
        return None
    if col.type in ("double", "float"):
        return _csv_number(text, i, j, repr(schema.names[j]))
    if col.type in ("long", "integer"):
        try:
            return int(text)
        except ValueError:
            raise PayloadError(f"csv row {i}, column {schema.names[j]!r}: expected {col.type}, got {text!r}") from None
    if col.type == "boolean":
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise PayloadError(f"csv row {i}, column {schema.names[j]!r}: expected boolean, got {text!r}")
    return text


def has_nonfinite(x) -> bool:
    """Whether a parsed input holds NaN or +-infinity in a numeric column."""
    try:
        if isinstance(x, np.ndarray):
            return x.dtype.kind in "fc" and not bool(np.isfinite(x).all())
        select = getattr(x, "select_dtypes", None)  # a DataFrame
        if select is not None:
            numbers = select(include=["float", "complex"]).to_numpy()
            return numbers.size > 0 and not bool(np.isfinite(numbers).all())
    except (TypeError, ValueError):
        pass
    return False
