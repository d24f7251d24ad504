"""Algorithm jobs for the job service: validate a training request before anything runs, write its
spec into the job's snapshot, and read back what the training produced.

Everything a user can get wrong is a 400 (or a 404 for a missing channel) at submission, naming
the field: an unknown algorithm, a hyperparameter out of range or unknown
(`hyperparameters.max_depth: ...`), an unknown or missing channel, a channel outside the server
root, a file type no reader takes, a label column the file does not have.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import schemas
from ..exceptions import InvalidParameter, NotFound, path_errors
from ..paths import INPUT_DIR, OUTPUT_DIR, TRAINING_RESULT, TRAINING_SPEC


def _describe_errors(exc: ValidationError, prefix: str) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ()))
        problem = "unknown hyperparameter" if err.get("type") == "extra_forbidden" else err.get("msg", "invalid")
        value = err.get("input")
        if err.get("type") != "extra_forbidden" and isinstance(value, str | int | float | bool):
            problem += f" (got {value!r})"
        parts.append(f"{prefix}.{loc}: {problem}" if loc else f"{prefix}: {problem}")
    return "; ".join(parts)


def _header(path: Path, content_type: str) -> list[str] | None:
    """The column names of a file's first rows (None when the reader cannot tell cheaply)."""
    if content_type == "text/csv":
        with open(path, newline="", errors="replace") as fh:
            return next(csv.reader(fh), [])
    if content_type == "application/x-parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if content_type == "application/jsonlines":
        with open(path, errors="replace") as fh:
            first = json.loads(fh.readline() or "{}")
        return list(first) if isinstance(first, dict) else None
    return None


def validate_training(request: schemas.CreateJob, resolve: Callable[[str, str], Path]) -> dict[str, Any]:
    """The training spec of an algorithm job, every part checked (see the module docstring).
    `resolve(path, field)`: a path under the server root (a file or a folder), or raise."""
    from ..algorithms import ALGORITHMS, get
    from ..algorithms.data import content_type_of, data_files

    assert request.algorithm is not None  # CreateJob checks an algorithm job names one
    algorithm = get(request.algorithm)
    if algorithm is None:
        raise InvalidParameter(f"algorithm: no built-in algorithm {request.algorithm!r}; the catalog has "
                               f"{', '.join(ALGORITHMS)} (GET /studio/api/algorithms)")
    try:
        hp = algorithm.Hyperparameters.model_validate(request.hyperparameters)
    except ValidationError as exc:
        raise InvalidParameter(_describe_errors(exc, "hyperparameters")) from None
    known = {c.name: c for c in algorithm.channels}
    for name in request.channels:
        if name not in known:
            raise InvalidParameter(f"channels.{name}: {algorithm.name} takes the channels {', '.join(known)}")
    for name, spec in known.items():
        if spec.required and name not in request.channels:
            raise InvalidParameter(f"channels.{name}: required by {algorithm.name}")
    channels: dict[str, dict[str, Any]] = {}
    for name, given in request.channels.items():
        channel = given if isinstance(given, schemas.Channel) else schemas.Channel(path=given)
        field = f"channels.{name}"
        path = resolve(channel.path, field)
        with path_errors(field, channel.path):
            try:
                content_type = content_type_of(path, channel.content_type)
                first = data_files(path)[0]
            except ValueError as exc:
                raise InvalidParameter(f"{field}: {exc}") from None
            if content_type not in algorithm.content_types:
                raise InvalidParameter(f"{field}: {content_type} is not one of {', '.join(algorithm.content_types)}")
            if channel.label is not None:
                header = _header(first, content_type)
                if header is not None and channel.label not in header:
                    raise InvalidParameter(f"{field}: {first.name} has no column {channel.label!r} (the label); "
                                           f"its columns: {', '.join(header[:20])}")
        channels[name] = {"path": channel.path, "abspath": str(path), "content_type": content_type,
                          "label": channel.label}
    return {"algorithm": algorithm.name, "hyperparameters": hp.model_dump(by_alias=True, exclude_unset=True),
            "channels": channels, "register_as": request.register_as}


def resolve_channel(root: Path, given: str, field: str) -> Path:
    """A channel's file or folder under `root` (InvalidParameter outside it, NotFound if missing)."""
    if "\0" in given:  # the file system would raise ValueError: a 500, not the client's 400
        raise InvalidParameter(f"{field}: invalid path {given!r}")
    with path_errors(field, given):
        path = (root / given).resolve()
        if path != root and root not in path.parents:
            raise InvalidParameter(f"{field}: {given!r} is outside the server root")
        if not path.exists():
            raise NotFound(f"{field}: no file or folder {given!r} under the server root")
    return path


def channel_environment(channels: dict[str, Any], resolve: Callable[[str, str], Path]) -> dict[str, str]:
    """A script job's channels as SageMaker passes them: SM_CHANNEL_<NAME> = the local path."""
    env = {}
    for name, given in channels.items():
        path = given.path if isinstance(given, schemas.Channel) else given
        if not name.replace("_", "").replace("-", "").isalnum():
            raise InvalidParameter(f"channels.{name}: a channel name is letters, digits, _ and -")
        env[f"SM_CHANNEL_{name.upper().replace('-', '_')}"] = str(resolve(path, f"channels.{name}"))
    return env


def write_spec(job_dir: Path, spec: dict[str, Any]) -> Path:
    """The spec in the job's snapshot (what the training process reads); returns the snapshot folder."""
    snapshot = job_dir / INPUT_DIR
    snapshot.mkdir(mode=0o700)
    (snapshot / TRAINING_SPEC).write_text(json.dumps(spec, indent=1))
    return snapshot


def training_info(job_dir: Path) -> schemas.TrainingInfo | None:
    """An algorithm job's spec, and its result once the training wrote one."""
    try:
        spec = json.loads((job_dir / INPUT_DIR / TRAINING_SPEC).read_text())
    except (OSError, ValueError):
        return None
    result = None
    try:
        raw = json.loads((job_dir / OUTPUT_DIR / TRAINING_RESULT).read_text())
        result = schemas.TrainingResult(model_uri=raw.get("model_uri"), registered_version=raw.get("registered_version"),
                                        metrics=raw.get("metrics") or {}, problem_type=raw.get("problem_type"))
    except (OSError, ValueError):
        pass
    channels = {name: schemas.Channel(path=c["path"], content_type=c.get("content_type"), label=c.get("label"))
                for name, c in spec.get("channels", {}).items()}
    return schemas.TrainingInfo(algorithm=spec["algorithm"], hyperparameters=spec.get("hyperparameters") or {},
                                channels=channels, register_as=spec.get("register_as"), result=result)
