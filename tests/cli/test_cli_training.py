"""`studio algorithms` and `studio training run` against a real server and agent."""

from __future__ import annotations

from sklearn.datasets import load_iris


def test_given_the_cli_when_algorithms_are_listed_described_and_trained_then_each_command_works(
        studio_cli, live_studio):
    listed = studio_cli("algorithms", "list")
    assert listed.exit_code == 0 and "xgboost" in listed.output and "isolation-forest" in listed.output
    described = studio_cli("algorithms", "describe", "xgboost")
    depth = next(line for line in described.output.splitlines() if line.strip().startswith("max_depth"))
    assert "[1, 20]" in depth and "yes" in depth
    assert "validation:roc_auc (Maximize)" in described.output

    iris = load_iris(as_frame=True).frame.rename(columns={"target": "label"})
    (live_studio.root_dir / "cli-train").mkdir(exist_ok=True)
    iris.to_csv(live_studio.root_dir / "cli-train" / "iris.csv", index=False)
    refused = studio_cli("training", "run", "knn", "--train", "cli-train/iris.csv", "-H", "k=0")
    assert refused.exit_code == 3 and "hyperparameters.k" in refused.output

    trained = studio_cli("training", "run", "knn", "--train", "cli-train/iris.csv", "-H", "k=5", "--wait")

    assert trained.exit_code == 0, trained.output
    assert "Completed" in trained.output and "train:accuracy" in trained.output
