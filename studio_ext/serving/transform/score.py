"""What a worker does with one chunk: read it, parse it, check it against the signature, predict and
encode the output; a bad row comes back as its place in the chunk, for the parent to report."""

from __future__ import annotations

import io

import numpy as np

from . import worker_model
from .bad_rows import csv_bad_record, jsonl_bad_row, record_line
from .encode import encode_arrow, encode_csv, encode_jsonl
from .errors import RowError
from .model_input import arrow_input, frame_input
from .output import write_part

_SPILL_BYTES = 1 << 20


def score_task(task: tuple, join: bool, spill_dir: str | None = None) -> tuple:
    """`_score_chunk` in a worker; an output bigger than _SPILL_BYTES (a joined chunk) is left in a
    file in `spill_dir` instead of going back through the pool's pipe: piping 200 MB costs the
    parent about a second of system time, and the parent is the one process that cannot run in
    parallel. The parent appends the file in the kernel (copy_file_range)."""
    result = _score_chunk(task, join)
    if result[0] == "ok" and spill_dir and len(result[3]) > _SPILL_BYTES:
        return (*result[:3], write_part(spill_dir, str(task[2]), result[3]))
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
            row, message = jsonl_bad_row(data, worker_model.model().schema)
            if row >= 0:
                return ("error", row, message, record_line(kind, data, row))
            return ("error", -1, f"cannot read it as jsonl: {exc}"[:1000], None)
    if not table.num_rows:
        return ("ok", 0, None, b"")
    try:
        batch = table.combine_chunks().to_batches()[0]
        predictions = _predict(arrow_input(batch, worker_model.model().schema))
    except RowError as exc:
        return ("error", exc.row, exc.message, record_line(kind, data, exc.row))
    if kind == "parquet":
        return ("ok", batch.num_rows, None, encode_arrow(table if join else None, predictions))
    return ("ok", batch.num_rows, None, encode_jsonl(data if join else None, table, predictions))


def _score_csv(data: bytes, header: bytes, join: bool) -> tuple:
    import pandas as pd

    schema = worker_model.model().schema
    names = _csv_header(header)
    # String columns stay strings ("007" is not 7); numbers are inferred and checked below.
    dtype = {c.name: "str" for c in schema.columns
             if schema.kind == "columns" and c.type in ("string", "binary", "datetime") and c.name in names}
    try:
        frame = pd.read_csv(io.BytesIO(header + data), dtype=dtype or None)
    except pd.errors.ParserError as exc:
        row, line, message = csv_bad_record(data, len(names))
        if row >= 0:
            return ("error", row, message, line)
        return ("error", -1, f"cannot read it as csv: {exc}"[:1000], None)
    except (UnicodeDecodeError, ValueError) as exc:
        return ("error", -1, f"cannot read it as csv: {exc}"[:1000], None)
    if _first_row_fields(data) > len(names):
        # pandas would take the extra leading fields of the first row as the index instead of
        # refusing the row, as it does further down.
        row, line, message = csv_bad_record(data, len(names))
        return ("error", row, message, line)
    if not len(frame):
        return ("ok", 0, None, b"")
    try:
        predictions = _predict(frame_input(frame, schema))
    except RowError as exc:
        return ("error", exc.row, exc.message, record_line("csv", data, exc.row))
    out_header, body = encode_csv(data if join else None, header, frame, predictions)
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


def _predict(x):
    """The model's predictions for `x`: a DataFrame as it came, else an array of len(x) rows."""
    try:
        result = worker_model.model().predict(x)
    except Exception as exc:
        for i in range(len(x)):  # find the first row the model cannot score
            row = x[i:i + 1] if isinstance(x, np.ndarray) else x.iloc[i:i + 1]
            try:
                worker_model.model().predict(row)
            except Exception as row_exc:
                raise RowError(i, f"the model cannot score it: {type(row_exc).__name__}: {row_exc}"[:1000]) from None
        raise RowError(-1, f"{type(exc).__name__}: {exc}"[:1000]) from None
    if hasattr(result, "columns"):
        predictions = result.reset_index(drop=True)
        predictions.columns = [str(c) for c in predictions.columns]
    else:
        predictions = np.asarray(result)
    if predictions.ndim == 0 or len(predictions) != len(x):
        raise RowError(-1, f"the model returned {predictions.size if predictions.ndim == 0 else len(predictions)} "
                           f"predictions for {len(x)} rows")
    return predictions
