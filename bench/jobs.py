"""Benchmark: a trivial parameterized notebook via the papermill CLI vs as a studio job; dispatch rate.

    .venv/bin/python bench/jobs.py [--runs 10] [--scripts 200] [--warm-pool 2] [--slots 4]

1. Runs the same notebook alternately through `papermill in out -p x N` (a fresh process each
   time, as a user would) and as a studio job (JobService.create_job, then polling the database
   until Completed, with a running agent and its warm pool). Prints the medians and the ratio
   (target: studio <= 0.6x papermill). Before each measurement it waits for the machine to be
   quiet (the pool refilling after a job), so neither side pays for the other's background work.
2. Submits `--scripts` trivial script jobs at once and reports the dispatch throughput in jobs/s
   (on an instance type with `--slots` concurrency slots).
Prints figures only; nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from studio_ext import schemas  # noqa: E402
from studio_ext.instance_types import DEFAULT_CATALOG, load_catalog  # noqa: E402
from studio_ext.services.jobs import JobService  # noqa: E402
from studio_ext.settings import StudioSettings  # noqa: E402
from studio_ext.store.db import Database  # noqa: E402


def trivial_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("y = x + 1\nprint(y)")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(nb, str(path))


def wait_quiet(agent: psutil.Process, threshold: float = 10.0, timeout: float = 30.0) -> None:
    """Until the agent and its workers (and their kernels) use under `threshold` % CPU."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = [agent, *agent.children(recursive=True)]
        # Workers run in their own session but are still the agent's children.
        for proc in procs:
            try:
                proc.cpu_percent(None)
            except psutil.Error:
                pass
        time.sleep(0.5)
        busy = 0.0
        for proc in procs:
            try:
                busy += proc.cpu_percent(None)
            except psutil.Error:
                pass
        if busy < threshold:
            return


def wait_done(jobs: JobService, job_id: str, timeout: float = 300) -> schemas.DescribeJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.describe_job(job_id)
        if job.status.is_terminal:
            return job
        time.sleep(0.02)
    raise RuntimeError(f"job {job_id} did not finish in {timeout}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="measurements per side (default 10)")
    parser.add_argument("--scripts", type=int, default=200, help="script jobs for the dispatch test (default 200)")
    parser.add_argument("--warm-pool", type=int, default=2)
    parser.add_argument("--slots", type=int, default=4, help="concurrency slots of the dispatch test's instance type")
    parser.add_argument("--keep", action="store_true", help="keep the temporary studio folder")
    args = parser.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    root, home = base / "root", base / "home"
    root.mkdir()
    home.mkdir()
    catalog = [t.model_dump() for t in DEFAULT_CATALOG]
    catalog.append({"name": "bench.wide", "vcpus": 1, "memory_mib": 1024, "max_concurrent": args.slots})
    (home / "instance_types.json").write_text(json.dumps(catalog))
    settings = StudioSettings(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                              mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root,
                              instance_types=load_catalog(home))
    jobs = JobService(Database(settings.db_url), settings)
    trivial_notebook(root / "trivial.ipynb")
    (root / "scripts").mkdir()
    (root / "scripts" / "noop.py").write_text("pass\n")

    env = dict(os.environ, PYTHONPATH=str(REPO), STUDIO_INSTANCE_TYPES=str(home / "instance_types.json"))
    agent_log = open(home / "agent.log", "wb")
    agent = subprocess.Popen(
        [sys.executable, "-m", "studio_ext.runner.agent", "--home", str(home), "--db-url", settings.db_url,
         "--mlflow-tracking-uri", settings.mlflow_tracking_uri, "--server-root", str(root),
         "--warm-pool", str(args.warm_pool), "--poll-interval", "0.05"],
        env=env, stdout=agent_log, stderr=agent_log)
    papermill = str(Path(sys.executable).with_name("papermill"))
    try:
        agent_proc = psutil.Process(agent.pid)
        # One job of each kind first: imports, MLflow experiment creation, kernel specs, caches.
        wait_done(jobs, jobs.create_job(schemas.CreateJob(input="trivial.ipynb", parameters={"x": -1}), "bench"))
        subprocess.run([papermill, str(root / "trivial.ipynb"), str(base / "out.ipynb"), "-p", "x", "-1"],
                       check=True, capture_output=True)
        pm_times, studio_times = [], []
        for i in range(args.runs):
            wait_quiet(agent_proc)
            t0 = time.perf_counter()
            subprocess.run([papermill, str(root / "trivial.ipynb"), str(base / f"out{i}.ipynb"), "-p", "x", str(i)],
                           check=True, capture_output=True)
            pm_times.append(time.perf_counter() - t0)

            wait_quiet(agent_proc)
            t0 = time.perf_counter()
            job_id = jobs.create_job(schemas.CreateJob(input="trivial.ipynb", parameters={"x": i}), "bench")
            job = wait_done(jobs, job_id)
            studio_times.append(time.perf_counter() - t0)
            if job.status != schemas.JobStatus.COMPLETED:
                raise RuntimeError(f"studio job failed: {job.status_reason}")
            print(f"run {i + 1:2d}: papermill {pm_times[-1]:.2f} s   studio job {studio_times[-1]:.2f} s", flush=True)
        pm, st = statistics.median(pm_times), statistics.median(studio_times)
        print(f"\nnotebook: papermill CLI median {pm:.2f} s, studio job median {st:.2f} s, "
              f"ratio {st / pm:.2f}x (target <= 0.60x), warm pool {args.warm_pool}")

        if args.scripts:
            wait_quiet(agent_proc)
            t0 = time.perf_counter()
            ids = [jobs.create_job(schemas.CreateJob(input="scripts/noop.py", instance_type="bench.wide"), "bench")
                   for _ in range(args.scripts)]
            submitted = time.perf_counter() - t0
            pending = set(ids)
            failed = 0
            while pending:
                for job_id in list(pending):
                    job = jobs.describe_job(job_id)
                    if job.status.is_terminal:
                        pending.discard(job_id)
                        failed += job.status != schemas.JobStatus.COMPLETED
                time.sleep(0.2)
            total = time.perf_counter() - t0
            print(f"dispatch: {args.scripts} script jobs submitted in {submitted:.2f} s "
                  f"({args.scripts / submitted:.0f} submissions/s); all finished in {total:.2f} s: "
                  f"{args.scripts / total:.1f} jobs/s end to end with {args.slots} slots ({failed} failed)")
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        agent_log.close()
        if args.keep:
            print(f"studio folder kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
