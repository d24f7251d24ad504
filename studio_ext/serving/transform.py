"""Batch transform: score CSV, JSON Lines or Parquet files (a file or a folder) in chunks, on several processes.

    python -m studio_ext.serving.transform --model-uri PATH --input PATH --output FOLDER
        [--format csv|jsonl|parquet] [--chunk-mib 8] [--workers N] [--join] [--progress-file F]

Memory stays flat as the input grows: each worker reads and parses its own chunk of the file (byte
ranges cut at line ends, or Parquet row groups), at most 2 x workers chunks are in flight, and each
output file is written chunk by chunk, in input order. The model is
loaded once, before the worker processes fork. A row that cannot be scored fails the transform
with its location (file, row, column). Output: one file per input file, `<stem>.out.<ext>`, with
a `prediction` column (after the input columns with --join).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np

from . import model as model_mod
from .payload import PayloadError, _check_value

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_MODEL: model_mod.LoadedModel | None = None  # set in the parent before the pool forks


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


def plan_chunks(path: Path, kind: str, chunk_bytes: int) -> list[tuple]:
    """Tasks for the workers, each one chunk of the file that a worker reads itself (so parsing runs
    in parallel and the parent never holds the data): byte ranges cut at line ends for CSV and JSON
    Lines (a CSV field with a quoted newline is not supported), row groups for Parquet."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        return [(str(path), kind, i, None, b"") for i in range(pq.ParquetFile(path).num_row_groups)]
    size = path.stat().st_size
    tasks = []
    with open(path, "rb") as fh:
        header = fh.readline() if kind == "csv" else b""
        start = fh.tell()
        while start < size:
            fh.seek(min(size, start + chunk_bytes))
            fh.readline()  # to the end of the line the cut fell in
            end = min(size, fh.tell())
            tasks.append((str(path), kind, start, end, header))
            start = end
    return tasks


def read_chunk(task: tuple):
    """A worker reads its chunk: a pyarrow RecordBatch (or Table)."""
    file, kind, start, end, header = task
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(file).read_row_group(start)
    import io

    with open(file, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    if kind == "csv":
        import pyarrow.csv as pacsv

        # One block for the whole chunk: column types are inferred from all of it, so a bad value
        # makes a string column that the numeric check below reports with its row (1 MiB blocks
        # parse ~25% faster but fail with a conversion error that has no row).
        return pacsv.read_csv(io.BytesIO(header + data),
                              read_options=pacsv.ReadOptions(use_threads=False, block_size=max(1 << 20, len(data) + 1)))
    import pyarrow.json as pajson

    return pajson.read_json(io.BytesIO(data), read_options=pajson.ReadOptions(use_threads=False,
                                                                              block_size=max(1 << 20, len(data) + 1)))


def _to_input(batch, schema, file: str, first_row: int):
    """A batch -> the model's input: a float64 array for numeric signatures, else a DataFrame."""
    names = batch.schema.names
    if schema.kind == "columns":
        missing = [n for n, c in zip(schema.names, schema.columns, strict=True) if n not in names and c.required]
        if missing:
            raise _RowError(-1, f"column {missing[0]!r} required by the model's signature is missing")
        if schema.numeric:
            columns = []
            for name, col in zip(schema.names, schema.columns, strict=True):
                column = batch.column(names.index(name))
                if column.null_count and col.required:
                    i = column.is_null().to_pylist().index(True)
                    raise _RowError(i, f"column {name!r}: a value is required, got an empty or NA value")
                try:
                    columns.append(column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False))
                except (ValueError, TypeError):
                    values = column.to_pylist()
                    for i, value in enumerate(values):
                        try:
                            float(value)
                        except (TypeError, ValueError):
                            raise _RowError(i, f"column {name!r}: expected a number, got {value!r}") from None
                    raise
            return np.column_stack(columns) if columns else np.empty((batch.num_rows, 0))
        frame = batch.to_pandas()[schema.names]
        for j, col in enumerate(schema.columns):
            for i, value in enumerate(frame[col.name].tolist()):
                try:
                    _check_value(None if value != value else value, i, j, col.type, col.required, schema, "")
                except PayloadError as exc:
                    raise _RowError(i, str(exc)) from None
        return frame
    if schema.kind == "tensor":
        return np.column_stack([batch.column(i).to_numpy(zero_copy_only=False) for i in range(batch.num_columns)])
    return batch.to_pandas()


def _score(task: tuple, join: bool):
    """In a worker: read the chunk, check it, predict. ('ok', rows, predictions or joined IPC bytes) or
    ('error', local row or -1, message); the parent turns local rows into file rows."""
    try:
        table = read_chunk(task)
    except Exception as exc:
        return ("error", -1, f"cannot read it as {task[1]}: {exc}"[:1000])
    batch = table.combine_chunks().to_batches()[0] if table.num_rows else None
    if batch is None:
        return ("ok", 0, None)
    try:
        x = _to_input(batch, _MODEL.schema, "", 0)
    except _RowError as exc:
        return ("error", exc.row, exc.message)
    try:
        predictions = np.asarray(_MODEL.predict(x))
    except Exception as exc:
        for i in range(len(x)):  # find the first row the model cannot score
            row = x[i:i + 1] if isinstance(x, np.ndarray) else x.iloc[i:i + 1]
            try:
                _MODEL.predict(row)
            except Exception as row_exc:
                return ("error", i, f"the model cannot score it: {type(row_exc).__name__}: {row_exc}"[:1000])
        return ("error", -1, f"{type(exc).__name__}: {exc}"[:1000])
    if not join:
        return ("ok", batch.num_rows, predictions)
    import pyarrow as pa

    column = pa.array(predictions.tolist() if predictions.ndim > 1 else predictions)
    return ("ok", batch.num_rows, _ipc(pa.Table.from_batches([batch]).append_column("prediction", column)))


