"""Batch transform: score CSV, JSON Lines or Parquet files (a file or a folder) in chunks, on several processes.

    python -m studio_ext.serving.transform --model-uri PATH --input PATH --output FOLDER
        [--format csv|jsonl|parquet] [--chunk-mib 8] [--workers N] [--join] [--progress-file F]

The model is loaded once, in the parent, before the worker processes fork. The parent then only
plans chunks and writes bytes: each worker reads its own chunk of the file (a byte range ending at
a record end, or a Parquet row group), parses it (CSV with pandas' C parser, JSON Lines with
pyarrow), checks it against the signature, predicts, and encodes its part of the output (CSV or
JSON Lines bytes, or an Arrow table that the parent appends to a ParquetWriter); a big part (a
joined chunk) comes back as a file in a hidden `.transform-*` folder beside the outputs, which the
parent appends in the kernel and removes. At most 2 x workers chunks are in flight and outputs are
written in input order, so memory stays flat as the input grows. CSV chunks are cut at a newline outside quotes (the planner tracks the parity of
`"` through the file), so quoted fields may hold newlines.

Output: one file per input file, `<stem>.out.<ext>`, with a `prediction` column (after the input
columns with --join; for CSV the input rows are copied as they are). A model that returns k values
per row gives `prediction_0..prediction_{k-1}` columns in CSV and a list in JSON Lines and
Parquet; a DataFrame result keeps its own column names. A row that cannot be scored fails the
transform with its place: file, data row (0-based) and, for CSV and JSON Lines, the 1-based
physical line the row starts on, then the column. `run()` returns rows, files, seconds and their
split: load_seconds (model and parser libraries) and score_seconds (first chunk to last byte).
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from . import model as model_mod
from .payload import PayloadError, _check_value
from .signature import NUMERIC

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_MODEL: model_mod.LoadedModel | None = None  # set in the parent before the pool forks
_SCAN_BLOCK = 1 << 20
_SPILL_BYTES = 1 << 20


class TransformError(RuntimeError):
    """A row that cannot be scored (the message has file, row and column) or unreadable input."""


def input_files(path: Path, fmt: str | None) -> list[tuple[Path, str]]:
    if path.is_file():
        kind = fmt or FORMATS.get(path.suffix.lower())
        if kind is None:
            raise TransformError(f"input: cannot tell the format of {path.name}; give --format")
        return [(path, kind)]
    if not path.is_dir():
        raise TransformError(f"input: {path} does not exist")
    files = [(p, fmt or FORMATS[p.suffix.lower()]) for p in sorted(path.iterdir())
             if p.is_file() and (FORMATS.get(p.suffix.lower()) == fmt if fmt else p.suffix.lower() in FORMATS)]
    if not files:
        raise TransformError(f"input: no CSV, JSON Lines or Parquet files in {path}")
    return files


# ---------------------------------------------------------------------------- planning (parent)


class _QuoteParity:
    """Walks a CSV file forward keeping the parity of the `"` bytes before `offset`. A newline at
    even parity ends a record: a quoted field opens and closes with one quote each and an escaped
    quote inside it is doubled (RFC 4180), so only a newline inside a quoted field sees odd parity.
    `bytes.count` runs at memory speed, so the scan costs little next to parsing."""

    def __init__(self, fh):
        self.fh, self.offset, self.odd = fh, 0, False

    def skip_to(self, target: int) -> None:
        self.fh.seek(self.offset)
        while self.offset < target:
            block = self.fh.read(min(_SCAN_BLOCK, target - self.offset))
            if not block:
                break
            if b'"' in block:  # memchr: files without quotes cost one pass at memory speed
                self.odd ^= bool(block.count(b'"') & 1)
            self.offset += len(block)

    def next_record_end(self) -> int:
        """The offset just past the next newline outside quotes (or the end of the file)."""
        self.fh.seek(self.offset)
        while True:
            block = self.fh.read(_SCAN_BLOCK)
            if not block:
                return self.offset
            i = 0
            while True:
                j = block.find(b"\n", i)
                if j < 0:
                    self.odd ^= bool(block.count(b'"', i) & 1)
                    self.offset += len(block)
                    break
                self.odd ^= bool(block.count(b'"', i, j) & 1)
                i = j + 1
                if not self.odd:
                    self.offset += i
                    return self.offset


def plan_chunks(path: Path, kind: str, chunk_bytes: int) -> Iterator[tuple]:
    """Tasks for the workers, `(file, kind, start, end, header)`, each one chunk of the file that a
    worker reads itself (so parsing runs in parallel and the parent never holds the data): byte
    ranges cut at record ends for CSV (a newline outside quotes) and JSON Lines (any newline: JSON
    strings cannot hold a raw one), row groups for Parquet (start = the row group, end = None).
    A generator: the workers start on the first chunks while the planner scans on."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        for i in range(pq.ParquetFile(path).num_row_groups):
            yield (str(path), kind, i, None, b"")
        return
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if kind == "jsonl":
            start = 0
            while start < size:
                fh.seek(min(size, start + chunk_bytes))
                fh.readline()  # to the end of the line the cut fell in
                end = min(size, fh.tell())
                yield (str(path), kind, start, end, b"")
                start = end
            return
        parity = _QuoteParity(fh)
        start = parity.next_record_end()
        fh.seek(0)
        header = fh.read(start)
        while start < size:
            if start + chunk_bytes >= size:
                end = size
            else:
                parity.skip_to(start + chunk_bytes)
                end = parity.next_record_end()
            yield (str(path), kind, start, end, header)
            start = end


