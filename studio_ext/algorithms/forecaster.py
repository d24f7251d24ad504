"""forecaster: probabilistic forecasts of many related series, with SageMaker DeepAR's request and
response shapes. Two models (`model`): `deepar`, an autoregressive recurrent network trained over
all the series (deepar.py), and `seasonal`, a classic seasonal profile and damped trend per series
(timeseries.py, which also reads the series); `auto` trains both and keeps the one with the better
sMAPE on the validation window.

Training backtests the model: the last `prediction_length` points of every series (of the test
channel, else the validation channel, else train; `validation:*` metrics unless it is the test
channel) are forecast from the points before them and scored (sMAPE, DeepAR's mean weighted
quantile loss) beside the seasonal naive forecast (the last season repeated), so the run says how
much better than naive the model is (`validation:smape_ratio` below 1). The validation window that
`auto` compares the models on is the validation channel's last `prediction_length` points, else
the train channel's (which the DeepAR model then holds out of its training).

The deployed model forecasts from the history in the request, as DeepAR's endpoint does:
    {"instances": [{"start": "1960-01", "target": [112, 118, ...], "cat": [0]}],
     "params": {"quantiles": [0.1, 0.5, 0.9]}}
    -> {"predictions": [{"mean": [...], "quantiles": {"0.1": [...], "0.5": [...], "0.9": [...]}}]}
(`"configuration": {"quantiles": ["0.1", "0.9"], "num_samples": 200}`, DeepAR's own field, is read
as the params.)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from ..schemas.algorithms import MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .timeseries import (
    Series,
    as_numbers,
    read_series,
    season_of,
    seasonal_forecast,
    seasonal_naive,
    smape,
    weighted_quantile_loss,
)

DEFAULT_QUANTILES = [0.1, 0.5, 0.9]
DEEPAR = "(deepar) "  # the description prefix of the hyperparameters only the DeepAR model reads


class ForecasterHyperparameters(Hyperparameters):
    model: Literal["auto", "deepar", "seasonal"] = Field(
        default="seasonal", description="deepar: a recurrent network over all the series (PyTorch); seasonal: a "
                                        "seasonal profile and damped trend per series; auto: train both, keep the "
                                        "better sMAPE on the validation window")
    prediction_length: int = Field(default=12, ge=1, le=10_000, description="points to forecast")
    freq: str | None = Field(default=None, max_length=20,
                             description="pandas frequency of the series (e.g. MS, D, h, 30min); default: inferred")
    season_length: int | None = Field(default=None, ge=1, le=10_000,
                                      description="points per season; default: from the frequency (12 for months, "
                                                  "7 for days, 24 for hours, 48 for half-hours)")
    profile_seasons: int = Field(default=0, ge=0, le=1000,
                                 description="(seasonal) the latest seasons the seasonal profile averages (0: all; "
                                             "few follow a drifting shape, many average out noise)",
                                 json_schema_extra=tunable(0, 12))
    log_transform: bool | None = Field(default=None, description="model in logs (multiplicative seasonality); "
                                                                 "default: when every value is positive")
    quantiles: list[float] = Field(default_factory=lambda: list(DEFAULT_QUANTILES), min_length=1, max_length=20,
                                   description="quantiles a request gets when it does not ask")
    time_column: str | None = Field(default=None, max_length=256)
    target_column: str | None = Field(default=None, max_length=256)
    id_column: str | None = Field(default=None, max_length=256)
    context_length: int | None = Field(default=None, ge=1, le=10_000,
                                       description=DEEPAR + "points the network reads before forecasting (besides "
                                                            "its seasonal lags); default: prediction_length, at "
                                                            "most two of the shortest season (training time grows "
                                                            "with context_length + prediction_length)",
                                       json_schema_extra=tunable(12, 400, "Logarithmic"))
    epochs: int = Field(default=20, ge=1, le=1000, description=DEEPAR + "passes of num_batches_per_epoch batches",
                        json_schema_extra=tunable(10, 200, "Logarithmic"))
    num_batches_per_epoch: int = Field(default=50, ge=1, le=10_000,
                                       description=DEEPAR + "windows sampled per epoch, in batches (an epoch costs "
                                                            "the same whatever the data's length)")
    mini_batch_size: int = Field(default=32, ge=1, le=4096, description=DEEPAR + "windows per batch",
                                 json_schema_extra=tunable(16, 256, "Logarithmic"))
    num_layers: int = Field(default=2, ge=1, le=8, description=DEEPAR + "recurrent layers",
                            json_schema_extra=tunable(1, 4))
    num_cells: int = Field(default=40, ge=1, le=1024, description=DEEPAR + "cells per recurrent layer",
                           json_schema_extra=tunable(20, 200, "Logarithmic"))
    cell_type: Literal["lstm", "gru"] = Field(default="lstm", description=DEEPAR + "recurrent cell")
    dropout_rate: float = Field(default=0.1, ge=0, lt=1, description=DEEPAR + "dropout between recurrent layers",
                                json_schema_extra=tunable(0.0, 0.2))
    learning_rate: float = Field(default=1e-3, gt=0, le=1, description=DEEPAR + "Adam's step size",
                                 json_schema_extra=tunable(1e-4, 1e-2, "Logarithmic"))
    likelihood: Literal["student-T", "gaussian"] = Field(
        default="student-T", description=DEEPAR + "the distribution of each point (in logs for positive series)")
    embedding_dimension: int = Field(default=10, ge=1, le=100,
                                     description=DEEPAR + "size of each `cat` feature's embedding (at most)")
    early_stopping_patience: int | None = Field(default=10, ge=1, le=1000,
                                                description=DEEPAR + "stop when the validation loss has not "
                                                                     "improved for this many epochs")
    num_samples: int = Field(default=100, ge=1, le=10_000,
                             description=DEEPAR + "paths drawn per forecast (the mean and quantiles come from them; "
                                                  "a request's configuration.num_samples says otherwise)")
    seed: int = Field(default=0, ge=0, description=DEEPAR + "seed of the weights and of the windows drawn")


class ForecastModel:
    """The seasonal model: forecasts from the history a request sends (DeepAR's inference contract)."""

    kind = "seasonal"

    def __init__(self, season: int, horizon: int, quantiles: list[float], log: bool | None,
                 profile_seasons: int = 0):
        self.season, self.horizon, self.quantiles, self.log = season, horizon, quantiles, log
        self.profile_seasons = profile_seasons

    def forecast(self, values: Any, quantiles: list[float] | None = None,
                 horizon: int | None = None) -> dict[str, Any]:
        mean, bands = seasonal_forecast(values, self.season, horizon or self.horizon, quantiles or self.quantiles,
                                        self.log, self.profile_seasons)
        return {"mean": mean.tolist(), "quantiles": {k: v.tolist() for k, v in bands.items()}}

    def forecast_many(self, histories: list[tuple[Any, Any, Any]], quantiles: list[float] | None = None,
                      num_samples: int | None = None) -> list[dict[str, Any]]:
        """One forecast per (values, start, cat), as the DeepAR model's (start and cat unused)."""
        return [self.forecast(values, quantiles) for values, _, _ in histories]

    def predict(self, x: Any, quantiles: Any = None) -> list[dict[str, Any]]:
        wanted = requested_quantiles(quantiles) or self.quantiles
        return [self.forecast(as_numbers(target), wanted) for target in x["target"]]


def requested_quantiles(given: Any) -> list[float] | None:
    """A request's quantiles (None when it asks for none); each must lie in (0, 1)."""
    if given is None or (hasattr(given, "__len__") and len(given) == 0):
        return None
    values = [float(q) for q in (given.tolist() if hasattr(given, "tolist") else given)]
    bad = [q for q in values if not 0 < q < 1]
    if bad:
        raise ValueError(f"params.quantiles: {bad[0]} is not between 0 and 1")
    return values


def backtest(model: Any, series: list[Series], horizon: int, season: int) -> dict[str, float]:
    """The last `horizon` points of each series long enough, forecast from the points before them:
    sMAPE (of the median where there is one), the seasonal naive forecast's, the weighted quantile loss."""
    scored = [s for s in series if len(s.values) > horizon + 2]
    if not scored:
        return {}
    forecasts = model.forecast_many([(s.observed[:-horizon], s.start, s.cat) for s in scored])
    ours, naive, losses = [], [], []
    for one, forecast in zip(scored, forecasts, strict=True):
        actual, history = one.values[-horizon:], one.values[:-horizon]
        ours.append(smape(actual, forecast["quantiles"].get("0.5", forecast["mean"])))
        naive.append(smape(actual, seasonal_naive(history, season, horizon)))
        losses.append(weighted_quantile_loss(actual, forecast["quantiles"]))
    metrics = {"smape": float(np.mean(ours)), "seasonal_naive_smape": float(np.mean(naive)),
               "mean_wQuantileLoss": float(np.mean(losses))}
    if metrics["seasonal_naive_smape"] > 0:
        metrics["smape_ratio"] = metrics["smape"] / metrics["seasonal_naive_smape"]
    return metrics


class Forecaster(BaseAlgorithm):
    name = "forecaster"
    title = "Forecaster (DeepAR or seasonal)"
    use_case = "time-series"
    problem_types = ("forecasting",)
    description = ("Probabilistic forecasts of many related series: DeepAR (a recurrent network over all the "
                   "series, PyTorch) or a seasonal profile and damped trend per series, or the better of the two. "
                   "Reads DeepAR's JSON Lines or a long table; gaps and all-zero series are fine. Backtested "
                   "against the seasonal naive forecast.")
    Hyperparameters = ForecasterHyperparameters
    needs_label = False
    supports_gpu = True
    metrics = (MetricSpec(name="train:loss", direction="Minimize", description="deepar: per epoch"),
               MetricSpec(name="validation:loss", direction="Minimize", description="deepar: per epoch"),
               *(MetricSpec(name=f"validation:smape_{kind}", direction="Minimize",
                            description=f"auto: the {kind} model's sMAPE on the validation window")
                 for kind in ("seasonal", "deepar")),
               *(spec for channel in ("validation", "test") for spec in (
                   MetricSpec(name=f"{channel}:smape", direction="Minimize"),
                   MetricSpec(name=f"{channel}:smape_ratio", direction="Minimize",
                              description="sMAPE over the seasonal naive forecast's (below 1: better than naive)"),
                   MetricSpec(name=f"{channel}:seasonal_naive_smape", direction="Minimize"),
                   MetricSpec(name=f"{channel}:mean_wQuantileLoss", direction="Minimize"))))
    inference = {"request": '{"instances": [{"start": "1960-01", "target": [112, 118, ...], "cat": [0]}], '
                            '"params": {"quantiles": [0.1, 0.5, 0.9]}} (DeepAR\'s "configuration" also works)',
                 "response": '{"predictions": [{"mean": [...], "quantiles": {"0.1": [...], "0.5": [...]}}]}',
                 "params": {"quantiles": "list of floats in (0, 1)",
                            "num_samples": "int: paths drawn (deepar model)"}}

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        train = data["train"]
        columns = (hp.time_column, hp.target_column, hp.id_column)
        series, freq = read_series(train.x, train.source, hp.freq, *columns)
        read = {"train": series}
        for channel in ("validation", "test"):
            if channel in data:
                read[channel], _ = read_series(data[channel].x, data[channel].source, freq, *columns)
        # The backtest: the last prediction_length points of the test channel's series, else the
        # validation channel's, else train's (as DeepAR's test channel: the whole series, extended).
        scored_on = next((c for c in ("test", "validation") if c in data), "train")
        prefix = "test" if scored_on == "test" else "validation"
        season = hp.season_length or season_of(freq)
        horizon = hp.prediction_length
        print(f"[train] {len(series)} series, frequency {freq or 'unknown'}, season {season}, "
              f"prediction length {horizon}; model {hp.model}; backtest on {scored_on}", flush=True)
        model: Any = ForecastModel(season, horizon, list(hp.quantiles), hp.log_transform, hp.profile_seasons)
        if hp.model != "seasonal":
            from . import deepar

            network = deepar.train(hp, series, read.get("validation"), freq, season, log_metric)
            if hp.model == "deepar":
                model = network
            else:  # auto: the better sMAPE on the validation window (validation's last points, else train's)
                window = read.get("validation", series)
                scores = {m.kind: backtest(m, window, horizon, season).get("smape") for m in (model, network)}
                for kind, value in scores.items():
                    if value is not None:
                        log_metric(f"validation:smape_{kind}", value, 0)
                if scores["deepar"] is not None and (scores["seasonal"] is None
                                                     or scores["deepar"] < scores["seasonal"]):
                    model = network
                print(f"[train] auto: validation sMAPE {', '.join(f'{k} {v:.4f}' for k, v in scores.items() if v is not None)}"
                      f" -> {model.kind}", flush=True)
        metrics = {f"{prefix}:{name}": value for name, value in backtest(model, read[scored_on], horizon, season).items()}
        for name, value in metrics.items():
            log_metric(name, value, 0)
        if not metrics:
            print(f"[train] no series is longer than prediction_length + 2 ({horizon + 2}): no backtest", flush=True)
        return self._fitted(model, series, hp, train, metrics)

    @staticmethod
    def _fitted(model: Any, series: list[Series], hp: Any, train: Dataset, metrics: dict[str, float]) -> Fitted:
        import pandas as pd
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema
        from mlflow.types.schema import Array

        uses_cat = model.kind == "deepar" and bool(model.layout.cat_cardinalities)
        needs_start = model.kind == "deepar" and model.layout.uses_time
        # The logged input example: DeepAR's request rows (the start, the history, the categories).
        example_rows = []
        for s in series[:2]:
            row = {"start": str(s.start) if s.start is not None else "",
                   "target": [float(v) if np.isfinite(v) else None for v in s.observed[-50:]]}
            if uses_cat:
                row["cat"] = list(s.cat or [0] * len(model.layout.cat_cardinalities))
            example_rows.append(row)
        train.x = pd.DataFrame(example_rows)
        inputs: list[Any] = [ColSpec(DataType.string, "start", required=needs_start), ColSpec(Array(DataType.double), "target")]
        params = [ParamSpec("quantiles", DataType.double, list(hp.quantiles), shape=(-1,))]
        defaults: dict[str, Any] = {"quantiles": list(hp.quantiles)}
        if uses_cat:
            inputs.append(ColSpec(Array(DataType.long), "cat", required=False))
        if model.kind == "deepar":
            params.append(ParamSpec("num_samples", DataType.long, hp.num_samples))
            defaults["num_samples"] = hp.num_samples
        signature = ModelSignature(inputs=Schema(inputs), params=ParamSchema(params))
        return Fitted(model, metrics, "forecasting", params=defaults, signature=signature)
