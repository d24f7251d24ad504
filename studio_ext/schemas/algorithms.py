"""Built-in algorithms: the catalog (what each one takes and emits) and the training part of a job."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import _Model
from .limits import InputPath, Parameters


class ChannelSpec(_Model):
    """An input channel of an algorithm (SageMaker's name for a named data input)."""

    name: str = Field(description="train, validation, test")
    required: bool = False
    description: str = ""


class MetricSpec(_Model):
    """A metric the algorithm logs to the job's MLflow run, with the direction that is better
    (what tuning and AutoML read)."""

    name: str = Field(description="e.g. 'validation:roc_auc' (the channel, then the metric)")
    direction: str = Field(description="Maximize or Minimize")
    description: str = ""


class AlgorithmSpec(_Model):
    """GET /studio/api/algorithms/{name}."""

    name: str
    title: str
    use_case: str = Field(description="predictive, image, nlp, recommendation, anomaly, time-series, "
                                      "unsupervised")
    problem_types: list[str]
    description: str
    hyperparameters: dict[str, Any] = Field(description="JSON Schema of the hyperparameters: type, range, default, "
                                                        "enum, description; `x-tunable` and `x-tuning-range` say "
                                                        "which to tune and over what")
    channels: list[ChannelSpec]
    content_types: list[str] = Field(description="what a channel may hold: text/csv (the label as a named `label` "
                                                 "column, else the first column), application/x-parquet, "
                                                 "application/jsonlines; for images, application/x-image (a "
                                                 "folder with one subfolder per class) and application/x-npz "
                                                 "(arrays x and y)")
    metrics: list[MetricSpec]
    inference: dict[str, Any] = Field(description="request and response formats of the deployed model")
    supports_gpu: bool = False
    supports_distributed: bool = Field(default=False, description="instance_count > 1")


class ListAlgorithmsResponse(_Model):
    items: list[AlgorithmSpec]


class Channel(_Model):
    """A channel of a training job: a file or a folder of files under the server root."""

    path: InputPath = Field(description="relative to the server root")
    content_type: str | None = Field(default=None, description="default: from the file extension")
    label: str | None = Field(default=None, max_length=256,
                              description="the label column (default: a column named `label`, else the first)")


class TrainingSpec(_Model):
    """The training part of an algorithm job (POST /studio/api/jobs with kind: algorithm)."""

    algorithm: str = Field(min_length=1, max_length=64)
    hyperparameters: Parameters = Field(default_factory=dict)
    channels: dict[str, InputPath | Channel] = Field(min_length=1, max_length=8,
                                                     description="channel name -> a path, or {path, label, "
                                                                 "content_type}")
    register_as: str | None = Field(default=None, min_length=1, max_length=256,
                                    description="register the trained model under this name (a new version)")


class TrainingResult(_Model):
    """What a finished training job produced (GET /studio/api/jobs/{id} `training.result`)."""

    model_uri: str | None = Field(default=None, description="runs:/<run>/model, or models:/<name>/<version> "
                                                            "when registered")
    registered_version: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict, description="the final value of each metric")
    problem_type: str | None = None
