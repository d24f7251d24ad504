"""Algorithm jobs: the catalog, validation before anything runs, and real training through the agent."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from mlflow import MlflowClient
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from studio_ext import algorithms, schemas
from studio_ext.exceptions import InvalidParameter, NotFound
from studio_ext.schemas import JobStatus
from studio_ext.services.jobs import JobService
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database


def write_splits(frame: pd.DataFrame, folder, train_rows: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shuffled = frame.sample(frac=1.0, random_state=0)
    shuffled.iloc[:train_rows].to_csv(folder / "train.csv", index=False)
    shuffled.iloc[train_rows:].to_csv(folder / "validation.csv", index=False)


@pytest.fixture
def service(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    settings = StudioSettings.from_env(home=tmp_path / "home", server_root=root)
    cancer = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"})
    write_splits(cancer, root / "cancer", 400)
    return JobService(Database(settings.db_url), settings)


def test_given_the_catalog_then_every_algorithm_declares_a_usable_contract():
    specs = {a.name: a.spec() for a in algorithms.catalog()}
    assert {"xgboost", "linear-learner", "knn", "random-forest", "isolation-forest", "kmeans", "pca", "image-classifier",
            "factorization-machines", "forecaster"} <= set(specs)
    xgb = specs["xgboost"]
    assert xgb.use_case == "predictive" and set(xgb.problem_types) == {"binary", "multiclass", "regression"}
    depth = xgb.hyperparameters["properties"]["max_depth"]
    assert (depth["type"], depth["minimum"], depth["maximum"], depth["default"]) == ("integer", 1, 20, 6)
    assert depth["x-tunable"] is True and depth["x-tuning-range"] == {"min": 2, "max": 10, "scaling": "Linear"}
    assert [c.name for c in xgb.channels if c.required] == ["train"]
    assert {"name": "validation:roc_auc", "direction": "Maximize"} in [m.model_dump(include={"name", "direction"})
                                                                        for m in xgb.metrics]
    for spec in specs.values():
        assert spec.metrics and spec.inference and spec.description


@pytest.mark.parametrize(("fields", "error", "message"), [
    ({"algorithm": "deep-magic"}, InvalidParameter, "algorithm: no built-in algorithm 'deep-magic'"),
    ({"hyperparameters": {"max_depth": 99}}, InvalidParameter, "hyperparameters.max_depth: "),
    ({"hyperparameters": {"depth": 3}}, InvalidParameter, "hyperparameters.depth: unknown hyperparameter"),
    ({"hyperparameters": {"eta": "fast"}}, InvalidParameter, "hyperparameters.eta: "),
    ({"channels": {"train": "cancer/missing.csv"}}, NotFound, "channels.train: no file or folder"),
    ({"channels": {"train": "../outside.csv"}}, InvalidParameter, "channels.train: '../outside.csv' is outside"),
    ({"channels": {"validation": "cancer/validation.csv"}}, InvalidParameter, "channels.train: required"),
    ({"channels": {"train": "cancer/train.csv", "holdout": "cancer/validation.csv"}}, InvalidParameter,
     "channels.holdout: xgboost takes the channels train, validation, test"),
    ({"channels": {"train": {"path": "cancer/train.csv", "label": "churn"}}}, InvalidParameter,
     "channels.train: train.csv has no column 'churn' (the label)"),
    ({"instance_type": "local.huge"}, InvalidParameter, "instance_type"),
    ({"instance_count": 2}, InvalidParameter, "instance_count: xgboost trains on one instance"),
])
def test_given_a_bad_training_request_then_it_is_refused_naming_the_field(service, fields, error, message):
    request = {"algorithm": "xgboost", "channels": {"train": "cancer/train.csv"}, **fields}
    with pytest.raises(error) as err:
        service.create_job(schemas.CreateJob(**request), "alice")
    assert err.value.message.startswith(message), err.value.message
    assert service.list_jobs(schemas.ListJobsQuery()).items == []


@pytest.mark.parametrize("fields", [
    {"algorithm": "xgboost"},  # no channels
    {"algorithm": "xgboost", "channels": {"train": "a.csv"}, "input": "nb.ipynb"},
    {"input": "nb.ipynb", "hyperparameters": {"eta": 0.1}},
    {"kind": "algorithm", "channels": {"train": "a.csv"}},
])
def test_given_a_request_mixing_job_kinds_then_the_schema_refuses_it(fields):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        schemas.CreateJob(**fields)


def test_given_xgboost_on_breast_cancer_when_trained_by_the_agent_then_the_model_is_logged_registered_and_scored(
        running_studio):
    s = running_studio
    cancer = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"})
    write_splits(cancer, s.root / "cancer", 400)
    job_id = s.submit(algorithm="xgboost", hyperparameters={"num_round": 60, "max_depth": 3, "eta": 0.2},
                      channels={"train": "cancer/train.csv", "validation": "cancer/validation.csv"},
                      register_as="cancer-xgb", instance_type="test.wide")

    job = s.wait(job_id)

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job_id))
    assert job.kind == "algorithm" and job.name == "xgboost" and job.input == "cancer/train.csv"
    result = job.training.result
    assert result.model_uri == "models:/cancer-xgb/1" and result.problem_type == "binary"
    assert result.metrics["validation:roc_auc"] > 0.97 and result.metrics["validation:accuracy"] > 0.9
    client = MlflowClient(s.settings.mlflow_tracking_uri)
    run = client.get_run(job.mlflow_run_id)
    assert run.data.params["max_depth"] == "3" and run.data.params["eta"] == "0.2"
    history = client.get_metric_history(job.mlflow_run_id, "validation:log_loss")
    assert len(history) > 10 and [p.step for p in history] == sorted(p.step for p in history)
    assert history[-1].value < history[0].value  # it learned, round after round
    # the registered model takes the data's own columns and answers labels
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(client.get_model_version_download_uri("cancer-xgb", "1"))
    rows = cancer.drop(columns=["label"]).head(5)
    assert set(model.predict(rows).tolist()) <= {0, 1}
    assert model.metadata.get_input_schema().input_names()[:2] == ["mean radius", "mean texture"]


SUPERVISED = [  # (algorithm, hyperparameters, data, metric, bound)
    ("linear-learner", {"l2": 0.1}, "iris", "validation:accuracy", 0.85),
    ("random-forest", {"num_trees": 50}, "diabetes", "validation:rmse", 70.0),
    ("knn", {"k": 7}, "iris", "validation:accuracy", 0.85),
]


def test_given_each_supervised_algorithm_when_trained_then_its_validation_metric_is_sound(running_studio):
    s = running_studio
    for data in ("iris", "diabetes"):
        frame = (load_iris(as_frame=True) if data == "iris" else load_diabetes(as_frame=True)).frame
        frame = frame.rename(columns={"target": "label"})
        if data == "iris":  # text labels and a text feature: encoded by the pipeline, answered as given
            frame["label"] = frame["label"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
            frame["lab"] = ["a", "b", "c"] * 50
        write_splits(frame, s.root / data, int(len(frame) * 0.7))
    # submitted together: they train side by side (test.wide takes 8 at once)
    jobs = [s.submit(algorithm=algorithm, hyperparameters=hp, instance_type="test.wide",
                     channels={"train": f"{data}/train.csv", "validation": f"{data}/validation.csv"})
            for algorithm, hp, data, _metric, _bound in SUPERVISED]
    for job_id, (algorithm, _hp, _data, metric, bound) in zip(jobs, SUPERVISED, strict=True):
        job = s.wait(job_id)
        assert job.status == JobStatus.COMPLETED, (algorithm, job.status_reason, s.log(job_id))
        value = job.training.result.metrics[metric]
        assert value >= bound if "accuracy" in metric else value <= bound, (algorithm, job.training.result.metrics)


def test_given_unsupervised_algorithms_when_trained_then_they_score_without_a_label(running_studio):
    s = running_studio
    rows = load_breast_cancer(as_frame=True).frame
    rows["label"] = 1 - rows.pop("target")  # 1: malignant, the rarer kind, as "the anomaly"
    write_splits(rows, s.root / "rows", 400)
    jobs = {
        "isolation-forest": s.submit(algorithm="isolation-forest", hyperparameters={"num_trees": 50},
                                     channels={"train": "rows/train.csv", "validation": "rows/validation.csv"},
                                     instance_type="test.wide"),
        "kmeans": s.submit(algorithm="kmeans", hyperparameters={"k": 3}, channels={"train": "rows/train.csv"},
                           instance_type="test.wide"),
    }
    forest, clusters = (s.wait(job_id) for job_id in jobs.values())
    assert forest.status == clusters.status == JobStatus.COMPLETED, (s.log(forest.job_id), s.log(clusters.job_id))
    # malignant rows are the more isolated ones: the anomaly score ranks them well above chance
    assert forest.training.result.metrics["validation:roc_auc"] > 0.75, forest.training.result.metrics
    assert clusters.training.result.metrics["train:silhouette"] > 0


def test_given_a_channel_the_training_cannot_read_then_the_job_fails_naming_file_and_column(running_studio):
    s = running_studio
    (s.root / "bad").mkdir()
    (s.root / "bad" / "train.csv").write_text("label,x\n1,2\n,3\n")
    job = s.wait(s.submit(algorithm="linear-learner", channels={"train": "bad/train.csv"}, instance_type="test.wide"))
    assert job.status == JobStatus.FAILED
    assert "channel 'train' (bad/train.csv): the label column 'label' has 1 empty values" in job.status_reason
    assert json.dumps(job.training.model_dump(mode="json"))  # the spec is still described


SAGEMAKER_SCRIPT = '''
import argparse, json, os
import joblib
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--n_estimators", type=int, default=10)
parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
args = parser.parse_args()
frame = pd.read_csv(os.path.join(args.train, "train.csv"))
model = RandomForestClassifier(n_estimators=args.n_estimators).fit(frame.drop(columns=["label"]), frame["label"])
joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
seen = {k: os.environ.get(k) for k in ("SM_HPS", "SM_NUM_GPUS", "SM_HOSTS", "SM_CURRENT_HOST", "SM_CHANNELS",
                                       "SM_OUTPUT_DATA_DIR")}
json.dump(seen, open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "seen.json"), "w"))
'''


def test_given_a_sagemaker_training_script_when_run_as_a_script_job_then_it_runs_unmodified_and_its_model_is_logged(
        running_studio):
    s = running_studio
    cancer = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"})
    write_splits(cancer, s.root / "sm-data", 400)
    (s.root / "sm").mkdir()
    (s.root / "sm" / "train.py").write_text(SAGEMAKER_SCRIPT)

    job = s.wait(s.submit(input="sm/train.py", parameters={"n_estimators": 20},
                          channels={"train": "sm-data"}, instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert job.environment["SM_CHANNEL_TRAIN"] == str((s.root / "sm-data").resolve())
    seen = json.loads(s.jobs.output_file(job.job_id, "data/seen.json").read_text())
    assert json.loads(seen["SM_HPS"]) == {"n_estimators": 20} and seen["SM_CHANNELS"] == '["train"]'
    assert (seen["SM_NUM_GPUS"], seen["SM_CURRENT_HOST"], seen["SM_HOSTS"]) == ("0", "algo-1", '["algo-1"]')
    artifacts = MlflowClient(s.settings.mlflow_tracking_uri).list_artifacts(job.mlflow_run_id, "model")
    assert [a.path for a in artifacts] == ["model/model.joblib"]
    assert "model.joblib" in {o.name.split("/")[-1] for o in job.outputs}


def test_given_channels_for_a_notebook_job_then_400_says_they_are_for_scripts(service):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nbformat.write(nb, str(service.settings.server_root / "nb.ipynb"))
    with pytest.raises(InvalidParameter, match="channels: only for script and algorithm jobs"):
        service.create_job(schemas.CreateJob(input="nb.ipynb", channels={"train": "cancer/train.csv"}), "alice")


def reviews(n: int, seed: int) -> pd.DataFrame:
    import random

    rng = random.Random(seed)
    good, bad = ["great", "wonderful", "moving", "brilliant", "fun"], ["dull", "awful", "boring", "clumsy", "flat"]
    filler = ["the", "film", "plot", "actors", "story", "was", "really", "quite", "and", "ending"]
    rows = []
    for _ in range(n):
        label = rng.choice(["fresh", "rotten"])
        words = rng.sample(filler, 5) + rng.sample(good if label == "fresh" else bad, 2)
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": label, "length": len(words)})
    return pd.DataFrame(rows)


def test_given_texts_when_the_text_classifier_trains_then_it_answers_labels_for_new_texts(running_studio):
    s = running_studio
    (s.root / "reviews").mkdir()
    reviews(300, 0).to_csv(s.root / "reviews" / "train.csv", index=False)
    reviews(100, 1).to_csv(s.root / "reviews" / "validation.csv", index=False)

    job = s.wait(s.submit(algorithm="text-classifier", hyperparameters={"text_column": "text"},
                          channels={"train": "reviews/train.csv", "validation": "reviews/validation.csv"},
                          register_as="reviews-text", instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert job.training.result.metrics["validation:accuracy"] > 0.9
    import mlflow.pyfunc

    uri = MlflowClient(s.settings.mlflow_tracking_uri).get_model_version_download_uri("reviews-text", "1")
    model = mlflow.pyfunc.load_model(uri)
    answer = model.predict(pd.DataFrame({"text": ["a brilliant and moving story", "dull and awful"], "length": [5, 3]}))
    assert list(answer) == ["fresh", "rotten"]


# ------------------------------------------------------------------ torch: image-classifier, checkpoints, GPU


def digits_channels(root, train_rows: int = 1000) -> None:
    """sklearn's 8x8 digits: `train` as .npz arrays, `validation` as a folder of PNGs per class."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.images))
    images, labels = digits.images[order].astype(np.uint8), digits.target[order]
    (root / "digits" / "validation").mkdir(parents=True, exist_ok=True)
    np.savez(root / "digits" / "train.npz", x=images[:train_rows], y=labels[:train_rows])
    for i, (image, label) in enumerate(zip(images[train_rows:], labels[train_rows:], strict=True)):
        folder = root / "digits" / "validation" / str(label)
        folder.mkdir(exist_ok=True)
        Image.fromarray(image, mode="L").save(folder / f"{i}.png")


