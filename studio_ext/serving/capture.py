"""Data capture: a sampled share of requests/responses appended to rotating JSONL files."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import TextIO

ROTATE_BYTES = 10 * 1024 * 1024


class Capture:
    """One file per worker process (no locking between workers); a new file every ROTATE_BYTES."""

    def __init__(self, folder: str | Path, percent: float, what: str = "input,output"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.share = max(0.0, min(100.0, percent)) / 100.0
        parts = {p.strip() for p in what.split(",")}
        self.inputs, self.outputs = "input" in parts, "output" in parts
        self.fh: TextIO | None = None
        self.written = 0

    def _open(self) -> None:
        if self.fh is not None:
            self.fh.close()
        name = f"capture-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{time.time_ns() % 10**6}.jsonl"
        self.fh = open(self.folder / name, "a", encoding="utf-8", buffering=1)  # line-buffered: little lost
        self.written = 0

    def maybe_write(self, request: bytes, response: bytes) -> None:
        if self.share <= 0 or random.random() >= self.share:
            return
        record: dict[str, float | str] = {"time": time.time()}
        if self.inputs:
            record["input"] = request.decode("utf-8", errors="replace")
        if self.outputs:
            record["output"] = response.decode("utf-8", errors="replace")
        line = json.dumps(record) + "\n"
        if self.fh is None or self.written + len(line) > ROTATE_BYTES:
            self._open()
        assert self.fh is not None  # _open() just set it
        try:
            self.fh.write(line)
            self.written += len(line)
        except OSError:
            pass  # a full disk must not fail scoring

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
