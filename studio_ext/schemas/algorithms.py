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


class PreviewChannelRequest(_Model):
    """POST /studio/api/algorithms/{name}/channel-preview: a channel to read as the training would."""

    path: InputPath = Field(description="a file or a folder, relative to the server root")
    channel: str = Field(default="train", min_length=1, max_length=64,
                         description="which channel of the algorithm (only `train` must hold the label)")
    label: str | None = Field(default=None, max_length=256,
                              description="the label column (default: the algorithm's rule, as in training)")
    content_type: str | None = Field(default=None, max_length=128, description="default: from the file extension")
    rows: int = Field(default=5, ge=1, le=50, description="how many of the first rows to show")


PreviewCell = str | int | float | bool | None


class ChannelPreview(_Model):
    """The first rows of a channel as the algorithm's training reads them, and the label it would
    take. Only those rows are read (a CSV's first lines, a Parquet file's first batch, an .npz's
    first images); what is cheap to know of the rest comes along."""

    path: str
    channel: str
    content_type: str
    columns: list[str] = Field(description="the columns shown: the first ones (and the label's); names as text")
    columns_total: int = Field(description="all the columns of the rows read (an image: its pixels, and label)")
    rows: list[list[PreviewCell]] = Field(description="the first rows, one value per shown column; empty values "
                                                      "are null, long texts cut")
    rows_read: int
    rows_total: int | None = Field(default=None, description="all the rows, where cheap to tell (Parquet, .npz, "
                                                             "images); null for CSV and JSON Lines")
    label: str | None = Field(default=None, description="the column training takes as the label; null: none "
                                                        "(an unsupervised algorithm on a table without one)")
    files: int = Field(description="data files in the channel (a folder may hold several)")
    image_shape: list[int] | None = Field(default=None, description="images: (channels, height, width)")
    classes: dict[str, int] | None = Field(default=None, description="images: the count of each label (null "
                                                                     "beyond 100 distinct values)")
