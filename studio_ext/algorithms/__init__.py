"""The built-in algorithm catalog: one module per algorithm, one contract (base.py).

ALGORITHMS names every one; `get(name)` and `catalog()` serve the REST
routes, the job service's validation and the training process alike.
"""

from __future__ import annotations

from .base import BaseAlgorithm
from .factorization_machines import FactorizationMachines
from .forecaster import Forecaster
from .image_classifier import ImageClassifier
from .isolation_forest import IsolationForest
from .kmeans import KMeans
from .knn import Knn
from .linear_learner import LinearLearner
from .pca import PCA
from .random_forest import RandomForest
from .text_classifier import TextClassifier
from .word2vec import Word2Vec
from .xgb import XGBoost

ALGORITHMS: dict[str, type[BaseAlgorithm]] = {
    cls.name: cls for cls in (XGBoost, LinearLearner, Knn, RandomForest, ImageClassifier, TextClassifier,
                              Word2Vec, FactorizationMachines, Forecaster, IsolationForest, KMeans, PCA)}


def get(name: str) -> type[BaseAlgorithm] | None:
    return ALGORITHMS.get(name)


def catalog() -> list[type[BaseAlgorithm]]:
    return list(ALGORITHMS.values())
