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


def read_npz(file: Path) -> Any:
    """`.npz` arrays: the images `x` (n, h, w) or (n, h, w, c), the labels `y` (optional)."""
    import numpy as np

    with np.load(file, allow_pickle=False) as arrays:
        if "x" not in arrays:
            raise ValueError(f"{file}: no array named 'x' (the images); it has {', '.join(arrays.files)}")
        x, y = arrays["x"], arrays["y"] if "y" in arrays else None
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        x = x.transpose(0, 3, 1, 2)  # (n, h, w, c) -> channels first
    else:
        raise ValueError(f"{file}: 'x' has shape {x.shape}; expected (n, height, width) or (n, height, width, "
                         "channels)")
    if y is not None and len(y) != len(x):
        raise ValueError(f"{file}: 'x' holds {len(x)} images but 'y' {len(y)} labels")
    return _pixel_table(x, y)


def read_image_folder(path: Path) -> Any:
    """A folder with one subfolder per class of image files: every image resized to the first one's
    size, grayscale unless some image has colour. Subfolders named by integers give integer labels."""
    import numpy as np
    from PIL import Image

    files = data_files(path)
    if path.is_file() or any(f.parent == path for f in files):
        raise ValueError(f"{path}: images go in one subfolder per class (cat/1.png, dog/2.png); the subfolder's "
                         "name is the label")
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
    pixels = pixels[:, None] if mode == "L" else pixels.transpose(0, 3, 1, 2)
    labels: list[Any] = [f.parent.name for f in files]
    if all(label.lstrip("-").isdigit() for label in labels):  # folders 0..9: the digits, as numbers
        labels = [int(label) for label in labels]
    return _pixel_table(pixels, labels)


def read_table(path: Path, content_type: str | None = None) -> Any:
    """All rows of a file or folder as one DataFrame."""
    import pandas as pd

    kind = content_type_of(path, content_type)
    if kind == IMAGE_TYPE:
        return read_image_folder(path)
    readers = {"text/csv": _read_csv, "application/x-parquet": pd.read_parquet,
               "application/jsonlines": lambda f: pd.read_json(f, lines=True), "application/x-npz": read_npz}
    if kind not in readers:
        raise ValueError(f"{path}: content type {kind!r} is not one of {', '.join(readers)}")
    frames = []
    for file in data_files(path):
        try:
            frames.append(readers[kind](file))
        except Exception as exc:  # pandas raises several unrelated types for a broken file
            raise ValueError(f"{file}: not readable as {kind}: {type(exc).__name__}: {exc}") from None
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if frames[0].attrs.get(IMAGE_SHAPE):
        if any(f.attrs.get(IMAGE_SHAPE) != frames[0].attrs[IMAGE_SHAPE] for f in frames):
            raise ValueError(f"{path}: the .npz files hold images of different shapes")
        frame.attrs[IMAGE_SHAPE] = frames[0].attrs[IMAGE_SHAPE]
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
    x.attrs = dict(frame.attrs)
    if x.shape[1] == 0:
        raise ValueError(f"{source}: no feature columns besides the label {column!r}")
    return Dataset(x, y, source)
