"""The training process of an algorithm job: read the channels, fit, log to MLflow, register.

    python -m studio_ext.algorithms.train --spec <training.json>

Started by the algorithm launcher inside the job's process tree (its CPU set, memory limit, stop
and timeout apply), with the job's MLflow run in MLFLOW_RUN_ID. It logs the hyperparameters and
every metric to that run, the fitted model as an MLflow model (`model`, with its signature and an
input example, so an endpoint checks requests against the training columns), registers it when
asked, and writes what it produced to `$STUDIO_OUTPUT_DIR/training_result.json`. Bad data fails
the job with the file and column named (exit code 2).

In a distributed job (`instance_count > 1`) every rank of the group runs this (RANK, WORLD_SIZE
from runner/group.py): all of them read the channels and train together, rank 0 alone logs
metrics and the model and writes the result.
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
from .data import channel_label, read_table, split_label

EXIT_BAD_DATA = 2


def load_channels(channels: dict[str, dict[str, Any]], needs_label: bool,
                  default_label: str | None = None) -> dict[str, Dataset]:
    data = {}
    for name, channel in channels.items():
        frame = read_table(Path(channel["abspath"]), channel.get("content_type"))
        label, needs = channel_label(name, channel.get("label"), frame.columns, needs_label, default_label)
        data[name] = split_label(frame, label, f"channel {name!r} ({channel['path']})", needs)
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
    rank, world = int(os.environ.get("RANK", "0") or 0), int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world > 1 and not algorithm.supports_distributed:
        print(f"[train] {algorithm.name} trains on one instance; instance_count must be 1", file=sys.stderr)
        return EXIT_BAD_DATA
    started = time.monotonic()
    try:
        data = load_channels(spec["channels"], algorithm.needs_label, algorithm.default_label)
    except ValueError as exc:
        print(f"[train] {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_DATA

    import mlflow

    run_id = os.environ.get("MLFLOW_RUN_ID") if rank == 0 else None  # rank 0 logs for the group
    metrics = MetricBuffer(mlflow.MlflowClient(), run_id)
    print(f"[train] fitting {algorithm.name} with {hp.model_dump(by_alias=True)}"
          + (f" as rank {rank} of {world}" if world > 1 else ""), flush=True)
    try:
        fitted = algorithm().fit(hp, data, metrics.log)
    except ValueError as exc:
        print(f"[train] {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_DATA
    finally:
        metrics.flush()
        if world > 1:
            from .torch_support import group

            group().close()
    if rank != 0:
        return 0
    seconds = time.monotonic() - started
    for name, value in sorted(fitted.metrics.items()):
        print(f"[train] {name} = {value:.6g}", flush=True)
    result = log_model(fitted, data["train"], spec.get("register_as"), run_id)
    result.update(metrics=fitted.metrics, problem_type=fitted.problem_type, fit_seconds=round(seconds, 3))
    out = Path(os.environ.get("STUDIO_OUTPUT_DIR", "."))
    (out / TRAINING_RESULT).write_text(json.dumps(result, indent=1))
    print(f"[train] model {result['model_uri']} ({seconds:.1f} s)", flush=True)
    return 0


class MetricBuffer:
    """Metrics written to the run in batches: one `log_metric` per boosting round would be a store
    transaction each (600 rounds: seconds of SQLite writes); a batch every FLUSH_S keeps the run's
    charts live all the same."""

    FLUSH_S = 2.0
    BATCH = 1000  # MLflow's log_batch limit for metrics

    def __init__(self, client: Any, run_id: str | None):
        self.client, self.run_id = client, run_id
        self.pending: list[Any] = []
        self.flushed_at = time.monotonic()

    def log(self, name: str, value: float, step: int) -> None:
        from mlflow.entities import Metric

        if self.run_id:
            self.pending.append(Metric(name, value, int(time.time() * 1000), step))
            if len(self.pending) >= self.BATCH or time.monotonic() - self.flushed_at >= self.FLUSH_S:
                self.flush()

    def flush(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:self.BATCH], self.pending[self.BATCH:]
            self.client.log_batch(self.run_id, metrics=batch)
        self.flushed_at = time.monotonic()


def log_model(fitted: Any, train: Dataset, register_as: str | None, run_id: str | None) -> dict[str, Any]:
    """Log the fitted pipeline to the job's run as `model` (and register it): its model URI."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    example = train.x.head(5)
    signature = fitted.signature or infer_signature(example, fitted.model.predict(example),
                                                    params=fitted.params or None)
    with mlflow.start_run(run_id=run_id) if run_id else mlflow.start_run():
        if fitted.params:
            import mlflow.pyfunc

            from .pyfunc_model import WithParams

            info = mlflow.pyfunc.log_model(name="model", python_model=WithParams(fitted.model), signature=signature,
                                           input_example=example, pip_requirements=[],
                                           registered_model_name=register_as)
        else:
            # cloudpickle: the pipelines hold the studio's small wrappers (label encoding, anomaly
            # scores), which skops' type allow-list does not know.
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
