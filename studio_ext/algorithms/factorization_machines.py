"""factorization-machines: a recommender over (user, item) pairs (PyTorch), SageMaker's
Factorization Machines for the common case of two categorical fields, which is biased matrix
factorization: score = global bias + user bias + item bias + <user factors, item factors>.

- `regressor` (explicit feedback): the label is a rating; the loss is squared error.
- `binary_classifier` (implicit feedback): the label is 1 for an interaction (0 rows optional);
  with positives only, unseen items are sampled as negatives; the score is a probability.

The deployed model answers, for rows of `user` and `item`, the predicted rating (or probability);
with `"params": {"top_k": k}` it answers, for each row's user, the k best items the user has not
rated in training (the item column may then be left out). Unknown users or items get the biases
they have (the global one at least), never an error.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ..schemas.algorithms import MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .torch_support import EpochLoop, device, group


class FactorizationMachinesHyperparameters(Hyperparameters):
    predictor_type: Literal["regressor", "binary_classifier"] = Field(
        default="regressor", description="regressor: ratings; binary_classifier: implicit feedback (interactions)")
    user_column: str | None = Field(default=None, max_length=256,
                                    description="default: `user` or `user_id`, else the first feature column")
    item_column: str | None = Field(default=None, max_length=256,
                                    description="default: `item` or `item_id`, else the second feature column")
    num_factors: int = Field(default=64, ge=1, le=1024, description="dimension of the user and item factors",
                             json_schema_extra=tunable(8, 256, "Logarithmic"))
    epochs: int = Field(default=40, ge=1, le=1000)
    mini_batch_size: int = Field(default=256, ge=1, le=1_000_000, json_schema_extra=tunable(256, 8192, "Logarithmic"))
    learning_rate: float = Field(default=5e-3, gt=0, le=1, json_schema_extra=tunable(1e-4, 5e-2, "Logarithmic"))
    factors_wd: float = Field(default=0.1, ge=0, le=100, description="L2 on the factors of each batch's rows",
                              json_schema_extra=tunable(1e-4, 1.0, "Logarithmic"))
    bias_wd: float = Field(default=0.01, ge=0, le=100, description="L2 on the user and item biases",
                           json_schema_extra=tunable(1e-4, 1.0, "Logarithmic"))
    negative_samples: int = Field(default=4, ge=1, le=100,
                                  description="binary_classifier with positives only: unseen items per interaction")
    top_k: int = Field(default=10, ge=1, le=1000, description="items a top-k request answers when it does not say")
    early_stopping_patience: int | None = Field(default=3, ge=1, le=1000,
                                                description="stop when the validation loss has not improved for "
                                                            "this many epochs (needs a validation channel)")
    seed: int = Field(default=0, ge=0)


def _column(x: Any, given: str | None, names: tuple[str, ...], position: int, what: str, source: str) -> str:
    if given is not None:
        if given not in x.columns:
            raise ValueError(f"hyperparameters.{what}_column: {source} has no column {given!r}")
        return given
    for name in names:
        if name in x.columns:
            return name
    if x.shape[1] <= position:
        raise ValueError(f"{source}: needs a {what} column and an item column besides the label")
    return str(x.columns[position])


class Recommender:
    """The fitted factors as numpy arrays: ratings for pairs and top-k items for users."""

    def __init__(self, user_column: str, item_column: str, users: Any, items: Any, weights: dict[str, Any],
                 seen: dict[int, Any], binary: bool, top_k: int):
        self.user_column, self.item_column = user_column, item_column
        self.users, self.items, self.binary, self.top_k = users, items, binary, top_k
        self.user_index = {u: i for i, u in enumerate(users.tolist())}
        self.item_index = {v: i for i, v in enumerate(items.tolist())}
        self.weights, self.seen = weights, seen

    def _codes(self, values: Any, index: dict[Any, int]) -> Any:
        return np.fromiter((index.get(v, -1) for v in _plain(values)), dtype=np.int64, count=len(values))

    def _scores(self, u: Any, i: Any) -> Any:
        w = self.weights
        known_u, known_i = u >= 0, i >= 0
        score = np.full(len(u), float(w["bias"]), dtype=np.float64)
        score[known_u] += w["user_bias"][u[known_u]]
        score[known_i] += w["item_bias"][i[known_i]]
        both = known_u & known_i
        score[both] += np.einsum("ij,ij->i", w["user_factors"][u[both]], w["item_factors"][i[both]])
        return 1.0 / (1.0 + np.exp(-score)) if self.binary else score

    def predict(self, x: Any, top_k: int = 0) -> Any:
        users = self._codes(x[self.user_column], self.user_index)
        if top_k <= 0:
            if self.item_column not in x.columns:
                raise ValueError(f"column {self.item_column!r} is required (or ask for top_k)")
            return self._scores(users, self._codes(x[self.item_column], self.item_index))
        return [self.recommend(u, top_k) for u in users]

    def recommend(self, user: int, k: int) -> list[Any]:
        """The k best items for one user (by code) that the user has not rated in training."""
        w = self.weights
        score = w["item_bias"].astype(np.float64).copy()
        if user >= 0:
            score += w["item_factors"] @ w["user_factors"][user]
            score[self.seen.get(user, [])] = -np.inf
        k = min(k, len(score))
        best = np.argpartition(-score, k - 1)[:k]
        return self.items[best[np.argsort(-score[best])]].tolist()


def _ids(values: Any) -> Any:
    """The distinct ids of a column, sorted: integers when they all are, else text."""
    distinct = set(_plain(values))
    if all(isinstance(v, int) for v in distinct):
        return np.asarray(sorted(distinct), dtype=np.int64)
    return np.asarray(sorted(distinct, key=str), dtype=object)


def _plain(values: Any) -> list[Any]:
    """Ids as Python values (an id sent as 3.0 or "3" in JSON finds the user 3 of the training)."""
    out = []
    for v in values.tolist() if hasattr(values, "tolist") else list(values):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        out.append(v)
    return out


class FactorizationMachines(BaseAlgorithm):
    name = "factorization-machines"
    title = "Factorization machines (recommender)"
    use_case = "recommendation"
    problem_types = ("regression", "binary")
    description = ("Learns user and item factors from (user, item, rating) rows or implicit interactions "
                   "(PyTorch). Answers a rating for a (user, item) pair, or the top-k unseen items of a user.")
    Hyperparameters = FactorizationMachinesHyperparameters
    default_label = "rating"
    metrics = (MetricSpec(name="train:loss", direction="Minimize"),
               MetricSpec(name="validation:rmse", direction="Minimize"),
               MetricSpec(name="validation:mae", direction="Minimize"),
               MetricSpec(name="validation:roc_auc", direction="Maximize"),
               MetricSpec(name="validation:loss", direction="Minimize"))
    inference = {"request": 'rows of user and item, e.g. {"dataframe_records": [{"user_id": 196, "item_id": 242}]}; '
                            'top-k: {"dataframe_records": [{"user_id": 196}], "params": {"top_k": 5}}',
                 "response": '{"predictions": [3.9, ...]} (ratings, or probabilities for implicit feedback); '
                             'top-k: {"predictions": [[item, ...], ...]} best first',
                 "params": {"top_k": "int: answer the k best unseen items of each row's user"}}
    supports_gpu = True
    supports_distributed = True

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        import torch

        train = data["train"]
        user_col = _column(train.x, hp.user_column, ("user", "user_id", "userId"), 0, "user", train.source)
        item_col = _column(train.x, hp.item_column, ("item", "item_id", "itemId", "movie_id", "movieId"), 1,
                           "item", train.source)
        binary = hp.predictor_type == "binary_classifier"
        users, items = _ids(train.x[user_col]), _ids(train.x[item_col])
        shell = Recommender(user_col, item_col, users, items, {}, {}, binary, hp.top_k)
        u = shell._codes(train.x[user_col], shell.user_index)
        i = shell._codes(train.x[item_col], shell.item_index)
        y = np.asarray(train.y, dtype=np.float32)
        if binary and not np.isin(y, (0, 1)).all():
            raise ValueError(f"{train.source}: a binary_classifier takes labels 0 and 1 (1: an interaction)")
        positives_only = binary and bool((y == 1).all())
        # What each user already rated (or interacted with): never recommended back.
        seen = dict(_group(u, i, y == 1 if binary else None))

        on, ranks = device(), group()
        batch_size = ranks.batch_size(hp.mini_batch_size)
        torch.manual_seed(hp.seed)
        generator = torch.Generator().manual_seed(hp.seed)
        net = _Factors(len(users), len(items), hp.num_factors, float(y.mean()) if not binary else 0.0).to(on)
        optimizer = torch.optim.Adam(net.parameters(), lr=hp.learning_rate)
        tu, ti, ty = (torch.from_numpy(a) for a in (u, i, y))
        validation = self._validation(data.get("validation"), shell, user_col, item_col)
        loop = EpochLoop(hp.epochs, hp.early_stopping_patience,
                         {"net": net, "optimizer": optimizer, "generator": generator})
        for epoch in loop.epochs():
            started = time.monotonic()
            net.train()
            bu, bi, by = tu, ti, ty
            if positives_only:  # each epoch, fresh random items as the negatives
                negatives = torch.randint(0, len(items), (len(tu) * hp.negative_samples,), generator=generator)
                bu = torch.cat([tu, tu.repeat(hp.negative_samples)])
                bi = torch.cat([ti, negatives])
                by = torch.cat([ty, torch.zeros(len(negatives))])
            order = ranks.shard(torch.randperm(len(bu), generator=generator))
            total = 0.0
            for start in range(0, len(order), batch_size):
                index = order[start:start + batch_size]
                cu, ci, cy = bu[index].to(on), bi[index].to(on), by[index].to(on)
                loss = net.loss(cu, ci, cy, binary)
                penalty = net.penalty(cu, ci, hp.factors_wd, hp.bias_wd) / len(index)
                optimizer.zero_grad()
                (loss + penalty).backward()
                ranks.average_gradients(net)
                optimizer.step()
                total += loss.item() * len(index)
            train_loss = ranks.mean(total / len(order))
            log_metric("train:loss", train_loss, epoch)
            line = f"[train] epoch {epoch}/{hp.epochs}: train loss {train_loss:.4f}"
            if validation is not None:
                metrics = self._score(_recommender(net, shell, seen), validation, binary)
                for name, value in metrics.items():
                    log_metric(f"validation:{name}", value, epoch)
                line += ", " + ", ".join(f"validation {k} {v:.4f}" for k, v in metrics.items())
                loop.validated(metrics["loss"])
            print(f"{line} ({time.monotonic() - started:.1f} s)", flush=True)
        loop.restore_best()
        model = _recommender(net, shell, seen)
        final: dict[str, float] = {}
        for channel, dataset in data.items():
            pairs = self._validation(dataset, shell, user_col, item_col)
            if pairs is not None:
                for name, value in self._score(model, pairs, binary).items():
                    final[f"{channel}:{name}"] = value
                    log_metric(f"{channel}:{name}", value, loop.epoch)
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

        def spec(name: str, values: Any, required: bool = True) -> ColSpec:
            kind = "long" if np.asarray(values).dtype.kind in "iu" else "string"
            return ColSpec(kind, name, required=required)

        signature = ModelSignature(inputs=Schema([spec(user_col, users), spec(item_col, items, required=False)]),
                                   outputs=Schema([ColSpec("double")]),
                                   params=ParamSchema([ParamSpec("top_k", "long", 0)]))
        for dataset in data.values():  # the logged input example: the pair columns only
            dataset.x = dataset.x[[user_col, item_col]]
        return Fitted(model, final, "binary" if binary else "regression", params={"top_k": 0}, signature=signature)

    @staticmethod
    def _validation(dataset: Dataset | None, shell: Recommender, user_col: str, item_col: str) -> Any:
        if dataset is None or dataset.y is None:
            return None
        for column in (user_col, item_col):
            if column not in dataset.x.columns:
                raise ValueError(f"{dataset.source}: no column {column!r}")
        return (shell._codes(dataset.x[user_col], shell.user_index),
                shell._codes(dataset.x[item_col], shell.item_index), np.asarray(dataset.y, dtype=np.float64))

    @staticmethod
    def _score(model: Recommender, pairs: Any, binary: bool) -> dict[str, float]:
        u, i, y = pairs
        predicted = model._scores(u, i)
        if binary:
            from sklearn.metrics import log_loss, roc_auc_score

            out = {"loss": float(log_loss(y, np.clip(predicted, 1e-7, 1 - 1e-7), labels=[0, 1]))}
            if len(np.unique(y)) == 2:
                out["roc_auc"] = float(roc_auc_score(y, predicted))
            return out
        error = predicted - y
        rmse = float(np.sqrt(np.mean(error ** 2)))
        return {"rmse": rmse, "mae": float(np.mean(np.abs(error))), "loss": rmse ** 2}


def _group(u: Any, i: Any, keep: Any | None) -> Any:
    """(user code, the item codes of its interactions) for each user."""
    if keep is not None:
        u, i = u[keep], i[keep]
    order = np.argsort(u, kind="stable")
    u, i = u[order], i[order]
    bounds = np.flatnonzero(np.diff(u)) + 1
    for users, bought in zip(np.split(u, bounds), np.split(i, bounds), strict=True):
        if len(users):
            yield int(users[0]), np.unique(bought)


def _recommender(net: Any, shell: Recommender, seen: dict[int, Any]) -> Recommender:
    weights = {"bias": float(net.bias.detach().cpu()), "user_bias": net.user_bias.weight.detach().cpu().numpy()[:, 0],
               "item_bias": net.item_bias.weight.detach().cpu().numpy()[:, 0],
               "user_factors": net.user_factors.weight.detach().cpu().numpy(),
               "item_factors": net.item_factors.weight.detach().cpu().numpy()}
    return Recommender(shell.user_column, shell.item_column, shell.users, shell.items, weights, seen, shell.binary,
                       shell.top_k)


def _Factors(users: int, items: int, factors: int, mean: float) -> Any:  # noqa: N802 (builds a torch module)
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Factors(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bias = nn.Parameter(torch.tensor(mean))
            self.user_bias, self.item_bias = nn.Embedding(users, 1), nn.Embedding(items, 1)
            self.user_factors, self.item_factors = nn.Embedding(users, factors), nn.Embedding(items, factors)
            for table in (self.user_bias, self.item_bias):
                nn.init.zeros_(table.weight)
            for table in (self.user_factors, self.item_factors):
                nn.init.normal_(table.weight, std=0.05)

        def forward(self, u: Any, i: Any) -> Any:
            return (self.bias + self.user_bias(u)[:, 0] + self.item_bias(i)[:, 0]
                    + (self.user_factors(u) * self.item_factors(i)).sum(1))

        def loss(self, u: Any, i: Any, y: Any, binary: bool) -> Any:
            score = self(u, i)
            return F.binary_cross_entropy_with_logits(score, y) if binary else F.mse_loss(score, y)

        def penalty(self, u: Any, i: Any, factors_wd: float, bias_wd: float) -> Any:
            return (factors_wd * (self.user_factors(u).pow(2).sum() + self.item_factors(i).pow(2).sum())
                    + bias_wd * (self.user_bias(u).pow(2).sum() + self.item_bias(i).pow(2).sum()))

    return Factors()
