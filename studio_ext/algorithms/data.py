"""Channels read into tables: CSV, Parquet or JSON Lines files (or a folder of them), and the label.

The label is, as SageMaker's built-in algorithms take it, the column named by the channel's
`label`, else a column named `label`, else the first column. A CSV may have a header row or not
(then its columns are numbered 0, 1, ... and the label is column 0). A channel without the label
an algorithm needs fails fast, naming the file and the column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Dataset

SUFFIX_TYPES = {".csv": "text/csv", ".parquet": "application/x-parquet", ".pq": "application/x-parquet",
                ".jsonl": "application/jsonlines", ".json": "application/jsonlines"}


def content_type_of(path: Path, given: str | None = None) -> str:
    """The content type of a file (or of the files of a folder): `given`, else from the extension."""
    if given:
        return given
    files = data_files(path)
    kinds = {SUFFIX_TYPES.get(f.suffix.lower()) for f in files}
    if None in kinds or len(kinds) != 1:
        raise ValueError(f"{path}: cannot tell the content type from the file names; use .csv, .parquet or "
                         ".jsonl files (all of one kind), or give the channel's content_type")
    return next(iter(kinds))  # type: ignore[return-value]


def data_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ValueError(f"{path}: the folder holds no file")
    return files


def _read_csv(file: Path) -> Any:
    import pandas as pd

    frame = pd.read_csv(file)
    # A headerless CSV (SageMaker's usual form): its first row parsed as names that are numbers.
    if all(_is_number(c) for c in frame.columns):
        frame = pd.read_csv(file, header=None)
    return frame


def _is_number(text: Any) -> bool:
    try:
        float(str(text))
        return True
    except ValueError:
        return False


def read_table(path: Path, content_type: str | None = None) -> Any:
    """All rows of a file or folder as one DataFrame."""
    import pandas as pd

    kind = content_type_of(path, content_type)
    readers = {"text/csv": _read_csv, "application/x-parquet": pd.read_parquet,
               "application/jsonlines": lambda f: pd.read_json(f, lines=True)}
    if kind not in readers:
        raise ValueError(f"{path}: content type {kind!r} is not one of {', '.join(readers)}")
    frames = []
    for file in data_files(path):
        try:
            frames.append(readers[kind](file))
        except Exception as exc:  # pandas raises several unrelated types for a broken file
            raise ValueError(f"{file}: not readable as {kind}: {type(exc).__name__}: {exc}") from None
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if frame.empty:
        raise ValueError(f"{path}: no rows")
    return frame


def split_label(frame: Any, label: str | None, source: str, needs_label: bool) -> Dataset:
    """Features and label of a channel (see the module docstring)."""
    if label is not None:
        if label not in frame.columns:
            raise ValueError(f"{source}: no column {label!r} (the channel's label); columns are "
                             f"{', '.join(map(str, list(frame.columns)[:20]))}")
        column: Any = label
    elif "label" in frame.columns:
        column = "label"
    elif needs_label:
        column = frame.columns[0]
    else:
        return Dataset(frame, None, source)
    y = frame[column]
    if y.isna().any():
        raise ValueError(f"{source}: the label column {column!r} has {int(y.isna().sum())} empty values")
    x = frame.drop(columns=[column])
    x.columns = [str(c) for c in x.columns]
    if x.shape[1] == 0:
        raise ValueError(f"{source}: no feature columns besides the label {column!r}")
    return Dataset(x, y, source)