# ---------------------------------------------------------------------------- scoring (workers)


class _RowError(Exception):
    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row, self.message = row, message


class _Spill(str):
    """The path of a file holding a worker's encoded output, in place of the bytes."""


def _score(task: tuple, join: bool, spill_dir: str | None = None) -> tuple:
    """`_score_chunk` in a worker; an output bigger than _SPILL_BYTES (a joined chunk) is left in a
    file in `spill_dir` instead of going back through the pool's pipe: piping 200 MB costs the
    parent about a second of system time, and the parent is the one process that cannot run in
    parallel. The parent appends the file in the kernel (copy_file_range)."""
    result = _score_chunk(task, join)
    if result[0] == "ok" and spill_dir and len(result[3]) > _SPILL_BYTES:
        path = _Spill(os.path.join(spill_dir, f"{task[2]}.part"))
        with open(path, "wb") as fh:
            fh.write(result[3])
        return (*result[:3], path)
    return result


def _score_chunk(task: tuple, join: bool) -> tuple:
    """In a worker: read the chunk, check it, predict, encode the output.

    Returns ('ok', rows, header, body): `header` the CSV header line for this output (the parent
    writes the first one), `body` CSV or JSON Lines bytes or an Arrow IPC stream (Parquet). Or
    ('error', local row or -1, message, local line or None): the lines of the chunk before the bad
    row; the parent turns local rows and lines into the file's."""
    file, kind, start, end, header = task
    data = b""
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            table = pq.ParquetFile(file).read_row_group(start)
        else:
            with open(file, "rb") as fh:
                fh.seek(start)
                data = fh.read(end - start)
    except OSError as exc:
        return ("error", -1, f"cannot read it: {exc}"[:1000], None)
    if kind == "csv":
        return _score_csv(data, header, join)
    if kind == "jsonl":
        import pyarrow.json as pajson

        try:
            table = pajson.read_json(io.BytesIO(data), read_options=pajson.ReadOptions(
                use_threads=False, block_size=max(1 << 20, len(data) + 1)))
        except Exception as exc:
            row, message = _jsonl_bad_row(data, _MODEL.schema)
            if row >= 0:
                return ("error", row, message, _record_line(kind, data, row))
            return ("error", -1, f"cannot read it as jsonl: {exc}"[:1000], None)
    if not table.num_rows:
        return ("ok", 0, None, b"")
    try:
        batch = table.combine_chunks().to_batches()[0]
        predictions = _predict(_arrow_input(batch, _MODEL.schema))
    except _RowError as exc:
        return ("error", exc.row, exc.message, _record_line(kind, data, exc.row))
    if kind == "parquet":
        return ("ok", batch.num_rows, None, _ipc(_output_table(table if join else None, predictions)))
    return ("ok", batch.num_rows, None, _encode_jsonl(data if join else None, table, predictions))


