"""Hyperparameter tuning jobs: many trial jobs over a search space, the best one kept (SageMaker's
Automatic Model Tuning, searched with Optuna inside the agent)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from ._base import _Model
from .jobs import CreateJob, JobStatus

MAX_RANGES = 30  # SageMaker's limit on tunable hyperparameters
MAX_CATEGORIES = 30
MAX_PARENTS = 5  # SageMaker's limit on warm-start parents
MAX_GRID_POINTS = 10_000


class RangeType(StrEnum):
    INTEGER = "Integer"
    CONTINUOUS = "Continuous"
    CATEGORICAL = "Categorical"


class Scaling(StrEnum):
    AUTO = "Auto"  # linear (SageMaker's Auto picks one; the studio reads it as Linear)
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"


class Strategy(StrEnum):
    BAYESIAN = "Bayesian"  # Optuna's TPE
    RANDOM = "Random"
    GRID = "Grid"
    HYPERBAND = "Hyperband"  # TPE proposals, Hyperband (successive halving) stops the weak early


class ObjectiveType(StrEnum):
    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


class Aggregation(StrEnum):
    LAST = "Last"
    BEST = "Best"


class EarlyStopping(StrEnum):
    OFF = "Off"
    AUTO = "Auto"  # Optuna's median pruner: a trial below the median of the others at a step stops


class WarmStartType(StrEnum):
    IDENTICAL = "IdenticalDataAndAlgorithm"
    TRANSFER = "TransferLearning"


class TrialStatus(StrEnum):
    RUNNING = "Running"  # its job is queued or running
    COMPLETED = "Completed"
    FAILED = "Failed"
    PRUNED = "Pruned"  # stopped early: worse than the others at the same step
    STOPPED = "Stopped"  # stopped with the tuning job (or by its time limit)


Category = str | int | float | bool


class ParameterRange(_Model):
    """One tunable hyperparameter: `Integer` and `Continuous` ranges take `min` and `max` (and a
    `scaling`), `Categorical` takes `values`."""

    type: RangeType
    min: float | None = Field(default=None, description="Integer and Continuous: the lowest value")
    max: float | None = Field(default=None, description="Integer and Continuous: the highest value")
    scaling: Scaling = Field(default=Scaling.AUTO, description="Logarithmic searches min..max on a log scale "
                                                               "(min > 0)")
    values: list[Category] | None = Field(default=None, min_length=1, max_length=MAX_CATEGORIES,
                                          description="Categorical: the values to choose from")

    @model_validator(mode="after")
    def _consistent(self) -> ParameterRange:
        if self.type == RangeType.CATEGORICAL:
            if not self.values:
                raise ValueError("values: a Categorical range needs at least one value")
            if self.min is not None or self.max is not None:
                raise ValueError("min/max: a Categorical range takes `values`, not min and max")
            if len({repr(v) for v in self.values}) != len(self.values):
                raise ValueError("values: each value once")
            return self
        if self.values is not None:
            raise ValueError(f"values: only for a Categorical range; an {self.type.value} range takes min and max")
        if self.min is None or self.max is None:
            raise ValueError(f"min, max: an {self.type.value} range needs both")
        if self.min >= self.max:
            raise ValueError(f"min must be below max (got min {self.min:g}, max {self.max:g})")
        if self.type == RangeType.INTEGER and (self.min != int(self.min) or self.max != int(self.max)):
            raise ValueError("min, max: an Integer range has whole-number bounds")
        if self.scaling == Scaling.LOGARITHMIC and self.min <= 0:
            raise ValueError(f"min: a Logarithmic range needs min > 0 (got {self.min:g})")
        return self


class Objective(_Model):
    """What a trial is judged by: a metric of its MLflow run."""

    metric: str = Field(min_length=1, max_length=250,
                        description="an algorithm job: one of the algorithm's metrics (e.g. 'validation:auc'); a "
                                    "script or notebook job: an MLflow metric its run logs")
    type: ObjectiveType | None = Field(default=None, description="default: the algorithm's direction for the "
                                                                 "metric; required for a script or notebook job")
    aggregation: Aggregation = Field(default=Aggregation.LAST,
                                     description="a script or notebook job: the metric's last value, or the best "
                                                 "of its series (an algorithm job reports its final value)")


class WarmStart(_Model):
    """Start from what earlier tuning jobs learned: their trials are replayed into the new search."""

    parents: list[str] = Field(min_length=1, max_length=MAX_PARENTS, description="tuning job ids")
    type: WarmStartType = WarmStartType.IDENTICAL


class CreateTuningJob(_Model):
    """POST /studio/api/tuning-jobs."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    objective: Objective
    parameter_ranges: dict[str, ParameterRange] = Field(min_length=1, max_length=MAX_RANGES)
    strategy: Strategy = Strategy.BAYESIAN
    max_trials: int | None = Field(default=None, ge=1, le=500,
                                   description="default 10; Grid: the number of grid points (and at most that)")
    max_parallel_trials: int = Field(default=1, ge=1, le=16)
    max_runtime_seconds: int | None = Field(default=None, ge=10, le=30 * 24 * 3600,
                                            description="then running trials stop and no new one starts")
    early_stopping: EarlyStopping = EarlyStopping.OFF
    warm_start: WarmStart | None = None
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="makes the proposals repeatable")
    training_job: CreateJob = Field(description="the job every trial runs (an algorithm, script or notebook "
                                                "job), with the trial's values for the ranges: an algorithm's "
                                                "`hyperparameters`, a script's or notebook's `parameters`")

    @model_validator(mode="after")
    def _template(self) -> CreateTuningJob:
        if self.training_job.idempotency_token is not None:
            raise ValueError("training_job.idempotency_token: each trial gets its own")
        return self


