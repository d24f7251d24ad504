"""A channel's first rows as an algorithm's training will read them: the Train panel's preview.

The same path resolution and content-type checks as a training request (training.py), the same
readers and label rule as the training process (algorithms/data.py), so what the preview shows
as the label is the column the job will learn, and what it refuses the job would refuse too. Only
the first rows are read: a preview of a big file costs what its first lines cost.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .. import schemas
from ..exceptions import InvalidParameter, NotFound, path_errors
from .training import resolve_channel

MAX_COLUMNS = 30  # a wide table (an image's pixels) shows its first columns, and the label
MAX_TEXT = 120  # characters of a value (a DeepAR series, a long text) before it is cut


def preview_channel(root: Path, algorithm_name: str,
                    request: schemas.PreviewChannelRequest) -> schemas.ChannelPreview:
    """The preview of `request.path` (under `root`) as channel `request.channel` of the algorithm.
    NotFound: no such algorithm or path; InvalidParameter naming the field for anything the
    training would refuse (a channel the algorithm lacks, a content type it does not read, a file
    no reader takes, a label column the data lacks)."""
    from ..algorithms import get
    from ..algorithms.data import channel_label, content_type_of, label_column, read_head

    algorithm = get(algorithm_name)
    if algorithm is None:
        raise NotFound(f"name: no built-in algorithm {algorithm_name!r}; GET /studio/api/algorithms lists them")
    known = [c.name for c in algorithm.channels]
    if request.channel not in known:
        raise InvalidParameter(f"channel: {algorithm.name} takes the channels {', '.join(known)}")
    path = resolve_channel(root, request.path, "path")
    with path_errors("path", request.path):
        try:
            content_type = content_type_of(path, request.content_type)
        except ValueError as exc:
            raise InvalidParameter(f"path: {_relative(exc, root)}") from None
        if content_type not in algorithm.content_types:
            field = "content_type" if request.content_type else "path"
            raise InvalidParameter(f"{field}: {algorithm.name} reads {', '.join(algorithm.content_types)}, not "
                                   f"{content_type}")
        try:
            head = read_head(path, content_type, request.rows)
        except ValueError as exc:
            raise InvalidParameter(f"path: {_relative(exc, root)}") from None
    frame = head.frame
    label, needs_label = channel_label(request.channel, request.label, frame.columns, algorithm.needs_label,
                                       algorithm.default_label)
    if label is not None and label not in frame.columns:
        names = [str(c) for c in frame.columns]
        more = f" and {len(names) - 10} more" if len(names) > 10 else ""
        raise InvalidParameter(f"label: {Path(request.path).name} has no column {label!r}; its columns: "
                               f"{', '.join(names[:10])}{more}")
    column = label_column(frame.columns, label, needs_label)
    shown = list(frame.columns[:MAX_COLUMNS])
    if column is not None and column not in shown:
        shown.append(column)
    rows = [[_cell(value) for value in row] for row in frame[shown].itertuples(index=False, name=None)]
    image_shape = frame.attrs.get("image_shape")
    return schemas.ChannelPreview(
        path=request.path, channel=request.channel, content_type=content_type, columns=[str(c) for c in shown],
        columns_total=len(frame.columns), rows=rows, rows_read=len(rows), rows_total=head.rows_total,
        label=None if column is None else str(column), files=head.files,
        image_shape=list(image_shape) if image_shape else None, classes=head.classes)


def _relative(exc: Exception, root: Path) -> str:
    """A reader's message without the server's own folders (the client gave a relative path)."""
    return str(exc).replace(f"{root}/", "")


def _cell(value: Any) -> schemas.PreviewCell:
    """A value as JSON: numbers and booleans as they are, empty values (NaN, NaT, None) as null,
    infinities and everything else as (cut) text."""
    import pandas as pd

    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if pd.api.types.is_integer(value):
        return int(value)
    if pd.api.types.is_float(value):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
