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
written in input order, so memory stays flat as the input grows. CSV chunks are cut at a newline
outside quotes (the planner tracks the parity of `"` through the file), so quoted fields may hold
newlines.

Output: one file per input file, `<stem>.out.<ext>`, with a `prediction` column (after the input
columns with --join; for CSV the input rows are copied as they are). A model that returns k values
per row gives `prediction_0..prediction_{k-1}` columns in CSV and a list in JSON Lines and
Parquet; a DataFrame result keeps its own column names. A row that cannot be scored fails the
transform with its place: file, data row (0-based) and, for CSV and JSON Lines, the 1-based
physical line the row starts on, then the column. `run()` returns rows, files, seconds and their
split: load_seconds (model and parser libraries) and score_seconds (first chunk to last byte).

Modules:
    chunks.py       the input files and their chunks (in the parent)
    pool.py         run(): the model load, the worker pool, in-order writing, progress (parent)
    worker_model.py the model the parent loads and the forked workers inherit
    score.py        one chunk in a worker: read, parse, check, predict, encode
    model_input.py  a parsed chunk -> the model's input, checked against the signature
    bad_rows.py     the bad row's place and reason, once a chunk has failed
    encode.py       predictions (+ the input, with --join) -> CSV / JSON Lines bytes, Arrow stream
    output.py       the `<stem>.out.<ext>` writer and the part files of big outputs
    errors.py       TransformError (for callers) and RowError (inside a worker)
    __main__.py     the command line
"""

from .chunks import FORMATS, input_files, plan_chunks
from .errors import TransformError
from .pool import run

__all__ = ["FORMATS", "TransformError", "input_files", "plan_chunks", "run"]

