"""linear-learner: linear, logistic or multinomial regression (scikit-learn), features standardized."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import fit_supervised, supervised_metrics


class LinearLearnerHyperparameters(Hyperparameters):
    predictor_type: Literal["auto", "binary", "multiclass", "regression"] = Field(
        default="auto", description="the problem; auto: from the label")
    l2: float = Field(default=1.0, gt=0, le=1e6, description="L2 regularization strength (larger: simpler model)",
                      json_schema_extra=tunable(1e-4, 100.0, "Logarithmic"))
    max_iter: int = Field(default=1000, ge=10, le=100_000, description="solver iterations")


class LinearLearner(BaseAlgorithm):
    name = "linear-learner"
    title = "Linear learner"
    use_case = "predictive"
    problem_types = ("binary", "multiclass", "regression")
    description = ("Logistic (binary, multinomial) or ridge regression on standardized numeric and one-hot "
                   "categorical features: fast, explainable, a strong baseline.")
    Hyperparameters = LinearLearnerHyperparameters
    metrics = supervised_metrics()

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.linear_model import LogisticRegression, Ridge

        def estimator(kind: str) -> Any:
            if kind == "regression":
                return Ridge(alpha=hp.l2, max_iter=hp.max_iter)
            return LogisticRegression(C=1.0 / hp.l2, max_iter=hp.max_iter)

        model, metrics, kind = fit_supervised(estimator, data, hp.predictor_type, True, log_metric)
        return Fitted(model, metrics, kind)
