"""text-classifier's `fasttext` model (PyTorch): fastText's supervised model, as BlazingText trains it.

A text's words (those seen `min_count` times in training) and its word n-grams (and, when asked,
the character 3-6-grams of its words) hashed into `buckets` are ids into one embedding table; the
text's vector is the mean of their rows (EmbeddingBag), and a linear layer and a softmax give the
class probabilities. Embeddings take sparse gradients and Adagrad updates only the rows a batch
used, so an epoch costs what its texts hold, not what the table holds.

Buckets are compacted at training time: only the buckets the training texts fill get a row (the
pickled model holds what was learned, not 2 million random vectors), and a bucket no training
text filled is skipped when scoring, as a word outside the vocabulary is.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .base import Dataset, Fitted, LogMetric
from .tabular import score_channels
from .text import tokenize, vocabulary
from .torch_support import EpochLoop, TorchPredictor, device, state_arrays

SEPARATOR = "\x1f"  # between the words of a hashed n-gram: no token holds it
SCORING_BATCH = 4096


class TextFeatures:
    """Texts -> ids into the embedding table: vocabulary words first, then the kept n-gram buckets."""

    def __init__(self, words: list[str], word_ngrams: int, char_ngrams: bool, buckets: int):
        self.index = {word: i for i, word in enumerate(words)}
        self.word_ngrams, self.char_ngrams, self.buckets = word_ngrams, char_ngrams, buckets
        self.kept = np.zeros(0, dtype=np.int64)  # sorted bucket numbers with a row (set by `fit`)

    @property
    def rows(self) -> int:
        return len(self.index) + len(self.kept)

    def _buckets(self, tokens: list[str]) -> list[int]:
        # crc32: a hash that is the same in every process (Python's str hash is salted per process).
        grams = [SEPARATOR.join(tokens[i:i + n]) for n in range(2, self.word_ngrams + 1)
                 for i in range(len(tokens) - n + 1)]
        if self.char_ngrams:
            for token in tokens:
                marked = f"<{token}>"
                grams += [marked[i:i + n] for n in range(3, 7) for i in range(len(marked) - n + 1)]
        return [zlib.crc32(g.encode()) % self.buckets for g in grams]

    def fit(self, documents: list[list[str]]) -> TextFeatures:
        """Keep the buckets the training texts fill."""
        self.kept = np.unique(np.fromiter((b for tokens in documents for b in self._buckets(tokens)),
                                          dtype=np.int64))
        return self

    def ids(self, tokens: list[str]) -> Any:
        words = [self.index[t] for t in tokens if t in self.index]
        buckets = np.asarray(self._buckets(tokens), dtype=np.int64)
        at = np.searchsorted(self.kept, buckets)
        known = at < len(self.kept)
        known[known] = self.kept[at[known]] == buckets[known]
        return np.concatenate([np.asarray(words, dtype=np.int64), len(self.index) + at[known]])

    def encode(self, documents: list[list[str]]) -> Ragged:
        return Ragged([self.ids(tokens) for tokens in documents])


class Ragged:
    """Texts of different lengths as one flat id array; `take` gives a batch as EmbeddingBag takes it."""

    def __init__(self, rows: list[Any]):
        self.lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.flat = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.lengths)

    def take(self, index: Any) -> tuple[Any, Any]:
        """(ids, offsets) of the texts at `index`, as tensors."""
        import torch

        lengths = self.lengths[index]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        positions = np.repeat(self.starts[index] - offsets, lengths) + np.arange(lengths.sum(), dtype=np.int64)
        return torch.from_numpy(self.flat[positions]), torch.from_numpy(offsets)


def build_net(rows: int, dim: int, classes: int) -> Any:
    from torch import nn

    class FastText(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.EmbeddingBag(max(rows, 1), dim, mode="mean", sparse=True)
            self.output = nn.Linear(dim, classes)
            # fastText's start: small random input vectors, a zero output layer.
            nn.init.uniform_(self.embedding.weight, -1.0 / dim, 1.0 / dim)
            nn.init.zeros_(self.output.weight)
            nn.init.zeros_(self.output.bias)

        def forward(self, ids: Any, offsets: Any) -> Any:
            return self.output(self.embedding(ids, offsets))

    return FastText()


def texts_of(x: Any, column: str) -> list[str]:
    values = x[column] if hasattr(x, "columns") else np.asarray(x, dtype=object).reshape(len(x), -1)[:, 0]
    return [v if isinstance(v, str) else "" for v in values]


class FastTextModel(TorchPredictor, ClassifierMixin, BaseEstimator):
    """The fitted fastText classifier: the text column -> label (scored on the CPU of a replica)."""

    def __init__(self, column: str = "text", features: TextFeatures | None = None, classes: Any = None,
                 vector_dim: int = 100, weights: dict[str, Any] | None = None):
        self.column, self.features, self.classes, self.vector_dim = column, features, classes, vector_dim
        self.weights = weights or {}
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def build_net(self) -> Any:
        assert self.features is not None
        return build_net(self.features.rows, self.vector_dim, len(self.classes_))

    def predict_proba(self, x: Any) -> Any:
        import torch

        assert self.features is not None
        encoded = self.features.encode([tokenize(t) for t in texts_of(x, self.column)])
        if not len(encoded):
            return np.zeros((0, len(self.classes_)))
        with torch.no_grad():
            return torch.softmax(_logits(self.net(), encoded, torch.device("cpu")), dim=1).numpy()

    def predict(self, x: Any) -> Any:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]


def _logits(net: Any, encoded: Ragged, on: Any) -> Any:
    import torch

    return torch.cat([net(*(t.to(on) for t in encoded.take(np.arange(i, min(i + SCORING_BATCH, len(encoded))))))
                      for i in range(0, len(encoded), SCORING_BATCH)])


def fit_fasttext(hp: Any, data: dict[str, Dataset], column: str, kind: str, log_metric: LogMetric) -> Fitted:
    """Train the fastText model on `data[column]` (see the module docstring), one epoch at a time
    under EpochLoop (checkpoints, resume, early stopping, best validation weights)."""
    import torch
    import torch.nn.functional as F

    train = data["train"]
    classes, codes = np.unique(np.asarray(train.y), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{train.source}: the label has one class ({classes[0]!r}); a classifier needs two or more")
    started = time.monotonic()
    documents = [tokenize(t) for t in texts_of(train.x, column)]
    words, _counts = vocabulary(documents, hp.min_count)
    char_ngrams = bool(hp.char_ngrams)  # fasttext's default (None): off
    features = TextFeatures(words, hp.word_ngrams, char_ngrams, hp.buckets).fit(documents)
    x, y = features.encode(documents), torch.from_numpy(codes.astype(np.int64))
    print(f"[train] {len(words)} words seen at least {hp.min_count} times, {len(features.kept)} n-gram buckets "
          f"filled ({time.monotonic() - started:.1f} s)", flush=True)
    validation = data.get("validation")
    held_out = None  # the validation texts of known classes, and their class numbers
    if validation is not None and validation.y is not None:
        known = np.isin(np.asarray(validation.y), classes)
        texts = [t for t, k in zip(texts_of(validation.x, column), known, strict=True) if k]
        if texts:
            held_out = (features.encode([tokenize(t) for t in texts]),
                        torch.from_numpy(np.searchsorted(classes, np.asarray(validation.y)[known]).astype(np.int64)))

    # Batches of a few texts: one thread (a second one made the epochs 20x slower on a busy 2-CPU machine).
    on = device(max_threads=1)
    torch.manual_seed(hp.seed)
    generator = torch.Generator().manual_seed(hp.seed)
    net = build_net(features.rows, hp.vector_dim, len(classes)).to(on)
    # Adagrad takes the embedding's sparse gradients: each step touches the rows its batch used.
    optimizer = torch.optim.Adagrad(net.parameters(), lr=hp.learning_rate)
    loop = EpochLoop(hp.epochs, hp.early_stopping_patience,
                     {"net": net, "optimizer": optimizer, "generator": generator})
    # Sparse gradients: torch warns unless told whether to check their invariants (its own, well formed).
    with torch.sparse.check_sparse_tensor_invariants(enable=False):
        for epoch in loop.epochs():
            started = time.monotonic()
            net.train()
            order = torch.randperm(len(x), generator=generator).numpy()
            total = 0.0
            for start in range(0, len(order), hp.mini_batch_size):
                index = order[start:start + hp.mini_batch_size]
                ids, offsets = x.take(index)
                loss = F.cross_entropy(net(ids.to(on), offsets.to(on)), y[index].to(on))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(index)
            log_metric("train:loss", total / len(x), epoch)
            line = f"[train] epoch {epoch}/{hp.epochs}: train loss {total / len(x):.4f}"
            if held_out is not None:
                val_x, val_y = held_out
                net.eval()
                with torch.no_grad():
                    logits = _logits(net, val_x, on).cpu()
                line += loop.validated_classifier(logits, val_y, log_metric)
            print(f"{line} ({time.monotonic() - started:.1f} s)", flush=True)
    loop.restore_best()
    model = FastTextModel(column, features, classes, hp.vector_dim, state_arrays(net))
    for dataset in data.values():  # the model (and its signature, its input example) takes the text column
        dataset.x = dataset.x[[column]]
    return Fitted(model, score_channels(model, data, kind, log_metric, step=loop.epoch), kind)