def test_given_digit_images_when_the_image_classifier_trains_then_each_epoch_is_charted_and_the_model_reads_digits(
        running_studio):
    s = running_studio
    digits_channels(s.root)

    job = s.wait(s.submit(algorithm="image-classifier", hyperparameters={"epochs": 4},
                          channels={"train": "digits/train.npz", "validation": "digits/validation"},
                          register_as="digits-cnn", instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert job.training.result.metrics["validation:accuracy"] > 0.9, job.training.result.metrics
    client = MlflowClient(s.settings.mlflow_tracking_uri)
    history = client.get_metric_history(job.mlflow_run_id, "validation:loss")
    assert [m.step for m in history] == [1, 2, 3, 4]
    import mlflow.pyfunc
    import numpy as np
    from sklearn.datasets import load_digits

    model = mlflow.pyfunc.load_model(client.get_model_version_download_uri("digits-cnn", "1"))
    digits = load_digits()
    pixels = pd.DataFrame(digits.images[-50:].reshape(50, 64), columns=[f"pixel_{i}" for i in range(64)])
    assert np.mean(np.asarray(model.predict(pixels)) == digits.target[-50:]) > 0.9


def training_process(job_id: str):
    import psutil

    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "studio_ext.algorithms.train" in cmdline and job_id in cmdline:
            return proc
    return None


def kill_training_at(s, job_id: str, marker: str) -> None:
    """kill -9 the job's training process once its log shows `marker` (an epoch line)."""
    import signal

    s.wait_for(lambda: marker in s.log(job_id), timeout=180, what=marker)
    process = training_process(job_id)
    assert process is not None
    process.send_signal(signal.SIGKILL)


def test_given_a_checkpointing_job_killed_mid_training_then_the_retry_resumes_from_the_last_epoch(running_studio):
    import re

    s = running_studio
    digits_channels(s.root, train_rows=1400)
    job_id = s.submit(algorithm="image-classifier", hyperparameters={"epochs": 8, "early_stopping_patience": None},
                      channels={"train": "digits/train.npz", "validation": "digits/validation"},
                      checkpoint=True, max_retries=1, instance_type="test.wide")
    kill_training_at(s, job_id, "epoch 3/8")

    job = s.wait(job_id)

    assert job.status == JobStatus.COMPLETED and job.attempt == 2, (job.status_reason, s.log(job_id))
    assert job.environment["SM_CHECKPOINT_DIR"].endswith("checkpoints")
    resumed = int(re.search(r"resumed from the checkpoint of epoch (\d+)", s.log(job_id)).group(1))
    assert resumed >= 2
    # the retry's run continues the curve: epochs after the checkpoint only, none trained twice
    history = MlflowClient(s.settings.mlflow_tracking_uri).get_metric_history(job.mlflow_run_id, "train:loss")
    assert [m.step for m in history] == list(range(resumed + 1, 9))
    assert job.training.result.metrics["validation:accuracy"] > 0.9


def test_given_a_gpu_instance_type_without_cuda_then_a_torch_algorithm_refuses_instead_of_using_the_cpu(
        running_studio):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device: the refusal cannot happen here")
    s = running_studio
    digits_channels(s.root)
    job = s.wait(s.submit(algorithm="image-classifier", hyperparameters={"epochs": 1},
                          channels={"train": "digits/train.npz"}, instance_type="local.gpu"))
    assert job.status == JobStatus.FAILED
    assert "the instance type has 1 GPU(s) but CUDA sees none" in job.status_reason, job.status_reason


@pytest.mark.gpu
def test_given_a_gpu_instance_type_and_a_cuda_device_then_the_image_classifier_trains_on_cuda(running_studio):
    s = running_studio
    digits_channels(s.root / "gpu")
    job = s.wait(s.submit(algorithm="image-classifier", hyperparameters={"epochs": 4}, instance_type="local.gpu",
                          channels={"train": "gpu/digits/train.npz", "validation": "gpu/digits/validation"}))
    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert "[train] device cuda:0" in s.log(job.job_id)
    assert job.training.result.metrics["validation:accuracy"] > 0.9


def test_given_checkpoint_for_a_notebook_job_then_400_says_it_is_for_scripts_and_algorithms(service):
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(), str(service.settings.server_root / "nb.ipynb"))
    with pytest.raises(InvalidParameter, match="checkpoint: only for script and algorithm jobs"):
        service.create_job(schemas.CreateJob(input="nb.ipynb", checkpoint=True), "alice")


def ratings(users: int = 80, items: int = 50, per_user: int = 30, seed: int = 0) -> pd.DataFrame:
    """Ratings 1-5 from two hidden tastes: what a recommender should recover."""
    import numpy as np

    rng = np.random.default_rng(seed)
    taste, kind = rng.normal(size=(users, 2)), rng.normal(size=(items, 2))
    rows = []
    for user in range(users):
        for item in rng.choice(items, per_user, replace=False):
            rows.append({"user_id": user + 1, "item_id": f"m{item}",
                         "rating": float(np.clip(np.rint(3 + 1.2 * taste[user] @ kind[item]), 1, 5))})
    return pd.DataFrame(rows)


def test_given_ratings_when_factorization_machines_train_then_the_model_rates_pairs_and_ranks_unseen_items(
        running_studio):
    import mlflow.pyfunc
    import numpy as np

    s = running_studio
    frame = ratings()
    write_splits(frame, s.root / "ratings", int(len(frame) * 0.8))
    job = s.wait(s.submit(algorithm="factorization-machines", hyperparameters={"num_factors": 8, "epochs": 60, "mini_batch_size": 64, "learning_rate": 0.02},
                          channels={"train": "ratings/train.csv", "validation": "ratings/validation.csv"},
                          register_as="ratings-fm", instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    validation = pd.read_csv(s.root / "ratings" / "validation.csv")
    train = pd.read_csv(s.root / "ratings" / "train.csv")
    mean_only = float(np.sqrt(((validation["rating"] - train["rating"].mean()) ** 2).mean()))
    assert job.training.result.metrics["validation:rmse"] < 0.8 * mean_only, (job.training.result.metrics, mean_only)
    client = MlflowClient(s.settings.mlflow_tracking_uri)
    model = mlflow.pyfunc.load_model(client.get_model_version_download_uri("ratings-fm", "1"))
    pairs = validation.head(20)
    rated = np.asarray(model.predict(pairs[["user_id", "item_id"]]))
    assert rated.shape == (20,) and np.sqrt(np.mean((rated - pairs["rating"]) ** 2)) < 1.5 * mean_only
    top = model.predict(pd.DataFrame({"user_id": [1, 999]}), params={"top_k": 5})
    seen = set(train.loc[train["user_id"] == 1, "item_id"])
    assert len(top[0]) == 5 and not seen & set(top[0])  # unseen items only, best first
    assert len(top[1]) == 5  # an unknown user gets the items with the best biases
    assert rated[0] == pytest.approx(float(np.asarray(model.predict(pairs[["user_id", "item_id"]].head(1)))[0]))

    # deployed: MLflow's scoring protocol, params included
    import requests
    from serving_models import start_replica, stop_replica

    proc, url = start_replica(client.get_model_version_download_uri("ratings-fm", "1"), workers=1)
    try:
        records = pairs[["user_id", "item_id"]].head(3).to_dict(orient="records")
        answer = requests.post(url + "/invocations", json={"dataframe_records": records}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == pytest.approx(rated[:3].tolist())
        answer = requests.post(url + "/invocations", json={"dataframe_records": [{"user_id": 1}],
                                                           "params": {"top_k": 5}}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == [top[0]]
    finally:
        stop_replica(proc)


def monthly_series() -> pd.DataFrame:
    """Three related monthly series in a long table: trend and season, one with gaps, one all zeros."""
    import numpy as np

    rng = np.random.default_rng(0)
    months = pd.date_range("2015-01-01", periods=96, freq="MS")
    t = np.arange(96)
    rows = []
    for name, level in (("north", 200.0), ("south", 80.0)):
        values = level * (1 + 0.01 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12)) * rng.normal(1, 0.02, 96)
        rows += [{"item_id": name, "timestamp": m.date().isoformat(), "target": v} for m, v in zip(months, values,
                                                                                                  strict=True)]
    rows += [{"item_id": "closed", "timestamp": m.date().isoformat(), "target": 0.0} for m in months]
    frame = pd.DataFrame(rows)
    gaps = frame.index[(frame["item_id"] == "south") & frame["timestamp"].isin(["2017-03-01", "2017-04-01",
                                                                                   "2019-10-01"])]
    frame = frame.drop(index=gaps)
    frame.loc[frame.index[(frame["item_id"] == "south")][40], "target"] = None  # a missing value too
    return frame


def test_given_related_series_with_gaps_and_zeros_when_the_forecaster_trains_then_it_beats_naive_and_answers_deepar(
        running_studio):
    import mlflow.pyfunc
    import numpy as np
    import requests
    from serving_models import start_replica, stop_replica

    s = running_studio
    (s.root / "sales").mkdir()
    monthly_series().to_csv(s.root / "sales" / "train.csv", index=False)
    job = s.wait(s.submit(algorithm="forecaster", hyperparameters={"prediction_length": 12},
                          channels={"train": "sales/train.csv"}, register_as="sales-forecast",
                          instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert "3 series, frequency MS, season 12" in s.log(job.job_id)
    metrics = job.training.result.metrics
    assert metrics["validation:smape_ratio"] < 0.7, metrics  # the backtest beats the seasonal naive forecast
    uri = MlflowClient(s.settings.mlflow_tracking_uri).get_model_version_download_uri("sales-forecast", "1")
    history = monthly_series().query("item_id == 'north'")["target"].tolist()
    local = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"start": ["2015-01-01"], "target": [history]}))
    assert len(local[0]["mean"]) == 12 and set(local[0]["quantiles"]) == {"0.1", "0.5", "0.9"}

    proc, url = start_replica(uri, workers=1)
    try:  # SageMaker DeepAR's request, `configuration` included, as a DeepAR client sends it
        answer = requests.post(url + "/invocations", timeout=60, json={
            "instances": [{"start": "2015-01-01", "target": history}, {"start": "2015-01-01", "target": [0] * 40},
                          {"start": "2015-01-01", "target": [round(v) for v in history[:50]] + [None, "NaN"]}],
            "configuration": {"quantiles": ["0.1", "0.9"], "num_samples": 100, "output_types": ["quantiles"]}})
        assert answer.status_code == 200, answer.text
        north, closed, gaps = answer.json()["predictions"]
        assert len(gaps["mean"]) == 12 and all(np.isfinite(gaps["mean"]))
        assert set(north["quantiles"]) == {"0.1", "0.9"} and len(north["quantiles"]["0.9"]) == 12
        assert all(lo <= hi for lo, hi in zip(north["quantiles"]["0.1"], north["quantiles"]["0.9"], strict=True))
        assert np.mean(north["mean"]) > np.mean(history[-12:])  # the trend goes on
        assert closed["mean"] == [0.0] * 12
    finally:
        stop_replica(proc)


def deepar_series(points: int = 100) -> list[dict]:
    """DeepAR's JSON Lines: three related monthly seasonal series with their `cat`, a series of
    zeros, and one with gaps (null and "NaN")."""
    import numpy as np

    rng = np.random.default_rng(1)
    t = np.arange(points)
    rows = [{"start": "2015-01-01", "cat": [k],
             "target": (level * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * rng.normal(1, 0.03, points)).tolist()}
            for k, level in enumerate((100.0, 50.0, 20.0))]
    rows.append({"start": "2015-01-01", "cat": [3], "target": [0.0] * points})
    gaps: list = (30 * (1 + 0.3 * np.sin(2 * np.pi * t / 12))).tolist()
    gaps[10:15] = [None] * 5
    gaps[50] = "NaN"
    rows.append({"start": "2015-01-01", "cat": [4], "target": gaps})
    return rows


def write_jsonl(path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


DEEPAR_SMALL = {"model": "deepar", "prediction_length": 12, "freq": "MS", "num_batches_per_epoch": 8,
                "mini_batch_size": 16, "num_cells": 16, "num_samples": 50}


def test_given_related_series_when_the_deepar_forecaster_trains_then_epochs_are_charted_and_it_answers_deepar(
        running_studio):
    import mlflow.pyfunc
    import numpy as np
    import requests
    from serving_models import start_replica, stop_replica

    s = running_studio
    rows = deepar_series()
    write_jsonl(s.root / "related" / "train.jsonl", rows)
    job = s.wait(s.submit(algorithm="forecaster", hyperparameters={**DEEPAR_SMALL, "epochs": 3},
                          channels={"train": "related/train.jsonl"}, register_as="related-deepar",
                          instance_type="test.wide"))

    assert job.status == JobStatus.COMPLETED, (job.status_reason, s.log(job.job_id))
    assert "5 series, frequency MS, season 12" in s.log(job.job_id)
    client = MlflowClient(s.settings.mlflow_tracking_uri)
    for name in ("train:loss", "validation:loss"):  # charted per epoch
        assert [m.step for m in client.get_metric_history(job.mlflow_run_id, name)] == [1, 2, 3], name
    assert np.isfinite(job.training.result.metrics["validation:smape"])
    uri = client.get_model_version_download_uri("related-deepar", "1")
    with_gaps = [np.nan if v in (None, "NaN") else v for v in rows[4]["target"]]
    local = mlflow.pyfunc.load_model(uri).predict(
        pd.DataFrame({"start": ["2015-01-01"] * 3, "target": [rows[0]["target"], [0.0] * 30, with_gaps],
                      "cat": [[0], [3], [4]]}), params={"quantiles": [0.1, 0.5, 0.9]})
    seasonal, zeros, gaps = local
    assert len(seasonal["mean"]) == 12 and set(seasonal["quantiles"]) == {"0.1", "0.5", "0.9"}
    q = {k: np.asarray(v) for k, v in seasonal["quantiles"].items()}
    assert all(len(v) == 12 for v in q.values()) and (q["0.1"] <= q["0.5"]).all() and (q["0.5"] <= q["0.9"]).all()
    assert zeros["mean"] == [0.0] * 12
    assert np.isfinite(gaps["mean"]).all() and np.isfinite(gaps["quantiles"]["0.9"]).all()

    proc, url = start_replica(uri, workers=1)
    try:  # SageMaker DeepAR's request: cat, dynamic_feat (not used), gaps, any quantile, num_samples
        answer = requests.post(url + "/invocations", timeout=60, json={
            "instances": [{"start": "2015-01-01", "target": rows[1]["target"][:60], "cat": [1],
                           "dynamic_feat": [[0.0] * 72]},
                          {"start": "2015-01-01", "target": [round(v) for v in rows[2]["target"][:40]] + [None, "NaN"],
                           "cat": [7]}],
            "configuration": {"quantiles": ["0.05", "0.5", "0.95"], "num_samples": 30,
                              "output_types": ["mean", "quantiles"]}})
        assert answer.status_code == 200, answer.text
        for forecast in answer.json()["predictions"]:
            assert set(forecast["quantiles"]) == {"0.05", "0.5", "0.95"} and len(forecast["mean"]) == 12
            assert all(lo <= mid <= hi for lo, mid, hi in zip(*forecast["quantiles"].values(), strict=True))
        missing = requests.post(url + "/invocations", timeout=60, json={"instances": [{"target": [1.0, 2.0]}]})
        assert missing.status_code == 400 and "start" in missing.text, missing.text
    finally:
        stop_replica(proc)


def test_given_a_checkpointing_deepar_job_killed_mid_training_then_the_retry_resumes_from_the_last_epoch(
        running_studio):
    import re

    s = running_studio
    write_jsonl(s.root / "resumed" / "train.jsonl", deepar_series(points=200))
    hp = {**DEEPAR_SMALL, "epochs": 10, "num_batches_per_epoch": 40, "early_stopping_patience": None}
    job_id = s.submit(algorithm="forecaster", hyperparameters=hp, channels={"train": "resumed/train.jsonl"},
                      checkpoint=True, max_retries=1, instance_type="test.wide")
    kill_training_at(s, job_id, "epoch 2/10")

    job = s.wait(job_id)

    assert job.status == JobStatus.COMPLETED and job.attempt == 2, (job.status_reason, s.log(job_id))
    resumed = int(re.search(r"resumed from the checkpoint of epoch (\d+)", s.log(job_id)).group(1))
    assert resumed >= 2
    history = MlflowClient(s.settings.mlflow_tracking_uri).get_metric_history(job.mlflow_run_id, "validation:loss")
    assert [m.step for m in history] == list(range(resumed + 1, 11))  # the retry trains only the epochs left


def test_given_model_auto_when_the_forecaster_trains_then_both_models_are_scored_and_the_better_one_kept():
    from studio_ext.algorithms.base import Dataset
    from studio_ext.algorithms.forecaster import Forecaster

    logged: dict[str, float] = {}
    hp = Forecaster.Hyperparameters(**{**DEEPAR_SMALL, "model": "auto", "epochs": 2})
    fitted = Forecaster().fit(hp, {"train": Dataset(pd.DataFrame(deepar_series()), None, "train.jsonl")},
                              lambda name, value, step: logged.setdefault(name, value))

    scores = {kind: logged[f"validation:smape_{kind}"] for kind in ("seasonal", "deepar")}
    assert fitted.model.kind == min(scores, key=lambda kind: scores[kind])
    # the run's backtest is the kept model's (the same window: the train series' last points)
    assert fitted.metrics["validation:smape"] == pytest.approx(scores[fitted.model.kind])


def test_given_an_xgboost_checkpoint_when_training_starts_again_then_it_goes_on_from_the_saved_round(
        tmp_path, monkeypatch, capsys):
    from studio_ext.algorithms.base import Dataset
    from studio_ext.algorithms.xgb import XGBoost

    monkeypatch.setenv("SM_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"})
    features = frame.drop(columns=["label"])
    data = {"train": Dataset(features[:400], frame["label"][:400], "train"),
            "validation": Dataset(features[400:], frame["label"][400:], "validation")}
    first: list[int] = []
    XGBoost().fit(XGBoost.Hyperparameters(num_round=30, early_stopping_rounds=None), data,
                  lambda name, value, step: first.append(step) if name == "validation:log_loss" else None)
    assert (tmp_path / "checkpoints" / "xgboost.ubj").is_file() and first[:30] == list(range(30))

    # the retry (same job, more rounds left): from round 30 on, not from scratch
    again: list[int] = []
    fitted = XGBoost().fit(XGBoost.Hyperparameters(num_round=50, early_stopping_rounds=None), data,
                           lambda name, value, step: again.append(step) if name == "validation:log_loss" else None)
    assert "resumed from the checkpoint of round 30" in capsys.readouterr().out
    assert again[:20] == list(range(30, 50))
    assert fitted.model.named_steps["model"].model.get_booster().num_boosted_rounds() == 50
    assert fitted.metrics["validation:roc_auc"] > 0.98
