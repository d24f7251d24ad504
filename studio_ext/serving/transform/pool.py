"""run(): load the model, fork the worker pool, feed it each file's chunks and write the results in
input order, with progress (in the parent)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.pool import AsyncResult
from pathlib import Path

from .. import model as model_mod
from . import worker_model
from .chunks import count_newlines, input_files, plan_chunks
from .errors import TransformError
from .output import OutputWriter, output_path
from .score import score_task


def run(model_uri: str, input_path: str, output: str, *, fmt: str | None = None, chunk_bytes: int = 8 << 20,
        workers: int = 0, join: bool = False, progress_file: str | None = None,
        tracking_uri: str | None = None) -> dict:
    """Score every input file; returns {"rows", "files", "seconds", "load_seconds", "score_seconds",
    "outputs"}: load_seconds is the model load and the parsers' imports (before the workers fork),
    score_seconds the rest, from the first chunk to the last byte written."""
    started = time.perf_counter()
    files = input_files(Path(input_path), fmt)
    out_dir = Path(output)
    out_dir.mkdir(parents=True, exist_ok=True)
    worker_model.MODEL = model_mod.load(model_uri, tracking_uri)
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
    outputs: list[str] = []
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
               outputs: list[str], progress: dict, report: Callable[[], None]) -> None:
    for path, kind in files:
        target = output_path(out_dir, path, kind)
        writer = OutputWriter(target, kind)
        in_flight: deque[tuple[AsyncResult, tuple]] = deque()  # (the pending result, its task)
        position = _FilePosition(path)
        try:
            # A small file is cut finer, so that every worker gets a share of it.
            size = path.stat().st_size if kind != "parquet" else 0
            chunk = max(min(chunk_bytes, size // (4 * workers)), min(chunk_bytes, 256 << 10))
            for task in plan_chunks(path, kind, chunk):
                in_flight.append((pool.apply_async(score_task, (task, join, spill_dir)), task))
                while len(in_flight) >= 2 * workers:  # bounded: memory stays flat
                    result, pending = in_flight.popleft()
                    position.drain(result, pending, writer, progress)
                    report()
            while in_flight:
                result, pending = in_flight.popleft()
                position.drain(result, pending, writer, progress)
                report()
        finally:
            writer.close()
        outputs.append(str(target))
        progress["files_done"] += 1
        report()


class _FilePosition:
    """Data rows written so far in one file; turns a worker's local row and line into the file's."""

    def __init__(self, path: Path):
        self.path, self.rows_before = path, 0

    def drain(self, result: AsyncResult, task: tuple, writer: OutputWriter, progress: dict) -> None:
        """Wait for the chunk's result and write it, or raise its bad row as the file's row and line."""
        status, rows, a, b = result.get()
        if status == "error":
            if rows < 0:
                raise TransformError(f"{self.path.name}, rows after {self.rows_before}: {a}")
            where = f"row {self.rows_before + rows}"
            if b is not None:  # lines before the chunk (header included) are counted only now, for the message
                where += f" (line {count_newlines(self.path, task[2]) + b + 1})"
            raise TransformError(f"{self.path.name}, {where}: {a}")
        if rows:
            writer.write(a, b)
        self.rows_before += rows
        progress["rows_done"] += rows
