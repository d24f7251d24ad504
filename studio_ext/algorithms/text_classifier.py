"""text-classifier: BlazingText's supervised mode, two models for short texts (reviews, tickets, titles).

- `tfidf-linear` (the default): tf-idf word (and character) n-grams and logistic regression
  (scikit-learn, on the CPU).
- `fasttext`: fastText's model in PyTorch (fasttext.py): hashed word n-grams averaged into one
  vector, a linear layer; per-epoch metrics, checkpoints, CUDA on a GPU instance type.

Each hyperparameter says which model it applies to; one for the other model is checked and unused.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..schemas.algorithms import MetricSpec
from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import classification_metrics, problem_type, score_channels
from .text import text_column


class TextClassifierHyperparameters(Hyperparameters):
    model: Literal["tfidf-linear", "fasttext"] = Field(
        default="tfidf-linear", description="tfidf-linear: tf-idf n-grams and logistic regression (scikit-learn, "
                                            "CPU); fasttext: fastText's model in PyTorch (hashed word n-grams "
                                            "averaged, a linear layer; CUDA on a GPU instance type, metrics every "
                                            "epoch, checkpoints)")
    text_column: str | None = Field(default=None, max_length=256,
                                    description="the column holding the text (default: the only text column)")
    word_ngrams: int = Field(default=2, ge=1, le=3, description="word n-grams (2: words and word pairs)",
                             json_schema_extra=tunable(1, 3))
    char_ngrams: bool | None = Field(default=None, description="also character n-grams, robust to typos and "
                                                               "morphology (tfidf-linear: 2-5-grams of the text; "
                                                               "fasttext: 3-6-grams of each word, hashed into the "
                                                               "buckets). Default: on for tfidf-linear, off for "
                                                               "fasttext (slower, no better on short texts)")
    min_count: int = Field(default=2, ge=1, le=1000, description="ignore words seen fewer times (tfidf-linear: "
                                                                 "n-grams seen in fewer documents)")
    max_features: int = Field(default=200_000, ge=100, le=2_000_000,
                              description="tfidf-linear only: keep the most frequent n-grams")
    l2: float = Field(default=0.3, gt=0, le=1e4, description="tfidf-linear only: L2 regularization strength",
                      json_schema_extra=tunable(0.01, 10, "Logarithmic"))
    vector_dim: int = Field(default=100, ge=2, le=1000, description="fasttext only: the dimension of the word "
                                                                    "and n-gram vectors",
                            json_schema_extra=tunable(16, 300, "Logarithmic"))
    epochs: int = Field(default=5, ge=1, le=500, description="fasttext only: passes over the training texts")
    learning_rate: float = Field(default=0.05, gt=0, le=10, description="fasttext only: Adagrad's step size",
                                 json_schema_extra=tunable(0.005, 0.5, "Logarithmic"))
    mini_batch_size: int = Field(default=32, ge=1, le=4096, description="fasttext only: texts per step",
                                 json_schema_extra=tunable(8, 256, "Logarithmic"))
    buckets: int = Field(default=2_000_000, ge=1000, le=10_000_000,
                         description="fasttext only: hash buckets of the word (and character) n-grams; only "
                                     "buckets the training texts fill get a vector")
    early_stopping_patience: int | None = Field(default=3, ge=1, le=500,
                                                description="fasttext only: stop when the validation loss has not "
                                                            "improved for this many epochs (needs a validation "
                                                            "channel; the best epoch's weights are kept)")
    seed: int = Field(default=0, ge=0, description="fasttext only: initial weights and shuffling")


class TextClassifier(BaseAlgorithm):
    name = "text-classifier"
    title = "Text classifier"
    use_case = "nlp"
    problem_types = ("binary", "multiclass")
    description = ("Classifies texts with tf-idf word (and character) n-grams and logistic regression, or with "
                   "fastText's model (PyTorch; CUDA on a GPU instance type, metrics every epoch, checkpoints); "
                   "the model takes the text column and answers the label.")
    Hyperparameters = TextClassifierHyperparameters
    metrics = (*(m for c in ("train", "validation", "test") for m in classification_metrics(c)),
               MetricSpec(name="train:loss", direction="Minimize", description="fasttext, every epoch"),
               MetricSpec(name="validation:loss", direction="Minimize", description="fasttext, every epoch"))
    inference = {"request": 'the text column, e.g. {"instances": [{"text": "a fine film"}]} or CSV rows',
                 "response": '{"predictions": [label, ...]}'}
    supports_gpu = True  # fasttext; tfidf-linear trains on the CPU of any instance type

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        train = data["train"]
        column = text_column(train, hp.text_column)
        kind = problem_type(train.y)
        if kind == "regression":
            raise ValueError(f"{train.source}: the label looks numeric with many values; text-classifier needs "
                             "classes")
        if hp.model == "fasttext":
            from .fasttext import fit_fasttext

            return fit_fasttext(hp, data, column, kind, log_metric)
        vectorizers = [("words", TfidfVectorizer(ngram_range=(1, hp.word_ngrams), min_df=hp.min_count,
                                                 max_features=hp.max_features, sublinear_tf=True))]
        if hp.char_ngrams is not False:
            vectorizers.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=hp.min_count,
                                                         max_features=hp.max_features, sublinear_tf=True)))
        position = list(train.x.columns).index(column)
        pipeline = Pipeline([
            ("prepare", ColumnTransformer([("text", FeatureUnion(vectorizers), position)])),
            ("model", LogisticRegression(C=1.0 / hp.l2, max_iter=2000)),
        ])
        pipeline.fit(train.x.fillna({column: ""}), train.y)
        for dataset in data.values():
            dataset.x = dataset.x.fillna({column: ""})
        return Fitted(pipeline, score_channels(pipeline, data, kind, log_metric), kind)
