"""A script job: train a small classifier; parameters arrive as --key value arguments.

Run it as a job with `studio jobs run examples/train.py -p dataset iris -p C 0.5`. The studio sets
STUDIO_JOB_ID, STUDIO_OUTPUT_DIR, MLFLOW_TRACKING_URI and MLFLOW_RUN_ID; exit code 0 means Completed.
"""

import argparse
import json
import os

from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

LOADERS = {"breast_cancer": load_breast_cancer, "iris": load_iris}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=sorted(LOADERS), default="breast_cancer")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max_iter", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = LOADERS[args.dataset](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=args.seed, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=args.max_iter))
    model.fit(X_train, y_train)
    predictions = model.predict(X_test)
    metrics = {"accuracy": accuracy_score(y_test, predictions),
               "f1_macro": f1_score(y_test, predictions, average="macro")}
    print(f"job {os.environ.get('STUDIO_JOB_ID', '-')}: {args.dataset} {metrics}")

    if os.environ.get("MLFLOW_RUN_ID"):  # set for every studio job: the job's own run
        import mlflow

        mlflow.log_metrics(metrics)
    out_dir = os.environ.get("STUDIO_OUTPUT_DIR", ".")
    with open(os.path.join(out_dir, "metrics.json"), "w") as fh:
        json.dump({"dataset": args.dataset, "C": args.C, **metrics}, fh, indent=2)


if __name__ == "__main__":
    main()
