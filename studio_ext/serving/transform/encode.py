"""A chunk's predictions (and with --join its input) -> output: CSV or JSON Lines bytes, or an
Arrow IPC stream of the table that the parent appends to its ParquetWriter (in a worker)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable

import numpy as np


def _prediction_table(predictions, kind: str):
    """Predictions as an Arrow table: `prediction`, or `prediction_<i>` columns (CSV) / a list
    column (JSON Lines, Parquet) for k values a row, or a DataFrame's own columns."""
    import pyarrow as pa

    if hasattr(predictions, "columns"):
        return pa.Table.from_pandas(predictions, preserve_index=False)
    if predictions.ndim == 1:
        try:
            return pa.table({"prediction": pa.array(predictions)})
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.table({"prediction": pa.array(predictions.tolist())})
    if kind == "csv":
        flat = predictions.reshape(len(predictions), -1)
        return pa.table({f"prediction_{j}": flat[:, j] for j in range(flat.shape[1])})
    return pa.table({"prediction": pa.array(predictions.tolist())})


def _write_csv(table, header: bool) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=header))
    return sink.getvalue().to_pybytes()


def _csv_line(fields: list[str]) -> bytes:
    """One CSV line, fields quoted only where they need it (as pandas writes a header)."""
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue().encode()


def encode_csv(data: bytes | None, header: bytes, frame, predictions) -> tuple[bytes, bytes]:
    """(header line, body) of a CSV chunk's output; with `data` (join) each input record is copied
    as it is, followed by its predictions."""
    table = _prediction_table(predictions, "csv")
    pred_header = _csv_line(table.column_names)
    body = _write_csv(table, header=False)
    if data is None:
        return pred_header, body
    head = _csv_records(header, drop_blank=False)[0] + b"," + pred_header
    if b"\r" not in data:
        joined = _insert_values(data if data.endswith(b"\n") else data + b"\n", body, len(frame))
        if joined is not None:
            return head, joined
    records = _csv_records(data, drop_blank=True)
    values = body.split(b"\n")[:-1] if b'"' not in body else _csv_records(body, drop_blank=False)
    if len(records) == len(values) == len(frame):
        return head, b"\n".join(map(b",".join, zip(records, values, strict=True))) + b"\n"
    # The records did not line up with pandas' rows (a stray quote in an unquoted field, say): write
    # the parsed values instead.
    import pyarrow as pa

    joined = pa.Table.from_pandas(frame, preserve_index=False)
    for name, column in zip(table.column_names, table.columns, strict=True):
        joined = joined.append_column(name, column)
    return _csv_line(joined.column_names), _write_csv(joined, header=False)


def _insert_values(data: bytes, values: bytes, rows: int) -> bytes | None:
    """Each line of `data` followed by "," and the same line of `values`, in numpy (4x faster than
    joining line by line); None unless both have exactly `rows` lines, i.e. no blank lines and no
    record spanning lines (then every line is a record)."""
    lines = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(lines == 10)
    vals = np.frombuffer(values, np.uint8)
    val_ends = np.flatnonzero(vals == 10)
    if len(ends) != rows or len(val_ends) != rows:
        return None
    inserted = np.empty_like(vals)  # "," + each value, the value's own newline shifted out
    inserted[0] = 44
    inserted[1:] = vals[:-1]
    inserted[val_ends[:-1] + 1] = 44
    return np.insert(lines, np.repeat(ends, np.diff(val_ends, prepend=-1)), inserted).tobytes()


def _csv_records(data: bytes, drop_blank: bool) -> list[bytes]:
    """The records of CSV bytes without their line ends: physical lines, joined where a newline
    falls inside quotes; blank lines dropped with `drop_blank` (pandas skips them)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if b'"' in data:
        records, pending, odd = [], [], False
        for line in lines:
            pending.append(line)
            odd ^= bool(line.count(b'"') & 1)
            if not odd:
                records.append(pending[0] if len(pending) == 1 else b"\n".join(pending))
                pending = []
        if pending:
            records.append(b"\n".join(pending))
        lines = records
    if b"\r" in data:  # CRLF line ends (a \r inside quotes stays)
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if drop_blank:
        lines = [line for line in lines if line.strip(b" \t")]
    return lines


def encode_jsonl(data: bytes | None, table, predictions) -> bytes:
    """JSON Lines bytes of a chunk's output; with `data` (join) each input object gets the
    prediction fields appended before its closing brace."""
    fields = _json_fields(predictions)
    if data is not None:
        lines = [line.strip() for line in data.split(b"\n")]
        lines = [line for line in lines if line]
        if len(lines) == len(fields) and all(line[:1] == b"{" and line[-1:] == b"}" for line in lines):
            return b"".join(line[:-1] + (b", " if line[1:-1].strip() else b"") + f + b"}\n"
                            for line, f in zip(lines, fields, strict=True))
        records = table.to_pylist()
        extra = _prediction_table(predictions, "jsonl").to_pylist()
        return "".join(json.dumps({**r, **e}, default=str) + "\n" for r, e in zip(records, extra, strict=True)).encode()
    return b"".join(b"{" + f + b"}\n" for f in fields)


def _json_fields(predictions) -> list[bytes]:
    """Each row's predictions as JSON object members (`"prediction": 1`), without the braces."""
    if not hasattr(predictions, "columns") and predictions.ndim == 1 and predictions.dtype.kind in "iubf" \
            and (predictions.dtype.kind != "f" or np.isfinite(predictions).all()):
        values: Iterable[str]
        if predictions.dtype.kind == "b":
            values = ["true" if v else "false" for v in predictions.tolist()]
        else:
            values = map(repr, predictions.tolist())  # repr of int/float is what json.dumps writes
        return [f'"prediction": {v}'.encode() for v in values]
    return [json.dumps(r, default=str)[1:-1].encode() for r in _prediction_table(predictions, "jsonl").to_pylist()]


def _output_table(table, predictions):
    out = _prediction_table(predictions, "parquet")
    if table is None:
        return out
    for name, column in zip(out.column_names, out.columns, strict=True):
        table = table.append_column(name, column)
    return table


def _ipc(table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def encode_arrow(table, predictions) -> bytes:
    """An Arrow IPC stream of a Parquet chunk's output; with `table` (join) the predictions follow
    its columns."""
    return _ipc(_output_table(table, predictions))
