"""Benchmark: the first page of a 5,000-run experiment through a real Jupyter server with studio_ext.

    .venv/bin/python bench/runs.py [--runs 5000] [--page 100] [--repeat 5] [--tracking-uri URI]

1. Creates an experiment with `--runs` runs (3 params, 3 metrics, 3 tags each) in a fresh
   STUDIO_HOME's SQLite store (bulk-loaded into MLflow's tables), or through MlflowClient.log_batch
   in `--tracking-uri` (slow: ~3 calls per run). `--via-mlflow-server` bulk-loads SQLite, then
   serves it with a real `mlflow server` and points the studio at its http:// URI.
2. Starts a real `jupyter server` with studio_ext on that store (no agent) and times
   GET /studio/api/experiments/{id}/runs?max_items=<page>: the first call (cold: the server's
   MLflow client is created then), then `--repeat` warm calls, a filtered + sorted page, and the
   next page by token. Target: the first page in under 1 s. Prints figures only; no asserts.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def populate(tracking_uri: str, home: Path, runs: int) -> str:
    """An experiment with `runs` runs; SQLite stores are bulk-loaded in one transaction (MLflow's
    own tables), other URIs go through MlflowClient.log_batch (one call per run)."""
    from studio_ext import tracking

    client = tracking.client(tracking_uri, home)
    exp = tracking.get_or_create_experiment(client, tracking_uri, home, f"bench-{secrets.token_hex(3)}")
    now = int(time.time() * 1000)
    rows = [_run_values(i, now) for i in range(runs)]
    if tracking_uri.startswith("sqlite:"):
        _bulk_load(tracking_uri, exp, client.get_experiment(exp).artifact_location, rows)
        return exp
    from mlflow.entities import Metric, Param, RunTag

    for i, (params, metrics, tags) in enumerate(rows):
        run = client.create_run(exp, start_time=now + i, tags={"mlflow.runName": f"trial-{i}"})
        client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in params.items()],
                         metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
                         tags=[RunTag(k, v) for k, v in tags.items()])
        client.set_terminated(run.info.run_id, end_time=now + i + 1000)
        if (i + 1) % 500 == 0:
            print(f"  {i + 1} runs logged", flush=True)
    return exp


def _run_values(i: int, now: int) -> tuple[dict, dict, dict]:
    params = {"lr": str(10 ** -(i % 5)), "depth": str(i % 12), "optimizer": ("sgd", "adam")[i % 2]}
    metrics = {"acc": (i % 97) / 97, "loss": 1 / (1 + i % 89), "f1": (i % 53) / 53}
    tags = {"studio.job_id": f"{i:032x}", "team": "bench", "mlflow.runName": f"trial-{i}"}
    return params, metrics, tags


def _bulk_load(tracking_uri: str, experiment_id: str, artifact_location: str, rows: list) -> None:
    # Logging 5,000 runs call by call takes ~10 minutes on this machine (3 fsyncs per run);
    # the benchmark measures the read path, so the data goes in with one transaction.
    import uuid

    from mlflow.store.tracking.dbmodels import models as m
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    now = int(time.time() * 1000)
    engine = create_engine(tracking_uri)
    with Session(engine) as session, session.begin():
        for i, (params, metrics, tags) in enumerate(rows):
            run_id = uuid.uuid4().hex
            session.add(m.SqlRun(run_uuid=run_id, name=f"trial-{i}", source_type="LOCAL", source_name="",
                                 entry_point_name="", user_id="bench", status="FINISHED", start_time=now + i,
                                 end_time=now + i + 1000, source_version="", lifecycle_stage="active",
                                 artifact_uri=f"{artifact_location}/{run_id}/artifacts",
                                 experiment_id=int(experiment_id)))
            session.add_all([m.SqlParam(key=k, value=v, run_uuid=run_id) for k, v in params.items()])
            session.add_all([m.SqlTag(key=k, value=v, run_uuid=run_id) for k, v in tags.items()])
            for k, v in metrics.items():
                for table in (m.SqlMetric, m.SqlLatestMetric):
                    session.add(table(key=k, value=v, timestamp=now, step=0, is_nan=False, run_uuid=run_id))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, root: Path, tracking_uri: str) -> tuple[subprocess.Popen, str, str]:
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "STUDIO_HOME": str(home), "STUDIO_MLFLOW_TRACKING_URI": tracking_uri,
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.jpserver_extensions={'studio_ext': True}", "--StudioApp.start_agent=False"]
    log = open(home / "server.log", "ab")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/studio/api/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "config", headers={"Authorization": f"token {token}"}, timeout=5).ok:
                return proc, url, token
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise SystemExit(f"the server did not start; see {home / 'server.log'}")


def start_mlflow_server(home: Path, backend_uri: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_uri, "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--artifacts-destination", str(home / "served-artifacts")]
    log = open(home / "mlflow-server.log", "ab")
    proc = subprocess.Popen(cmd, cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit(f"mlflow server did not start; see {home / 'mlflow-server.log'}")


def timed(session: requests.Session, url: str, **params) -> tuple[float, dict]:
    start = time.perf_counter()
    response = session.get(url, params=params, timeout=120)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed, response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tracking-uri", help="default: SQLite in a fresh STUDIO_HOME")
    parser.add_argument("--via-mlflow-server", action="store_true",
                        help="bulk-load SQLite, then serve it with a real `mlflow server` and point the studio at it")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between server start and first call")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-runs-") as tmp:
        home, root = Path(tmp) / "home", Path(tmp) / "root"
        home.mkdir()
        root.mkdir()
        tracking_uri = args.tracking_uri or f"sqlite:///{home / 'mlflow.db'}"
        print(f"logging {args.runs} runs into {tracking_uri} ...", flush=True)
        t0 = time.perf_counter()
        exp = populate(tracking_uri, home, args.runs)
        print(f"logged {args.runs} runs in {time.perf_counter() - t0:.1f} s")
        mlflow_proc = None
        if args.via_mlflow_server:
            mlflow_proc, tracking_uri = start_mlflow_server(home, tracking_uri)
            print(f"serving it with mlflow server at {tracking_uri}")
        proc, url, token = start_server(home, root, tracking_uri)
        time.sleep(args.settle)  # a user opens the panel a few seconds after JupyterLab is up
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"token {token}"
            runs_url = f"{url}experiments/{exp}/runs"
            cold, first = timed(session, runs_url, max_items=args.page)
            warm = [timed(session, runs_url, max_items=args.page)[0] for _ in range(args.repeat)]
            filtered, page_f = timed(session, runs_url, max_items=args.page,
                                     filter="metrics.acc > 0.5 and params.optimizer = 'adam'",
                                     order_by="metrics.loss ASC")
            second, _ = timed(session, runs_url, max_items=args.page, next_token=first["next_token"])
            assert len(first["items"]) == args.page and first["next_token"]
            print(f"experiment {exp}: {args.runs} runs, page size {args.page}")
            print(f"  first page (first API call)    : {cold * 1000:7.0f} ms  (target < 1000 ms)")
            print(f"  first page, warm (median of {args.repeat}) : {statistics.median(warm) * 1000:7.0f} ms")
            print(f"  filtered + sorted page        : {filtered * 1000:7.0f} ms ({len(page_f['items'])} rows)")
            print(f"  second page by next_token     : {second * 1000:7.0f} ms")
            if mlflow_proc is not None:  # what the MLflow server itself takes for the same page
                direct = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    requests.post(f"{tracking_uri}/api/2.0/mlflow/runs/search", timeout=120,
                                  json={"experiment_ids": [exp], "max_results": args.page}).raise_for_status()
                    direct.append(time.perf_counter() - start)
                print(f"  (mlflow server alone, median) : {statistics.median(direct) * 1000:7.0f} ms")
        finally:
            for child in (proc, mlflow_proc):
                if child is not None:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait(30)


if __name__ == "__main__":
    main()
