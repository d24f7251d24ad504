"""Channels read into tables: CSV, Parquet or JSON Lines files (or a folder of them), and the label.

Images become tables too (one row per image, its pixels as columns `pixel_0`, ... channel-major,
the image's shape in the table's `attrs["image_shape"]` as (channels, height, width)): a folder
with one subfolder per class of PNG/JPEG files (the subfolder's name is the label), or `.npz`
arrays `x` (n, h, w) or (n, h, w, c) and `y`.

The label is, as SageMaker's built-in algorithms take it, the column named by the channel's
`label`, else a column named `label`, else the first column. A CSV may have a header row or not
(then its columns are numbered 0, 1, ... and the label is column 0). A channel without the label
an algorithm needs fails fast, naming the file and the column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import Dataset

SUFFIX_TYPES = {".csv": "text/csv", ".parquet": "application/x-parquet", ".pq": "application/x-parquet",
                ".jsonl": "application/jsonlines", ".json": "application/jsonlines", ".npz": "application/x-npz"}
IMAGE_TYPE = "application/x-image"
SUFFIX_TYPES.update({suffix: IMAGE_TYPE for suffix in (".png", ".jpg", ".jpeg", ".bmp", ".gif")})
IMAGE_SHAPE = "image_shape"  # the attrs key of an image table: (channels, height, width)


def content_type_of(path: Path, given: str | None = None) -> str:
    """The content type of a file (or of the files of a folder): `given`, else from the extension."""
    if given:
        return given
    files = data_files(path)
    kinds = {SUFFIX_TYPES.get(f.suffix.lower()) for f in files}
    if None in kinds or len(kinds) != 1:
        raise ValueError(f"{path}: cannot tell the content type from the file names; use .csv, .parquet, "
                         ".jsonl, .npz or image files (all of one kind), or give the channel's content_type")
    return next(iter(kinds))  # type: ignore[return-value]


def data_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ValueError(f"{path}: the folder holds no file")
    return files


def _read_csv(file: Path, nrows: int | None = None) -> Any:
    import pandas as pd

    frame = pd.read_csv(file, nrows=nrows)
    # A headerless CSV (SageMaker's usual form): its first row parsed as names that are numbers.
    if all(_is_number(c) for c in frame.columns):
        frame = pd.read_csv(file, header=None, nrows=nrows)
    return frame


def _is_number(text: Any) -> bool:
    try:
        float(str(text))
        return True
    except ValueError:
        return False


def _pixel_table(images: Any, labels: Any | None) -> Any:
    """(n, c, h, w) pixels (and labels) as a DataFrame: `label` first, then `pixel_0`, ..."""
    import numpy as np
    import pandas as pd

    n, c, h, w = images.shape
    frame = pd.DataFrame(images.reshape(n, c * h * w), columns=[f"pixel_{i}" for i in range(c * h * w)])
    if labels is not None:
        frame.insert(0, "label", np.asarray(labels))
    frame.attrs[IMAGE_SHAPE] = (c, h, w)
    return frame


def read_npz(file: Path, rows: int | None = None) -> Any:
    """`.npz` arrays: the images `x` (n, h, w) or (n, h, w, c), the labels `y` (optional); the
    first `rows` images only if given."""
    x, n, y = _npz_arrays(file, rows)
    return _npz_table(file, x, y, n)


def _npz_table(file: Path, x: Any, y: Any | None, n: int) -> Any:
    """The pixel table of `x` (and `y`, of which the first len(x) are taken); `n`: how many images
    the file holds (x may be its first rows only)."""
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        x = x.transpose(0, 3, 1, 2)  # (n, h, w, c) -> channels first
    else:
        raise ValueError(f"{file}: 'x' has shape {x.shape}; expected (n, height, width) or (n, height, width, "
                         "channels)")
    if y is not None and len(y) != n:
        raise ValueError(f"{file}: 'x' holds {n} images but 'y' {len(y)} labels")
    return _pixel_table(x, None if y is None else y[:len(x)])


def _npz_arrays(file: Path, rows: int | None = None) -> tuple[Any, int, Any | None]:
    """`x` (its first `rows` images if given), how many images it holds, and `y` (None without).
    For the first rows only x's header and those rows are read: a zip member is a stream."""
    import zipfile

    import numpy as np

    with zipfile.ZipFile(file) as archive:
        names = [n.removesuffix(".npy") for n in archive.namelist()]
        if "x" not in names:
            raise ValueError(f"{file}: no array named 'x' (the images); it has {', '.join(names)}")
        with archive.open("x.npy") as stream:
            version = np.lib.format.read_magic(stream)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran_order, dtype = read_header(stream)
            x = None
            if rows is not None and not fortran_order and not dtype.hasobject and len(shape) > 0:
                take = min(rows, shape[0])
                size = take * int(np.prod(shape[1:], dtype=np.int64))
                x = np.frombuffer(stream.read(size * dtype.itemsize), dtype=dtype, count=size)
                x = x.reshape((take, *shape[1:]))
    with np.load(file, allow_pickle=False) as arrays:
        if x is None:  # stored column by column, or all of it asked for
            x = arrays["x"][:rows]
        y = arrays["y"] if "y" in arrays else None
    return x, (shape[0] if shape else 0), y


