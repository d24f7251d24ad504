"""kmeans: k-means clustering (scikit-learn) on standardized features."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..schemas.algorithms import MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import preprocessor

SILHOUETTE_SAMPLE = 5000


class KMeansHyperparameters(Hyperparameters):
    k: int = Field(default=8, ge=2, le=1000, description="clusters", json_schema_extra=tunable(2, 50))
    init_runs: int = Field(default=4, ge=1, le=50, description="restarts; the best one is kept")
    seed: int = Field(default=0, ge=0)


class KMeans(BaseAlgorithm):
    name = "kmeans"
    title = "k-means clustering"
    use_case = "unsupervised"
    problem_types = ("clustering",)
    description = "Groups rows into k clusters around centroids (standardized features); predicts a cluster id."
    Hyperparameters = KMeansHyperparameters
    metrics = (MetricSpec(name="train:inertia", direction="Minimize"),
               MetricSpec(name="train:silhouette", direction="Maximize"))
    inference = {"request": "the training data's feature columns", "response": '{"predictions": [cluster, ...]}'}
    needs_label = False

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.cluster import KMeans as Clusters
        from sklearn.metrics import silhouette_score
        from sklearn.pipeline import Pipeline

        train = data["train"]
        if hp.k >= len(train.x):
            raise ValueError(f"hyperparameters.k: {hp.k} clusters need more than {len(train.x)} rows")
        pipeline = Pipeline([("prepare", preprocessor(train.x, scale=True)),
                             ("model", Clusters(n_clusters=hp.k, n_init=hp.init_runs, random_state=hp.seed))])
        labels = pipeline.fit_predict(train.x)
        features = pipeline.named_steps["prepare"].transform(train.x)
        metrics = {"train:inertia": float(pipeline.named_steps["model"].inertia_),
                   "train:silhouette": float(silhouette_score(features, labels, random_state=hp.seed,
                                                              sample_size=min(SILHOUETTE_SAMPLE, len(labels))))}
        for name, value in metrics.items():
            log_metric(name, value, 0)
        return Fitted(pipeline, metrics, "clustering")
