"""Benchmark: batch transform of 100k and 1M rows vs one process reading, predicting and writing.

    .venv/bin/python bench/transform.py [--rows 100000,1000000] [--workers 0] [--chunk-mib 8]

Saves a logistic regression on breast_cancer as an MLflow model, writes CSV inputs of the given
sizes (rows sampled from the data set), then for each size: (a) the single-process baseline:
pandas.read_csv, model.predict on the array, DataFrame.to_csv; (b) `python -m
studio_ext.serving.transform` on the same file, with the peak RSS of its process tree (PSS,
sampled every 20 ms). Prints rows/s, the ratio (target >= 0.7x) and the peak RSS per size (target: flat).
Also prints the model's bare predict rate on an in-memory array, for reference.
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

import psutil

REPO = Path(__file__).resolve().parents[1]


def tree_pss(pid: int) -> int:
    """Proportional set size of a process tree: forked workers share the parent's pages, and RSS
    would count those once per process."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_full_info().pss
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--chunk-mib", type=float, default=8.0)
    args = parser.parse_args()
    import mlflow.sklearn
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-transform-"))
    data = load_breast_cancer(as_frame=True)
    model = LogisticRegression(max_iter=5000).fit(data.data, data.target)
    model_dir = tmp / "model"
    mlflow.sklearn.save_model(model, str(model_dir), signature=infer_signature(data.data, model.predict(data.data)),
                              pip_requirements=["scikit-learn"])
    x = data.data.to_numpy()
    t0 = time.perf_counter()
    model.predict(np.tile(x, (1000, 1)))
    print(f"bare predict on an in-memory array: {569_000 / (time.perf_counter() - t0):,.0f} rows/s")
    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1")
    for n in (int(r) for r in args.rows.split(",")):
        path = tmp / f"in-{n}.csv"
        data.data.sample(n, replace=True, random_state=0).to_csv(path, index=False)
        t0 = time.perf_counter()
        frame = pd.read_csv(path)
        out = pd.DataFrame({"prediction": model.predict(frame.to_numpy())})
        out.to_csv(tmp / f"baseline-{n}.csv", index=False)
        baseline = n / (time.perf_counter() - t0)
        del frame, out
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "studio_ext.serving.transform", "--model-uri", str(model_dir),
                                 "--input", str(path), "--output", str(tmp / f"out-{n}"), "--workers",
                                 str(args.workers), "--chunk-mib", str(args.chunk_mib)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_pss(proc.pid))
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            print(stderr[-2000:])
            return 1
        result = json.loads(stdout.strip().splitlines()[-1])
        assert result["rows"] == n
        rate, own = n / elapsed, n / result["seconds"]
        print(f"{n:>9,} rows: single process {baseline:,.0f} rows/s; transform {own:,.0f} rows/s from model "
              f"load to last row written (ratio {own / baseline:.2f}x, target >= 0.7x), {rate:,.0f} rows/s "
              f"counting the interpreter start too ({rate / baseline:.2f}x); peak memory (PSS) "
              f"{peak / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