def _score_csv(data: bytes, header: bytes, join: bool) -> tuple:
    import pandas as pd

    schema = _MODEL.schema
    names = _csv_header(header)
    # String columns stay strings ("007" is not 7); numbers are inferred and checked below.
    dtype = {c.name: "str" for c in schema.columns
             if schema.kind == "columns" and c.type in ("string", "binary", "datetime") and c.name in names}
    try:
        frame = pd.read_csv(io.BytesIO(header + data), dtype=dtype or None)
    except pd.errors.ParserError as exc:
        row, line, message = _csv_bad_record(data, len(names))
        if row >= 0:
            return ("error", row, message, line)
        return ("error", -1, f"cannot read it as csv: {exc}"[:1000], None)
    except (UnicodeDecodeError, ValueError) as exc:
        return ("error", -1, f"cannot read it as csv: {exc}"[:1000], None)
    if _first_row_fields(data) > len(names):
        # pandas would take the extra leading fields of the first row as the index instead of
        # refusing the row, as it does further down.
        row, line, message = _csv_bad_record(data, len(names))
        return ("error", row, message, line)
    if not len(frame):
        return ("ok", 0, None, b"")
    try:
        predictions = _predict(_frame_input(frame, schema))
    except _RowError as exc:
        return ("error", exc.row, exc.message, _record_line("csv", data, exc.row))
    out_header, body = _encode_csv(data if join else None, header, frame, predictions)
    return ("ok", len(frame), out_header, body)


def _first_row_fields(data: bytes) -> int:
    """The field count of the chunk's first non-blank record (0 if there is none)."""
    import csv

    start = 0
    while start < len(data):
        end, odd = start, False
        while True:  # to the next newline outside quotes
            j = data.find(b"\n", end)
            stop = len(data) if j < 0 else j
            odd ^= bool(data.count(b'"', end, stop) & 1)
            end = stop + 1
            if not odd or j < 0:
                break
        record = data[start:end]
        if record.strip(b" \t\r\n"):
            return len(next(csv.reader(io.StringIO(record.decode("utf-8", errors="replace"), newline="")), []))
        start = end
    return 0


def _csv_header(header: bytes) -> list[str]:
    import csv

    return next(csv.reader(io.StringIO(header.decode("utf-8-sig", errors="replace"), newline="")), [])


def _frame_input(frame, schema):
    """A parsed CSV chunk -> the model's input: a float64 array for numeric signatures, else a DataFrame."""
    import pandas as pd

    if schema.kind == "columns":
        missing = [n for n, c in zip(schema.names, schema.columns, strict=True) if n not in frame.columns and c.required]
        if missing:
            raise _RowError(-1, f"column {missing[0]!r} required by the model's signature is missing")
        for name, col in zip(schema.names, schema.columns, strict=True):
            if col.type in NUMERIC and name in frame.columns and frame[name].dtype.kind not in "fiub":
                series = frame[name]  # pandas found text among the numbers: the first bad value
                numbers = pd.to_numeric(series, errors="coerce")
                bad = (numbers.isna() & series.notna()).to_numpy()
                if bad.any():
                    i = int(bad.argmax())
                    raise _RowError(i, f"column {name!r}: expected a number, got {series.iloc[i]!r}")
                frame[name] = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        if not schema.numeric:
            return _checked_frame(frame, schema)
        for name, col in zip(schema.names, schema.columns, strict=True):
            if col.required:
                nulls = frame[name].isna().to_numpy()
                if nulls.any():
                    raise _RowError(int(nulls.argmax()), f"column {name!r}: a value is required, got an empty or "
                                                         "NA value")
        if list(frame.columns) != schema.names:
            frame = frame.reindex(columns=schema.names)
        return frame.to_numpy(dtype=np.float64)  # one block of float64 columns: nearly free
    if schema.kind == "tensor":
        return frame.to_numpy(dtype=np.dtype(schema.tensor_dtype or "float64"))
    return frame