def _ipc(table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


class _RowError(Exception):
    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row, self.message = row, message


class _Writer:
    def __init__(self, path: Path, kind: str):
        self.path, self.kind, self.writer, self.fh = path, kind, None, None

    def write(self, table) -> None:
        import pyarrow as pa

        if self.kind == "parquet":
            import pyarrow.parquet as pq

            if self.writer is None:
                self.writer = pq.ParquetWriter(self.path, table.schema)
            self.writer.write_table(table)
        elif self.kind == "csv":
            import pyarrow.csv as pacsv

            if self.writer is None:
                self.writer = pacsv.CSVWriter(self.path, table.schema)
            self.writer.write_table(table)
        else:
            if self.fh is None:
                self.fh = open(self.path, "w", encoding="utf-8")
            for record in pa.Table.to_pylist(table):
                self.fh.write(json.dumps(record) + "\n")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.fh is not None:
            self.fh.close()


def run(model_uri: str, input_path: str, output: str, *, fmt: str | None = None, chunk_bytes: int = 8 << 20,
        workers: int = 0, join: bool = False, progress_file: str | None = None,
        tracking_uri: str | None = None) -> dict:
    """Score every input file; returns {"rows", "files", "seconds", "outputs"}."""
    global _MODEL

    started = time.perf_counter()
    files = input_files(Path(input_path), fmt)
    out_dir = Path(output)
    out_dir.mkdir(parents=True, exist_ok=True)
    _MODEL = model_mod.load(model_uri, tracking_uri)
    workers = workers or model_mod.cpu_count()
    ctx = multiprocessing.get_context("fork")
    outputs = []
    progress = {"files_total": len(files), "files_done": 0, "rows_done": 0}

    def report() -> None:
        if progress_file:
            tmp = Path(progress_file).with_suffix(".tmp")
            tmp.write_text(json.dumps(progress))
            os.replace(tmp, progress_file)

    with ctx.Pool(workers) as pool:
        for path, kind in files:
            target = out_dir / f"{path.stem}.out.{'jsonl' if kind == 'jsonl' else kind}"
            writer = _Writer(target, kind)
            in_flight: deque = deque()
            done_in_file = 0
            try:
                for task in plan_chunks(path, kind, chunk_bytes):
                    in_flight.append(pool.apply_async(_score, (task, join)))
                    while len(in_flight) >= 2 * workers:  # bounded: memory stays flat
                        done_in_file = _drain(in_flight.popleft(), writer, path, kind, done_in_file, join, progress)
                        report()
                while in_flight:
                    done_in_file = _drain(in_flight.popleft(), writer, path, kind, done_in_file, join, progress)
                    report()
            finally:
                writer.close()
            outputs.append(str(target))
            progress["files_done"] += 1
            report()
    return {"rows": progress["rows_done"], "files": len(files), "seconds": time.perf_counter() - started, "outputs": outputs}


def _drain(result, writer: _Writer, path: Path, kind: str, done_in_file: int, join: bool, progress: dict) -> int:
    import pyarrow as pa

    status, rows, payload = result.get()
    if status == "error":
        row = done_in_file + rows
        line = {"csv": row + 2, "jsonl": row + 1}.get(kind)  # 1-based, after the CSV header
        where = (f"row {row}" + (f" (line {line})" if line else "")) if rows >= 0 else f"rows after {done_in_file}"
        raise TransformError(f"{path.name}, {where}: {payload}")
    if rows:
        if join:
            table = pa.ipc.open_stream(payload).read_all()
        else:
            table = pa.table({"prediction": pa.array(payload.tolist() if payload.ndim > 1 else payload)})
        writer.write(table)
    progress["rows_done"] += rows
    return done_in_file + rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m studio_ext.serving.transform", description=__doc__.splitlines()[0])
    p.add_argument("--model-uri", required=True)
    p.add_argument("--tracking-uri")
    p.add_argument("--input", required=True, help="a file or a folder of files")
    p.add_argument("--output", required=True, help="folder for <stem>.out.<ext> files")
    p.add_argument("--format", choices=["csv", "jsonl", "parquet"])
    p.add_argument("--chunk-mib", type=float, default=8.0, help="input read per task")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--join", action="store_true", help="write the input columns before the prediction")
    p.add_argument("--progress-file")
    p.add_argument("--result-file", help="write {status, reason, ...} here at the end (for the agent)")
    args = p.parse_args(argv)

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
    sys.exit(main())
