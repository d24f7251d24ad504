"""The forecaster's DeepAR model (PyTorch): one autoregressive recurrent network trained over
windows of all the series, forecasting by sampling paths (Salinas et al., "DeepAR", 2020, as
SageMaker's DeepAR and GluonTS build it).

- Windows: `context_length + prediction_length` steps sampled at random ends over every series
  (weighted by length), a fixed number per epoch, so a long series costs no more per epoch than a
  short one. The loss is the likelihood's negative log over every observed step of the window
  (teacher forcing); a gap (NaN) is masked out of the loss and carried forward in the inputs.
- Scale: each window is divided by the mean absolute value of its observed context (DeepAR's
  mean scaling; a series of zeros gets 1), and modelled in logs when every training value is
  positive (a multiplicative season then has one shape at every level).
- Inputs per step: lagged values (1-3 steps and around one and two of each season: a day and a week
  for sub-daily data, a year of months or weeks), whether the previous value was observed, the
  time of day, day of week and day of year as sin/cos (those finer than a step are left out),
  the series' `cat` embeddings and its log scale.
- Forecast: the net reads the history's context, then draws `num_samples` paths one step at a time,
  each step's draw fed back as the next lag; the mean and any quantile come from those paths (drawn
  with a fixed seed: the same request gets the same answer). Draws are kept within the history's
  range widened by that range (in logs: by its ratio), and at or above zero when the training data
  never went below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .timeseries import Series, as_numbers, categories
from .torch_support import TorchPredictor, state_arrays

DAY = 86400.0
MIN_SIGMA = 1e-4
UNKNOWN_START = "2000-01-01"


@dataclass
class Layout:
    """What the net's inputs are made of: fixed by training, kept by the fitted model."""

    freq: str | None
    lags: list[int]
    context: int
    horizon: int
    time_features: list[str]  # "day", "week", "year": the cycles of the time features
    cat_cardinalities: list[int]  # per cat feature: its categories (one more index: an unknown one)
    log: bool
    nonnegative: bool
    log_scale_mean: float = 0.0
    log_scale_std: float = 1.0
    uses_time: bool = field(default=False)

    @property
    def span(self) -> int:
        """The points one window reads: the lags' reach before it, then the context and the horizon."""
        return max(self.lags) + self.context + self.horizon

    @property
    def input_size(self) -> int:
        return len(self.lags) + 1 + 4 * len(self.time_features) + 1


def step_seconds(freq: str | None) -> float | None:
    import pandas as pd

    if not freq:
        return None
    two = pd.date_range("2000-01-01", periods=2, freq=freq)
    return float((two[1] - two[0]).total_seconds())


def cycles_of(freq: str | None) -> list[str]:
    """The calendar cycles a step of `freq` is finer than (their sin/cos are time features)."""
    step = step_seconds(freq)
    if step is None:
        return []
    return [name for name, length in (("day", DAY), ("week", 7 * DAY), ("year", 365 * DAY)) if step < length]


