"""The training process of an algorithm job: read the channels, fit, log to MLflow, register.

    python -m studio_ext.algorithms.train --spec <training.json>

Started by the algorithm launcher inside the job's process tree (its CPU set, memory limit, stop
and timeout apply), with the job's MLflow run in MLFLOW_RUN_ID. It logs the hyperparameters and
every metric to that run, the fitted model as an MLflow model (`model`, with its signature and an
input example, so an endpoint checks requests against the training columns), registers it when
asked, and writes what it produced to `$STUDIO_OUTPUT_DIR/training_result.json`. Bad data fails
the job with the file and column named (exit code 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..paths import TRAINING_RESULT
from . import get
from .base import Dataset
from .data import read_table, split_label

EXIT_BAD_DATA = 2


def load_channels(channels: dict[str, dict[str, Any]], needs_label: bool) -> dict[str, Dataset]:
    data = {}
    for name, channel in channels.items():
        frame = read_table(Path(channel["abspath"]), channel.get("content_type"))
        # Only `train` must hold the label of a supervised algorithm; the others are scored when they do.
        data[name] = split_label(frame, channel.get("label"), f"channel {name!r} ({channel['path']})",
                                 needs_label and (name == "train" or channel.get("label") is not None or
                                                  "label" in frame.columns))
        print(f"[train] channel {name}: {len(frame)} rows, {data[name].x.shape[1]} features from {channel['path']}",
              flush=True)
    train_columns = list(data["train"].x.columns)
    for name, dataset in data.items():
        if list(dataset.x.columns) != train_columns and dataset.y is not None:
            missing = [c for c in train_columns if c not in dataset.x.columns]
            if missing:
                raise ValueError(f"channel {name!r}: missing the train channel's columns {', '.join(missing[:5])}")
            dataset.x = dataset.x[train_columns]
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio_ext.algorithms.train")
    parser.add_argument("--spec", required=True, help="the job's training spec (JSON)")
    args = parser.parse_args(argv)
    spec = json.loads(Path(args.spec).read_text())
    algorithm = get(spec["algorithm"])
    if algorithm is None:
        print(f"[train] no algorithm {spec['algorithm']!r}", file=sys.stderr)
        return EXIT_BAD_DATA
    hp = algorithm.Hyperparameters.model_validate(spec.get("hyperparameters") or {})
    started = time.monotonic()
    try:
        data = load_channels(spec["channels"], algorithm.needs_label)
    except ValueError as exc:
        print(f"[train] {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_DATA

    import mlflow

    run_id = os.environ.get("MLFLOW_RUN_ID")
    client = mlflow.MlflowClient()

    def log_metric(name: str, value: float, step: int) -> None:
        if run_id:
            client.log_metric(run_id, name, value, step=step)

    print(f"[train] fitting {algorithm.name} with {hp.model_dump(by_alias=True)}", flush=True)
    try:
        fitted = algorithm().fit(hp, data, log_metric)
    except ValueError as exc:
        print(f"[train] {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_DATA
    seconds = time.monotonic() - started
    for name, value in sorted(fitted.metrics.items()):
        print(f"[train] {name} = {value:.6g}", flush=True)
    result = log_model(fitted, data["train"], spec.get("register_as"), run_id)
    result.update(metrics=fitted.metrics, problem_type=fitted.problem_type, fit_seconds=round(seconds, 3))
    out = Path(os.environ.get("STUDIO_OUTPUT_DIR", "."))
    (out / TRAINING_RESULT).write_text(json.dumps(result, indent=1))
    print(f"[train] model {result['model_uri']} ({seconds:.1f} s)", flush=True)
    return 0


def log_model(fitted: Any, train: Dataset, register_as: str | None, run_id: str | None) -> dict[str, Any]:
    """Log the fitted pipeline to the job's run as `model` (and register it): its model URI."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    example = train.x.head(5)
    signature = infer_signature(example, fitted.model.predict(example))
    # cloudpickle: the pipelines hold the studio's small wrappers (label encoding, anomaly
    # scores), which skops' type allow-list does not know.
    with mlflow.start_run(run_id=run_id) if run_id else mlflow.start_run():
        info = mlflow.sklearn.log_model(fitted.model, name="model", signature=signature, input_example=example,
                                        serialization_format="cloudpickle", pip_requirements=[],
                                        registered_model_name=register_as)
        used = mlflow.active_run().info.run_id
    result: dict[str, Any] = {"model_uri": info.model_uri, "run_id": used}
    if register_as and info.registered_model_version is not None:
        result.update(model_uri=f"models:/{register_as}/{info.registered_model_version}",
                      registered_version=str(info.registered_model_version))
    return result


if __name__ == "__main__":
    sys.exit(main())