def read_image_folder(path: Path) -> Any:
    """A folder with one subfolder per class of image files: every image resized to the first one's
    size, grayscale unless some image has colour. Subfolders named by integers give integer labels."""
    files = image_files(path)
    return _pixel_table(_image_pixels(files), class_labels([f.parent.name for f in files]))


def image_files(path: Path) -> list[Path]:
    """The image files of a folder with one subfolder per class (ValueError for another layout)."""
    files = data_files(path)
    if path.is_file() or any(f.parent == path for f in files):
        raise ValueError(f"{path}: images go in one subfolder per class (cat/1.png, dog/2.png); the subfolder's "
                         "name is the label")
    return files


def class_labels(names: list[str]) -> list[Any]:
    """The labels of images from their subfolders' names: numbers when every name is an integer
    (folders 0..9: the digits)."""
    if all(name.lstrip("-").isdigit() for name in names):
        return [int(name) for name in names]
    return list(names)


def _image_pixels(files: list[Path]) -> Any:
    """(n, c, h, w) float32 pixels of image files: each resized to the first one's size, grayscale
    unless one of them has colour."""
    import numpy as np
    from PIL import Image

    opened = []
    for file in files:
        try:
            with Image.open(file) as image:
                opened.append(image.convert("RGB") if image.mode not in ("L", "1", "I", "F") else image.convert("L"))
        except Exception as exc:  # PIL raises several types for a broken file
            raise ValueError(f"{file}: not readable as an image: {type(exc).__name__}: {exc}") from None
    mode = "RGB" if any(i.mode == "RGB" for i in opened) else "L"
    size = opened[0].size
    pixels = np.stack([np.asarray(i.convert(mode).resize(size) if i.size != size or i.mode != mode else i,
                                  dtype=np.float32) for i in opened])
    return pixels[:, None] if mode == "L" else pixels.transpose(0, 3, 1, 2)


def _read_parquet(file: Path, rows: int | None = None) -> Any:
    import pandas as pd

    if rows is None:
        return pd.read_parquet(file)
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(file)
    first = next(parquet.iter_batches(batch_size=rows), None)  # one batch, not the whole row group
    return pa.Table.from_batches([first] if first is not None else [], schema=parquet.schema_arrow).to_pandas()


def _read_jsonl(file: Path, rows: int | None = None) -> Any:
    import pandas as pd

    return pd.read_json(file, lines=True, nrows=rows)


# Each tabular content type's reader: (file, rows) -> its first `rows` rows as a DataFrame (None: all).
READERS: dict[str, Callable[[Path, int | None], Any]] = {
    "text/csv": _read_csv, "application/x-parquet": _read_parquet, "application/jsonlines": _read_jsonl,
    "application/x-npz": read_npz}


def _read(kind: str, path: Path, file: Path, rows: int | None = None) -> Any:
    if kind not in READERS:
        raise ValueError(f"{path}: content type {kind!r} is not one of {', '.join(READERS)}")
    try:
        return READERS[kind](file, rows)
    except Exception as exc:  # pandas raises several unrelated types for a broken file
        raise ValueError(f"{file}: not readable as {kind}: {type(exc).__name__}: {exc}") from None