def _arrow_input(batch, schema):
    """A JSON Lines or Parquet batch -> the model's input, as `_frame_input` (nulls are Arrow's nulls)."""
    names = batch.schema.names
    if schema.kind == "columns":
        missing = [n for n, c in zip(schema.names, schema.columns, strict=True) if n not in names and c.required]
        if missing:
            raise _RowError(-1, f"column {missing[0]!r} required by the model's signature is missing")
        if schema.numeric:
            columns = []
            for name, col in zip(schema.names, schema.columns, strict=True):
                if name not in names:
                    columns.append(np.full(batch.num_rows, np.nan))
                    continue
                column = batch.column(names.index(name))
                if column.null_count and col.required:
                    i = column.is_null().to_pylist().index(True)
                    raise _RowError(i, f"column {name!r}: a value is required, got an empty or NA value")
                try:
                    columns.append(column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False))
                except (ValueError, TypeError):
                    for i, value in enumerate(column.to_pylist()):
                        try:
                            float(value)
                        except (TypeError, ValueError):
                            raise _RowError(i, f"column {name!r}: expected a number, got {value!r}") from None
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
                raise _RowError(i, f"column {col.name!r}: {problem}") from None
        if col.type in NUMERIC and not frame[col.name].isna().any():
            frame[col.name] = frame[col.name].astype(NUMERIC[col.type])
    return frame


def _predict(x):
    """The model's predictions for `x`: a DataFrame as it came, else an array of len(x) rows."""
    try:
        result = _MODEL.predict(x)
    except Exception as exc:
        for i in range(len(x)):  # find the first row the model cannot score
            row = x[i:i + 1] if isinstance(x, np.ndarray) else x.iloc[i:i + 1]
            try:
                _MODEL.predict(row)
            except Exception as row_exc:
                raise _RowError(i, f"the model cannot score it: {type(row_exc).__name__}: {row_exc}"[:1000]) from None
        raise _RowError(-1, f"{type(exc).__name__}: {exc}"[:1000]) from None
    if hasattr(result, "columns"):
        predictions = result.reset_index(drop=True)
        predictions.columns = [str(c) for c in predictions.columns]
    else:
        predictions = np.asarray(result)
    if predictions.ndim == 0 or len(predictions) != len(x):
        raise _RowError(-1, f"the model returned {predictions.size if predictions.ndim == 0 else len(predictions)} "
                            f"predictions for {len(x)} rows")
    return predictions


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


def _encode_csv(data: bytes | None, header: bytes, frame, predictions) -> tuple[bytes, bytes]:
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


def _encode_jsonl(data: bytes | None, table, predictions) -> bytes:
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


# ---------------------------------------------------------------------------- locating bad rows


def _csv_walk(data: bytes):
    """(data row, physical lines before it, fields) for each record of a CSV chunk, as pandas
    counts rows (blank lines are not rows). Python's csv module: slow, for the error path only."""
    import csv

    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
    row, before = 0, 0
    for record in reader:
        if record and not (len(record) == 1 and not record[0].strip()):
            yield row, before, len(record)
            row += 1
        before = reader.line_num


def _csv_bad_record(data: bytes, width: int) -> tuple[int, int | None, str]:
    """The first record with more fields than the header: (row, line offset, message), or -1."""
    for row, before, fields in _csv_walk(data):
        if fields > width:
            return row, before, f"expected {width} fields, saw {fields}"
    return -1, None, ""


def _jsonl_bad_row(data: bytes, schema) -> tuple[int, str]:
    """The first line pyarrow could not take (it names a row only for some errors, and not always
    the bad one): not JSON, not an object, or text where the signature wants a number; or -1."""
    numeric = [(c.name, c.type) for c in schema.columns if c.type in NUMERIC] if schema.kind == "columns" else []
    lines = (line for line in data.split(b"\n") if line.strip())
    for row, line in enumerate(lines):
        try:
            record = json.loads(line)
        except ValueError as exc:
            return row, f"not valid JSON: {exc}"
        if not isinstance(record, dict):
            return row, f"expected a JSON object, got {type(record).__name__}"
        for name, ctype in numeric:
            value = record.get(name)
            ok = isinstance(value, bool) if ctype == "boolean" else \
                isinstance(value, int | float) and not isinstance(value, bool)
            if value is not None and not ok:
                return row, f"column {name!r}: expected {'a boolean' if ctype == 'boolean' else 'a number'}, " \
                            f"got {value!r}"[:300]
    return -1, ""


def _record_line(kind: str, data: bytes, row: int) -> int | None:
    """Physical lines of the chunk before its data row `row` (None where lines mean nothing)."""
    if row < 0 or kind == "parquet":
        return None
    if kind == "csv":
        for i, before, _fields in _csv_walk(data):
            if i == row:
                return before
        return None
    seen = -1
    for before, line in enumerate(data.split(b"\n")):
        seen += bool(line.strip())
        if seen == row:
            return before
    return None


