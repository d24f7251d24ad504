"""isolation-forest: anomaly scores (scikit-learn's isolation forest), thresholded by contamination."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field
from sklearn.base import BaseEstimator

from ..schemas.algorithms import MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import preprocessor


class IsolationForestHyperparameters(Hyperparameters):
    num_trees: int = Field(default=200, ge=10, le=5000, json_schema_extra=tunable(100, 1000))
    max_samples: int = Field(default=256, ge=8, le=100_000, description="rows per tree",
                             json_schema_extra=tunable(64, 4096, "Logarithmic"))
    contamination: float = Field(default=0.05, gt=0, lt=0.5,
                                 description="expected share of anomalies: sets the threshold of `is_anomaly`")
    seed: int = Field(default=0, ge=0)


class AnomalyScorer(BaseEstimator):
    """predict -> one anomaly score per row (higher: more anomalous), like Random Cut Forest's."""

    def __init__(self, forest: Any = None, threshold: float = 0.0):
        self.forest = forest
        self.threshold = threshold

    def fit(self, x: Any, y: Any = None) -> AnomalyScorer:
        self.forest.fit(x)
        self.threshold_ = float(np.quantile(self.predict(x), 1 - self.forest.contamination))
        return self

    def predict(self, x: Any) -> Any:
        return -self.forest.score_samples(x)


class IsolationForest(BaseAlgorithm):
    name = "isolation-forest"
    title = "Isolation forest (anomaly detection)"
    use_case = "anomaly"
    problem_types = ("anomaly",)
    description = ("Scores how isolated each row is among random trees (the idea behind SageMaker's Random Cut "
                   "Forest): higher is more anomalous. Unsupervised; a label (1 = anomaly) in a channel is used "
                   "only to report ROC AUC.")
    Hyperparameters = IsolationForestHyperparameters
    metrics = tuple(MetricSpec(name=f"{c}:roc_auc", direction="Maximize") for c in ("train", "validation", "test"))
    inference = {"request": "the training data's feature columns, in MLflow's scoring formats",
                 "response": '{"predictions": [score, ...]}: higher is more anomalous; the threshold of the '
                             "contamination share is the `anomaly_threshold` metric"}
    needs_label = False

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.ensemble import IsolationForest as Forest
        from sklearn.metrics import roc_auc_score
        from sklearn.pipeline import Pipeline

        train = data["train"]
        forest = Forest(n_estimators=hp.num_trees, max_samples=min(hp.max_samples, len(train.x)),
                        contamination=hp.contamination, random_state=hp.seed, n_jobs=-1)
        pipeline = Pipeline([("prepare", preprocessor(train.x, scale=False)), ("model", AnomalyScorer(forest))])
        pipeline.fit(train.x)
        metrics = {"anomaly_threshold": pipeline.named_steps["model"].threshold_}
        log_metric("anomaly_threshold", metrics["anomaly_threshold"], 0)
        for channel, dataset in data.items():
            if dataset.y is not None and dataset.y.nunique() == 2:
                auc = float(roc_auc_score(dataset.y.astype(int), pipeline.predict(dataset.x)))
                metrics[f"{channel}:roc_auc"] = auc
                log_metric(f"{channel}:roc_auc", auc, 0)
        return Fitted(pipeline, metrics, "anomaly")
