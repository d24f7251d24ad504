"""knn: k-nearest neighbours (scikit-learn) for classification or regression, features standardized."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import fit_supervised, supervised_metrics


class KnnHyperparameters(Hyperparameters):
    predictor_type: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    k: int = Field(default=5, ge=1, le=1000, description="neighbours that vote", json_schema_extra=tunable(1, 100))
    weights: Literal["uniform", "distance"] = Field(default="uniform",
                                                    description="distance: nearer neighbours count more")


class Knn(BaseAlgorithm):
    name = "knn"
    title = "k-nearest neighbours"
    use_case = "predictive"
    problem_types = ("binary", "multiclass", "regression")
    description = "Predicts from the k most similar training rows (standardized features)."
    Hyperparameters = KnnHyperparameters
    metrics = supervised_metrics()

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        rows = len(data["train"].x)
        if hp.k > rows:
            raise ValueError(f"hyperparameters.k: {hp.k} neighbours, but the train channel has {rows} rows")

        def estimator(kind: str) -> Any:
            cls = KNeighborsRegressor if kind == "regression" else KNeighborsClassifier
            return cls(n_neighbors=hp.k, weights=hp.weights)

        model, metrics, kind = fit_supervised(estimator, data, hp.predictor_type, True, log_metric)
        return Fitted(model, metrics, kind)
