"""Text algorithms: text-classifier's fasttext model and word2vec as real jobs (MLflow run, registered
model, replica), their checkpoints and device rule in process, their catalog entries and validation
over HTTP."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from studio_ext.algorithms.base import Dataset
from studio_ext.algorithms.text_classifier import TextClassifier
from studio_ext.schemas import JobStatus

FILLER = ["the", "film", "plot", "actors", "story", "was", "really", "quite", "and", "ending"]


def negations(n: int, seed: int) -> pd.DataFrame:
    """Reviews whose class only word pairs tell: fresh says "good" or "not bad", rotten "bad" or
    "not good". Single words cannot separate them (a linear model over words gets ~chance)."""
    rng = random.Random(seed)
    phrases = {"fresh": ["good", "not bad"], "rotten": ["bad", "not good"]}
    rows = []
    for _ in range(n):
        label = rng.choice(["fresh", "rotten"])
        words = rng.sample(FILLER, 4)
        words.insert(rng.randrange(5), rng.choice(phrases[label]))
        rows.append({"text": " ".join(words), "label": label, "length": len(words)})
    return pd.DataFrame(rows)


TOPICS = [["cat", "dog", "puppy", "kitten", "pet", "fur"], ["stock", "market", "price", "trade", "shares", "bank"],
          ["rain", "cloud", "storm", "wind", "snow", "weather"]]


def topics(n: int, seed: int) -> pd.DataFrame:
    """Sentences of four words of one topic among common words: words of a topic co-occur."""
    rng = random.Random(seed)
    common = ["the", "a", "of", "and", "was", "on", "today", "very", "in", "it"]
    rows = []
    for _ in range(n):
        words = rng.sample(rng.choice(TOPICS), 4) + rng.sample(common, 4)
        rng.shuffle(words)
        rows.append({"text": " ".join(words)})
    return pd.DataFrame(rows)


def channels(train_rows: int = 300) -> dict[str, Dataset]:
    train, validation = negations(train_rows, 0), negations(100, 1)
    return {"train": Dataset(train[["text", "length"]], train["label"], "train"),
            "validation": Dataset(validation[["text", "length"]], validation["label"], "validation")}


def test_given_reviews_told_by_word_pairs_when_fasttext_trains_then_each_epoch_is_charted_and_the_model_reads_pairs(
        running_studio):
    import mlflow.pyfunc

    s = running_studio
    (s.root / "negations").mkdir()
    negations(300, 0).to_csv(s.root / "negations" / "train.csv", index=False)
    negations(100, 1).to_csv(s.root / "negations" / "validation.csv", index=False)

    job = s.wait(s.submit(algorithm="text-classifier",
                          hyperparameters={"model": "fasttext", "text_column": "text", "epochs": 6,
                                           "early_stopping_patience": None},
                          channels={"train": "negations/train.csv", "validation": "negations/validation.csv"},
                          register_as="negations-fasttext", instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert job.training.result.metrics["validation:accuracy"] > 0.9, job.training.result.metrics
    client = MlflowClient(s.settings.mlflow_tracking_uri)
    assert client.get_run(job.mlflow_run_id).data.params["model"] == "fasttext"
    losses = client.get_metric_history(job.mlflow_run_id, "train:loss")
    assert [m.step for m in losses] == [1, 2, 3, 4, 5, 6] and losses[-1].value < losses[0].value
    assert [m.step for m in client.get_metric_history(job.mlflow_run_id, "validation:loss")] == [1, 2, 3, 4, 5, 6]
    accuracy = client.get_metric_history(job.mlflow_run_id, "validation:accuracy")
    assert {m.step for m in accuracy} == {1, 2, 3, 4, 5, 6}

    model = mlflow.pyfunc.load_model(client.get_model_version_download_uri("negations-fasttext", "1"))
    assert model.metadata.get_input_schema().input_names() == ["text"]  # the text column only
    texts = ["the plot was not good", "not bad at all, the actors", "a good story", "Bad. Really bad.", None]
    assert list(model.predict(pd.DataFrame({"text": texts})))[:4] == ["rotten", "fresh", "fresh", "rotten"]


def test_given_a_fasttext_checkpoint_when_training_starts_again_then_it_goes_on_from_the_saved_epoch(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SM_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    hp = {"model": "fasttext", "early_stopping_patience": None}
    first: list[int] = []
    TextClassifier().fit(TextClassifier.Hyperparameters(**hp, epochs=2), channels(),
                         lambda name, value, step: first.append(step) if name == "train:loss" else None)
    assert first == [1, 2] and (tmp_path / "checkpoints" / "checkpoint.pt").is_file()

    # the retry, with the epochs the job asked for: epochs 3 and 4 only, on the saved weights
    again: list[int] = []
    fitted = TextClassifier().fit(TextClassifier.Hyperparameters(**hp, epochs=4), channels(),
                                  lambda name, value, step: again.append(step) if name == "train:loss" else None)
    assert again == [3, 4]
    assert "resumed from the checkpoint of epoch 2" in capsys.readouterr().out
    assert fitted.metrics["validation:accuracy"] > 0.9


def test_given_single_words_only_then_fasttext_cannot_tell_the_negated_reviews_apart():
    """The same data with word_ngrams 1: the word pairs are what the bigram buckets carry."""
    fitted = TextClassifier().fit(TextClassifier.Hyperparameters(model="fasttext", word_ngrams=1, epochs=6),
                                  channels(), lambda *a: None)
    assert fitted.metrics["validation:accuracy"] < 0.7, fitted.metrics


def test_given_a_gpu_instance_type_without_cuda_then_fasttext_refuses_instead_of_using_the_cpu(monkeypatch):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device: the refusal cannot happen here")
    monkeypatch.setenv("SM_NUM_GPUS", "1")
    with pytest.raises(ValueError, match="the instance type has 1 GPU"):
        TextClassifier().fit(TextClassifier.Hyperparameters(model="fasttext", epochs=1), channels(),
                             lambda *a: None)


def test_given_a_corpus_of_topics_when_word2vec_trains_then_a_words_nearest_neighbour_shares_its_topic(
        running_studio):
    import requests
    from serving_models import start_replica, stop_replica

    s = running_studio
    (s.root / "topics").mkdir()
    topics(400, 0).to_csv(s.root / "topics" / "train.csv", index=False)

    job = s.wait(s.submit(algorithm="word2vec",
                          hyperparameters={"epochs": 10, "vector_dim": 20, "min_count": 2,
                                           "sampling_threshold": 0.01},
                          channels={"train": "topics/train.csv"}, register_as="topics-w2v",
                          instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert job.training.result.problem_type == "embeddings"
    client = MlflowClient(s.settings.mlflow_tracking_uri)
    losses = client.get_metric_history(job.mlflow_run_id, "train:loss")
    assert [m.step for m in losses] == list(range(1, 11)) and losses[-1].value < losses[0].value

    words = [w for topic in TOPICS for w in topic]
    proc, url = start_replica(client.get_model_version_download_uri("topics-w2v", "1"), workers=1)
    try:  # BlazingText's unsupervised request: one word per instance
        answer = requests.post(url + "/invocations", timeout=60,
                               json={"instances": [{"word": w} for w in [*words, "zebra"]]})
    finally:
        stop_replica(proc)
    assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    assert predictions[-1] == {"word": "zebra", "vector": [0.0] * 20, "known": False}
    vectors = np.array([p["vector"] for p in predictions[:-1]])
    assert all(p["known"] for p in predictions[:-1]) and vectors.shape == (18, 20)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -1)
    for i, word in enumerate(words):  # each word's nearest neighbour is of its own topic
        nearest = words[int(similarity[i].argmax())]
        assert nearest in TOPICS[i // 6], (word, nearest)


# ------------------------------------------------------------------ the catalog and validation, over HTTP


async def test_given_the_catalog_then_text_classifier_shows_its_models_and_which_hyperparameter_applies_to_which(
        studio_api):
    status, spec = await studio_api("GET", "algorithms", "text-classifier")

    assert status == 200, spec
    properties = spec["hyperparameters"]["properties"]
    assert properties["model"]["enum"] == ["tfidf-linear", "fasttext"] and properties["model"]["default"] == \
        "tfidf-linear"
    for name in ("vector_dim", "epochs", "learning_rate", "buckets", "mini_batch_size", "early_stopping_patience"):
        assert properties[name]["description"].startswith("fasttext only"), name
    for name in ("max_features", "l2"):
        assert properties[name]["description"].startswith("tfidf-linear only"), name
    assert (properties["vector_dim"]["minimum"], properties["vector_dim"]["maximum"]) == (2, 1000)
    assert properties["word_ngrams"]["x-tunable"] is True
    assert spec["supports_gpu"] is True and "CUDA on a GPU instance type" in spec["description"]
    assert {"name": "validation:loss", "direction": "Minimize"}.items() <= next(
        m for m in spec["metrics"] if m["name"] == "validation:loss").items()

    status, spec = await studio_api("GET", "algorithms", "word2vec")
    assert status == 200, spec
    assert (spec["use_case"], spec["problem_types"]) == ("nlp", ["embeddings"])
    assert [c["name"] for c in spec["channels"]] == ["train"]
    assert {"window_size", "negative_samples", "sampling_threshold", "vector_dim"} <= set(
        spec["hyperparameters"]["properties"])


@pytest.mark.parametrize(("algorithm", "hyperparameters", "message"), [
    ("text-classifier", {"model": "bert"}, "hyperparameters.model: Input should be 'tfidf-linear' or 'fasttext'"),
    ("text-classifier", {"model": "fasttext", "vector_dim": 0}, "hyperparameters.vector_dim: Input should be "
                                                                "greater than or equal to 2 (got 0)"),
    ("text-classifier", {"buckets": 10**9}, "hyperparameters.buckets: Input should be less than or equal to"),
    ("text-classifier", {"dim": 10}, "hyperparameters.dim: unknown hyperparameter"),
    ("word2vec", {"window_size": 0}, "hyperparameters.window_size: "),
    ("word2vec", {"sampling_threshold": -1}, "hyperparameters.sampling_threshold: "),
])
async def test_given_a_bad_text_hyperparameter_then_400_names_it(studio_api, algorithm, hyperparameters, message):
    status, error = await studio_api("POST", "jobs", body={"algorithm": algorithm, "hyperparameters": hyperparameters,
                                                           "channels": {"train": "texts/train.csv"}})

    assert status == 400, error
    assert error["message"].startswith(message), error["message"]
