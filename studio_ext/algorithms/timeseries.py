"""Time series for the forecaster: reading series from a channel, their frequency and season, a
classic seasonal model, and the forecast metrics.

A channel holds many related series, in either shape:
- SageMaker DeepAR's JSON Lines: one series per line, `{"start": "2020-01-01", "target": [..]}`
  with optional `cat` (integer categories of the series, which the DeepAR model embeds;
  `dynamic_feat` is accepted and ignored); a missing value is null or "NaN";
- a long table: a time column (`timestamp`, `date`, `ds`), a value column (`target`, `value`, `y`)
  and, for many series, an id column (`item_id`, `series`, `id`); missing timestamps are gaps.
Gaps are filled by linear interpolation for the seasonal model (the DeepAR model keeps them as
NaN: masked in its loss, carried forward in its inputs); a series of zeros forecasts zeros.

The classic model (`seasonal_forecast`) decomposes a series into a seasonal profile (the average
deviation from a centred moving average at each position of the season), a trend (the slope of
that moving average over its last two seasons, slowly damped) and a level (exponential smoothing
of the deseasonalized series along the trend, its weight picked by one-step error); positive
series are modelled in logs (multiplicative seasonality).
Quantiles come from the one-step errors, widening with the square root of the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

TIME_COLUMNS = ("timestamp", "date", "ds", "time", "datetime", "start")
VALUE_COLUMNS = ("target", "value", "y", "sales", "demand")
ID_COLUMNS = ("item_id", "series", "series_id", "id")


@dataclass
class Series:
    name: str
    start: Any  # a pandas Timestamp, or None when the data has no times
    values: Any  # float64, gaps filled
    raw: Any = None  # float64, gaps NaN (None: as `values`)
    cat: list[int] | None = None  # DeepAR's `cat`: the series' categories

    @property
    def observed(self) -> Any:
        return self.values if self.raw is None else self.raw


def _pick(columns: list[str], given: str | None, names: tuple[str, ...], what: str, source: str) -> str | None:
    if given is not None:
        if given not in columns:
            raise ValueError(f"hyperparameters.{what}_column: {source} has no column {given!r}")
        return given
    return next((c for c in names if c in columns), None)


def filled(values: Any) -> Any:
    """Gaps (NaN) interpolated linearly, the edges held; all gaps: zeros."""
    y = np.asarray(values, dtype=np.float64)
    missing = ~np.isfinite(y)
    if missing.all():
        return np.zeros(len(y))
    if missing.any():
        index = np.arange(len(y))
        y = y.copy()
        y[missing] = np.interp(index[missing], index[~missing], y[~missing])
    return y


def as_numbers(target: Any) -> Any:
    """A DeepAR target list (numbers, null or "NaN") as floats."""
    out = []
    for v in target if isinstance(target, list | tuple | np.ndarray) else [target]:
        try:
            out.append(float(v) if v is not None else math.nan)
        except (TypeError, ValueError):
            out.append(math.nan)
    return np.asarray(out, dtype=np.float64)


def read_series(frame: Any, source: str, freq: str | None, time_column: str | None = None,
                target_column: str | None = None, id_column: str | None = None) -> tuple[list[Series], str | None]:
    """The series of a channel's table and their frequency (given, else inferred)."""
    import pandas as pd

    columns = [str(c) for c in frame.columns]
    if "target" in columns and len(frame) and isinstance(frame["target"].iloc[0], list | tuple | np.ndarray):
        series = []
        for n, row in enumerate(frame.to_dict(orient="records")):
            start = pd.Timestamp(row["start"]) if row.get("start") is not None else None
            raw = as_numbers(row["target"])
            series.append(Series(str(row.get("item_id", n)), start, filled(raw), raw, categories(row.get("cat"), n)))
        return series, freq
    time = _pick(columns, time_column, TIME_COLUMNS, "time", source)
    value = _pick(columns, target_column, VALUE_COLUMNS, "target", source)
    if value is None:
        numeric = [c for c in columns if c != time and frame[c].dtype.kind in "fiu"]
        if len(numeric) != 1:
            raise ValueError(f"{source}: no value column (target, value, y); name it with hyperparameters.target_column")
        value = numeric[0]
    ident = _pick(columns, id_column, ID_COLUMNS, "id", source)
    groups = frame.groupby(ident, sort=True) if ident else [("series", frame)]
    series = []
    for name, group in groups:
        if time is None:
            raw = group[value].to_numpy(dtype=np.float64)
            series.append(Series(str(name), None, filled(raw), raw))
            continue
        times = pd.to_datetime(group[time])
        values = pd.Series(group[value].to_numpy(dtype=np.float64), index=times).sort_index()
        values = values[~values.index.duplicated(keep="last")]
        step = freq or (pd.infer_freq(values.index) if len(values) >= 3 else None) or _common_step(values.index)
        if step is not None:
            values = values.reindex(pd.date_range(values.index[0], values.index[-1], freq=step))  # gaps: NaN
        freq = freq or step
        series.append(Series(str(name), values.index[0], filled(values.to_numpy()), values.to_numpy()))
    return series, freq