# ---------------------------------------------------------------------------- the parent


class _Writer:
    """One output file; CSV and JSON Lines get the workers' bytes, Parquet their Arrow tables (in an
    IPC stream); either may come as a _Spill file, which is appended and removed."""

    def __init__(self, path: Path, kind: str):
        self.path, self.kind, self.writer, self.header_written = path, kind, None, False
        # Unbuffered: the writes are whole chunks, and copy_file_range moves the file offset itself.
        self.fh = None if kind == "parquet" else open(path, "wb", buffering=0)  # noqa: SIM115 (close())

    def write(self, header: bytes | None, body: bytes) -> None:
        try:
            if self.kind != "parquet":
                if header and not self.header_written:
                    self.fh.write(header)
                    self.header_written = True
                if isinstance(body, _Spill):
                    with open(body, "rb") as src:
                        _append(src, self.fh)
                else:
                    self.fh.write(body)
                return
            import pyarrow as pa
            import pyarrow.parquet as pq

            source = pa.memory_map(body) if isinstance(body, _Spill) else pa.py_buffer(body)
            table = pa.ipc.open_stream(source).read_all()
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.path, table.schema)
            self.writer.write_table(table)
        finally:
            if isinstance(body, _Spill):
                os.unlink(body)

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
        if self.writer is not None:
            self.writer.close()
        elif self.kind == "parquet":  # no rows: still a file, with no rows
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({"prediction": pa.array([], pa.null())}), self.path)


def _append(src, dst) -> None:
    """Append the rest of file `src` to `dst`, in the kernel where it can."""
    try:
        while os.copy_file_range(src.fileno(), dst.fileno(), 1 << 30):
            pass
    except (AttributeError, OSError):  # not Linux, or not across these file systems
        import shutil

        shutil.copyfileobj(src, dst, 8 << 20)


def run(model_uri: str, input_path: str, output: str, *, fmt: str | None = None, chunk_bytes: int = 8 << 20,
        workers: int = 0, join: bool = False, progress_file: str | None = None,
        tracking_uri: str | None = None) -> dict:
    """Score every input file; returns {"rows", "files", "seconds", "load_seconds", "score_seconds",
    "outputs"}: load_seconds is the model load and the parsers' imports (before the workers fork),
    score_seconds the rest, from the first chunk to the last byte written."""
    global _MODEL

    started = time.perf_counter()
    files = input_files(Path(input_path), fmt)
    out_dir = Path(output)
    out_dir.mkdir(parents=True, exist_ok=True)
    _MODEL = model_mod.load(model_uri, tracking_uri)
    # Imported here, once, so the forked workers inherit them instead of each paying for them.
    import pyarrow  # noqa: F401
    kinds = {kind for _path, kind in files}
    if "csv" in kinds:
        import pandas  # noqa: F401
        import pyarrow.csv  # noqa: F401
    if "jsonl" in kinds:
        import pyarrow.json  # noqa: F401
    if "parquet" in kinds:
        import pyarrow.parquet  # noqa: F401
    loaded = time.perf_counter()
    workers = workers or model_mod.cpu_count()
    ctx = multiprocessing.get_context("fork")
    outputs = []
    progress = {"files_total": len(files), "files_done": 0, "rows_done": 0}

    def report() -> None:
        if progress_file:
            tmp = Path(progress_file).with_suffix(".tmp")
            tmp.write_text(json.dumps(progress))
            os.replace(tmp, progress_file)

    spill_dir = tempfile.mkdtemp(prefix=".transform-", dir=out_dir)  # beside the outputs: same file system
    try:
        with ctx.Pool(workers, initializer=signal.signal, initargs=(signal.SIGTERM, signal.SIG_DFL)) as pool:
            _run_files(pool, files, out_dir, workers, chunk_bytes, join, spill_dir, outputs, progress, report)
    finally:  # after the pool's workers are gone, so none writes a part file behind it
        shutil.rmtree(spill_dir, ignore_errors=True)
    finished = time.perf_counter()
    return {"rows": progress["rows_done"], "files": len(files), "seconds": finished - started,
            "load_seconds": loaded - started, "score_seconds": finished - loaded, "outputs": outputs}


