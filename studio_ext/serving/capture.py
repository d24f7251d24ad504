"""Data capture: a sampled share of requests/responses appended to rotating JSONL files.

With a key ring (security/keys.py, on by default: the agent passes the studio's) the payloads are
sealed at rest: `{"time": ..., "sealed": true, "input": "k1:<token>", "output": "k1:<token>"}`;
`read_record` opens a line again for whoever reads the capture (the endpoint service, monitoring).
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any, TextIO

ROTATE_BYTES = 10 * 1024 * 1024


class Capture:
    """One file per worker process (no locking between workers); a new file every ROTATE_BYTES."""

    def __init__(self, folder: str | Path, percent: float, what: str = "input,output", keyring: Any = None):
        self.keyring = keyring
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
        record: dict[str, float | str | bool] = {"time": time.time()}
        if self.keyring is not None:
            record["sealed"] = True
        if self.inputs:
            record["input"] = self._text(request)
        if self.outputs:
            record["output"] = self._text(response)
        line = json.dumps(record) + "\n"
        if self.fh is None or self.written + len(line) > ROTATE_BYTES:
            self._open()
        assert self.fh is not None  # _open() just set it
        try:
            self.fh.write(line)
            self.written += len(line)
        except OSError:
            pass  # a full disk must not fail scoring

    def _text(self, payload: bytes) -> str:
        text = payload.decode("utf-8", errors="replace")
        return self.keyring.seal(text.encode()) if self.keyring is not None else text

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def read_record(data: dict[str, Any], keyring: Any) -> tuple[str | None, str | None, str | None]:
    """(input, output, error) of a captured line: a sealed one is opened with `keyring`; one that
    cannot be opened (a missing or different key) has no payload and says why."""
    payload = (data.get("input"), data.get("output"))
    if not data.get("sealed"):
        return payload[0], payload[1], None
    from ..security.keys import SealError

    try:
        opened = [keyring.unseal(v).decode("utf-8", errors="replace") if isinstance(v, str) else None for v in payload]
    except SealError as exc:
        return None, None, str(exc)
    return opened[0], opened[1], None
