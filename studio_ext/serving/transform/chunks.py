"""Finding the input files and cutting them into chunks that the workers read themselves (in the parent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .errors import TransformError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_SCAN_BLOCK = 1 << 20


def input_files(path: Path, fmt: str | None) -> list[tuple[Path, str]]:
    """(file, kind) for each file to score: `path` itself, or the files of a folder with a known
    suffix (only those of `fmt`, when given), sorted by name."""
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


def count_newlines(path: Path, end: int) -> int:
    """The newlines before offset `end`: the physical line a chunk starts on, counted only when an
    error message needs it."""
    count = 0
    with open(path, "rb") as fh:
        while fh.tell() < end:
            block = fh.read(min(_SCAN_BLOCK, end - fh.tell()))
            if not block:
                break
            count += block.count(b"\n")
    return count
