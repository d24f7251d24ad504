"""The `<stem>.out.<ext>` files, written in the parent in input order, and the part files (spills)
in which a worker hands over a big output instead of sending its bytes back through the pool."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import IO, Any


class PartFile(str):
    """The path of a file holding a worker's encoded output, in place of the bytes."""


def write_part(spill_dir: str, name: str, body: bytes) -> PartFile:
    """In a worker: `body` in the part file `<name>.part` of `spill_dir`; the writer removes it."""
    path = PartFile(os.path.join(spill_dir, f"{name}.part"))
    with open(path, "wb") as fh:
        fh.write(body)
    return path


def output_path(out_dir: Path, path: Path, kind: str) -> Path:
    """Where the output of input file `path` goes: `<stem>.out.<ext>` in `out_dir`."""
    return out_dir / f"{path.stem}.out.{'jsonl' if kind == 'jsonl' else kind}"


class OutputWriter:
    """One output file; CSV and JSON Lines get the workers' bytes, Parquet their Arrow tables (in an
    IPC stream); either may come as a PartFile, which is appended and removed."""

    def __init__(self, path: Path, kind: str):
        self.path, self.kind, self.header_written = path, kind, False
        self.writer: Any = None  # a pyarrow.parquet.ParquetWriter, opened with the first table
        # Unbuffered: the writes are whole chunks, and copy_file_range moves the file offset itself.
        # None exactly when kind is parquet (those go through `writer`).
        self.fh: io.FileIO | None = (
            None if kind == "parquet" else open(path, "wb", buffering=0)  # noqa: SIM115 (close())
        )

    def write(self, header: bytes | None, body: bytes | PartFile) -> None:
        try:
            if self.fh is not None:  # not parquet
                if header and not self.header_written:
                    self.fh.write(header)
                    self.header_written = True
                if isinstance(body, PartFile):
                    with open(body, "rb") as src:
                        _append(src, self.fh)
                else:
                    self.fh.write(body)
                return
            import pyarrow as pa
            import pyarrow.parquet as pq

            source = pa.memory_map(body) if isinstance(body, PartFile) else pa.py_buffer(body)
            table = pa.ipc.open_stream(source).read_all()
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.path, table.schema)
            self.writer.write_table(table)
        finally:
            if isinstance(body, PartFile):
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


def _append(src: IO[bytes], dst: IO[bytes]) -> None:
    """Append the rest of file `src` to `dst`, in the kernel where it can."""
    try:
        while os.copy_file_range(src.fileno(), dst.fileno(), 1 << 30):
            pass
    except (AttributeError, OSError):  # not Linux, or not across these file systems
        shutil.copyfileobj(src, dst, 8 << 20)