def categories(cat: Any, line: int | None = None) -> list[int] | None:
    """DeepAR's `cat` (an integer or a list of them, each >= 0) as a list; None without one."""
    if cat is None or (isinstance(cat, float) and math.isnan(cat)):
        return None
    values = cat.tolist() if hasattr(cat, "tolist") else cat
    values = values if isinstance(values, list | tuple) else [values]
    where = f"series {line}: " if line is not None else ""
    try:
        out = [int(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"{where}cat: {values!r} is not a list of integers") from None
    if any(v < 0 or v != float(f) for v, f in zip(out, values, strict=True)):
        raise ValueError(f"{where}cat: {values!r} must hold integers >= 0")
    return out


def _common_step(index: Any) -> str | None:
    """The most common spacing of a series with gaps (pd.infer_freq needs a regular index)."""
    import pandas as pd

    if len(index) < 2:
        return None
    step = pd.Series(index[1:] - index[:-1]).mode()[0]
    return pd.tseries.frequencies.to_offset(step).freqstr


def season_of(freq: str | None) -> int:
    """The usual season of a frequency: 12 months, 4 quarters, 7 days, 24 hours, one day of minutes."""
    import pandas as pd

    if not freq:
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    name = type(offset).__name__
    if "Month" in name:
        return max(1, 12 // offset.n)
    if "Quarter" in name:
        return max(1, 4 // offset.n)
    if "Week" in name:
        return max(1, 52 // offset.n)
    if name in ("Day", "BusinessDay"):
        return 7 if name == "Day" and offset.n == 1 else 5 if name == "BusinessDay" else 1
    if name in ("Hour", "Minute", "Second"):
        seconds = pd.Timedelta(offset).total_seconds()
        return max(1, int(round(86400 / seconds)))
    return 1


def _moving_average(y: Any, m: int) -> Any:
    """Centred moving average over one season (2xm for an even m); NaN where it does not fit."""
    n = len(y)
    out = np.full(n, np.nan)
    if m % 2:
        kernel = np.ones(m) / m
        half = m // 2
        out[half:n - half] = np.convolve(y, kernel, mode="valid")
    else:
        kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m
        half = m // 2
        out[half:n - half] = np.convolve(y, kernel, mode="valid")
    return out


TREND_DAMPING = 0.99  # per step: a long horizon does not extrapolate the slope forever


def _slope(z: Any, d: Any, m: int) -> float:
    """The trend per step: the slope of the centred moving average over its last two seasons
    (of the last quarter of the series without a season)."""
    if m > 1:
        trend = _moving_average(z, m)
        trend = trend[np.isfinite(trend)][-2 * m:]
    else:
        trend = d[-max(4, len(d) // 4):]
    if len(trend) < 2:
        return 0.0
    return float(np.polyfit(np.arange(len(trend)), trend, 1)[0])


def _smooth(d: Any, alpha: float, slope: float) -> tuple[float, float]:
    """Exponential smoothing of `d` along a known slope: (the last level, one-step squared errors)."""
    level, sse = float(d[0]), 0.0
    for value in d[1:]:
        guess = level + slope
        error = value - guess
        sse += error * error
        level = guess + alpha * error
    return level, sse


def seasonal_forecast(values: Any, season: int, horizon: int, quantiles: list[float],
                      log: bool | None = None, profile_seasons: int = 0) -> tuple[Any, dict[str, Any]]:
    """(mean forecast, {quantile: forecast}) of one series (see the module docstring)."""
    y = filled(values)
    if len(y) == 0 or not np.any(y):
        zeros = np.zeros(horizon)
        return zeros, {_label(q): zeros.copy() for q in quantiles}
    use_log = bool(np.all(y > 0)) if log is None else log and bool(np.all(y > 0))
    z = np.log(y) if use_log else y
    m = season if season > 1 and len(z) >= 2 * season else 1
    profile = np.zeros(m)
    if m > 1:
        # Over the latest `profile_seasons` seasons when asked (a seasonal shape that drifts, as a
        # day's load from winter to summer), else over all of them (noise averages out).
        detrended = z - _moving_average(z, m)
        positions = np.arange(len(z)) % m
        recent_seasons = (np.arange(len(z)) >= len(z) - profile_seasons * m - m // 2 if profile_seasons
                          else np.ones(len(z), dtype=bool))
        for k in range(m):
            part = detrended[(positions == k) & np.isfinite(detrended) & recent_seasons]
            profile[k] = part.mean() if len(part) else 0.0
        profile -= profile.mean()
    d = z - profile[np.arange(len(z)) % m]
    slope = _slope(z, d, m)
    # The level: exponential smoothing of the deseasonalized series around the trend, its weight
    # picked by one-step error over the recent part (the part that says most about what is next).
    recent = d[-max(8 * m, 200):]
    alpha = min((0.05, 0.1, 0.2, 0.4, 0.7, 1.0), key=lambda a: _smooth(recent, a, slope)[1])
    level, sse = _smooth(recent, alpha, slope)
    steps = np.arange(1, horizon + 1)
    point = level + np.cumsum(TREND_DAMPING ** steps) * slope + profile[(len(z) + steps - 1) % m]
    sigma = math.sqrt(sse / max(1, len(recent) - 1))
    spread = sigma * np.sqrt(steps)
    out = {_label(q): point + NormalDist().inv_cdf(q) * spread for q in quantiles}
    mean = point
    if use_log:
        out = {k: np.exp(v) for k, v in out.items()}
        mean = np.exp(point + spread ** 2 / 2)
    return mean, out


def seasonal_naive(values: Any, season: int, horizon: int) -> Any:
    y = filled(values)
    m = season if len(y) >= season else 1
    last = y[-m:]
    return np.resize(last, horizon) if len(last) else np.zeros(horizon)


def _label(q: float) -> str:
    return f"{q:g}"


def smape(actual: Any, forecast: Any) -> float:
    """Symmetric MAPE in [0, 2]; a point where both are zero counts as exact."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    denominator = np.abs(a) + np.abs(f)
    ratio = np.where(denominator > 0, 2 * np.abs(a - f) / np.where(denominator > 0, denominator, 1), 0.0)
    return float(ratio.mean())


def weighted_quantile_loss(actual: Any, quantile_forecasts: dict[str, Any]) -> float:
    """DeepAR's mean wQuantileLoss: pinball loss per quantile over the sum of |actual|."""
    a = np.asarray(actual, dtype=float)
    scale = max(float(np.abs(a).sum()), 1e-9)
    losses = []
    for label, f in quantile_forecasts.items():
        q = float(label)
        diff = a - np.asarray(f, dtype=float)
        losses.append(2 * float(np.maximum(q * diff, (q - 1) * diff).sum()) / scale)
    return float(np.mean(losses)) if losses else 0.0
