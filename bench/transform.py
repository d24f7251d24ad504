"""Benchmark: batch transform of 100k and 1M CSV rows vs one lean process reading, predicting and writing.

    .venv/bin/python bench/transform.py [--rows 100000,1000000] [--workers 0] [--chunk-mib 8] [--repeat 2]

Saves a logistic regression on breast_cancer as an MLflow model in cloudpickle format (so both
sides unpickle the same model.pkl with cloudpickle) and writes CSV inputs of the given sizes (rows
sampled from the data set). The baseline is a small script run in a fresh interpreter: import
pandas and cloudpickle, load model.pkl, pandas.read_csv, model.predict on to_numpy(),
DataFrame.to_csv. For each size it prints, best of --repeat runs each:
(a) end to end: wall clock from process start to exit, baseline script vs
    `python -m studio_ext.serving.transform`;
(b) steady state: the baseline's read/predict/write after its model load vs the transform's own
    score_seconds (after the model load and imports, up to the last byte written);
the ratios of (a) and (b) (transform rows/s over baseline rows/s, target >= 0.7x) and the peak
memory (PSS of the process tree, sampled every 20 ms in one more run of each, so that sampling
does not slow the timed runs). Target for memory: flat from 100k to 1M rows for the transform.
It checks that both sides wrote the same predictions and removes its temporary folder (--keep).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]

BASELINE = '''\
import sys, time, warnings
import cloudpickle
import pandas as pd
warnings.filterwarnings("ignore", message="X does not have valid feature names")
with open(sys.argv[1], "rb") as fh:
    model = cloudpickle.load(fh)
t0 = time.perf_counter()
frame = pd.read_csv(sys.argv[2])
pd.DataFrame({"prediction": model.predict(frame.to_numpy())}).to_csv(sys.argv[3], index=False)
print(time.perf_counter() - t0)
'''


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


def timed(cmd: list[str], env: dict, sample: bool = False) -> tuple[float, str, int]:
    """(wall seconds from start to exit, stdout, peak PSS or 0) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    if sample:
        while proc.poll() is None:
            peak = max(peak, tree_pss(proc.pid))
            time.sleep(0.02)
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{stderr[-2000:]}")
    return elapsed, stdout, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--chunk-mib", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each side; the best counts")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (inputs, outputs, model)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-transform-"))
    try:
        return bench(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def bench(args: argparse.Namespace, tmp: Path) -> int:
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    data = load_breast_cancer(as_frame=True)
    model = LogisticRegression(max_iter=5000).fit(data.data, data.target)
    model_dir = tmp / "model"
    mlflow.sklearn.save_model(model, str(model_dir), signature=infer_signature(data.data, model.predict(data.data)),
                              pip_requirements=["scikit-learn"], serialization_format="cloudpickle")
    (tmp / "baseline.py").write_text(BASELINE)
    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1")
    print(f"{psutil.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; best of {args.repeat} runs each")
    for n in (int(r) for r in args.rows.split(",")):
        path = tmp / f"in-{n}.csv"
        data.data.sample(n, replace=True, random_state=0).to_csv(path, index=False)
        base_cmd = [sys.executable, str(tmp / "baseline.py"), str(model_dir / "model.pkl"), str(path),
                    str(tmp / f"baseline-{n}.csv")]
        tx_cmd = [sys.executable, "-m", "studio_ext.serving.transform", "--model-uri", str(model_dir),
                  "--input", str(path), "--output", str(tmp / f"out-{n}"), "--workers", str(args.workers),
                  "--chunk-mib", str(args.chunk_mib)]
        base_wall = base_steady = tx_wall = tx_score = tx_load = float("inf")
        for _ in range(args.repeat):  # alternate, so a busy moment of the machine hits both sides
            wall, out, _peak = timed(base_cmd, env)
            base_wall, base_steady = min(base_wall, wall), min(base_steady, float(out.strip().splitlines()[-1]))
            wall, out, _peak = timed(tx_cmd, env)
            result = json.loads(out.strip().splitlines()[-1])
            assert result["rows"] == n, result
            tx_wall, tx_score = min(tx_wall, wall), min(tx_score, result["score_seconds"])
            tx_load = min(tx_load, result["load_seconds"])
        same = pd.read_csv(tmp / f"baseline-{n}.csv")["prediction"].equals(
            pd.read_csv(tmp / f"out-{n}" / f"in-{n}.out.csv")["prediction"])
        assert same, "the transform's predictions differ from the baseline's"
        base_peak = timed(base_cmd, env, sample=True)[2]
        tx_peak = timed(tx_cmd, env, sample=True)[2]
        print(f"{n:>9,} rows:\n"
              f"  (a) end to end:    baseline {n / base_wall:>9,.0f} rows/s ({base_wall:.2f} s), transform "
              f"{n / tx_wall:>9,.0f} rows/s ({tx_wall:.2f} s): ratio {base_wall / tx_wall:.2f}x (target >= 0.7x)\n"
              f"  (b) steady state:  baseline {n / base_steady:>9,.0f} rows/s ({base_steady:.2f} s), transform "
              f"{n / tx_score:>9,.0f} rows/s ({tx_score:.2f} s after a {tx_load:.2f} s load): ratio "
              f"{base_steady / tx_score:.2f}x (target >= 0.7x)\n"
              f"  peak memory (PSS): transform {tx_peak / 2**20:.0f} MiB, baseline {base_peak / 2**20:.0f} MiB; "
              "predictions identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
