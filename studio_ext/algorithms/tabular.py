"""What the tabular algorithms share: the preprocessing pipeline, the problem type, the metrics.

Every tabular model is one scikit-learn Pipeline (preprocessing + estimator) over the training
data's own columns, so the deployed model takes the columns the user has (numbers, text
categories, missing values) and the endpoint's signature names them. All-numeric inputs reach the
replica's fast path.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .base import Dataset, LogMetric

CLASSIFICATION_MAX_CLASSES = 100


def problem_type(y: Any, requested: str = "auto") -> str:
    """binary, multiclass or regression: as asked, else from the label: numbers with fractions or
    with more than CLASSIFICATION_MAX_CLASSES values are a regression; 2 values binary; else multiclass."""
    if requested != "auto":
        return requested
    values = y.nunique()
    if y.dtype.kind in "fiu":
        fractional = y.dtype.kind == "f" and not bool((y % 1 == 0).all())
        if fractional or values > CLASSIFICATION_MAX_CLASSES:
            return "regression"
    elif values > CLASSIFICATION_MAX_CLASSES:
        raise ValueError(f"the label has {values} distinct text values: too many classes for a classifier "
                         f"(at most {CLASSIFICATION_MAX_CLASSES})")
    return "binary" if values == 2 else "multiclass"


class NativeCategories(TransformerMixin, BaseEstimator):
    """The table as XGBoost reads it natively: numbers as floats with their missing values kept
    (the trees learn where missing goes), other columns as pandas categoricals over the training
    data's categories (an unseen category is missing). XGBoost's own categorical splits beat
    one-hot encoding on tables such as diamonds (RMSE 544.7 against 563.5 at its defaults, bench
    figures in docs/design/choices.md) and train several times faster."""

    def fit(self, x: Any, y: Any = None) -> NativeCategories:
        self.columns_ = list(x.columns)
        self.numbers_ = [c for c in x.columns if x[c].dtype.kind in "fiub"]
        self.categories_ = {c: sorted({str(v) for v in x[c].dropna()}) for c in x.columns if c not in self.numbers_}
        return self

    def transform(self, x: Any) -> Any:
        import pandas as pd

        if not self.categories_:  # all numbers: an array (a replica's fast path sends one already)
            return np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x, dtype=float)
        frame = x if isinstance(x, pd.DataFrame) else pd.DataFrame(np.asarray(x, dtype=object), columns=self.columns_)
        out = {}
        for column in self.columns_:
            values = frame[column]
            if column in self.numbers_:
                out[column] = pd.to_numeric(values, errors="coerce").astype(float)
            else:
                text = values.where(values.isna(), values.astype(str))
                out[column] = pd.Categorical(text, categories=self.categories_[column])
        return pd.DataFrame(out, index=frame.index)


def preprocessor(x: Any, scale: bool) -> Any:
    """Numbers: median-imputed (and standardized when the estimator needs it); other columns:
    most-frequent-imputed and one-hot encoded (unknown categories at scoring time are ignored)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    # Columns by position, not name: a replica's fast path hands the model a numpy array in the
    # signature's (= the training data's) column order.
    numbers = [i for i, c in enumerate(x.columns) if x[c].dtype.kind in "fiub"]
    others = [i for i in range(len(x.columns)) if i not in numbers]
    parts = []
    if numbers:
        steps = [SimpleImputer(strategy="median", keep_empty_features=True)]
        if scale:
            steps.append(StandardScaler())
        parts.append(("numbers", make_pipeline(*steps), numbers))
    if others:
        parts.append(("categories", make_pipeline(
            SimpleImputer(strategy="most_frequent", keep_empty_features=True),
            OneHotEncoder(handle_unknown="ignore", min_frequency=5, max_categories=50, sparse_output=False)),
            others))
    return ColumnTransformer(parts)


def score(model: Any, data: Dataset, kind: str) -> dict[str, float]:
    """The metrics of a fitted pipeline on a labelled channel."""
    from sklearn import metrics as m

    predicted = model.predict(data.x)
    if kind == "regression":
        y = np.asarray(data.y, dtype=float)
        return {"rmse": float(math.sqrt(m.mean_squared_error(y, predicted))),
                "mae": float(m.mean_absolute_error(y, predicted)), "r2": float(m.r2_score(y, predicted))}
    out = {"accuracy": float(m.accuracy_score(data.y, predicted)),
           "f1": float(m.f1_score(data.y, predicted, average="binary" if kind == "binary" else "macro",
                                  pos_label=_positive(model) if kind == "binary" else 1))}
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(data.x)
        classes = list(model.classes_)
        try:
            out["log_loss"] = float(m.log_loss(data.y, proba, labels=classes))
            if kind == "binary":
                out["roc_auc"] = float(m.roc_auc_score(data.y == classes[1], proba[:, 1]))
            else:
                out["roc_auc"] = float(m.roc_auc_score(data.y, proba, multi_class="ovr", labels=classes))
        except ValueError:  # a channel holding one class only: those metrics are undefined
            pass
    return out


def fit_supervised(make_estimator: Any, data: dict[str, Dataset], requested_problem: str, scale: bool,
                   log_metric: LogMetric) -> tuple[Any, dict[str, float], str]:
    """Fit preprocessing + `make_estimator(problem_type)` on `train`, score every labelled channel:
    (pipeline, final metrics, problem type)."""
    from sklearn.pipeline import Pipeline

    train = data["train"]
    kind = problem_type(train.y, requested_problem)
    pipeline = Pipeline([("prepare", preprocessor(train.x, scale)), ("model", make_estimator(kind))])
    pipeline.fit(train.x, train.y if kind != "regression" else train.y.astype(float))
    return pipeline, score_channels(pipeline, data, kind, log_metric), kind


def _positive(model: Any) -> Any:
    return list(model.classes_)[1]


def score_channels(model: Any, data: dict[str, Dataset], kind: str, log_metric: LogMetric,
                   step: int = 0) -> dict[str, float]:
    """Score every labelled channel and log `<channel>:<metric>` at `step` (after any per-round
    points the algorithm logged)."""
    final: dict[str, float] = {}
    for channel, dataset in data.items():
        if dataset.y is None:
            continue
        for name, value in score(model, dataset, kind).items():
            final[f"{channel}:{name}"] = value
            log_metric(f"{channel}:{name}", value, step)
    return final


def classification_metrics(channel: str) -> list:
    from ..schemas.algorithms import MetricSpec

    return [MetricSpec(name=f"{channel}:accuracy", direction="Maximize"),
            MetricSpec(name=f"{channel}:f1", direction="Maximize"),
            MetricSpec(name=f"{channel}:roc_auc", direction="Maximize"),
            MetricSpec(name=f"{channel}:log_loss", direction="Minimize")]


def regression_metrics(channel: str) -> list:
    from ..schemas.algorithms import MetricSpec

    return [MetricSpec(name=f"{channel}:rmse", direction="Minimize"),
            MetricSpec(name=f"{channel}:mae", direction="Minimize"),
            MetricSpec(name=f"{channel}:r2", direction="Maximize")]


def supervised_metrics() -> tuple:
    return tuple(spec for channel in ("train", "validation", "test")
                 for spec in (*classification_metrics(channel), *regression_metrics(channel)))
