"""Finding the bad row of a chunk that failed to parse or check: its data row, the physical lines
before it and why (in a worker). The slow path, taken only on an error."""

from __future__ import annotations

import io
import json

from ..signature import NUMERIC


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


def csv_bad_record(data: bytes, width: int) -> tuple[int, int | None, str]:
    """The first record with more fields than the header: (row, line offset, message), or -1."""
    for row, before, fields in _csv_walk(data):
        if fields > width:
            return row, before, f"expected {width} fields, saw {fields}"
    return -1, None, ""


def jsonl_bad_row(data: bytes, schema) -> tuple[int, str]:
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


def record_line(kind: str, data: bytes, row: int) -> int | None:
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
