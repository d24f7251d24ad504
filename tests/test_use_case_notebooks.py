"""notebooks/use-cases/: each use case end to end (real data -> training job -> MLflow run ->
registered model -> endpoint -> predictions -> batch transform), run against a real studio with
small budgets, the way a new user runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import papermill
import pytest

USE_CASES = Path(__file__).resolve().parents[1] / "notebooks" / "use-cases"


def run_notebook(studio_server, monkeypatch, name: str, parameters: dict) -> str:
    root = studio_server.root_dir / f"use-case-{name}"
    shutil.copytree(USE_CASES, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.out.ipynb"))
    monkeypatch.setenv("STUDIO_URL", studio_server.url)
    monkeypatch.setenv("STUDIO_TOKEN", studio_server.token)
    executed = papermill.execute_notebook(str(root / f"{name}.ipynb"), str(root / f"{name}.out.ipynb"),
                                          parameters={"wait_timeout": 600, **parameters}, cwd=str(root),
                                          kernel_name="python3", progress_bar=False)
    outputs = [output for cell in executed.cells for output in cell.get("outputs", [])]
    assert any("image/png" in output.get("data", {}) for output in outputs)  # its chart was drawn
    # job.wait() showed a live progress bar (an ipywidgets view) while the training job ran
    assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in outputs)
    return "\n".join(output.get("text", "") for output in outputs if output.get("output_type") == "stream")


@pytest.mark.parametrize(("name", "parameters", "expected"), [
    ("image-recognition", {"epochs": 3}, ["Completed models:/digits-cnn/1", "Completed 247 images, accuracy"]),
    ("recommendation", {"max_ratings": 20000, "epochs": 8},
     ["Completed models:/movielens-fm/1", "Completed 4000 pairs, test RMSE"]),
    ("time-series", {}, ["Completed models:/airline-forecast/1", "of the two test years fall inside"]),
    ("predictive-analytics", {}, ["Completed models:/churn-xgb/1", "test ROC AUC 0.8",
                                  "Completed 1409 customers, accuracy"]),
    ("hyperparameter-tuning", {"max_trials": 6}, ["Completed: 6 of 6 trials, best validation ROC AUC 0.8",
                                                  "READY models:/churn-xgb-tuned/1", "endpoint: accuracy 0."]),
    ("anomaly-detection", {"max_rows": 10000}, ["Completed models:/shuttle-anomaly/1", "test ROC AUC 0.99",
                                                "Completed 2500 readings scored"]),
    ("text-classification", {"max_snippets": 4000}, ["Completed models:/review-sentiment/1",
                                                     "800 test snippets, accuracy 0.7",
                                                     "Completed 800 snippets, accuracy"]),
])
def test_given_a_use_case_notebook_when_run_then_it_trains_deploys_predicts_and_scores(
        studio_server, monkeypatch, name, parameters, expected):
    text = run_notebook(studio_server, monkeypatch, name, parameters)
    for line in expected:
        assert line in text, text