def _run_files(pool, files, out_dir: Path, workers: int, chunk_bytes: int, join: bool, spill_dir: str,
               outputs: list, progress: dict, report) -> None:
    for path, kind in files:
        target = out_dir / f"{path.stem}.out.{'jsonl' if kind == 'jsonl' else kind}"
        writer = _Writer(target, kind)
        in_flight: deque = deque()
        place = _Place(path)
        try:
            # A small file is cut finer, so that every worker gets a share of it.
            size = path.stat().st_size if kind != "parquet" else 0
            chunk = max(min(chunk_bytes, size // (4 * workers)), min(chunk_bytes, 256 << 10))
            for task in plan_chunks(path, kind, chunk):
                in_flight.append((pool.apply_async(_score, (task, join, spill_dir)), task))
                while len(in_flight) >= 2 * workers:  # bounded: memory stays flat
                    place.drain(*in_flight.popleft(), writer, progress)
                    report()
            while in_flight:
                place.drain(*in_flight.popleft(), writer, progress)
                report()
        finally:
            writer.close()
        outputs.append(str(target))
        progress["files_done"] += 1
        report()


class _Place:
    """Data rows written so far in one file; turns a worker's local row and line into the file's."""

    def __init__(self, path: Path):
        self.path, self.rows_before = path, 0

    def drain(self, result, task: tuple, writer: _Writer, progress: dict) -> None:
        status, rows, a, b = result.get()
        if status == "error":
            if rows < 0:
                raise TransformError(f"{self.path.name}, rows after {self.rows_before}: {a}")
            where = f"row {self.rows_before + rows}"
            if b is not None:  # lines before the chunk (header included) are counted only now, for the message
                where += f" (line {_count_newlines(self.path, task[2]) + b + 1})"
            raise TransformError(f"{self.path.name}, {where}: {a}")
        if rows:
            writer.write(a, b)
        self.rows_before += rows
        progress["rows_done"] += rows


def _count_newlines(path: Path, end: int) -> int:
    count = 0
    with open(path, "rb") as fh:
        while fh.tell() < end:
            block = fh.read(min(_SCAN_BLOCK, end - fh.tell()))
            if not block:
                break
            count += block.count(b"\n")
    return count


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m studio_ext.serving.transform", description=__doc__.splitlines()[0])
    p.add_argument("--model-uri", required=True)
    p.add_argument("--tracking-uri")
    p.add_argument("--input", required=True, help="a file or a folder of files")
    p.add_argument("--output", required=True, help="folder for <stem>.out.<ext> files")
    p.add_argument("--format", choices=["csv", "jsonl", "parquet"])
    p.add_argument("--chunk-mib", type=float, default=8.0,
                   help="input read per task (at most: a small file is cut finer, so every worker gets some)")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--join", action="store_true", help="write the input columns before the prediction")
    p.add_argument("--progress-file")
    p.add_argument("--result-file", help="write {status, reason, ...} here at the end (for the agent)")
    args = p.parse_args(argv)
    # A stopped job gets SIGTERM: unwind (the pool and its part files go) instead of dying on the spot.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def finish(result: dict) -> None:
        if args.result_file:
            tmp = Path(args.result_file).with_suffix(".tmp")
            tmp.write_text(json.dumps(result))
            os.replace(tmp, args.result_file)

    try:
        result = run(args.model_uri, args.input, args.output, fmt=args.format, chunk_bytes=int(args.chunk_mib * 2**20),
                     workers=args.workers, join=args.join, progress_file=args.progress_file,
                     tracking_uri=args.tracking_uri)
    except TransformError as exc:
        print(f"transform failed: {exc}", file=sys.stderr)
        finish({"status": "Failed", "reason": str(exc)[:2000]})
        return 1
    except Exception as exc:  # a model that cannot load, a full disk: still an honest status
        print(f"transform failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        finish({"status": "Failed", "reason": f"{type(exc).__name__}: {exc}"[:2000]})
        return 1
    finish({"status": "Completed", **result})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, "1")
    _rc = main()
    # Every output and the result file are closed by now; tearing down the interpreter (sklearn,
    # scipy, pandas, pyarrow: ~0.3 s of garbage collection) would only delay the exit that the
    # agent waits for. mypy skips it the same way (mypy/util.py: hard_exit).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_rc)
