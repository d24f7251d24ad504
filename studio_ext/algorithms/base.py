"""The built-in algorithm contract: what an algorithm declares (its catalog entry) and how it trains.

An algorithm is one module of this package with one BaseAlgorithm subclass that sets `name`;
the package finds it (algorithms/__init__.py). Its catalog entry (GET /studio/api/algorithms) is
made from what it declares: the `Hyperparameters` pydantic model (its JSON Schema is the form and
the validation: a bad value is a 400 naming `hyperparameters.<field>` before anything runs), the
channels, the metrics and the inference formats. Training runs in the job's own process
(`python -m studio_ext.algorithms.train`, started by the algorithm launcher under the job's
CPU set and memory limit); `fit` gets the channels already read and returns the fitted model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ..schemas.algorithms import AlgorithmSpec, ChannelSpec, MetricSpec

TABULAR_TYPES = ["text/csv", "application/x-parquet", "application/jsonlines"]
TABULAR_INFERENCE = {
    "request": "MLflow's scoring formats (dataframe_split, dataframe_records, instances, inputs) or CSV rows, "
               "with the training data's feature columns",
    "response": '{"predictions": [...]}: a label (classification), a value (regression), a cluster, a score',
}
STANDARD_CHANNELS = (ChannelSpec(name="train", required=True, description="the data to fit"),
                     ChannelSpec(name="validation", description="scored each round (early stopping) and at the end"),
                     ChannelSpec(name="test", description="scored once at the end"))


class Hyperparameters(BaseModel):
    """Base of every algorithm's hyperparameters: unknown names are refused (a typo is a 400)."""

    model_config = ConfigDict(extra="forbid")


def tunable(low: float, high: float, scale: str = "Linear") -> dict[str, Any]:
    """`json_schema_extra` for a field worth tuning, with its recommended range."""
    return {"x-tunable": True, "x-tuning-range": {"min": low, "max": high, "scaling": scale}}


@dataclass
class Dataset:
    """One channel read into memory: features (a DataFrame) and the label (None without one)."""

    x: Any
    y: Any | None
    source: str  # the file or folder, for messages


@dataclass
class Fitted:
    """What `fit` returns: the model to log (a scikit-learn estimator, pipeline included), the final
    metrics, and how it was trained (problem type).

    A model whose `predict(x, **params)` takes inference parameters (the recommender's `top_k`)
    names them with their defaults in `params`, and may give its own `signature` (optional
    columns); it is then logged as an MLflow pyfunc model whose signature declares the params, so
    a request's `"params": {...}` reaches it (MLflow's scoring protocol)."""

    model: Any
    metrics: dict[str, float] = field(default_factory=dict)
    problem_type: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    signature: Any | None = None


LogMetric = Callable[[str, float, int], None]  # (name, value, step) -> logged to the job's run


class BaseAlgorithm(ABC):
    """One built-in algorithm. Subclasses set the class attributes and implement `fit`."""

    name: ClassVar[str]
    title: ClassVar[str]
    use_case: ClassVar[str]
    problem_types: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    Hyperparameters: ClassVar[type[Hyperparameters]]
    channels: ClassVar[tuple[ChannelSpec, ...]] = STANDARD_CHANNELS
    content_types: ClassVar[list[str]] = TABULAR_TYPES
    metrics: ClassVar[tuple[MetricSpec, ...]] = ()
    inference: ClassVar[dict[str, Any]] = TABULAR_INFERENCE
    needs_label: ClassVar[bool] = True  # supervised: the train channel must hold the label
    default_label: ClassVar[str | None] = None  # the label column when the channel names none (if present)
    supports_gpu: ClassVar[bool] = False
    supports_distributed: ClassVar[bool] = False

    @classmethod
    def spec(cls) -> AlgorithmSpec:
        return AlgorithmSpec(
            name=cls.name, title=cls.title, use_case=cls.use_case, problem_types=list(cls.problem_types),
            description=cls.description, hyperparameters=cls.Hyperparameters.model_json_schema(),
            channels=list(cls.channels), content_types=list(cls.content_types), metrics=list(cls.metrics),
            inference=dict(cls.inference), supports_gpu=cls.supports_gpu,
            supports_distributed=cls.supports_distributed)

    @abstractmethod
    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        """Train on `data` (channel name -> Dataset; `train` always there) with the validated
        hyperparameters `hp` (an instance of `Hyperparameters`), logging metrics as it goes
        (`log_metric("validation:rmse", value, step)`), and return the fitted model. Raise
        ValueError with a sentence a person can act on for data the algorithm cannot use."""
