"""forecaster: probabilistic forecasts of many related series, with SageMaker DeepAR's request and
response shapes (timeseries.py reads the series and holds the classic seasonal model).

Training picks what a forecast needs (the frequency, the season, logs or not) and backtests it:
the last `prediction_length` points of every series (of the test channel, else the validation
channel, else train; `validation:*` metrics unless it is the test channel)
are forecast from the points before them and scored (sMAPE, DeepAR's mean weighted quantile loss)
beside the seasonal naive forecast (the last season repeated), so the run says how much better
than naive the model is (`validation:smape_ratio` below 1).

The deployed model forecasts from the history in the request, as DeepAR's endpoint does:
    {"instances": [{"start": "1960-01", "target": [112, 118, ...]}], "params": {"quantiles": [0.1, 0.5, 0.9]}}
    -> {"predictions": [{"mean": [...], "quantiles": {"0.1": [...], "0.5": [...], "0.9": [...]}}]}
(`"configuration": {"quantiles": ["0.1", "0.9"]}`, DeepAR's own field, is read as the params.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from ..schemas.algorithms import MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .timeseries import (
    as_numbers,
    read_series,
    season_of,
    seasonal_forecast,
    seasonal_naive,
    smape,
    weighted_quantile_loss,
)

DEFAULT_QUANTILES = [0.1, 0.5, 0.9]


class ForecasterHyperparameters(Hyperparameters):
    prediction_length: int = Field(default=12, ge=1, le=10_000, description="points to forecast")
    freq: str | None = Field(default=None, max_length=20,
                             description="pandas frequency of the series (e.g. MS, D, h, 30min); default: inferred")
    season_length: int | None = Field(default=None, ge=1, le=10_000,
                                      description="points per season; default: from the frequency (12 for months, "
                                                  "7 for days, 24 for hours, 48 for half-hours)")
    profile_seasons: int = Field(default=0, ge=0, le=1000,
                                 description="the latest seasons the seasonal profile averages (0: all; few "
                                             "follow a drifting shape, many average out noise)",
                                 json_schema_extra=tunable(0, 12))
    log_transform: bool | None = Field(default=None, description="model in logs (multiplicative seasonality); "
                                                                 "default: when every value is positive")
    quantiles: list[float] = Field(default_factory=lambda: list(DEFAULT_QUANTILES), min_length=1, max_length=20,
                                   description="quantiles a request gets when it does not ask")
    time_column: str | None = Field(default=None, max_length=256)
    target_column: str | None = Field(default=None, max_length=256)
    id_column: str | None = Field(default=None, max_length=256)


class ForecastModel:
    """Forecasts from the history a request sends (DeepAR's inference contract)."""

    def __init__(self, season: int, horizon: int, quantiles: list[float], log: bool | None,
                 profile_seasons: int = 0):
        self.season, self.horizon, self.quantiles, self.log = season, horizon, quantiles, log
        self.profile_seasons = profile_seasons

    def forecast(self, values: Any, quantiles: list[float] | None = None,
                 horizon: int | None = None) -> dict[str, Any]:
        mean, bands = seasonal_forecast(values, self.season, horizon or self.horizon, quantiles or self.quantiles,
                                        self.log, self.profile_seasons)
        return {"mean": mean.tolist(), "quantiles": {k: v.tolist() for k, v in bands.items()}}

    def predict(self, x: Any, quantiles: Any = None) -> list[dict[str, Any]]:
        wanted = _quantiles(quantiles) or self.quantiles
        return [self.forecast(as_numbers(target), wanted) for target in x["target"]]


def _quantiles(given: Any) -> list[float] | None:
    if given is None or (hasattr(given, "__len__") and len(given) == 0):
        return None
    values = [float(q) for q in (given.tolist() if hasattr(given, "tolist") else given)]
    bad = [q for q in values if not 0 < q < 1]
    if bad:
        raise ValueError(f"params.quantiles: {bad[0]} is not between 0 and 1")
    return values


class Forecaster(BaseAlgorithm):
    name = "forecaster"
    title = "Forecaster (seasonal)"
    use_case = "time-series"
    problem_types = ("forecasting",)
    description = ("Probabilistic forecasts of many related series: a seasonal profile and a damped trend per "
                   "series, quantiles from its errors. Reads DeepAR's JSON Lines or a long table; gaps and "
                   "all-zero series are fine. Backtested against the seasonal naive forecast.")
    Hyperparameters = ForecasterHyperparameters
    needs_label = False
    metrics = tuple(spec for channel in ("validation", "test") for spec in (
        MetricSpec(name=f"{channel}:smape", direction="Minimize"),
        MetricSpec(name=f"{channel}:smape_ratio", direction="Minimize",
                   description="sMAPE over the seasonal naive forecast's (below 1: better than naive)"),
        MetricSpec(name=f"{channel}:seasonal_naive_smape", direction="Minimize"),
        MetricSpec(name=f"{channel}:mean_wQuantileLoss", direction="Minimize")))
    inference = {"request": '{"instances": [{"start": "1960-01", "target": [112, 118, ...]}], '
                            '"params": {"quantiles": [0.1, 0.5, 0.9]}} (DeepAR\'s "configuration" also works)',
                 "response": '{"predictions": [{"mean": [...], "quantiles": {"0.1": [...], "0.5": [...]}}]}',
                 "params": {"quantiles": "list of floats in (0, 1)"}}

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema
        from mlflow.types.schema import Array

        train = data["train"]
        columns = (hp.time_column, hp.target_column, hp.id_column)
        series, freq = read_series(train.x, train.source, hp.freq, *columns)
        # The backtest: the last prediction_length points of the test channel's series, else the
        # validation channel's, else train's (as DeepAR's test channel: the whole series, extended).
        scored_on = next((c for c in ("test", "validation") if c in data), "train")
        prefix = "test" if scored_on == "test" else "validation"
        if scored_on != "train":
            series, _ = read_series(data[scored_on].x, data[scored_on].source, freq, *columns)
        season = hp.season_length or season_of(freq)
        horizon = hp.prediction_length
        print(f"[train] {len(series)} series, frequency {freq or 'unknown'}, season {season}, "
              f"prediction length {horizon}; backtest on {scored_on}", flush=True)
        model = ForecastModel(season, horizon, list(hp.quantiles), hp.log_transform, hp.profile_seasons)
        ours, naive, losses = [], [], []
        for one in series:
            if len(one.values) <= horizon + 2:
                continue
            history, actual = one.values[:-horizon], one.values[-horizon:]
            forecast = model.forecast(history)
            ours.append(smape(actual, forecast["quantiles"].get("0.5", forecast["mean"])))
            naive.append(smape(actual, seasonal_naive(history, season, horizon)))
            losses.append(weighted_quantile_loss(actual, forecast["quantiles"]))
        metrics: dict[str, float] = {}
        if ours:
            metrics = {f"{prefix}:smape": float(np.mean(ours)),
                       f"{prefix}:seasonal_naive_smape": float(np.mean(naive)),
                       f"{prefix}:mean_wQuantileLoss": float(np.mean(losses))}
            if metrics[f"{prefix}:seasonal_naive_smape"] > 0:
                metrics[f"{prefix}:smape_ratio"] = (metrics[f"{prefix}:smape"]
                                                    / metrics[f"{prefix}:seasonal_naive_smape"])
            for name, value in metrics.items():
                log_metric(name, value, 0)
        else:
            print(f"[train] no series is longer than prediction_length + 2 ({horizon + 2}): no backtest", flush=True)
        # The logged input example: DeepAR's request rows (the start and the history).
        example_rows = [{"start": str(s.start) if s.start is not None else "", "target": s.values[-50:].tolist()}
                        for s in series[:2]]
        import pandas as pd

        train.x = pd.DataFrame(example_rows)
        signature = ModelSignature(
            inputs=Schema([ColSpec(DataType.string, "start", required=False),
                           ColSpec(Array(DataType.double), "target")]),
            params=ParamSchema([ParamSpec("quantiles", DataType.double, list(hp.quantiles), shape=(-1,))]))
        return Fitted(model, metrics, "forecasting", params={"quantiles": list(hp.quantiles)}, signature=signature)

