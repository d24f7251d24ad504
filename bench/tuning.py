"""Benchmark: tuning jobs (real agent, every trial a real job) on search quality, scheduling and load.

    .venv/bin/python bench/tuning.py [--part 1,2,3] [--trials N] [--seeds N] [--keep]
    .venv/bin/python bench/tuning.py --trials 6 --seeds 1      # a quick check of all three parts

1. Search quality: xgboost over WA churn (bench/algorithms.py's 75/25 split; a fifth of the 75 is
   the validation channel early stopping and the objective read, the 25 only scored), 30 trials,
   2 in parallel, objective validation:roc_auc. The best objective of Bayesian vs Random over
   `--seeds` seeds (target: Bayesian's median better), and the studio's Bayesian vs plain Optuna
   TPE in this process (the same ranges, trials budget, data and xgboost fit through
   `algorithm().fit(...)`, no job; target: equal within the seeds' noise). The best trial's
   test:roc_auc is printed next to the DATASETS.md anchors.
2. Scheduling overhead: 30 trials of a trivial script, one at a time; for each trial that started
   while no other ran, the time from the previous trial's job end (ended_at) to its job's start
   (started_at): median and max (target <= 0.5 s), with where the time goes.
3. Load: 100 trials of a trivial script, 4 in parallel: "database is locked" in the agent's and
   the jobs' logs (target 0), lost trials (target 0: every trial has a job and ended), wall time;
   vs plain Optuna on an SQLite RDB storage, 4 threads, the same script as a subprocess per trial.
`--trials N` runs every part with N trials. Prints figures only; nothing asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from studio_ext import schemas  # noqa: E402
from studio_ext.instance_types import DEFAULT_CATALOG, load_catalog  # noqa: E402
from studio_ext.schemas.tuning import TrialStatus  # noqa: E402
from studio_ext.services.jobs import JobService  # noqa: E402
from studio_ext.services.tuning import TuningService  # noqa: E402
from studio_ext.settings import StudioSettings  # noqa: E402
from studio_ext.store.db import Database  # noqa: E402

# xgboost's tunable hyperparameters (algorithms/xgb.py), over the ranges it declares tunable.
XGB_RANGES: dict[str, dict[str, Any]] = {
    "max_depth": {"type": "Integer", "min": 2, "max": 10},
    "eta": {"type": "Continuous", "min": 0.01, "max": 0.3, "scaling": "Logarithmic"},
    "min_child_weight": {"type": "Continuous", "min": 0.5, "max": 20, "scaling": "Logarithmic"},
    "subsample": {"type": "Continuous", "min": 0.5, "max": 1.0},
    "colsample_bytree": {"type": "Continuous", "min": 0.5, "max": 1.0},
}
XGB_FIXED = {"num_round": 200, "early_stopping_rounds": 20}
XGB_METRIC = "validation:roc_auc"
# ../shared/DATASETS.md, wa_churn ROC AUC on the same 25 % test split.
ANCHORS = {"XGBoost default": 0.8169, "HistGB default": 0.8312, "FLAML 30 s": 0.8423, "FLAML 120 s": 0.8474}

# tests/runner/test_tuning_jobs.py's objective without its steps and sleeps: the best x is 0.3,
# category "b" adds 0.1; logged to the job's MLflow run and printed (what plain Optuna reads).
OBJECTIVE = """
import argparse
import mlflow
p = argparse.ArgumentParser()
p.add_argument("--x", type=float, default=0.5)
p.add_argument("--c", default="a")
a, _ = p.parse_known_args()
score = 1.0 - (a.x - 0.3) ** 2 + (0.1 if a.c == "b" else 0.0)
mlflow.log_metric("score", score)
print("score", score)
"""
SCRIPT_RANGES = {"x": {"type": "Continuous", "min": 0.0, "max": 1.0},
                 "c": {"type": "Categorical", "values": ["a", "b"]}}
LOCKED = "database is locked"


@dataclass
class Bench:
    """A studio in a temp folder with one agent, and the services the bench drives it through."""

    base: Path
    settings: StudioSettings
    jobs: JobService
    tuning: TuningService
    agent_log: Path

    @property
    def root(self) -> Path:
        return self.settings.server_root

    def run(self, request: dict[str, Any], timeout: float = 3600) -> tuple[schemas.DescribeTuningJob, float]:
        """Create a tuning job and poll it until it ended: its description and wall time."""
        started = time.perf_counter()
        created = self.tuning.create(schemas.CreateTuningJob.model_validate(request), "bench")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.tuning.describe(created.tuning_job_id)
            if done.status.is_terminal:
                return done, time.perf_counter() - started
            time.sleep(0.1)
        raise RuntimeError(f"tuning job {created.tuning_job_id} did not end in {timeout} s")


def start_studio(base: Path, warm_pool: int) -> tuple[Bench, subprocess.Popen]:
    root, home = base / "root", base / "home"
    root.mkdir()
    home.mkdir()
    catalog = [t.model_dump() for t in DEFAULT_CATALOG]
    catalog.append({"name": "bench.wide", "vcpus": 1, "memory_mib": 2048, "max_concurrent": 4})
    (home / "instance_types.json").write_text(json.dumps(catalog))
    settings = StudioSettings(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                              mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root,
                              instance_types=load_catalog(home))
    jobs = JobService(Database(settings.db_url), settings)
    bench = Bench(base, settings, jobs, TuningService(jobs.db, settings, jobs), home / "agent.log")
    env = dict(os.environ, PYTHONPATH=str(REPO), STUDIO_INSTANCE_TYPES=str(home / "instance_types.json"))
    with open(bench.agent_log, "wb") as log:
        agent = subprocess.Popen(
            [sys.executable, "-m", "studio_ext.runner.agent", "--home", str(home), "--db-url", settings.db_url,
             "--mlflow-tracking-uri", settings.mlflow_tracking_uri, "--server-root", str(root),
             "--warm-pool", str(warm_pool), "--poll-interval", "0.05"], env=env, stdout=log, stderr=log)
    return bench, agent


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------------- 1. search quality


def churn_channels(folder: Path) -> dict[str, str]:
    """bench/algorithms.py's wa_churn split; its train file split again 80/20 (stratified,
    random_state=0) into train and validation, so the test rows are the anchors' test rows."""
    import pandas as pd
    from algorithms import wa_churn
    from sklearn.model_selection import train_test_split

    wa_churn(folder)
    frame = pd.read_csv(folder / "train.csv")
    train, validation = train_test_split(frame, test_size=0.2, random_state=0, stratify=frame["label"])
    train.to_csv(folder / "train.csv", index=False)
    validation.to_csv(folder / "validation.csv", index=False)
    return {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"}


def plain_tpe(files: dict[str, Path], trials: int, seed: int) -> tuple[float, float]:
    """Optuna's default TPE in this process over the same ranges, fitting xgboost as the job does
    (no job, no MLflow): the best validation:roc_auc and that trial's test:roc_auc."""
    import optuna

    from studio_ext.algorithms import get
    from studio_ext.algorithms.train import load_channels

    optuna.logging.set_verbosity(logging.WARNING)
    algorithm = get("xgboost")
    assert algorithm is not None
    with contextlib.redirect_stdout(io.StringIO()):  # its "[train] channel ..." lines are the job log's
        data = load_channels({k: {"path": str(p), "abspath": str(p)} for k, p in files.items()},
                             algorithm.needs_label, algorithm.default_label)

    def objective(trial: optuna.Trial) -> float:
        values: dict[str, Any] = {}
        for name, spec in XGB_RANGES.items():
            if spec["type"] == "Integer":
                values[name] = trial.suggest_int(name, spec["min"], spec["max"])
            else:
                values[name] = trial.suggest_float(name, spec["min"], spec["max"],
                                                   log=spec.get("scaling") == "Logarithmic")
        hp = algorithm.Hyperparameters.model_validate({**XGB_FIXED, **values})
        fitted = algorithm().fit(hp, data, lambda *a: None)
        trial.set_user_attr("test", fitted.metrics["test:roc_auc"])
        return fitted.metrics[XGB_METRIC]

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    return study.best_value, study.best_trial.user_attrs["test"]


def part_quality(bench: Bench, trials: int, seeds: int, parallel: int) -> None:
    folder = bench.root / "churn"
    folder.mkdir()
    channels = churn_channels(folder)
    print(f"\n1. search quality: xgboost on wa_churn, {trials} trials, {parallel} in parallel, "
          f"num_round {XGB_FIXED['num_round']} with early stopping, objective {XGB_METRIC}", flush=True)
    best: dict[str, list[float]] = {"Bayesian": [], "Random": [], "plain TPE": []}
    test: dict[str, list[float]] = {"Bayesian": [], "Random": [], "plain TPE": []}
    for seed in range(seeds):
        line = [f"seed {seed}:"]
        for strategy in ("Bayesian", "Random"):
            done, wall = bench.run({
                "name": f"churn-{strategy.lower()}-{seed}", "objective": {"metric": XGB_METRIC},
                "parameter_ranges": XGB_RANGES, "strategy": strategy, "max_trials": trials,
                "max_parallel_trials": parallel, "seed": seed,
                "training_job": {"algorithm": "xgboost", "hyperparameters": XGB_FIXED, "instance_type": "local.small",
                                 "channels": {k: f"churn/{f}" for k, f in channels.items()}}})
            if done.best_trial is None or done.best_trial.objective is None or done.best_trial.job_id is None:
                line.append(f"{strategy} {done.status.value} ({done.status_reason})")
                continue
            job = bench.jobs.describe_job(done.best_trial.job_id)
            result = job.training.result if job.training else None
            best[strategy].append(done.best_trial.objective)
            if result is not None and "test:roc_auc" in result.metrics:
                test[strategy].append(result.metrics["test:roc_auc"])
            line.append(f"{strategy} {done.best_trial.objective:.4f} ({done.counts.completed}/{done.counts.total} "
                        f"completed, {wall:.0f} s)")
        started = time.perf_counter()
        value, test_auc = plain_tpe({k: folder / f for k, f in channels.items()}, trials, seed)
        best["plain TPE"].append(value)
        test["plain TPE"].append(test_auc)
        line.append(f"plain TPE {value:.4f} ({time.perf_counter() - started:.0f} s, one process)")
        print("  " + "  ".join(line), flush=True)
    bayes, rand, plain = (median(best[k]) for k in ("Bayesian", "Random", "plain TPE"))
    print(f"  median best {XGB_METRIC} over {seeds} seeds: Bayesian {bayes:.4f}, Random {rand:.4f}: "
          f"{'Bayesian' if bayes > rand else 'Random' if rand > bayes else 'neither'} better "
          f"(difference {bayes - rand:+.4f})")
    spread = max((statistics.stdev(v) for v in best.values() if len(v) > 1), default=float("nan"))
    verdict = "one seed: no spread to judge by" if math.isnan(spread) else \
        "equal within noise" if abs(bayes - plain) <= spread else "a difference beyond the seeds' spread"
    print(f"  studio Bayesian {bayes:.4f} vs plain Optuna TPE {plain:.4f}: difference {bayes - plain:+.4f} "
          f"(largest per-seed standard deviation {spread:.4f}: {verdict})")
    anchors = ", ".join(f"{name} {value:.4f}" for name, value in ANCHORS.items())
    print("  the best trial's test:roc_auc (median over seeds): " +
          ", ".join(f"{k} {median(v):.4f}" for k, v in test.items()) + f"; anchors (DATASETS.md): {anchors}",
          flush=True)


# ---------------------------------------------------------------------- 2. scheduling overhead


def part_overhead(bench: Bench, trials: int) -> None:
    print(f"\n2. scheduling overhead: {trials} trials of a trivial script, one at a time", flush=True)
    done, wall = bench.run(script_request("overhead", trials, 1))
    # each trial's job's (created, started, ended), and when the reconciler recorded the trial ended
    spans: dict[int, tuple[datetime, datetime, datetime]] = {}
    recorded: dict[int, datetime | None] = {}
    for trial in done.trials or []:
        job = bench.jobs.describe_job(trial.job_id) if trial.job_id else None
        if job is not None and job.started_at is not None and job.ended_at is not None:
            spans[trial.trial_number] = (job.created_at, job.started_at, job.ended_at)
            recorded[trial.trial_number] = trial.ended_at
    gaps, noticed, created, dispatched = [], [], [], []
    for number, (created_at, started_at, _) in spans.items():
        if any(s <= started_at < e for n, (_, s, e) in spans.items() if n != number):
            continue  # another trial was running when it started
        before = [(e, n) for n, (_, _, e) in spans.items() if e <= started_at]
        if not before:
            continue  # the first trial
        previous_end, previous = max(before)
        gaps.append((started_at - previous_end).total_seconds())
        # where the time goes: the reconciler sees the end, creates the next job, a worker takes it
        seen_ended = recorded.get(previous)
        if seen_ended is not None:
            noticed.append((seen_ended - previous_end).total_seconds())
            created.append((created_at - seen_ended).total_seconds())
        dispatched.append((started_at - created_at).total_seconds())
    worst = max(gaps, default=float("nan"))
    print(f"  {len(gaps)} gaps: median {median(gaps):.3f} s ({'ok' if median(gaps) <= 0.5 else 'over'}), max "
          f"{worst:.3f} s ({'ok' if worst <= 0.5 else 'over'}) (target <= 0.5 s); {done.status.value} in {wall:.1f} s")
    print(f"  medians: job end -> the trial recorded ended {median(noticed):.3f} s, -> the next job created "
          f"{median(created):.3f} s, created -> started {median(dispatched):.3f} s", flush=True)


# ---------------------------------------------------------------------- 3. load


def script_request(name: str, trials: int, parallel: int) -> dict[str, Any]:
    return {"name": name, "objective": {"metric": "score", "type": "Maximize"}, "parameter_ranges": SCRIPT_RANGES,
            "max_trials": trials, "max_parallel_trials": parallel, "seed": 0,
            "training_job": {"input": "objective.py", "instance_type": "bench.wide"}}


def part_load(bench: Bench, trials: int, parallel: int) -> None:
    print(f"\n3. load: {trials} trials of a trivial script, {parallel} in parallel", flush=True)
    log_start = bench.agent_log.stat().st_size
    done, wall = bench.run(script_request("load", trials, parallel))
    rows = done.trials or []
    job_locks, kept = 0, 0
    for trial in rows:
        if trial.job_id is None:
            continue
        job = bench.jobs.describe_job(trial.job_id)
        job_locks += bench.jobs.read_logs(trial.job_id).content.count(LOCKED)
        kept += job.status.is_terminal and trial.status != TrialStatus.RUNNING
    with open(bench.agent_log, "rb") as log:
        log.seek(log_start)
        agent_locks = log.read().decode(errors="replace").count(LOCKED)
    lost = trials - kept
    print(f"  studio: {done.status.value} in {wall:.1f} s; {len(rows)} trials recorded, {done.counts.completed} "
          f"completed, {done.counts.failed} failed; lost {lost} (target 0); '{LOCKED}': agent log {agent_locks}, "
          f"jobs' logs {job_locks} (target 0)", flush=True)
    plain_wall, plain_done, plain_failed, plain_locks = plain_optuna(bench.base / "plain", trials, parallel)
    print(f"  plain Optuna (SQLite RDB storage, {parallel} threads, a subprocess per trial): {plain_wall:.1f} s; "
          f"{plain_done} trials completed, {plain_failed} failed, {trials - plain_done - plain_failed} missing; "
          f"'{LOCKED}' {plain_locks}")
    print(f"  wall time studio / plain Optuna: {wall / plain_wall:.2f}x", flush=True)


class _Counter(logging.Handler):
    """Counts the log records that mention a lock (Optuna logs a failed trial's exception)."""

    def __init__(self) -> None:
        super().__init__()
        self.locks = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.locks += LOCKED in record.getMessage()


def plain_optuna(folder: Path, trials: int, threads: int) -> tuple[float, int, int, int]:
    """The same objective, each trial `python objective.py --x .. --c ..` logging to an MLflow
    SQLite store as the studio's trials do; the study on an SQLite RDB storage. Returns the wall
    time, completed and failed trials, and lock errors (the trials' and Optuna's own)."""
    import optuna
    from mlflow import MlflowClient

    folder.mkdir()
    script = folder / "objective.py"
    script.write_text(OBJECTIVE)
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    MlflowClient(tracking_uri).search_experiments()  # creates the store's tables before 4 processes race to
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri)
    counter = _Counter()
    logging.getLogger("optuna").addHandler(counter)
    optuna.logging.set_verbosity(logging.WARNING)
    lock = threading.Lock()
    seen = {"locks": 0}

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        c = trial.suggest_categorical("c", ["a", "b"])
        proc = subprocess.run([sys.executable, str(script), "--x", repr(x), "--c", c], env=env, cwd=folder,
                              capture_output=True, text=True)
        locks = proc.stderr.count(LOCKED)
        with lock:
            seen["locks"] += locks
        found = re.findall(r"^score (\S+)$", proc.stdout, re.M)
        if proc.returncode or not found:  # Optuna logs this message: it must not count the locks again
            raise RuntimeError(f"exit {proc.returncode}, {locks} lock errors in its stderr")
        return float(found[-1])

    started = time.perf_counter()
    storage = optuna.storages.RDBStorage(f"sqlite:///{folder / 'optuna.db'}")
    study = optuna.create_study(storage=storage, study_name="load", direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=0))
    try:
        study.optimize(objective, n_trials=trials, n_jobs=threads, catch=(RuntimeError,))
    except Exception as exc:  # a storage error ends optimize: count it, and what completed before
        seen["locks"] += LOCKED in str(exc)
        print(f"  plain Optuna stopped: {type(exc).__name__}: {str(exc)[:300]}")
    wall = time.perf_counter() - started
    states = [t.state for t in study.get_trials(deepcopy=False)]
    completed = sum(s == optuna.trial.TrialState.COMPLETE for s in states)
    failed = sum(s == optuna.trial.TrialState.FAIL for s in states)
    logging.getLogger("optuna").removeHandler(counter)
    return wall, completed, failed, seen["locks"] + counter.locks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="1,2,3", help="comma-separated parts to run (default: 1,2,3)")
    parser.add_argument("--trials", type=int, default=None,
                        help="trials of every part (default: 30, 30 and 100)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of part 1 (default 5)")
    parser.add_argument("--warm-pool", type=int, default=2, help="the agent's warm pool (default 2, the agent's)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary studio folder")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.part.split(",") if p.strip()}

    base = Path(tempfile.mkdtemp(prefix="studio-bench-tuning-"))
    bench, agent = start_studio(base, args.warm_pool)
    (bench.root / "objective.py").write_text(OBJECTIVE)
    started = time.perf_counter()
    try:
        if "1" in parts:
            part_quality(bench, args.trials or 30, args.seeds, 2)
        if "2" in parts:
            part_overhead(bench, args.trials or 30)
        if "3" in parts:
            part_load(bench, args.trials or 100, 4)
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        print(f"\nbench wall time {time.perf_counter() - started:.0f} s; warm pool {args.warm_pool}")
        if args.keep:
            print(f"studio folder kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
