"""A job's files for the job service: input checks, snapshot, notebook parameters, outputs, log.

The folder's layout (`$STUDIO_HOME/jobs/<id>/`) is named in paths.py, which the job process
(runner/worker.py) shares; this module is JobService's private helpers (and ScheduleService's,
which validates a template as a submission would).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .. import schemas
from ..exceptions import InvalidParameter
from ..paths import LOG_NAME, OUTPUT_DIR

_KIND_BY_SUFFIX = {".ipynb": schemas.JobKind.NOTEBOOK, ".py": schemas.JobKind.SCRIPT}


# ------------------------------------------------------------------ inputs


def infer_kind(path: Path, kind: schemas.JobKind | None, input_path: str,
               prefix: str = "") -> schemas.JobKind:
    """The job kind of an input file, checked against the kind the request gave (if any).
    InvalidParameter names the field, under `prefix` (a schedule's template is `job.`)."""
    inferred = _KIND_BY_SUFFIX.get(path.suffix.lower())
    if inferred is None:
        raise InvalidParameter(f"{prefix}input: {input_path!r} must be a notebook (.ipynb) or a "
                               "script (.py)")
    if kind is not None and schemas.JobKind(kind) != inferred:
        raise InvalidParameter(f"{prefix}kind: {kind.value!r} does not match the input "
                               f"{input_path!r} (a {path.suffix} file is a {inferred.value})")
    return inferred


def load_notebook(path: Path, field: str = "input"):
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for a broken file
        raise InvalidParameter(f"{field}: {path.name} is not a readable notebook: {exc}") from None


def parameters_cell_index(nb) -> int:
    """Index of the first cell tagged `parameters`, or -1 (papermill's rule)."""
    for index, cell in enumerate(nb.cells):
        if "parameters" in (cell.get("metadata", {}).get("tags") or []):
            return index
    return -1


def _type_name(annotated: str | None, default_source: str) -> str:
    """The annotation if the cell has one, else the literal default's type ('str', 'float', ...)."""
    if annotated and annotated != "None":
        return annotated
    import ast

    try:
        return type(ast.literal_eval(default_source)).__name__
    except (ValueError, SyntaxError, TypeError):
        return "expression"


def as_declared(parameters: dict[str, Any], declared: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`parameters` with each whole number given for a parameter the notebook declares a float
    (`C = 1.0`) made a float: JSON (and JavaScript, and `-p C 1`) cannot tell 1.0 from 1, and the
    executed notebook and the MLflow run must show the type the notebook declares."""
    out = dict(parameters)
    for name, value in parameters.items():
        if declared.get(name, {}).get("type") == "float" and type(value) is int:
            out[name] = float(value)
    return out


def notebook_parameters(nb) -> dict[str, dict[str, Any]]:
    """{name: {default, type, help}} of the notebook's parameters cell ({} without one)."""
    if parameters_cell_index(nb) < 0:
        return {}
    from papermill.inspection import _infer_parameters  # heavy import, only here

    for cell in nb.cells:  # papermill expects every cell to carry a tags list
        cell.metadata.setdefault("tags", [])
    # A notebook saved without a kernelspec runs on python3 (the notebook launcher's default).
    spec = nb.metadata.get("kernelspec") or {}
    name = None if spec.get("name") else "python3"
    language = None if (spec.get("language") or (nb.metadata.get("language_info") or {}).get("name")) else "python"
    return {p.name: {"default": p.default, "type": _type_name(p.inferred_type_name, p.default),
                     "help": p.help}
            for p in _infer_parameters(nb, name=name, language=language)}


# ------------------------------------------------------------------ outputs and the log


def _output_kind(name: str) -> str:
    if name == LOG_NAME:
        return "log"
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith((".html", ".htm")):
        return "html"
    return "file"


def list_outputs(job_dir: Path) -> list[schemas.JobOutput]:
    """The files under the output folder (sorted), then the log. A link that leads out of the
    folder is not listed: output_path refuses to serve it."""
    out_dir = job_dir / OUTPUT_DIR
    real_out = out_dir.resolve()
    items: list[schemas.JobOutput] = []
    if out_dir.is_dir():
        for dirpath, _dirnames, filenames in os.walk(out_dir):
            for filename in filenames:
                path = Path(dirpath) / filename
                if path.is_symlink() and real_out not in path.resolve().parents:
                    continue
                try:
                    size = path.stat().st_size
                except OSError:  # vanished while listing (a job still writing)
                    continue
                name = path.relative_to(out_dir).as_posix()
                items.append(schemas.JobOutput(name=name, size=size, kind=_output_kind(name)))
    items.sort(key=lambda o: o.name)
    log = job_dir / LOG_NAME
    if log.is_file():
        items.append(schemas.JobOutput(name=LOG_NAME, size=log.stat().st_size, kind="log"))
    return items


def output_path(job_dir: Path, name: str) -> Path:
    """Where output `name` is; InvalidParameter if the name escapes the output folder."""
    if name == LOG_NAME:
        return job_dir / LOG_NAME
    out_dir = (job_dir / OUTPUT_DIR).resolve()
    if not name or "\0" in name or Path(name).is_absolute():
        raise InvalidParameter(f"name: invalid output name {name!r}")
    path = (out_dir / name).resolve()
    try:
        path.relative_to(out_dir)
    except ValueError:
        raise InvalidParameter(f"name: {name!r} is outside the job's output folder") from None
    return path


def _complete_utf8_prefix(data: bytes) -> int:
    """Length of the longest prefix of data that does not end inside a UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: keep looking for the lead byte
            continue
        if byte >= 0xC0:
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back if needed > back else len(data)
        return len(data)
    return len(data)


def read_log(path: Path, offset: int, max_bytes: int, terminal: bool) -> schemas.JobLogs:
    """Up to max_bytes of the log from offset; `terminal`: the job is over (the log is complete)."""
    data = b""
    size = 0
    if path.is_file():
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            offset = min(offset, size)
            fh.seek(offset)
            data = fh.read(max_bytes)
    else:
        offset = 0
    # Never split a UTF-8 character between two reads: hold back an incomplete tail.
    if offset + len(data) < size or not terminal:
        data = data[:_complete_utf8_prefix(data)]
    next_offset = offset + len(data)
    return schemas.JobLogs(content=data.decode("utf-8", errors="replace"), offset=offset,
                           next_offset=next_offset, complete=terminal and next_offset >= size)
