"""word2vec: word vectors from a text column (PyTorch), BlazingText's unsupervised mode (skip-gram with
negative sampling, as Mikolov et al. 2013 and the original word2vec tool train it).

Each epoch: frequent words are dropped at random (the sampling threshold), each kept word's
context is the words within a random window of up to `window_size` on each side, and the model
learns to tell each (word, context word) pair from `negative_samples` random words drawn from the
unigram distribution raised to 3/4. The deployed model answers a word's vector, as BlazingText's
endpoint does; a word outside the vocabulary gets zeros and `"known": false`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from pydantic import Field

from ..schemas.algorithms import ChannelSpec, MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .text import text_column, tokenize, vocabulary
from .torch_support import EpochLoop, device


class Word2VecHyperparameters(Hyperparameters):
    text_column: str | None = Field(default=None, max_length=256,
                                    description="the column holding the text (default: the only text column)")
    vector_dim: int = Field(default=100, ge=2, le=1000, description="the dimension of the word vectors",
                            json_schema_extra=tunable(16, 300, "Logarithmic"))
    window_size: int = Field(default=5, ge=1, le=50, description="context words on each side (a random window of "
                                                                 "1 to this many, per word)",
                             json_schema_extra=tunable(2, 10))
    negative_samples: int = Field(default=5, ge=1, le=50, description="random words per (word, context) pair",
                                  json_schema_extra=tunable(2, 20))
    min_count: int = Field(default=5, ge=1, le=100_000, description="ignore words seen fewer times")
    sampling_threshold: float = Field(default=1e-4, ge=0, le=1,
                                      description="drop occurrences of words more frequent than this (a word of "
                                                  "frequency f is kept with probability sqrt(t/f) + t/f); 0: "
                                                  "keep all")
    epochs: int = Field(default=5, ge=1, le=500, description="passes over the texts")
    learning_rate: float = Field(default=0.025, gt=0, le=10,
                                 description="SGD's step size per pair, decaying linearly to 0 over the training",
                                 json_schema_extra=tunable(0.005, 0.1, "Logarithmic"))
    mini_batch_size: int = Field(default=1024, ge=1, le=65_536, description="(word, context) pairs per step")
    seed: int = Field(default=0, ge=0)


class WordVectors:
    """The fitted vectors: rows of `word` -> {"word", "vector", "known"} (zeros for an unknown word)."""

    def __init__(self, words: list[str], vectors: Any):
        self.index = {word: i for i, word in enumerate(words)}
        self.vectors = vectors

    def vector(self, word: Any) -> Any:
        i = self.index.get(word.lower()) if isinstance(word, str) else None
        return self.vectors[i] if i is not None else None

    def predict(self, x: Any) -> list[dict[str, Any]]:
        words = x["word"] if hasattr(x, "columns") else np.asarray(x, dtype=object).reshape(len(x), -1)[:, 0]
        zeros = [0.0] * self.vectors.shape[1]
        answers = []
        for word in words:
            vector = self.vector(word)
            answers.append({"word": word, "vector": vector.tolist() if vector is not None else zeros,
                            "known": vector is not None})
        return answers


def _pairs(corpus: Any, documents: Any, keep: Any, window: int, rng: Any) -> tuple[Any, Any]:
    """One epoch's (word, context word) pairs of the corpus (word ids and their document numbers):
    occurrences subsampled with `keep` (a probability per word id), each kept word with a random
    window of 1..`window` words on each side, within its document (word2vec's dynamic window)."""
    kept = rng.random(len(corpus)) < keep[corpus]
    words, docs = corpus[kept], documents[kept]
    reach = rng.integers(1, window + 1, len(words))
    centers, contexts = [], []
    for distance in range(1, window + 1):
        same = docs[:-distance] == docs[distance:]
        left = np.flatnonzero(same & (reach[:-distance] >= distance))  # the word on the left as the center
        right = np.flatnonzero(same & (reach[distance:] >= distance))  # the word on the right as the center
        centers += [words[left], words[right + distance]]
        contexts += [words[left + distance], words[right]]
    return np.concatenate(centers), np.concatenate(contexts)


def _SkipGram(words: int, dim: int) -> Any:  # noqa: N802 (builds a torch module)
    import torch.nn.functional as F
    from torch import nn

    class SkipGram(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # word2vec's start: small random word vectors, zero context vectors.
            self.words, self.contexts = nn.Embedding(words, dim, sparse=True), nn.Embedding(words, dim, sparse=True)
            nn.init.uniform_(self.words.weight, -0.5 / dim, 0.5 / dim)
            nn.init.zeros_(self.contexts.weight)

        def loss(self, center: Any, context: Any, negatives: Any) -> Any:
            """Summed over the pairs: each pair's step is the learning rate, as in word2vec."""
            u = self.words(center)
            positive = F.logsigmoid((u * self.contexts(context)).sum(1))
            negative = F.logsigmoid(-(self.contexts(negatives) @ u.unsqueeze(2)).squeeze(2)).sum(1)
            return -(positive + negative).sum()

    return SkipGram()


class Word2Vec(BaseAlgorithm):
    name = "word2vec"
    title = "Word vectors (word2vec)"
    use_case = "nlp"
    problem_types = ("embeddings",)
    description = ("Learns a vector per word from a text column: skip-gram with negative sampling (PyTorch), "
                   "BlazingText's unsupervised mode; the loss is logged every epoch. CUDA on a GPU instance type; "
                   "checkpoints every epoch when the job asks. The model answers a word's vector.")
    Hyperparameters = Word2VecHyperparameters
    channels = (ChannelSpec(name="train", required=True, description="the texts (one column of text)"),)
    needs_label = False
    metrics = (MetricSpec(name="train:loss", direction="Minimize",
                          description="every epoch: the mean loss per (word, context) pair"),)
    inference = {"request": 'a `word` column, e.g. {"instances": [{"word": "film"}, {"word": "movie"}]}',
                 "response": '{"predictions": [{"word": "film", "vector": [...], "known": true}, ...]} (zeros and '
                             '"known": false for a word outside the vocabulary)'}
    supports_gpu = True

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        import pandas as pd
        import torch
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, DataType, Schema

        train = data["train"]
        column = text_column(train, hp.text_column)
        documents = [tokenize(t) for t in train.x[column]]
        words, counts = vocabulary(documents, hp.min_count)
        if len(words) < 2:
            raise ValueError(f"{train.source}: {len(words)} word(s) seen at least {hp.min_count} times "
                             "(hyperparameters.min_count); word vectors need a vocabulary")
        index = {word: i for i, word in enumerate(words)}
        ids = [[index[t] for t in tokens if t in index] for tokens in documents]
        corpus = np.fromiter((i for doc in ids for i in doc), dtype=np.int64)
        document_of = np.repeat(np.arange(len(ids)), [len(doc) for doc in ids])
        frequency = np.asarray(counts, dtype=np.float64) / len(corpus)
        keep = (np.minimum(1.0, np.sqrt(hp.sampling_threshold / frequency) + hp.sampling_threshold / frequency)
                if hp.sampling_threshold > 0 else np.ones(len(words)))
        noise = torch.from_numpy(np.asarray(counts, dtype=np.float64) ** 0.75)
        print(f"[train] {len(words)} words seen at least {hp.min_count} times, {len(corpus)} occurrences in "
              f"{len(ids)} texts", flush=True)

        on = device(max_threads=1)  # small sparse steps: one thread (see fasttext.py)
        torch.manual_seed(hp.seed)
        generator = torch.Generator().manual_seed(hp.seed)
        net = _SkipGram(len(words), hp.vector_dim).to(on)
        optimizer = torch.optim.SGD(net.parameters(), lr=hp.learning_rate)
        # The expected number of pairs over the training: the step size decays linearly along it.
        expected = max(1.0, float(keep[corpus].sum()) * (hp.window_size + 1) * hp.epochs)
        loop = EpochLoop(hp.epochs, None, {"net": net, "optimizer": optimizer, "generator": generator})
        metrics: dict[str, float] = {}
        with torch.sparse.check_sparse_tensor_invariants(enable=False):
            for epoch in loop.epochs():
                started = time.monotonic()
                # Each epoch its own draw, reproducible from the seed and the epoch (also after a resume).
                rng = np.random.default_rng([hp.seed, epoch])
                centers, contexts = (torch.from_numpy(a) for a in _pairs(corpus, document_of, keep, hp.window_size,
                                                                         rng))
                order = torch.randperm(len(centers), generator=generator)
                done = (epoch - 1) * expected / hp.epochs
                total = 0.0
                for start in range(0, len(order), hp.mini_batch_size):
                    index_ = order[start:start + hp.mini_batch_size]
                    for group in optimizer.param_groups:
                        group["lr"] = hp.learning_rate * max(1e-4, 1.0 - (done + start) / expected)
                    negatives = torch.multinomial(noise, len(index_) * hp.negative_samples, replacement=True,
                                                  generator=generator).view(len(index_), -1)
                    loss = net.loss(centers[index_].to(on), contexts[index_].to(on), negatives.to(on))
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += loss.item()
                metrics["train:loss"] = total / max(1, len(order))
                log_metric("train:loss", metrics["train:loss"], epoch)
                print(f"[train] epoch {epoch}/{hp.epochs}: {len(order)} pairs, loss {metrics['train:loss']:.4f} "
                      f"({time.monotonic() - started:.1f} s)", flush=True)
        model = WordVectors(words, net.words.weight.detach().cpu().numpy())
        train.x = pd.DataFrame({"word": words[:5]})  # the logged input example: words
        signature = ModelSignature(inputs=Schema([ColSpec(DataType.string, "word")]))
        return Fitted(model, metrics, "embeddings", signature=signature)