def periods_of(freq: str | None, season: int) -> set[int]:
    """The seasons the lags reach back to: the given one, and a day and a week for sub-daily data."""
    periods = {season}
    step = step_seconds(freq)
    if step is not None and step < DAY and DAY % step == 0:
        periods |= {int(DAY // step), int(7 * DAY // step)}
    return periods - {1}


def default_context(horizon: int, freq: str | None, season: int) -> int:
    """prediction_length, at most two of the shortest season: the lags already reach a season or
    two back, and each point of context costs training time (a week of half-hours forecast from a
    week of them would cost 7 times as much as from two days)."""
    periods = periods_of(freq, season)
    return min(horizon, 2 * min(periods)) if periods else horizon


def lags_for(freq: str | None, season: int) -> list[int]:
    """1-3 steps, and one step either side of one and two of each season (see periods_of)."""
    lags = {1, 2, 3}
    for period in periods_of(freq, season):
        for k in (1, 2):
            lags |= {k * period - 1, k * period, k * period + 1}
    return sorted(lag for lag in lags if lag >= 1)


def time_features(start: Any, freq: str | None, count: int, cycles: list[str]) -> Any:
    """(count, 4 per cycle): sin and cos of the position in each cycle and of its double."""
    import pandas as pd

    if not cycles:
        return np.zeros((count, 0), dtype=np.float32)
    times = pd.date_range(start, periods=count, freq=freq)
    seconds = (times.hour * 3600 + times.minute * 60 + times.second).to_numpy(dtype=np.float64)
    day = seconds / DAY
    position = {"day": day, "week": (times.day_of_week.to_numpy() + day) / 7,
                "year": (times.day_of_year.to_numpy() - 1 + day) / 365.25}
    columns = []
    for cycle in cycles:
        angle = 2 * np.pi * position[cycle]
        columns += [np.sin(angle), np.cos(angle), np.sin(2 * angle), np.cos(2 * angle)]
    return np.stack(columns, axis=1).astype(np.float32)


def padded_start(start: Any, freq: str | None, steps: int) -> Any:
    """The time `steps` points before `start` (the padding before a series has times too)."""
    import pandas as pd

    if start is None or not freq:
        return pd.Timestamp(UNKNOWN_START)
    return pd.date_range(end=pd.Timestamp(start), periods=steps + 1, freq=freq)[0]


@dataclass
class Prepared:
    """One series padded for windows: `pad` NaN points before it, time features for every point
    and `extra` points after it (the forecast's)."""

    values: Any  # float32 (pad + n + extra), NaN: missing
    features: Any  # float32 (pad + n + extra, F)
    cat: Any  # int64 (number of cat features,)
    n: int
    pad: int


def prepare(values: Any, start: Any, cat: list[int] | None, layout: Layout, extra: int = 0) -> Prepared:
    pad = layout.span
    y = np.concatenate([np.full(pad, np.nan), np.asarray(values, dtype=np.float64), np.full(extra, np.nan)])
    first = padded_start(start, layout.freq, pad) if layout.uses_time else None
    features = time_features(first, layout.freq, len(y), layout.time_features) if layout.uses_time else \
        np.zeros((len(y), 4 * len(layout.time_features)), dtype=np.float32)
    given = list(cat or [])  # a category training never saw (or none given): the unknown index
    codes = np.asarray([given[i] if i < len(given) and given[i] < card else card
                        for i, card in enumerate(layout.cat_cardinalities)], dtype=np.int64)
    return Prepared(y.astype(np.float32), features, codes, len(values), pad)


def _forward_filled(u: Any) -> Any:
    """NaN carried forward along axis 1 (leading NaN: the first observed value; none: 0)."""
    mask = np.isfinite(u)
    index = np.where(mask, np.arange(u.shape[1])[None, :], 0)
    np.maximum.accumulate(index, axis=1, out=index)
    out = np.take_along_axis(np.where(mask, u, 0.0), index, axis=1)
    first = np.argmax(mask, axis=1)
    leading = np.arange(u.shape[1])[None, :] < first[:, None]
    fill = np.where(mask.any(axis=1), u[np.arange(len(u)), first], 0.0)
    return np.where(leading, fill[:, None], out)


class Windows:
    """Batches of windows (inputs, targets) cut from prepared series, as the net reads them."""

    def __init__(self, layout: Layout):
        self.layout = layout
        lags = np.asarray(layout.lags)
        steps = layout.context + layout.horizon
        self.lag_index = max(layout.lags) + np.arange(steps)[:, None] - lags[None, :]  # (T, L) into the span

    def scale(self, raw: Any) -> Any:
        """Mean |value| of each window's observed context (else of its lags' reach; else 1)."""
        reach = max(self.layout.lags)
        out = np.ones(len(raw))
        for part in (raw[:, :reach], raw[:, reach:reach + self.layout.context]):  # the later one wins
            magnitude = np.abs(part)
            observed = np.isfinite(magnitude).sum(axis=1)
            mean = np.where(observed > 0, np.nansum(magnitude, axis=1) / np.maximum(observed, 1), 0.0)
            out = np.where(mean > 0, mean, out)
        return out

    def transform(self, raw: Any, scale: Any) -> Any:
        u = raw / scale[:, None]
        if self.layout.log:
            u = np.log(np.maximum(u, 1e-3))
        return u

    def inverse(self, u: Any, scale: Any) -> Any:
        return (np.exp(u) if self.layout.log else u) * scale[:, None]

    def inputs(self, items: list[tuple[Prepared, int]]) -> dict[str, Any]:
        """The windows ending (exclusive) at point `end` of each series: numpy arrays."""
        layout = self.layout
        span, steps = layout.span, layout.context + layout.horizon
        raw = np.stack([p.values[p.pad + end - span:p.pad + end] for p, end in items]).astype(np.float64)
        features = np.stack([p.features[p.pad + end - steps:p.pad + end] for p, end in items])
        scale = self.scale(raw)
        u = self.transform(raw, scale)
        filled = _forward_filled(u)
        return {"lagged": filled[:, self.lag_index], "observed": np.isfinite(raw)[:, self.lag_index[:, 0]],
                "features": features, "cat": np.stack([p.cat for p, _ in items]),
                "log_scale": (np.log(scale) - layout.log_scale_mean) / layout.log_scale_std,
                "target": u[:, span - steps:], "scale": scale, "filled": filled, "u": u}

    def tensors(self, batch: dict[str, Any], on: Any) -> dict[str, Any]:
        import torch

        dynamic = np.concatenate([batch["lagged"], batch["observed"][..., None], batch["features"]], axis=2)
        return {"dynamic": torch.as_tensor(dynamic, dtype=torch.float32, device=on),
                "cat": torch.as_tensor(batch["cat"], dtype=torch.long, device=on),
                "static": torch.as_tensor(batch["log_scale"][:, None], dtype=torch.float32, device=on),
                "target": torch.as_tensor(batch["target"], dtype=torch.float32, device=on)}


def build_net(layout: Layout, cell_type: str, num_layers: int, num_cells: int, dropout: float, likelihood: str,
              embedding_dimension: int) -> Any:
    import torch
    import torch.nn.functional as F
    from torch import nn

    class DeepARNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            tables = [nn.Embedding(card + 1, min(embedding_dimension, (card + 2) // 2 + 1))
                      for card in layout.cat_cardinalities]
            with torch.no_grad():  # the unknown category's row: zeros, never trained
                for card, table in zip(layout.cat_cardinalities, tables, strict=True):
                    table.weight[card].zero_()
            self.embeddings = nn.ModuleList(tables)
            embedded = sum(table.embedding_dim for table in tables)
            rnn = nn.LSTM if cell_type == "lstm" else nn.GRU
            self.rnn = rnn(layout.input_size + embedded, num_cells, num_layers, batch_first=True,
                           dropout=dropout if num_layers > 1 else 0.0)
            self.head = nn.Linear(num_cells, 3 if likelihood == "student-T" else 2)

        def forward(self, dynamic: Any, cat: Any, static: Any, state: Any = None) -> tuple[Any, Any]:
            fixed = [static] + [embed(cat[:, i]) for i, embed in enumerate(self.embeddings)]
            fixed_t = torch.cat(fixed, dim=1)[:, None, :].expand(-1, dynamic.shape[1], -1)
            out, state = self.rnn(torch.cat([dynamic, fixed_t], dim=2), state)
            return self.head(out), state

        def distribution(self, params: Any) -> Any:
            loc, sigma = params[..., 0], F.softplus(params[..., 1]) + MIN_SIGMA
            if likelihood == "student-T":
                return torch.distributions.StudentT(2.0 + F.softplus(params[..., 2]), loc, sigma)
            return torch.distributions.Normal(loc, sigma)

        def loss(self, inputs: dict[str, Any], last: int | None = None) -> tuple[Any, Any]:
            """(sum of the negative log-likelihood over observed targets, their count); `last`:
            only the window's last steps."""
            params, _ = self(inputs["dynamic"], inputs["cat"], inputs["static"])
            target = inputs["target"]
            if last is not None:
                params, target = params[:, -last:], target[:, -last:]
            observed = torch.isfinite(target)
            nll = -self.distribution(params).log_prob(torch.where(observed, target, torch.zeros_like(target)))
            return (nll * observed).sum(), observed.sum()

    return DeepARNet()


class DeepARModel(TorchPredictor):
    """The fitted DeepAR net (weights as arrays): forecasts from the history a request sends."""

    kind = "deepar"

    def __init__(self, layout: Layout, net_config: dict[str, Any], weights: dict[str, Any], quantiles: list[float],
                 num_samples: int):
        self.layout, self.net_config, self.weights = layout, net_config, weights
        self.quantiles, self.num_samples, self.horizon = quantiles, num_samples, layout.horizon

    def build_net(self) -> Any:
        return build_net(self.layout, **self.net_config)

    def forecast_many(self, histories: list[tuple[Any, Any, list[int] | None]], quantiles: list[float] | None = None,
                      num_samples: int | None = None, net: Any = None, on: Any = None) -> list[dict[str, Any]]:
        """DeepAR's answer for each (values, start, cat): the mean and the quantiles of sampled paths."""
        import torch

        wanted = quantiles or self.quantiles
        samples = num_samples or self.num_samples
        net = net if net is not None else self.net()
        on = on if on is not None else torch.device("cpu")
        out: list[dict[str, Any] | None] = [None] * len(histories)
        pending = []
        for i, (values, start, cat) in enumerate(histories):
            y = np.asarray(values, dtype=np.float64)
            if not np.any(np.isfinite(y) & (y != 0)):  # all zeros or nothing observed: zeros (as the seasonal model)
                zeros = [0.0] * self.horizon
                out[i] = {"mean": zeros, "quantiles": {f"{q:g}": list(zeros) for q in wanted}}
            else:
                pending.append((i, prepare(y, start, cat, self.layout, extra=self.horizon)))
        chunk = max(1, 8192 // samples)
        was_training = net.training
        net.eval()
        try:
            for first in range(0, len(pending), chunk):
                part = pending[first:first + chunk]
                paths = self._sample([p for _, p in part], samples, net, on)  # (B, samples, horizon)
                for (i, _), path in zip(part, paths, strict=True):
                    levels = np.quantile(path, wanted, axis=0)
                    out[i] = {"mean": path.mean(axis=0).tolist(),
                              "quantiles": {f"{q:g}": level.tolist() for q, level in zip(wanted, levels, strict=True)}}
        finally:
            net.train(was_training)
        return [o for o in out if o is not None]

    def _sample(self, prepared: list[Prepared], samples: int, net: Any, on: Any) -> Any:
        import torch

        layout = self.layout
        windows = Windows(layout)
        steps, horizon, reach = layout.context + layout.horizon, layout.horizon, max(layout.lags)
        batch = windows.inputs([(p, p.n + horizon) for p in prepared])
        tensors = windows.tensors(batch, on)
        # Draws stay within the history's range widened by that range (a diverging path would
        # otherwise drag the mean anywhere).
        seen = batch["u"][:, :reach + layout.context]
        low, high = np.nanmin(seen, axis=1), np.nanmax(seen, axis=1)
        width = high - low + (1.0 if layout.log else np.maximum(np.abs(high), 1.0))
        low, high = low - width, high + width
        if layout.nonnegative and not layout.log:
            low = np.maximum(low, 0.0)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            _, state = net(tensors["dynamic"][:, :layout.context], tensors["cat"], tensors["static"])
            state = tuple(s.repeat_interleave(samples, dim=1) for s in state) if isinstance(state, tuple) else \
                state.repeat_interleave(samples, dim=1)
            path = torch.as_tensor(batch["filled"], dtype=torch.float32, device=on).repeat_interleave(samples, dim=0)
            dynamic = tensors["dynamic"].repeat_interleave(samples, dim=0)
            cat = tensors["cat"].repeat_interleave(samples, dim=0)
            static = tensors["static"].repeat_interleave(samples, dim=0)
            lo = torch.as_tensor(low, dtype=torch.float32, device=on).repeat_interleave(samples)
            hi = torch.as_tensor(high, dtype=torch.float32, device=on).repeat_interleave(samples)
            lag_index = torch.as_tensor(windows.lag_index, device=on)
            for t in range(layout.context, steps):
                step = dynamic[:, t:t + 1].clone()
                step[:, 0, :len(layout.lags)] = path[:, lag_index[t]]
                step[:, 0, len(layout.lags)] = 1.0  # the previous value is known (drawn)
                params, state = net(step, cat, static, state)
                draw = net.distribution(params[:, 0]).sample()
                path[:, reach + t] = torch.minimum(torch.maximum(draw, lo), hi)
            future = path[:, reach + layout.context:].cpu().numpy().astype(np.float64)
        scale = np.repeat(batch["scale"], samples)
        values = windows.inverse(future, scale)
        return values.reshape(len(prepared), samples, horizon)

    def predict(self, x: Any, quantiles: Any = None, num_samples: Any = None) -> list[dict[str, Any]]:
        from .forecaster import requested_quantiles

        starts = x["start"] if "start" in getattr(x, "columns", []) else [None] * len(x["target"])
        cats = x["cat"] if "cat" in getattr(x, "columns", []) else [None] * len(x["target"])
        histories = []
        for n, (target, start, cat) in enumerate(zip(x["target"], starts, cats, strict=True)):
            if self.layout.uses_time and (start is None or (isinstance(start, float) and math.isnan(start))
                                          or start == ""):
                raise ValueError(f"instances[{n}].start: this model uses the time of each point; send the "
                                 "series' start")
            histories.append((as_numbers(target), start or None, categories(cat, n)))
        samples = int(num_samples) if num_samples else None
        if samples is not None and not 1 <= samples <= 10_000:
            raise ValueError(f"params.num_samples: {samples} is not between 1 and 10000")
        return self.forecast_many(histories, requested_quantiles(quantiles), samples)


def fit_layout(series: list[Series], freq: str | None, season: int, context: int, horizon: int,
               log: bool | None) -> Layout:
    observed = np.concatenate([s.observed[np.isfinite(s.observed)] for s in series] or [np.zeros(0)])
    positive = bool(len(observed)) and bool(np.all(observed > 0))
    cards = [0] * max((len(s.cat or []) for s in series), default=0)
    for s in series:
        for i, c in enumerate(s.cat or []):
            cards[i] = max(cards[i], c + 1)
    uses_time = bool(freq) and all(s.start is not None for s in series)
    layout = Layout(freq=freq, lags=lags_for(freq, season), context=context, horizon=horizon,
                    time_features=cycles_of(freq) if uses_time else [], cat_cardinalities=cards,
                    log=positive if log is None else bool(log) and positive,
                    nonnegative=bool(len(observed)) and bool(np.all(observed >= 0)), uses_time=uses_time)
    scales = []
    for s in series:
        magnitude = np.abs(s.observed[np.isfinite(s.observed)])
        if len(magnitude) and magnitude.mean() > 0:
            scales.append(math.log(magnitude.mean()))
    if scales:
        layout.log_scale_mean = float(np.mean(scales))
        layout.log_scale_std = float(np.std(scales)) or 1.0
    return layout


def fitted_model(net: Any, layout: Layout, net_config: dict[str, Any], quantiles: list[float],
                 num_samples: int) -> DeepARModel:
    return DeepARModel(layout, net_config, state_arrays(net), quantiles, num_samples)


def train(hp: Any, train_series: list[Series], validation_series: list[Series] | None, freq: str | None, season: int,
          log_metric: Any) -> DeepARModel:
    """Fit the net on windows of `train_series`; each epoch's validation loss (the likelihood of
    the last prediction_length points of each validation series, from the points before them)
    keeps the best weights and stops early. Without validation series, the last prediction_length
    points of the training series are held out for it."""
    import time

    import torch

    from .torch_support import EpochLoop, device

    horizon = hp.prediction_length
    context = hp.context_length or default_context(horizon, freq, season)
    usable = [s for s in train_series if np.isfinite(s.observed).any()]
    if not usable:
        raise ValueError("the train channel's series have no observed value to learn from")
    layout = fit_layout(usable, freq, season, context, horizon, hp.log_transform)
    if validation_series is None:  # hold out the last horizon of the series long enough to spare it
        validation_series = [s for s in usable if len(s.observed) > horizon + 2]
        usable = [Series(s.name, s.start, s.values[:-horizon], s.observed[:-horizon], s.cat)
                  if len(s.observed) > horizon + 2 else s for s in usable]
    validation_series = [s for s in validation_series
                         if len(s.observed) > horizon and np.isfinite(s.observed[-horizon:]).any()]
    on = device()
    if on.type == "cpu":
        # A small recurrent net's matrices are too small for threads to pay: measured on a 2-CPU
        # job, one thread trains 2-3x faster than two.
        torch.set_num_threads(1)
    torch.manual_seed(hp.seed)
    generator = torch.Generator().manual_seed(hp.seed)
    net_config = {"cell_type": hp.cell_type, "num_layers": hp.num_layers, "num_cells": hp.num_cells,
                  "dropout": hp.dropout_rate, "likelihood": hp.likelihood,
                  "embedding_dimension": hp.embedding_dimension}
    net = build_net(layout, **net_config).to(on)
    optimizer = torch.optim.Adam(net.parameters(), lr=hp.learning_rate)
    windows = Windows(layout)
    prepared = [prepare(s.observed, s.start, s.cat, layout) for s in usable]
    # A window may end anywhere from the middle of the first context on (earlier: mostly padding).
    first_end = [min(p.n, context // 2 + 1) for p in prepared]
    counts = np.asarray([p.n - first + 1 for p, first in zip(prepared, first_end, strict=True)])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    checked = [(prepare(s.observed, s.start, s.cat, layout), len(s.observed)) for s in validation_series]
    print(f"[train] deepar: {len(prepared)} series, {int(counts.sum())} windows of {context} + {horizon} points, "
          f"lags {layout.lags}, time features {layout.time_features or 'none'}, "
          f"{'log' if layout.log else 'linear'} scale; validation on {len(checked)} series", flush=True)
    loop = EpochLoop(hp.epochs, hp.early_stopping_patience if checked else None,
                     {"net": net, "optimizer": optimizer, "generator": generator})
    for epoch in loop.epochs():
        started = time.monotonic()
        net.train()
        total, count = 0.0, 0
        for _ in range(hp.num_batches_per_epoch):
            picks = torch.randint(int(offsets[-1]), (hp.mini_batch_size,), generator=generator).numpy()
            which = np.searchsorted(offsets, picks, side="right") - 1
            items = [(prepared[i], first_end[i] + int(pick - offsets[i])) for i, pick in zip(which, picks, strict=True)]
            loss_sum, observed = net.loss(windows.tensors(windows.inputs(items), on))
            if observed == 0:
                continue
            loss = loss_sum / observed
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
            optimizer.step()
            total, count = total + float(loss_sum.detach()), count + int(observed)
        train_loss = total / max(count, 1)
        log_metric("train:loss", train_loss, epoch)
        line = f"[train] epoch {epoch}/{hp.epochs}: train loss {train_loss:.4f}"
        if checked:
            validation_loss = _validation_loss(net, windows, checked, hp.mini_batch_size, horizon, on)
            log_metric("validation:loss", validation_loss, epoch)
            loop.validated(validation_loss)
            line += f", validation loss {validation_loss:.4f}"
        print(f"{line} ({time.monotonic() - started:.1f} s)", flush=True)
    loop.restore_best()
    return fitted_model(net, layout, net_config, list(hp.quantiles), hp.num_samples)


def _validation_loss(net: Any, windows: Windows, checked: list[tuple[Prepared, int]], batch: int, horizon: int,
                     on: Any) -> float:
    import torch

    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for first in range(0, len(checked), batch):
            loss_sum, observed = net.loss(windows.tensors(windows.inputs(checked[first:first + batch]), on),
                                          last=horizon)
            total, count = total + float(loss_sum), count + int(observed)
    net.train()
    return total / max(count, 1)
