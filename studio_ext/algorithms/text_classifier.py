"""text-classifier: tf-idf n-grams and a linear classifier (scikit-learn), BlazingText's supervised
mode in spirit: fast, strong on short texts (reviews, tickets, titles)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import BaseAlgorithm, Dataset, Fitted, Hyperparameters, LogMetric, tunable
from .tabular import classification_metrics, problem_type, score_channels


class TextClassifierHyperparameters(Hyperparameters):
    text_column: str | None = Field(default=None, max_length=256,
                                    description="the column holding the text (default: the only text column)")
    word_ngrams: int = Field(default=2, ge=1, le=3, description="word n-grams (2: words and word pairs)",
                             json_schema_extra=tunable(1, 3))
    char_ngrams: bool = Field(default=True, description="also character 2-5-grams (robust to typos, morphology)")
    min_count: int = Field(default=2, ge=1, le=1000, description="ignore n-grams seen in fewer documents")
    max_features: int = Field(default=200_000, ge=100, le=2_000_000)
    l2: float = Field(default=0.3, gt=0, le=1e4, description="L2 regularization strength",
                      json_schema_extra=tunable(0.01, 10, "Logarithmic"))


class TextClassifier(BaseAlgorithm):
    name = "text-classifier"
    title = "Text classifier"
    use_case = "nlp"
    problem_types = ("binary", "multiclass")
    description = ("Classifies texts with tf-idf word (and character) n-grams and logistic regression; the model "
                   "takes the text column and answers the label.")
    Hyperparameters = TextClassifierHyperparameters
    metrics = tuple(m for c in ("train", "validation", "test") for m in classification_metrics(c))
    inference = {"request": 'the text column, e.g. {"instances": [{"text": "a fine film"}]} or CSV rows',
                 "response": '{"predictions": [label, ...]}'}

    def fit(self, hp: Any, data: dict[str, Dataset], log_metric: LogMetric) -> Fitted:
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        train = data["train"]
        column = self._text_column(train, hp.text_column)
        kind = problem_type(train.y)
        if kind == "regression":
            raise ValueError(f"{train.source}: the label looks numeric with many values; text-classifier needs "
                             "classes")
        vectorizers = [("words", TfidfVectorizer(ngram_range=(1, hp.word_ngrams), min_df=hp.min_count,
                                                 max_features=hp.max_features, sublinear_tf=True))]
        if hp.char_ngrams:
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

    @staticmethod
    def _text_column(train: Dataset, given: str | None) -> str:
        if given is not None:
            if given not in train.x.columns:
                raise ValueError(f"hyperparameters.text_column: {train.source} has no column {given!r}")
            return given
        texts = [c for c in train.x.columns if train.x[c].dtype.kind in "OU" or str(train.x[c].dtype) == "string"]
        if len(texts) != 1:
            raise ValueError(f"{train.source}: {len(texts)} text columns ({', '.join(texts[:5])}); name the one to "
                             "classify with hyperparameters.text_column")
        return texts[0]
