"""xgboost: gradient-boosted trees (XGBoost) for classification or regression, early stopping on
the validation channel, one metric point per boosting round (logged as it trains), and a
checkpoint every 10 rounds when the job asks (a retried job resumes from it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field
from sklearn.base import BaseEstimator, ClassifierMixin

from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import NativeCategories, problem_type, score_channels, supervised_metrics
from .torch_support import Checkpoints

# XGBoost's own name for each evaluation metric, and the studio's (SageMaker-style) name.
_ROUND_METRICS = {"binary": ("logloss", "log_loss"), "multiclass": ("mlogloss", "log_loss"),
                  "regression": ("rmse", "rmse")}


class XGBoostHyperparameters(Hyperparameters):
    objective: Literal["auto", "binary", "multiclass", "regression"] = Field(
        default="auto", description="the problem; auto: from the label")
    num_round: int = Field(default=300, ge=1, le=10_000, description="boosting rounds (at most)",
                           json_schema_extra=tunable(50, 2000))
    eta: float = Field(default=0.1, gt=0, le=1, description="learning rate",
                       json_schema_extra=tunable(0.01, 0.3, "Logarithmic"))
    max_depth: int = Field(default=6, ge=1, le=20, description="depth of each tree", json_schema_extra=tunable(2, 10))
    min_child_weight: float = Field(default=1.0, ge=0, le=1000, json_schema_extra=tunable(0.5, 20, "Logarithmic"))
    subsample: float = Field(default=1.0, gt=0, le=1, description="share of rows per tree",
                             json_schema_extra=tunable(0.5, 1.0))
    colsample_bytree: float = Field(default=1.0, gt=0, le=1, description="share of features per tree",
                                    json_schema_extra=tunable(0.5, 1.0))
    alpha: float = Field(default=0.0, ge=0, le=1000, description="L1 regularization",
                         json_schema_extra=tunable(1e-3, 10, "Logarithmic"))
    lambda_: float = Field(default=1.0, ge=0, le=1000, alias="lambda", description="L2 regularization",
                           json_schema_extra=tunable(1e-3, 10, "Logarithmic"))
    early_stopping_rounds: int | None = Field(default=20, ge=1, le=1000,
                                              description="stop when the validation metric has not improved for "
                                                          "this many rounds (needs a validation channel)")
    seed: int = Field(default=0, ge=0)


class LabelEncoded(ClassifierMixin, BaseEstimator):
    """A classifier over labels 0..k-1 that answers the original labels (XGBoost needs the codes).
    Built around an already fitted model; `fit` encodes the labels and fits it again."""

    def __init__(self, model: Any = None, classes: Any = None):
        self.model = model
        self.classes = classes
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def fit(self, x: Any, y: Any) -> LabelEncoded:
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        self.model.fit(x, codes)
        return self

    def predict(self, x: Any) -> Any:
        return self.classes_[np.asarray(self.model.predict(x), dtype=int)]

    def predict_proba(self, x: Any) -> Any:
        return self.model.predict_proba(x)


class XGBoost(BaseAlgorithm):
    name = "xgboost"
    title = "XGBoost"
    use_case = "predictive"
    problem_types = ("binary", "multiclass", "regression")
    description = ("Gradient-boosted decision trees: the strongest default for tables. Text columns are "
                   "categories (XGBoost's native categorical splits), missing values stay missing. Early "
                   "stopping on the validation channel; the validation metric is logged every round.")
    Hyperparameters = XGBoostHyperparameters
    metrics = supervised_metrics()

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.pipeline import Pipeline
        from xgboost import XGBClassifier, XGBRegressor

        train = data["train"]
        kind = problem_type(train.y, hp.objective)
        prepare = NativeCategories().fit(train.x)
        classes = None
        y = train.y.astype(float) if kind == "regression" else train.y
        if kind != "regression":
            classes, y = np.unique(np.asarray(train.y), return_inverse=True)
        evals = [(prepare.transform(train.x), y)]
        names = ["train"]
        validation = data.get("validation")
        if validation is not None and validation.y is not None:
            names.append("validation")
            vy = validation.y.astype(float) if kind == "regression" else _codes(validation, classes)
            evals.append((prepare.transform(validation.x), vy))
        xgb_metric, metric_name = _ROUND_METRICS[kind]
        saved = Checkpoints(XGBOOST_CHECKPOINT).path
        done = 0
        if saved is not None and saved.is_file():
            import xgboost

            done = xgboost.Booster(model_file=str(saved)).num_boosted_rounds()
            print(f"[train] resumed from the checkpoint of round {done}", flush=True)
        cls = XGBRegressor if kind == "regression" else XGBClassifier
        model = cls(n_estimators=max(1, hp.num_round - done), learning_rate=hp.eta, max_depth=hp.max_depth,
                    min_child_weight=hp.min_child_weight, subsample=hp.subsample,
                    colsample_bytree=hp.colsample_bytree, reg_alpha=hp.alpha, reg_lambda=hp.lambda_,
                    random_state=hp.seed, eval_metric=xgb_metric, n_jobs=-1, tree_method="hist",
                    enable_categorical=True,
                    early_stopping_rounds=hp.early_stopping_rounds if len(evals) > 1 else None,
                    callbacks=[_round_callback(names, metric_name, log_metric, saved, done)])
        model.fit(evals[0][0], evals[0][1], eval_set=evals, verbose=False,
                  xgb_model=str(saved) if done else None)
        model.set_params(callbacks=None)  # the logging callback stays with the training process, not the model
        rounds = model.get_booster().num_boosted_rounds()
        fitted = model if kind == "regression" else LabelEncoded(model, classes)
        pipeline = Pipeline([("prepare", prepare), ("model", fitted)])
        metrics = score_channels(pipeline, data, kind, log_metric, step=rounds)
        if getattr(model, "best_iteration", None) is not None:
            metrics["best_iteration"] = float(model.best_iteration)
        return Fitted(pipeline, metrics, kind)


XGBOOST_CHECKPOINT = "xgboost.ubj"  # the booster, beside the torch algorithms' checkpoint.pt
CHECKPOINT_EVERY = 10  # rounds between checkpoints (a save is a few ms; a retry redoes at most this many)


def _round_callback(names: list[str], metric: str, log_metric: LogMetric, checkpoint: Path | None,
                    done: int) -> Any:
    """An XGBoost callback: each round's metrics to the run as they come (live charts), and the
    booster saved every CHECKPOINT_EVERY rounds (written aside, then renamed: a kill mid-write
    leaves the previous checkpoint whole). Rounds count from the start of the whole training, so
    a resumed job's curve goes on from the checkpoint (XGBoost counts a continued training's
    rounds from 0: `done` is added)."""
    from xgboost.callback import TrainingCallback

    class RoundCallback(TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            step = done + epoch
            for index, name in enumerate(names):
                values = next(iter(evals_log.get(f"validation_{index}", {}).values()), None)
                if values:
                    log_metric(f"{name}:{metric}", float(values[-1]), step)
            if checkpoint is not None and (step + 1) % CHECKPOINT_EVERY == 0:
                checkpoint.parent.mkdir(parents=True, exist_ok=True)
                partial = checkpoint.with_suffix(".partial.ubj")
                model.save_model(str(partial))
                os.replace(partial, checkpoint)
            return False

    return RoundCallback()


def _codes(dataset: Dataset, classes: Any) -> Any:
    known = {c: i for i, c in enumerate(classes)}
    unknown = sorted({str(v) for v in dataset.y if v not in known})
    if unknown:
        raise ValueError(f"{dataset.source}: labels not seen in the train channel: {', '.join(unknown[:5])}")
    return np.asarray([known[v] for v in dataset.y])