def read_table(path: Path, content_type: str | None = None) -> Any:
    """All rows of a file or folder as one DataFrame."""
    import pandas as pd

    kind = content_type_of(path, content_type)
    if kind == IMAGE_TYPE:
        return read_image_folder(path)
    frames = [_read(kind, path, file) for file in data_files(path)]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if frames[0].attrs.get(IMAGE_SHAPE):
        if any(f.attrs.get(IMAGE_SHAPE) != frames[0].attrs[IMAGE_SHAPE] for f in frames):
            raise ValueError(f"{path}: the .npz files hold images of different shapes")
        frame.attrs[IMAGE_SHAPE] = frames[0].attrs[IMAGE_SHAPE]
    if frame.empty:
        raise ValueError(f"{path}: no rows")
    return frame


@dataclass
class Head:
    """The first rows of a channel as read_table reads them, and what is cheap to know of the rest."""

    frame: Any
    files: int  # data files in the channel
    rows_total: int | None  # None where only reading every row would tell (CSV, JSON Lines)
    classes: dict[str, int] | None  # images: how many of each label (None: more than MAX_CLASSES)


MAX_CLASSES = 100


def read_head(path: Path, content_type: str | None = None, rows: int = 5) -> Head:
    """The first `rows` rows of a file or folder without reading the rest: a CSV's first lines, a
    Parquet file's first batch, an .npz's first images, an image folder's first files (its classes
    counted from the subfolders' names)."""
    import pandas as pd

    kind = content_type_of(path, content_type)
    if kind == IMAGE_TYPE:
        images = image_files(path)
        labels = class_labels([f.parent.name for f in images])
        return Head(_pixel_table(_image_pixels(images[:rows]), labels[:rows]), len(images), len(images),
                    _class_counts(labels))
    files = data_files(path)
    frames: list[Any] = []
    for file in files:  # a folder: its files in read_table's order until there are enough rows
        frames.append(_read(kind, path, file, rows - sum(len(f) for f in frames)))
        if sum(len(f) for f in frames) >= rows:
            break
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame.attrs = dict(frames[0].attrs)
    if frame.empty:
        raise ValueError(f"{path}: no rows")
    total, classes = None, None
    if kind == "application/x-parquet":
        import pyarrow.parquet as pq

        total = sum(pq.ParquetFile(f).metadata.num_rows for f in files)  # the footers only
    elif kind == "application/x-npz":
        counted = [_npz_arrays(f, 0) for f in files]
        total = sum(n for _, n, _ in counted)
        labels = [y for _, _, y in counted]
        if all(y is not None for y in labels):
            classes = _class_counts([v for y in labels if y is not None for v in y.tolist()])
    return Head(frame, len(files), total, classes)


def _class_counts(labels: list[Any]) -> dict[str, int] | None:
    counts = Counter(labels)
    if len(counts) > MAX_CLASSES:
        return None  # a regression target, not classes
    try:
        ordered = sorted(counts)
    except TypeError:  # labels of mixed types: in the order met
        ordered = list(counts)
    return {str(label): counts[label] for label in ordered}


def channel_label(name: str, label: str | None, columns: Any, needs_label: bool,
                  default_label: str | None) -> tuple[str | None, bool]:
    """How channel `name` finds its label: (the column it names, else the algorithm's
    `default_label` when the table has that column; whether it must hold a label). Only `train`
    must hold the label of a supervised algorithm; the others are scored when they have it."""
    if label is None and default_label is not None and default_label in columns:
        label = default_label
    return label, needs_label and (name == "train" or label is not None or "label" in columns)


def label_column(columns: Any, label: str | None, needs_label: bool) -> Any | None:
    """The column split_label takes as the label: `label` (one of `columns`), else a column named
    `label`, else the first when a label is needed; None: the channel has none."""
    if label is not None:
        return label
    if "label" in columns:
        return "label"
    return columns[0] if needs_label else None


def split_label(frame: Any, label: str | None, source: str, needs_label: bool) -> Dataset:
    """Features and label of a channel (see the module docstring)."""
    if label is not None and label not in frame.columns:
        raise ValueError(f"{source}: no column {label!r} (the channel's label); columns are "
                         f"{', '.join(map(str, list(frame.columns)[:20]))}")
    column = label_column(frame.columns, label, needs_label)
    if column is None:
        return Dataset(frame, None, source)
    y = frame[column]
    if y.isna().any():
        raise ValueError(f"{source}: the label column {column!r} has {int(y.isna().sum())} empty values")
    x = frame.drop(columns=[column])
    x.columns = [str(c) for c in x.columns]
    x.attrs = dict(frame.attrs)
    if x.shape[1] == 0:
        raise ValueError(f"{source}: no feature columns besides the label {column!r}")
    return Dataset(x, y, source)
