"""The SDK's algorithms and training APIs against a real server and agent: train, read, deploy, predict."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer

from studio_ext.exceptions import InvalidParameter
from studio_ext.sdk import JobStatus


def test_given_the_catalog_and_a_csv_when_trained_from_the_sdk_then_the_model_deploys_and_predicts(studio, live_studio):
    names = [a.name for a in studio.algorithms.list()]
    assert "xgboost" in names and studio.algorithms.get("knn").use_case == "predictive"
    data = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).sample(frac=1, random_state=1)
    (live_studio.root_dir / "sdk-train").mkdir(exist_ok=True)
    data.iloc[:420].to_csv(live_studio.root_dir / "sdk-train" / "train.csv", index=False)
    data.iloc[420:].to_csv(live_studio.root_dir / "sdk-train" / "validation.csv", index=False)
    with pytest.raises(InvalidParameter, match="hyperparameters.l2"):
        studio.training.run("linear-learner", {"train": "sdk-train/train.csv"}, {"l2": -1})

    job = studio.training.run("linear-learner", {"train": "sdk-train/train.csv",
                                                 "validation": "sdk-train/validation.csv"},
                              {"l2": 0.5}, register_as="sdk-linear", wait=True)

    assert job.status is JobStatus.COMPLETED
    assert job.model_uri == "models:/sdk-linear/1"
    assert job.metrics["validation:accuracy"] > 0.9
    predictor = job.deploy("sdk-linear")
    rows = data.drop(columns=["label"]).head(4)
    predictions = predictor.predict(rows)
    assert len(predictions) == 4 and set(predictions) <= {0, 1}

    # what a notebook shows for them (Jupyter renders _repr_html_)
    shown = job._repr_html_()
    assert all(text in shown for text in ("Completed", "linear-learner", "models:/sdk-linear/1", "validation:accuracy"))
    shown = predictor._repr_html_()
    assert all(text in shown for text in ("sdk-linear", "InService", "models:/sdk-linear/1", "local.small × 1"))
    shown = studio.algorithms.get("xgboost")._repr_html_()
    assert "<code>max_depth</code>" in shown and "[1, 20]" in shown and "one instance" in shown
    shown = studio.algorithms.list()._repr_html_()
    assert "<b>image-classifier</b>" in shown and "several" in shown
    studio.endpoints.delete("sdk-linear")
