"""pca: principal component analysis (scikit-learn); the model projects rows onto the components."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sklearn.base import BaseEstimator

from ..schemas.algorithms import MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric
from .tabular import preprocessor


class PCAHyperparameters(Hyperparameters):
    num_components: int = Field(default=2, ge=1, le=1000, description="components to keep")
    seed: int = Field(default=0, ge=0)


class Projection(BaseEstimator):
    """predict -> the rows projected on the components (a deployed model answers them)."""

    def __init__(self, pca: Any = None):
        self.pca = pca

    def fit(self, x: Any, y: Any = None) -> Projection:
        self.pca.fit(x)
        self.explained_ = self.pca.explained_variance_ratio_
        return self

    def predict(self, x: Any) -> Any:
        return self.pca.transform(x)


class PCA(BaseAlgorithm):
    name = "pca"
    title = "Principal component analysis"
    use_case = "unsupervised"
    problem_types = ("dimensionality-reduction",)
    description = "Projects standardized rows onto the directions of largest variance."
    Hyperparameters = PCAHyperparameters
    metrics = (MetricSpec(name="train:explained_variance", direction="Maximize"),)
    inference = {"request": "the training data's feature columns",
                 "response": '{"predictions": [[component_1, ...], ...]}'}
    needs_label = False

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.decomposition import PCA as Components
        from sklearn.pipeline import Pipeline

        train = data["train"]
        prepare = preprocessor(train.x, scale=True).fit(train.x)
        width = prepare.transform(train.x[:1]).shape[1]
        if hp.num_components > min(width, len(train.x)):
            raise ValueError(f"hyperparameters.num_components: {hp.num_components} components, but the data has "
                             f"{width} feature columns and {len(train.x)} rows")
        pipeline = Pipeline([("prepare", prepare),
                             ("model", Projection(Components(n_components=hp.num_components, random_state=hp.seed)))])
        pipeline.fit(train.x)
        explained = pipeline.named_steps["model"].explained_
        for step, value in enumerate(explained.cumsum()):
            log_metric("train:explained_variance", float(value), step)
        return Fitted(pipeline, {"train:explained_variance": float(explained.sum())}, "dimensionality-reduction")
