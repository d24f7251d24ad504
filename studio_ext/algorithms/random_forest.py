"""random-forest: a random forest (scikit-learn) for classification or regression."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import fit_supervised, supervised_metrics


class RandomForestHyperparameters(Hyperparameters):
    objective: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    num_trees: int = Field(default=200, ge=1, le=5000, description="trees in the forest",
                           json_schema_extra=tunable(50, 1000))
    max_depth: int | None = Field(default=None, ge=1, le=100, description="None: grow until leaves are pure",
                                  json_schema_extra=tunable(3, 30))
    min_samples_leaf: int = Field(default=1, ge=1, le=10_000, json_schema_extra=tunable(1, 50))
    max_features: float = Field(default=1.0, gt=0, le=1.0, description="share of features tried at each split",
                                json_schema_extra=tunable(0.1, 1.0))
    seed: int = Field(default=0, ge=0)


class RandomForest(BaseAlgorithm):
    name = "random-forest"
    title = "Random forest"
    use_case = "predictive"
    problem_types = ("binary", "multiclass", "regression")
    description = "Bagged decision trees: robust to scale and outliers, little tuning needed."
    Hyperparameters = RandomForestHyperparameters
    metrics = supervised_metrics()

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        def estimator(kind: str) -> Any:
            cls = RandomForestRegressor if kind == "regression" else RandomForestClassifier
            return cls(n_estimators=hp.num_trees, max_depth=hp.max_depth, min_samples_leaf=hp.min_samples_leaf,
                       max_features=hp.max_features, random_state=hp.seed, n_jobs=-1)

        model, metrics, kind = fit_supervised(estimator, data, hp.objective, False, log_metric)
        return Fitted(model, metrics, kind)