class TuningTrial(_Model):
    trial_number: int = Field(description="0, 1, ... in the order the trials started")
    status: TrialStatus
    status_reason: str | None = None
    parameters: dict[str, Any]
    objective: float | None = Field(default=None, description="the objective metric's value (a pruned trial: its "
                                                              "last reported value)")
    steps: int = Field(default=0, description="intermediate values reported (what early stopping reads)")
    job_id: str | None = None
    job_status: JobStatus | None = None
    mlflow_run_id: str | None = None
    model_uri: str | None = Field(default=None, description="an algorithm job's trained model")
    created_at: datetime
    ended_at: datetime | None = None


class TrialCounts(_Model):
    completed: int = 0
    failed: int = 0
    pruned: int = 0
    stopped: int = 0
    running: int = 0
    total: int = 0


class DescribeTuningJob(_Model):
    tuning_job_id: str
    name: str
    status: JobStatus = Field(description="Queued -> InProgress -> Completed | Failed; Stopping -> Stopped")
    status_reason: str | None = None
    objective: Objective
    parameter_ranges: dict[str, ParameterRange]
    strategy: Strategy
    max_trials: int
    max_parallel_trials: int
    max_runtime_seconds: int | None = None
    early_stopping: EarlyStopping
    warm_start: WarmStart | None = None
    seed: int
    training_job: CreateJob
    counts: TrialCounts
    best_trial: TuningTrial | None = None
    parameter_importances: dict[str, float] = Field(default_factory=dict,
                                                    description="Optuna's fANOVA importance of each range, once "
                                                                "two trials completed")
    warm_start_trials: int = Field(default=0, description="the parents' trials replayed into the search")
    experiment_name: str
    mlflow_parent_run_id: str | None = Field(default=None, description="the trials' runs are its children")
    trials: list[TuningTrial] | None = Field(default=None, description="GET .../{id} only, sorted as asked")
    created_by: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None


class DescribeTuningJobQuery(_Model):
    """GET /studio/api/tuning-jobs/{id}: how to sort its trials."""

    sort_by: str = Field(default="trial_number", pattern=r"^-?(trial_number|objective|status|created_at)$",
                         description="trial_number|objective|status|created_at, '-' for descending; `objective` "
                                     "puts the best first whatever the direction")


class ListTuningJobsResponse(_Model):
    items: list[DescribeTuningJob]
    next_token: str | None = None

